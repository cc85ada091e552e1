/* test_status.c — the scoreboard and the status page: the path is checked
 * and fixed once serving began; requests for it are answered by the
 * library (text, or JSON for ?json) and never reach the app; the page
 * lists each worker (busy with its request and age, or idle) and counts
 * requests, limit refusals, protocol errors, slow requests and
 * connections; the listen queue's limit is the backlog; JSON escapes any
 * byte of a request target; ffcgi_server_status() truncates like snprintf. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

#define BACKLOG 16

struct app_state {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int app_calls;      /* requests the app saw */
    int slow_inside;    /* the /slow request is in the app */
    int release_slow;   /* let it finish */
};

static void answer(ffcgi_request *req, void *ctx)
{
    struct app_state *st = ctx;
    const char *uri = ffcgi_env_get(req, "REQUEST_URI");
    pthread_mutex_lock(&st->lock);
    st->app_calls++;
    if (uri && strncmp(uri, "/slow", 5) == 0) {
        st->slow_inside = 1;
        pthread_cond_broadcast(&st->changed);
        while (!st->release_slow)
            pthread_cond_wait(&st->changed, &st->lock);
    }
    pthread_mutex_unlock(&st->lock);
    if (uri && strcmp(uri, "/sleepy") == 0)
        usleep(120 * 1000);
    ffcgi_print(req, "Content-Type: text/plain\r\n\r\napp");
}

static char *ask_uri(struct harness_app *app, const char *uri, const char *query)
{
    fcc_param params[] = {fcc_str_param("REQUEST_METHOD", "GET"),
                          fcc_str_param("REQUEST_URI", uri),
                          fcc_str_param("QUERY_STRING", query)};
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = params, .n_params = 3};
    fcc_response resp;
    harness_ask(app, &r, &resp);
    char *text = harness_stdout_text(&resp);
    fcc_response_free(&resp);
    return text;
}

static void *ask_slow(void *arg)
{
    free(ask_uri(arg, "/slow/\"x\"\x01\xC3\xA9", ""));
    return NULL;
}

static void expect_has(const char *text, const char *part)
{
    if (!strstr(text, part)) {
        fprintf(stderr, "page:\n%s\nmissing: %s\n", text, part);
        CHECK(!"the page has it");
    }
}

/* Waits (at most 10 s) until the JSON status contains `part`. */
static void wait_for(ffcgi_server *srv, const char *part)
{
    char page[8192];
    for (int waited_ms = 0; waited_ms < 10000; waited_ms += 10) {
        CHECK(ffcgi_server_status(srv, FFCGI_STATUS_JSON, page, sizeof page) > 0);
        if (strstr(page, part))
            return;
        usleep(10 * 1000);
    }
    expect_has(page, part);
}

static void paths_are_checked(ffcgi_server *srv)
{
    CHECK_INT(ffcgi_server_status_path(NULL, "/status"), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_status_path(srv, "status"), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_status_path(srv, "/status?json"), FFCGI_EINVAL);
    CHECK_OK(ffcgi_server_status_path(srv, NULL));
    CHECK_OK(ffcgi_server_status_path(srv, "/status"));
    CHECK_INT(ffcgi_server_status(srv, 7, NULL, 0), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_status(NULL, FFCGI_STATUS_TEXT, NULL, 0), FFCGI_EINVAL);
    int64_t full = ffcgi_server_status(srv, FFCGI_STATUS_TEXT, NULL, 0);
    CHECK(full > 100);
    char small[10];
    CHECK_INT(ffcgi_server_status(srv, FFCGI_STATUS_TEXT, small, sizeof small), full);
    CHECK_INT(strlen(small), sizeof small - 1);
}

static void busy_and_idle_workers(struct harness_app *app, struct app_state *st)
{
    pthread_t slow;
    CHECK_INT(pthread_create(&slow, NULL, ask_slow, app), 0);
    pthread_mutex_lock(&st->lock);
    while (!st->slow_inside)
        pthread_cond_wait(&st->changed, &st->lock);
    pthread_mutex_unlock(&st->lock);
    usleep(80 * 1000); /* an age of at least 80 ms: slow (FFCGI_LIMIT_SLOW_MS 50) */

    char *json = ask_uri(app, "/status", "json");
    expect_has(json, "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{\"pid\":");
    expect_has(json, "\"processes\":1,");
    expect_has(json, "\"busy_workers\":2,\"idle_workers\":1,"); /* the page's own worker is busy */
    expect_has(json, "\"state\":\"busy\",\"requests\":0,\"age_ms\":");
    expect_has(json, "\"method\":\"GET\",\"target\":\"/slow/\\u0022x\\u0022\\u0001\\u00C3\\u00A9\"");
    expect_has(json, "\"target\":\"/status\"");
    expect_has(json, "\"listen_queue\":0,\"listen_queue_max\":16,");
    int oldest_ms = -1; /* the /slow request's: the page's own is younger */
    for (const char *age = json; (age = strstr(age, "\"age_ms\":")); age += 9)
        oldest_ms = atoi(age + 9) > oldest_ms ? atoi(age + 9) : oldest_ms;
    CHECK(oldest_ms >= 50);
    free(json);

    pthread_mutex_lock(&st->lock);
    st->release_slow = 1;
    pthread_cond_broadcast(&st->changed);
    pthread_mutex_unlock(&st->lock);
    pthread_join(slow, NULL);
}

