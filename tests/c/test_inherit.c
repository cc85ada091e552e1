/* test_inherit.c — how an app finds its listener when none is named:
 * a listening socket on fd 0 (spawn-fcgi, mod_fcgid), systemd's fd 3 with
 * LISTEN_PID/LISTEN_FDS (ignored when meant for another process), and plain
 * CGI when there is no listener: exactly one request made of the
 * environment, stdin and stdout.
 *   test_inherit PATH-TO-ECHO */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fcgi_client.h"
#include "process.h"

static char dir[] = "/tmp/ffcgi-inherit-XXXXXX";

static int listen_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 8) == 0);
    return fd;
}

static void ask_echo(const char *path)
{
    int fd = fcc_connect(path);
    CHECK(fd >= 0);
    fcc_param p = fcc_str_param("REQUEST_METHOD", "GET");
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = &p, .n_params = 1};
    fcc_response resp;
    fcc_response_init(&resp);
    CHECK_OK(fcc_roundtrip(fd, &r, &resp, 30000));
    CHECK(resp.out.len > 30 && memmem(resp.out.data, resp.out.len, "\nmethod=GET\n", 12));
    fcc_response_free(&resp);
    close(fd);
}

static void serve_inherited(char *echo, int target, int systemd)
{
    char path[64];
    snprintf(path, sizeof path, "%s/inherited.sock", dir);
    int lfd = listen_unix(path);
    char *argv[] = {echo, NULL};
    struct child_setup setup = {.listen_fd = lfd, .listen_fd_target = target,
                                .systemd = systemd, .stdin_fd = -1, .stdout_fd = -1};
    pid_t pid = process_start(argv, &setup);
    close(lfd);
    ask_echo(path);
    ask_echo(path);
    CHECK_INT(process_stop(pid), 0);
    CHECK(access(path, F_OK) == 0); /* not the app's to remove */
    CHECK(unlink(path) == 0);
}

/* Runs echo as CGI with exactly `env`, `body` on stdin; returns stdout. */
static char *run_cgi(char *echo, char *const env[], const char *body)
{
    int in[2], out[2];
    CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
    char *argv[] = {echo, NULL};
    struct child_setup setup = {.listen_fd = -1, .stdin_fd = in[0], .stdout_fd = out[1],
                                .env = env};
    pid_t pid = process_start(argv, &setup);
    close(in[0]);
    close(out[1]);
    CHECK(write(in[1], body, strlen(body)) == (ssize_t)strlen(body));
    close(in[1]);
    static char text[4096];
    size_t len = 0;
    ssize_t n;
    while ((n = read(out[0], text + len, sizeof text - 1 - len)) > 0)
        len += (size_t)n;
    text[len] = '\0';
    close(out[0]);
    CHECK_INT(process_wait(pid), 0);
    return text;
}

static void cgi_mode(char *echo)
{
    char *env[] = {"REQUEST_METHOD=POST", "QUERY_STRING=status=201", "CONTENT_LENGTH=3", NULL};
    CHECK_STR(run_cgi(echo, env, "abc"),
              "Status: 201 Created\r\nContent-Type: text/plain\r\n\r\n"
              "method=POST\nquery=status%3D201\nstdin_bytes=3\n"
              "stdin_sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
              "param_count=3\nCONTENT_LENGTH=3\nQUERY_STRING=status%3D201\nREQUEST_METHOD=POST\n"
              "end\n");
    /* systemd variables meant for another process are ignored: CGI again */
    char *foreign[] = {"LISTEN_PID=1", "LISTEN_FDS=1", NULL};
    char *text = run_cgi(echo, foreign, "");
    CHECK_CONTAINS(text, "param_count=2\nLISTEN_FDS=1\nLISTEN_PID=1\nend\n");
}

/* In a child with `fd0` as stdin: what the library concludes. */
static void expect_detection(int fd0, int fastcgi)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(fd0, 0);
        ffcgi_server *srv = NULL;
        int ok = ffcgi_is_fastcgi() == fastcgi && ffcgi_server_inherit(&srv) == 0 &&
                 ffcgi_server_is_cgi(srv) == !fastcgi && ffcgi_server_fd(srv) == (fastcgi ? 0 : FFCGI_ESTATE);
        if (ok && !fastcgi) {
            ffcgi_request *req = NULL;
            ok = ffcgi_request_new(&req, srv) == 0 && ffcgi_accept(req) == 0 &&
                 ffcgi_request_role(req) == FFCGI_ROLE_RESPONDER && ffcgi_request_id(req) == 0 &&
                 ffcgi_accept(req) == FFCGI_ESHUTDOWN;
            ffcgi_request_free(req);
        }
        ffcgi_server_free(srv);
        _exit(ok ? 0 : 1);
    }
    CHECK_INT(process_wait(pid), 0);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    CHECK(mkdtemp(dir) != NULL);
    serve_inherited(argv[1], 0, 0);
    serve_inherited(argv[1], 3, 1);
    cgi_mode(argv[1]);

    char path[64];
    snprintf(path, sizeof path, "%s/detect.sock", dir);
    int lfd = listen_unix(path);
    expect_detection(lfd, 1);
    close(lfd);
    unlink(path);
    int devnull = open("/dev/null", O_RDONLY);
    expect_detection(devnull, 0);
    close(devnull);
    CHECK(rmdir(dir) == 0);
    puts("ok");
    return 0;
}
