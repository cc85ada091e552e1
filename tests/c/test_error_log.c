/* test_error_log.c — ffcgi_server_error_log() and ffcgi_server_log():
 * the line format and the level threshold; a warning with the peer for a
 * refused peer, a protocol error, params over the limits, a body over the
 * limit and a web server that went away mid-body; ffcgi_request_log() lines
 * naming the request; nothing below the level;
 * arguments checked; the log fixed once serving began; reopened after a
 * rename. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "log_text.h"

#define PREFIX "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}[+-][0-9]{4} " \
               "test_error_log\\[[0-9]+\\]: "

/* Reads the whole body, then answers. */
static void read_then_answer(ffcgi_request *req, void *ctx)
{
    (void)ctx;
    char buf[4096];
    size_t n;
    while (ffcgi_read(req, buf, sizeof buf, &n) == 0 && n > 0)
        ;
    const char *uri = ffcgi_env_get(req, "REQUEST_URI");
    if (uri && strcmp(uri, "/logged") == 0) {
        CHECK_OK(ffcgi_request_log(req, FFCGI_LOG_WARNING, "said by the app"));
        CHECK_OK(ffcgi_request_log(req, FFCGI_LOG_DEBUG, "below the level"));
        CHECK_INT(ffcgi_request_log(req, 9, "x"), FFCGI_EINVAL);
    }
    ffcgi_print(req, "Content-Type: text/plain\r\n\r\nok");
}

/* The line of the log that contains `needle` (malloc'd), waiting for it. */
static char *line_with(const char *path, const char *needle)
{
    char *text = log_slurp_until(path, needle);
    char *at = strstr(text, needle);
    if (!at) {
        fprintf(stderr, "log:\n%s\nmissing: %s\n", text, needle);
        CHECK(!"the log has the line");
    }
    while (at > text && at[-1] != '\n')
        at--;
    char *line = strndup(at, strcspn(at, "\n"));
    free(text);
    return line;
}

static void expect(const char *path, const char *needle, const char *pattern)
{
    char *line = line_with(path, needle);
    log_expect_line(line, pattern);
    free(line);
}

static void send_raw(struct harness_app *app, const fcc_buf *b, int then_close)
{
    int fd = harness_connect(app);
    CHECK_OK(fcc_write_all(fd, b->data, b->len));
    if (then_close) {
        close(fd);
        return;
    }
    char byte;
    CHECK(recv(fd, &byte, 1, 0) >= 0); /* answered or closed */
    close(fd);
}

static void format_and_levels(ffcgi_server *srv, const char *path)
{
    CHECK_OK(ffcgi_server_log(srv, FFCGI_LOG_INFO, "below the level"));
    CHECK_OK(ffcgi_server_log(srv, FFCGI_LOG_WARNING, "first\nsecond\x01 line\n"));
    CHECK_OK(ffcgi_server_log(srv, FFCGI_LOG_ERROR, "an error"));
    char *text = log_slurp(path);
    CHECK(strstr(text, "below the level") == NULL);
    CHECK_INT(log_count_lines(text), 3);
    char *second = strchr(text, '\n') + 1, *third = strchr(second, '\n') + 1;
    second[-1] = third[-1] = '\0';
    *strchr(third, '\n') = '\0';
    log_expect_line(text, PREFIX "warning: first$");
    log_expect_line(second, "^  second\\? line$");
    log_expect_line(third, PREFIX "error: an error$");
    free(text);
    CHECK_INT(ffcgi_server_log(srv, 0, "x"), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_log(srv, 5, "x"), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_log(srv, FFCGI_LOG_ERROR, NULL), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_log(NULL, FFCGI_LOG_ERROR, "x"), FFCGI_EINVAL);
}

