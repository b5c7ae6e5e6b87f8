/* vhdr OFX test host: loads vhdr.ofx with dlopen like a host, runs describe, describe-in-context,
 * create instance, frames-needed, regions-of-interest and render on footage from a file, checks
 * what a host relies on, and prints "N passed, N failed" (exit status 1 if any failed).
 *
 *   ofx_test_host PLUGIN.ofx --input RAW.f32 --frames T --height H --width W [--time N]
 *       [--output OUT.f32] [--param NAME=VALUE]... [--scale S] [--row-sign -1] [--pad BYTES]
 *       [--render-window X1,Y1,X2,Y2] [--omit-frame N] [--abort] [--expect-error TEXT]
 *
 * RAW.f32 holds T×H×W float32 raw frames, rows top-down; OUT.f32 receives the rendered frame as
 * H×W×3 float32, rows top-down (at the render scale). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

static int passed, failed;

#define CHECK(cond, ...)                         \
    do {                                         \
        if (cond) {                              \
            passed++;                            \
        } else {                                 \
            failed++;                            \
            printf("FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__);                 \
            printf("\n");                        \
        }                                        \
    } while (0)

static const void *fetch_suite(OfxPropertySetHandle host, const char *name, int version) {
    if (!strcmp(name, kOfxPropertySuite) && version == 1) return &host_property_suite;
    if (!strcmp(name, kOfxImageEffectSuite) && version == 1) return &host_effect_suite;
    if (!strcmp(name, kOfxParameterSuite) && version == 1) return &host_param_suite;
    if (!strcmp(name, kOfxMessageSuite) && (version == 1 || version == 2))
        return &host_message_suite;
    return NULL;
}

typedef struct {
    const char *plugin, *input, *output, *expect_error;
    int frames, height, width, time, abort;
    OfxRectI window;
    int has_window;
    const char *params[32];
    int param_count;
    Footage footage;
} Args;

static int parse(int argc, char **argv, Args *a) {
    memset(a, 0, sizeof *a);
    a->footage.scale = 1.0;
    a->footage.row_sign = 1;
    a->footage.omit_frame = -1;
    if (argc < 2) return -1;
    a->plugin = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--abort")) { a->abort = 1; continue; }
        if (!v) return -1;
        i++;
        if (!strcmp(k, "--input")) a->input = v;
        else if (!strcmp(k, "--output")) a->output = v;
        else if (!strcmp(k, "--frames")) a->frames = atoi(v);
        else if (!strcmp(k, "--height")) a->height = atoi(v);
        else if (!strcmp(k, "--width")) a->width = atoi(v);
        else if (!strcmp(k, "--time")) a->time = atoi(v);
        else if (!strcmp(k, "--scale")) a->footage.scale = atof(v);
        else if (!strcmp(k, "--row-sign")) a->footage.row_sign = atoi(v) < 0 ? -1 : 1;
        else if (!strcmp(k, "--pad")) a->footage.pad = atoi(v);
        else if (!strcmp(k, "--omit-frame")) a->footage.omit_frame = atoi(v);
        else if (!strcmp(k, "--expect-error")) a->expect_error = v;
        else if (!strcmp(k, "--param") && a->param_count < 32) a->params[a->param_count++] = v;
        else if (!strcmp(k, "--render-window")) {
            a->has_window = sscanf(v, "%d,%d,%d,%d", &a->window.x1, &a->window.y1, &a->window.x2,
                                   &a->window.y2) == 4;
        } else return -1;
    }
    return a->input && a->frames > 0 && a->height > 0 && a->width > 0 ? 0 : -1;
}

static float *read_raw(const Args *a) {
    size_t count = (size_t)a->frames * a->height * a->width;
    float *raw = malloc(count * sizeof(float));
    FILE *f = fopen(a->input, "rb");
    if (!raw || !f || fread(raw, sizeof(float), count, f) != count) {
        if (f) fclose(f);
        free(raw);
        return NULL;
    }
    fclose(f);
    return raw;
}

static void apply_params(struct OfxImageEffectStruct *inst, const Args *a) {
    for (int i = 0; i < a->param_count; i++) {
        char name[64];
        const char *eq = strchr(a->params[i], '=');
        if (!eq || eq - a->params[i] >= (int)sizeof name) continue;
        snprintf(name, sizeof name, "%.*s", (int)(eq - a->params[i]), a->params[i]);
        struct OfxParamStruct *p = param_find(inst, name);
        CHECK(p != NULL, "--param %s: the plugin has no such parameter", name);
        if (p && !strcmp(p->type, kOfxParamTypeString)) param_set_string(inst, name, eq + 1);
        else if (p) param_set_int(inst, name, atoi(eq + 1));
    }
}

static void check_describe(OfxPluginEntryPoint *entry, struct OfxImageEffectStruct *desc) {
    const OfxPropertySuiteV1 *ps = &host_property_suite;
    CHECK(entry(kOfxActionDescribe, desc, NULL, NULL) == kOfxStatOK, "describe failed");
    char *s0 = NULL, *s1 = NULL, *depth = NULL;
    int temporal = 0, tiles = 1;
    ps->propGetString(desc->props, kOfxImageEffectPropSupportedContexts, 0, &s0);
    ps->propGetString(desc->props, kOfxImageEffectPropSupportedContexts, 1, &s1);
    ps->propGetString(desc->props, kOfxImageEffectPropSupportedPixelDepths, 0, &depth);
    ps->propGetInt(desc->props, kOfxImageEffectPropTemporalClipAccess, 0, &temporal);
    ps->propGetInt(desc->props, kOfxImageEffectPropSupportsTiles, 0, &tiles);
    CHECK(s0 && s1 && !strcmp(s0, kOfxImageEffectContextFilter) &&
              !strcmp(s1, kOfxImageEffectContextGeneral), "contexts are not Filter, General");
    CHECK(depth && !strcmp(depth, kOfxBitDepthFloat), "pixel depth is not float");
    CHECK(temporal == 1, "temporal clip access not declared");
    CHECK(tiles == 0, "tiles must be off (the network needs whole frames)");
    CHECK(entry(kOfxImageEffectActionDescribeInContext, desc, desc->props, NULL) == kOfxStatOK,
          "describe in context failed");
    CHECK(desc->clip_count == 2 && !strcmp(desc->clips[0].name, "Source") &&
              !strcmp(desc->clips[1].name, "Output"), "clips are not Source, Output");
    const char *names[] = {"window", "model", "cfa", "maskFile", "camera", "socket", "autoStart",
                           "serverCommand", "timeout", "colorspace", "colourFile"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK(param_find(desc, names[i]) != NULL, "parameter %s not defined", names[i]);
}

/* Frames needed at start, middle and end: a window of min(window, T) frames holding t. */
static void check_frames_needed(OfxPluginEntryPoint *entry, struct OfxImageEffectStruct *inst,
                                int frames) {
    const OfxPropertySuiteV1 *ps = &host_property_suite;
    int window = param_find(inst, "window")->ival, len = window < frames ? window : frames;
    int times[3] = {0, frames / 2, frames - 1};
    for (int i = 0; i < 3; i++) {
        OfxPropertySetHandle in = props_new(), out = props_new();
        double range[2] = {-1, -1};
        ps->propSetDouble(in, kOfxPropTime, 0, times[i]);
        CHECK(entry(kOfxImageEffectActionGetFramesNeeded, inst, in, out) == kOfxStatOK,
              "frames needed failed at %d", times[i]);
        ps->propGetDoubleN(out, kOfxClipFrameRangePrefix "Source", 2, range);
        int a = (int)range[0], b = (int)range[1], centred = times[i] - len / 2;
        centred = centred < 0 ? 0 : centred > frames - len ? frames - len : centred;
        CHECK(b - a + 1 == len && a <= times[i] && times[i] <= b && a == centred,
              "frames needed at %d: [%d, %d]; expected [%d, %d]", times[i], a, b, centred,
              centred + len - 1);
        props_free(in);
        props_free(out);
    }
    OfxPropertySetHandle in = props_new(), out = props_new();
    double roi[4] = {0};
    ps->propSetDouble(in, kOfxPropTime, 0, 0);
    CHECK(entry(kOfxImageEffectActionGetRegionsOfInterest, inst, in, out) == kOfxStatOK,
          "regions of interest failed");
    ps->propGetDoubleN(out, kOfxClipRoIPrefix "Source", 4, roi);
    CHECK(roi[0] == 0 && roi[1] == 0 && roi[2] == inst->footage->width &&
              roi[3] == inst->footage->height, "RoI is not the whole source frame");
    props_free(in);
    props_free(out);
}

