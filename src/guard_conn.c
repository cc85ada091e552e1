/* guard_conn.c — the guard's hold on a connection: buffered reading of
 * whole records, writing replies, the socketpair that feeds libfcgi, and
 * pointing libfcgi's descriptor at one or the other. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guard_conn.h"

#define READ_CHUNK 65536
#define PAIR_BUFFER (1 << 20)

/* Waits until fd is readable; `wakeable` waits also end at shutdown. */
/* Waits until fd is readable, at most the idle limit (FFCGI_ETIMEDOUT);
 * `wakeable` waits also end at shutdown. */
int ffc_conn_wait_input(ffcgi_request *req, int wakeable)
{
    int idle_ms = req->srv->limits.idle_ms;
    if (wakeable)
        return ffc_wait_readable(req->srv, req->conn.fd, idle_ms);
    struct pollfd p = {.fd = req->conn.fd, .events = POLLIN};
    int n;
    while ((n = poll(&p, 1, idle_ms)) < 0)
        if (errno != EINTR)
            return ffc_fail_errno(FFCGI_EIO, errno, "poll on the connection");
    if (n == 0)
        return ffc_fail(FFCGI_ETIMEDOUT, "no data from the web server for %d ms", idle_ms);
    return 0;
}

size_t ffc_conn_buffered(const struct ffc_conn *c)
{
    return c->in.len - c->in_pos;
}

/* Reads more bytes into the buffer. Returns 0, FFC_DROPPED at end of file
 * or on a read error, or FFCGI_ESHUTDOWN. */
static int fill(ffcgi_request *req, int wakeable)
{
    struct ffc_conn *c = &req->conn;
    if (c->in_pos > 0) { /* keep only what is not processed yet */
        memmove(c->in.data, c->in.data + c->in_pos, c->in.len - c->in_pos);
        c->in.len -= c->in_pos;
        c->in_pos = 0;
    }
    int rc = ffc_buf_reserve(&c->in, READ_CHUNK);
    if (rc < 0)
        return rc;
    for (;;) {
        ssize_t n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, MSG_DONTWAIT);
        if (n > 0) {
            c->in.len += (size_t)n;
            return 0;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            return FFC_DROPPED;
        if (errno == EAGAIN) {
            int rc = ffc_conn_wait_input(req, wakeable);
            if (rc < 0)
                return rc;
        }
    }
}

int ffc_conn_next_record(ffcgi_request *req, int wakeable, struct ffc_record *r,
                         const unsigned char **content)
{
    struct ffc_conn *c = &req->conn;
    for (;;) {
        size_t have = ffc_conn_buffered(c);
        if (have >= FFC_HEADER_LEN) {
            const unsigned char *p = (const unsigned char *)c->in.data + c->in_pos;
            ffc_record_decode(p, r);
            if (r->version != FFC_VERSION_1)
                return FFC_DROPPED; /* no way to find the next record */
            if (have >= ffc_record_size(r)) {
                *content = p + FFC_HEADER_LEN;
                c->in_pos += ffc_record_size(r);
                return 0;
            }
        }
        int rc = fill(req, wakeable);
        if (rc != 0)
            return rc;
    }
}

