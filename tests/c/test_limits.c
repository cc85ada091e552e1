/* test_limits.c — the per-server limits: params over their byte or count
 * limit are answered "431" by the library without reaching the app; a
 * CONTENT_LENGTH over the body limit is answered "413" the same way; a body
 * that grows past it gives the app FFCGI_ELIMIT after the bytes within it,
 * and the library answers 413 in place of the app if the app had sent
 * nothing yet (what the app writes after that is dropped); a stalled
 * connection gives FFCGI_ETIMEDOUT mid-body and is closed when idle.
 * After each, the next request (on the same kept connection where the web
 * server would reuse it) is served normally. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

struct seen {
    pthread_mutex_t lock;
    int calls;
    size_t bytes;
    int result;
    size_t params; /* ffcgi_env_count() of the last request */
};

static void count_body(ffcgi_request *req, void *ctx)
{
    struct seen *s = ctx;
    char buf[256];
    size_t n, total = 0;
    int rc;
    const char *query = ffcgi_env_get(req, "QUERY_STRING");
    if (query && strcmp(query, "early") == 0)
        ffcgi_print(req, "early ");
    while ((rc = ffcgi_read(req, buf, sizeof buf, &n)) == 0 && n > 0)
        total += n;
    pthread_mutex_lock(&s->lock);
    s->calls++;
    s->bytes = total;
    s->result = rc;
    s->params = ffcgi_env_count(req);
    pthread_mutex_unlock(&s->lock);
    ffcgi_print(req, rc == 0 ? "ok" : "limited");
}

static struct seen last(struct seen *s)
{
    pthread_mutex_lock(&s->lock);
    struct seen copy = *s;
    pthread_mutex_unlock(&s->lock);
    return copy;
}

/* Reads the answer to request `id` on fd and checks how its stdout begins. */
static void expect_answer(int fd, uint16_t id, const char *expect_prefix)
{
    fcc_response resp;
    fcc_response_init(&resp);
    CHECK_OK(fcc_read_response(fd, id, &resp, HARNESS_TIMEOUT_MS));
    CHECK(resp.got_end);
    char *text = harness_stdout_text(&resp);
    CHECK(strncmp(text, expect_prefix, strlen(expect_prefix)) == 0);
    free(text);
    fcc_response_free(&resp);
}

static void ask_on(int fd, const fcc_request *r, const char *expect_prefix)
{
    CHECK_OK(fcc_send_request(fd, r));
    expect_answer(fd, r->id, expect_prefix);
}

static void params_over_limits(struct harness_app *app, struct seen *s)
{
    char big[400];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    fcc_param one = fcc_str_param("BIG", big);
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .keep_conn = 1, .params = &one, .n_params = 1,
                     .stdin_data = "body", .stdin_len = 4};
    int fd = harness_connect(app);
    int calls = last(s).calls;
    ask_on(fd, &r, "Status: 431");
    fcc_param many[8];
    for (int i = 0; i < 8; i++)
        many[i] = fcc_str_param("P", "v");
    fcc_request r2 = {.id = 2, .role = FCC_RESPONDER, .keep_conn = 1, .params = many, .n_params = 8};
    ask_on(fd, &r2, "Status: 431");
    CHECK_INT(last(s).calls, calls); /* the app never saw them */
    fcc_request fine = {.id = 3, .role = FCC_RESPONDER, .keep_conn = 1};
    ask_on(fd, &fine, "ok");
    CHECK_INT(last(s).params, 1); /* FCGI_ROLE only: nothing left of the refused ones */
    close(fd);
}

/* Params over the count limit whose last pair runs past their end: the
 * params are malformed (400), wherever the limit was passed. The next
 * request, sent in the same write (parsed in the same pass), gets its own
 * params and nothing of the refused ones. */
