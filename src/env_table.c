/* env_table.c — a request's params as one packed "NAME\0VALUE\0" buffer
 * plus the offsets of each name and value in it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "env_table.h"
#include "error.h"

/* Room for `params` more params in the offsets (doubling from 32). */
static int grow_offsets(struct ffc_env_table *t, size_t params)
{
    if (params <= t->cap - t->count)
        return 0;
    size_t cap = t->cap ? t->cap : 32;
    while (cap - t->count < params) {
        if (cap > ((size_t)-1) / (4 * sizeof *t->offsets))
            return ffc_fail(FFCGI_ENOMEM, "cannot index %zu params", t->count + params);
        cap *= 2;
    }
    size_t *grown = realloc(t->offsets, cap * 2 * sizeof *grown);
    if (!grown)
        return ffc_fail(FFCGI_ENOMEM, "cannot index %zu params", cap);
    t->offsets = grown;
    t->cap = cap;
    return 0;
}

int ffc_env_table_reserve(struct ffc_env_table *t, size_t params, size_t bytes)
{
    int rc = grow_offsets(t, params);
    return rc < 0 ? rc : ffc_buf_reserve(&t->packed, bytes);
}

/* Which known param `name` is, or FFC_KNOWN_PARAMS. By length first:
 * most params are passed over by one comparison, and the compares of a
 * constant size are inlined. */
static enum ffc_known_param known_name(const char *name, size_t len)
{
#define IS(text) (memcmp(name, text, sizeof text - 1) == 0)
    switch (len) {
    case 9:
        return IS("PATH_INFO") ? FFC_PATH_INFO : FFC_KNOWN_PARAMS;
    case 11:
        return IS("REQUEST_URI") ? FFC_REQUEST_URI
               : IS("SCRIPT_NAME") ? FFC_SCRIPT_NAME : FFC_KNOWN_PARAMS;
    case 12:
        return IS("QUERY_STRING") ? FFC_QUERY_STRING : FFC_KNOWN_PARAMS;
    case 14:
        return IS("CONTENT_LENGTH") ? FFC_CONTENT_LENGTH
               : IS("REQUEST_METHOD") ? FFC_REQUEST_METHOD : FFC_KNOWN_PARAMS;
    default:
        return FFC_KNOWN_PARAMS;
    }
#undef IS
}

/* memcpy, with the short copies most names and values need done inline
 * (two overlapping moves of a fixed size, no call). */
static inline void copy_bytes(char *to, const char *from, size_t n)
{
    uint64_t head, tail;
    if (n >= 8 && n <= 16) {
        memcpy(&head, from, 8);
        memcpy(&tail, from + n - 8, 8);
        memcpy(to, &head, 8);
        memcpy(to + n - 8, &tail, 8);
    } else {
        memcpy(to, from, n);
    }
}

int ffc_env_table_add(struct ffc_env_table *t, const char *name,
                      size_t name_len, const char *value, size_t value_len)
{
    size_t bytes = name_len + value_len + 2;
    if (t->count == t->cap || bytes > t->packed.cap - t->packed.len) {
        int rc = ffc_env_table_reserve(t, 1, bytes);
        if (rc < 0)
            return rc;
    }
    char *at = t->packed.data + t->packed.len;
    copy_bytes(at, name, name_len);
    at[name_len] = '\0';
    copy_bytes(at + name_len + 1, value, value_len);
    at[name_len + 1 + value_len] = '\0';
    t->offsets[2 * t->count] = t->packed.len;
    t->offsets[2 * t->count + 1] = t->packed.len + name_len + 1;
    t->packed.len += bytes;
    enum ffc_known_param which = known_name(name, name_len);
    t->count++;
    if (which != FFC_KNOWN_PARAMS && !t->known[which])
        t->known[which] = t->count;
    return 0;
}

int ffc_env_table_add_assignment(struct ffc_env_table *t, const char *entry)
{
    const char *eq = strchr(entry, '=');
    if (!eq)
        return ffc_env_table_add(t, entry, strlen(entry), "", 0);
    return ffc_env_table_add(t, entry, (size_t)(eq - entry), eq + 1,
                             strlen(eq + 1));
}

const char *ffc_env_table_find(const struct ffc_env_table *t, const char *name)
{
    for (size_t i = 0; i < t->count; i++) {
        const char *candidate = t->packed.data + t->offsets[2 * i];
        if (strcmp(candidate, name) == 0)
            return t->packed.data + t->offsets[2 * i + 1];
    }
    return NULL;
}

void ffc_env_table_clear(struct ffc_env_table *t)
{
    ffc_buf_clear(&t->packed);
    t->count = 0;
    memset(t->known, 0, sizeof t->known);
}

void ffc_env_table_release(struct ffc_env_table *t)
{
    ffc_buf_release(&t->packed);
    free(t->offsets);
    t->offsets = NULL;
    t->count = t->cap = 0;
    memset(t->known, 0, sizeof t->known);
}
