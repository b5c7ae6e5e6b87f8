/* Image-effect, parameter and message suites of the test host, over in-memory footage. */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

#define PS host_property_suite
int host_outstanding_images;

void scaled_size(const Footage *f, int *width, int *height) {
    int k = (int)lround(1.0 / f->scale);
    *width = f->width / k;
    *height = f->height / k;
}

void effect_init(struct OfxImageEffectStruct *effect) {
    memset(effect, 0, sizeof *effect);
    effect->props = props_new();
    effect->params.props = props_new();
}

void effect_free(struct OfxImageEffectStruct *effect) {
    for (int i = 0; i < effect->params.count; i++) {
        if (!effect->is_instance) props_free(effect->params.params[i].props);
        free(effect->params.params[i].sval);
    }
    for (int i = 0; i < effect->clip_count; i++) props_free(effect->clips[i].props);
    props_free(effect->params.props);
    props_free(effect->props);
    free(effect->output_buffer);
}

struct OfxParamStruct *param_find(struct OfxImageEffectStruct *effect, const char *name) {
    for (int i = 0; i < effect->params.count; i++)
        if (!strcmp(effect->params.params[i].name, name)) return &effect->params.params[i];
    return NULL;
}

void param_set_string(struct OfxImageEffectStruct *effect, const char *name, const char *value) {
    struct OfxParamStruct *p = param_find(effect, name);
    if (!p) return;
    free(p->sval);
    p->sval = strdup(value);
}

void param_set_int(struct OfxImageEffectStruct *effect, const char *name, int value) {
    struct OfxParamStruct *p = param_find(effect, name);
    if (p) p->ival = value;
}

void effect_instantiate(struct OfxImageEffectStruct *inst, struct OfxImageEffectStruct *desc,
                        const char *context) {
    effect_init(inst);
    inst->is_instance = 1;
    inst->footage = desc->footage;
    PS.propSetString(inst->props, kOfxImageEffectPropContext, 0, context);
    for (int i = 0; i < desc->params.count; i++) {
        struct OfxParamStruct *src = &desc->params.params[i], *dst = &inst->params.params[i];
        *dst = *src;
        dst->sval = NULL;
        char *text = NULL;
        if (!strcmp(src->type, kOfxParamTypeString)) {
            PS.propGetString(src->props, kOfxParamPropDefault, 0, &text);
            dst->sval = strdup(text ? text : "");
        } else {
            PS.propGetInt(src->props, kOfxParamPropDefault, 0, &dst->ival);
        }
    }
    inst->params.count = desc->params.count;
    const Footage *f = desc->footage;
    double range[2] = {0, f->frames - 1};
    for (int i = 0; i < desc->clip_count; i++) {
        struct OfxImageClipStruct *clip = &inst->clips[i];
        snprintf(clip->name, sizeof clip->name, "%s", desc->clips[i].name);
        clip->effect = inst;
        clip->props = props_new();
        PS.propSetDoubleN(clip->props, kOfxImageEffectPropFrameRange, 2, range);
        PS.propSetInt(clip->props, kOfxImageClipPropConnected, 0, 1);
        PS.propSetString(clip->props, kOfxImageEffectPropComponents, 0, kOfxImageComponentRGBA);
        PS.propSetString(clip->props, kOfxImageEffectPropPixelDepth, 0, kOfxBitDepthFloat);
    }
    inst->clip_count = desc->clip_count;
}

void output_alloc(struct OfxImageEffectStruct *effect, float fill) {
    const Footage *f = effect->footage;
    int w, h;
    scaled_size(f, &w, &h);
    int stride = w * 16 + f->pad;
    effect->output_buffer = malloc((size_t)stride * (size_t)h);
    effect->output_bounds = (OfxRectI){0, 0, w, h};
    effect->output_row_bytes = f->row_sign * stride;
    effect->output_row0 = effect->output_buffer + (f->row_sign > 0 ? 0 : (size_t)(h - 1) * stride);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 4; c++) output_pixel(effect, x, y)[c] = fill;
}

float *output_pixel(struct OfxImageEffectStruct *effect, int x, int y) {
    return (float *)(effect->output_row0 + (ptrdiff_t)y * effect->output_row_bytes) + 4 * x;
}

/* ---- image effect suite ---- */

