/* server.c — the server handle: a listener (opened, adopted or inherited)
 * or the single request of a plain CGI invocation. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "libfcgi_bridge.h"
#include "loop.h"
#include "scoreboard.h"
#include "server.h"

#define SYSTEMD_FIRST_FD 3

static int server_alloc(ffcgi_server **out, enum ffc_server_kind kind)
{
    ffcgi_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return ffc_fail(FFCGI_ENOMEM, "cannot allocate a server");
    if (pipe2(srv->wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        int err = errno;
        free(srv);
        return ffc_fail_errno(err == EMFILE || err == ENFILE ? FFCGI_ESOCKET : FFCGI_ENOMEM,
                              err, "cannot create the shutdown pipe");
    }
    srv->kind = kind;
    srv->fd = -1;
    ffc_log_file_init(&srv->access_log, STDOUT_FILENO);
    ffc_log_file_init(&srv->error_log, STDERR_FILENO);
    atomic_init(&srv->accepting, 0);
    ffc_limits_init(&srv->limits);
    ffc_allow_init(&srv->allow);
    atomic_init(&srv->shutting_down, 0);
    atomic_init(&srv->retired, FFCGI_RETIRED_NOT);
    pthread_mutex_init(&srv->watch.lock, NULL);
    atomic_init(&srv->cgi_request_taken, 0);
    *out = srv;
    return 0;
}

/* The listener must not block in accept() when another process sharing it
 * took the connection first, or a shutdown could not wake the thread. */
static int make_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return ffc_fail_errno(FFCGI_ESOCKET, errno, "cannot make fd %d non-blocking", fd);
    return 0;
}

/* Notes the listener's family; a TCP listener starts with libfcgi's
 * FCGI_WEB_SERVER_ADDRS allow-list. */
static int learn_family(ffcgi_server *srv)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    srv->is_tcp = getsockname(srv->fd, (struct sockaddr *)&ss, &len) == 0 &&
                  (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
    const char *list = getenv("FCGI_WEB_SERVER_ADDRS");
    if (!list || !srv->is_tcp)
        return 0;
    int rc = ffcgi_server_allow(srv, list);
    return rc < 0 ? ffc_fail(rc, "FCGI_WEB_SERVER_ADDRS: %s", ffcgi_last_error()) : 0;
}

int ffcgi_server_open(ffcgi_server **out, const char *address, int backlog, int mode)
{
    if (!out)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_open: out is NULL");
    *out = NULL;
    ffcgi_server *srv;
    int rc = server_alloc(&srv, FFC_SERVER_LISTENER);
    if (rc < 0)
        return rc;
    srv->owns_fd = 1;
    if ((rc = ffc_listen_address(srv, address, backlog, mode)) < 0 ||
        (rc = make_nonblocking(srv->fd)) < 0 || (rc = learn_family(srv)) < 0 ||
        (rc = ffc_loop_open(srv)) < 0) {
        ffcgi_server_free(srv);
        return rc;
    }
    ffc_board_attach(srv);
    *out = srv;
    return 0;
}

int ffcgi_server_from_fd(ffcgi_server **out, int fd)
{
    if (!out)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_from_fd: out is NULL");
    *out = NULL;
    if (fd < 0)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_from_fd: fd %d is negative", fd);
    if (!ffc_is_listening_socket(fd))
        return ffc_fail(FFCGI_ENOTLISTENING, "fd %d is not a listening socket", fd);
    ffcgi_server *srv;
    int rc = server_alloc(&srv, FFC_SERVER_LISTENER);
    if (rc < 0)
        return rc;
    srv->fd = fd;
    if ((rc = make_nonblocking(fd)) < 0 || (rc = learn_family(srv)) < 0 ||
        (rc = ffc_loop_open(srv)) < 0) {
        ffcgi_server_free(srv);
        return rc;
    }
    ffc_board_attach(srv);
    *out = srv;
    return 0;
}

/* The systemd socket passed to this very process, or -1. */
static int systemd_socket(void)
{
    const char *pid = getenv("LISTEN_PID");
    const char *fds = getenv("LISTEN_FDS");
    if (!pid || !fds || strtol(pid, NULL, 10) != (long)getpid() || strtol(fds, NULL, 10) < 1)
        return -1;
    return ffc_is_listening_socket(SYSTEMD_FIRST_FD) ? SYSTEMD_FIRST_FD : -1;
}

/* Started with a listener on fd 0, as libfcgi decides it (and listening). */
static int fd0_is_listener(void)
{
    return ffc_libfcgi_started_as_fastcgi() && ffc_is_listening_socket(0);
}

int ffcgi_is_fastcgi(void)
{
    return systemd_socket() >= 0 || fd0_is_listener();
}

int ffcgi_server_inherit(ffcgi_server **out)
{
    if (!out)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_inherit: out is NULL");
    *out = NULL;
    int fd = systemd_socket();
    if (fd < 0 && fd0_is_listener())
        fd = 0;
    if (fd >= 0)
        return ffcgi_server_from_fd(out, fd);
    return server_alloc(out, FFC_SERVER_CGI);
}

int ffcgi_server_is_cgi(const ffcgi_server *srv)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_is_cgi: server is NULL");
    return srv->kind == FFC_SERVER_CGI;
}

int ffcgi_server_fd(const ffcgi_server *srv)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_fd: server is NULL");
    if (srv->kind == FFC_SERVER_CGI)
        return ffc_fail(FFCGI_ESTATE, "ffcgi_server_fd: a CGI server has no listening socket");
    return srv->fd;
}

void ffcgi_server_shutdown(ffcgi_server *srv)
{
    if (!srv)
        return;
    if (atomic_exchange(&srv->shutting_down, 1) == 0) {
        /* The byte is never read: the pipe stays readable for every poller. */
        ssize_t ignored = write(srv->wake_pipe[1], "x", 1);
        (void)ignored;
    }
}

void ffc_remove_own_socket_file(const ffcgi_server *srv)
{
    struct stat st;
    if (!srv->unix_path)
        return;
    if (lstat(srv->unix_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
        st.st_dev == srv->unix_dev && st.st_ino == srv->unix_ino)
        unlink(srv->unix_path);
}

void ffcgi_server_free(ffcgi_server *srv)
{
    if (!srv)
        return;
    ffc_watch_stop(srv);
    pthread_mutex_destroy(&srv->watch.lock);
    ffc_remove_own_socket_file(srv);
    free(srv->unix_path);
    if (srv->owns_fd && srv->fd >= 0)
        close(srv->fd);
    close(srv->wake_pipe[0]);
    close(srv->wake_pipe[1]);
    ffc_loop_free(srv->loop);
    ffc_allow_release(&srv->allow);
    ffc_log_file_close(&srv->access_log);
    ffc_log_file_close(&srv->error_log);
    ffc_board_detach(srv);
    free(srv->status_path);
    free(srv);
}
