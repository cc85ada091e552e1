/* parser.c — see parser.h. */
#include <string.h>

#include "error.h"
#include "ffcgi.h"
#include "parser.h"
#include "record.h"

#define BEGIN_BODY_LEN 8
#define MAX_EARLY_DATA (64 * 1024)

static const char TOO_LARGE[] =
    "Status: 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\n\r\n"
    "The request's params exceed the server's limits.\n";
static const char MALFORMED[] =
    "Status: 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n"
    "The request's params are malformed (a name or value length runs past their end).\n";

/* Records what was refused or not followed, for the error log. */
static void note_problem(struct ffc_parser *p, const char *what, int is_limit)
{
    p->problem = what;
    p->problem_is_limit = is_limit;
}

void ffc_parser_reset(struct ffc_parser *p)
{
    ffc_buf_release(&p->params);
    ffc_buf_release(&p->early_data);
    memset(p, 0, sizeof *p);
    p->stage = FFC_AT_BEGIN;
}

int ffc_failure_is_fatal(int failure)
{
    return failure == FFCGI_EDISCONNECTED || failure == FFCGI_EPROTOCOL ||
           failure == FFCGI_ETIMEDOUT || failure == FFCGI_EIO || failure == FFCGI_ENOMEM;
}

/* Appends one record (content may be NULL when len is 0). */
static int reply(struct ffc_buf *replies, unsigned type, unsigned id, const void *content,
                 size_t len)
{
    unsigned char header[FFC_HEADER_LEN];
    ffc_record_encode(header, type, id, len, 0);
    int rc = ffc_buf_append(replies, header, sizeof header);
    return rc < 0 ? rc : ffc_buf_append(replies, content, len);
}

static int reply_end(struct ffc_buf *replies, unsigned id, unsigned protocol_status)
{
    unsigned char body[8] = {0, 0, 0, 0, (unsigned char)protocol_status, 0, 0, 0};
    return reply(replies, FFC_END_REQUEST, id, body, sizeof body);
}

/* FCGI_GET_VALUES gets the values libfcgi would give, each name once;
 * every other management record gets FCGI_UNKNOWN_TYPE. */
static int answer_management(const struct ffc_record *r, const unsigned char *content,
                             struct ffc_buf *replies)
{
    static const char *const names[] = {"FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"};
    static const char values[] = {'1', '1', '0'};
    if (r->type != FFC_GET_VALUES) {
        unsigned char body[8] = {(unsigned char)r->type, 0, 0, 0, 0, 0, 0, 0};
        return reply(replies, FFC_UNKNOWN_TYPE, 0, body, sizeof body);
    }
    unsigned char answer[64];
    size_t len = 0;
    int answered[3] = {0, 0, 0};
    struct ffc_nv_cursor cursor = {content, r->content_len};
    const unsigned char *name, *value;
    size_t name_len, value_len;
    while (ffc_nv_next(&cursor, &name, &name_len, &value, &value_len) == 1) {
        for (int i = 0; i < 3; i++) {
            if (answered[i] || name_len != strlen(names[i]) || memcmp(name, names[i], name_len))
                continue;
            answer[len] = (unsigned char)name_len;
            answer[len + 1] = 1;
            memcpy(answer + len + 2, names[i], name_len);
            answer[len + 2 + name_len] = (unsigned char)values[i];
            len += 3 + name_len;
            answered[i] = 1;
        }
    }
    return reply(replies, FFC_GET_VALUES_RESULT, 0, answer, len);
}

enum { PARAMS_TAKEN = 0, PARAMS_MALFORMED = 1, PARAMS_TOO_MANY = 2 };

/* Adds FCGI_ROLE, then each param exactly as received, up to a NUL
 * (libfcgi's C strings), checking them in the same pass. Returns
 * PARAMS_TAKEN; PARAMS_MALFORMED (anywhere in them) or PARAMS_TOO_MANY
 * (over limits->params), the table emptied; or FFCGI_ENOMEM. */
