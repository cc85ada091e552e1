/* fcgi_client.c - FastCGI 1.0 client; see fcgi_client.h for the contracts. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "fcgi_client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ---- Errors ------------------------------------------------------------ */

static _Thread_local char error_text[256];

const char *fcc_error(void)
{
    return error_text;
}

/* Stores a formatted message for fcc_error() and returns status. */
static int fail(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(int status, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_text, sizeof error_text, fmt, ap);
    va_end(ap);
    errno = saved;
    return status;
}

/* FCC_ERR_SYS with errno (preserved) described after what. */
static int fail_sys(const char *what)
{
    return fail(FCC_ERR_SYS, "%s: %s", what, strerror(errno));
}

/* FCC_ERR_SYS with errno set to EINVAL. */
static int fail_inval(const char *what)
{
    errno = EINVAL;
    return fail_sys(what);
}

/* ---- Deadlines ---------------------------------------------------------- */

/* Absolute CLOCK_MONOTONIC time in milliseconds, or -1 for "never". */
typedef long long deadline_t;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static deadline_t deadline_in(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Milliseconds left as a poll() timeout (-1 = infinite, 0 = expired). */
static int ms_left(deadline_t d)
{
    if (d < 0)
        return -1;
    long long left = d - now_ms();
    return left <= 0 ? 0 : left > 1000000000 ? 1000000000 : (int)left;
}

/* Waits until fd reports one of events; stores revents.  Returns 0,
 * FCC_ERR_TIMEOUT or FCC_ERR_SYS. */
static int wait_fd(int fd, short events, deadline_t d, short *revents)
{
    for (;;) {
        struct pollfd p = { .fd = fd, .events = events, .revents = 0 };
        int n = poll(&p, 1, ms_left(d));
        if (n > 0) {
            *revents = p.revents;
            return 0;
        }
        if (n == 0)
            return fail(FCC_ERR_TIMEOUT, "timed out waiting for the server");
        if (errno != EINTR)
            return fail_sys("poll");
    }
}

/* ---- Connecting ---------------------------------------------------------- */

static int connect_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof sa.sun_path) {
        errno = len ? ENAMETOOLONG : EINVAL;
        return fail_sys("unix socket path"), -1;
    }
    memcpy(sa.sun_path, path, len + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail_sys("socket"), -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return fail(FCC_ERR_SYS, "connect %s: %s", path, strerror(errno)), -1;
    }
    return fd;
}

/* Tries each resolved address in turn; returns a connected fd or -1. */
static int connect_addrinfo(const struct addrinfo *list, const char *host,
                            const char *port)
{
    int saved = ECONNREFUSED;
    for (const struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                        ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return fd;
        }
        saved = errno;
        close(fd);
    }
    errno = saved;
    return fail(FCC_ERR_SYS, "connect %s:%s: %s", host, port, strerror(saved)),
           -1;
}

static int connect_inet(const char *host, const char *port)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM };
    struct addrinfo *list = NULL;
    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        if (rc != EAI_SYSTEM)
            errno = EHOSTUNREACH;
        return fail(FCC_ERR_SYS, "resolve %s:%s: %s", host, port,
                    gai_strerror(rc)), -1;
    }
    int fd = connect_addrinfo(list, host, port);
    int saved = errno;
    freeaddrinfo(list);
    errno = saved;
    return fd;
}

/* Splits "host:port" or "[host]:port" into host (copied to buf) and port.
 * Returns 0, or -1 if the address has no usable host:port form. */
static int split_host_port(const char *address, char *buf, size_t size,
                           const char **port)
{
    const char *host = address, *end;
    if (*address == '[') {
        host = address + 1;
        end = strchr(host, ']');
        if (!end || end[1] != ':')
            return -1;
        *port = end + 2;
    } else {
        end = strrchr(address, ':');
        if (!end)
            return -1;
        *port = end + 1;
    }
    size_t len = (size_t)(end - host);
    if (len == 0 || len >= size || **port == '\0')
        return -1;
    memcpy(buf, host, len);
    buf[len] = '\0';
    return 0;
}

