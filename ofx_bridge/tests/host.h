/* The vhdr OFX test host: a minimal OFX host written for driving vhdr.ofx in tests. */
#ifndef VHDR_TEST_HOST_H
#define VHDR_TEST_HOST_H

#include "ofx_api.h"

/* ---- property sets (host_props.c) ---- */
OfxPropertySetHandle props_new(void);
void props_free(OfxPropertySetHandle set);
extern const OfxPropertySuiteV1 host_property_suite;

/* ---- effects, clips, params, images (host_suites.c) ---- */
enum { MAX_PARAMS = 24, MAX_CLIPS = 4 };

/* The clip contents the host serves: T raw frames of H×W (rows top-down), shown as RGBA with
 * R = G = B = raw, A = 1, at render scale `scale`, rows stored bottom-up (row_sign 1) or top-down
 * (row_sign -1) with `pad` extra bytes a row. */
typedef struct {
    const float *raw;
    int frames, height, width;
    double scale;
    int row_sign, pad;
    int omit_frame; /* -1, or a frame the host pretends it cannot give */
} Footage;

struct OfxParamStruct {
    char name[64], type[64];
    OfxPropertySetHandle props;
    int ival;
    char *sval;
};

struct OfxParamSetStruct {
    OfxPropertySetHandle props;
    struct OfxParamStruct params[MAX_PARAMS];
    int count;
};

struct OfxImageClipStruct {
    char name[32];
    OfxPropertySetHandle props;
    struct OfxImageEffectStruct *effect;
};

struct OfxImageEffectStruct {
    OfxPropertySetHandle props;
    struct OfxParamSetStruct params;
    struct OfxImageClipStruct clips[MAX_CLIPS];
    int clip_count;
    const Footage *footage;
    char *output_buffer;    /* the output image the host hands out (RGBA float), or NULL */
    char *output_row0;      /* address of its row output_bounds.y1 */
    int output_row_bytes;   /* either sign */
    OfxRectI output_bounds; /* its bounds at render scale */
    int is_instance;
    char persistent[2048];  /* last persistent message, "" when cleared */
    int aborted;
};

extern const OfxImageEffectSuiteV1 host_effect_suite;
extern const OfxParameterSuiteV1 host_param_suite;
extern const OfxMessageSuiteV2 host_message_suite;
extern int host_outstanding_images; /* fetched and not yet released */

void effect_init(struct OfxImageEffectStruct *effect);
void effect_free(struct OfxImageEffectStruct *effect);
/* Instance from a described effect: copies clips and params with their defaults. */
void effect_instantiate(struct OfxImageEffectStruct *inst, struct OfxImageEffectStruct *desc,
                        const char *context);
struct OfxParamStruct *param_find(struct OfxImageEffectStruct *effect, const char *name);
void param_set_string(struct OfxImageEffectStruct *effect, const char *name, const char *value);
void param_set_int(struct OfxImageEffectStruct *effect, const char *name, int value);
/* Allocate the output image at the footage's render scale (rows as the footage's), filled with
 * `fill`; output_pixel gives pixel (x, y) of it, RGBA. */
void output_alloc(struct OfxImageEffectStruct *effect, float fill);
float *output_pixel(struct OfxImageEffectStruct *effect, int x, int y);
/* The footage's size at its render scale. */
void scaled_size(const Footage *f, int *width, int *height);

#endif