static void counts(struct harness_app *app, struct app_state *st)
{
    free(ask_uri(app, "/fine", ""));
    free(ask_uri(app, "/sleepy", "")); /* slow: 120 ms > FFCGI_LIMIT_SLOW_MS 50 */
    fcc_param big[] = {fcc_str_param("REQUEST_URI", "/big"),
                       fcc_str_param("CONTENT_LENGTH", "5000")};
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = big, .n_params = 2};
    fcc_response resp;
    harness_ask(app, &r, &resp); /* 413 from the library */
    fcc_response_free(&resp);
    int fd = harness_connect(app);
    unsigned char bad[8] = {9, 1, 0, 1, 0, 0, 0, 0}; /* version 9 */
    CHECK_OK(fcc_write_all(fd, bad, sizeof bad));
    char byte;
    CHECK(recv(fd, &byte, 1, 0) == 0);
    close(fd);

    /* a request is counted just after its answer went out: wait for it */
    wait_for(app->srv, "\"requests\":5,");
    wait_for(app->srv, "\"slow_requests\":2,");
    char *text = ask_uri(app, "/status", "");
    expect_has(text, "Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\r\npid:");
    /* /slow, /status?json, /fine, /sleepy and the 413 so far */
    expect_has(text, "\nrequests:             5\n");
    expect_has(text, "\nlimit refusals:       1\n");
    expect_has(text, "\nprotocol errors:      1\n");
    expect_has(text, "\nslow requests:        2\n"); /* /slow and /sleepy */
    expect_has(text, "\naccepted connections: 7\n"); /* this one included */
    expect_has(text, "busy workers:         1\nidle workers:         2\n");
    expect_has(text, "\npid      worker state   requests     age ms  request\n");
    expect_has(text, " busy  ");
    expect_has(text, " GET /status\n");
    free(text);
    pthread_mutex_lock(&st->lock);
    CHECK_INT(st->app_calls, 3); /* /slow, /fine, /sleepy: never a status request */
    pthread_mutex_unlock(&st->lock);
}

static void script_name_and_path_info_match_too(struct harness_app *app)
{
    fcc_param params[] = {fcc_str_param("SCRIPT_NAME", "/sta"),
                          fcc_str_param("PATH_INFO", "tus"),
                          fcc_str_param("QUERY_STRING", "a=1&format=json")};
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = params, .n_params = 3};
    fcc_response resp;
    harness_ask(app, &r, &resp);
    char *text = harness_stdout_text(&resp);
    expect_has(text, "Content-Type: application/json");
    free(text);
    fcc_response_free(&resp);
    char *other = ask_uri(app, "/status/more", "json");
    expect_has(other, "\r\n\r\napp");
    free(other);
}

static void tcp_listen_queue(void)
{
    ffcgi_server *srv;
    CHECK_OK(ffcgi_server_open(&srv, "127.0.0.1:0", 8, -1));
    char page[4096];
    CHECK(ffcgi_server_status(srv, FFCGI_STATUS_JSON, page, sizeof page) > 0);
    expect_has(page, "\"listen_queue\":0,\"listen_queue_max\":8,");
    ffcgi_server_free(srv);
}

int main(void)
{
    struct app_state st = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    struct harness_app app;
    ffcgi_server *srv = harness_open(&app, BACKLOG);
    paths_are_checked(srv);
    CHECK_OK(ffcgi_server_set_limit(srv, FFCGI_LIMIT_BODY_BYTES, 1000));
    CHECK_OK(ffcgi_server_set_limit(srv, FFCGI_LIMIT_SLOW_MS, 50));
    CHECK_INT(ffcgi_server_limit(srv, FFCGI_LIMIT_SLOW_MS), 50);
    harness_serve(&app, answer, &st, 3);

    busy_and_idle_workers(&app, &st);
    counts(&app, &st);
    script_name_and_path_info_match_too(&app);
    CHECK_INT(ffcgi_server_status_path(srv, "/other"), FFCGI_ESTATE);

    harness_stop(&app);
    tcp_listen_queue();
    puts("ok");
    return 0;
}
