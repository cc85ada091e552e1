/* guard_replay.c — the guard's protocol logic: choose the fast path or
 * replay a request, answer management records, refuse what libfcgi would
 * mishandle, and feed libfcgi the body as the app reads it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "guard_conn.h"

/* What the socketpair may hold at once stays well under its buffer, so a
 * copy never blocks: at most PUMP_AHEAD bytes of content ahead of libfcgi,
 * copied in batches of whole 64 KiB records (not one send per record). */
#define PUMP_AHEAD (64 * 1024)
#define MAX_EARLY_DATA (64 * 1024)
#define BEGIN_BODY_LEN 8

static const char TOO_LARGE[] =
    "Status: 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\n\r\n"
    "The request's params exceed the server's limits.\n";
static const char MALFORMED[] =
    "Status: 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n"
    "The request's params are malformed (a name or value length runs past their end).\n";

/* FCGI_GET_VALUES gets the values libfcgi would give, each name once;
 * every other management record gets FCGI_UNKNOWN_TYPE. */
static int answer_management(ffcgi_request *req, const struct ffc_record *r,
                             const unsigned char *content)
{
    static const char *const names[] = {"FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"};
    static const char values[] = {'1', '1', '0'};
    unsigned char reply[FFC_HEADER_LEN + 64];
    size_t len = 0;
    if (r->type != FFC_GET_VALUES) {
        memset(reply, 0, sizeof reply);
        ffc_record_encode(reply, FFC_UNKNOWN_TYPE, 0, 8, 0);
        reply[FFC_HEADER_LEN] = (unsigned char)r->type;
        return ffc_conn_send(req, reply, FFC_HEADER_LEN + 8);
    }
    int answered[3] = {0, 0, 0};
    struct ffc_nv_cursor cursor = {content, r->content_len};
    const unsigned char *name, *value;
    size_t name_len, value_len;
    while (ffc_nv_next(&cursor, &name, &name_len, &value, &value_len) == 1) {
        for (int i = 0; i < 3; i++) {
            if (answered[i] || name_len != strlen(names[i]) || memcmp(name, names[i], name_len))
                continue;
            unsigned char *p = reply + FFC_HEADER_LEN + len;
            p[0] = (unsigned char)name_len;
            p[1] = 1;
            memcpy(p + 2, names[i], name_len);
            p[2 + name_len] = (unsigned char)values[i];
            len += 3 + name_len;
            answered[i] = 1;
        }
    }
    ffc_record_encode(reply, FFC_GET_VALUES_RESULT, 0, len, 0);
    return ffc_conn_send(req, reply, FFC_HEADER_LEN + len);
}

static void start_request(struct ffc_conn *c, unsigned id, const unsigned char *begin)
{
    c->id = id;
    c->role = (unsigned)begin[0] << 8 | begin[1];
    c->keep = begin[2] & FFC_KEEP_CONN;
    c->stage = FFC_IN_PARAMS;
    c->forwarded = c->taken = c->body_bytes = 0;
    c->stream_ended = c->input_ended = c->discarding = 0;
    c->failure = 0;
    ffc_buf_clear(&c->scratch);
    ffc_buf_clear(&c->batch);
    c->batch_ends_stream = 0;
    ffc_buf_clear(&c->early_data);
    c->early_data_ended = 0;
}

/* Copies the batched content of the current stream (and its end, if it
 * came) to libfcgi. */
static int flush_batch(ffcgi_request *req)
{
    struct ffc_conn *c = &req->conn;
    unsigned type = c->stage == FFC_IN_DATA ? FFC_DATA : FFC_STDIN;
    int rc = 0;
    if (c->batch.len > 0)
        rc = ffc_conn_forward(req, type, c->batch.data, c->batch.len);
    if (rc == 0 && c->batch_ends_stream)
        rc = ffc_conn_forward(req, type, NULL, 0);
    ffc_buf_clear(&c->batch);
    c->batch_ends_stream = 0;
    return rc;
}

/* Gives libfcgi the end of the current stream, once. */
static void give_end(ffcgi_request *req)
{
    struct ffc_conn *c = &req->conn;
    if (!c->stream_ended)
        c->batch_ends_stream = 1;
    c->stream_ended = 1;
    flush_batch(req);
}

/* The body ended abnormally: libfcgi sees an end (not a hang), nothing more
 * is read from the web server for this request, and the app is told why. */
