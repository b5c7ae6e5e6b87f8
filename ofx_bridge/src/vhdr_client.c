/* Frame-server client: socket checks, message framing, shared-memory segments (PROTOCOL.md). */
#define _GNU_SOURCE
#include "vhdr_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { MSG_PING = 1, MSG_PONG, MSG_RENDER, MSG_RESULT, MSG_ERROR, MSG_RELEASE };
enum { HEADER_BYTES = 12, SHM_HEADER_BYTES = 64, MAX_FIELDS = 32 };

static unsigned long next_seq(void) {
    static unsigned long seq;
    return __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
}

static int fail(char *err, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -1;
}

int vhdr_default_socket(char *out, size_t n) {
    const char *env = getenv("VHDR_SOCKET");
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    int len;
    if (env && *env)
        len = snprintf(out, n, "%s", env);
    else if (runtime && *runtime)
        len = snprintf(out, n, "%s/vhdr/serve.sock", runtime);
    else
        len = snprintf(out, n, "/tmp/vhdr-%u/serve.sock", (unsigned)geteuid());
    return len < 0 || (size_t)len >= n;
}

/* ---- segments ------------------------------------------------------------------------------ */

static void put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get_u32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get_u64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

int vhdr_segment_create(vhdr_segment *seg, unsigned frames, unsigned height, unsigned width,
                        char *err, size_t n) {
    memset(seg, 0, sizeof *seg);
    uint64_t data = (uint64_t)frames * height * width * sizeof(float);
    if (frames == 0 || height == 0 || width == 0 || data > ((uint64_t)1 << 40))
        return fail(err, n, "window of %ux%ux%u frames has no pixels or is absurdly large",
                    frames, width, height);
    snprintf(seg->name, sizeof seg->name, "/vhdr-%u-%ld-%lu-in", (unsigned)geteuid(),
             (long)getpid(), next_seq());
    int fd = shm_open(seg->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(err, n, "cannot create shared memory %s: %s", seg->name, strerror(errno));
    seg->size = (size_t)(SHM_HEADER_BYTES + data);
    if (ftruncate(fd, (off_t)seg->size) != 0) {
        int e = errno;
        close(fd);
        shm_unlink(seg->name);
        return fail(err, n, "cannot size shared memory %s to %zu bytes: %s", seg->name,
                    seg->size, strerror(e));
    }
    void *map = mmap(NULL, seg->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        shm_unlink(seg->name);
        return fail(err, n, "cannot map shared memory %s: %s", seg->name, strerror(errno));
    }
    unsigned char *h = map;
    memset(h, 0, SHM_HEADER_BYTES);
    memcpy(h, "VHDRSHM", 8);
    put_u32(h + 8, 1);
    put_u32(h + 12, 1);
    put_u32(h + 16, frames);
    put_u32(h + 20, height);
    put_u32(h + 24, width);
    put_u64(h + 32, SHM_HEADER_BYTES);
    put_u64(h + 40, data);
    seg->map = map;
    seg->data = (float *)(h + SHM_HEADER_BYTES);
    seg->frames = frames;
    seg->height = height;
    seg->width = width;
    seg->channels = 1;
    return 0;
}

void vhdr_segment_close(vhdr_segment *seg, int unlink_it) {
    if (seg->map) munmap(seg->map, seg->size);
    if (unlink_it && seg->name[0]) shm_unlink(seg->name);
    seg->map = NULL;
    seg->data = NULL;
}

static int map_output(vhdr_segment *out, const char *name, unsigned height, unsigned width,
                      char *err, size_t n) {
    memset(out, 0, sizeof *out);
    if (strncmp(name, "/vhdr-", 6) != 0 || strlen(name) >= sizeof out->name)
        return fail(err, n, "the server named an invalid output segment '%s'", name);
    snprintf(out->name, sizeof out->name, "%s", name);
    int fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return fail(err, n, "cannot open output segment %s: %s", name, strerror(errno));
    struct stat st;
    uint64_t data = (uint64_t)height * width * 3 * sizeof(float);
    if (fstat(fd, &st) != 0 || st.st_uid != geteuid() ||
        (uint64_t)st.st_size != SHM_HEADER_BYTES + data) {
        close(fd);
        return fail(err, n, "output segment %s has the wrong size or owner", name);
    }
    out->size = (size_t)st.st_size;
    void *map = mmap(NULL, out->size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return fail(err, n, "cannot map %s: %s", name, strerror(errno));
    const unsigned char *h = map;
    if (memcmp(h, "VHDRSHM", 8) != 0 || get_u32(h + 8) != 1 || get_u32(h + 12) != 3 ||
        get_u32(h + 16) != 1 || get_u32(h + 20) != height || get_u32(h + 24) != width ||
        get_u64(h + 32) != SHM_HEADER_BYTES || get_u64(h + 40) != data) {
        munmap(map, out->size);
        return fail(err, n, "output segment %s has a bad header", name);
    }
    out->map = map;
    out->data = (float *)(h + SHM_HEADER_BYTES);
    out->frames = 1;
    out->height = height;
    out->width = width;
    out->channels = 3;
    return 0;
}

/* ---- socket -------------------------------------------------------------------------------- */

int vhdr_connect(const char *path, char *err, size_t n) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        return fail(err, n, "socket path %s is longer than %zu bytes", path, sizeof addr.sun_path - 1);
    struct stat st;
    if (lstat(path, &st) != 0) {
        fail(err, n, "no vhdr server is running: %s: %s", path, strerror(errno));
        return errno == ENOENT ? -VHDR_NO_SERVER : -1;
    }
    if (!S_ISSOCK(st.st_mode)) return fail(err, n, "%s exists but is not a socket", path);
    if (st.st_uid != geteuid())
        return fail(err, n, "%s belongs to uid %u, not to you (uid %u); refusing to send frames "
                    "to another user's server", path, (unsigned)st.st_uid, (unsigned)geteuid());
    if (st.st_mode & 077)
        return fail(err, n, "%s has mode %03o; a vhdr server socket must be private (0600)", path,
                    (unsigned)(st.st_mode & 0777));
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(err, n, "socket(): %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        int e = errno;
        close(fd);
        fail(err, n, "no vhdr server is running on %s (%s)", path, strerror(e));
        return e == ECONNREFUSED || e == ENOENT ? -VHDR_NO_SERVER : -1;
    }
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != geteuid()) {
        close(fd);
        return fail(err, n, "the server on %s does not run as your user", path);
    }
    return fd;
}

