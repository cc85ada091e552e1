/* stream.c — the request body in (FCGI_STDIN, FCGI_DATA) and the response
 * out (FCGI_STDOUT, FCGI_STDERR), binary-safe, for FastCGI and CGI. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int ffc_stream_error(FCGX_Stream *stream, const char *what)
{
    int err = FCGX_GetError(stream);
    if (err == EPIPE || err == ECONNRESET)
        return ffc_fail_errno(FFCGI_EDISCONNECTED, err, "%s", what);
    if (err == EAGAIN || err == EWOULDBLOCK)
        return ffc_fail(FFCGI_ETIMEDOUT, "%s: the web server stopped reading", what);
    if (err > 0)
        return ffc_fail_errno(FFCGI_EIO, err, "%s", what);
    if (err < 0)
        return ffc_fail(FFCGI_EPROTOCOL,
                        "%s: the web server broke the protocol, aborted the request "
                        "or closed the connection mid-stream (libfcgi error %d)", what, err);
    return ffc_fail(FFCGI_EDISCONNECTED, "%s: the connection is closed", what);
}

/* Reads from libfcgi's input stream in chunks an int can count, the guard
 * feeding libfcgi first when the request is replayed. */
static int read_fastcgi(ffcgi_request *req, void *buf, size_t cap, size_t *nread,
                        const char *what)
{
    size_t got = 0;
    int rc = ffc_guard_for_reading(req);
    while (rc == 0 && got < cap) {
        size_t want = ffc_guard_pump(req, cap - got > INT_MAX ? INT_MAX : cap - got);
        int n = FCGX_GetStr((char *)buf + got, (int)want, req->fcgx.in);
        if (n > 0) {
            got += (size_t)n;
            ffc_guard_taken(req, (size_t)n);
        }
        if ((size_t)n < want)
            break;
    }
    *nread = got;
    if (rc < 0 || got > 0 || cap == 0)
        return rc;
    if (FCGX_GetError(req->fcgx.in) != 0)
        return ffc_stream_error(req->fcgx.in, what);
    int failure = ffc_guard_failure(req);
    if (failure)
        return ffc_fail(failure, "%s: %s", what, ffcgi_strerror(failure));
    return 0;
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
    return read_fastcgi(req, buf, cap, nread, "reading the request body");
}

/* 1 if the body was read to its end (looking one byte ahead if need be:
 * FCGX_StartFilterData() poisons the stream when called too early), 0 if
 * not, or an FFCGI_E* code. */
static int body_at_end(ffcgi_request *req)
{
    FCGX_Stream *in = req->fcgx.in;
    if (FCGX_HasSeenEOF(in) == EOF)
        return 1;
    int rc = ffc_guard_for_reading(req);
    if (rc < 0)
        return rc;
    ffc_guard_pump(req, 1);
    int c = FCGX_GetChar(in);
    if (c != EOF)
        return FCGX_UnGetChar(c, in) == c ? 0 : ffc_stream_error(in, "peeking at the body");
    return FCGX_GetError(in) == 0 ? 1 : ffc_stream_error(in, "reading the request body");
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
        if (FCGX_StartFilterData(req->fcgx.in) != 0)
            return ffc_stream_error(req->fcgx.in, "switching to FCGI_DATA");
        ffc_guard_start_data(req);
        req->data_started = 1;
    }
    return read_fastcgi(req, buf, cap, nread, "reading FCGI_DATA");
}

/* Writes to a libfcgi output stream. SIGPIPE is held only when the bytes
 * do not fit the stream's buffer, i.e. when libfcgi will write(). */
static int write_fastcgi(ffcgi_request *req, FCGX_Stream *stream, const void *buf,
                         size_t len, const char *what)
{
    const char *bytes = buf;
    while (len > 0) {
        int chunk = len > INT_MAX ? INT_MAX : (int)len;
        int fits = chunk <= stream->stop - stream->wrNext;
        struct ffc_sigpipe_guard guard = {0, 0};
        if (!fits) {
            int rc = ffc_guard_for_writing(req);
            if (rc < 0)
                return rc;
            ffc_sigpipe_hold(&guard);
        }
        int n = FCGX_PutStr(bytes, chunk, stream);
        ffc_sigpipe_release(&guard, FCGX_GetError(stream) != 0);
        /* After a failed write libfcgi still accepts bytes that fit its
         * buffer (and drops them), so the stream's error is what counts. */
        if (n != chunk || FCGX_GetError(stream) != 0)
            return ffc_stream_error(stream, what);
        bytes += chunk;
        len -= (size_t)chunk;
    }
    return 0;
}

int ffc_out_write(ffcgi_request *req, const void *buf, size_t len)
{
    if (req->is_cgi)
        return ffc_cgi_write(req, STDOUT_FILENO, buf, len);
    return write_fastcgi(req, req->fcgx.out, buf, len, "writing the response");
}

int ffcgi_write(ffcgi_request *req, const void *buf, size_t len)
{
    int rc = ffc_require_current(req, "ffcgi_write");
    if (rc < 0)
        return rc;
    if (!buf && len)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_write: buf is NULL");
    if ((rc = ffc_send_head(req)) < 0)
        return rc;
    req->body_started = 1;
    return len ? ffc_out_write(req, buf, len) : 0;
}

int ffcgi_print(ffcgi_request *req, const char *text)
{
    if (!text)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_print: text is NULL");
    return ffcgi_write(req, text, strlen(text));
}

int ffcgi_write_stderr(ffcgi_request *req, const void *buf, size_t len)
{
    int rc = ffc_require_current(req, "ffcgi_write_stderr");
    if (rc < 0)
        return rc;
    if (!buf && len)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_write_stderr: buf is NULL");
    if (len == 0)
        return 0;
    if (req->is_cgi)
        return ffc_cgi_write(req, STDERR_FILENO, buf, len);
    return write_fastcgi(req, req->fcgx.err, buf, len, "writing to FCGI_STDERR");
}

int ffcgi_flush(ffcgi_request *req)
{
    int rc = ffc_require_current(req, "ffcgi_flush");
    if (rc < 0 || (rc = ffc_send_head(req)) < 0)
        return rc;
    if (req->is_cgi)
        return ffc_cgi_flush(req);
    if ((rc = ffc_guard_for_writing(req)) < 0)
        return rc;
    struct ffc_sigpipe_guard guard;
    ffc_sigpipe_hold(&guard);
    /* FCGX_FFlush() reports success on a stream that already failed. */
    FCGX_FFlush(req->fcgx.out);
    FCGX_FFlush(req->fcgx.err);
    ffc_sigpipe_release(&guard, FCGX_GetError(req->fcgx.out) != 0 ||
                                    FCGX_GetError(req->fcgx.err) != 0);
    if (FCGX_GetError(req->fcgx.out) != 0)
        return ffc_stream_error(req->fcgx.out, "flushing the response");
    if (FCGX_GetError(req->fcgx.err) != 0)
        return ffc_stream_error(req->fcgx.err, "flushing FCGI_STDERR");
    return 0;
}

int ffcgi_set_exit_status(ffcgi_request *req, int status)
{
    int rc = ffc_require_current(req, "ffcgi_set_exit_status");
    if (rc < 0)
        return rc;
    req->exit_status = status;
    return 0;
}
