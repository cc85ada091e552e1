/* request.c — the request handle and its lifecycle: accept, finish, free.
 *
 * A request's journey (README, "How a request travels"):
 *  1. ffcgi_accept() waits in the loop (loop.c) for a connection with input;
 *  2. reads it into the connection's buffer (conn_io.c) and parses the
 *     records there (parser.c) until a request's head is complete, giving
 *     a connection with nothing more to read back to the loop;
 *  3. the app reads env (env.c) and the body (body.c) from that buffer,
 *  4. and writes its response (response_head.c, output.c);
 *  5. ffcgi_finish() ends the response and passes the connection on: to
 *     the next accept when its next request is already buffered, to the
 *     loop when it is kept, closed when it is not. */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "loop.h"
#include "request.h"
#include "scoreboard.h"
#include "server.h"

/* Idle connections keep at most this much of a buffer beyond their bytes. */
#define IDLE_BUFFER 1024
/* A request handle keeps buffers up to this size for the next request; a
 * larger one (a huge head, a large write) is given back when it ends. */
#define KEPT_BUFFER (128 * 1024)

enum head_state { HEAD_READY, HEAD_WAIT, HEAD_CLOSE };

int ffcgi_request_new(ffcgi_request **out, ffcgi_server *srv)
{
    if (!out)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_request_new: out is NULL");
    *out = NULL;
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_request_new: server is NULL");
    ffcgi_request *req = calloc(1, sizeof *req);
    if (!req)
        return ffc_fail(FFCGI_ENOMEM, "cannot allocate a request");
    req->srv = srv;
    req->open_record = FFC_NO_RECORD;
    pthread_mutex_init(&req->log_lock, NULL);
    ffc_watch_register(req);
    *out = req;
    return 0;
}

static void reset_for_new_request(ffcgi_request *req)
{
    req->exit_status = 0;
    req->data_started = 0;
    ffc_reset_head(req);
    ffc_env_table_clear(&req->env);
    ffc_out_reset(req);
}

/* The handle's read buffer goes to a connection that has none, so reading
 * a request costs no allocation; it comes back when the connection has
 * nothing buffered, and a connection left waiting keeps a small one. */
static void lend_buffer(ffcgi_request *req, struct ffc_conn *c)
{
    if (c->in.cap == 0 && req->spare.cap > 0) {
        c->in = req->spare;
        c->in.len = c->pos = 0;
        req->spare = (struct ffc_buf){0};
    }
}

static void reclaim_buffer(ffcgi_request *req, struct ffc_conn *c)
{
    if (ffc_conn_buffered(c) == 0) {
        c->in.len = c->pos = 0;
        if (req->spare.cap == 0) {
            req->spare = c->in;
            c->in = (struct ffc_buf){0};
        }
        ffc_buf_release(&c->in);
    } else {
        ffc_buf_consume(&c->in, c->pos);
        c->pos = 0;
        ffc_buf_shrink(&c->in, c->in.len + IDLE_BUFFER);
    }
    ffc_buf_release(&c->replies);
}

static void close_conn(ffcgi_request *req, struct ffc_conn *c)
{
    reclaim_buffer(req, c);
    ffc_loop_close(req->srv, c);
}

/* Gives c back to the loop; keeps it for the next accept if it must be
 * read again at once. */
static void park(ffcgi_request *req, struct ffc_conn *c)
{
    reclaim_buffer(req, c);
    int rc = ffc_loop_release(req->srv, c);
    if (rc == 1)
        req->next_conn = c;
    else if (rc < 0)
        ffc_loop_close(req->srv, c);
}

/* Logs what the parser refused on c, or why c ends mid-head. */
static void log_head_problem(const ffcgi_request *req, struct ffc_conn *c, const char *why)
{
    const char *what = c->parser.problem ? c->parser.problem : why;
    if (c->parser.problem)
        ffc_board_count(req->srv, c->parser.problem_is_limit ? FFC_COUNT_LIMIT_REFUSALS
                                                             : FFC_COUNT_PROTOCOL_ERRORS);
    c->parser.problem = NULL;
    if (!what || !ffc_log_enabled(req->srv, FFCGI_LOG_WARNING))
        return;
    char peer[80];
    ffc_peer_describe(c->fd, peer, sizeof peer);
    ffc_log(req->srv, FFCGI_LOG_WARNING, "connection from %s: %s", peer, what);
}

