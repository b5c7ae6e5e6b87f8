/* Property sets of the test host: named, typed, multi-valued; set creates, get checks. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "host.h"

typedef enum { T_INT, T_DOUBLE, T_STRING, T_POINTER } Type;

typedef struct {
    char *name;
    Type type;
    int count;
    int *ints;
    double *doubles;
    char **strings;
    void **pointers;
} Prop;

struct OfxPropertySetStruct {
    Prop *props;
    int count, cap;
};

OfxPropertySetHandle props_new(void) { return calloc(1, sizeof(struct OfxPropertySetStruct)); }

static void prop_clear(Prop *p) {
    for (int i = 0; p->strings && i < p->count; i++) free(p->strings[i]);
    free(p->ints);
    free(p->doubles);
    free(p->strings);
    free(p->pointers);
    free(p->name);
}

void props_free(OfxPropertySetHandle set) {
    if (!set) return;
    for (int i = 0; i < set->count; i++) prop_clear(&set->props[i]);
    free(set->props);
    free(set);
}

static Prop *find(OfxPropertySetHandle set, const char *name) {
    for (int i = 0; set && name && i < set->count; i++)
        if (!strcmp(set->props[i].name, name)) return &set->props[i];
    return NULL;
}

/* The property `name` of `type`, grown to hold index `index`; NULL on a type clash. */
static Prop *slot(OfxPropertySetHandle set, const char *name, Type type, int index) {
    Prop *p = find(set, name);
    if (!p) {
        if (set->count == set->cap) {
            set->cap = set->cap ? 2 * set->cap : 16;
            set->props = realloc(set->props, (size_t)set->cap * sizeof(Prop));
        }
        p = &set->props[set->count++];
        memset(p, 0, sizeof *p);
        p->name = strdup(name);
        p->type = type;
    }
    if (p->type != type) return NULL;
    if (index >= p->count) {
        int n = index + 1;
        p->ints = realloc(p->ints, (size_t)n * sizeof(int));
        p->doubles = realloc(p->doubles, (size_t)n * sizeof(double));
        p->strings = realloc(p->strings, (size_t)n * sizeof(char *));
        p->pointers = realloc(p->pointers, (size_t)n * sizeof(void *));
        for (int i = p->count; i < n; i++) {
            p->ints[i] = 0;
            p->doubles[i] = 0;
            p->strings[i] = strdup("");
            p->pointers[i] = NULL;
        }
        p->count = n;
    }
    return p;
}

static OfxStatus lookup(OfxPropertySetHandle set, const char *name, Type type, int index,
                        Prop **out) {
    if (!set) return kOfxStatErrBadHandle;
    Prop *p = find(set, name);
    if (!p) return kOfxStatErrUnknown;
    if (p->type != type) return kOfxStatErrValue;
    if (index < 0 || index >= p->count) return kOfxStatErrBadIndex;
    *out = p;
    return kOfxStatOK;
}

#define SETTER(fn, ctype, TYPE, field, store)                                          \
    static OfxStatus fn(OfxPropertySetHandle set, const char *name, int i, ctype v) { \
        if (!set || i < 0) return set ? kOfxStatErrBadIndex : kOfxStatErrBadHandle;    \
        Prop *p = slot(set, name, TYPE, i);                                             \
        if (!p) return kOfxStatErrValue;                                                \
        store;                                                                          \
        return kOfxStatOK;                                                              \
    }
SETTER(set_int, int, T_INT, ints, p->ints[i] = v)
SETTER(set_double, double, T_DOUBLE, doubles, p->doubles[i] = v)
SETTER(set_pointer, void *, T_POINTER, pointers, p->pointers[i] = v)
SETTER(set_string, const char *, T_STRING, strings,
       (free(p->strings[i]), p->strings[i] = strdup(v ? v : "")))

#define GETTER(fn, ctype, TYPE, field)                                                 \
    static OfxStatus fn(OfxPropertySetHandle set, const char *name, int i, ctype *v) { \
        Prop *p;                                                                        \
        OfxStatus st = lookup(set, name, TYPE, i, &p);                                  \
        if (st == kOfxStatOK) *v = p->field[i];                                         \
        return st;                                                                      \
    }
GETTER(get_int, int, T_INT, ints)
GETTER(get_double, double, T_DOUBLE, doubles)
GETTER(get_pointer, void *, T_POINTER, pointers)
GETTER(get_string, char *, T_STRING, strings)

#define SETTER_N(fn, ctype, one)                                                         \
    static OfxStatus fn(OfxPropertySetHandle set, const char *name, int n, ctype v) {   \
        for (int i = 0; i < n; i++) {                                                     \
            OfxStatus st = one(set, name, i, v[i]);                                       \
            if (st != kOfxStatOK) return st;                                              \
        }                                                                                 \
        return kOfxStatOK;                                                                \
    }
SETTER_N(set_int_n, const int *, set_int)
SETTER_N(set_double_n, const double *, set_double)
SETTER_N(set_pointer_n, void *const *, set_pointer)
SETTER_N(set_string_n, const char *const *, set_string)

#define GETTER_N(fn, ctype, one)                                                   \
    static OfxStatus fn(OfxPropertySetHandle set, const char *name, int n, ctype v) { \
        for (int i = 0; i < n; i++) {                                               \
            OfxStatus st = one(set, name, i, &v[i]);                                \
            if (st != kOfxStatOK) return st;                                        \
        }                                                                           \
        return kOfxStatOK;                                                          \
    }
GETTER_N(get_int_n, int *, get_int)
GETTER_N(get_double_n, double *, get_double)
GETTER_N(get_pointer_n, void **, get_pointer)
GETTER_N(get_string_n, char **, get_string)

static OfxStatus reset(OfxPropertySetHandle set, const char *name) {
    Prop *p = find(set, name);
    if (!p) return kOfxStatErrUnknown;
    for (int i = 0; i < p->count; i++) {
        p->ints[i] = 0;
        p->doubles[i] = 0;
        p->pointers[i] = NULL;
    }
    return kOfxStatOK;
}

static OfxStatus dimension(OfxPropertySetHandle set, const char *name, int *count) {
    Prop *p = find(set, name);
    if (!p) return kOfxStatErrUnknown;
    *count = p->count;
    return kOfxStatOK;
}

const OfxPropertySuiteV1 host_property_suite = {
    set_pointer,   set_string,   set_double,   set_int,   set_pointer_n, set_string_n,
    set_double_n,  set_int_n,    get_pointer,  get_string, get_double,   get_int,
    get_pointer_n, get_string_n, get_double_n, get_int_n, reset,         dimension,
};
