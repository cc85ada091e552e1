/* test_recycle.c — recycling limits: FFCGI_LIMIT_MAX_REQUESTS retires the
 * server after that many requests plus at most 10 % (jitter), and
 * FFCGI_LIMIT_MAX_RSS_BYTES once resident memory passes it; a retired
 * server hands out no new request (every accept returns FFCGI_ESHUTDOWN),
 * ffcgi_server_retired() says why and the error log says so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "log_text.h"

static void hello(ffcgi_request *req, void *ctx)
{
    (void)ctx;
    ffcgi_print(req, "Content-Type: text/plain\r\n\r\nhi");
}

/* Opens a server with `limit` set to `value`, logging to `log`. */
static void start(struct harness_app *app, int limit, int64_t value, const char *log)
{
    ffcgi_server *srv = harness_open(app, 16);
    CHECK_OK(ffcgi_server_error_log(srv, log, FFCGI_LOG_INFO));
    CHECK_OK(ffcgi_server_set_limit(srv, limit, value));
    CHECK_INT(ffcgi_server_limit(srv, limit), value);
    harness_serve(app, hello, NULL, 2);
}

/* Requests, one connection each, until the server retired; the count. */
static int requests_until_retired(struct harness_app *app, int most)
{
    fcc_request r = {.id = 1, .role = FCC_RESPONDER};
    int served = 0;
    while (served < most && ffcgi_server_retired(app->srv) == FFCGI_RETIRED_NOT) {
        harness_expect_stdout(app, &r, "Content-Type: text/plain\r\n\r\nhi");
        served++;
        /* the count is taken just after the answer went out */
        for (int i = 0; i < 100 && ffcgi_server_retired(app->srv) == FFCGI_RETIRED_NOT; i++)
            usleep(1000);
    }
    return served;
}

static void max_requests(const char *log)
{
    struct harness_app app;
    start(&app, FFCGI_LIMIT_MAX_REQUESTS, 40, log);
    CHECK_INT(ffcgi_server_retired(app.srv), FFCGI_RETIRED_NOT);
    int served = requests_until_retired(&app, 100);
    CHECK(served >= 40 && served <= 44);
    CHECK_INT(ffcgi_server_retired(app.srv), FFCGI_RETIRED_MAX_REQUESTS);
    char *text = log_slurp_until(log, "retiring");
    CHECK(strstr(text, "info: retiring: ") != NULL);
    CHECK(strstr(text, "requests served (FFCGI_LIMIT_MAX_REQUESTS 40, with jitter ") != NULL);
    free(text);
    harness_stop(&app); /* every worker's accept ended with FFCGI_ESHUTDOWN */
}

static void max_rss(const char *log)
{
    struct harness_app app;
    start(&app, FFCGI_LIMIT_MAX_RSS_BYTES, 4096, log); /* any process is bigger */
    CHECK_INT(requests_until_retired(&app, 10), 1);
    CHECK_INT(ffcgi_server_retired(app.srv), FFCGI_RETIRED_MAX_RSS);
    char *text = log_slurp_until(log, "FFCGI_LIMIT_MAX_RSS_BYTES");
    CHECK(strstr(text, "bytes is over FFCGI_LIMIT_MAX_RSS_BYTES (4096)") != NULL);
    free(text);
    harness_stop(&app);
}

int main(void)
{
    CHECK_INT(ffcgi_server_retired(NULL), FFCGI_EINVAL);
    char log[] = "/tmp/ffcgi-recycle-log-XXXXXX";
    int fd = mkstemp(log);
    CHECK(fd >= 0);
    close(fd);
    max_requests(log);
    CHECK_OK(truncate(log, 0));
    max_rss(log);
    unlink(log);
    puts("ok");
    return 0;
}
