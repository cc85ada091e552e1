/* env.c — the CGI params of the current request. FastCGI lookups by name
 * go straight to libfcgi's array; iteration and the packed form use a table
 * built on first use and kept until the request ends. */
#include <string.h>

#include "internal.h"

/* Fills the table from libfcgi's "NAME=VALUE" array, once per request. */
static int build_table(ffcgi_request *req)
{
    if (req->env.built)
        return 0;
    for (char **e = req->fcgx.envp; e && *e; e++) {
        int rc = ffc_env_table_add_assignment(&req->env, *e);
        if (rc < 0) {
            ffc_env_table_clear(&req->env);
            return rc;
        }
    }
    req->env.built = 1;
    return 0;
}

const char *ffcgi_env_get(ffcgi_request *req, const char *name)
{
    if (!name || ffc_require_current(req, "ffcgi_env_get") < 0)
        return NULL;
    if (req->env.built) /* CGI, replayed requests, or after iterating */
        return ffc_env_table_find(&req->env, name);
    return FCGX_GetParam(name, req->fcgx.envp);
}

size_t ffcgi_env_count(ffcgi_request *req)
{
    if (ffc_require_current(req, "ffcgi_env_count") < 0)
        return 0;
    if (req->env.built)
        return req->env.count;
    size_t n = 0;
    for (char **e = req->fcgx.envp; e && *e; e++)
        n++;
    return n;
}

int ffcgi_env_at(ffcgi_request *req, size_t index, const char **name,
                 const char **value)
{
    if (name)
        *name = NULL;
    if (value)
        *value = NULL;
    if (!name || !value)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_env_at: name or value is NULL");
    int rc = ffc_require_current(req, "ffcgi_env_at");
    if (rc < 0 || (rc = build_table(req)) < 0)
        return rc;
    if (index >= req->env.count)
        return ffc_fail(FFCGI_ERANGE, "ffcgi_env_at: index %zu, but the request has %zu params",
                        index, req->env.count);
    *name = req->env.packed.data + req->env.offsets[2 * index];
    *value = req->env.packed.data + req->env.offsets[2 * index + 1];
    return 0;
}

int ffcgi_env_packed(ffcgi_request *req, const char **buf, size_t *len)
{
    if (buf)
        *buf = NULL;
    if (len)
        *len = 0;
    if (!buf || !len)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_env_packed: buf or len is NULL");
    int rc = ffc_require_current(req, "ffcgi_env_packed");
    if (rc < 0 || (rc = build_table(req)) < 0)
        return rc;
    *buf = req->env.packed.len ? req->env.packed.data : "";
    *len = req->env.packed.len;
    return 0;
}
