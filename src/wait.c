/* wait.c — waiting for connections and requests so that
 * ffcgi_server_shutdown() can wake every waiter: each wait polls the wanted
 * descriptor together with the server's wake pipe. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "internal.h"

/* Polls fd and the wake pipe; timeout_ms -1 waits for ever. Returns 1 if fd
 * is ready, 0 on timeout, FFCGI_ESHUTDOWN or FFCGI_ESOCKET. */
static int poll_with_wake(struct ffcgi_server *srv, int fd, int timeout_ms)
{
    struct pollfd p[2] = {
        {.fd = fd, .events = POLLIN},
        {.fd = srv->wake_pipe[0], .events = POLLIN},
    };
    for (;;) {
        if (atomic_load(&srv->shutting_down))
            return FFCGI_ESHUTDOWN;
        int n = poll(p, 2, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ffc_fail_errno(FFCGI_ESOCKET, errno, "poll on fd %d", fd);
        if (p[1].revents)
            return FFCGI_ESHUTDOWN;
        return n > 0;
    }
}

int ffc_wait_readable(struct ffcgi_server *srv, int fd, int timeout_ms)
{
    int rc = poll_with_wake(srv, fd, timeout_ms);
    if (rc == 0)
        return ffc_fail(FFCGI_ETIMEDOUT, "no data from the web server for %d ms", timeout_ms);
    return rc < 0 ? rc : 0;
}

/* accept() errors after which the listener is still good (see accept(2)). */
static int is_transient_accept_error(int err)
{
    switch (err) {
    case EAGAIN: case EINTR: case ECONNABORTED: case EPROTO: case ENETDOWN:
    case ENOPROTOOPT: case EHOSTDOWN: case ENONET: case EHOSTUNREACH:
    case EOPNOTSUPP: case ENETUNREACH: case EPERM:
        return 1;
    default:
        return 0;
    }
}

/* Out of descriptors or memory: pause briefly (still wakeable) and retry. */
static int is_resource_error(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* A web server that stops reading the response must not hold a worker for
 * ever: writes fail with EAGAIN after the idle limit. */
static void set_send_timeout(int fd, int idle_ms)
{
    if (idle_ms <= 0)
        return;
    struct timeval tv = {idle_ms / 1000, (idle_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int accept_locked(struct ffcgi_server *srv)
{
    for (;;) {
        int rc = poll_with_wake(srv, srv->fd, -1);
        if (rc < 0)
            return rc;
        int fd = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0 && !ffc_allow_peer(&srv->allow, fd)) {
            close(fd);
            continue;
        }
        if (fd >= 0) {
            if (srv->is_tcp)
                set_nodelay(fd);
            set_send_timeout(fd, srv->limits.idle_ms);
            return fd;
        }
        if (is_resource_error(errno)) {
            rc = poll_with_wake(srv, srv->wake_pipe[0], 50);
            if (rc < 0)
                return rc;
            continue;
        }
        if (!is_transient_accept_error(errno))
            return ffc_fail_errno(FFCGI_ESOCKET, errno, "accept on fd %d", srv->fd);
    }
}

int ffc_accept_connection(struct ffcgi_server *srv)
{
    pthread_mutex_lock(&srv->accept_lock);
    int rc = accept_locked(srv);
    pthread_mutex_unlock(&srv->accept_lock);
    return rc;
}
