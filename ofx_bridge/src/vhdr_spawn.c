/* Starting a frame server on demand: posix_spawn, detached (own session), log file, wait. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vhdr_client.h"

extern char **environ;

enum { MAX_ARGS = 24, MAX_CHILDREN = 16 };

static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t children[MAX_CHILDREN];

static int fail(char *err, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -1;
}

void vhdr_reap_servers(void) {
    pthread_mutex_lock(&spawn_lock);
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] > 0 && waitpid(children[i], NULL, WNOHANG) != 0) children[i] = 0;
    pthread_mutex_unlock(&spawn_lock);
}

static void remember(pid_t pid) {
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] == 0) {
            children[i] = pid;
            return;
        }
}

/* The last non-empty line of the log (what a failing server printed last). */
static void last_line(const char *path, char *out, size_t n) {
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0]) snprintf(out, n, "%s", line);
    }
    fclose(f);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int spawn(char **argv, const char *log, pid_t *pid, char *err, size_t n) {
    size_t count = 0, kept = 0;
    while (environ[count]) count++;
    char **env = calloc(count + 1, sizeof *env);
    if (!env) return fail(err, n, "out of memory");
    for (size_t i = 0; i < count; i++) /* the host's PYTHONHOME would break another Python */
        if (strncmp(environ[i], "PYTHONHOME=", 11) != 0) env[kept++] = environ[i];
    posix_spawn_file_actions_t files;
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGCHLD);
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&files, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&files, 1, 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
    posix_spawn_file_actions_addclosefrom_np(&files, 3); /* keep none of the host's files */
#endif
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    int rc = posix_spawnp(pid, argv[0], &files, &attr, argv, env);
    free(env);
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) return fail(err, n, "cannot start '%s': %s", argv[0], strerror(rc));
    return 0;
}

int vhdr_start_server(const char *command, const char *socket_path, int wait_ms, char *err,
                      size_t n) {
    char words[1024], folder[1024], log[1100];
    char *argv[MAX_ARGS + 8];
    int argc = 0;
    err[0] = '\0';
    if (snprintf(words, sizeof words, "%s", command) >= (int)sizeof words ||
        snprintf(folder, sizeof folder, "%s", socket_path) >= (int)sizeof folder)
        return fail(err, n, "server command or socket path too long");
    for (char *save = NULL, *w = strtok_r(words, " \t", &save); w && argc < MAX_ARGS;
         w = strtok_r(NULL, " \t", &save))
        argv[argc++] = w;
    if (argc == 0) return fail(err, n, "no server command is set; start `vhdr serve` yourself");
    argv[argc++] = "serve";
    argv[argc++] = "--socket";
    argv[argc++] = (char *)socket_path;
    argv[argc++] = "--idle-exit";
    argv[argc++] = "900";
    argv[argc] = NULL;
    char *slash = strrchr(folder, '/');
    if (slash && slash != folder) *slash = '\0';
    else snprintf(folder, sizeof folder, ".");
    if (mkdir(folder, 0700) != 0 && errno != EEXIST)
        return fail(err, n, "cannot create the socket folder %s: %s", folder, strerror(errno));
    snprintf(log, sizeof log, "%s/serve.log", folder);

    pthread_mutex_lock(&spawn_lock);
    char probe_err[512];
    int fd = vhdr_connect(socket_path, probe_err, sizeof probe_err);
    if (fd >= 0) { /* another thread started it meanwhile */
        close(fd);
        pthread_mutex_unlock(&spawn_lock);
        return 0;
    }
    pid_t pid;
    if (spawn(argv, log, &pid, err, n)) {
        pthread_mutex_unlock(&spawn_lock);
        return -1;
    }
    remember(pid);
    int rc = -1;
    for (int waited = 0; waited <= wait_ms; waited += 100) {
        fd = vhdr_connect(socket_path, probe_err, sizeof probe_err);
        if (fd >= 0) {
            close(fd);
            rc = 0;
            break;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            char line[400];
            last_line(log, line, sizeof line);
            fail(err, n, "'%s serve' exited with status %d before listening: %s (log: %s)",
                 argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                 line[0] ? line : "no output", log);
            break;
        }
        sleep_ms(100);
    }
    if (rc != 0 && err[0] == '\0')
        fail(err, n, "started '%s serve' (pid %ld) but it did not listen on %s within %d s; see %s",
             argv[0], (long)pid, socket_path, wait_ms / 1000, log);
    pthread_mutex_unlock(&spawn_lock);
    return rc;
}
