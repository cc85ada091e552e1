/* test_listen.c — opening listeners: unix sockets (mode, stale socket
 * replaced, a live one or a non-socket file never touched, the file removed
 * on free only if still ours), IPv4 and IPv6 TCP, adopting a listening fd,
 * and clear errors for bad addresses — none of which ends the process.
 * The test defines listen() over libc's to see the socket file's mode at
 * the moment the library's socket starts listening. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

static char dir[64];

static const char *path_in_dir(const char *name)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

/* The path being opened, and its mode when listen() was called (-1: none). */
static const char *watched_path;
static int watched_mode_at_listen = -1;

int listen(int fd, int backlog)
{
    int (*real_listen)(int, int) = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
    struct stat st;
    if (watched_path)
        watched_mode_at_listen = stat(watched_path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
    return real_listen(fd, backlog);
}

static void expect_failure(const char *address, int code, const char *detail)
{
    ffcgi_server *srv = (ffcgi_server *)1;
    CHECK_INT(ffcgi_server_open(&srv, address, 0, -1), code);
    CHECK(srv == NULL);
    CHECK_CONTAINS(ffcgi_last_error(), detail);
}

static void bad_addresses(void)
{
    expect_failure("", FFCGI_EADDRESS, "empty");
    expect_failure("sock", FFCGI_EADDRESS, "expected /path");
    expect_failure("127.0.0.1", FFCGI_EADDRESS, "expected /path");
    expect_failure("127.0.0.1:", FFCGI_EADDRESS, "port");
    expect_failure("127.0.0.1:65536", FFCGI_EADDRESS, "port");
    expect_failure("127.0.0.1:http", FFCGI_EADDRESS, "port");
    expect_failure("[::1:9000", FFCGI_EADDRESS, "[IPv6-address]:port");
    expect_failure("::1:9000", FFCGI_EADDRESS, "[addr]:port");
    expect_failure("unix:", FFCGI_EADDRESS, "empty socket path");
    expect_failure("no-such-host.invalid:9000", FFCGI_EADDRESS, "cannot resolve");
    char long_path[200];
    memset(long_path, 'x', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[sizeof long_path - 1] = '\0';
    expect_failure(long_path, FFCGI_EADDRESS, "the limit is 107");
    expect_failure("/nonexistent-dir/ffcgi.sock", FFCGI_ESOCKET, "No such file or directory");
    ffcgi_server *srv;
    CHECK_INT(ffcgi_server_open(&srv, NULL, 0, -1), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_open(&srv, path_in_dir("m.sock"), 0, 010000), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_open(NULL, "/tmp/x.sock", 0, -1), FFCGI_EINVAL);
}

static void never_replaces_a_file(void)
{
    const char *path = path_in_dir("precious.txt");
    FILE *f = fopen(path, "w");
    CHECK(f && fputs("keep me", f) >= 0 && fclose(f) == 0);
    char address[160];
    snprintf(address, sizeof address, "unix:%s", path);
    expect_failure(address, FFCGI_EEXIST, path);
    char text[16] = "";
    f = fopen(path, "r");
    CHECK(f && fgets(text, sizeof text, f) && fclose(f) == 0);
    CHECK_STR(text, "keep me");
    CHECK(unlink(path) == 0);
}

static void unix_socket_lifecycle(void)
{
    const char *path = path_in_dir("app.sock");
    ffcgi_server *srv, *second;
    CHECK_OK(ffcgi_server_open(&srv, path, 16, 0660));
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
    CHECK_INT(st.st_mode & 07777, 0660);
    CHECK_INT(ffcgi_server_is_cgi(srv), 0);
    CHECK(ffcgi_server_fd(srv) >= 0);
    expect_failure(path, FFCGI_EADDRINUSE, "already listening");
    ffcgi_server_free(srv);
    CHECK(stat(path, &st) != 0); /* removed on free */

    /* a stale socket file (nobody listening) is replaced */
    int stale = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    CHECK(bind(stale, (struct sockaddr *)&sa, sizeof sa) == 0);
    close(stale);
    CHECK_OK(ffcgi_server_open(&second, path, 16, -1));
    int fd = fcc_connect(path);
    CHECK(fd >= 0);
    close(fd);

    /* a file that replaced our socket is not removed on free */
    CHECK(unlink(path) == 0);
    FILE *f = fopen(path, "w");
    CHECK(f && fclose(f) == 0);
    ffcgi_server_free(second);
    CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
    CHECK(unlink(path) == 0);
}

/* The socket listens at once after bind: by then its file must allow no
 * more than the mode asked for (the umask may have taken bits away, which
 * the library adds back afterwards). */
static void socket_never_allows_more_than_its_mode(void)
{
    const char *path = path_in_dir("watched.sock");
    mode_t old_umask = umask(022);
    ffcgi_server *srv;
    watched_path = path;
    CHECK_OK(ffcgi_server_open(&srv, path, 16, 0606));
    watched_path = NULL;
    umask(old_umask);
    CHECK_INT(watched_mode_at_listen, 0604);
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
    CHECK_INT(st.st_mode & 07777, 0606);
    int fd = fcc_connect(path);
    CHECK(fd >= 0);
    close(fd);
    ffcgi_server_free(srv);
}

static int bound_port(ffcgi_server *srv)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    CHECK(getsockname(ffcgi_server_fd(srv), (struct sockaddr *)&ss, &len) == 0);
    return ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                   : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void hello(ffcgi_request *req, void *ctx)
{
    (void)ctx;
    CHECK_OK(ffcgi_print(req, "tcp ok"));
}

static void serve_one_over(const char *listen_at, const char *connect_fmt)
{
    ffcgi_server *srv;
    CHECK_OK(ffcgi_server_open(&srv, listen_at, 0, -1));
    char address[64];
    snprintf(address, sizeof address, connect_fmt, bound_port(srv));
    expect_failure(address, FFCGI_EADDRINUSE, "cannot listen");
    struct harness_app app;
    memset(&app, 0, sizeof app);
    harness_start_on(&app, srv, address, hello, NULL, 1);
    fcc_request r = {.id = 1, .role = FCC_RESPONDER};
    harness_expect_stdout(&app, &r, "tcp ok");
    harness_stop(&app);
}

static void adopt_fd(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ffcgi_server *srv = (ffcgi_server *)1;
    CHECK_INT(ffcgi_server_from_fd(&srv, fd), FFCGI_ENOTLISTENING);
    CHECK(srv == NULL);
    CHECK_INT(ffcgi_server_from_fd(&srv, -1), FFCGI_EINVAL);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 4) == 0);
    CHECK_OK(ffcgi_server_from_fd(&srv, fd));
    CHECK_INT(ffcgi_server_fd(srv), fd);
    ffcgi_server_free(srv);
    CHECK(fcntl(fd, F_GETFD) != -1); /* still open: the caller's */
    close(fd);
}

int main(void)
{
    strcpy(dir, "/tmp/ffcgi-listen-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    bad_addresses();
    never_replaces_a_file();
    unix_socket_lifecycle();
    socket_never_allows_more_than_its_mode();
    serve_one_over("127.0.0.1:0", "127.0.0.1:%d");
    serve_one_over("[::1]:0", "[::1]:%d");
    adopt_fd();
    CHECK(rmdir(dir) == 0);
    puts("ok");
    return 0;
}
