/* test_respond.c — the calls that do a request's common work in one
 * crossing: ffcgi_respond() answers byte for byte as the separate calls do
 * (status, headers in order, body, flush, finish), refuses a bad status or
 * header before setting anything, and sees a NUL inside a packed header;
 * ffcgi_head_check() applies the same rules without a request;
 * ffcgi_accept_env() hands back the packed env with the request. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

#define HEADERS "Content-Type\0text/plain\0Set-Cookie\0a=1\0Set-Cookie\0b=2; Path=/\0"
#define HEADERS_LEN (sizeof HEADERS - 1)

static void answer(ffcgi_request *req, void *ctx)
{
    (void)ctx;
    const char *mode = ffcgi_env_get(req, "MODE");
    CHECK(mode != NULL);
    if (strcmp(mode, "separate") == 0) {
        CHECK_OK(ffcgi_status_reason(req, 201, "Made Here"));
        CHECK_OK(ffcgi_header(req, "Content-Type", "text/plain"));
        CHECK_OK(ffcgi_header(req, "Set-Cookie", "a=1"));
        CHECK_OK(ffcgi_header(req, "Set-Cookie", "b=2; Path=/"));
        CHECK_OK(ffcgi_write(req, "bo\0dy", 5));
        CHECK_OK(ffcgi_finish(req));
    } else if (strcmp(mode, "one-call") == 0) {
        CHECK_OK(ffcgi_respond(req, 201, "Made Here", 9, HEADERS, HEADERS_LEN, 3, "bo\0dy", 5,
                               FFCGI_RESPOND_FINISH));
        CHECK_INT(ffcgi_respond(req, 0, NULL, 0, NULL, 0, 0, "x", 1, 0), FFCGI_ESTATE);
    } else if (strcmp(mode, "refused") == 0) {
        /* each refused call sets nothing: the answer is the raw body below */
        CHECK_INT(ffcgi_respond(req, 200, NULL, 0, "X-Evil\0a\r\nInjected: 1\0", 22, 1, "no",
                                2, 0), FFCGI_EHEADER);
        CHECK_CONTAINS(ffcgi_last_error(), "value of header 'X-Evil' contains CR");
        CHECK_INT(ffcgi_respond(req, 200, NULL, 0, "Good\0v\0X-Evil\0a\0b\0", 18, 2, NULL, 0,
                                0), FFCGI_EHEADER);
        CHECK_CONTAINS(ffcgi_last_error(), "holds more than 2 headers: a header name or value "
                                           "holds a NUL byte");
        CHECK_INT(ffcgi_respond(req, 200, NULL, 0, "Good\0v\0Short\0", 13, 2, NULL, 0, 0),
                  FFCGI_EHEADER);
        CHECK_CONTAINS(ffcgi_last_error(), "ends within header 2 of 2");
        CHECK_INT(ffcgi_respond(req, 200, "OK\n", 3, "Good\0v\0", 7, 1, NULL, 0, 0),
                  FFCGI_EHEADER);
        CHECK_INT(ffcgi_respond(req, 99, NULL, 0, "Good\0v\0", 7, 1, NULL, 0, 0), FFCGI_EINVAL);
        CHECK_INT(ffcgi_respond(req, 200, NULL, 0, NULL, 7, 1, NULL, 0, 0), FFCGI_EINVAL);
        CHECK_INT(ffcgi_respond(req, 200, NULL, 0, NULL, 0, 0, NULL, 0, 4), FFCGI_EINVAL);
        CHECK_CONTAINS(ffcgi_last_error(), "unknown flags 0x4");
        CHECK_OK(ffcgi_respond(req, 0, NULL, 0, NULL, 0, 0, "raw\n\nbody", 9, 0));
    } else if (strcmp(mode, "standard-reason") == 0) {
        /* no reason, then headers alone after a status set separately */
        CHECK_OK(ffcgi_respond(req, 404, "", 0, NULL, 0, 0, NULL, 0, 0));
        CHECK_OK(ffcgi_respond(req, 0, NULL, 0, "X-A\0\0", 5, 1, "b", 1, FFCGI_RESPOND_FLUSH));
        CHECK_OK(ffcgi_respond(req, 0, NULL, 0, NULL, 0, 0, "c", 1, 0));
    }
}