int fcc_connect(const char *address)
{
    if (strncmp(address, "unix:", 5) == 0)
        return connect_unix(address + 5);
    if (address[0] == '/' || !strchr(address, ':'))
        return connect_unix(address);
    char host[256];
    const char *port;
    if (split_host_port(address, host, sizeof host, &port) < 0) {
        errno = EINVAL;
        return fail(FCC_ERR_SYS, "malformed address '%s'", address), -1;
    }
    return connect_inet(host, port);
}

/* Sends once; returns bytes sent (0 on EAGAIN/EINTR) or FCC_ERR_SYS. */
static ssize_t send_some(int fd, const unsigned char *data, size_t len)
{
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return 0;
    return fail_sys("send");
}

int fcc_write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = send_some(fd, p, len);
        if (n < 0)
            return (int)n;
        if (n == 0) {
            short revents;
            int rc = wait_fd(fd, POLLOUT, -1, &revents);
            if (rc < 0)
                return rc;
        }
        p += n;
        len -= (size_t)n;
    }
    return FCC_OK;
}

/* ---- Buffers ------------------------------------------------------------ */

int fcc_buf_reserve(fcc_buf *b, size_t extra)
{
    if (extra <= b->cap - b->len)
        return FCC_OK;
    if (extra > SIZE_MAX / 2 - b->len) {
        errno = ENOMEM;
        return fail_sys("buffer");
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra)
        cap *= 2;
    unsigned char *p = realloc(b->data, cap);
    if (!p)
        return fail_sys("buffer");
    b->data = p;
    b->cap = cap;
    return FCC_OK;
}

int fcc_buf_append(fcc_buf *b, const void *data, size_t len)
{
    int rc = fcc_buf_reserve(b, len);
    if (rc == FCC_OK && len > 0) {
        memcpy(b->data + b->len, data, len);
        b->len += len;
    }
    return rc;
}

void fcc_buf_free(fcc_buf *b)
{
    free(b->data);
    *b = (fcc_buf)FCC_BUF_INIT;
}

/* Appends len zero bytes. */
static int buf_zeros(fcc_buf *b, size_t len)
{
    int rc = fcc_buf_reserve(b, len);
    if (rc == FCC_OK) {
        memset(b->data + b->len, 0, len);
        b->len += len;
    }
    return rc;
}

static void store_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void store_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint16_t load_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t load_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* ---- Record encoding ---------------------------------------------------- */

int fcc_put_header(fcc_buf *b, uint8_t type, uint16_t request_id,
                   size_t content_len, size_t padding_len)
{
    if (content_len > FCC_MAX_CONTENT)
        return fail_inval("record content longer than 65535 bytes");
    if (padding_len > FCC_MAX_PADDING)
        return fail_inval("record padding longer than 255 bytes");
    unsigned char h[FCC_HEADER_LEN] = { FCC_VERSION_1, type };
    store_u16(h + 2, request_id);
    store_u16(h + 4, (uint16_t)content_len);
    h[6] = (unsigned char)padding_len;
    return fcc_buf_append(b, h, sizeof h);
}

int fcc_put_record(fcc_buf *b, uint8_t type, uint16_t request_id,
                   const void *content, size_t len, size_t padding_len)
{
    int rc = fcc_put_header(b, type, request_id, len, padding_len);
    if (rc == FCC_OK)
        rc = fcc_buf_append(b, content, len);
    if (rc == FCC_OK)
        rc = buf_zeros(b, padding_len);
    return rc;
}

int fcc_put_begin(fcc_buf *b, uint16_t request_id, uint16_t role,
                  uint8_t flags)
{
    unsigned char body[8] = { 0 };
    store_u16(body, role);
    body[2] = flags;
    return fcc_put_record(b, FCC_BEGIN_REQUEST, request_id, body, sizeof body,
                          0);
}

int fcc_put_end(fcc_buf *b, uint16_t request_id, uint32_t app_status,
                uint8_t protocol_status)
{
    unsigned char body[8] = { 0 };
    store_u32(body, app_status);
    body[4] = protocol_status;
    return fcc_put_record(b, FCC_END_REQUEST, request_id, body, sizeof body, 0);
}

/* Maps a chunk size argument to a record content size, or 0 if invalid. */
static size_t chunk_size(size_t chunk)
{
    return chunk == 0 ? FCC_MAX_CONTENT : chunk > FCC_MAX_CONTENT ? 0 : chunk;
}

