/* output.c — the response out: FCGI_STDOUT and FCGI_STDERR framed into
 * records in the request's `wire` buffer and sent when it passes 8 KiB, at
 * a flush and at the end (the end records and FCGI_END_REQUEST go out with
 * the last bytes, in one write). Large writes skip the buffer: the app's
 * bytes go out from where they are, between record headers. */
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "error.h"
#include "record.h"
#include "request.h"

#define FLUSH_AT 8192
#define DIRECT_AT 16384
#define CHUNKS_PER_SEND 64

void ffc_out_reset(ffcgi_request *req)
{
    ffc_buf_clear(&req->wire);
    req->open_record = FFC_NO_RECORD;
    req->stderr_used = 0;
}

static unsigned current_id(const ffcgi_request *req)
{
    return req->conn->parser.id;
}

/* Sends the replies the parser queued, the wire buffer and then `more`. */
static int send_wire(ffcgi_request *req, struct iovec *more, int nmore)
{
    struct ffc_conn *c = req->conn;
    if (req->watched) { /* the watchdog may answer in its place (watchdog.c) */
        pthread_mutex_lock(&req->watch_lock);
        if (req->timed_out) {
            pthread_mutex_unlock(&req->watch_lock);
            ffc_buf_clear(&req->wire);
            req->open_record = FFC_NO_RECORD;
            return 0; /* answered by the library: dropped */
        }
    }
    int rc = ffc_conn_send_replies(c, req->limits.idle_ms);
    struct iovec iov[1 + 2 * CHUNKS_PER_SEND];
    int n = 0;
    if (req->wire.len > 0)
        iov[n++] = (struct iovec){req->wire.data, req->wire.len};
    for (int i = 0; i < nmore; i++)
        iov[n++] = more[i];
    if (rc == 0 && n > 0)
        rc = ffc_conn_sendv(c, iov, n, req->limits.idle_ms);
    req->sent_any |= n > 0;
    if (req->watched)
        pthread_mutex_unlock(&req->watch_lock);
    ffc_buf_clear(&req->wire);
    req->open_record = FFC_NO_RECORD;
    return rc;
}

/* Appends a record header; its content follows. */
static int open_record(ffcgi_request *req, unsigned type, size_t len)
{
    int rc = ffc_buf_reserve(&req->wire, FFC_HEADER_LEN + len);
    if (rc < 0)
        return rc;
    ffc_record_encode((unsigned char *)req->wire.data + req->wire.len, type, current_id(req),
                      len, 0);
    req->wire.len += FFC_HEADER_LEN;
    return 0;
}

/* Appends stdout bytes, growing the open record while it has room. */
static int append_stdout(ffcgi_request *req, const char *bytes, size_t len)
{
    while (len > 0) {
        size_t used = 0;
        if (req->open_record != FFC_NO_RECORD) {
            struct ffc_record r;
            ffc_record_decode((unsigned char *)req->wire.data + req->open_record, &r);
            used = r.content_len;
        }
        if (req->open_record == FFC_NO_RECORD || used == FFC_MAX_CONTENT) {
            int rc = open_record(req, FFC_STDOUT, 0);
            if (rc < 0)
                return rc;
            req->open_record = req->wire.len - FFC_HEADER_LEN;
            used = 0;
        }
        size_t n = len < FFC_MAX_CONTENT - used ? len : FFC_MAX_CONTENT - used;
        int rc = ffc_buf_append(&req->wire, bytes, n);
        if (rc < 0)
            return rc;
        ffc_record_encode((unsigned char *)req->wire.data + req->open_record, FFC_STDOUT,
                          current_id(req), used + n, 0);
        bytes += n;
        len -= n;
    }
    return 0;
}

/* Sends whole records of the app's bytes, without copying them. */
static int write_direct(ffcgi_request *req, unsigned type, const char *bytes, size_t len)
{
    unsigned char headers[CHUNKS_PER_SEND][FFC_HEADER_LEN];
    int rc = 0;
    while (rc == 0 && len > 0) {
        struct iovec iov[2 * CHUNKS_PER_SEND];
        int n = 0;
        for (int i = 0; i < CHUNKS_PER_SEND && len > 0; i++) {
            size_t chunk = len < FFC_MAX_CONTENT ? len : FFC_MAX_CONTENT;
            ffc_record_encode(headers[i], type, current_id(req), chunk, 0);
            iov[n++] = (struct iovec){headers[i], FFC_HEADER_LEN};
            iov[n++] = (struct iovec){(void *)bytes, chunk};
            bytes += chunk;
            len -= chunk;
        }
        rc = send_wire(req, iov, n);
    }
    return rc;
}

