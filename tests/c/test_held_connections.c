/* test_held_connections.c — an echo app (a separate process, 4 threads)
 * keeps serving while connections it cannot answer yet are held open:
 *   stalled: 60 connections, a third having sent 4 bytes of a record
 *            header, a third a BEGIN_REQUEST and part of a PARAMS record, a
 *            third one keep-conn request and then nothing; then 50 ordinary
 *            requests on fresh connections, each answered within 2 s;
 *   idle:    1,000 idle kept connections (each served once), then 50
 *            ordinary requests, each answered within 2 s, and a request on
 *            each of 20 of the kept connections.
 * A thread per connection would stop the app at the 5th held connection.
 *   test_held_connections stalled|idle ECHO-COMMAND [ARGS...]
 * ECHO-COMMAND is any echo app; "--socket PATH --threads 4" is appended. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "fcgi_client.h"
#include "process.h"

#define ANSWER_MS 2000
#define ORDINARY 50
#define STALLED 60
#define IDLE 1000

static char address[96];

/* One request whose answer must carry its own tag, within ANSWER_MS. */
static void expect_answer(int fd, const char *tag, int keep)
{
    if (process_tagged_request(fd, tag, keep, ANSWER_MS) != 0)
        exit(1);
}

static void ordinary_requests(const char *what)
{
    for (int i = 0; i < ORDINARY; i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "%s-%d", what, i);
        int fd = fcc_connect(address);
        CHECK(fd >= 0);
        expect_answer(fd, tag, 0);
        close(fd);
    }
    printf("%d ordinary requests answered, each within %d ms\n", ORDINARY, ANSWER_MS);
}

static void send_all(int fd, const fcc_buf *b, size_t len)
{
    CHECK_OK(fcc_write_all(fd, b->data, len));
}

static void stalled(void)
{
    int fds[STALLED];
    for (int i = 0; i < STALLED; i++) {
        CHECK((fds[i] = fcc_connect(address)) >= 0);
        fcc_buf b = FCC_BUF_INIT;
        switch (i % 3) {
        case 0: /* 4 bytes of a record header */
            CHECK_OK(fcc_put_begin(&b, 1, FCC_RESPONDER, 1));
            send_all(fds[i], &b, 4);
            break;
        case 1: { /* BEGIN_REQUEST and part of a PARAMS record */
            fcc_param p = fcc_str_param("QUERY_STRING", "half");
            CHECK_OK(fcc_put_begin(&b, 1, FCC_RESPONDER, 1));
            fcc_buf params = FCC_BUF_INIT;
            CHECK_OK(fcc_encode_params(&params, &p, 1));
            CHECK_OK(fcc_put_record(&b, FCC_PARAMS, 1, params.data, params.len, 0));
            send_all(fds[i], &b, b.len - params.len / 2);
            fcc_buf_free(&params);
            break;
        }
        default: { /* one kept request, then nothing */
            char tag[32];
            snprintf(tag, sizeof tag, "kept-%d", i);
            expect_answer(fds[i], tag, 1);
        }
        }
        fcc_buf_free(&b);
    }
    printf("%d connections held: stalled in a header, in the params, idle after a request\n",
           STALLED);
    ordinary_requests("fresh");
    for (int i = 0; i < STALLED; i++)
        close(fds[i]);
}

static void idle(void)
{
    static int fds[IDLE];
    for (int i = 0; i < IDLE; i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "idle-%d", i);
        CHECK((fds[i] = fcc_connect(address)) >= 0);
        expect_answer(fds[i], tag, 1);
    }
    printf("%d idle kept connections held\n", IDLE);
    ordinary_requests("fresh");
    for (int i = 0; i < IDLE; i += IDLE / 20) {
        char tag[32];
        snprintf(tag, sizeof tag, "again-%d", i);
        expect_answer(fds[i], tag, 1);
    }
    printf("20 of the kept connections served again\n");
    for (int i = 0; i < IDLE; i++)
        close(fds[i]);
}

/* Room for IDLE connections on both ends (the app inherits the limit). */
static void raise_descriptor_limit(void)
{
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_cur < 2 * IDLE + 64) {
        rl.rlim_cur = rl.rlim_max < 2 * IDLE + 64 ? rl.rlim_max : 2 * IDLE + 64;
        CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    }
    CHECK(rl.rlim_cur >= IDLE + 64);
}

int main(int argc, char **argv)
{
    CHECK(argc >= 3);
    signal(SIGPIPE, SIG_IGN);
    raise_descriptor_limit();
    char dir[] = "/tmp/ffcgi-held-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    snprintf(address, sizeof address, "%s/echo.sock", dir);
    char *args[64];
    int n = 0;
    for (int i = 2; i < argc && n < 58; i++)
        args[n++] = argv[i];
    args[n++] = "--socket";
    args[n++] = address;
    args[n++] = "--threads";
    args[n++] = "4";
    args[n] = NULL;
    struct child_setup setup = {.listen_fd = -1, .stdin_fd = -1, .stdout_fd = -1};
    pid_t pid = process_start(args, &setup);
    process_wait_listening(address);
    if (strcmp(argv[1], "stalled") == 0)
        stalled();
    else if (strcmp(argv[1], "idle") == 0)
        idle();
    else
        CHECK(!"the case is stalled or idle");
    CHECK_INT(process_stop(pid), 0);
    CHECK(rmdir(dir) == 0);
    puts("ok");
    return 0;
}