int fcc_put_chunks(fcc_buf *b, uint8_t type, uint16_t request_id,
                   const void *data, size_t len, size_t chunk)
{
    size_t size = chunk_size(chunk);
    if (size == 0)
        return fail_inval("chunk size above 65535");
    const unsigned char *p = data;
    int rc = fcc_buf_reserve(b, len + (len / size + 1) * FCC_HEADER_LEN);
    for (size_t off = 0; rc == FCC_OK && off < len; off += size) {
        size_t n = len - off < size ? len - off : size;
        rc = fcc_put_record(b, type, request_id, p + off, n, 0);
    }
    return rc;
}

int fcc_put_stream(fcc_buf *b, uint8_t type, uint16_t request_id,
                   const void *data, size_t len, size_t chunk)
{
    int rc = fcc_put_chunks(b, type, request_id, data, len, chunk);
    return rc == FCC_OK ? fcc_put_record(b, type, request_id, NULL, 0, 0) : rc;
}

/* ---- Name-value pairs ----------------------------------------------------- */

fcc_param fcc_str_param(const char *name, const char *value)
{
    fcc_param p = { name, strlen(name), value, strlen(value), 0 };
    return p;
}

int fcc_put_nv_length(fcc_buf *b, size_t len, int force_long)
{
    if (len > FCC_MAX_NV_LEN)
        return fail_inval("name-value length above 2^31-1");
    if (len < 128 && !force_long) {
        unsigned char c = (unsigned char)len;
        return fcc_buf_append(b, &c, 1);
    }
    unsigned char v[4];
    store_u32(v, (uint32_t)len | 0x80000000u);
    return fcc_buf_append(b, v, sizeof v);
}

int fcc_put_nv(fcc_buf *b, const fcc_param *p)
{
    int rc = fcc_put_nv_length(b, p->name_len, p->flags & FCC_NV_LONG_NAME);
    if (rc == FCC_OK)
        rc = fcc_put_nv_length(b, p->value_len, p->flags & FCC_NV_LONG_VALUE);
    if (rc == FCC_OK)
        rc = fcc_buf_append(b, p->name, p->name_len);
    if (rc == FCC_OK)
        rc = fcc_buf_append(b, p->value, p->value_len);
    return rc;
}

int fcc_encode_params(fcc_buf *b, const fcc_param *params, size_t n)
{
    int rc = FCC_OK;
    for (size_t i = 0; rc == FCC_OK && i < n; i++)
        rc = fcc_put_nv(b, &params[i]);
    return rc;
}

/* Reads one length at *pos; returns 0 or -1 if data ends too early. */
static int get_nv_length(const unsigned char *data, size_t len, size_t *pos,
                         size_t *out)
{
    if (*pos >= len)
        return -1;
    if (data[*pos] < 128) {
        *out = data[(*pos)++];
        return 0;
    }
    if (len - *pos < 4)
        return -1;
    *out = load_u32(data + *pos) & 0x7fffffffu;
    *pos += 4;
    return 0;
}

/* Returns a NUL-terminated copy of len bytes, or NULL. */
static char *copy_bytes(const unsigned char *p, size_t len)
{
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, p, len);
        s[len] = '\0';
    }
    return s;
}

/* Appends a copy of one pair to list. */
static int nvlist_add(fcc_nvlist *list, const unsigned char *name,
                      size_t name_len, const unsigned char *value,
                      size_t value_len)
{
    if (list->len == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 8;
        fcc_nv *items = realloc(list->items, cap * sizeof *items);
        if (!items)
            return fail_sys("name-value list");
        list->items = items;
        list->cap = cap;
    }
    fcc_nv nv = { copy_bytes(name, name_len), name_len,
                  copy_bytes(value, value_len), value_len };
    if (!nv.name || !nv.value) {
        free(nv.name);
        free(nv.value);
        return fail_sys("name-value list");
    }
    list->items[list->len++] = nv;
    return FCC_OK;
}