static int write_fastcgi(ffcgi_request *req, unsigned type, const char *bytes, size_t len)
{
    if (req->conn->output_failed)
        return ffc_fail(FFCGI_EDISCONNECTED, "writing to the web server: an earlier write failed");
    if (len >= DIRECT_AT)
        return write_direct(req, type, bytes, len);
    int rc;
    if (type == FFC_STDOUT) {
        rc = append_stdout(req, bytes, len);
    } else {
        req->open_record = FFC_NO_RECORD;
        rc = open_record(req, type, len);
        if (rc == 0)
            rc = ffc_buf_append(&req->wire, bytes, len);
    }
    if (rc == 0 && req->wire.len >= FLUSH_AT)
        rc = send_wire(req, NULL, 0);
    return rc;
}

int ffc_out_write(ffcgi_request *req, const void *buf, size_t len)
{
    if (req->is_cgi)
        return ffc_cgi_write(req, STDOUT_FILENO, buf, len);
    return write_fastcgi(req, FFC_STDOUT, buf, len);
}

int ffc_out_end(ffcgi_request *req)
{
    unsigned char end[3 * FFC_HEADER_LEN + 8] = {0};
    size_t len = 0;
    unsigned id = current_id(req);
    ffc_record_encode(end, FFC_STDOUT, id, 0, 0);
    len += FFC_HEADER_LEN;
    if (req->stderr_used) {
        ffc_record_encode(end + len, FFC_STDERR, id, 0, 0);
        len += FFC_HEADER_LEN;
    }
    ffc_record_encode(end + len, FFC_END_REQUEST, id, 8, 0);
    unsigned status = (unsigned)req->exit_status;
    end[len + 8] = (unsigned char)(status >> 24);
    end[len + 9] = (unsigned char)(status >> 16);
    end[len + 10] = (unsigned char)(status >> 8);
    end[len + 11] = (unsigned char)status;
    end[len + 12] = FFC_REQUEST_COMPLETE;
    len += FFC_HEADER_LEN + 8;
    if (req->conn->output_failed)
        return ffc_fail(FFCGI_EDISCONNECTED, "finishing the response: an earlier write failed");
    struct iovec iov = {end, len};
    return send_wire(req, &iov, 1);
}

/* Raw CGI output (no ffcgi_status/ffcgi_header): the status it begins
 * with, "Status: NNN", for the access log. */
static void note_raw_status(ffcgi_request *req, const char *text, size_t len)
{
    static const char prefix[] = "Status: ";
    size_t n = sizeof prefix - 1;
    if (len < n + 3 || strncasecmp(text, prefix, n) != 0)
        return;
    int code = 0;
    for (size_t i = n; i < n + 3; i++) {
        if (text[i] < '0' || text[i] > '9')
            return;
        code = code * 10 + (text[i] - '0');
    }
    req->raw_status = code;
}

int ffcgi_write(ffcgi_request *req, const void *buf, size_t len)
{
    int rc = ffc_require_current(req, "ffcgi_write");
    if (rc < 0)
        return rc;
    if (!buf && len)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_write: buf is NULL");
    if (req->answered)
        return 0;
    if (!req->body_started && !req->head_pending)
        note_raw_status(req, buf, len);
    if ((rc = ffc_send_head(req)) < 0)
        return rc;
    req->body_started = 1;
    req->body_bytes += len;
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
    req->stderr_used = 1;
    return write_fastcgi(req, FFC_STDERR, buf, len);
}

int ffcgi_flush(ffcgi_request *req)
{
    int rc = ffc_require_current(req, "ffcgi_flush");
    if (rc < 0 || req->answered || (rc = ffc_send_head(req)) < 0)
        return rc;
    if (req->is_cgi)
        return ffc_cgi_flush(req);
    if (req->conn->output_failed)
        return ffc_fail(FFCGI_EDISCONNECTED, "flushing the response: an earlier write failed");
    return send_wire(req, NULL, 0);
}

int ffcgi_set_exit_status(ffcgi_request *req, int status)
{
    int rc = ffc_require_current(req, "ffcgi_set_exit_status");
    if (rc < 0)
        return rc;
    req->exit_status = status;
    return 0;
}
