/* Client side of the vhdr frame-server protocol (ofx_bridge/PROTOCOL.md), plain C11 + POSIX.
 * Every function that can fail writes a one-line message into err (size n) and returns nonzero. */
#ifndef VHDR_CLIENT_H
#define VHDR_CLIENT_H

#include <stddef.h>

#define VHDR_PROTOCOL_VERSION 2 /* 2: colorspace / colour_file in RENDER (colour stage) */
#define VHDR_MAX_BODY 65536
#define VHDR_NO_SERVER 2 /* vhdr_connect: nothing listens there (start one) */

/* A mapped shared-memory segment: 64-byte header, then float32 [t][row][col][channel]. */
typedef struct {
    char name[96];
    void *map;
    size_t size;
    float *data;
    unsigned frames, height, width, channels;
} vhdr_segment;

/* What one RENDER request carries besides the pixels. */
typedef struct {
    const char *model, *cfa, *mask_file, *camera; /* exactly one of mask_file / camera non-empty */
    const char *colorspace;  /* auto, acescg, aces2065-1, rec709 or camera (NULL: auto) */
    const char *colour_file; /* optional: a DNG of the shot or a JSON of DNG colour fields */
    int window;
    double scale_x, scale_y;
    int timeout_ms;
    int (*aborted)(void *ctx); /* polled while waiting; nonzero abandons the request */
    void *abort_ctx;
} vhdr_request;

/* $VHDR_SOCKET, else $XDG_RUNTIME_DIR/vhdr/serve.sock, else /tmp/vhdr-<uid>/serve.sock. */
int vhdr_default_socket(char *out, size_t n);

/* Create and map input segment /vhdr-<uid>-<pid>-<seq>-in for T×H×W×1 floats (mode 0600). */
int vhdr_segment_create(vhdr_segment *seg, unsigned frames, unsigned height, unsigned width,
                        char *err, size_t n);
/* Unmap; with unlink_it, also remove the name (a missing name is fine). */
void vhdr_segment_close(vhdr_segment *seg, int unlink_it);

/* Connect after checking the socket is ours (owner, mode 0600) and so is the peer (SO_PEERCRED).
 * Returns the descriptor, -1 on error, or -VHDR_NO_SERVER when no server listens there. */
int vhdr_connect(const char *path, char *err, size_t n);

/* Send RENDER for window `in` (frame `target`), wait for the reply and map the RESULT segment
 * into `out` (release it with vhdr_release). */
int vhdr_render(int fd, const vhdr_segment *in, unsigned target, const vhdr_request *req,
                vhdr_segment *out, char *err, size_t n);

/* Tell the server we are done with `out` and unmap it. */
void vhdr_release(int fd, vhdr_segment *out);

/* Start `command serve --socket PATH --idle-exit 900` detached (command is split on spaces, its
 * output appended to <socket folder>/serve.log) and wait up to wait_ms for it to listen. */
int vhdr_start_server(const char *command, const char *socket_path, int wait_ms, char *err,
                      size_t n);

/* Collect servers started by vhdr_start_server that have exited. */
void vhdr_reap_servers(void);

#endif