int fcc_decode_params(const void *data, size_t len, fcc_nvlist *out)
{
    const unsigned char *p = data;
    size_t pos = 0;
    while (pos < len) {
        size_t nlen, vlen;
        if (get_nv_length(p, len, &pos, &nlen) < 0 ||
            get_nv_length(p, len, &pos, &vlen) < 0 || nlen > len - pos ||
            vlen > len - pos - nlen)
            return fail(FCC_ERR_PROTO, "truncated name-value pair at byte %zu",
                        pos);
        int rc = nvlist_add(out, p + pos, nlen, p + pos + nlen, vlen);
        if (rc < 0)
            return rc;
        pos += nlen + vlen;
    }
    return FCC_OK;
}

const fcc_nv *fcc_nvlist_find(const fcc_nvlist *list, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < list->len; i++) {
        const fcc_nv *nv = &list->items[i];
        if (nv->name_len == len && memcmp(nv->name, name, len) == 0)
            return nv;
    }
    return NULL;
}

void fcc_nvlist_free(fcc_nvlist *list)
{
    for (size_t i = 0; i < list->len; i++) {
        free(list->items[i].name);
        free(list->items[i].value);
    }
    free(list->items);
    *list = (fcc_nvlist){ NULL, 0, 0 };
}

/* ---- Requests ----------------------------------------------------------- */

int fcc_encode_request(fcc_buf *b, const fcc_request *req)
{
    fcc_buf params = FCC_BUF_INIT;
    int rc = fcc_put_begin(b, req->id, req->role,
                           req->keep_conn ? FCC_KEEP_CONN : 0);
    if (rc == FCC_OK)
        rc = fcc_encode_params(&params, req->params, req->n_params);
    if (rc == FCC_OK)
        rc = fcc_put_stream(b, FCC_PARAMS, req->id, params.data, params.len,
                            req->params_chunk);
    if (rc == FCC_OK)
        rc = fcc_put_stream(b, FCC_STDIN, req->id, req->stdin_data,
                            req->stdin_len, req->stdin_chunk);
    if (rc == FCC_OK && (req->role == FCC_FILTER || req->data))
        rc = fcc_put_stream(b, FCC_DATA, req->id, req->data, req->data_len,
                            req->stdin_chunk);
    fcc_buf_free(&params);
    return rc;
}

int fcc_send_request(int fd, const fcc_request *req)
{
    fcc_buf b = FCC_BUF_INIT;
    int rc = fcc_encode_request(&b, req);
    if (rc == FCC_OK)
        rc = fcc_write_all(fd, b.data, b.len);
    fcc_buf_free(&b);
    return rc;
}

/* ---- Incremental record reader ------------------------------------------ */

/* Collects one record (header, content, padding) in rec without reading
 * past its end: want is FCC_HEADER_LEN until the header is complete, then
 * the full record length. */
typedef struct reader {
    fcc_buf rec;
    size_t want;
} reader;

#define READER_INIT { FCC_BUF_INIT, FCC_HEADER_LEN }

/* Starts collecting the next record, keeping the storage. */
static void reader_reset(reader *r)
{
    r->rec.len = 0;
    r->want = FCC_HEADER_LEN;
}

/* One non-blocking receive.  Returns 1 when the record is complete, 0 when
 * more bytes are needed (including EAGAIN), or a negative status. */
static int reader_fill(int fd, reader *r)
{
    int rc = fcc_buf_reserve(&r->rec, r->want - r->rec.len);
    if (rc < 0)
        return rc;
    ssize_t n = recv(fd, r->rec.data + r->rec.len, r->want - r->rec.len,
                     MSG_DONTWAIT);
    if (n == 0)
        return fail(FCC_ERR_EOF, r->rec.len ? "connection closed inside a record"
                                            : "connection closed");
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
                   ? 0
                   : fail_sys("recv");
    r->rec.len += (size_t)n;
    if (r->rec.len == FCC_HEADER_LEN && r->want == FCC_HEADER_LEN)
        r->want += load_u16(r->rec.data + 4) + r->rec.data[6];
    return r->rec.len == r->want;
}

/* Blocks until r holds a complete record. */
static int reader_next(int fd, reader *r, deadline_t d)
{
    for (;;) {
        size_t before = r->rec.len;
        int rc = reader_fill(fd, r);
        if (rc != 0)
            return rc < 0 ? rc : FCC_OK;
        short revents;
        if (r->rec.len == before && (rc = wait_fd(fd, POLLIN, d, &revents)) < 0)
            return rc;
    }
}

