/* limits.c — the FFCGI_LIMIT_* values of a server. */
#include <stdint.h>

#include "error.h"
#include "server.h"

#define DEFAULT_PARAM_BYTES (1u << 20)
#define DEFAULT_PARAMS 10000
#define DEFAULT_IDLE_MS 60000
#define DEFAULT_CONNECTIONS 1024

void ffc_limits_init(struct ffc_limits *l)
{
    atomic_init(&l->param_bytes, DEFAULT_PARAM_BYTES);
    atomic_init(&l->params, DEFAULT_PARAMS);
    atomic_init(&l->body_bytes, 0);
    atomic_init(&l->idle_ms, DEFAULT_IDLE_MS);
    atomic_init(&l->connections, DEFAULT_CONNECTIONS);
    atomic_init(&l->slow_ms, 0);
    atomic_init(&l->max_requests, 0);
    atomic_init(&l->max_requests_set, 0);
    atomic_init(&l->max_rss_bytes, 0);
    atomic_init(&l->request_ms, 0);
}

void ffc_limits_read(const struct ffc_limits *l, struct ffc_limit_values *out)
{
    out->param_bytes = atomic_load_explicit(&l->param_bytes, memory_order_relaxed);
    out->params = atomic_load_explicit(&l->params, memory_order_relaxed);
    out->body_bytes = atomic_load_explicit(&l->body_bytes, memory_order_relaxed);
    out->idle_ms = atomic_load_explicit(&l->idle_ms, memory_order_relaxed);
    out->connections = atomic_load_explicit(&l->connections, memory_order_relaxed);
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
        atomic_store(&l->param_bytes, (size_t)value);
        return 0;
    case FFCGI_LIMIT_PARAMS:
        atomic_store(&l->params, (size_t)value);
        return 0;
    case FFCGI_LIMIT_BODY_BYTES:
        atomic_store(&l->body_bytes, (size_t)value);
        return 0;
    case FFCGI_LIMIT_IDLE_MS:
        if (value > INT32_MAX)
            return ffc_fail(FFCGI_EINVAL, "ffcgi_server_set_limit: idle time too long");
        atomic_store(&l->idle_ms, value == 0 ? -1 : (int)value);
        return 0;
    case FFCGI_LIMIT_CONNECTIONS:
        if (value == 0)
            return ffc_fail(FFCGI_EINVAL, "ffcgi_server_set_limit: at least 1 connection");
        if (value > INT32_MAX)
            return ffc_fail(FFCGI_EINVAL, "ffcgi_server_set_limit: too many connections");
        atomic_store(&l->connections, (size_t)value);
        return 0;
    case FFCGI_LIMIT_SLOW_MS:
        atomic_store(&l->slow_ms, (long long)value);
        return 0;
    case FFCGI_LIMIT_MAX_REQUESTS:
        atomic_store(&l->max_requests_set, (long long)value);
        atomic_store(&l->max_requests, (long long)ffc_with_jitter(value));
        return 0;
    case FFCGI_LIMIT_MAX_RSS_BYTES:
        atomic_store(&l->max_rss_bytes, (long long)value);
        return 0;
    case FFCGI_LIMIT_REQUEST_MS:
        atomic_store(&l->request_ms, (long long)value);
        return 0;
    default:
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_set_limit: unknown limit %d", limit);
    }
}

int64_t ffcgi_server_limit(const ffcgi_server *srv, int limit)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_limit: server is NULL");
    struct ffc_limit_values v;
    ffc_limits_read(&srv->limits, &v);
    switch (limit) {
    case FFCGI_LIMIT_PARAM_BYTES: return (int64_t)v.param_bytes;
    case FFCGI_LIMIT_PARAMS: return (int64_t)v.params;
    case FFCGI_LIMIT_BODY_BYTES: return (int64_t)v.body_bytes;
    case FFCGI_LIMIT_IDLE_MS: return v.idle_ms < 0 ? 0 : v.idle_ms;
    case FFCGI_LIMIT_CONNECTIONS: return (int64_t)v.connections;
    case FFCGI_LIMIT_SLOW_MS: return atomic_load(&srv->limits.slow_ms);
    case FFCGI_LIMIT_MAX_REQUESTS: return atomic_load(&srv->limits.max_requests_set);
    case FFCGI_LIMIT_MAX_RSS_BYTES: return atomic_load(&srv->limits.max_rss_bytes);
    case FFCGI_LIMIT_REQUEST_MS: return atomic_load(&srv->limits.request_ms);
    default: return ffc_fail(FFCGI_EINVAL, "ffcgi_server_limit: unknown limit %d", limit);
    }
}