static int end_stream(ffcgi_request *req, int failure)
{
    struct ffc_conn *c = &req->conn;
    c->failure = failure;
    give_end(req);
    c->input_ended = 1;
    return -1;
}

/* One record of the current stream's content (or its end). */
static int take_content(ffcgi_request *req, unsigned type, const unsigned char *content,
                        size_t len, int forward)
{
    struct ffc_conn *c = &req->conn;
    if (len == 0)
        c->input_ended = 1;
    if (!forward || c->discarding)
        return 0;
    size_t limit = req->srv->limits.body_bytes;
    if (type == FFC_STDIN && limit && c->body_bytes + len > limit) {
        c->failure = FFCGI_ELIMIT;
        c->discarding = 1; /* the rest is read and dropped at finish */
        give_end(req);
        return -1;
    }
    if (ffc_buf_append(&c->batch, content, len) < 0)
        return end_stream(req, FFCGI_ENOMEM);
    c->forwarded += len;
    if (type == FFC_STDIN)
        c->body_bytes += len;
    if (len == 0) {
        c->batch_ends_stream = 1;
        c->stream_ended = 1;
    }
    return 0;
}

/* Takes one record of the current request's body phase. `forward`: give
 * stream content to libfcgi; else discard it. Returns 0, or -1 when the
 * stream ended abnormally. */
static int take_body_record(ffcgi_request *req, int forward)
{
    struct ffc_conn *c = &req->conn;
    struct ffc_record r;
    const unsigned char *content;
    int rc = ffc_conn_next_record(req, 0, &r, &content);
    if (rc != 0)
        return end_stream(req, rc == FFC_DROPPED ? FFCGI_EDISCONNECTED : rc);
    if (r.id == 0)
        return answer_management(req, &r, content) < 0 ? end_stream(req, FFCGI_EDISCONNECTED) : 0;
    if (r.id != c->id) {
        if (r.type == FFC_BEGIN_REQUEST)
            ffc_conn_send_end(req, r.id, FFC_CANT_MPX_CONN);
        return 0; /* a stray record of another request */
    }
    unsigned current = c->stage == FFC_IN_DATA ? FFC_DATA : FFC_STDIN;
    if (r.type == current)
        return take_content(req, current, content, r.content_len, forward);
    if (r.type == FFC_DATA && c->stage == FFC_IN_STDIN && c->role == FFCGI_ROLE_FILTER) {
        if (c->early_data.len + r.content_len > MAX_EARLY_DATA)
            return end_stream(req, FFCGI_EPROTOCOL);
        c->early_data_ended = r.content_len == 0;
        return ffc_buf_append(&c->early_data, content, r.content_len) < 0 ? -1 : 0;
    }
    if (r.type == FFC_ABORT_REQUEST)
        return end_stream(req, FFCGI_EABORTED);
    return end_stream(req, FFCGI_EPROTOCOL);
}

size_t ffc_guard_pump(ffcgi_request *req, size_t want)
{
    struct ffc_conn *c = &req->conn;
    if (c->mode != FFC_REPLAY)
        return want;
    size_t enough = want < PUMP_AHEAD ? want : PUMP_AHEAD;
    while (!c->stream_ended && c->forwarded - c->taken < enough)
        if (take_body_record(req, 1) < 0)
            break;
    if (flush_batch(req) < 0)
        end_stream(req, FFCGI_EIO);
    size_t available = c->forwarded - c->taken;
    if (c->stream_ended || available > want)
        return want; /* libfcgi meets the end rather than blocking */
    return available;
}

void ffc_guard_taken(ffcgi_request *req, size_t n)
{
    req->conn.taken += n;
}

int ffc_guard_failure(const ffcgi_request *req)
{
    return req->conn.mode == FFC_REPLAY ? req->conn.failure : 0;
}

void ffc_guard_start_data(ffcgi_request *req)
{
    struct ffc_conn *c = &req->conn;
    if (c->mode != FFC_REPLAY)
        return;
    c->stage = FFC_IN_DATA;
    c->forwarded = c->taken = 0;
    c->stream_ended = c->input_ended = c->early_data_ended;
    c->discarding = 0;
    if (c->early_data.len > 0 && ffc_conn_forward(req, FFC_DATA, c->early_data.data,
                                                  c->early_data.len) == 0)
        c->forwarded = c->early_data.len;
    if (c->early_data_ended)
        ffc_conn_forward(req, FFC_DATA, NULL, 0);
    ffc_buf_clear(&c->early_data);
}

