/* test_guard.c — libfcgi 2.4.2's record parser defects must not reach an
 * ffcgi app. Each case sends what a peer on the socket could send, checks
 * the answer, then checks that the app still serves a normal request.
 *   test_guard APP CASE     APP: an app serving the listener on fd 0
 * CTest runs every case against examples/echo (it must pass) and against
 * raw_libfcgi_app, an app on libfcgi alone (it must fail: the evidence that
 * the case shows a real defect). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "fcgi_client.h"
#include "process.h"

#define TIMEOUT_MS 5000

static char address[108];

/* A failed expectation: the app mishandled the case. */
#define EXPECT(cond)                                                        \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
            return 1;                                                       \
        }                                                                   \
    } while (0)

static const char *stdout_text(fcc_response *r)
{
    fcc_buf_append(&r->out, "", 1);
    r->out.len--;
    return (const char *)r->out.data;
}

static void put_begin(fcc_buf *b, uint16_t id, uint16_t role, uint8_t flags, size_t padding)
{
    unsigned char body[8] = {(unsigned char)(role >> 8), (unsigned char)role, flags};
    fcc_put_record(b, FCC_BEGIN_REQUEST, id, body, sizeof body, padding);
}

static void put_params(fcc_buf *b, uint16_t id, const char *method, size_t end_padding)
{
    fcc_param p = fcc_str_param("REQUEST_METHOD", method);
    fcc_buf nv = FCC_BUF_INIT;
    fcc_encode_params(&nv, &p, 1);
    fcc_put_record(b, FCC_PARAMS, id, nv.data, nv.len, 0);
    fcc_put_record(b, FCC_PARAMS, id, NULL, 0, end_padding);
    fcc_buf_free(&nv);
}

/* Sends raw bytes on a new connection and reads the response of `id`. */
static int exchange(const fcc_buf *b, uint16_t id, fcc_response *resp, int keep_fd, int *fd_out)
{
    int fd = fcc_connect(address);
    if (fd < 0)
        return -1;
    fcc_response_init(resp);
    int rc = fcc_write_all(fd, b->data, b->len);
    if (rc == 0)
        rc = fcc_read_response(fd, id, resp, TIMEOUT_MS);
    if (keep_fd && rc == 0)
        *fd_out = fd;
    else
        close(fd);
    return rc;
}

static int has_line(fcc_response *resp, const char *line)
{
    char needle[256];
    snprintf(needle, sizeof needle, "\n%s\n", line);
    return strstr(stdout_text(resp), needle) != NULL;
}

/* A normal GET with a body of 3 bytes on a new connection. */
static int healthy(void)
{
    fcc_buf b = FCC_BUF_INIT;
    put_begin(&b, 1, FCC_RESPONDER, 0, 0);
    put_params(&b, 1, "GET", 0);
    fcc_put_stream(&b, FCC_STDIN, 1, "abc", 3, 0);
    fcc_response resp;
    int rc = exchange(&b, 1, &resp, 0, NULL);
    fcc_buf_free(&b);
    EXPECT(rc == 0);
    EXPECT(has_line(&resp, "method=GET") && has_line(&resp, "stdin_bytes=3"));
    fcc_response_free(&resp);
    return 0;
}

/* Padding after BEGIN_REQUEST is skipped, not parsed as a header. */
static int begin_padding(void)
{
    fcc_buf b = FCC_BUF_INIT;
    put_begin(&b, 1, FCC_RESPONDER, 0, 5);
    put_params(&b, 1, "PUT", 0);
    fcc_put_stream(&b, FCC_STDIN, 1, NULL, 0, 0);
    fcc_response resp;
    int rc = exchange(&b, 1, &resp, 0, NULL);
    fcc_buf_free(&b);
    EXPECT(rc == 0);
    EXPECT(has_line(&resp, "method=PUT"));
    fcc_response_free(&resp);
    return 0;
}

/* Padding after the empty PARAMS record does not swallow the body. */
static int params_end_padding(void)
{
    fcc_buf b = FCC_BUF_INIT;
    put_begin(&b, 1, FCC_RESPONDER, 0, 0);
    put_params(&b, 1, "POST", 7);
    fcc_put_stream(&b, FCC_STDIN, 1, "hello", 5, 0);
    fcc_response resp;
    int rc = exchange(&b, 1, &resp, 0, NULL);
    fcc_buf_free(&b);
    EXPECT(rc == 0);
    EXPECT(has_line(&resp, "stdin_bytes=5"));
    fcc_response_free(&resp);
    return 0;
}

