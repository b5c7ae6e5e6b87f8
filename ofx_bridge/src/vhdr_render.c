/* The Render action: fetch the window's raw frames (R channel), hand them to the frame server
 * through shared memory, write the returned HDR frame into the output image. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vhdr_client.h"
#include "vhdr_ofx.h"

#define START_WAIT_MS 90000

/* Reads an image's layout; fails unless it is float RGBA with data. */
static int image_pixels(OfxPropertySetHandle image, Pixels *px, char *err, size_t n) {
    char *depth = NULL, *components = NULL;
    void *data = NULL;
    P->propGetString(image, kOfxImageEffectPropPixelDepth, 0, &depth);
    P->propGetString(image, kOfxImageEffectPropComponents, 0, &components);
    if (!depth || strcmp(depth, kOfxBitDepthFloat) || !components ||
        strcmp(components, kOfxImageComponentRGBA)) {
        snprintf(err, n, "vhdr needs float RGBA images; the host gave %s %s",
                 depth ? depth : "?", components ? components : "?");
        return -1;
    }
    if (P->propGetIntN(image, kOfxImagePropBounds, 4, &px->bounds.x1) != kOfxStatOK ||
        P->propGetInt(image, kOfxImagePropRowBytes, 0, &px->row_bytes) != kOfxStatOK ||
        P->propGetPointer(image, kOfxImagePropData, 0, &data) != kOfxStatOK || !data ||
        px->bounds.x2 <= px->bounds.x1 || px->bounds.y2 <= px->bounds.y1) {
        snprintf(err, n, "the host gave an image without data, bounds or row bytes");
        return -1;
    }
    px->data = data;
    return 0;
}

/* Pixel (x, y) of an image whose rows may run up or down in memory (row_bytes of either sign). */
static float *pixel(const Pixels *px, int x, int y) {
    return (float *)(px->data + (ptrdiff_t)(y - px->bounds.y1) * px->row_bytes) +
           (ptrdiff_t)4 * (x - px->bounds.x1);
}

static int host_aborted(void *effect) { return E->abort((OfxImageEffectHandle)effect) != 0; }

/* Copy the R channel of Source frames first..last into a new input segment, rows top-down. */
static int fetch_window(const Instance *inst, int first, int last, vhdr_segment *seg,
                        OfxRectI *bounds, char *err, size_t n) {
    for (int f = first; f <= last; f++) {
        OfxPropertySetHandle image = NULL;
        Pixels px;
        if (E->clipGetImage(inst->source, f, NULL, &image) != kOfxStatOK || !image) {
            snprintf(err, n, "the host gave no Source image at frame %d", f);
            return -1;
        }
        int bad = image_pixels(image, &px, err, n);
        if (!bad && f == first) {
            *bounds = px.bounds;
            bad = vhdr_segment_create(seg, (unsigned)(last - first + 1),
                                      (unsigned)(px.bounds.y2 - px.bounds.y1),
                                      (unsigned)(px.bounds.x2 - px.bounds.x1), err, n);
        } else if (!bad && memcmp(&px.bounds, bounds, sizeof *bounds) != 0) {
            snprintf(err, n, "Source frame %d has bounds (%d,%d)-(%d,%d) but frame %d has "
                     "(%d,%d)-(%d,%d); vhdr needs frames of one size", f, px.bounds.x1,
                     px.bounds.y1, px.bounds.x2, px.bounds.y2, first, bounds->x1, bounds->y1,
                     bounds->x2, bounds->y2);
            bad = -1;
        }
        if (!bad) {
            size_t w = seg->width, h = seg->height;
            float *plane = seg->data + (size_t)(f - first) * h * w;
            for (size_t r = 0; r < h; r++) {
                const float *src = pixel(&px, bounds->x1, bounds->y2 - 1 - (int)r);
                for (size_t c = 0; c < w; c++) plane[r * w + c] = src[4 * c];
            }
        }
        E->clipReleaseImage(image);
        if (bad) return -1;
    }
    return 0;
}

