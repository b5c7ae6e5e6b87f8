/*
 * The `vhdr` VapourSynth namespace: a thin native door into the Python implementation.
 *
 * VapourSynth makes namespaces only from native plugins, so this plugin registers
 * `vhdr.Reconstruct` (the signature of CONTRACT.md section 2) and hands every call to
 * `vs_vhdr.vapoursynth._bridge.dispatch()` under the GIL. Python reads the call's arguments back
 * through the internal function `vhdr.Arguments` (so VapourSynth's own binding turns them into
 * real VideoNode objects) and hands its result clip over through `vhdr.Return`. The pending call
 * lives in a thread-local record: one call per thread at a time, nesting allowed.
 *
 * Stable CPython ABI only (Py_LIMITED_API 3.12). Python symbols are looked up before use, so a
 * host without Python gets an error message, never a crash.
 */
#define Py_LIMITED_API 0x030C0000
#include <Python.h>

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "VapourSynth4.h"

#define PREFIX "vhdr.Reconstruct: "
#define BRIDGE_MODULE "vs_vhdr.vapoursynth._bridge"

typedef struct PendingCall {
    const VSMap *in;
    VSNode *result;
    struct PendingCall *outer;
} PendingCall;

static _Thread_local PendingCall *pending = NULL;

/* The Python error being raised as text (clears it); a fixed text when it cannot be rendered. */
static void take_python_error(char *buffer, size_t size) {
    PyObject *error = PyErr_GetRaisedException();
    PyObject *text = error ? PyObject_Str(error) : NULL;
    const char *utf8 = text ? PyUnicode_AsUTF8AndSize(text, NULL) : NULL;
    snprintf(buffer, size, PREFIX "the Python side failed: %s", utf8 ? utf8 : "(unprintable)");
    PyErr_Clear();
    Py_XDECREF(text);
    Py_XDECREF(error);
}

/* Run the dispatcher; returns NULL on success or an error message written into buffer. */
static const char *run_dispatcher(char *buffer, size_t size) {
    PyObject *module = PyImport_ImportModule(BRIDGE_MODULE);
    if (!module) {
        take_python_error(buffer, size);
        return buffer;
    }
    PyObject *answer = PyObject_CallMethod(module, "dispatch", NULL);
    Py_DECREF(module);
    if (!answer) {
        take_python_error(buffer, size);
        return buffer;
    }
    const char *message = NULL;
    if (PyUnicode_Check(answer)) {
        const char *utf8 = PyUnicode_AsUTF8AndSize(answer, NULL);
        snprintf(buffer, size, "%s", utf8 ? utf8 : PREFIX "the Python side failed");
        message = buffer;
    }
    PyErr_Clear();
    Py_DECREF(answer);
    return message;
}

static void VS_CC reconstruct(const VSMap *in, VSMap *out, void *data, VSCore *core,
                              const VSAPI *vsapi) {
    (void)data;
    (void)core;
    int (*is_initialized)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "Py_IsInitialized");
    if (!is_initialized || !is_initialized()) {
        vsapi->mapSetError(out, PREFIX "needs a Python host (VapourSynth's Python module or "
                                       "vspipe); no Python interpreter is running");
        return;
    }
    char message[4096];
    PendingCall call = {in, NULL, pending};
    PyGILState_STATE gil = PyGILState_Ensure();
    pending = &call;
    const char *error = run_dispatcher(message, sizeof message);
    pending = call.outer;
    PyGILState_Release(gil);
    if (error) {
        if (call.result)
            vsapi->freeNode(call.result);
        vsapi->mapSetError(out, error);
    } else if (!call.result) {
        vsapi->mapSetError(out, PREFIX "the Python side returned no clip");
    } else {
        vsapi->mapConsumeNode(out, "clip", call.result, maReplace);
    }
}

/* Internal: the pending call's arguments, converted by the caller's binding. */
static void VS_CC arguments(const VSMap *in, VSMap *out, void *data, VSCore *core,
                            const VSAPI *vsapi) {
    (void)in;
    (void)data;
    (void)core;
    if (!pending) {
        vsapi->mapSetError(out, "vhdr.Arguments: internal to vhdr.Reconstruct; no call pending");
        return;
    }
    vsapi->copyMap(pending->in, out);
}

/* Internal: the Python side hands its result clip to the pending call. */
static void VS_CC give_result(const VSMap *in, VSMap *out, void *data, VSCore *core,
                              const VSAPI *vsapi) {
    (void)data;
    (void)core;
    if (!pending) {
        vsapi->mapSetError(out, "vhdr.Return: internal to vhdr.Reconstruct; no call pending");
        return;
    }
    if (pending->result)
        vsapi->freeNode(pending->result);
    pending->result = vsapi->mapGetNode(in, "clip", 0, NULL);
}

VS_EXTERNAL_API(void) VapourSynthPluginInit2(VSPlugin *plugin, const VSPLUGINAPI *vspapi) {
    vspapi->configPlugin("io.github.vhdr", "vhdr", "HDR video from snapshot-coded raw video",
                         VS_MAKE_VERSION(0, 1), VAPOURSYNTH_API_VERSION, 0, plugin);
    vspapi->registerFunction("Reconstruct",
                             "clip:vnode;mask:vnode:opt;mask_file:data:opt;camera:data:opt;"
                             "model:data:opt;cfa:data:opt;white_level:int:opt;window:int:opt;"
                             "tile:int:opt;device:data:opt;precision:data:opt;",
                             "clip:vnode;", reconstruct, NULL, plugin);
    vspapi->registerFunction("Arguments", "", "any", arguments, NULL, plugin);
    vspapi->registerFunction("Return", "clip:vnode;", "", give_result, NULL, plugin);
}