/* A param length of 0x7ffffffe (or two that overflow an int) gets an
 * answer, not an abort. */
static int huge_param_length(uint32_t name_len, uint32_t value_len)
{
    unsigned char nv[16] = {
        (unsigned char)(0x80 | name_len >> 24), (unsigned char)(name_len >> 16),
        (unsigned char)(name_len >> 8), (unsigned char)name_len,
        (unsigned char)(0x80 | value_len >> 24), (unsigned char)(value_len >> 16),
        (unsigned char)(value_len >> 8), (unsigned char)value_len, 'x', 'y'};
    fcc_buf b = FCC_BUF_INIT;
    put_begin(&b, 1, FCC_RESPONDER, 0, 0);
    fcc_put_record(&b, FCC_PARAMS, 1, nv, 10, 0);
    fcc_put_record(&b, FCC_PARAMS, 1, NULL, 0, 0);
    fcc_put_stream(&b, FCC_STDIN, 1, NULL, 0, 0);
    fcc_response resp;
    int rc = exchange(&b, 1, &resp, 0, NULL);
    fcc_buf_free(&b);
    EXPECT(rc == 0 && resp.got_end);
    EXPECT(strncmp(stdout_text(&resp), "Status: 400", 11) == 0); /* malformed, answered */
    fcc_response_free(&resp);
    return 0;
}

/* GET_VALUES naming FCGI_MAX_CONNS 40 times: one answer, no stack smash;
 * 640 bytes of content, a multiple of 8 with no padding, answered at once. */
static int get_values_repeated(void)
{
    fcc_buf nv = FCC_BUF_INIT, b = FCC_BUF_INIT;
    fcc_param p = fcc_str_param("FCGI_MAX_CONNS", "");
    for (int i = 0; i < 40; i++)
        fcc_encode_params(&nv, &p, 1);
    fcc_put_record(&b, FCC_GET_VALUES, 0, nv.data, nv.len, 0);
    int fd = fcc_connect(address);
    EXPECT(fd >= 0);
    EXPECT(fcc_write_all(fd, b.data, b.len) == 0);
    fcc_record rec = {0};
    int rc = fcc_read_record(fd, &rec, TIMEOUT_MS);
    close(fd);
    fcc_buf_free(&nv);
    fcc_buf_free(&b);
    EXPECT(rc == 0 && rec.type == FCC_GET_VALUES_RESULT);
    EXPECT(rec.content.len == 2 + 14 + 1); /* FCGI_MAX_CONNS=1, once */
    fcc_record_free(&rec);
    return 0;
}

/* An unknown management record mid-body is answered with UNKNOWN_TYPE and
 * its content does not leak into the body; a stray empty record and an
 * ABORT for other request ids, and a second BEGIN_REQUEST, change nothing. */
static int noise_mid_body(void)
{
    fcc_buf b = FCC_BUF_INIT;
    put_begin(&b, 1, FCC_RESPONDER, 0, 0);
    put_params(&b, 1, "POST", 0);
    fcc_put_record(&b, FCC_STDIN, 1, "abc", 3, 0);
    fcc_put_record(&b, 42, 0, "LEAKED", 6, 2);              /* unknown management type */
    fcc_put_record(&b, FCC_STDIN, 1, "def", 3, 0);
    fcc_put_record(&b, FCC_STDIN, 7, NULL, 0, 0);           /* empty record, other id */
    fcc_put_record(&b, FCC_STDIN, 1, "ghi", 3, 0);
    fcc_put_record(&b, FCC_ABORT_REQUEST, 9, NULL, 0, 0);   /* abort of another id */
    fcc_put_record(&b, FCC_STDIN, 1, "jkl", 3, 0);
    put_begin(&b, 2, FCC_RESPONDER, 0, 0);                  /* a second request */
    fcc_put_record(&b, FCC_STDIN, 1, "mno", 3, 0);
    fcc_put_record(&b, FCC_STDIN, 1, NULL, 0, 0);
    fcc_response resp;
    int rc = exchange(&b, 1, &resp, 0, NULL);
    fcc_buf_free(&b);
    EXPECT(rc == 0);
    EXPECT(has_line(&resp, "stdin_bytes=15"));
    /* sha256("abcdefghijklmno") */
    EXPECT(has_line(&resp, "stdin_sha256=41c7760c50efde99bf574ed8fffc7a6dd3405d546d3da929b214c8945acf8a97"));
    fcc_response_free(&resp);
    return 0;
}

