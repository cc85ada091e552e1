/* env.c — the CGI params of the current request, served from the table
 * the parser (FastCGI) or cgi.c (CGI) filled when the request was accepted. */
#include "error.h"
#include "request.h"

const char *ffcgi_env_get(ffcgi_request *req, const char *name)
{
    if (!name || ffc_require_current(req, "ffcgi_env_get") < 0)
        return NULL;
    return ffc_env_table_find(&req->env, name);
}

size_t ffcgi_env_count(ffcgi_request *req)
{
    if (ffc_require_current(req, "ffcgi_env_count") < 0)
        return 0;
    return req->env.count;
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
    if (rc < 0)
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
    if (rc < 0)
        return rc;
    *buf = req->env.packed.len ? req->env.packed.data : "";
    *len = req->env.packed.len;
    return 0;
}
