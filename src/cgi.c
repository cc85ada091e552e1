/* cgi.c — plain CGI: when the process was not started as FastCGI, the
 * server yields one request made of the process environment (copied at
 * accept), stdin (fd 0), stdout (fd 1, buffered) and stderr (fd 2). */
#include <errno.h>
#include <unistd.h>

#include "error.h"
#include "request.h"
#include "server.h"
#include "sigpipe_guard.h"

extern char **environ;

#define CGI_OUT_BUFFER 8192

int ffc_cgi_accept(ffcgi_request *req)
{
    if (atomic_exchange(&req->srv->cgi_request_taken, 1) != 0 ||
        atomic_load(&req->srv->shutting_down))
        return FFCGI_ESHUTDOWN;
    for (char **e = environ; e && *e; e++) {
        int rc = ffc_env_table_add_assignment(&req->env, *e);
        if (rc < 0)
            return rc;
    }
    req->is_cgi = 1;
    ffc_buf_clear(&req->cgi_out);
    /* The CGI request is the only one: later accepts report the end. */
    ffcgi_server_shutdown(req->srv);
    return 0;
}

int ffc_cgi_read(ffcgi_request *req, void *buf, size_t cap, size_t *nread)
{
    (void)req;
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(STDIN_FILENO, (char *)buf + got, cap - got);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *nread = got;
            return ffc_fail_errno(FFCGI_EIO, errno, "reading the CGI body from stdin");
        }
        got += (size_t)n;
    }
    *nread = got;
    return 0;
}

static int write_all(int fd, const char *bytes, size_t len)
{
    struct ffc_sigpipe_guard guard;
    ffc_sigpipe_hold(&guard);
    int rc = 0;
    while (len > 0) {
        ssize_t n = write(fd, bytes, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            rc = ffc_fail_errno(err == EPIPE ? FFCGI_EDISCONNECTED : FFCGI_EIO, err,
                                "writing CGI output to fd %d", fd);
            break;
        }
        bytes += n;
        len -= (size_t)n;
    }
    ffc_sigpipe_release(&guard, rc != 0);
    return rc;
}

int ffc_cgi_flush(ffcgi_request *req)
{
    int rc = write_all(STDOUT_FILENO, req->cgi_out.data, req->cgi_out.len);
    ffc_buf_clear(&req->cgi_out);
    return rc;
}

int ffc_cgi_write(ffcgi_request *req, int fd, const void *buf, size_t len)
{
    if (fd != STDOUT_FILENO)
        return write_all(fd, buf, len);
    if (req->cgi_out.len + len > CGI_OUT_BUFFER) {
        int rc = ffc_cgi_flush(req);
        if (rc < 0)
            return rc;
        if (len > CGI_OUT_BUFFER)
            return write_all(fd, buf, len);
    }
    return ffc_buf_append(&req->cgi_out, buf, len);
}
