/* body.c — the request body in: FCGI_STDIN, and FCGI_DATA for FILTER,
 * parsed out of the connection's buffer (parser.c) and refilled from its
 * socket (conn_io.c) as the app reads. A body is never held whole: it
 * streams through the connection's buffer. */
#include <stdio.h>

#include "error.h"
#include "loop.h"
#include "record.h"
#include "request.h"
#include "server.h"

int ffc_body_fill(ffcgi_request *req)
{
    struct ffc_conn *c = req->conn;
    int rc = ffc_conn_fill(c, 0);
    if (rc == FFC_FILL_AGAIN) {
        /* this thread waits on the socket: the loop need not report it */
        ffc_loop_quiet(req->srv, c);
        rc = ffc_conn_fill(c, req->limits.idle_ms);
    }
    if (rc == FFC_FILL_OK)
        return 0;
    c->parser.failure = rc == FFC_FILL_CLOSED ? FFCGI_EDISCONNECTED : rc;
    return c->parser.failure;
}

static int body_failure(const ffcgi_request *req, const char *what)
{
    int failure = req->conn->parser.failure;
    if (failure == FFCGI_ETIMEDOUT)
        return ffc_fail(failure, "%s: no data from the web server for %d ms", what,
                        req->limits.idle_ms);
    if (failure == FFCGI_EDISCONNECTED)
        return ffc_fail(failure, "%s: the web server closed the connection mid-stream", what);
    return ffc_fail(failure, "%s: %s", what, ffcgi_strerror(failure));
}

/* Sends what the parser answered on the way (management records). */
static void send_replies(ffcgi_request *req)
{
    struct ffc_conn *c = req->conn;
    if (c->replies.len > 0 && ffc_conn_send_replies(c, req->limits.idle_ms) < 0 &&
        !c->parser.failure)
        c->parser.failure = FFCGI_EDISCONNECTED;
}

/* Fills buf[0..cap) from the current stream, or up to its end. */
static int read_stream(ffcgi_request *req, void *buf, size_t cap, size_t *nread,
                       const char *what)
{
    struct ffc_conn *c = req->conn;
    size_t got = 0;
    int result = FFC_BODY_MORE;
    while (got < cap) {
        size_t used, copied;
        result = ffc_parse_body(&c->parser, ffc_conn_unread(c),
                                ffc_conn_buffered(c), &used, (unsigned char *)buf + got,
                                cap - got, &copied, &req->limits, &c->replies);
        c->pos += used;
        got += copied;
        send_replies(req);
        if (result != FFC_BODY_MORE)
            break;
        if (got < cap && ffc_body_fill(req) < 0) {
            result = FFC_BODY_FAILED;
            break;
        }
    }
    *nread = got;
    if (c->parser.failure == FFCGI_ELIMIT)
        ffc_refuse_growing_body(req);
    if (got > 0 || result != FFC_BODY_FAILED)
        return 0;
    return body_failure(req, what);
}

/* The checks every read starts with; clears *nread. */
static int start_read(ffcgi_request *req, const void *buf, size_t cap, size_t *nread,
                      const char *what)
{
    if (nread)
        *nread = 0;
    if (!nread || (!buf && cap))
        return ffc_fail(FFCGI_EINVAL, "%s: buf or nread is NULL", what);
    return ffc_require_current(req, what);
}

int ffcgi_read(ffcgi_request *req, void *buf, size_t cap, size_t *nread)
{
    int rc = start_read(req, buf, cap, nread, "ffcgi_read");
    if (rc < 0)
        return rc;
    if (req->data_started)
        return ffc_fail(FFCGI_ESTATE, "ffcgi_read: the body was read; now read FCGI_DATA");
    if (req->is_cgi)
        return ffc_cgi_read(req, buf, cap, nread);
    return read_stream(req, buf, cap, nread, "reading the request body");
}

/* 1 if the body was read to its end (looking at the next record if need
 * be), 0 if content is left, or an FFCGI_E* code. */
static int body_at_end(ffcgi_request *req)
{
    struct ffc_conn *c = req->conn;
    struct ffc_parser *p = &c->parser;
    for (;;) {
        if (p->content_left > 0)
            return 0;
        size_t used, copied;
        int result = ffc_parse_body(p, ffc_conn_unread(c),
                                    ffc_conn_buffered(c), &used, NULL, 0, &copied,
                                    &req->limits, &c->replies);
        c->pos += used;
        send_replies(req);
        if (result == FFC_BODY_END)
            return 1;
        if (result == FFC_BODY_FAILED)
            return body_failure(req, "reading the request body");
        if (p->content_left > 0)
            return 0;
        if (ffc_body_fill(req) < 0)
            return body_failure(req, "reading the request body");
    }
}

int ffcgi_read_data(ffcgi_request *req, void *buf, size_t cap, size_t *nread)
{
    int rc = start_read(req, buf, cap, nread, "ffcgi_read_data");
    if (rc < 0)
        return rc;
    if (ffcgi_request_role(req) != FFCGI_ROLE_FILTER)
        return ffc_fail(FFCGI_EROLE, "ffcgi_read_data: FCGI_DATA exists only for FILTER requests");
    if (!req->data_started) {
        if ((rc = body_at_end(req)) <= 0)
            return rc < 0 ? rc
                          : ffc_fail(FFCGI_ESTATE,
                                     "ffcgi_read_data: read the body to its end before FCGI_DATA");
        ffc_parser_start_data(&req->conn->parser);
        req->data_started = 1;
    }
    return read_stream(req, buf, cap, nread, "reading FCGI_DATA");
}