static int take_params(const struct ffc_parser *p, const struct ffc_limit_values *limits,
                       struct ffc_env_table *env)
{
    static const char *const roles[] = {"RESPONDER", "AUTHORIZER", "FILTER"};
    const char *role = roles[p->role - FFCGI_ROLE_RESPONDER];
    /* A pair's lengths take at least two bytes and its packed form two
     * NULs, so the packed pairs take no more than the params' bytes. */
    int rc = ffc_env_table_reserve(env, 1, p->params.len + sizeof "FCGI_ROLE" +
                                   sizeof "AUTHORIZER");
    if (rc == 0)
        rc = ffc_env_table_add(env, "FCGI_ROLE", 9, role, strlen(role));
    struct ffc_nv_cursor cursor = {(const unsigned char *)p->params.data, p->params.len};
    const unsigned char *name, *value;
    size_t name_len, value_len, count = 0;
    int next = 0;
    while (rc == 0 && (next = ffc_nv_next(&cursor, &name, &name_len, &value, &value_len)) == 1) {
        if (++count > limits->params)
            continue; /* past it, the rest is only checked */
        if (memchr(name, '\0', name_len + value_len)) { /* name and value are adjacent */
            name_len = strnlen((const char *)name, name_len);
            value_len = strnlen((const char *)value, value_len);
        }
        rc = ffc_env_table_add(env, (const char *)name, name_len, (const char *)value, value_len);
    }
    if (rc < 0)
        return rc;
    int taken = next < 0 ? PARAMS_MALFORMED : count > limits->params ? PARAMS_TOO_MANY : PARAMS_TAKEN;
    if (taken != PARAMS_TAKEN)
        ffc_env_table_clear(env);
    return taken;
}

static void begin_body(struct ffc_parser *p, enum ffc_stage stage)
{
    p->stage = stage;
    p->stream = FFC_STDIN;
    p->content_left = p->padding_left = 0;
    p->stdin_ended = p->data_ended = 0;
    p->failure = 0;
    p->body_bytes = 0;
    ffc_buf_clear(&p->early_data);
    p->early_taken = 0;
    p->early_data_ended = 0;
    if (p->params.cap > 4096)
        ffc_buf_release(&p->params); /* a large head's memory goes back */
    ffc_buf_clear(&p->params);
}

/* The params were too large or malformed: the library answers (`answer`
 * is a whole CGI response) and passes over the rest of the request. */
static int refuse(struct ffc_parser *p, const char *answer, struct ffc_buf *replies)
{
    int rc = reply(replies, FFC_STDOUT, p->id, answer, strlen(answer));
    if (rc == 0)
        rc = reply(replies, FFC_STDOUT, p->id, NULL, 0);
    if (rc == 0)
        rc = reply_end(replies, p->id, FFC_REQUEST_COMPLETE);
    begin_body(p, FFC_SKIPPING);
    return rc;
}

/* Where a skipped request ends: back to AT_BEGIN, or CLOSE. */
static int after_skipping(struct ffc_parser *p)
{
    if (ffc_failure_is_fatal(p->failure) || !p->keep)
        return FFC_HEAD_CLOSE;
    p->stage = FFC_AT_BEGIN;
    return FFC_HEAD_MORE;
}

/* Skips body records; returns MORE, or the result once the request is
 * passed over (after_skipping()). */
static int skip_body(struct ffc_parser *p, const unsigned char *in, size_t len, size_t *used,
                     const struct ffc_limit_values *limits, struct ffc_buf *replies)
{
    size_t copied;
    *used = 0;
    for (;;) {
        size_t n;
        int r = ffc_parse_body(p, in + *used, len - *used, &n, NULL, 0, &copied, limits,
                               replies);
        *used += n;
        if (r == FFC_BODY_MORE)
            return FFC_HEAD_MORE;
        if (p->stage != FFC_SKIPPING) /* a new request began */
            return FFC_HEAD_MORE;
        if (r == FFC_BODY_END && p->stream == FFC_STDIN && p->role == FFCGI_ROLE_FILTER) {
            ffc_parser_start_data(p);
            continue;
        }
        return after_skipping(p);
    }
}

/* A BEGIN_REQUEST record, while no request is in progress. */
static int take_begin(struct ffc_parser *p, const struct ffc_record *r,
                      const unsigned char *content, struct ffc_buf *replies)
{
    if (r->content_len < BEGIN_BODY_LEN) {
        note_problem(p, "protocol error: a BEGIN_REQUEST record too short; connection closed", 0);
        return FFC_HEAD_CLOSE;
    }
    unsigned role = (unsigned)content[0] << 8 | content[1];
    int keep = content[2] & FFC_KEEP_CONN;
    if (role < FFCGI_ROLE_RESPONDER || role > FFCGI_ROLE_FILTER) {
        /* FastCGI 5.1: without FCGI_KEEP_CONN the app closes after it */
        note_problem(p, "a request of an unknown role refused (FCGI_UNKNOWN_ROLE)", 0);
        int rc = reply_end(replies, r->id, FFC_UNKNOWN_ROLE);
        return rc < 0 ? rc : keep ? FFC_HEAD_MORE : FFC_HEAD_CLOSE;
    }
    p->id = r->id;
    p->role = role;
    p->keep = keep;
    p->over_limit = 0;
    ffc_buf_clear(&p->params);
    p->stage = FFC_IN_PARAMS;
    return FFC_HEAD_MORE;
}