static int write_output(const Args *a, struct OfxImageEffectStruct *inst) {
    OfxRectI b = inst->output_bounds;
    FILE *f = fopen(a->output, "wb");
    if (!f) return -1;
    for (int y = b.y2 - 1; y >= b.y1; y--)
        for (int x = b.x1; x < b.x2; x++) fwrite(output_pixel(inst, x, y), sizeof(float), 3, f);
    return fclose(f);
}

/* Render frame a->time; check status, message, alpha and the pixels outside the window. */
static void check_render(OfxPluginEntryPoint *entry, struct OfxImageEffectStruct *inst,
                         const Args *a) {
    const OfxPropertySuiteV1 *ps = &host_property_suite;
    const float sentinel = -7.0f;
    output_alloc(inst, sentinel);
    OfxRectI window = a->has_window ? a->window : inst->output_bounds;
    double scale[2] = {a->footage.scale, a->footage.scale};
    OfxPropertySetHandle in = props_new();
    ps->propSetDouble(in, kOfxPropTime, 0, a->time);
    ps->propSetIntN(in, kOfxImageEffectPropRenderWindow, 4, &window.x1);
    ps->propSetDoubleN(in, kOfxImageEffectPropRenderScale, 2, scale);
    inst->aborted = a->abort;
    OfxStatus st = entry(kOfxImageEffectActionRender, inst, in, NULL);
    props_free(in);
    CHECK(host_outstanding_images == 0, "%d images not released", host_outstanding_images);
    if (a->expect_error) {
        CHECK(st == kOfxStatFailed, "render returned %d; expected kOfxStatFailed", st);
        CHECK(strstr(inst->persistent, a->expect_error) != NULL,
              "persistent message '%s' does not mention '%s'", inst->persistent, a->expect_error);
        return;
    }
    CHECK(st == kOfxStatOK, "render returned %d: %s", st, inst->persistent);
    CHECK(inst->persistent[0] == '\0', "persistent message left set: %s", inst->persistent);
    if (st != kOfxStatOK) return;
    int outside_touched = 0, bad_alpha = 0, non_finite = 0;
    OfxRectI b = inst->output_bounds;
    for (int y = b.y1; y < b.y2; y++)
        for (int x = b.x1; x < b.x2; x++) {
            const float *p = output_pixel(inst, x, y);
            int inside = x >= window.x1 && x < window.x2 && y >= window.y1 && y < window.y2;
            if (!inside) outside_touched += p[0] != sentinel || p[3] != sentinel;
            else {
                bad_alpha += p[3] != 1.0f;
                non_finite += !isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2]);
            }
        }
    CHECK(outside_touched == 0, "%d pixels outside the render window were written", outside_touched);
    CHECK(bad_alpha == 0, "%d pixels inside the render window have alpha != 1", bad_alpha);
    CHECK(non_finite == 0, "%d output pixels are not finite", non_finite);
    if (a->output) CHECK(write_output(a, inst) == 0, "cannot write %s", a->output);
}

