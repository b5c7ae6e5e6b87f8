/*
 * The `vhdr` VapourSynth namespace: a thin native door into the Python implementation.
 *
 * VapourSynth makes namespaces only from native plugins, so this plugin registers
 * `vhdr.Reconstruct` (the signature of CONTRACT.md section 2) and `vhdr.RawSource` (raw
 * DNG / camera raw sequences) and hands every call to `vs_vhdr.vapoursynth._bridge.dispatch()`
 * under the GIL. Python reads the call's arguments back through the internal function
 * `vhdr.Arguments` (so VapourSynth's own binding turns them into real VideoNode objects; the
 * called function's name comes along as `function`) and hands its result clip over through
 * `vhdr.Return`. The pending call lives in a thread-local record: one call per thread at a time,
 * nesting allowed.
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

#define BRIDGE_MODULE "vs_vhdr.vapoursynth._bridge"

/* A public function of the namespace: its name and the prefix of its error messages. */
typedef struct Function {
    const char *name;
    const char *prefix;
} Function;

static const Function RECONSTRUCT = {"Reconstruct", "vhdr.Reconstruct: "};
static const Function RAW_SOURCE = {"RawSource", "vhdr.RawSource: "};

typedef struct PendingCall {
    const Function *function;
    const VSMap *in;
    VSNode *result;
    struct PendingCall *outer;
} PendingCall;

static _Thread_local PendingCall *pending = NULL;

/* The Python error being raised as text (clears it); a fixed text when it cannot be rendered. */
static void take_python_error(const char *prefix, char *buffer, size_t size) {
    PyObject *error = PyErr_GetRaisedException();
    PyObject *text = error ? PyObject_Str(error) : NULL;
    const char *utf8 = text ? PyUnicode_AsUTF8AndSize(text, NULL) : NULL;
    snprintf(buffer, size, "%sthe Python side failed: %s", prefix, utf8 ? utf8 : "(unprintable)");
    PyErr_Clear();
    Py_XDECREF(text);
    Py_XDECREF(error);
}

/* Run the dispatcher; returns NULL on success or an error message written into buffer. */
static const char *run_dispatcher(const char *prefix, char *buffer, size_t size) {
    PyObject *module = PyImport_ImportModule(BRIDGE_MODULE);
    if (!module) {
        take_python_error(prefix, buffer, size);
        return buffer;
    }
    PyObject *answer = PyObject_CallMethod(module, "dispatch", NULL);
    Py_DECREF(module);
    if (!answer) {
        take_python_error(prefix, buffer, size);
        return buffer;
    }
    const char *message = NULL;
    if (PyUnicode_Check(answer)) {
        const char *utf8 = PyUnicode_AsUTF8AndSize(answer, NULL);
        if (utf8)
            snprintf(buffer, size, "%s", utf8);
        else
            snprintf(buffer, size, "%sthe Python side failed", prefix);
        message = buffer;
    }
    PyErr_Clear();
    Py_DECREF(answer);
    return message;
}

/* Every public function: `data` is its Function record. */
static void VS_CC call_python(const VSMap *in, VSMap *out, void *data, VSCore *core,
                              const VSAPI *vsapi) {
    (void)core;
    const Function *function = (const Function *)data;
    char message[4096];
    int (*is_initialized)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "Py_IsInitialized");
    if (!is_initialized || !is_initialized()) {
        snprintf(message, sizeof message,
                 "%sneeds a Python host (VapourSynth's Python module or vspipe); no Python "
                 "interpreter is running",
                 function->prefix);
        vsapi->mapSetError(out, message);
        return;
    }
    PendingCall call = {function, in, NULL, pending};
    PyGILState_STATE gil = PyGILState_Ensure();
    pending = &call;
    const char *error = run_dispatcher(function->prefix, message, sizeof message);
    pending = call.outer;
    PyGILState_Release(gil);
    if (error) {
        if (call.result)
            vsapi->freeNode(call.result);
        vsapi->mapSetError(out, error);
    } else if (!call.result) {
        snprintf(message, sizeof message, "%sthe Python side returned no clip", function->prefix);
        vsapi->mapSetError(out, message);
    } else {
        vsapi->mapConsumeNode(out, "clip", call.result, maReplace);
    }
}

/* Internal: the pending call's arguments, converted by the caller's binding, and its name. */
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
    vsapi->mapSetData(out, "function", pending->function->name, -1, dtUtf8, maReplace);
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
                             "overlap:int:opt;tile:int:opt;device:data:opt;precision:data:opt;colorspace:data:opt;",
                             "clip:vnode;", call_python, (void *)&RECONSTRUCT, plugin);
    vspapi->registerFunction("RawSource",
                             "path:data;fpsnum:int:opt;fpsden:int:opt;black_level:float:opt;"
                             "white_level:float:opt;",
                             "clip:vnode;", call_python, (void *)&RAW_SOURCE, plugin);
    vspapi->registerFunction("Arguments", "", "any", arguments, NULL, plugin);
    vspapi->registerFunction("Return", "clip:vnode;", "", give_result, NULL, plugin);
}
