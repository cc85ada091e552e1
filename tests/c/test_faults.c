/* test_faults.c — examples/echo (a separate process, 4 threads) under
 * faults: 10,000 connections opened and dropped, clients vanishing
 * mid-request and mid-response, aborted requests, params over the limit,
 * and descriptor exhaustion (a second echo with RLIMIT_NOFILE lowered).
 * After each fault the next request is answered correctly, and (in the
 * second of two rounds) the process's descriptor count and resident memory
 * are back where they were.
 *   test_faults PATH-TO-ECHO */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fcgi_client.h"
#include "process.h"

#define TIMEOUT_MS 30000
#define RSS_SLACK_KIB 4096

static char address[96];
static pid_t echo_pid;
static int baseline_fds;
static long baseline_rss;

static void send_bytes(int fd, const fcc_buf *b)
{
    CHECK_OK(fcc_write_all(fd, b->data, b->len));
}

/* A request whose answer must carry its own tag. */
static void answered(const char *tag, int keep_fd)
{
    char query[64], expect[80];
    snprintf(query, sizeof query, "tag=%s", tag);
    snprintf(expect, sizeof expect, "\nquery=tag%%3D%s\n", tag);
    fcc_param p = fcc_str_param("QUERY_STRING", query);
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = &p, .n_params = 1,
                     .keep_conn = keep_fd >= 0};
    int fd = keep_fd >= 0 ? keep_fd : fcc_connect(address);
    CHECK(fd >= 0);
    fcc_response resp;
    fcc_response_init(&resp);
    if (fcc_roundtrip(fd, &r, &resp, TIMEOUT_MS) != 0) {
        fprintf(stderr, "request %s: %s\n", tag, fcc_error());
        exit(1);
    }
    if (!memmem(resp.out.data, resp.out.len, expect, strlen(expect))) {
        fprintf(stderr, "request %s: answer without \"%s\":\n%.*s\n", tag, expect,
                (int)resp.out.len, resp.out.data);
        exit(1);
    }
    fcc_response_free(&resp);
    if (keep_fd < 0)
        close(fd);
}

/* The next request works and the process is back where it was. */
static void recovered(const char *after)
{
    char tag[64];
    snprintf(tag, sizeof tag, "%s", after);
    for (char *c = tag; *c; c++)
        *c = *c == ' ' ? '-' : *c; /* a tag the echo does not escape */
    answered(tag, -1);
    if (!baseline_rss)
        return; /* the first round warms the allocator up */
    int fds = 0;
    for (int waited = 0; waited < 5000; waited += 20) { /* closes may lag the answer */
        if ((fds = process_fd_count(echo_pid)) == baseline_fds)
            break;
        usleep(20000);
    }
    long rss = process_rss_kib(echo_pid);
    printf("after %-28s fds %d (baseline %d), rss %ld KiB (baseline %ld)\n", after, fds,
           baseline_fds, rss, baseline_rss);
    CHECK_INT(fds, baseline_fds);
    /* under ASan (FFCGI_TEST_SKIP_RSS) the heap grows by design: quarantine */
    CHECK(getenv("FFCGI_TEST_SKIP_RSS") || rss <= baseline_rss + RSS_SLACK_KIB);
}

static void put_head(fcc_buf *b, int params_bytes)
{
    unsigned char begin[8] = {0, FCC_RESPONDER, 0};
    fcc_put_record(b, FCC_BEGIN_REQUEST, 1, begin, sizeof begin, 0);
    fcc_param p = fcc_str_param("REQUEST_METHOD", "POST");
    fcc_buf nv = FCC_BUF_INIT;
    fcc_encode_params(&nv, &p, 1);
    if (params_bytes > 0) {
        static char big[1 << 20];
        memset(big, 'x', sizeof big - 1);
        fcc_param huge = {"BIG", 3, big, sizeof big - 1, 0};
        for (int i = 0; i < params_bytes; i += (int)sizeof big)
            fcc_encode_params(&nv, &huge, 1);
    }
    fcc_put_stream(b, FCC_PARAMS, 1, nv.data, nv.len, 0);
    fcc_buf_free(&nv);
}

static void connections_dropped(void)
{
    for (int i = 0; i < 10000; i++) {
        int fd = fcc_connect(address);
        CHECK(fd >= 0);
        if (i % 2) {
            fcc_buf b = FCC_BUF_INIT;
            put_head(&b, 0);
            b.len = (size_t)(i % 40); /* a piece of a request */
            send_bytes(fd, &b);
            fcc_buf_free(&b);
        }
        close(fd);
    }
    recovered("10000 dropped connections");
}