static OfxStatus get_property_set(OfxImageEffectHandle e, OfxPropertySetHandle *props) {
    if (!e) return kOfxStatErrBadHandle;
    *props = e->props;
    return kOfxStatOK;
}

static OfxStatus get_param_set(OfxImageEffectHandle e, OfxParamSetHandle *set) {
    if (!e) return kOfxStatErrBadHandle;
    *set = &e->params;
    return kOfxStatOK;
}

static OfxStatus clip_define(OfxImageEffectHandle e, const char *name, OfxPropertySetHandle *props) {
    if (e->clip_count == MAX_CLIPS) return kOfxStatErrMemory;
    struct OfxImageClipStruct *clip = &e->clips[e->clip_count++];
    snprintf(clip->name, sizeof clip->name, "%s", name);
    clip->props = props_new();
    clip->effect = e;
    if (props) *props = clip->props;
    return kOfxStatOK;
}

static OfxStatus clip_get_handle(OfxImageEffectHandle e, const char *name, OfxImageClipHandle *clip,
                                 OfxPropertySetHandle *props) {
    for (int i = 0; i < e->clip_count; i++)
        if (!strcmp(e->clips[i].name, name)) {
            *clip = &e->clips[i];
            if (props) *props = e->clips[i].props;
            return kOfxStatOK;
        }
    return kOfxStatErrUnknown;
}

static OfxStatus clip_get_property_set(OfxImageClipHandle clip, OfxPropertySetHandle *props) {
    *props = clip->props;
    return kOfxStatOK;
}

static OfxPropertySetHandle image_props(char *row0, int row_bytes, OfxRectI bounds, void *owned) {
    OfxPropertySetHandle img = props_new();
    PS.propSetPointer(img, kOfxImagePropData, 0, row0);
    PS.propSetIntN(img, kOfxImagePropBounds, 4, &bounds.x1);
    PS.propSetInt(img, kOfxImagePropRowBytes, 0, row_bytes);
    PS.propSetString(img, kOfxImageEffectPropPixelDepth, 0, kOfxBitDepthFloat);
    PS.propSetString(img, kOfxImageEffectPropComponents, 0, kOfxImageComponentRGBA);
    PS.propSetPointer(img, "VhdrTestHostOwnedBuffer", 0, owned);
    host_outstanding_images++;
    return img;
}

/* Source frame `frame` as RGBA at the footage's scale (k×k box average), rows bottom-up in OFX
 * coordinates: OFX row y is footage row (H_s - 1 - y). */
static OfxPropertySetHandle source_image(const Footage *f, int frame) {
    int w, h, k = (int)lround(1.0 / f->scale);
    scaled_size(f, &w, &h);
    int stride = w * 16 + f->pad;
    char *buf = malloc((size_t)stride * (size_t)h);
    char *row0 = buf + (f->row_sign > 0 ? 0 : (size_t)(h - 1) * stride);
    const float *plane = f->raw + (size_t)frame * f->height * f->width;
    for (int y = 0; y < h; y++) {
        float *row = (float *)(row0 + (ptrdiff_t)y * f->row_sign * stride);
        int r = h - 1 - y;
        for (int x = 0; x < w; x++) {
            double sum = 0;
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++) sum += plane[(size_t)(r * k + i) * f->width + x * k + j];
            float v = (float)(sum / (k * k));
            row[4 * x] = row[4 * x + 1] = row[4 * x + 2] = v;
            row[4 * x + 3] = 1.0f;
        }
    }
    return image_props(row0, f->row_sign * stride, (OfxRectI){0, 0, w, h}, buf);
}

static OfxStatus clip_get_image(OfxImageClipHandle clip, OfxTime time, const OfxRectD *region,
                                OfxPropertySetHandle *image) {
    struct OfxImageEffectStruct *e = clip->effect;
    const Footage *f = e->footage;
    int frame = (int)lround(time);
    if (!strcmp(clip->name, kOfxImageEffectOutputClipName)) {
        if (!e->output_buffer) return kOfxStatFailed;
        *image = image_props(e->output_row0, e->output_row_bytes, e->output_bounds, NULL);
        return kOfxStatOK;
    }
    if (frame < 0 || frame >= f->frames || frame == f->omit_frame) return kOfxStatFailed;
    *image = source_image(f, frame);
    return kOfxStatOK;
}

