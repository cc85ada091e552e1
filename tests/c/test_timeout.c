/* test_timeout.c — FFCGI_LIMIT_REQUEST_MS: a request running longer is
 * answered "504 Gateway Timeout" by the library while the app is still in
 * it (the app's later output is dropped), or, when its answer had begun,
 * cut off (the connection closes without FCGI_END_REQUEST); the error log
 * names the request; the server retires (FFCGI_RETIRED_TIMEOUT) and
 * ffcgi_server_in_flight() stops counting the timed-out request; the
 * access log records the 504. A process left with nothing but a stuck
 * request for 2 s is ended by the library with exit status 75. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "log_text.h"

#define LIMIT_MS 200
#define STUCK_US (1000 * 1000) /* past the limit; back within the 2 s grace */
#define STUCK_FOR_GOOD_US (30 * 1000 * 1000)

/* ctx: NULL, or the microseconds to stay stuck */
static void stuck(ffcgi_request *req, void *ctx)
{
    const char *uri = ffcgi_env_get(req, "REQUEST_URI");
    if (uri && strcmp(uri, "/begun") == 0) {
        ffcgi_print(req, "Content-Type: text/plain\r\n\r\npart");
        ffcgi_flush(req);
    }
    usleep(ctx ? *(const useconds_t *)ctx : STUCK_US);
    CHECK_OK(ffcgi_print(req, "late")); /* accepted and dropped */
}

static void start(struct harness_app *app, const char *errors, const char *access,
                  void *stuck_for)
{
    ffcgi_server *srv = harness_open(app, 16);
    CHECK_OK(ffcgi_server_error_log(srv, errors, FFCGI_LOG_WARNING));
    CHECK_OK(ffcgi_server_access_log(srv, access));
    CHECK_OK(ffcgi_server_set_limit(srv, FFCGI_LIMIT_REQUEST_MS, LIMIT_MS));
    CHECK_INT(ffcgi_server_limit(srv, FFCGI_LIMIT_REQUEST_MS), LIMIT_MS);
    harness_serve(app, stuck, stuck_for, 2);
}

static int ask(struct harness_app *app, const char *uri, fcc_response *resp)
{
    fcc_param params[] = {fcc_str_param("REQUEST_METHOD", "GET"),
                          fcc_str_param("REQUEST_URI", uri)};
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = params, .n_params = 2};
    int fd = harness_connect(app);
    fcc_response_init(resp);
    int rc = fcc_roundtrip(fd, &r, resp, HARNESS_TIMEOUT_MS);
    close(fd);
    return rc;
}

static void answered_504(const char *errors, const char *access)
{
    struct harness_app app;
    start(&app, errors, access, NULL);
    fcc_response resp;
    CHECK_OK(ask(&app, "/hang", &resp));
    char *text = harness_stdout_text(&resp);
    CHECK(strncmp(text, "Status: 504 Gateway Timeout\r\n", 29) == 0);
    CHECK(strstr(text, "ran longer than the server allows") != NULL);
    free(text);
    CHECK(resp.got_end);
    fcc_response_free(&resp);
    /* the app is still in the request (it sleeps STUCK_US): the library
     * neither counts it in flight nor hands out new requests */
    CHECK_INT(ffcgi_server_retired(app.srv), FFCGI_RETIRED_TIMEOUT); /* before the answer */
    for (int i = 0; i < 1000 && ffcgi_server_in_flight(app.srv) != 0; i++)
        usleep(1000); /* out of flight just after the answer */
    CHECK_INT(ffcgi_server_in_flight(app.srv), 0);
    char *log = log_slurp_until(errors, "FFCGI_LIMIT_REQUEST_MS");
    log_expect_line(strstr(log, "error: "),
                    "^error: \"GET /hang\" from - via unix peer pid [0-9]+: running [0-9]+ ms, "
                    "past FFCGI_LIMIT_REQUEST_MS \\(200\\): answered 504, connection closed; the "
                    "server retires so that its process is replaced\n");
    free(log);
    harness_stop(&app); /* waits for the stuck thread to come back */
    char *lines = log_slurp_lines(access, 1);
    CHECK(strstr(lines, "\"GET /hang\" 504 ") != NULL);
    free(lines);
}

static void cut_off(const char *errors, const char *access)
{
    struct harness_app app;
    start(&app, errors, access, NULL);
    fcc_response resp;
    CHECK(ask(&app, "/begun", &resp) != 0); /* closed without FCGI_END_REQUEST */
    char *text = harness_stdout_text(&resp);
    CHECK(strstr(text, "part") != NULL && strstr(text, "late") == NULL);
    free(text);
    fcc_response_free(&resp);
    char *log = log_slurp_until(errors, "cut off");
    CHECK(strstr(log, "\"GET /begun\"") && strstr(log, "its answer had begun, cut off"));
    free(log);
    harness_stop(&app);
}

/* A child process serves; its handler stays stuck for good: after the
 * 504, the library ends the child with exit status 75. */
static void stuck_process_ended(const char *errors, const char *access)
{
    static useconds_t for_good = STUCK_FOR_GOOD_US;
    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        struct harness_app app;
        start(&app, errors, access, &for_good);
        CHECK(write(ready[1], app.address, sizeof app.address) == (ssize_t)sizeof app.address);
        pause(); /* the library ends the process */
        _exit(1);
    }
    struct harness_app app = {0};
    CHECK(read(ready[0], app.address, sizeof app.address) == (ssize_t)sizeof app.address);
    close(ready[0]);
    close(ready[1]);
    fcc_response resp;
    CHECK_OK(ask(&app, "/forever", &resp));
    CHECK(resp.got_end);
    fcc_response_free(&resp);
    int status = 0;
    pid_t ended = 0;
    for (int i = 0; i < 100 && ended == 0; i++) { /* 2 s of grace, 10 s at most */
        usleep(100 * 1000);
        ended = waitpid(child, &status, WNOHANG);
    }
    if (ended == 0) {
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
    }
    CHECK(ended == child);
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), FFCGI_RETIRED_EXIT_STATUS);
    char *log = log_slurp_until(errors, "ending the process");
    CHECK(strstr(log, "error: ending the process (exit status 75): 1 thread(s) stuck in "
                      "timed-out requests and nothing else in flight for 2000 ms") != NULL);
    free(log);
    CHECK(unlink(app.address) != 0); /* the child's socket file went with it */
    *strrchr(app.address, '/') = '\0';
    rmdir(app.address);
}

int main(void)
{
    CHECK_INT(ffcgi_server_in_flight(NULL), FFCGI_EINVAL);
    char errors[] = "/tmp/ffcgi-timeout-errors-XXXXXX", access[] = "/tmp/ffcgi-timeout-access-XXXXXX";
    int fd = mkstemp(errors);
    CHECK(fd >= 0);
    close(fd);
    CHECK((fd = mkstemp(access)) >= 0);
    close(fd);
    answered_504(errors, access);
    cut_off(errors, access);
    stuck_process_ended(errors, access);
    unlink(errors);
    unlink(access);
    puts("ok");
    return 0;
}