/* Parses and reads c until a request's head is complete (its params are
 * then in req->env), the socket has nothing more now (wait_ms 0), or the
 * connection must close. */
static enum head_state read_head(ffcgi_request *req, struct ffc_conn *c, int wait_ms)
{
    lend_buffer(req, c);
    for (;;) {
        size_t used;
        ffc_env_table_clear(&req->env);
        int rc = ffc_parse_head(&c->parser, ffc_conn_unread(c),
                                ffc_conn_buffered(c), &used, &req->limits, &c->replies,
                                &req->env);
        c->pos += used;
        if (c->parser.problem)
            log_head_problem(req, c, NULL);
        if (c->replies.len > 0 && ffc_conn_send_replies(c, req->limits.idle_ms) < 0)
            return HEAD_CLOSE;
        if (rc == FFC_HEAD_READY)
            return HEAD_READY;
        if (rc != FFC_HEAD_MORE)
            return HEAD_CLOSE;
        if (wait_ms == 0 && c->drained &&
            !atomic_load_explicit(&c->hung_up, memory_order_relaxed))
            return HEAD_WAIT; /* the loop reports what comes next */
        rc = ffc_conn_fill(c, wait_ms);
        if (rc == FFC_FILL_AGAIN)
            return HEAD_WAIT;
        if (rc != FFC_FILL_OK) { /* closed, broken, stalled past the idle limit */
            if (rc == FFCGI_ETIMEDOUT)
                ffc_board_count(req->srv, FFC_COUNT_TIMEOUTS);
            if (c->parser.stage == FFC_IN_PARAMS || ffc_conn_buffered(c) > 0)
                log_head_problem(req, c, rc == FFCGI_ETIMEDOUT
                                             ? "stalled mid-head past FFCGI_LIMIT_IDLE_MS: closed"
                                             : "the web server closed the connection mid-head");
            return HEAD_CLOSE;
        }
    }
}

/* The request's head was read (its connection set): the clock starts. */
static void note_start(ffcgi_request *req)
{
    req->started_us = ffc_now_us();
    req->started_wall = time(NULL);
    ffc_watch_begin(req);
}

/* The request is answered: logged if it was slow, and the server retired
 * if a recycling limit says so. (It was counted on the scoreboard before
 * its last bytes went out, so that a client that has the answer finds it
 * counted on the status page.) Once the server stops (shut down or
 * retired) the handle's access-log lines go out at once: the process may
 * end before the watchdog's next tick, without freeing its handles. */
static void note_end(ffcgi_request *req)
{
    ffc_recycle_after_request(req);
    if (atomic_load_explicit(&req->srv->shutting_down, memory_order_relaxed))
        ffc_access_log_flush(req);
    int64_t slow_ms = atomic_load_explicit(&req->srv->limits.slow_ms, memory_order_relaxed);
    if (slow_ms <= 0)
        return;
    int64_t took_ms = (ffc_now_us() - req->started_us) / 1000;
    if (took_ms > slow_ms) {
        ffc_board_count(req->srv, FFC_COUNT_SLOW);
        ffc_log_request(req, FFCGI_LOG_WARNING,
                        "slow: took %lld ms (FFCGI_LIMIT_SLOW_MS %lld), status %d",
                        (long long)took_ms, (long long)slow_ms, ffc_response_status(req));
    }
}