int main(int argc, char **argv) {
    Args a;
    if (parse(argc, argv, &a)) {
        fprintf(stderr, "usage: see the comment at the top of test_host.c\n");
        return 2;
    }
    float *raw = read_raw(&a);
    if (!raw) {
        fprintf(stderr, "cannot read %d frames of %dx%d from %s\n", a.frames, a.width, a.height,
                a.input);
        return 2;
    }
    a.footage = (Footage){raw, a.frames, a.height, a.width, a.footage.scale, a.footage.row_sign,
                          a.footage.pad, a.footage.omit_frame};
    void *lib = dlopen(a.plugin, RTLD_NOW | RTLD_LOCAL);
    CHECK(lib != NULL, "dlopen %s: %s", a.plugin, dlerror());
    if (!lib) goto summary;
    int (*count)(void) = (int (*)(void))dlsym(lib, "OfxGetNumberOfPlugins");
    OfxPlugin *(*get)(int) = (OfxPlugin * (*)(int)) dlsym(lib, "OfxGetPlugin");
    CHECK(count && get && count() == 1, "the bundle must export one plugin");
    OfxPlugin *plugin = count && get ? get(0) : NULL;
    CHECK(plugin && !strcmp(plugin->pluginApi, kOfxImageEffectPluginApi) &&
              plugin->apiVersion == 1 && !strcmp(plugin->pluginIdentifier, "org.vhdr.Reconstruct"),
          "plugin 0 is not the vhdr image effect");
    if (!plugin) goto close;
    OfxPropertySetHandle host_props = props_new();
    host_property_suite.propSetString(host_props, "OfxPropName", 0, "org.vhdr.TestHost");
    OfxHost host = {host_props, fetch_suite};
    plugin->setHost(&host);
    OfxPluginEntryPoint *entry = plugin->mainEntry;
    CHECK(entry(kOfxActionLoad, NULL, NULL, NULL) == kOfxStatOK, "load failed");
    struct OfxImageEffectStruct desc, inst;
    effect_init(&desc);
    desc.footage = &a.footage;
    check_describe(entry, &desc);
    effect_instantiate(&inst, &desc, kOfxImageEffectContextFilter);
    CHECK(entry(kOfxActionCreateInstance, &inst, NULL, NULL) == kOfxStatOK, "create instance failed");
    apply_params(&inst, &a);
    check_frames_needed(entry, &inst, a.frames);
    check_render(entry, &inst, &a);
    CHECK(entry(kOfxActionDestroyInstance, &inst, NULL, NULL) == kOfxStatOK, "destroy failed");
    CHECK(entry(kOfxActionUnload, NULL, NULL, NULL) == kOfxStatOK, "unload failed");
    effect_free(&inst);
    effect_free(&desc);
    props_free(host_props);
close:
    dlclose(lib);
summary:
    free(raw);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