static void vanishing_clients(void)
{
    for (int i = 0; i < 100; i++) {
        int fd = fcc_connect(address);
        fcc_buf b = FCC_BUF_INIT;
        put_head(&b, 0);
        fcc_put_record(&b, FCC_STDIN, 1, "partial body", 12, 0);
        send_bytes(fd, &b);
        fcc_buf_free(&b);
        close(fd);
    }
    recovered("100 vanished mid-request");
    /* mid-response: 3000 params make a long answer; read one record, leave */
    static fcc_param params[3000];
    static char names[3000][16];
    static char value[200];
    memset(value, 'v', sizeof value - 1);
    for (int i = 0; i < 3000; i++) {
        snprintf(names[i], sizeof names[i], "PARAM%d", i);
        params[i] = fcc_str_param(names[i], value);
    }
    for (int i = 0; i < 20; i++) {
        int fd = fcc_connect(address);
        fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = params, .n_params = 3000};
        CHECK_OK(fcc_send_request(fd, &r));
        fcc_record rec = {0};
        CHECK_OK(fcc_read_record(fd, &rec, TIMEOUT_MS));
        fcc_record_free(&rec);
        close(fd);
    }
    recovered("20 vanished mid-response");
}

static void aborted_requests(void)
{
    for (int i = 0; i < 100; i++) {
        int fd = fcc_connect(address);
        fcc_buf b = FCC_BUF_INIT;
        put_head(&b, 0);
        fcc_put_record(&b, FCC_STDIN, 1, "abc", 3, 0);
        fcc_put_record(&b, FCC_ABORT_REQUEST, 1, NULL, 0, 0);
        send_bytes(fd, &b);
        fcc_buf_free(&b);
        fcc_response resp;
        fcc_response_init(&resp);
        CHECK_OK(fcc_read_response(fd, 1, &resp, TIMEOUT_MS));
        CHECK(resp.got_end);
        fcc_response_free(&resp);
        close(fd);
    }
    recovered("100 aborted requests");
}

static void params_over_limit(void)
{
    for (int i = 0; i < 5; i++) {
        int fd = fcc_connect(address);
        fcc_buf b = FCC_BUF_INIT;
        put_head(&b, 2 << 20);
        fcc_put_record(&b, FCC_STDIN, 1, NULL, 0, 0);
        fcc_response resp;
        fcc_response_init(&resp);
        fcc_buf_reserve(&b, 0);
        CHECK_OK(fcc_write_all(fd, b.data, b.len));
        CHECK_OK(fcc_read_response(fd, 1, &resp, TIMEOUT_MS));
        CHECK(resp.out.len > 11 && memcmp(resp.out.data, "Status: 431", 11) == 0);
        fcc_response_free(&resp);
        fcc_buf_free(&b);
        close(fd);
    }
    recovered("5 requests over the limit");
}

/* A second echo with room for one connection (8 descriptors: stdio, the
 * listener, the wake pipe, the epoll set, one connection): an idle kept
 * connection makes way for a new one, and the rest wait (the library
 * pauses accepting) and are served once the descriptor is free. */
static void descriptors_exhausted(char *echo, const char *dir)
{
    char sock[96];
    snprintf(sock, sizeof sock, "%s/small.sock", dir);
    char *argv[] = {echo, "--socket", sock, "--threads", "4", NULL};
    struct child_setup setup = {.listen_fd = -1, .stdin_fd = -1, .stdout_fd = -1, .nofile = 8};
    pid_t pid = process_start(argv, &setup);
    process_wait_listening(sock);
    char saved[96];
    memcpy(saved, address, sizeof saved);
    memcpy(address, sock, sizeof sock);
    int fds[6];
    for (int i = 0; i < 6; i++)
        CHECK((fds[i] = fcc_connect(sock)) >= 0);
    answered("held-0", fds[0]);
    answered("held-1", fds[1]);
    close(fds[0]);
    close(fds[1]);
    for (int i = 2; i < 6; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "waited-%d", i);
        answered(tag, fds[i]);
        close(fds[i]);
    }
    answered("after-exhaustion", -1);
    CHECK_INT(process_stop(pid), 0);
    memcpy(address, saved, sizeof saved);
    printf("descriptor exhaustion: 6 connections through a process limited to 8 fds, all served\n");
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/ffcgi-faults-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    snprintf(address, sizeof address, "%s/echo.sock", dir);
    char *args[] = {argv[1], "--socket", address, "--threads", "4", NULL};
    struct child_setup setup = {.listen_fd = -1, .stdin_fd = -1, .stdout_fd = -1};
    echo_pid = process_start(args, &setup);
    process_wait_listening(address);
    /* Two rounds: the first reaches the steady state (each worker thread's
     * malloc arena grown to its working size), the second must stay there. */
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            do { /* the last connection may still be closing */
                baseline_fds = process_fd_count(echo_pid);
                usleep(100000);
            } while (process_fd_count(echo_pid) != baseline_fds);
            baseline_rss = process_rss_kib(echo_pid);
        }
        connections_dropped();
        vanishing_clients();
        aborted_requests();
        params_over_limit();
    }
    descriptors_exhausted(argv[1], dir);
    recovered("all faults");

    CHECK_INT(process_stop(echo_pid), 0);
    CHECK(rmdir(dir) == 0);
    puts("ok");
    return 0;
}