void ffc_guard_skip_rest(ffcgi_request *req)
{
    struct ffc_conn *c = &req->conn;
    if (c->mode != FFC_REPLAY)
        return;
    while (c->stage == FFC_IN_STDIN || c->stage == FFC_IN_DATA) {
        if (c->input_ended) {
            if (c->stage == FFC_IN_DATA || c->role != FFCGI_ROLE_FILTER || c->failure)
                break;
            c->stage = FFC_IN_DATA;
            c->input_ended = c->early_data_ended;
            continue;
        }
        if (take_body_record(req, 0) < 0)
            break;
    }
    c->stage = FFC_DONE;
}

/* The params were too large or malformed: answer the web server ourselves
 * (`answer` is a whole CGI response) and pass over the request. Returns 0
 * to go on with the connection. */
static int refuse_request(ffcgi_request *req, const char *answer)
{
    struct ffc_conn *c = &req->conn;
    unsigned char header[FFC_HEADER_LEN];
    size_t len = strlen(answer);
    ffc_record_encode(header, FFC_STDOUT, c->id, len, 0);
    int rc = ffc_conn_send(req, header, sizeof header);
    if (rc == 0)
        rc = ffc_conn_send(req, answer, len);
    ffc_record_encode(header, FFC_STDOUT, c->id, 0, 0);
    if (rc == 0)
        rc = ffc_conn_send(req, header, sizeof header);
    if (rc == 0)
        rc = ffc_conn_send_end(req, c->id, FFC_REQUEST_COMPLETE);
    c->stage = FFC_IN_STDIN;
    ffc_guard_skip_rest(req);
    c->stage = FFC_WAIT_BEGIN;
    return rc == 0 && c->keep && c->failure == 0 ? 0 : FFC_DROPPED;
}

/* The request's params go to the request's env table, as libfcgi would
 * give them (FCGI_ROLE first; a value is a C string, so it ends at a NUL). */
static int take_params(ffcgi_request *req)
{
    static const char *const roles[] = {"RESPONDER", "AUTHORIZER", "FILTER"};
    struct ffc_conn *c = &req->conn;
    const char *role = roles[c->role - FFCGI_ROLE_RESPONDER];
    int rc = ffc_env_table_add(&req->env, "FCGI_ROLE", 9, role, strlen(role));
    struct ffc_nv_cursor cursor = {(const unsigned char *)c->scratch.data, c->scratch.len};
    const unsigned char *name, *value;
    size_t name_len, value_len;
    while (rc == 0 && ffc_nv_next(&cursor, &name, &name_len, &value, &value_len) == 1)
        rc = ffc_env_table_add(&req->env, (const char *)name, strnlen((const char *)name, name_len),
                               (const char *)value, strnlen((const char *)value, value_len));
    req->env.built = rc == 0;
    return rc;
}

/* libfcgi gets a request without params (they are in the env table), so
 * that however large they are, the copy fits the socketpair at once. */
static int give_head_to_libfcgi(ffcgi_request *req, const unsigned char *begin)
{
    struct ffc_conn *c = &req->conn;
    int rc = take_params(req);
    if (rc == 0)
        rc = ffc_conn_forward(req, FFC_BEGIN_REQUEST, begin, BEGIN_BODY_LEN);
    if (rc == 0)
        rc = ffc_conn_forward(req, FFC_PARAMS, NULL, 0);
    c->stage = FFC_IN_STDIN;
    return rc == 0 ? ffc_guard_for_reading(req) : rc;
}

/* Reads records until a request's params are complete, answering or
 * passing over everything else on the way. `fresh`: the connection was
 * just accepted, so its first request is served even if the server shuts
 * down meanwhile; on a kept connection only the wait for the next request
 * to begin ends at shutdown. */