int ffc_conn_send(ffcgi_request *req, const void *bytes, size_t len)
{
    const char *p = bytes;
    while (len > 0) {
        ssize_t n = send(req->conn.fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ffc_fail_errno(errno == EPIPE || errno == ECONNRESET ? FFCGI_EDISCONNECTED
                                                                        : FFCGI_EIO,
                                  errno, "writing to the web server");
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int ffc_conn_send_end(ffcgi_request *req, unsigned id, unsigned protocol_status)
{
    unsigned char rec[FFC_HEADER_LEN + 8] = {0};
    ffc_record_encode(rec, FFC_END_REQUEST, id, 8, 0);
    rec[FFC_HEADER_LEN + 4] = (unsigned char)protocol_status;
    return ffc_conn_send(req, rec, sizeof rec);
}

static int open_pair(struct ffc_conn *c)
{
    if (c->pair[0] >= 0)
        return 0;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->pair) != 0) {
        c->pair[0] = c->pair[1] = -1;
        return ffc_fail_errno(FFCGI_ESOCKET, errno, "socketpair for the request copy");
    }
    int size = PAIR_BUFFER;
    setsockopt(c->pair[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    setsockopt(c->pair[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    return 0;
}

int ffc_conn_forward(ffcgi_request *req, unsigned type, const void *content, size_t len)
{
    struct ffc_conn *c = &req->conn;
    int rc = open_pair(c);
    if (rc < 0)
        return rc;
    const unsigned char *p = content;
    do {
        size_t chunk = len > FFC_MAX_CONTENT ? FFC_MAX_CONTENT : len;
        unsigned char header[FFC_HEADER_LEN];
        ffc_record_encode(header, type, c->id, chunk, 0);
        struct iovec iov[2] = {{header, sizeof header}, {(void *)p, chunk}};
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = chunk ? 2 : 1};
        size_t want = sizeof header + chunk;
        ssize_t n;
        while ((n = sendmsg(c->pair[0], &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
            ;
        if (n != (ssize_t)want)
            return ffc_fail_errno(FFCGI_EIO, n < 0 ? errno : EAGAIN,
                                  "copying the request for libfcgi");
        if (chunk) /* p may be NULL for an empty record */
            p += chunk;
        len -= chunk;
    } while (len > 0);
    return 0;
}

/* Makes libfcgi's descriptor refer to `target`. */
static int point_libfcgi_at(ffcgi_request *req, int target)
{
    struct ffc_conn *c = &req->conn;
    if (!c->ipc_is_dup) {
        int own = fcntl(target, F_DUPFD_CLOEXEC, 0);
        if (own < 0)
            return ffc_fail_errno(FFCGI_ESOCKET, errno, "dup for libfcgi");
        req->fcgx.ipcFd = own;
        c->ipc_is_dup = 1;
        return 0;
    }
    if (dup3(target, req->fcgx.ipcFd, O_CLOEXEC) < 0)
        return ffc_fail_errno(FFCGI_ESOCKET, errno, "dup3 for libfcgi");
    return 0;
}

int ffc_guard_for_reading(ffcgi_request *req)
{
    struct ffc_conn *c = &req->conn;
    if (c->mode != FFC_REPLAY || c->libfcgi_on_pair)
        return 0;
    int rc = open_pair(c);
    if (rc == 0 && (rc = point_libfcgi_at(req, c->pair[1])) == 0)
        c->libfcgi_on_pair = 1;
    return rc;
}

int ffc_guard_for_writing(ffcgi_request *req)
{
    struct ffc_conn *c = &req->conn;
    if (c->mode != FFC_REPLAY || !c->libfcgi_on_pair)
        return 0;
    int rc = point_libfcgi_at(req, c->fd);
    if (rc == 0)
        c->libfcgi_on_pair = 0;
    return rc;
}

int ffc_guard_direct(ffcgi_request *req)
{
    struct ffc_conn *c = &req->conn;
    c->mode = FFC_DIRECT;
    if (!c->ipc_is_dup) {
        req->fcgx.ipcFd = c->fd;
        return 0;
    }
    c->libfcgi_on_pair = 0;
    return point_libfcgi_at(req, c->fd);
}

/* The socketpair lives for one replayed request: nothing of it lingers
 * (a descriptor, or bytes libfcgi did not read) once the request ends. */
static void close_pair(struct ffc_conn *c)
{
    for (int i = 0; i < 2; i++)
        if (c->pair[i] >= 0)
            close(c->pair[i]);
    c->pair[0] = c->pair[1] = -1;
}

static void forget_connection(ffcgi_request *req)
{
    struct ffc_conn *c = &req->conn;
    c->fd = -1;
    c->ipc_is_dup = 0;
    c->libfcgi_on_pair = 0;
    req->fcgx.ipcFd = -1;
    ffc_buf_clear(&c->in);
    c->in_pos = 0;
    close_pair(c);
}

void ffc_guard_close(ffcgi_request *req)
{
    struct ffc_conn *c = &req->conn;
    if (c->ipc_is_dup && req->fcgx.ipcFd >= 0)
        close(req->fcgx.ipcFd);
    if (c->fd >= 0)
        close(c->fd);
    forget_connection(req);
}

/* After these the connection is out of step or gone: close it. */
static int is_fatal(int failure)
{
    return failure == FFCGI_EDISCONNECTED || failure == FFCGI_EPROTOCOL ||
           failure == FFCGI_ETIMEDOUT || failure == FFCGI_EIO;
}

void ffc_guard_after_finish(ffcgi_request *req)
{
    struct ffc_conn *c = &req->conn;
    close_pair(c);
    c->libfcgi_on_pair = 0;
    if (c->mode == FFC_REPLAY && is_fatal(c->failure)) {
        c->failure = 0;
        ffc_guard_close(req);
        return;
    }
    if (req->fcgx.ipcFd < 0 && c->fd >= 0) { /* libfcgi closed its descriptor */
        if (c->ipc_is_dup)
            close(c->fd);
        forget_connection(req);
    }
}

void ffc_guard_release(ffcgi_request *req)
{
    struct ffc_conn *c = &req->conn;
    ffc_guard_close(req);
    ffc_buf_release(&c->in);
    ffc_buf_release(&c->scratch);
    ffc_buf_release(&c->batch);
    ffc_buf_release(&c->early_data);
    free(c->peek);
    c->peek = NULL;
}
