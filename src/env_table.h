/* env_table.h — a request's params: one packed "NAME\0VALUE\0" buffer and
 * the offsets of each name and value in it (env_table.c). */
#ifndef FFCGI_ENV_TABLE_H
#define FFCGI_ENV_TABLE_H

#include <stddef.h>

#include "buffer.h"

/* The params the library itself reads for every request (the scoreboard,
 * the declared-body check, the status page): found without a search. */
enum ffc_known_param {
    FFC_CONTENT_LENGTH,
    FFC_REQUEST_METHOD,
    FFC_REQUEST_URI,
    FFC_SCRIPT_NAME,
    FFC_PATH_INFO,
    FFC_QUERY_STRING,
    FFC_KNOWN_PARAMS
};

struct ffc_env_table {
    struct ffc_buf packed; /* the ffcgi_env_packed() buffer */
    size_t *offsets;       /* 2 per param: name and value offsets in packed */
    size_t count;
    size_t cap;
    size_t known[FFC_KNOWN_PARAMS]; /* 1 + the index of the first param of
                                     * each known name; 0: none */
};

/* Makes room for `params` more params holding `bytes` more packed bytes
 * (names, values and their NULs), so that adding them allocates nothing;
 * returns 0 or FFCGI_ENOMEM (table unchanged). */
int ffc_env_table_reserve(struct ffc_env_table *t, size_t params, size_t bytes);
/* Adds one param, copying both; returns 0 or FFCGI_ENOMEM (table unchanged). */
int ffc_env_table_add(struct ffc_env_table *t, const char *name,
                      size_t name_len, const char *value, size_t value_len);
/* Adds "NAME=VALUE" (split at the first '='; no '=' means an empty value). */
int ffc_env_table_add_assignment(struct ffc_env_table *t, const char *entry);
/* The length of param i's name (its value follows the name's NUL). */
static inline size_t ffc_env_table_name_len(const struct ffc_env_table *t, size_t i)
{
    return t->offsets[2 * i + 1] - t->offsets[2 * i] - 1;
}
/* The value of the first param called `name`, or NULL. */
const char *ffc_env_table_find(const struct ffc_env_table *t, const char *name);
/* The value of the first param of a known name, or NULL; no search. */
static inline const char *ffc_env_table_known(const struct ffc_env_table *t,
                                              enum ffc_known_param which)
{
    size_t at = t->known[which];
    return at ? t->packed.data + t->offsets[2 * (at - 1) + 1] : NULL;
}
void ffc_env_table_clear(struct ffc_env_table *t);
void ffc_env_table_release(struct ffc_env_table *t);

#endif
