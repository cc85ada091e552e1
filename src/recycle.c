/* recycle.c — retiring a server so its process can be replaced by a fresh
 * one (uWSGI's --max-requests and --reload-on-rss, PHP-FPM's
 * pm.max_requests): after FFCGI_LIMIT_MAX_REQUESTS requests (with jitter)
 * or once resident memory passes FFCGI_LIMIT_MAX_RSS_BYTES. Retiring is a
 * shutdown (in-flight requests finish) that ffcgi_server_retired() can
 * tell apart from the app's own, plus a line in the error log. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "request.h"
#include "scoreboard.h"
#include "server.h"

#define RSS_CHECK_EVERY_MS 1000

int64_t ffc_with_jitter(int64_t value)
{
    if (value < 10)
        return value;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t x = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec;
    x ^= x >> 33; /* a murmur finaliser: any bit of pid or time moves all */
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return value + (int64_t)(x % (uint64_t)(value / 10 + 1));
}

int ffcgi_server_retired(const ffcgi_server *srv)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_retired: server is NULL");
    return atomic_load(&srv->retired);
}

void ffc_retire(ffcgi_server *srv, int reason, const char *why)
{
    int serving = FFCGI_RETIRED_NOT;
    if (!atomic_compare_exchange_strong(&srv->retired, &serving, reason))
        return;
    ffc_log(srv, FFCGI_LOG_INFO, "retiring: %s; no new requests, the ones in flight finish", why);
    if (srv->region)
        atomic_store(&srv->region->stopping, 1);
    ffcgi_server_shutdown(srv);
}

/* The process's resident memory in bytes, or -1. */
static long long resident_bytes(void)
{
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char text[128];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    long long size, resident;
    if (sscanf(text, "%lld %lld", &size, &resident) != 2)
        return -1;
    return resident * sysconf(_SC_PAGESIZE);
}

static void check_rss(ffcgi_server *srv, long long limit)
{
    int64_t now = ffc_now_us() / 1000;
    long long last = atomic_load_explicit(&srv->rss_checked_ms, memory_order_relaxed);
    if (now - last < RSS_CHECK_EVERY_MS ||
        !atomic_compare_exchange_strong(&srv->rss_checked_ms, &last, now))
        return; /* checked lately, or another thread checks now */
    long long rss = resident_bytes();
    if (rss > limit) {
        char why[160];
        snprintf(why, sizeof why, "resident memory %lld bytes is over "
                                  "FFCGI_LIMIT_MAX_RSS_BYTES (%lld)", rss, limit);
        ffc_retire(srv, FFCGI_RETIRED_MAX_RSS, why);
    }
}

void ffc_recycle_after_request(ffcgi_request *req)
{
    ffcgi_server *srv = req->srv;
    long long served = atomic_fetch_add_explicit(&srv->served, 1, memory_order_relaxed) + 1;
    long long max = atomic_load_explicit(&srv->limits.max_requests, memory_order_relaxed);
    if (max > 0 && served >= max) {
        char why[160];
        snprintf(why, sizeof why, "%lld requests served (FFCGI_LIMIT_MAX_REQUESTS %lld, "
                                  "with jitter %lld)", served,
                 (long long)atomic_load(&srv->limits.max_requests_set), max);
        ffc_retire(srv, FFCGI_RETIRED_MAX_REQUESTS, why);
    }
    long long rss_limit = atomic_load_explicit(&srv->limits.max_rss_bytes, memory_order_relaxed);
    if (rss_limit > 0)
        check_rss(srv, rss_limit);
}