/* A record of the current request while its params are being collected. */
static int take_params_record(struct ffc_parser *p, const struct ffc_record *r,
                              const unsigned char *content,
                              const struct ffc_limit_values *limits, struct ffc_buf *replies,
                              struct ffc_env_table *env)
{
    if (r->type == FFC_ABORT_REQUEST) {
        int rc = reply_end(replies, p->id, FFC_REQUEST_COMPLETE);
        p->stage = FFC_AT_BEGIN;
        return rc < 0 ? rc : p->keep ? FFC_HEAD_MORE : FFC_HEAD_CLOSE;
    }
    if (r->type != FFC_PARAMS) {
        note_problem(p, "protocol error: the body began before the params ended; connection closed", 0);
        return FFC_HEAD_CLOSE;
    }
    if (r->content_len > 0) {
        if (p->over_limit || p->params.len + r->content_len > limits->param_bytes)
            p->over_limit = 1;
        else
            return ffc_buf_append(&p->params, content, r->content_len);
        return FFC_HEAD_MORE;
    }
    int taken = p->over_limit ? PARAMS_TOO_MANY : take_params(p, limits, env);
    if (taken < 0)
        return taken;
    if (taken == PARAMS_MALFORMED) {
        note_problem(p, "malformed params: request refused (400)", 0);
        return refuse(p, MALFORMED, replies);
    }
    if (taken == PARAMS_TOO_MANY) {
        note_problem(p, "params over FFCGI_LIMIT_PARAM_BYTES or FFCGI_LIMIT_PARAMS: request "
                     "refused (431)", 1);
        return refuse(p, TOO_LARGE, replies);
    }
    begin_body(p, FFC_IN_BODY);
    return FFC_HEAD_READY;
}

static int refuse_multiplexed(struct ffc_parser *p, unsigned id, struct ffc_buf *replies)
{
    note_problem(p, "a second request at once on one connection refused (FCGI_CANT_MPX_CONN)", 0);
    return reply_end(replies, id, FFC_CANT_MPX_CONN);
}

int ffc_parse_head(struct ffc_parser *p, const unsigned char *in, size_t len, size_t *used,
                   const struct ffc_limit_values *limits, struct ffc_buf *replies,
                   struct ffc_env_table *env)
{
    size_t pos = 0;
    int rc = FFC_HEAD_MORE;
    while (rc == FFC_HEAD_MORE) {
        if (p->stage == FFC_SKIPPING) {
            size_t n;
            rc = skip_body(p, in + pos, len - pos, &n, limits, replies);
            pos += n;
            if (rc == FFC_HEAD_MORE && p->stage == FFC_SKIPPING)
                break; /* skip_body used every byte */
            continue;
        }
        if (len - pos < FFC_HEADER_LEN)
            break;
        struct ffc_record r;
        ffc_record_decode(in + pos, &r);
        if (r.version != FFC_VERSION_1) {
            note_problem(p, "protocol error: a record whose version is not 1; connection closed", 0);
            rc = FFC_HEAD_CLOSE; /* no way to find the next record */
            break;
        }
        if (len - pos < ffc_record_size(&r))
            break;
        const unsigned char *content = in + pos + FFC_HEADER_LEN;
        pos += ffc_record_size(&r);
        if (r.id == 0)
            rc = answer_management(&r, content, replies);
        else if (p->stage == FFC_AT_BEGIN)
            rc = r.type == FFC_BEGIN_REQUEST ? take_begin(p, &r, content, replies)
                                             : FFC_HEAD_MORE; /* a stray record */
        else if (r.id != p->id)
            rc = r.type == FFC_BEGIN_REQUEST ? refuse_multiplexed(p, r.id, replies)
                                             : FFC_HEAD_MORE;
        else
            rc = take_params_record(p, &r, content, limits, replies, env);
    }
    *used = pos;
    return rc;
}

static int stream_ended(const struct ffc_parser *p)
{
    return p->stream == FFC_STDIN ? p->stdin_ended : p->data_ended;
}

void ffc_parser_start_data(struct ffc_parser *p)
{
    p->stream = FFC_DATA;
    p->content_left = p->padding_left = 0;
    p->data_ended = p->early_data_ended;
    if (p->failure == FFCGI_ELIMIT)
        p->failure = 0; /* the limit is the body's */
}

void ffc_parser_skip_rest(struct ffc_parser *p)
{
    if (p->stage != FFC_IN_BODY)
        return;
    int read_to_end = p->padding_left == 0 &&
                      (p->role == FFCGI_ROLE_FILTER ? p->stream == FFC_DATA && p->data_ended
                                                    : p->stdin_ended);
    p->stage = read_to_end || p->failure == FFCGI_EABORTED ? FFC_AT_BEGIN : FFC_SKIPPING;
}

