/* env_table.c — a request's params as one packed "NAME\0VALUE\0" buffer
 * plus the offsets of each name and value in it. */
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

int ffc_env_table_add(struct ffc_env_table *t, const char *name,
                      size_t name_len, const char *value, size_t value_len)
{
    int rc;
    if ((rc = grow_offsets(t, 1)) < 0 ||
        (rc = ffc_buf_reserve(&t->packed, name_len + value_len + 2)) < 0)
        return rc;
    char *at = t->packed.data + t->packed.len;
    memcpy(at, name, name_len);
    at[name_len] = '\0';
    memcpy(at + name_len + 1, value, value_len);
    at[name_len + 1 + value_len] = '\0';
    t->offsets[2 * t->count] = t->packed.len;
    t->offsets[2 * t->count + 1] = t->packed.len + name_len + 1;
    t->packed.len += name_len + value_len + 2;
    t->count++;
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
}

void ffc_env_table_release(struct ffc_env_table *t)
{
    ffc_buf_release(&t->packed);
    free(t->offsets);
    t->offsets = NULL;
    t->count = t->cap = 0;
}
