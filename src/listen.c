/* listen.c — creates listening sockets without libfcgi's FCGX_OpenSocket(),
 * which calls exit() on failure. Every failure here is a returned code with
 * the path or address and errno in the last-error detail. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "error.h"
#include "server.h"

int ffc_is_listening_socket(int fd)
{
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0)
        return 0;
    return listening != 0;
}

static int fill_unix_sockaddr(struct sockaddr_un *sa, const char *path)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, path, strlen(path) + 1); /* length checked by the parser */
    return 0;
}

/* A socket file with no listener behind it is stale and may be replaced.
 * Returns 0 if the path is free (or was stale and is now removed). */
static int clear_stale_socket(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return ffc_fail_errno(FFCGI_ESOCKET, errno, "cannot inspect '%s'", path);
    }
    if (!S_ISSOCK(st.st_mode))
        return ffc_fail(FFCGI_EEXIST,
                        "refusing to replace '%s': it exists and is not a socket",
                        path);
    struct sockaddr_un sa;
    fill_unix_sockaddr(&sa, path);
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0)
        return ffc_fail_errno(FFCGI_ESOCKET, errno, "socket(AF_UNIX)");
    int connected = connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
    int err = errno;
    close(probe);
    if (connected || err == EAGAIN)
        return ffc_fail(FFCGI_EADDRINUSE, "a server is already listening on '%s'", path);
    if (err != ECONNREFUSED)
        return ffc_fail_errno(FFCGI_ESOCKET, err, "cannot probe socket '%s'", path);
    if (unlink(path) != 0 && errno != ENOENT)
        return ffc_fail_errno(FFCGI_ESOCKET, errno, "cannot remove stale socket '%s'", path);
    return 0;
}

static int listen_unix(struct ffcgi_server *srv, const char *path, int backlog, int mode)
{
    int rc = clear_stale_socket(path);
    if (rc < 0)
        return rc;
    struct sockaddr_un sa;
    fill_unix_sockaddr(&sa, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ffc_fail_errno(FFCGI_ESOCKET, errno, "socket(AF_UNIX)");
    /* Linux creates the file with the socket's own mode less the umask: set
     * it first, so the file never allows more than `mode`, and listen at
     * once after bind, so a peer that finds the file is (almost) never
     * refused. chmod() afterwards adds what the umask took away. */
    if (mode >= 0 && fchmod(fd, (mode_t)mode) != 0) {
        int err = errno;
        close(fd);
        return ffc_fail_errno(FFCGI_ESOCKET, err, "cannot set mode %o on '%s'", mode, path);
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int err = errno;
        close(fd);
        return ffc_fail_errno(err == EADDRINUSE ? FFCGI_EADDRINUSE : FFCGI_ESOCKET,
                              err, "cannot bind unix socket '%s'", path);
    }
    if (listen(fd, backlog) != 0) {
        int err = errno;
        close(fd);
        unlink(path);
        return ffc_fail_errno(FFCGI_ESOCKET, err, "cannot listen on '%s'", path);
    }
    struct stat st;
    if ((mode >= 0 && chmod(path, (mode_t)mode) != 0) || stat(path, &st) != 0) {
        int err = errno;
        close(fd);
        unlink(path);
        return ffc_fail_errno(FFCGI_ESOCKET, err, "cannot set mode %o on '%s'", mode, path);
    }
    srv->unix_path = strdup(path);
    if (!srv->unix_path) {
        close(fd);
        unlink(path);
        return ffc_fail(FFCGI_ENOMEM, "cannot copy the socket path");
    }
    srv->unix_dev = st.st_dev;
    srv->unix_ino = st.st_ino;
    srv->fd = fd;
    return 0;
}

/* Binds one resolved address; returns the listening fd or a negative errno. */
static int bind_one(const struct addrinfo *ai, int backlog)
{
    int one = 1;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -errno;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

static int listen_tcp(struct ffcgi_server *srv, const char *address,
                      const struct ffc_address *a, int backlog)
{
    struct addrinfo hints, *found = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = a->host[0] ? AF_UNSPEC : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(a->host[0] ? a->host : NULL, a->port, &hints, &found);
    if (gai != 0)
        return ffc_fail(FFCGI_EADDRESS, "address '%s': cannot resolve host: %s",
                        address, gai_strerror(gai));
    int err = EADDRNOTAVAIL;
    for (struct addrinfo *ai = found; ai; ai = ai->ai_next) {
        int fd = bind_one(ai, backlog);
        if (fd >= 0) {
            freeaddrinfo(found);
            srv->fd = fd;
            return 0;
        }
        err = -fd;
    }
    freeaddrinfo(found);
    return ffc_fail_errno(err == EADDRINUSE ? FFCGI_EADDRINUSE : FFCGI_ESOCKET, err,
                          "cannot listen on '%s'", address);
}

int ffc_listen_address(struct ffcgi_server *srv, const char *address,
                       int backlog, int mode)
{
    struct ffc_address a;
    int rc = ffc_parse_address(address, &a);
    if (rc < 0)
        return rc;
    if (backlog <= 0)
        backlog = SOMAXCONN;
    if (mode < -1 || mode > 07777)
        return ffc_fail(FFCGI_EINVAL, "file mode %o is not a permission mode", mode);
    return a.is_unix ? listen_unix(srv, a.path, backlog, mode)
                     : listen_tcp(srv, address, &a, backlog);
}
