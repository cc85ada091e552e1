/* test_pipelining.c — a web server that pipelines (sends the next request
 * on a kept connection before the previous answer) loses nothing: 3,000
 * keep-conn requests are written on one connection by one thread, in
 * bursts of random sizes at random moments, while another reads the
 * answers; every request gets its own answer, in order. (Before the
 * connection layer read every byte into the connection's buffer, a request
 * arriving between a peek and libfcgi's read could be dropped.) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

#define REQUESTS 3000

static void answer(ffcgi_request *req, void *ctx)
{
    (void)ctx;
    char body[64], buf[128];
    size_t n;
    CHECK_OK(ffcgi_read(req, body, sizeof body - 1, &n));
    body[n] = '\0';
    snprintf(buf, sizeof buf, "n=%s body=%s", ffcgi_env_get(req, "N"), body);
    CHECK_OK(ffcgi_print(req, buf));
}

struct writer {
    int fd;
    fcc_buf all;
};

static void *write_in_bursts(void *p)
{
    struct writer *w = p;
    size_t sent = 0;
    unsigned seed = 7;
    while (sent < w->all.len) {
        size_t burst = 1 + (size_t)rand_r(&seed) % 700;
        if (burst > w->all.len - sent)
            burst = w->all.len - sent;
        CHECK_OK(fcc_write_all(w->fd, w->all.data + sent, burst));
        sent += burst;
        if (rand_r(&seed) % 4 == 0)
            usleep((useconds_t)(rand_r(&seed) % 200));
    }
    return NULL;
}

int main(void)
{
    struct harness_app app;
    harness_start(&app, answer, NULL, 4);
    struct writer w = {.fd = harness_connect(&app), .all = FCC_BUF_INIT};
    for (int i = 0; i < REQUESTS; i++) {
        char number[16];
        snprintf(number, sizeof number, "%d", i);
        fcc_param p = fcc_str_param("N", number);
        fcc_request r = {.id = 1, .role = FCC_RESPONDER, .keep_conn = 1, .params = &p,
                         .n_params = 1, .stdin_data = number, .stdin_len = strlen(number)};
        CHECK_OK(fcc_encode_request(&w.all, &r));
    }
    pthread_t writer;
    CHECK(pthread_create(&writer, NULL, write_in_bursts, &w) == 0);
    for (int i = 0; i < REQUESTS; i++) {
        fcc_response resp;
        fcc_response_init(&resp);
        if (fcc_read_response(w.fd, 1, &resp, HARNESS_TIMEOUT_MS) != 0) {
            fprintf(stderr, "answer %d of %d: %s\n", i, REQUESTS, fcc_error());
            return 1;
        }
        char *text = harness_stdout_text(&resp), expect[64];
        snprintf(expect, sizeof expect, "n=%d body=%d", i, i);
        CHECK_STR(text, expect);
        free(text);
        fcc_response_free(&resp);
    }
    CHECK(pthread_join(writer, NULL) == 0);
    printf("%d pipelined requests on one connection, every one answered in order\n", REQUESTS);
    close(w.fd);
    fcc_buf_free(&w.all);
    harness_stop(&app);
    puts("ok");
    return 0;
}