/* An unknown role is answered with FCGI_UNKNOWN_ROLE and the connection
 * serves the next request. */
static int unknown_role(void)
{
    fcc_buf b = FCC_BUF_INIT;
    put_begin(&b, 3, 77, FCC_KEEP_CONN, 0);
    fcc_response resp;
    int fd = -1;
    int rc = exchange(&b, 3, &resp, 1, &fd);
    fcc_buf_free(&b);
    EXPECT(rc == 0 && resp.protocol_status == FCC_UNKNOWN_ROLE);
    fcc_response_free(&resp);
    fcc_buf next = FCC_BUF_INIT;
    put_begin(&next, 4, FCC_RESPONDER, 0, 0);
    put_params(&next, 4, "GET", 0);
    fcc_put_stream(&next, FCC_STDIN, 4, NULL, 0, 0);
    fcc_response_init(&resp);
    rc = fcc_write_all(fd, next.data, next.len);
    if (rc == 0)
        rc = fcc_read_response(fd, 4, &resp, TIMEOUT_MS);
    close(fd);
    fcc_buf_free(&next);
    EXPECT(rc == 0 && has_line(&resp, "method=GET"));
    fcc_response_free(&resp);
    return 0;
}

/* Two keep-conn requests sent back to back are both answered. */
static int pipelined(void)
{
    fcc_buf b = FCC_BUF_INIT;
    for (uint16_t id = 1; id <= 2; id++) {
        put_begin(&b, id, FCC_RESPONDER, FCC_KEEP_CONN, 0);
        put_params(&b, id, id == 1 ? "GET" : "HEAD", 0);
        fcc_put_stream(&b, FCC_STDIN, id, NULL, 0, 0);
    }
    fcc_response first, second;
    int fd = -1;
    int rc = exchange(&b, 1, &first, 1, &fd);
    fcc_buf_free(&b);
    EXPECT(rc == 0 && has_line(&first, "method=GET"));
    fcc_response_init(&second);
    rc = fcc_read_response(fd, 2, &second, TIMEOUT_MS);
    close(fd);
    EXPECT(rc == 0 && has_line(&second, "method=HEAD"));
    fcc_response_free(&first);
    fcc_response_free(&second);
    return 0;
}

struct guard_case {
    const char *name;
    int (*run)(void);
};

static int huge_length(void) { return huge_param_length(0x7ffffffe, 1); }
static int overflowing_lengths(void) { return huge_param_length(0x40000000, 0x40000000); }

static const struct guard_case cases[] = {
    {"begin_padding", begin_padding},
    {"params_end_padding", params_end_padding},
    {"huge_param_length", huge_length},
    {"overflowing_param_lengths", overflowing_lengths},
    {"get_values_repeated", get_values_repeated},
    {"noise_mid_body", noise_mid_body},
    {"unknown_role", unknown_role},
    {"pipelined_keep_conn", pipelined},
};

static int listen_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 16) == 0);
    return fd;
}

int main(int argc, char **argv)
{
    CHECK(argc == 3);
    const struct guard_case *chosen = NULL;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (strcmp(cases[i].name, argv[2]) == 0)
            chosen = &cases[i];
    CHECK(chosen != NULL);
    signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/ffcgi-guard-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    snprintf(address, sizeof address, "%s/app.sock", dir);
    int lfd = listen_unix(address);
    char *app_argv[] = {argv[1], NULL};
    struct child_setup setup = {.listen_fd = lfd, .listen_fd_target = 0, .stdin_fd = -1,
                                .stdout_fd = -1};
    pid_t pid = process_start(app_argv, &setup);
    close(lfd);
    int failed = chosen->run();
    if (!failed) {
        failed = healthy();
        if (failed)
            fprintf(stderr, "the app no longer serves a normal request\n");
    }
    kill(pid, SIGKILL);
    process_wait(pid);
    unlink(address);
    rmdir(dir);
    printf("%s: %s\n", chosen->name, failed ? "FAILED" : "ok");
    return failed;
}