static int send_msg(int fd, int type, const char *body, size_t len, char *err, size_t n) {
    unsigned char header[HEADER_BYTES];
    memcpy(header, "VHDR", 4);
    uint16_t version = VHDR_PROTOCOL_VERSION, kind = (uint16_t)type;
    memcpy(header + 4, &version, 2);
    memcpy(header + 6, &kind, 2);
    put_u32(header + 8, (uint32_t)len);
    const char *parts[2] = {(const char *)header, body};
    size_t sizes[2] = {HEADER_BYTES, len};
    for (int i = 0; i < 2; i++) {
        for (size_t done = 0; done < sizes[i];) {
            ssize_t k = send(fd, parts[i] + done, sizes[i] - done, MSG_NOSIGNAL);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0)
                return fail(err, n, "the vhdr server closed the connection (%s)", strerror(errno));
            done += (size_t)k;
        }
    }
    return 0;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Read exactly len bytes, polling so that the deadline and the abort callback are honoured. */
static int recv_all(int fd, void *buf, size_t len, double deadline, const vhdr_request *req,
                    char *err, size_t n) {
    for (size_t done = 0; done < len;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, 100);
        if (ready < 0 && errno != EINTR) return fail(err, n, "poll(): %s", strerror(errno));
        if (req && req->aborted && req->aborted(req->abort_ctx))
            return fail(err, n, "render aborted by the host");
        if (ready <= 0) {
            if (now_ms() > deadline)
                return fail(err, n, "the vhdr server did not answer within %d s",
                            req ? req->timeout_ms / 1000 : 0);
            continue;
        }
        ssize_t k = recv(fd, (char *)buf + done, len - done, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0)
            return fail(err, n, "the vhdr server closed the connection before answering "
                        "(did it crash or stop?)");
        done += (size_t)k;
    }
    return 0;
}

typedef struct {
    char *body;
    int count;
    const char *keys[MAX_FIELDS], *values[MAX_FIELDS];
} message;

static const char *field(const message *m, const char *key) {
    for (int i = 0; i < m->count; i++)
        if (strcmp(m->keys[i], key) == 0) return m->values[i];
    return NULL;
}

