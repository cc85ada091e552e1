/* status_page.c — the status page: the scoreboard (scoreboard.h) as plain
 * text or JSON, answered by the library itself for the path set with
 * ffcgi_server_status_path() (the app never sees those requests), and
 * returned by ffcgi_server_status().
 *
 * Totals are summed over every process on the board (all the workers of an
 * ffcgi-supervisor, or this process alone); each busy or idle worker slot
 * is listed with its process, its request count and, when busy, its
 * request and how long it has run. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "buffer.h"
#include "clock.h"
#include "env_table.h"
#include "error.h"
#include "request.h"
#include "scoreboard.h"
#include "server.h"

#define TEXT_TYPE "text/plain; charset=utf-8"
#define JSON_TYPE "application/json"

int ffcgi_server_status_path(ffcgi_server *srv, const char *path)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_status_path: server is NULL");
    if (path && (path[0] != '/' || strchr(path, '?')))
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_status_path: '%s' is not a path "
                                      "(it begins with '/' and has no '?')", path);
    if (atomic_load(&srv->accepting))
        return ffc_fail(FFCGI_ESTATE, "ffcgi_server_status_path: the server is serving already "
                                      "(set the status path before the first ffcgi_accept)");
    char *copy = NULL;
    if (path && !(copy = strdup(path)))
        return ffc_fail(FFCGI_ENOMEM, "cannot copy the status path");
    free(srv->status_path);
    srv->status_path = copy;
    return 0;
}

/* ---- gathering ---------------------------------------------------------- */

struct worker_view {
    int pid;
    int index;             /* 1-based within its process */
    unsigned state;
    long long requests;
    long long age_ms;      /* busy: how long the request has run */
    char method[FFC_BOARD_METHOD];
    char target[FFC_BOARD_TARGET];
};

/* A consistent copy of a worker slot (the sequence counter's rule). */
static void read_worker(struct ffc_board_worker *w, struct worker_view *v, int64_t now_us)
{
    for (int tries = 0; tries < 100; tries++) {
        unsigned before = atomic_load_explicit(&w->seq, memory_order_acquire);
        v->state = atomic_load_explicit(&w->state, memory_order_relaxed);
        v->requests = atomic_load_explicit(&w->requests, memory_order_relaxed);
        int64_t started = atomic_load_explicit(&w->started_us, memory_order_relaxed);
        memcpy(v->method, w->method, sizeof v->method);
        memcpy(v->target, w->target, sizeof v->target);
        atomic_thread_fence(memory_order_acquire);
        if (!(before & 1) && atomic_load_explicit(&w->seq, memory_order_relaxed) == before) {
            v->age_ms = v->state == FFC_WORKER_BUSY ? (now_us - started) / 1000 : 0;
            break;
        }
    }
    v->method[sizeof v->method - 1] = v->target[sizeof v->target - 1] = '\0';
}

struct status {
    int processes;
    long long counts[FFC_COUNTS];
    int busy, idle;
    long listen_queue, listen_limit; /* -1: unknown */
    long long uptime_s;
};

static void add_up(struct status *st, struct ffc_board_process *r, struct ffc_buf *workers,
                   int64_t now_us)
{
    st->processes++;
    for (int i = 0; i < FFC_COUNTS; i++)
        st->counts[i] += atomic_load_explicit(&r->counts[i], memory_order_relaxed);
    int pid = atomic_load(&r->pid);
    for (int i = 0; i < FFC_BOARD_WORKERS; i++) {
        struct worker_view v = {.pid = pid, .index = i + 1};
        read_worker(&r->workers[i], &v, now_us);
        if (v.state == FFC_WORKER_FREE)
            continue;
        *(v.state == FFC_WORKER_BUSY ? &st->busy : &st->idle) += 1;
        if (ffc_buf_append(workers, &v, sizeof v) < 0)
            return; /* out of memory: fewer workers listed */
    }
}

