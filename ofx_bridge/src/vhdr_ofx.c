/* vhdr.ofx: an OFX image effect that reconstructs HDR frames from a coded raw clip by sending
 * each temporal window to a local vhdr frame server (PROTOCOL.md). The raw mosaic arrives in the
 * R channel of the host's float RGBA Source clip; the output is linear HDR RGB with alpha 1. */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ofx_api.h"
#include "vhdr_client.h"
#include "vhdr_ofx.h"

#define EXPORT __attribute__((visibility("default")))

static OfxHost *host;
const OfxPropertySuiteV1 *P;
const OfxImageEffectSuiteV1 *E;
const OfxParameterSuiteV1 *Q;
const OfxMessageSuiteV2 *M;
int message_version;
const char *const CFAS[4] = {"RGGB", "BGGR", "GRBG", "GBRG"};
const char *const COLORSPACES[5] = {"auto", "acescg", "aces2065-1", "rec709", "camera"};

OfxStatus report(OfxImageEffectHandle effect, const char *fmt, ...) {
    char text[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (M && message_version >= 2)
        M->setPersistentMessage(effect, kOfxMessageError, "vhdr", "%s", text);
    else if (M)
        M->message(effect, kOfxMessageError, "vhdr", "%s", text);
    else
        fprintf(stderr, "vhdr.ofx: %s\n", text);
    return kOfxStatFailed;
}

Instance *instance_of(OfxImageEffectHandle effect) {
    OfxPropertySetHandle props;
    void *data = NULL;
    if (E->getPropertySet(effect, &props) != kOfxStatOK) return NULL;
    P->propGetPointer(props, kOfxPropInstanceData, 0, &data);
    return data;
}

/* ---- describe ------------------------------------------------------------------------------ */

static OfxStatus describe(OfxImageEffectHandle effect) {
    OfxPropertySetHandle props;
    if (E->getPropertySet(effect, &props) != kOfxStatOK) return kOfxStatErrBadHandle;
    const char *contexts[] = {kOfxImageEffectContextFilter, kOfxImageEffectContextGeneral};
    P->propSetString(props, kOfxPropLabel, 0, "vhdr Reconstruct");
    P->propSetString(props, kOfxImageEffectPluginPropGrouping, 0, "vhdr");
    P->propSetString(props, kOfxPropPluginDescription, 0,
                     "HDR video from a snapshot-coded raw clip (raw mosaic in R), computed by a "
                     "local `vhdr serve` frame server.");
    P->propSetStringN(props, kOfxImageEffectPropSupportedContexts, 2, contexts);
    P->propSetString(props, kOfxImageEffectPropSupportedPixelDepths, 0, kOfxBitDepthFloat);
    P->propSetInt(props, kOfxImageEffectPropTemporalClipAccess, 0, 1);
    P->propSetInt(props, kOfxImageEffectPropSupportsTiles, 0, 0);
    P->propSetInt(props, kOfxImageEffectPropSupportsMultiResolution, 0, 0);
    P->propSetInt(props, kOfxImageEffectPluginPropSingleInstance, 0, 0);
    P->propSetInt(props, kOfxImageEffectPluginPropHostFrameThreading, 0, 0);
    P->propSetString(props, kOfxImageEffectPluginRenderThreadSafety, 0,
                     kOfxImageEffectRenderInstanceSafe);
    return kOfxStatOK;
}

static OfxPropertySetHandle define_param(OfxParamSetHandle set, const char *type, const char *name,
                                         const char *label, const char *hint) {
    OfxPropertySetHandle props = NULL;
    if (Q->paramDefine(set, type, name, &props) != kOfxStatOK || !props) return NULL;
    P->propSetString(props, kOfxPropLabel, 0, label);
    P->propSetString(props, kOfxParamPropHint, 0, hint);
    P->propSetInt(props, kOfxParamPropAnimates, 0, 0);
    return props;
}

static int define_string(OfxParamSetHandle set, const char *name, const char *label,
                         const char *hint, const char *value, const char *mode) {
    OfxPropertySetHandle props = define_param(set, kOfxParamTypeString, name, label, hint);
    if (!props) return -1;
    P->propSetString(props, kOfxParamPropDefault, 0, value);
    P->propSetString(props, kOfxParamPropStringMode, 0, mode);
    return 0;
}

static int define_int(OfxParamSetHandle set, const char *name, const char *label,
                      const char *hint, int value, int low, int high) {
    OfxPropertySetHandle props = define_param(set, kOfxParamTypeInteger, name, label, hint);
    if (!props) return -1;
    P->propSetInt(props, kOfxParamPropDefault, 0, value);
    P->propSetInt(props, kOfxParamPropMin, 0, low);
    P->propSetInt(props, kOfxParamPropMax, 0, high);
    P->propSetInt(props, kOfxParamPropDisplayMin, 0, low);
    P->propSetInt(props, kOfxParamPropDisplayMax, 0, high < 64 ? high : 64);
    return 0;
}

static OfxStatus describe_in_context(OfxImageEffectHandle effect) {
    OfxPropertySetHandle clip;
    OfxParamSetHandle set;
    if (E->clipDefine(effect, kOfxImageEffectSimpleSourceClipName, &clip) != kOfxStatOK)
        return kOfxStatErrFatal;
    P->propSetString(clip, kOfxImageEffectPropSupportedComponents, 0, kOfxImageComponentRGBA);
    P->propSetInt(clip, kOfxImageEffectPropTemporalClipAccess, 0, 1);
    P->propSetInt(clip, kOfxImageEffectPropSupportsTiles, 0, 0);
    if (E->clipDefine(effect, kOfxImageEffectOutputClipName, &clip) != kOfxStatOK)
        return kOfxStatErrFatal;
    P->propSetString(clip, kOfxImageEffectPropSupportedComponents, 0, kOfxImageComponentRGBA);
    P->propSetInt(clip, kOfxImageEffectPropSupportsTiles, 0, 0);
    if (E->getParamSet(effect, &set) != kOfxStatOK) return kOfxStatErrFatal;
    OfxPropertySetHandle cfa = define_param(set, kOfxParamTypeChoice, "cfa", "CFA",
                                            "Bayer pattern, the letter at the top-left pixel first");
    if (!cfa) return kOfxStatErrFatal;
    for (int i = 0; i < 4; i++) P->propSetString(cfa, kOfxParamPropChoiceOption, i, CFAS[i]);
    P->propSetInt(cfa, kOfxParamPropDefault, 0, 0);
    OfxPropertySetHandle space = define_param(
        set, kOfxParamTypeChoice, "colorspace", "Colour space",
        "output space: auto = ACEScg when the camera's matrices are known (Colour file, camera "
        "calibration), else camera RGB (docs/colour.md)");
    if (!space) return kOfxStatErrFatal;
    for (int i = 0; i < 5; i++) P->propSetString(space, kOfxParamPropChoiceOption, i, COLORSPACES[i]);
    P->propSetInt(space, kOfxParamPropDefault, 0, 0);
    OfxPropertySetHandle start = define_param(set, kOfxParamTypeBoolean, "autoStart",
                                              "Start server", "start `vhdr serve` if none runs");
    if (!start) return kOfxStatErrFatal;
    P->propSetInt(start, kOfxParamPropDefault, 0, 1);
    int bad = define_int(set, "window", "Window (frames)",
                         "frames the network sees around the current one", 8, 1, 32) ||
              define_string(set, "model", "Model", "registered model name or weights file",
                            "default", kOfxParamStringIsSingleLine) ||
              define_string(set, "maskFile", "Mask file",
                            "the sensor's mask (EXR/NPY/16-bit PNG, full size); or use Camera", "",
                            kOfxParamStringIsFilePath) ||
              define_string(set, "camera", "Camera", "calibration name instead of a mask file",
                            "", kOfxParamStringIsSingleLine) ||
              define_string(set, "colourFile", "Colour file",
                            "a DNG of the shot (its colour matrices and white balance) or a JSON "
                            "of DNG colour fields; empty: the camera calibration's",
                            "", kOfxParamStringIsFilePath) ||
              define_string(set, "socket", "Server socket",
                            "empty: $XDG_RUNTIME_DIR/vhdr/serve.sock or /tmp/vhdr-UID/serve.sock",
                            "", kOfxParamStringIsFilePath) ||
              define_string(set, "serverCommand", "Server command",
                            "program (and arguments) run with `serve` to start a server", "vhdr",
                            kOfxParamStringIsSingleLine) ||
              define_int(set, "timeout", "Timeout (s)", "longest wait for one window", 600, 1,
                         86400);
    return bad ? kOfxStatErrFatal : kOfxStatOK;
}

/* ---- instances ----------------------------------------------------------------------------- */

static OfxStatus create_instance(OfxImageEffectHandle effect) {
    OfxPropertySetHandle props;
    OfxParamSetHandle set;
    Instance *inst = calloc(1, sizeof *inst);
    if (!inst) return kOfxStatErrMemory;
    struct { const char *name; OfxParamHandle *slot; } params[] = {
        {"window", &inst->window},       {"model", &inst->model},
        {"cfa", &inst->cfa},             {"maskFile", &inst->mask_file},
        {"camera", &inst->camera},       {"socket", &inst->socket},
        {"autoStart", &inst->auto_start}, {"serverCommand", &inst->command},
        {"timeout", &inst->timeout},     {"colorspace", &inst->colorspace},
        {"colourFile", &inst->colour_file},
    };
    int bad = E->getPropertySet(effect, &props) != kOfxStatOK ||
              E->getParamSet(effect, &set) != kOfxStatOK ||
              E->clipGetHandle(effect, kOfxImageEffectSimpleSourceClipName, &inst->source, NULL) !=
                  kOfxStatOK ||
              E->clipGetHandle(effect, kOfxImageEffectOutputClipName, &inst->output, NULL) !=
                  kOfxStatOK;
    for (size_t i = 0; !bad && i < sizeof params / sizeof params[0]; i++)
        bad = Q->paramGetHandle(set, params[i].name, params[i].slot, NULL) != kOfxStatOK;
    if (bad) {
        free(inst);
        return kOfxStatErrBadHandle;
    }
    P->propSetPointer(props, kOfxPropInstanceData, 0, inst);
    return kOfxStatOK;
}

static OfxStatus destroy_instance(OfxImageEffectHandle effect) {
    OfxPropertySetHandle props;
    free(instance_of(effect));
    if (E->getPropertySet(effect, &props) == kOfxStatOK)
        P->propSetPointer(props, kOfxPropInstanceData, 0, NULL);
    return kOfxStatOK;
}

static void get_string(OfxParamHandle param, OfxTime time, char *out, size_t n) {
    char *value = NULL;
    out[0] = '\0';
    if (Q->paramGetValueAtTime(param, time, &value) == kOfxStatOK && value)
        snprintf(out, n, "%s", value);
}

void read_settings(const Instance *inst, OfxTime time, Settings *s) {
    memset(s, 0, sizeof *s);
    s->window = 8;
    s->auto_start = 1;
    s->timeout_s = 600;
    Q->paramGetValueAtTime(inst->window, time, &s->window);
    Q->paramGetValueAtTime(inst->cfa, time, &s->cfa);
    Q->paramGetValueAtTime(inst->auto_start, time, &s->auto_start);
    Q->paramGetValueAtTime(inst->timeout, time, &s->timeout_s);
    Q->paramGetValueAtTime(inst->colorspace, time, &s->colorspace);
    get_string(inst->colour_file, time, s->colour_file, sizeof s->colour_file);
    get_string(inst->model, time, s->model, sizeof s->model);
    get_string(inst->mask_file, time, s->mask_file, sizeof s->mask_file);
    get_string(inst->camera, time, s->camera, sizeof s->camera);
    get_string(inst->socket, time, s->socket, sizeof s->socket);
    get_string(inst->command, time, s->command, sizeof s->command);
    if (s->window < 1) s->window = 1;
    if (s->cfa < 0 || s->cfa > 3) s->cfa = 0;
    if (s->colorspace < 0 || s->colorspace > 4) s->colorspace = 0;
}

/* The window of `window` frames around `time`, shifted to lie inside the clip's frame range. */
void window_around(const Instance *inst, OfxTime time, int window, int *first, int *last,
                          int *target) {
    OfxPropertySetHandle props;
    double range[2] = {time, time};
    if (E->clipGetPropertySet(inst->source, &props) == kOfxStatOK)
        P->propGetDoubleN(props, kOfxImageEffectPropFrameRange, 2, range);
    int lo = (int)ceil(range[0]), hi = (int)floor(range[1]), t = (int)floor(time + 0.5);
    if (hi < lo) hi = lo;
    t = t < lo ? lo : t > hi ? hi : t;
    int len = window < hi - lo + 1 ? window : hi - lo + 1;
    int start = t - len / 2;
    if (start < lo) start = lo;
    if (start + len - 1 > hi) start = hi - len + 1;
    *first = start;
    *last = start + len - 1;
    *target = t - start;
}

static OfxStatus frames_needed(OfxImageEffectHandle effect, OfxPropertySetHandle in,
                               OfxPropertySetHandle out) {
    Instance *inst = instance_of(effect);
    double time = 0, range[2];
    int first, last, target, window = 8;
    if (!inst) return kOfxStatErrBadHandle;
    P->propGetDouble(in, kOfxPropTime, 0, &time);
    Q->paramGetValueAtTime(inst->window, time, &window);
    window_around(inst, time, window < 1 ? 1 : window, &first, &last, &target);
    range[0] = first;
    range[1] = last;
    P->propSetDoubleN(out, kOfxClipFrameRangePrefix kOfxImageEffectSimpleSourceClipName, 2, range);
    return kOfxStatOK;
}

static OfxStatus regions_of_interest(OfxImageEffectHandle effect, OfxPropertySetHandle in,
                                     OfxPropertySetHandle out) {
    Instance *inst = instance_of(effect);
    double time = 0;
    OfxRectD rod;
    if (!inst) return kOfxStatErrBadHandle;
    P->propGetDouble(in, kOfxPropTime, 0, &time);
    if (E->clipGetRegionOfDefinition(inst->source, time, &rod) != kOfxStatOK)
        return kOfxStatReplyDefault;
    P->propSetDoubleN(out, kOfxClipRoIPrefix kOfxImageEffectSimpleSourceClipName, 4, &rod.x1);
    return kOfxStatOK; /* the network needs whole frames: every pixel is context */
}

/* ---- entry points ------------------------------------------------------------------------- */

static OfxStatus load(void) {
    if (!host) return kOfxStatErrMissingHostFeature;
    P = host->fetchSuite(host->host, kOfxPropertySuite, 1);
    E = host->fetchSuite(host->host, kOfxImageEffectSuite, 1);
    Q = host->fetchSuite(host->host, kOfxParameterSuite, 1);
    M = host->fetchSuite(host->host, kOfxMessageSuite, 2);
    message_version = M ? 2 : 0;
    if (!M) {
        M = host->fetchSuite(host->host, kOfxMessageSuite, 1);
        message_version = M ? 1 : 0;
    }
    return P && E && Q ? kOfxStatOK : kOfxStatErrMissingHostFeature;
}

static OfxStatus main_entry(const char *action, const void *handle, OfxPropertySetHandle in,
                            OfxPropertySetHandle out) {
    OfxImageEffectHandle effect = (OfxImageEffectHandle)(void *)(uintptr_t)handle;
    if (!action) return kOfxStatErrValue;
    if (!strcmp(action, kOfxActionLoad)) return load();
    if (!P || !E || !Q) return kOfxStatErrMissingHostFeature;
    if (!strcmp(action, kOfxActionUnload)) {
        vhdr_reap_servers();
        return kOfxStatOK;
    }
    if (!strcmp(action, kOfxActionDescribe)) return describe(effect);
    if (!strcmp(action, kOfxImageEffectActionDescribeInContext)) return describe_in_context(effect);
    if (!strcmp(action, kOfxActionCreateInstance)) return create_instance(effect);
    if (!strcmp(action, kOfxActionDestroyInstance)) return destroy_instance(effect);
    if (!strcmp(action, kOfxImageEffectActionGetFramesNeeded)) return frames_needed(effect, in, out);
    if (!strcmp(action, kOfxImageEffectActionGetRegionsOfInterest))
        return regions_of_interest(effect, in, out);
    if (!strcmp(action, kOfxImageEffectActionRender)) return render(effect, in);
    return kOfxStatReplyDefault;
}

static void set_host(OfxHost *h) { host = h; }

static OfxPlugin plugin = {kOfxImageEffectPluginApi, kOfxImageEffectPluginApiVersion,
                           "org.vhdr.Reconstruct", 1, 0, set_host, main_entry};

EXPORT int OfxGetNumberOfPlugins(void) { return 1; }

EXPORT OfxPlugin *OfxGetPlugin(int nth) { return nth == 0 ? &plugin : NULL; }