/* Read one reply into m (body malloc'ed; free m->body). */
static int recv_msg(int fd, int *type, message *m, const vhdr_request *req, char *err, size_t n) {
    unsigned char header[HEADER_BYTES];
    double deadline = now_ms() + (req && req->timeout_ms > 0 ? req->timeout_ms : 30000);
    memset(m, 0, sizeof *m);
    if (recv_all(fd, header, HEADER_BYTES, deadline, req, err, n)) return -1;
    uint16_t version, kind;
    memcpy(&version, header + 4, 2);
    memcpy(&kind, header + 6, 2);
    uint32_t len = get_u32(header + 8);
    if (memcmp(header, "VHDR", 4) != 0) return fail(err, n, "the server's reply has a bad magic");
    if (version != VHDR_PROTOCOL_VERSION)
        return fail(err, n, "the server speaks protocol version %u; this plugin speaks %d",
                    version, VHDR_PROTOCOL_VERSION);
    if (len > VHDR_MAX_BODY) return fail(err, n, "the server's reply is too large (%u bytes)", len);
    m->body = malloc(len + 1);
    if (!m->body) return fail(err, n, "out of memory");
    if (recv_all(fd, m->body, len, deadline, req, err, n)) return -1;
    m->body[len] = '\0';
    *type = kind;
    for (char *line = m->body, *end; *line && m->count < MAX_FIELDS; line = end + 1) {
        end = strchr(line, '\n');
        if (!end) break;
        *end = '\0';
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        m->keys[m->count] = line;
        m->values[m->count++] = eq + 1;
    }
    return 0;
}

static int has_newline(const char *s) { return s && strpbrk(s, "\n\r") != NULL; }

int vhdr_render(int fd, const vhdr_segment *in, unsigned target, const vhdr_request *req,
                vhdr_segment *out, char *err, size_t n) {
    memset(out, 0, sizeof *out);
    int use_mask = req->mask_file && *req->mask_file;
    const char *source = use_mask ? req->mask_file : req->camera;
    const char *space = req->colorspace && *req->colorspace ? req->colorspace : "auto";
    const char *colour = req->colour_file ? req->colour_file : "";
    if (has_newline(req->model) || has_newline(source) || has_newline(req->cfa) ||
        has_newline(space) || has_newline(colour))
        return fail(err, n, "model, cfa, mask file, camera and colour file must not contain line "
                            "breaks");
    static const size_t cap = VHDR_MAX_BODY + 1;
    char *body = malloc(cap);
    if (!body) return fail(err, n, "out of memory");
    int len = snprintf(body, cap,
                       "id=%lu\nshm=%s\nframes=%u\nheight=%u\nwidth=%u\ntarget=%u\nmodel=%s\n"
                       "cfa=%s\nwindow=%d\n%s=%s\nscale_x=%.17g\nscale_y=%.17g\ntimeout_ms=%d\n"
                       "colorspace=%s\n%s%s%s",
                       next_seq(), in->name, in->frames, in->height, in->width, target,
                       req->model, req->cfa, req->window, use_mask ? "mask_file" : "camera",
                       source ? source : "", req->scale_x, req->scale_y, req->timeout_ms, space,
                       *colour ? "colour_file=" : "", colour, *colour ? "\n" : "");
    int rc = len < 0 || (size_t)len >= cap
                 ? fail(err, n, "the request is longer than %d bytes", VHDR_MAX_BODY)
                 : send_msg(fd, MSG_RENDER, body, (size_t)len, err, n);
    free(body);
    if (rc) return -1;
    int type = 0;
    message m;
    rc = recv_msg(fd, &type, &m, req, err, n);
    if (rc == 0 && type == MSG_ERROR) {
        const char *name = field(&m, "name"), *text = field(&m, "message");
        rc = fail(err, n, "vhdr server: %s: %s", name ? name : "ERROR", text ? text : "");
    } else if (rc == 0 && type != MSG_RESULT) {
        rc = fail(err, n, "unexpected reply type %d from the vhdr server", type);
    } else if (rc == 0) {
        const char *name = field(&m, "shm"), *h = field(&m, "height"), *w = field(&m, "width");
        if (!name || !h || !w || (unsigned)atoi(h) != in->height || (unsigned)atoi(w) != in->width)
            rc = fail(err, n, "the vhdr server's RESULT does not match the request");
        else
            rc = map_output(out, name, in->height, in->width, err, n);
        if (rc && name) { /* tell the server to drop it */
            char release[160], ignored[8];
            int k = snprintf(release, sizeof release, "shm=%s\n", name);
            if (k > 0 && (size_t)k < sizeof release)
                send_msg(fd, MSG_RELEASE, release, (size_t)k, ignored, sizeof ignored);
        }
    }
    free(m.body);
    return rc;
}

void vhdr_release(int fd, vhdr_segment *out) {
    char body[160];
    int k = snprintf(body, sizeof body, "shm=%s\n", out->name);
    char ignored[8];
    if (k > 0 && (size_t)k < sizeof body) send_msg(fd, MSG_RELEASE, body, (size_t)k, ignored, sizeof ignored);
    vhdr_segment_close(out, 0);
}