static void gather(ffcgi_server *srv, struct status *st, struct ffc_buf *workers)
{
    memset(st, 0, sizeof *st);
    if (ffc_listen_queue(srv, &st->listen_queue, &st->listen_limit) != 0)
        st->listen_queue = st->listen_limit = -1;
    if (!srv->board)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    st->uptime_s = ((long long)tv.tv_sec * 1000 + tv.tv_usec / 1000 - srv->board->started_ms) / 1000;
    int64_t now_us = ffc_now_us();
    for (uint32_t i = 0; i < srv->board->processes; i++) {
        struct ffc_board_process *r = ffc_board_region(srv->board, i);
        if (atomic_load(&r->pid) != 0)
            add_up(st, r, workers, now_us);
    }
}

/* ---- writing ------------------------------------------------------------ */

static void appendf(struct ffc_buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void appendf(struct ffc_buf *out, const char *fmt, ...)
{
    char piece[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(piece, sizeof piece, fmt, ap);
    va_end(ap);
    if (n > 0)
        ffc_buf_append(out, piece, (size_t)n < sizeof piece ? (size_t)n : sizeof piece - 1);
}

static const char *const count_names[FFC_COUNTS] = {
    "accepted_connections", "requests", "refused_peers", "limit_refusals",
    "protocol_errors", "timeouts", "slow_requests"};

static const char *state_name(unsigned state)
{
    return state == FFC_WORKER_BUSY ? "busy" : "idle";
}

/* A JSON string of arbitrary bytes: bytes outside printable ASCII as
 * \u00XX, so the document is valid whatever the request target held. */
static void json_string(struct ffc_buf *out, const char *s)
{
    ffc_buf_append(out, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\')
            appendf(out, "\\u%04X", c);
        else
            ffc_buf_append(out, s, 1);
    }
    ffc_buf_append(out, "\"", 1);
}

static void write_json(struct ffc_buf *out, const struct status *st,
                       const struct worker_view *w, size_t nworkers)
{
    appendf(out, "{\"pid\":%d,\"uptime_s\":%lld,\"processes\":%d,", (int)getpid(), st->uptime_s,
            st->processes);
    appendf(out, "\"listen_queue\":%ld,\"listen_queue_max\":%ld,", st->listen_queue,
            st->listen_limit);
    for (int i = 0; i < FFC_COUNTS; i++)
        appendf(out, "\"%s\":%lld,", count_names[i], st->counts[i]);
    appendf(out, "\"busy_workers\":%d,\"idle_workers\":%d,\"workers\":[", st->busy, st->idle);
    for (size_t i = 0; i < nworkers; i++) {
        appendf(out, "%s{\"pid\":%d,\"worker\":%d,\"state\":\"%s\",\"requests\":%lld",
                i ? "," : "", w[i].pid, w[i].index, state_name(w[i].state), w[i].requests);
        if (w[i].state == FFC_WORKER_BUSY) {
            appendf(out, ",\"age_ms\":%lld,\"method\":", w[i].age_ms);
            json_string(out, w[i].method);
            ffc_buf_append(out, ",\"target\":", 10);
            json_string(out, w[i].target);
        }
        ffc_buf_append(out, "}", 1);
    }
    ffc_buf_append(out, "]}\n", 3);
}

/* Printable ASCII as it is, other bytes as '?': one line per worker. */
static void text_field(struct ffc_buf *out, const char *s)
{
    for (; *s; s++) {
        char c = (unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7F ? '?' : *s;
        ffc_buf_append(out, &c, 1);
    }
}

static void write_text(struct ffc_buf *out, const struct status *st,
                       const struct worker_view *w, size_t nworkers)
{
    appendf(out, "pid:                  %d\n", (int)getpid());
    appendf(out, "uptime:               %lld s\n", st->uptime_s);
    appendf(out, "processes:            %d\n", st->processes);
    appendf(out, "listen queue:         %ld\n", st->listen_queue);
    appendf(out, "listen queue max:     %ld\n", st->listen_limit);
    for (int i = 0; i < FFC_COUNTS; i++) {
        char label[32];
        snprintf(label, sizeof label, "%s:", count_names[i]);
        for (char *c = label; *c; c++)
            *c = *c == '_' ? ' ' : *c;
        appendf(out, "%-22s%lld\n", label, st->counts[i]);
    }
    appendf(out, "busy workers:         %d\nidle workers:         %d\n\n", st->busy, st->idle);
    appendf(out, "%-8s %-6s %-5s %10s %10s  %s\n", "pid", "worker", "state", "requests",
            "age ms", "request");
    for (size_t i = 0; i < nworkers; i++) {
        appendf(out, "%-8d %-6d %-5s %10lld ", w[i].pid, w[i].index, state_name(w[i].state),
                w[i].requests);
        if (w[i].state == FFC_WORKER_BUSY) {
            appendf(out, "%10lld  ", w[i].age_ms);
            text_field(out, w[i].method);
            ffc_buf_append(out, " ", 1);
            text_field(out, w[i].target);
        } else {
            appendf(out, "%10s  -", "-");
        }
        ffc_buf_append(out, "\n", 1);
    }
}

/* The status in `format` into out (NUL-terminated); 0 or FFCGI_ENOMEM. */
static int render(ffcgi_server *srv, int format, struct ffc_buf *out)
{
    struct status st;
    struct ffc_buf workers = {0};
    gather(srv, &st, &workers);
    const struct worker_view *w = (const struct worker_view *)workers.data;
    size_t nworkers = workers.len / sizeof *w;
    if (format == FFCGI_STATUS_JSON)
        write_json(out, &st, w, nworkers);
    else
        write_text(out, &st, w, nworkers);
    ffc_buf_release(&workers);
    int rc = ffc_buf_append(out, "", 1);
    return rc < 0 ? ffc_fail(FFCGI_ENOMEM, "cannot build the status page") : 0;
}

int64_t ffcgi_server_status(ffcgi_server *srv, int format, char *buf, size_t cap)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_status: server is NULL");
    if (format != FFCGI_STATUS_TEXT && format != FFCGI_STATUS_JSON)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_status: format %d is not "
                                      "FFCGI_STATUS_TEXT or FFCGI_STATUS_JSON", format);
    if (!buf && cap > 0)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_status: buf is NULL");
    struct ffc_buf out = {0};
    int rc = render(srv, format, &out);
    if (rc < 0) {
        ffc_buf_release(&out);
        return rc;
    }
    size_t len = out.len - 1;
    if (cap > 0) {
        size_t n = len < cap - 1 ? len : cap - 1;
        memcpy(buf, out.data, n);
        buf[n] = '\0';
    }
    ffc_buf_release(&out);
    return (int64_t)len;
}

/* ---- answering ---------------------------------------------------------- */

/* The request's path (REQUEST_URI before '?', else SCRIPT_NAME PATH_INFO)
 * is the status path. */
static int is_status_request(const ffcgi_request *req, const char *path)
{
    const char *uri = ffc_env_table_known(&req->env, FFC_REQUEST_URI);
    if (uri && *uri) {
        size_t len = strcspn(uri, "?");
        return len == strlen(path) && memcmp(uri, path, len) == 0;
    }
    const char *script = ffc_env_table_known(&req->env, FFC_SCRIPT_NAME);
    const char *info = ffc_env_table_known(&req->env, FFC_PATH_INFO);
    script = script ? script : "";
    info = info ? info : "";
    size_t slen = strlen(script);
    return strncmp(path, script, slen) == 0 && strcmp(path + slen, info) == 0;
}

/* JSON when the query asks for it ("json" or "format=json"), as PHP-FPM's
 * page does; plain text otherwise. */
static int wanted_format(const ffcgi_request *req)
{
    const char *query = ffc_env_table_known(&req->env, FFC_QUERY_STRING);
    if (!query)
        return FFCGI_STATUS_TEXT;
    for (const char *at = query; (at = strstr(at, "json")); at += 4) {
        int starts = at == query || at[-1] == '&' || at[-1] == '=';
        int ends = at[4] == '\0' || at[4] == '&';
        if (starts && ends)
            return FFCGI_STATUS_JSON;
    }
    return FFCGI_STATUS_TEXT;
}

int ffc_answer_status_page(ffcgi_request *req)
{
    const char *path = req->srv->status_path;
    if (!path || !is_status_request(req, path))
        return 0;
    int format = wanted_format(req);
    struct ffc_buf page = {0};
    if (render(req->srv, format, &page) == 0)
        ffc_answer(req, 200, format == FFCGI_STATUS_JSON ? JSON_TYPE : TEXT_TYPE, page.data,
                   page.len - 1);
    else
        ffc_answer_plain(req, 500, "500 the status page could not be built\n");
    ffc_buf_release(&page);
    return 1;
}