static void malformed_past_count_limit(struct harness_app *app, struct seen *s)
{
    fcc_buf params = FCC_BUF_INIT, b = FCC_BUF_INIT;
    for (int i = 0; i < 7; i++) {
        fcc_param p = fcc_str_param("P", "v");
        CHECK_OK(fcc_put_nv(&params, &p));
    }
    static const unsigned char runs_past[] = {1, 9, 'X', 'y'};
    CHECK_OK(fcc_buf_append(&params, runs_past, sizeof runs_past));
    CHECK_OK(fcc_put_begin(&b, 1, FCC_RESPONDER, 1));
    CHECK_OK(fcc_put_record(&b, FCC_PARAMS, 1, params.data, params.len, 0));
    CHECK_OK(fcc_put_record(&b, FCC_PARAMS, 1, NULL, 0, 0));
    CHECK_OK(fcc_put_stream(&b, FCC_STDIN, 1, NULL, 0, 0));
    fcc_param two[2] = {fcc_str_param("A", "1"), fcc_str_param("B", "2")};
    fcc_request fine = {.id = 2, .role = FCC_RESPONDER, .keep_conn = 1, .params = two,
                        .n_params = 2};
    CHECK_OK(fcc_encode_request(&b, &fine));
    int fd = harness_connect(app);
    int calls = last(s).calls;
    CHECK_OK(fcc_write_all(fd, b.data, b.len));
    expect_answer(fd, 1, "Status: 400");
    expect_answer(fd, 2, "ok");
    CHECK_INT(last(s).calls, calls + 1);
    CHECK_INT(last(s).params, 3); /* FCGI_ROLE, A and B */
    close(fd);
    fcc_buf_free(&params);
    fcc_buf_free(&b);
}

static void body_over_limit(struct harness_app *app, struct seen *s)
{
    unsigned char *body = harness_pattern(5000, 1);
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .keep_conn = 1, .stdin_data = body,
                     .stdin_len = 5000, .stdin_chunk = 300};
    int fd = harness_connect(app);
    ask_on(fd, &r, "Status: 413 Content Too Large\r\nContent-Type: text/plain; charset=utf-8"
                   "\r\n\r\n413 Content Too Large\n");
    struct seen after = last(s);
    CHECK_INT(after.result, FFCGI_ELIMIT);
    CHECK(after.bytes <= 1000);

    /* the app had answered already: its answer stands */
    fcc_param early = fcc_str_param("QUERY_STRING", "early");
    r.params = &early;
    r.n_params = 1;
    ask_on(fd, &r, "early limited");

    /* declared too large: refused before the app runs */
    int calls = last(s).calls;
    fcc_param declared = fcc_str_param("CONTENT_LENGTH", "5000");
    r.params = &declared;
    ask_on(fd, &r, "Status: 413 Content Too Large\r\n");
    CHECK_INT(last(s).calls, calls);
    fcc_param within = fcc_str_param("CONTENT_LENGTH", "3");
    fcc_request fine_declared = {.id = 3, .role = FCC_RESPONDER, .keep_conn = 1,
                                 .params = &within, .n_params = 1, .stdin_data = "abc",
                                 .stdin_len = 3};
    ask_on(fd, &fine_declared, "ok");
    CHECK_INT(last(s).calls, calls + 1);
    /* of two CONTENT_LENGTH params the first counts, as ffcgi_env_get() gives */
    fcc_param twice[2] = {fcc_str_param("CONTENT_LENGTH", "3"),
                          fcc_str_param("CONTENT_LENGTH", "5000")};
    fine_declared.params = twice;
    fine_declared.n_params = 2;
    ask_on(fd, &fine_declared, "ok");
    CHECK_INT(last(s).calls, calls + 2);
    twice[0] = twice[1];
    twice[1] = within;
    fine_declared.params = twice;
    ask_on(fd, &fine_declared, "Status: 413 Content Too Large\r\n");
    CHECK_INT(last(s).calls, calls + 2);
    fcc_request fine = {.id = 2, .role = FCC_RESPONDER, .keep_conn = 1, .stdin_data = "xyz",
                        .stdin_len = 3};
    ask_on(fd, &fine, "ok");
    CHECK_INT(last(s).bytes, 3);
    close(fd);
    free(body);
}

/* 1 if the server closes fd within 10 s. */
static int closed_by_server(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char byte;
    return poll(&p, 1, 10000) == 1 && read(fd, &byte, 1) <= 0;
}

/* Refused with part of its body still unsent (nginx stops sending once it
 * has an answer, and waits for the end of it): the web server gets the 413
 * and then EOF, long before the idle limit would close the connection. */