static OfxStatus clip_release_image(OfxPropertySetHandle image) {
    void *owned = NULL;
    if (PS.propGetPointer(image, "VhdrTestHostOwnedBuffer", 0, &owned) != kOfxStatOK)
        return kOfxStatErrBadHandle;
    free(owned);
    props_free(image);
    host_outstanding_images--;
    return kOfxStatOK;
}

static OfxStatus clip_get_rod(OfxImageClipHandle clip, OfxTime time, OfxRectD *rod) {
    const Footage *f = clip->effect->footage;
    *rod = (OfxRectD){0, 0, f->width, f->height};
    return kOfxStatOK;
}

static int effect_abort(OfxImageEffectHandle e) { return e->aborted; }

const OfxImageEffectSuiteV1 host_effect_suite = {
    get_property_set,   get_param_set, clip_define, clip_get_handle, clip_get_property_set,
    clip_get_image,     clip_release_image, clip_get_rod, effect_abort, NULL, NULL, NULL, NULL,
};

/* ---- parameter suite ---- */

static OfxStatus param_define(OfxParamSetHandle set, const char *type, const char *name,
                              OfxPropertySetHandle *props) {
    for (int i = 0; i < set->count; i++)
        if (!strcmp(set->params[i].name, name)) return kOfxStatErrExists;
    if (set->count == MAX_PARAMS) return kOfxStatErrMemory;
    struct OfxParamStruct *p = &set->params[set->count++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->type, sizeof p->type, "%s", type);
    p->props = props_new();
    if (props) *props = p->props;
    return kOfxStatOK;
}

static OfxStatus param_get_handle(OfxParamSetHandle set, const char *name, OfxParamHandle *param,
                                  OfxPropertySetHandle *props) {
    for (int i = 0; i < set->count; i++)
        if (!strcmp(set->params[i].name, name)) {
            *param = &set->params[i];
            if (props) *props = set->params[i].props;
            return kOfxStatOK;
        }
    return kOfxStatErrUnknown;
}

static OfxStatus param_set_props(OfxParamSetHandle set, OfxPropertySetHandle *props) {
    *props = set->props;
    return kOfxStatOK;
}

static OfxStatus param_props(OfxParamHandle param, OfxPropertySetHandle *props) {
    *props = param->props;
    return kOfxStatOK;
}

static OfxStatus value_into(OfxParamHandle param, va_list ap) {
    if (!param) return kOfxStatErrBadHandle;
    if (!strcmp(param->type, kOfxParamTypeString))
        *va_arg(ap, char **) = param->sval;
    else
        *va_arg(ap, int *) = param->ival;
    return kOfxStatOK;
}

static OfxStatus param_get_value(OfxParamHandle param, ...) {
    va_list ap;
    va_start(ap, param);
    OfxStatus st = value_into(param, ap);
    va_end(ap);
    return st;
}

static OfxStatus param_get_value_at_time(OfxParamHandle param, OfxTime time, ...) {
    va_list ap;
    va_start(ap, time);
    OfxStatus st = value_into(param, ap);
    va_end(ap);
    return st;
}

const OfxParameterSuiteV1 host_param_suite = {
    .paramDefine = param_define,
    .paramGetHandle = param_get_handle,
    .paramSetGetPropertySet = param_set_props,
    .paramGetPropertySet = param_props,
    .paramGetValue = param_get_value,
    .paramGetValueAtTime = param_get_value_at_time,
};

/* ---- message suite ---- */

static OfxStatus message(void *handle, const char *type, const char *id, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("[host] %s: ", type);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    return kOfxStatOK;
}

static OfxStatus set_persistent(void *handle, const char *type, const char *id, const char *fmt,
                                ...) {
    struct OfxImageEffectStruct *e = handle;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->persistent, sizeof e->persistent, fmt, ap);
    va_end(ap);
    printf("[host] persistent %s: %s\n", type, e->persistent);
    return kOfxStatOK;
}

static OfxStatus clear_persistent(void *handle) {
    ((struct OfxImageEffectStruct *)handle)->persistent[0] = '\0';
    return kOfxStatOK;
}

const OfxMessageSuiteV2 host_message_suite = {message, set_persistent, clear_persistent};