static int accept_fastcgi(ffcgi_request *req)
{
    struct ffc_conn *c = req->next_conn;
    req->next_conn = NULL;
    int wait_ms = 0; /* after a shutdown: how long a first request may take */
    for (;;) {
        if (!c) {
            int rc = ffc_loop_take(req->srv, &c, &wait_ms);
            if (rc < 0)
                return rc;
        }
        /* limits changed while this thread waited apply to this request */
        ffc_limits_read(&req->srv->limits, &req->limits);
        enum head_state state = read_head(req, c, wait_ms);
        if (state == HEAD_READY) {
            c->served = 1;
            req->conn = c;
            req->active = 1;
            note_start(req);
            ffc_board_worker_busy(req);
            if (!ffc_refuse_declared_body(req) && !ffc_answer_status_page(req))
                return 0;
            ffcgi_finish(req); /* answered here: the app never sees it */
            reset_for_new_request(req);
            c = req->next_conn;
            req->next_conn = NULL;
            continue;
        }
        if (state == HEAD_WAIT) {
            park(req, c);
            c = req->next_conn;
            req->next_conn = NULL;
            continue;
        }
        close_conn(req, c);
        c = NULL;
    }
}

/* After the response: the rest of the request is skipped (here as far as
 * it is buffered, then by the loop), and the connection passed on. */
static void pass_connection_on(ffcgi_request *req, struct ffc_conn *c)
{
    ffc_parser_skip_rest(&c->parser);
    if (c->output_failed || ffc_failure_is_fatal(c->parser.failure) ||
        atomic_load(&req->srv->shutting_down)) {
        close_conn(req, c);
        return;
    }
    if (c->parser.keep) {
        if (ffc_conn_buffered(c) > 0 || c->maybe_more ||
            atomic_load_explicit(&c->hung_up, memory_order_relaxed))
            req->next_conn = c; /* the next request, pipelined, or the end */
        else
            park(req, c);
        return;
    }
    if (c->parser.stage == FFC_AT_BEGIN || read_head(req, c, 0) != HEAD_WAIT) {
        close_conn(req, c); /* all of the request was read */
    } else {
        /* answered early (a 413): the web server may stop sending and wait
         * for the end of the answer; the loop reads the rest, then closes */
        ffc_conn_end_output(c);
        park(req, c);
    }
}

/* A request the web server did not see through: says how, once. */
static void log_broken_request(const ffcgi_request *req, const struct ffc_conn *c)
{
    int failure = c->output_failed ? c->output_failed : c->parser.failure;
    switch (failure) {
    case 0:
    case FFCGI_ELIMIT: /* own_answer.c said it */
        return;
    case FFCGI_EDISCONNECTED:
        ffc_log_request(req, FFCGI_LOG_WARNING, "the web server closed the connection %s",
                        c->output_failed ? "before the answer was sent" : "mid-body");
        return;
    case FFCGI_EABORTED:
        ffc_log_request(req, FFCGI_LOG_WARNING, "the web server aborted the request");
        return;
    case FFCGI_ETIMEDOUT:
        ffc_board_count(req->srv, FFC_COUNT_TIMEOUTS);
        ffc_log_request(req, FFCGI_LOG_WARNING, "the web server %s past FFCGI_LIMIT_IDLE_MS",
                        c->output_failed ? "stopped reading the answer" : "stalled mid-body");
        return;
    case FFCGI_EPROTOCOL:
        ffc_board_count(req->srv, FFC_COUNT_PROTOCOL_ERRORS);
        ffc_log_request(req, FFCGI_LOG_WARNING, "protocol error mid-body: connection closed");
        return;
    default:
        ffc_log_request(req, FFCGI_LOG_WARNING, "the connection failed: %s",
                        ffcgi_strerror(failure));
    }
}

static int finish_fastcgi(ffcgi_request *req)
{
    int rc = ffc_send_head(req);
    ffc_board_worker_done(req);
    int ended = ffc_out_end(req);
    int timed_out = ffc_watch_end(req); /* the watchdog is done with the connection */
    if (!timed_out) { /* else the watchdog wrote its line */
        ffc_access_log_write(req); /* before the next head is read over the env */
        log_broken_request(req, req->conn);
    }
    note_end(req);
    struct ffc_conn *c = req->conn;
    if (timed_out)
        c->output_failed = FFCGI_ETIMEDOUT; /* shut down: it closes */
    req->conn = NULL;
    pass_connection_on(req, c);
    return rc < 0 ? rc : ended;
}

