/* watchdog.c — the request timeout (FFCGI_LIMIT_REQUEST_MS), as uWSGI's
 * harakiri and PHP-FPM's request_terminate_timeout: a thread of the
 * library's own looks at the requests in flight a few times per limit; one
 * running longer is answered "504 Gateway Timeout" in the app's place if
 * nothing of its answer was sent yet, its connection is shut down (an app
 * blocked reading the body wakes up), the error log says which request and
 * how long it ran, and the server retires (FFCGI_RETIRED_TIMEOUT): a thread
 * stuck in app code cannot be stopped, only its process replaced. The app
 * replaces it (exit or re-exec) once its other requests are done; if the
 * process is still there STUCK_GRACE_MS after nothing but timed-out
 * requests are left, and one of those has not come back, the watchdog
 * ends it with _exit(FFCGI_RETIRED_EXIT_STATUS), as uWSGI's harakiri
 * does: a single-threaded app stuck in its handler is replaced too.
 *
 * Threads: the watchdog and a request's worker meet under the request's
 * `watch_lock` — the worker takes it to send (output.c) and to end the
 * request; the watchdog only tries it, so a worker blocked in a send (a web
 * server not reading) delays the timeout by a tick, never the watchdog.
 * The watchdog writes a timed-out request's access-log line (the worker
 * may never return); it reads the request's env and status then, which
 * the worker, busy in app code, does not change.
 * `deadline_us` is set by the worker when a request begins (after the
 * connection), read by the watchdog with acquire.
 *
 * The same thread writes the access log's batched lines (access_log.c) at
 * every tick, so that a line waits FFC_LOG_FLUSH_MS at most. The thread
 * runs only where there is a request limit or an access log. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "record.h"
#include "request.h"
#include "scoreboard.h"
#include "server.h"

#define TICK_MAX_MS FFC_LOG_FLUSH_MS
#define TICK_MIN_MS 10
#define STUCK_GRACE_MS 2000

static const char ANSWER[] = "Status: 504 Gateway Timeout\r\n"
                             "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                             "504 Gateway Timeout: the request ran longer than the server "
                             "allows\n";

void ffc_watch_register(ffcgi_request *req)
{
    ffcgi_server *srv = req->srv;
    pthread_mutex_init(&req->watch_lock, NULL);
    pthread_mutex_lock(&srv->watch.lock);
    req->watch_next = srv->watch.requests;
    if (srv->watch.requests)
        srv->watch.requests->watch_prev = req;
    srv->watch.requests = req;
    pthread_mutex_unlock(&srv->watch.lock);
}

void ffc_watch_unregister(ffcgi_request *req)
{
    ffcgi_server *srv = req->srv;
    pthread_mutex_lock(&srv->watch.lock);
    if (req->watch_prev)
        req->watch_prev->watch_next = req->watch_next;
    else
        srv->watch.requests = req->watch_next;
    if (req->watch_next)
        req->watch_next->watch_prev = req->watch_prev;
    pthread_mutex_unlock(&srv->watch.lock);
    pthread_mutex_destroy(&req->watch_lock);
}

void ffc_watch_begin(ffcgi_request *req)
{
    int64_t limit_ms = atomic_load_explicit(&req->srv->limits.request_ms, memory_order_relaxed);
    req->watched = limit_ms > 0 && !req->is_cgi;
    req->timed_out = FFC_TIMED_OUT_NOT;
    req->sent_any = 0;
    atomic_fetch_add_explicit(&req->srv->watch.in_flight, 1, memory_order_relaxed);
    if (req->watched)
        atomic_store_explicit(&req->deadline_us, req->started_us + limit_ms * 1000,
                              memory_order_release);
}

int ffc_watch_end(ffcgi_request *req)
{
    int timed_out = 0;
    if (req->watched) {
        pthread_mutex_lock(&req->watch_lock);
        atomic_store_explicit(&req->deadline_us, 0, memory_order_relaxed);
        timed_out = req->timed_out;
        pthread_mutex_unlock(&req->watch_lock);
    }
    if (!timed_out) /* a timed-out request left the count when it timed out */
        atomic_fetch_sub_explicit(&req->srv->watch.in_flight, 1, memory_order_relaxed);
    else /* its worker is back */
        atomic_fetch_sub_explicit(&req->srv->watch.stuck, 1, memory_order_relaxed);
    return timed_out;
}

/* The 504 answer's records, written straight to the socket (the worker
 * holds no part of a record now: it sends whole records under the lock). */
static void send_answer(int fd, unsigned id)
{
    unsigned char out[3 * FFC_HEADER_LEN + sizeof ANSWER + 8];
    size_t len = sizeof ANSWER - 1;
    ffc_record_encode(out, FFC_STDOUT, id, len, 0);
    memcpy(out + FFC_HEADER_LEN, ANSWER, len);
    size_t at = FFC_HEADER_LEN + len;
    ffc_record_encode(out + at, FFC_STDOUT, id, 0, 0);
    at += FFC_HEADER_LEN;
    ffc_record_encode(out + at, FFC_END_REQUEST, id, 8, 0);
    memset(out + at + FFC_HEADER_LEN, 0, 8); /* appStatus 0, FCGI_REQUEST_COMPLETE */
    at += FFC_HEADER_LEN + 8;
    /* a few hundred bytes: the socket has room, else the web server is
     * stuck as well and gets the shutdown alone */
    ssize_t ignored = send(fd, out, at, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)ignored;
}