/* The header of the current stream's next record: begins its content. */
static void open_record(struct ffc_parser *p, const struct ffc_record *r,
                        const struct ffc_limit_values *limits)
{
    if (r->content_len == 0) {
        if (p->stream == FFC_STDIN)
            p->stdin_ended = 1;
        else
            p->data_ended = 1;
    } else if (p->stream == FFC_STDIN && !p->failure && limits->body_bytes &&
               p->body_bytes + r->content_len > limits->body_bytes) {
        p->failure = FFCGI_ELIMIT; /* the rest is read and dropped */
    }
    if (p->stream == FFC_STDIN)
        p->body_bytes += r->content_len;
    p->content_left = r->content_len;
    p->padding_left = r->padding_len;
}

/* A whole record that is not content of the current stream; a failure is
 * left in p->failure. */
static void take_other_record(struct ffc_parser *p, const struct ffc_record *r,
                             const unsigned char *content, struct ffc_buf *replies)
{
    int rc = 0;
    if (r->id == 0)
        rc = answer_management(r, content, replies);
    else if (r->id != p->id)
        rc = r->type == FFC_BEGIN_REQUEST ? reply_end(replies, r->id, FFC_CANT_MPX_CONN) : 0;
    else if (r->type == FFC_DATA && p->stream == FFC_STDIN && p->role == FFCGI_ROLE_FILTER) {
        if (p->early_data.len + r->content_len > MAX_EARLY_DATA)
            p->failure = FFCGI_EPROTOCOL;
        else
            rc = ffc_buf_append(&p->early_data, content, r->content_len);
        p->early_data_ended = r->content_len == 0;
    } else
        p->failure = r->type == FFC_ABORT_REQUEST ? FFCGI_EABORTED : FFCGI_EPROTOCOL;
    if (rc < 0)
        p->failure = FFCGI_ENOMEM;
}

int ffc_parse_body(struct ffc_parser *p, const unsigned char *in, size_t len, size_t *used,
                   unsigned char *out, size_t cap, size_t *copied,
                   const struct ffc_limit_values *limits, struct ffc_buf *replies)
{
    size_t pos = 0, got = 0;
    int skipping = p->stage == FFC_SKIPPING;
    int result = FFC_BODY_MORE;
    for (;;) {
        int delivering = !skipping;
        if (p->failure && (p->failure != FFCGI_ELIMIT || !skipping)) {
            result = FFC_BODY_FAILED; /* over the limit: finish skips the rest */
            break;
        }
        if (p->stream == FFC_DATA && p->early_taken < p->early_data.len) {
            size_t n = p->early_data.len - p->early_taken;
            if (delivering && n > cap - got)
                n = cap - got;
            if (n == 0) {
                result = FFC_BODY_FULL;
                break;
            }
            if (delivering)
                memcpy(out + got, p->early_data.data + p->early_taken, n);
            got += delivering ? n : 0;
            p->early_taken += n;
            continue;
        }
        if (p->content_left > 0) {
            size_t n = p->content_left < len - pos ? p->content_left : len - pos;
            if (delivering && n > cap - got)
                n = cap - got;
            if (n == 0) {
                result = pos == len ? FFC_BODY_MORE : FFC_BODY_FULL;
                break;
            }
            if (delivering)
                memcpy(out + got, in + pos, n);
            got += delivering ? n : 0;
            pos += n;
            p->content_left -= n;
            continue;
        }
        if (p->padding_left > 0) {
            size_t n = p->padding_left < len - pos ? p->padding_left : len - pos;
            if (n == 0)
                break;
            pos += n;
            p->padding_left -= n;
            continue;
        }
        if (stream_ended(p)) {
            result = FFC_BODY_END;
            break;
        }
        if (len - pos < FFC_HEADER_LEN)
            break;
        struct ffc_record r;
        ffc_record_decode(in + pos, &r);
        if (r.version != FFC_VERSION_1) {
            p->failure = FFCGI_EPROTOCOL;
            continue;
        }
        if (skipping && r.type == FFC_BEGIN_REQUEST) {
            p->stage = FFC_AT_BEGIN; /* the web server gave up on the rest */
            result = FFC_BODY_END;
            break;
        }
        if (r.id == p->id && r.type == p->stream) {
            pos += FFC_HEADER_LEN;
            open_record(p, &r, limits);
            continue;
        }
        if (len - pos < ffc_record_size(&r))
            break;
        const unsigned char *content = in + pos + FFC_HEADER_LEN;
        pos += ffc_record_size(&r);
        take_other_record(p, &r, content, replies);
    }
    *used = pos;
    *copied = got;
    return result;
}