static int replay_head(ffcgi_request *req, int fresh)
{
    struct ffc_conn *c = &req->conn;
    unsigned char begin[BEGIN_BODY_LEN];
    int over_limit = 0;
    c->mode = FFC_REPLAY;
    c->stage = FFC_WAIT_BEGIN;
    for (;;) {
        struct ffc_record r;
        const unsigned char *content;
        int wakeable = !fresh && c->stage == FFC_WAIT_BEGIN && ffc_conn_buffered(c) == 0;
        int rc = ffc_conn_next_record(req, wakeable, &r, &content);
        if (rc != 0)
            return rc;
        if (r.id == 0) {
            if (answer_management(req, &r, content) < 0)
                return FFC_DROPPED;
        } else if (c->stage == FFC_WAIT_BEGIN) {
            if (r.type != FFC_BEGIN_REQUEST)
                continue; /* a stray record of an ended or refused request */
            if (r.content_len < BEGIN_BODY_LEN)
                return FFC_DROPPED;
            unsigned role = (unsigned)content[0] << 8 | content[1];
            if (role < FFCGI_ROLE_RESPONDER || role > FFCGI_ROLE_FILTER) {
                /* FastCGI 5.1: without FCGI_KEEP_CONN the app closes after it */
                if (ffc_conn_send_end(req, r.id, FFC_UNKNOWN_ROLE) < 0 ||
                    !(content[2] & FFC_KEEP_CONN))
                    return FFC_DROPPED;
                continue;
            }
            memset(begin, 0, sizeof begin);
            memcpy(begin, content, 3);
            start_request(c, r.id, begin);
            over_limit = 0;
        } else if (r.id != c->id) {
            if (r.type == FFC_BEGIN_REQUEST && ffc_conn_send_end(req, r.id, FFC_CANT_MPX_CONN) < 0)
                return FFC_DROPPED;
        } else if (r.type == FFC_ABORT_REQUEST) {
            if (ffc_conn_send_end(req, c->id, FFC_REQUEST_COMPLETE) < 0 || !c->keep)
                return FFC_DROPPED;
            c->stage = FFC_WAIT_BEGIN;
        } else if (r.type != FFC_PARAMS) {
            return FFC_DROPPED; /* the body began before the params ended */
        } else if (r.content_len > 0) {
            if (over_limit || c->scratch.len + r.content_len > req->srv->limits.param_bytes)
                over_limit = 1;
            else if ((rc = ffc_buf_append(&c->scratch, content, r.content_len)) < 0)
                return rc;
        } else if (over_limit || !ffc_params_acceptable((const unsigned char *)c->scratch.data,
                                                        c->scratch.len, &req->srv->limits)) {
            int malformed = !over_limit && !ffc_params_well_formed(
                (const unsigned char *)c->scratch.data, c->scratch.len);
            if ((rc = refuse_request(req, malformed ? MALFORMED : TOO_LARGE)) != 0)
                return rc;
        } else {
            return give_head_to_libfcgi(req, begin);
        }
    }
}

static int next_request(ffcgi_request *req)
{
    struct ffc_conn *c = &req->conn;
    int fresh = c->fresh;
    c->fresh = 0;
    if (ffc_conn_buffered(c) == 0) {
        if (!c->peek && !(c->peek = malloc(FFC_PEEK_BYTES)))
            return ffc_fail(FFCGI_ENOMEM, "cannot allocate the peek buffer");
        /* On a fresh connection the request is usually there already; on a
         * kept one the next request usually is not. */
        ssize_t n = -1;
        errno = EAGAIN;
        if (fresh)
            n = recv(c->fd, c->peek, FFC_PEEK_BYTES, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0 && errno == EAGAIN) {
            int rc = ffc_conn_wait_input(req, !fresh);
            if (rc < 0)
                return rc == FFCGI_ETIMEDOUT ? FFC_DROPPED : rc; /* an idle kept connection */
            n = recv(c->fd, c->peek, FFC_PEEK_BYTES, MSG_PEEK | MSG_DONTWAIT);
        }
        if (n == 0)
            return FFC_DROPPED;
        if (n > 0 && ffc_guard_is_clean_request(c->peek, (size_t)n, &req->srv->limits,
                                                &c->scratch))
            return ffc_guard_direct(req);
    }
    return replay_head(req, fresh);
}

int ffc_guard_next_request(ffcgi_request *req)
{
    int rc = next_request(req);
    if (rc == FFCGI_ETIMEDOUT)
        rc = FFC_DROPPED; /* the web server stalled before the request began */
    if (rc == FFC_DROPPED || rc == FFCGI_ESHUTDOWN)
        ffc_guard_close(req);
    return rc;
}