/* Connect to the server, starting one when none runs and the parameters allow it. */
static int open_server(const Settings *s, char *err, size_t n) {
    char path[600];
    if (s->socket[0])
        snprintf(path, sizeof path, "%s", s->socket);
    else if (vhdr_default_socket(path, sizeof path)) {
        snprintf(err, n, "the default socket path is too long");
        return -1;
    }
    int fd = vhdr_connect(path, err, n);
    if (fd != -VHDR_NO_SERVER) return fd;
    if (!s->auto_start) {
        size_t used = strlen(err);
        snprintf(err + used, n - used, "; start one with `vhdr serve --socket %s` "
                 "(Start server is off)", path);
        return -1;
    }
    if (vhdr_start_server(s->command, path, START_WAIT_MS, err, n)) return -1;
    fd = vhdr_connect(path, err, n);
    return fd < 0 ? -1 : fd;
}

/* Write the server's RGB frame (top-down rows over the source bounds) into the render window. */
static void write_output(const Pixels *dst, const OfxRectI *window, const OfxRectI *src,
                         const float *rgb) {
    int x1 = window->x1 > dst->bounds.x1 ? window->x1 : dst->bounds.x1;
    int x2 = window->x2 < dst->bounds.x2 ? window->x2 : dst->bounds.x2;
    int y1 = window->y1 > dst->bounds.y1 ? window->y1 : dst->bounds.y1;
    int y2 = window->y2 < dst->bounds.y2 ? window->y2 : dst->bounds.y2;
    size_t width = (size_t)(src->x2 - src->x1);
    for (int y = y1; y < y2; y++) {
        float *out = pixel(dst, x1, y);
        for (int x = x1; x < x2; x++, out += 4) {
            if (x < src->x1 || x >= src->x2 || y < src->y1 || y >= src->y2) {
                out[0] = out[1] = out[2] = out[3] = 0.0f;
                continue;
            }
            const float *p = rgb + 3 * ((size_t)(src->y2 - 1 - y) * width + (size_t)(x - src->x1));
            out[0] = p[0];
            out[1] = p[1];
            out[2] = p[2];
            out[3] = 1.0f;
        }
    }
}

OfxStatus render(OfxImageEffectHandle effect, OfxPropertySetHandle in) {
    Instance *inst = instance_of(effect);
    double time = 0, scale[2] = {1.0, 1.0};
    OfxRectI window;
    Settings s;
    if (!inst) return report(effect, "render: this effect instance has no vhdr data");
    P->propGetDouble(in, kOfxPropTime, 0, &time);
    P->propGetDoubleN(in, kOfxImageEffectPropRenderScale, 2, scale);
    if (P->propGetIntN(in, kOfxImageEffectPropRenderWindow, 4, &window.x1) != kOfxStatOK)
        return report(effect, "render: the host gave no render window");
    read_settings(inst, time, &s);
    if (!s.mask_file[0] == !s.camera[0])
        return report(effect, "set exactly one of 'Mask file' and 'Camera' (the sensor's mask)");
    int first, last, target;
    window_around(inst, time, s.window, &first, &last, &target);

    char err[1400] = "";
    vhdr_segment raw = {0}, result = {0};
    OfxRectI bounds;
    OfxPropertySetHandle output = NULL;
    Pixels dst;
    int fd = -1, ok = 0;
    vhdr_reap_servers();
    if (fetch_window(inst, first, last, &raw, &bounds, err, sizeof err)) goto done;
    fd = open_server(&s, err, sizeof err);
    if (fd < 0) goto done;
    vhdr_request req = {s.model,     CFAS[s.cfa],           s.mask_file,   s.camera,
                        COLORSPACES[s.colorspace], s.colour_file, s.window, scale[0],
                        scale[1],    s.timeout_s * 1000,    host_aborted,  effect};
    if (vhdr_render(fd, &raw, (unsigned)target, &req, &result, err, sizeof err)) goto done;
    if (E->clipGetImage(inst->output, time, NULL, &output) != kOfxStatOK || !output) {
        snprintf(err, sizeof err, "the host gave no Output image at time %g", time);
        goto done;
    }
    if (image_pixels(output, &dst, err, sizeof err)) goto done;
    write_output(&dst, &window, &bounds, result.data);
    ok = 1;
done:
    if (result.map) vhdr_release(fd, &result);
    if (fd >= 0) close(fd);
    vhdr_segment_close(&raw, 1);
    if (output) E->clipReleaseImage(output);
    if (!ok) return report(effect, "frame %g: %s", time, err);
    if (M && message_version >= 2) M->clearPersistentMessage(effect);
    return kOfxStatOK;
}