/* Times req out if its deadline passed. */
static void check_one(ffcgi_request *req, int64_t now_us, int64_t limit_ms)
{
    int64_t deadline = atomic_load_explicit(&req->deadline_us, memory_order_acquire);
    if (deadline <= 0 || now_us < deadline || pthread_mutex_trylock(&req->watch_lock) != 0)
        return;
    int expired = !req->timed_out &&
                  atomic_load_explicit(&req->deadline_us, memory_order_relaxed) == deadline;
    if (expired) {
        int answered = !req->sent_any;
        req->timed_out = answered ? FFC_TIMED_OUT_ANSWERED : FFC_TIMED_OUT_CUT;
        ffc_board_count(req->srv, FFC_COUNT_TIMEOUTS);
        /* the request's lines: its worker may never come back to write them */
        ffc_access_log_write(req);
        ffc_access_log_flush(req);
        ffc_log_request(req, FFCGI_LOG_ERROR,
                        "running %lld ms, past FFCGI_LIMIT_REQUEST_MS (%lld): %s, connection "
                        "closed; the server retires so that its process is replaced",
                        (long long)((now_us - req->started_us) / 1000), (long long)limit_ms,
                        answered ? "answered 504" : "its answer had begun, cut off");
        /* retired before the answer: whoever sees the 504 sees the
         * retirement ... */
        ffc_retire(req->srv, FFCGI_RETIRED_TIMEOUT, "a request ran past FFCGI_LIMIT_REQUEST_MS");
        if (answered)
            send_answer(req->conn->fd, req->conn->parser.id);
        shutdown(req->conn->fd, SHUT_RDWR);
        /* ... and counted out of flight after it: a process that ends or
         * re-executes once only timed-out requests are in flight has sent it */
        atomic_fetch_add_explicit(&req->srv->watch.stuck, 1, memory_order_relaxed);
        atomic_fetch_sub_explicit(&req->srv->watch.in_flight, 1, memory_order_release);
    }
    pthread_mutex_unlock(&req->watch_lock);
}

/* Ends the process of a server retired by a timeout once nothing but
 * stuck requests has been left for STUCK_GRACE_MS (see the top). */
static void end_if_only_stuck_left(ffcgi_server *srv, int64_t now_us)
{
    struct ffc_watch *w = &srv->watch;
    int stuck = atomic_load(&w->stuck);
    if (atomic_load(&srv->retired) != FFCGI_RETIRED_TIMEOUT || stuck <= 0 ||
        atomic_load(&w->in_flight) > 0) {
        w->stuck_alone_since_us = 0;
        return;
    }
    if (!w->stuck_alone_since_us) {
        w->stuck_alone_since_us = now_us;
        return;
    }
    if (now_us - w->stuck_alone_since_us < STUCK_GRACE_MS * 1000)
        return;
    ffc_log(srv, FFCGI_LOG_ERROR,
            "ending the process (exit status %d): %d thread(s) stuck in timed-out requests "
            "and nothing else in flight for %d ms; it was to be replaced",
            FFCGI_RETIRED_EXIT_STATUS, stuck, STUCK_GRACE_MS);
    ffc_access_log_flush_all(srv);
    ffc_remove_own_socket_file(srv);
    _exit(FFCGI_RETIRED_EXIT_STATUS);
}

static void *watch(void *arg)
{
    ffcgi_server *srv = arg;
    for (;;) {
        int64_t limit_ms = atomic_load(&srv->limits.request_ms);
        int tick = limit_ms > 0 && limit_ms / 4 < TICK_MAX_MS ? (int)(limit_ms / 4) : TICK_MAX_MS;
        struct pollfd p = {.fd = srv->watch.stop_pipe[0], .events = POLLIN};
        if (poll(&p, 1, tick < TICK_MIN_MS ? TICK_MIN_MS : tick) != 0 && errno != EINTR)
            return NULL; /* ffc_watch_stop() */
        ffc_access_log_flush_all(srv);
        if (limit_ms <= 0)
            continue;
        int64_t now = ffc_now_us();
        pthread_mutex_lock(&srv->watch.lock);
        for (ffcgi_request *req = srv->watch.requests; req; req = req->watch_next)
            check_one(req, now, limit_ms);
        pthread_mutex_unlock(&srv->watch.lock);
        end_if_only_stuck_left(srv, now);
    }
}

void ffc_watch_start(ffcgi_server *srv)
{
    int started = 0;
    int needed = atomic_load_explicit(&srv->limits.request_ms, memory_order_relaxed) > 0 ||
                 srv->access_log.fd >= 0;
    if (!needed || !atomic_compare_exchange_strong(&srv->watch.started, &started, 1))
        return;
    int rc = pipe2(srv->watch.stop_pipe, O_CLOEXEC) != 0 ? errno : 0;
    if (rc == 0 && (rc = pthread_create(&srv->watch.thread, NULL, watch, srv)) != 0) {
        close(srv->watch.stop_pipe[0]);
        close(srv->watch.stop_pipe[1]);
    }
    if (rc != 0) {
        ffc_log(srv, FFCGI_LOG_ERROR, "cannot start the watchdog's thread: %s; "
                                      "FFCGI_LIMIT_REQUEST_MS is not enforced and access-log "
                                      "lines wait until a batch is full", strerror(rc));
        atomic_store(&srv->watch.started, 2); /* tried: nothing to stop */
    }
}

void ffc_watch_stop(ffcgi_server *srv)
{
    if (atomic_load(&srv->watch.started) != 1)
        return;
    ssize_t ignored = write(srv->watch.stop_pipe[1], "x", 1);
    (void)ignored;
    pthread_join(srv->watch.thread, NULL);
    close(srv->watch.stop_pipe[0]);
    close(srv->watch.stop_pipe[1]);
}

int ffcgi_server_in_flight(const ffcgi_server *srv)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_in_flight: server is NULL");
    int n = atomic_load(&srv->watch.in_flight);
    return n < 0 ? 0 : n;
}
