/* limits.h — the FFCGI_LIMIT_* values of a server (limits.c).
 *
 * Threads: ffcgi_server_set_limit() may run while other threads serve. Each
 * value is an atomic; a connection or a request reads a snapshot of them
 * (ffc_limits_read()), so a change applies from the next request on. */
#ifndef FFCGI_LIMITS_H
#define FFCGI_LIMITS_H

#include <stdatomic.h>
#include <stddef.h>

/* A snapshot: plain values, as the parser and the I/O use them. */
struct ffc_limit_values {
    size_t param_bytes;
    size_t params;
    size_t body_bytes; /* 0: none */
    int idle_ms;       /* -1: none (poll's "for ever") */
    size_t connections;
};

struct ffc_limits {
    atomic_size_t param_bytes;
    atomic_size_t params;
    atomic_size_t body_bytes;
    atomic_int idle_ms;
    atomic_size_t connections;
    atomic_llong slow_ms;   /* 0: none; read when a request ends */
    atomic_llong max_requests; /* 0: none; with its jitter (recycle.c) */
    atomic_llong max_requests_set; /* as the app set it */
    atomic_llong max_rss_bytes; /* 0: none */
    atomic_llong request_ms;    /* 0: none (watchdog.c) */
};

void ffc_limits_init(struct ffc_limits *l);
void ffc_limits_read(const struct ffc_limits *l, struct ffc_limit_values *out);

#endif
