/* env_table.c — a request's params as one packed "NAME\0VALUE\0" buffer
 * plus the offsets of each name and value in it. */
#include <stdlib.h>
#include <string.h>

#include "env_table.h"
#include "error.h"

static int grow_offsets(struct ffc_env_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 32;
    size_t *grown = realloc(t->offsets, cap * 2 * sizeof *grown);
    if (!grown)
        return ffc_fail(FFCGI_ENOMEM, "cannot index %zu params", cap);
    t->offsets = grown;
    t->cap = cap;
    return 0;
}

int ffc_env_table_add(struct ffc_env_table *t, const char *name,
                      size_t name_len, const char *value, size_t value_len)
{
    static const char nul = '\0';
    int rc;
    if (t->count == t->cap && (rc = grow_offsets(t)) < 0)
        return rc;
    size_t name_at = t->packed.len;
    size_t value_at = name_at + name_len + 1;
    if ((rc = ffc_buf_append(&t->packed, name, name_len)) < 0 ||
        (rc = ffc_buf_append(&t->packed, &nul, 1)) < 0 ||
        (rc = ffc_buf_append(&t->packed, value, value_len)) < 0 ||
        (rc = ffc_buf_append(&t->packed, &nul, 1)) < 0) {
        t->packed.len = name_at;
        return rc;
    }
    t->offsets[2 * t->count] = name_at;
    t->offsets[2 * t->count + 1] = value_at;
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
