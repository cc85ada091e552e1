/* limits.c — the FFCGI_LIMIT_* values of a server. */
#include <stdint.h>

#include "internal.h"

#define DEFAULT_PARAM_BYTES (1u << 20)
#define DEFAULT_PARAMS 10000
#define DEFAULT_IDLE_MS 60000

void ffc_limits_init(struct ffc_limits *l)
{
    l->param_bytes = DEFAULT_PARAM_BYTES;
    l->params = DEFAULT_PARAMS;
    l->body_bytes = 0;
    l->idle_ms = DEFAULT_IDLE_MS;
}

int ffcgi_server_set_limit(ffcgi_server *srv, int limit, int64_t value)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_set_limit: server is NULL");
    if (value < 0)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_set_limit: %lld is negative", (long long)value);
    struct ffc_limits *l = &srv->limits;
    switch (limit) {
    case FFCGI_LIMIT_PARAM_BYTES:
        l->param_bytes = (size_t)value;
        return 0;
    case FFCGI_LIMIT_PARAMS:
        l->params = (size_t)value;
        return 0;
    case FFCGI_LIMIT_BODY_BYTES:
        l->body_bytes = (size_t)value;
        return 0;
    case FFCGI_LIMIT_IDLE_MS:
        if (value > INT32_MAX)
            return ffc_fail(FFCGI_EINVAL, "ffcgi_server_set_limit: idle time too long");
        l->idle_ms = value == 0 ? -1 : (int)value;
        return 0;
    default:
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_set_limit: unknown limit %d", limit);
    }
}

int64_t ffcgi_server_limit(const ffcgi_server *srv, int limit)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_limit: server is NULL");
    const struct ffc_limits *l = &srv->limits;
    switch (limit) {
    case FFCGI_LIMIT_PARAM_BYTES: return (int64_t)l->param_bytes;
    case FFCGI_LIMIT_PARAMS: return (int64_t)l->params;
    case FFCGI_LIMIT_BODY_BYTES: return (int64_t)l->body_bytes;
    case FFCGI_LIMIT_IDLE_MS: return l->idle_ms < 0 ? 0 : l->idle_ms;
    default: return ffc_fail(FFCGI_EINVAL, "ffcgi_server_limit: unknown limit %d", limit);
    }
}