static void one_call_answers_as_separate_calls(struct harness_app *app)
{
    fcc_response separate, one;
    harness_ask_mode(app, "separate", &separate);
    harness_ask_mode(app, "one-call", &one);
    static const char expected[] = "Status: 201 Made Here\r\nContent-Type: text/plain\r\n"
                                   "Set-Cookie: a=1\r\nSet-Cookie: b=2; Path=/\r\n\r\nbo\0dy";
    harness_expect_bytes(&separate, expected, sizeof expected - 1);
    harness_expect_bytes(&one, expected, sizeof expected - 1);
    fcc_response_free(&separate);
    fcc_response_free(&one);

    fcc_response resp;
    harness_ask_mode(app, "refused", &resp);
    harness_expect_bytes(&resp, "raw\n\nbody", 9);
    fcc_response_free(&resp);
    harness_ask_mode(app, "standard-reason", &resp);
    static const char standard[] = "Status: 404 Not Found\r\nX-A: \r\n\r\nbc";
    harness_expect_bytes(&resp, standard, sizeof standard - 1);
    fcc_response_free(&resp);
}

static void head_check_without_a_request(void)
{
    CHECK_OK(ffcgi_head_check(0, NULL, 0, HEADERS, HEADERS_LEN, 3));
    CHECK_OK(ffcgi_head_check(0, NULL, 0, NULL, 0, 0));
    CHECK_OK(ffcgi_head_check(418, "I'm a teapot", 12, NULL, 0, 0));
    CHECK_INT(ffcgi_head_check(0, NULL, 0, HEADERS, HEADERS_LEN, 2), FFCGI_EHEADER);
    CHECK_INT(ffcgi_head_check(0, NULL, 0, HEADERS, HEADERS_LEN, 4), FFCGI_EHEADER);
    CHECK_INT(ffcgi_head_check(0, NULL, 0, "Bad Name\0v\0", 11, 1), FFCGI_EHEADER);
    CHECK_CONTAINS(ffcgi_last_error(), "header name 'Bad Name' contains a character not allowed");
    CHECK_INT(ffcgi_head_check(0, NULL, 0, "X\0a\x7F\0", 5, 1), FFCGI_EHEADER);
    CHECK_INT(ffcgi_head_check(0, NULL, 0, NULL, 3, 1), FFCGI_EINVAL);
    CHECK_INT(ffcgi_head_check(200, "O\rK", 3, NULL, 0, 0), FFCGI_EHEADER);
    CHECK_CONTAINS(ffcgi_last_error(), "reason phrase contains CR");
    CHECK_INT(ffcgi_head_check(1000, NULL, 0, NULL, 0, 0), FFCGI_EINVAL);
    CHECK_INT(ffcgi_head_check(200, NULL, 2, NULL, 0, 0), FFCGI_EINVAL);
}

/* A worker of its own: ffcgi_accept_env() instead of ffcgi_accept(). */
static void *accept_env_worker(void *arg)
{
    ffcgi_server *srv = arg;
    ffcgi_request *req;
    CHECK_OK(ffcgi_request_new(&req, srv));
    const char *env = (const char *)1, *packed;
    size_t len = 1, packed_len;
    CHECK_INT(ffcgi_accept_env(req, NULL, &len), FFCGI_EINVAL);
    CHECK(len == 0);
    int rc;
    while ((rc = ffcgi_accept_env(req, &env, &len)) == 0) {
        CHECK_OK(ffcgi_env_packed(req, &packed, &packed_len));
        CHECK(env == packed && len == packed_len);
        CHECK_OK(ffcgi_respond(req, 0, NULL, 0, "Content-Type\0text/plain\0", 24, 1, env, len,
                               FFCGI_RESPOND_FINISH));
    }
    CHECK_INT(rc, FFCGI_ESHUTDOWN);
    CHECK(env == NULL && len == 0);
    ffcgi_request_free(req);
    return NULL;
}

static void accept_env_gives_the_packed_env(void)
{
    struct harness_app app;
    ffcgi_server *srv = harness_open(&app, 16);
    pthread_t worker;
    CHECK(pthread_create(&worker, NULL, accept_env_worker, srv) == 0);
    fcc_param p[] = {fcc_str_param("A", "1"), fcc_str_param("BB", "two")};
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = p, .n_params = 2};
    for (int i = 0; i < 2; i++) {
        fcc_response resp;
        harness_ask(&app, &r, &resp);
        static const char expected[] = "Content-Type: text/plain\r\n\r\n"
                                       "FCGI_ROLE\0RESPONDER\0A\0" "1\0BB\0two";
        harness_expect_bytes(&resp, expected, sizeof expected);
        fcc_response_free(&resp);
    }
    ffcgi_server_shutdown(srv);
    CHECK(pthread_join(worker, NULL) == 0);
    ffcgi_server_free(srv);
    CHECK(rmdir(app.dir) == 0);
}

int main(void)
{
    struct harness_app app;
    harness_start(&app, answer, NULL, 2);
    one_call_answers_as_separate_calls(&app);
    harness_stop(&app);
    head_check_without_a_request();
    accept_env_gives_the_packed_env();
    puts("ok");
    return 0;
}