int fcc_read_record(int fd, fcc_record *rec, int timeout_ms)
{
    reader r = READER_INIT;
    int rc = reader_next(fd, &r, deadline_in(timeout_ms));
    if (rc == FCC_OK) {
        const unsigned char *h = r.rec.data;
        rec->version = h[0];
        rec->type = h[1];
        rec->request_id = load_u16(h + 2);
        rec->padding_len = h[6];
        rec->content.len = 0;
        rc = fcc_buf_append(&rec->content, h + FCC_HEADER_LEN, load_u16(h + 4));
    }
    fcc_buf_free(&r.rec);
    return rc;
}

void fcc_record_free(fcc_record *rec)
{
    fcc_buf_free(&rec->content);
}

/* ---- Responses ------------------------------------------------------------ */

void fcc_response_init(fcc_response *r)
{
    memset(r, 0, sizeof *r);
}

void fcc_response_free(fcc_response *r)
{
    fcc_buf_free(&r->out);
    fcc_buf_free(&r->err);
    fcc_buf_free(&r->raw);
    fcc_response_init(r);
}

/* Adds FCGI_STDOUT/FCGI_STDERR content to its stream. */
static int take_output(fcc_buf *stream, int *closed, const char *name,
                       const unsigned char *content, size_t len)
{
    if (*closed)
        return fail(FCC_ERR_PROTO, "%s record after the end of its stream",
                    name);
    if (len == 0)
        *closed = 1;
    return fcc_buf_append(stream, content, len);
}

static int take_end(fcc_response *resp, const unsigned char *content,
                    size_t len)
{
    if (len != 8)
        return fail(FCC_ERR_PROTO,
                    "FCGI_END_REQUEST with content length %zu (expected 8)",
                    len);
    resp->app_status = load_u32(content);
    resp->protocol_status = content[4];
    resp->got_end = 1;
    return FCC_OK;
}

/* Accounts one complete record (header at rec) for request id. */
static int take_record(fcc_response *resp, uint16_t id,
                       const unsigned char *rec, size_t rec_len)
{
    const unsigned char *content = rec + FCC_HEADER_LEN;
    size_t len = load_u16(rec + 4);
    resp->records[rec[1]]++;
    if (resp->keep_raw && fcc_buf_append(&resp->raw, rec, rec_len) < 0)
        return FCC_ERR_SYS;
    if (rec[0] != FCC_VERSION_1)
        return fail(FCC_ERR_PROTO, "record with version %u", rec[0]);
    if (load_u16(rec + 2) != id) {
        resp->other_records++;
        return FCC_OK;
    }
    switch (rec[1]) {
    case FCC_STDOUT:
        return take_output(&resp->out, &resp->stdout_closed, "FCGI_STDOUT",
                           content, len);
    case FCC_STDERR:
        return take_output(&resp->err, &resp->stderr_closed, "FCGI_STDERR",
                           content, len);
    case FCC_END_REQUEST:
        return take_end(resp, content, len);
    default:
        return FCC_OK;
    }
}

/* Receives whatever is available without blocking, accounting complete
 * records, until END_REQUEST or EAGAIN. */
static int receive_available(int fd, reader *r, uint16_t id,
                             fcc_response *resp)
{
    while (!resp->got_end) {
        size_t before = r->rec.len;
        int rc = reader_fill(fd, r);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            rc = take_record(resp, id, r->rec.data, r->rec.len);
            if (rc < 0)
                return rc;
            reader_reset(r);
        } else if (r->rec.len == before) {
            return FCC_OK; /* nothing available right now */
        }
    }
    return FCC_OK;
}

/* Outgoing side of an exchange. */
typedef struct sender {
    const fcc_buf *data;
    size_t sent;
    int failed_errno; /* EPIPE/ECONNRESET seen; sending stopped */
} sender;

static int sender_active(const sender *s)
{
    return s->failed_errno == 0 && s->sent < s->data->len;
}

