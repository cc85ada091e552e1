/* conn_io.c — reading a connection into its buffer and writing to it; the
 * socket is non-blocking, and waits are poll()s bounded by the idle limit. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "conn.h"
#include "error.h"
#include "ffcgi.h"

/* Room for one whole record (header, 65535 bytes of content, padding). */
#define READ_ROOM (65536 + 512)

size_t ffc_conn_buffered(const struct ffc_conn *c)
{
    return c->in.len - c->pos;
}

const unsigned char *ffc_conn_unread(const struct ffc_conn *c)
{
    return c->in.data ? (const unsigned char *)c->in.data + c->pos
                      : (const unsigned char *)""; /* no buffer yet */
}

/* Waits for `events` on fd: 0, or FFCGI_ETIMEDOUT / FFCGI_EIO. */
static int wait_for(int fd, short events, int wait_ms, const char *what)
{
    struct pollfd p = {.fd = fd, .events = events};
    int n;
    while ((n = poll(&p, 1, wait_ms)) < 0)
        if (errno != EINTR)
            return ffc_fail_errno(FFCGI_EIO, errno, "poll on the connection");
    if (n == 0)
        return ffc_fail(FFCGI_ETIMEDOUT, "%s for %d ms", what, wait_ms);
    return 0;
}

int ffc_conn_fill(struct ffc_conn *c, int wait_ms)
{
    if (c->pos == c->in.len) {
        c->in.len = c->pos = 0;
    } else if (c->in.cap - c->in.len < READ_ROOM && c->pos > 0) {
        ffc_buf_consume(&c->in, c->pos);
        c->pos = 0;
    }
    int rc = ffc_buf_reserve(&c->in, READ_ROOM);
    if (rc < 0)
        return rc;
    for (;;) {
        ssize_t n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
        if (n > 0) {
            c->maybe_more = (size_t)n == c->in.cap - c->in.len;
            c->drained = !c->maybe_more;
            c->in.len += (size_t)n;
            return FFC_FILL_OK;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            return FFC_FILL_CLOSED;
        if (errno == EINTR)
            continue;
        c->maybe_more = 0;
        c->drained = 1;
        if (wait_ms == 0)
            return FFC_FILL_AGAIN;
        if ((rc = wait_for(c->fd, POLLIN, wait_ms, "no data from the web server")) < 0)
            return rc;
    }
}

static int send_failed(struct ffc_conn *c, int code, int err)
{
    c->output_failed = code;
    return ffc_fail_errno(code, err, "writing to the web server");
}

int ffc_conn_sendv(struct ffc_conn *c, struct iovec *iov, int count, int idle_ms)
{
    if (c->output_failed)
        return ffc_fail(FFCGI_EDISCONNECTED, "writing to the web server: an earlier write failed");
    while (count > 0) {
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)count};
        ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            int rc = wait_for(c->fd, POLLOUT, idle_ms, "the web server stopped reading");
            if (rc < 0) {
                c->output_failed = rc;
                return rc;
            }
            continue;
        }
        if (n < 0)
            return send_failed(c, errno == EPIPE || errno == ECONNRESET ? FFCGI_EDISCONNECTED
                                                                          : FFCGI_EIO, errno);
        size_t done = (size_t)n;
        while (count > 0 && done >= iov->iov_len) {
            done -= iov->iov_len;
            iov++;
            count--;
        }
        if (count > 0) {
            iov->iov_base = (char *)iov->iov_base + done;
            iov->iov_len -= done;
        }
    }
    return 0;
}

int ffc_conn_send_replies(struct ffc_conn *c, int idle_ms)
{
    if (c->replies.len == 0)
        return 0;
    struct iovec iov = {c->replies.data, c->replies.len};
    int rc = ffc_conn_sendv(c, &iov, 1, idle_ms);
    ffc_buf_clear(&c->replies);
    return rc;
}

void ffc_conn_end_output(struct ffc_conn *c)
{
    shutdown(c->fd, SHUT_WR);
}