static void put_head(fcc_buf *b, const fcc_param *params, size_t n)
{
    unsigned char begin[8] = {0, FCC_RESPONDER, 0};
    fcc_put_record(b, FCC_BEGIN_REQUEST, 1, begin, sizeof begin, 0);
    fcc_buf encoded = FCC_BUF_INIT;
    CHECK_OK(fcc_encode_params(&encoded, params, n));
    fcc_put_record(b, FCC_PARAMS, 1, encoded.data, encoded.len, 0);
    fcc_put_record(b, FCC_PARAMS, 1, NULL, 0, 0);
    fcc_buf_free(&encoded);
}

static void request_warnings(struct harness_app *app, const char *path)
{
    char peer[64];
    snprintf(peer, sizeof peer, "via unix peer pid %ld: ", (long)getpid());

    fcc_param big[] = {fcc_str_param("REQUEST_METHOD", "POST"),
                       fcc_str_param("REQUEST_URI", "/upload"),
                       fcc_str_param("REMOTE_ADDR", "192.0.2.7"),
                       fcc_str_param("CONTENT_LENGTH", "2000")};
    fcc_buf b = FCC_BUF_INIT;
    put_head(&b, big, 4);
    fcc_put_record(&b, FCC_STDIN, 1, NULL, 0, 0);
    send_raw(app, &b, 0);
    fcc_buf_free(&b);
    expect(path, "CONTENT_LENGTH 2000",
           PREFIX "warning: \"POST /upload\" from 192\\.0\\.2\\.7 via unix peer pid [0-9]+: "
                  "CONTENT_LENGTH 2000 is over FFCGI_LIMIT_BODY_BYTES \\(1000\\): answered 413, "
                  "the app was not called$");

    fcc_param gone[] = {fcc_str_param("REQUEST_METHOD", "PUT"),
                        fcc_str_param("REQUEST_URI", "/gone")};
    put_head(&b, gone, 2);
    fcc_put_record(&b, FCC_STDIN, 1, "part of it", 10, 0);
    send_raw(app, &b, 1);
    fcc_buf_free(&b);
    expect(path, "/gone", PREFIX "warning: \"PUT /gone\" from - via unix peer pid [0-9]+: "
                                 "the web server closed the connection .*$");
    char *line = line_with(path, "/gone");
    CHECK(strstr(line, peer) != NULL);
    free(line);

    unsigned char bad[8] = {2, FCC_BEGIN_REQUEST, 0, 1, 0, 0, 0, 0};
    fcc_buf_append(&b, bad, sizeof bad);
    send_raw(app, &b, 0);
    fcc_buf_free(&b);
    expect(path, "version is not 1",
           PREFIX "warning: connection from unix peer pid [0-9]+: protocol error: a record "
                  "whose version is not 1; connection closed$");

    char long_value[2048];
    memset(long_value, 'v', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    fcc_param huge[] = {fcc_str_param("HTTP_X_BIG", long_value)};
    put_head(&b, huge, 1);
    send_raw(app, &b, 0);
    fcc_buf_free(&b);
    expect(path, "(431)", PREFIX "warning: connection from unix peer pid [0-9]+: params over "
                                 "FFCGI_LIMIT_PARAM_BYTES or FFCGI_LIMIT_PARAMS: request "
                                 "refused \\(431\\)$");
}

static void app_lines(struct harness_app *app, const char *path)
{
    fcc_param params[] = {fcc_str_param("REQUEST_METHOD", "GET"),
                          fcc_str_param("REQUEST_URI", "/logged"),
                          fcc_str_param("REMOTE_ADDR", "198.51.100.1")};
    fcc_buf b = FCC_BUF_INIT;
    put_head(&b, params, 3);
    fcc_put_record(&b, FCC_STDIN, 1, NULL, 0, 0);
    send_raw(app, &b, 0);
    fcc_buf_free(&b);
    expect(path, "said by the app",
           PREFIX "warning: \"GET /logged\" from 198\\.51\\.100\\.1 via unix peer pid "
                  "[0-9]+: said by the app$");
    char *text = log_slurp(path);
    CHECK(strstr(text, "below the level") == NULL);
    free(text);

    ffcgi_request *idle;
    CHECK_OK(ffcgi_request_new(&idle, app->srv));
    CHECK_INT(ffcgi_request_log(idle, FFCGI_LOG_ERROR, "x"), FFCGI_ESTATE);
    CHECK_INT(ffcgi_request_log(NULL, FFCGI_LOG_ERROR, "x"), FFCGI_EINVAL);
    ffcgi_request_free(idle);
}

static void refused_peer(const char *path)
{
    ffcgi_server *srv;
    CHECK_OK(ffcgi_server_open(&srv, "127.0.0.1:0", 0, -1));
    CHECK_OK(ffcgi_server_error_log(srv, path, FFCGI_LOG_WARNING));
    CHECK_OK(ffcgi_server_allow(srv, "10.0.0.0/8"));
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    CHECK(getsockname(ffcgi_server_fd(srv), (struct sockaddr *)&sin, &len) == 0);
    char address[64];
    snprintf(address, sizeof address, "127.0.0.1:%d", ntohs(sin.sin_port));
    struct harness_app app = {0};
    harness_start_on(&app, srv, address, read_then_answer, NULL, 1);
    int fd = harness_connect(&app);
    char byte;
    CHECK(recv(fd, &byte, 1, 0) == 0); /* closed at once */
    close(fd);
    expect(path, "allow-list", PREFIX "warning: connection from 127\\.0\\.0\\.1:[0-9]+ "
                                      "refused: not in the allow-list$");
    harness_stop(&app);
}

static void reopen_after_rename(struct harness_app *app, const char *path)
{
    char rotated[256];
    snprintf(rotated, sizeof rotated, "%s.1", path);
    CHECK_OK(rename(path, rotated));
    CHECK_OK(ffcgi_server_reopen_logs(app->srv));
    CHECK_OK(ffcgi_server_log(app->srv, FFCGI_LOG_WARNING, "after the rotation"));
    char *text = log_slurp(path);
    CHECK(strstr(text, "after the rotation") != NULL && log_count_lines(text) == 1);
    free(text);
    text = log_slurp(rotated);
    CHECK(strstr(text, "after the rotation") == NULL);
    free(text);
    unlink(rotated);
}

int main(void)
{
    char path[] = "/tmp/ffcgi-errors-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);

    CHECK_INT(ffcgi_server_error_log(NULL, path, FFCGI_LOG_WARNING), FFCGI_EINVAL);
    struct harness_app app;
    ffcgi_server *srv = harness_open(&app, 16);
    CHECK_INT(ffcgi_server_error_log(srv, path, 5), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_error_log(srv, path, -1), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_error_log(srv, "/nonexistent-dir/errors.log", FFCGI_LOG_WARNING),
              FFCGI_EFILE);
    CHECK(strstr(ffcgi_last_error(), "/nonexistent-dir/errors.log") != NULL);
    CHECK_OK(ffcgi_server_log(srv, FFCGI_LOG_ERROR, "no log yet: dropped"));
    CHECK_OK(ffcgi_server_error_log(srv, path, FFCGI_LOG_WARNING));
    CHECK_OK(ffcgi_server_set_limit(srv, FFCGI_LIMIT_BODY_BYTES, 1000));
    CHECK_OK(ffcgi_server_set_limit(srv, FFCGI_LIMIT_PARAM_BYTES, 1024));
    format_and_levels(srv, path);

    harness_serve(&app, read_then_answer, NULL, 2);
    request_warnings(&app, path);
    app_lines(&app, path);
    CHECK_INT(ffcgi_server_error_log(srv, path, FFCGI_LOG_DEBUG), FFCGI_ESTATE);
    char *text = log_slurp(path);
    CHECK(strstr(text, "no log yet") == NULL);
    free(text);
    reopen_after_rename(&app, path);
    harness_stop(&app);

    CHECK_OK(truncate(path, 0));
    refused_peer(path);
    unlink(path);
    puts("ok");
    return 0;
}