static void early_answer_ends_output(struct harness_app *app)
{
    CHECK_OK(ffcgi_server_set_limit(app->srv, FFCGI_LIMIT_IDLE_MS, 60000));
    int fd = harness_connect(app);
    fcc_buf b = FCC_BUF_INIT;
    unsigned char begin[8] = {0, FCC_RESPONDER, 0}; /* not kept */
    fcc_put_record(&b, FCC_BEGIN_REQUEST, 1, begin, sizeof begin, 0);
    fcc_buf params = FCC_BUF_INIT;
    fcc_param length = fcc_str_param("CONTENT_LENGTH", "5000");
    CHECK_OK(fcc_encode_params(&params, &length, 1));
    fcc_put_record(&b, FCC_PARAMS, 1, params.data, params.len, 0);
    fcc_put_record(&b, FCC_PARAMS, 1, NULL, 0, 0);
    fcc_buf_free(&params);
    fcc_put_record(&b, FCC_STDIN, 1, "only a part", 11, 0);
    CHECK_OK(fcc_write_all(fd, b.data, b.len));
    fcc_buf_free(&b);
    expect_answer(fd, 1, "Status: 413");
    CHECK(closed_by_server(fd)); /* EOF now, not after 60 s */
    close(fd);
    CHECK_OK(ffcgi_server_set_limit(app->srv, FFCGI_LIMIT_IDLE_MS, 300));
}

static void stalls(struct harness_app *app, struct seen *s)
{
    /* stalled before the request began: the connection is closed */
    int fd = harness_connect(app);
    fcc_buf b = FCC_BUF_INIT;
    unsigned char begin[8] = {0, FCC_RESPONDER, 0};
    fcc_put_record(&b, FCC_BEGIN_REQUEST, 1, begin, sizeof begin, 0);
    CHECK_OK(fcc_write_all(fd, b.data, b.len));
    CHECK(closed_by_server(fd));
    close(fd);

    /* stalled mid-body: the app's read times out */
    fd = harness_connect(app);
    fcc_put_record(&b, FCC_PARAMS, 1, NULL, 0, 0);
    fcc_put_record(&b, FCC_STDIN, 1, "partial", 7, 0);
    CHECK_OK(fcc_write_all(fd, b.data, b.len));
    fcc_buf_free(&b);
    fcc_response resp;
    fcc_response_init(&resp);
    CHECK_OK(fcc_read_response(fd, 1, &resp, HARNESS_TIMEOUT_MS));
    fcc_response_free(&resp);
    CHECK_INT(last(s).result, FFCGI_ETIMEDOUT);
    CHECK_INT(last(s).bytes, 7);
    close(fd);

    /* a kept connection left idle is closed */
    fd = harness_connect(app);
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .keep_conn = 1};
    ask_on(fd, &r, "ok");
    CHECK(closed_by_server(fd));
    close(fd);
}

int main(void)
{
    struct seen s = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0};
    struct harness_app app;
    harness_start(&app, count_body, &s, 1);
    ffcgi_server *srv = app.srv;
    CHECK_INT(ffcgi_server_limit(srv, FFCGI_LIMIT_PARAM_BYTES), 1 << 20);
    CHECK_INT(ffcgi_server_limit(srv, FFCGI_LIMIT_PARAMS), 10000);
    CHECK_INT(ffcgi_server_limit(srv, FFCGI_LIMIT_BODY_BYTES), 0);
    CHECK_INT(ffcgi_server_limit(srv, FFCGI_LIMIT_IDLE_MS), 60000);
    CHECK_INT(ffcgi_server_set_limit(srv, 99, 1), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_set_limit(srv, FFCGI_LIMIT_PARAMS, -1), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_set_limit(NULL, FFCGI_LIMIT_PARAMS, 1), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_limit(srv, 99), FFCGI_EINVAL);
    CHECK_OK(ffcgi_server_set_limit(srv, FFCGI_LIMIT_PARAM_BYTES, 300));
    CHECK_OK(ffcgi_server_set_limit(srv, FFCGI_LIMIT_PARAMS, 5));
    CHECK_OK(ffcgi_server_set_limit(srv, FFCGI_LIMIT_BODY_BYTES, 1000));
    CHECK_OK(ffcgi_server_set_limit(srv, FFCGI_LIMIT_IDLE_MS, 300));
    CHECK_INT(ffcgi_server_limit(srv, FFCGI_LIMIT_IDLE_MS), 300);

    params_over_limits(&app, &s);
    malformed_past_count_limit(&app, &s);
    body_over_limit(&app, &s);
    early_answer_ends_output(&app);
    stalls(&app, &s);
    harness_stop(&app);
    puts("ok");
    return 0;
}
