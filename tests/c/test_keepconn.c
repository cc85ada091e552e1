/* test_keepconn.c — connections the web server keeps open (FCGI_KEEP_CONN):
 * 100 requests in a row on one connection each get their own answer; a body
 * the app never read is discarded so the next request on the connection is
 * still parsed correctly; without keep-conn the app closes the connection
 * after the request. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

/* Answers "n=<N> body=<bytes read>"; with SKIP_BODY set it reads nothing. */
static void answer(ffcgi_request *req, void *ctx)
{
    (void)ctx;
    size_t total = 0, n;
    char buf[512];
    if (!ffcgi_env_get(req, "SKIP_BODY"))
        do {
            CHECK_OK(ffcgi_read(req, buf, sizeof buf, &n));
            total += n;
        } while (n > 0);
    snprintf(buf, sizeof buf, "n=%s body=%zu", ffcgi_env_get(req, "N"), total);
    CHECK_OK(ffcgi_print(req, buf));
}

static void ask_on(int fd, int keep, int n, int skip_body, size_t body_len)
{
    char number[16], expect[64];
    snprintf(number, sizeof number, "%d", n);
    fcc_param params[2] = {fcc_str_param("N", number), fcc_str_param("SKIP_BODY", "1")};
    unsigned char *body = harness_pattern(body_len, (unsigned)n);
    fcc_request r = {.id = (uint16_t)(n % 65535 + 1), .role = FCC_RESPONDER, .keep_conn = keep,
                     .params = params, .n_params = skip_body ? 2 : 1,
                     .stdin_data = body, .stdin_len = body_len, .stdin_chunk = 1000};
    fcc_response resp;
    fcc_response_init(&resp);
    if (fcc_roundtrip(fd, &r, &resp, HARNESS_TIMEOUT_MS) != 0) {
        fprintf(stderr, "request %d: %s\n", n, fcc_error());
        exit(1);
    }
    char *text = harness_stdout_text(&resp);
    snprintf(expect, sizeof expect, "n=%d body=%zu", n, skip_body ? 0 : body_len);
    CHECK_STR(text, expect);
    free(text);
    fcc_response_free(&resp);
    free(body);
}

/* 1 if the peer closed fd (EOF) within the harness timeout. */
static int peer_closes(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char byte;
    return poll(&p, 1, HARNESS_TIMEOUT_MS) == 1 && read(fd, &byte, 1) == 0;
}

int main(void)
{
    struct harness_app app;
    harness_start(&app, answer, NULL, 1);

    int fd = harness_connect(&app);
    for (int n = 0; n < 100; n++)
        ask_on(fd, 1, n, n % 10 == 5, (size_t)n * 97);
    /* a large unread body on a kept connection */
    ask_on(fd, 1, 100, 1, 300000);
    ask_on(fd, 1, 101, 0, 10);
    close(fd);

    fd = harness_connect(&app);
    ask_on(fd, 0, 1, 0, 10);
    CHECK(peer_closes(fd));
    close(fd);

    harness_stop(&app);
    puts("ok");
    return 0;
}
