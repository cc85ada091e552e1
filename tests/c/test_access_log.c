/* test_access_log.c — ffcgi_server_access_log(): one Combined Log Format
 * line (plus microseconds) per request, for answers set through the API,
 * raw CGI output and answers the library gives itself (413); quotes and
 * control bytes escaped; no line lost or torn with 4 threads; the log is
 * fixed once serving began; ffcgi_server_reopen_logs() moves to a new file
 * after a rename (log rotation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "log_text.h"

#define THREADS 4
#define REQUESTS_PER_CLIENT 200

static void answer(ffcgi_request *req, void *ctx)
{
    (void)ctx;
    const char *query = ffcgi_env_get(req, "QUERY_STRING");
    if (query && strcmp(query, "raw") == 0) {
        ffcgi_print(req, "Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope");
        return;
    }
    ffcgi_status(req, 201);
    ffcgi_header(req, "Content-Type", "text/plain");
    ffcgi_print(req, "hello");
}

static void ask(struct harness_app *app, const fcc_param *params, size_t n, const char *body)
{
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = params, .n_params = n,
                     .stdin_data = body, .stdin_len = body ? strlen(body) : 0};
    fcc_response resp;
    harness_ask(app, &r, &resp);
    fcc_response_free(&resp);
}

#define STAMP "\\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\\]"

static void one_line_per_request(struct harness_app *app, const char *path)
{
    fcc_param get[] = {fcc_str_param("REMOTE_ADDR", "192.0.2.7"),
                       fcc_str_param("REQUEST_METHOD", "GET"),
                       fcc_str_param("REQUEST_URI", "/a b?x=\"1\""),
                       fcc_str_param("SERVER_PROTOCOL", "HTTP/1.1"),
                       fcc_str_param("HTTP_REFERER", "http://example.org/"),
                       fcc_str_param("HTTP_USER_AGENT", "agent\x01\\")};
    ask(app, get, 6, NULL);
    free(log_slurp_lines(path, 1)); /* in order: each line is there before the next request */
    fcc_param raw[] = {fcc_str_param("REQUEST_METHOD", "GET"),
                       fcc_str_param("SCRIPT_NAME", "/app"), fcc_str_param("PATH_INFO", "/p"),
                       fcc_str_param("QUERY_STRING", "raw")};
    ask(app, raw, 4, NULL);
    free(log_slurp_lines(path, 2));
    fcc_param big[] = {fcc_str_param("REQUEST_METHOD", "POST"),
                       fcc_str_param("REQUEST_URI", "/upload"),
                       fcc_str_param("CONTENT_LENGTH", "2000")};
    ask(app, big, 3, "not all of it");

    char *text = log_slurp_lines(path, 3);
    CHECK_INT(log_count_lines(text), 3);
    char *second = strchr(text, '\n') + 1, *third = strchr(second, '\n') + 1;
    second[-1] = third[-1] = '\0';
    *strchr(third, '\n') = '\0';
    log_expect_line(text, "^192\\.0\\.2\\.7 - - " STAMP " \"GET /a b\\?x=\\\\x221\\\\x22 HTTP/1\\.1\" "
                      "201 5 \"http://example\\.org/\" \"agent\\\\x01\\\\x5C\" [0-9]+$");
    log_expect_line(second, "^- - - " STAMP " \"GET /app/p\\?raw\" 404 [0-9]+ \"-\" \"-\" [0-9]+$");
    log_expect_line(third, "^- - - " STAMP " \"POST /upload\" 413 22 \"-\" \"-\" [0-9]+$");
    free(text);
}

struct client_args {
    struct harness_app *app;
    int failures;
};

static void *client(void *arg)
{
    struct client_args *a = arg;
    fcc_param params[] = {fcc_str_param("REQUEST_METHOD", "GET"),
                          fcc_str_param("REQUEST_URI", "/many")};
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .keep_conn = 1, .params = params,
                     .n_params = 2};
    int fd = harness_connect(a->app);
    for (int i = 0; i < REQUESTS_PER_CLIENT; i++) {
        fcc_response resp;
        fcc_response_init(&resp);
        if (fcc_roundtrip(fd, &r, &resp, HARNESS_TIMEOUT_MS) != 0 || !resp.got_end)
            a->failures++;
        fcc_response_free(&resp);
    }
    close(fd);
    return NULL;
}

static void threads_never_tear_lines(struct harness_app *app, const char *path)
{
    CHECK_OK(truncate(path, 0));
    pthread_t threads[THREADS];
    struct client_args args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct client_args){app, 0};
        CHECK_INT(pthread_create(&threads[i], NULL, client, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK_INT(args[i].failures, 0);
    }
    char *text = log_slurp_lines(path, THREADS * REQUESTS_PER_CLIENT);
    CHECK_INT(log_count_lines(text), THREADS * REQUESTS_PER_CLIENT);
    for (char *line = text, *end; (end = strchr(line, '\n')); line = end + 1) {
        *end = '\0';
        log_expect_line(line, "^- - - " STAMP " \"GET /many\" 201 5 \"-\" \"-\" [0-9]+$");
    }
    free(text);
}

static void reopen_after_rename(struct harness_app *app, const char *path)
{
    char rotated[256];
    snprintf(rotated, sizeof rotated, "%s.1", path);
    CHECK_OK(rename(path, rotated));
    CHECK_OK(ffcgi_server_reopen_logs(app->srv));
    fcc_param params[] = {fcc_str_param("REQUEST_URI", "/after")};
    ask(app, params, 1, NULL);
    char *text = log_slurp_lines(path, 1);
    CHECK(strstr(text, "/after") != NULL && log_count_lines(text) == 1);
    free(text);
    text = log_slurp(rotated);
    CHECK(strstr(text, "/after") == NULL);
    free(text);
    unlink(rotated);
}

int main(void)
{
    char path[] = "/tmp/ffcgi-access-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);

    CHECK_INT(ffcgi_server_access_log(NULL, path), FFCGI_EINVAL);
    struct harness_app app;
    ffcgi_server *srv = harness_open(&app, 16);
    CHECK_INT(ffcgi_server_access_log(srv, "/nonexistent-dir/access.log"), FFCGI_EFILE);
    CHECK(strstr(ffcgi_last_error(), "/nonexistent-dir/access.log") != NULL);
    CHECK_OK(ffcgi_server_access_log(srv, path));
    CHECK_OK(ffcgi_server_set_limit(srv, FFCGI_LIMIT_BODY_BYTES, 1000));
    harness_serve(&app, answer, NULL, THREADS);

    one_line_per_request(&app, path);
    CHECK_INT(ffcgi_server_access_log(srv, path), FFCGI_ESTATE); /* serving: fixed */
    threads_never_tear_lines(&app, path);
    reopen_after_rename(&app, path);

    harness_stop(&app);
    unlink(path);
    puts("ok");
    return 0;
}
