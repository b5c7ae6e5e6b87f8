/* Shared between the plugin's translation units (all symbols hidden: -fvisibility=hidden). */
#ifndef VHDR_OFX_H
#define VHDR_OFX_H

#include <stddef.h>

#include "ofx_api.h"

extern const OfxPropertySuiteV1 *P;
extern const OfxImageEffectSuiteV1 *E;
extern const OfxParameterSuiteV1 *Q;
extern const OfxMessageSuiteV2 *M;
extern int message_version;
extern const char *const CFAS[4];
extern const char *const COLORSPACES[5];

typedef struct {
    OfxImageClipHandle source, output;
    OfxParamHandle window, model, cfa, mask_file, camera, socket, auto_start, command, timeout;
    OfxParamHandle colorspace, colour_file;
} Instance;

/* Parameter values at one time. */
typedef struct {
    int window, cfa, auto_start, timeout_s, colorspace;
    char model[256], mask_file[1024], camera[256], socket[512], command[1024];
    char colour_file[1024];
} Settings;

/* A host image: bounds in pixels, row stride in bytes (either sign), data at (x1, y1). */
typedef struct {
    OfxRectI bounds;
    int row_bytes;
    char *data;
} Pixels;

OfxStatus report(OfxImageEffectHandle effect, const char *fmt, ...);
Instance *instance_of(OfxImageEffectHandle effect);
void read_settings(const Instance *inst, OfxTime time, Settings *s);
void window_around(const Instance *inst, OfxTime time, int window, int *first, int *last,
                   int *target);
OfxStatus render(OfxImageEffectHandle effect, OfxPropertySetHandle in);

#endif