int ffcgi_finish(ffcgi_request *req)
{
    if (!req)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_finish: request is NULL");
    if (!req->active)
        return 0;
    int rc;
    if (req->is_cgi) {
        rc = ffc_send_head(req);
        ffc_board_worker_done(req);
        int flushed = ffc_cgi_flush(req);
        if (rc == 0)
            rc = flushed;
        ffc_watch_end(req);
        ffc_access_log_write(req);
        note_end(req);
    } else {
        rc = finish_fastcgi(req);
    }
    req->active = 0;
    req->is_cgi = 0;
    ffc_env_table_clear(&req->env);
    if (req->env.packed.cap > KEPT_BUFFER)
        ffc_env_table_release(&req->env);
    ffc_buf_shrink(&req->wire, KEPT_BUFFER);
    ffc_buf_shrink(&req->head, KEPT_BUFFER);
    return rc;
}

int ffcgi_accept(ffcgi_request *req)
{
    if (!req)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_accept: request is NULL");
    ffcgi_finish(req);
    reset_for_new_request(req);
    atomic_store_explicit(&req->srv->accepting, 1, memory_order_relaxed);
    ffc_board_worker_idle(req);
    ffc_watch_start(req->srv);
    int rc = req->srv->kind == FFC_SERVER_CGI ? ffc_cgi_accept(req) : accept_fastcgi(req);
    if (rc < 0) {
        ffc_access_log_flush(req); /* the worker may end here: its lines go out now */
        return rc == FFCGI_ESHUTDOWN
                   ? ffc_fail(rc, "the server is shut down: no more requests")
                   : rc;
    }
    if (req->is_cgi)
        note_start(req);
    req->active = 1;
    return 0;
}

int ffcgi_accept_env(ffcgi_request *req, const char **env, size_t *env_len)
{
    if (env)
        *env = NULL;
    if (env_len)
        *env_len = 0;
    if (!env || !env_len)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_accept_env: env or env_len is NULL");
    int rc = ffcgi_accept(req);
    return rc < 0 ? rc : ffcgi_env_packed(req, env, env_len);
}

void ffcgi_request_free(ffcgi_request *req)
{
    if (!req)
        return;
    ffcgi_finish(req);
    if (req->next_conn)
        close_conn(req, req->next_conn);
    ffc_buf_release(&req->spare);
    ffc_buf_release(&req->wire);
    ffc_env_table_release(&req->env);
    ffc_buf_release(&req->head);
    ffc_buf_release(&req->cgi_out);
    ffc_board_worker_leave(req);
    ffc_watch_unregister(req);
    ffc_access_log_flush(req);
    pthread_mutex_destroy(&req->log_lock);
    free(req);
}

int ffc_require_current(const ffcgi_request *req, const char *what)
{
    if (!req)
        return ffc_fail(FFCGI_EINVAL, "%s: request is NULL", what);
    if (!req->active)
        return ffc_fail(FFCGI_ESTATE, "%s: no current request (call ffcgi_accept first)", what);
    return 0;
}

int ffcgi_request_role(const ffcgi_request *req)
{
    int rc = ffc_require_current(req, "ffcgi_request_role");
    if (rc < 0)
        return rc;
    return req->is_cgi ? FFCGI_ROLE_RESPONDER : (int)req->conn->parser.role;
}

int ffcgi_request_id(const ffcgi_request *req)
{
    int rc = ffc_require_current(req, "ffcgi_request_id");
    if (rc < 0)
        return rc;
    return req->is_cgi ? 0 : (int)req->conn->parser.id;
}

int ffcgi_request_keep_conn(const ffcgi_request *req)
{
    int rc = ffc_require_current(req, "ffcgi_request_keep_conn");
    if (rc < 0)
        return rc;
    return req->is_cgi ? 0 : req->conn->parser.keep != 0;
}