/* One non-blocking send; a closed peer only stops the sender. */
static int sender_push(int fd, sender *s)
{
    ssize_t n = send_some(fd, s->data->data + s->sent, s->data->len - s->sent);
    if (n >= 0) {
        s->sent += (size_t)n;
        return FCC_OK;
    }
    if (errno != EPIPE && errno != ECONNRESET)
        return (int)n;
    s->failed_errno = errno;
    return FCC_OK;
}

/* Adds context to the error message of a failed exchange (a too long
 * message is truncated). */
static int annotate_failure(int rc, const sender *s)
{
    char msg[sizeof error_text];
    if (rc == FCC_OK || (rc != FCC_ERR_EOF && !s->failed_errno))
        return rc;
    if (snprintf(msg, sizeof msg, "%s%s%s%s",
                 rc == FCC_ERR_EOF ? "no FCGI_END_REQUEST: " : "", error_text,
                 s->failed_errno ? "; sending had failed: " : "",
                 s->failed_errno ? strerror(s->failed_errno) : "") >= 0)
        memcpy(error_text, msg, sizeof msg);
    return rc;
}

/* Sends out while receiving the response for id.  After END_REQUEST the
 * remaining bytes are still sent if finish_sending. */
static int exchange(int fd, const fcc_buf *out, uint16_t id,
                    int finish_sending, fcc_response *resp, deadline_t d)
{
    reader r = READER_INIT;
    sender s = { out, 0, 0 };
    int rc = FCC_OK;
    while (rc == FCC_OK &&
           (!resp->got_end || (finish_sending && sender_active(&s)))) {
        short events = (short)((resp->got_end ? 0 : POLLIN) |
                               (sender_active(&s) ? POLLOUT : 0));
        short revents;
        rc = wait_fd(fd, events, d, &revents);
        if (rc == FCC_OK && !resp->got_end &&
            (revents & (POLLIN | POLLHUP | POLLERR)))
            rc = receive_available(fd, &r, id, resp);
        if (rc == FCC_OK && sender_active(&s) &&
            (revents & (POLLOUT | POLLHUP | POLLERR)))
            rc = sender_push(fd, &s);
    }
    fcc_buf_free(&r.rec);
    return annotate_failure(rc, &s);
}

int fcc_read_response(int fd, uint16_t request_id, fcc_response *resp,
                      int timeout_ms)
{
    const fcc_buf nothing = FCC_BUF_INIT;
    return exchange(fd, &nothing, request_id, 0, resp, deadline_in(timeout_ms));
}

int fcc_roundtrip(int fd, const fcc_request *req, fcc_response *resp,
                  int timeout_ms)
{
    deadline_t d = deadline_in(timeout_ms);
    fcc_buf out = FCC_BUF_INIT;
    int rc = fcc_encode_request(&out, req);
    if (rc == FCC_OK)
        rc = exchange(fd, &out, req->id, req->keep_conn, resp, d);
    fcc_buf_free(&out);
    return rc;
}

/* ---- Management ----------------------------------------------------------- */

int fcc_get_values(int fd, const char *const *names, size_t n,
                   fcc_nvlist *out, int timeout_ms)
{
    deadline_t d = deadline_in(timeout_ms);
    fcc_buf query = FCC_BUF_INIT, msg = FCC_BUF_INIT;
    int rc = FCC_OK;
    for (size_t i = 0; rc == FCC_OK && i < n; i++) {
        fcc_param p = fcc_str_param(names[i], "");
        rc = fcc_put_nv(&query, &p);
    }
    if (rc == FCC_OK)
        rc = fcc_put_record(&msg, FCC_GET_VALUES, 0, query.data, query.len, 0);
    if (rc == FCC_OK)
        rc = fcc_write_all(fd, msg.data, msg.len);
    fcc_buf_free(&query);
    fcc_buf_free(&msg);

    fcc_record rec = { 0 };
    if (rc == FCC_OK)
        rc = fcc_read_record(fd, &rec, ms_left(d));
    if (rc == FCC_OK && (rec.type != FCC_GET_VALUES_RESULT || rec.request_id))
        rc = fail(FCC_ERR_PROTO,
                  "expected FCGI_GET_VALUES_RESULT, got type %u for id %u",
                  rec.type, rec.request_id);
    if (rc == FCC_OK)
        rc = fcc_decode_params(rec.content.data, rec.content.len, out);
    fcc_record_free(&rec);
    return rc;
}
