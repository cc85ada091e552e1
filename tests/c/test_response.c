/* test_response.c — the response head and streams: status with reason,
 * headers in call order, repeated Set-Cookie, response splitting refused
 * (CR, LF, NUL, bad names) without disturbing the response, no headers
 * after the body began, raw CGI output passed through untouched, a
 * head-only response sent at finish, FCGI_STDERR and the exit status. */
#include <string.h>

#include "check.h"
#include "harness.h"

static void respond(ffcgi_request *req, void *ctx)
{
    (void)ctx;
    const char *mode = ffcgi_env_get(req, "MODE");
    CHECK(mode != NULL);
    if (strcmp(mode, "headers") == 0) {
        CHECK_INT(ffcgi_status(req, 99), FFCGI_EINVAL);
        CHECK_INT(ffcgi_status(req, 1000), FFCGI_EINVAL);
        CHECK_OK(ffcgi_status(req, 404));
        CHECK_OK(ffcgi_header(req, "Content-Type", "text/plain"));
        CHECK_OK(ffcgi_header(req, "Set-Cookie", "a=1"));
        CHECK_OK(ffcgi_header(req, "Set-Cookie", "b=2; Path=/"));
        CHECK_INT(ffcgi_header(req, "X-Evil", "x\r\nSet-Cookie: evil=1"), FFCGI_EHEADER);
        CHECK_CONTAINS(ffcgi_last_error(), "response splitting");
        CHECK_INT(ffcgi_header(req, "X-Evil", "x\nLocation: /"), FFCGI_EHEADER);
        CHECK_INT(ffcgi_header_n(req, "X-Evil", 6, "a\0b", 3), FFCGI_EHEADER);
        CHECK_CONTAINS(ffcgi_last_error(), "NUL");
        CHECK_INT(ffcgi_header_n(req, "X-E\0vil", 7, "v", 1), FFCGI_EHEADER);
        CHECK_INT(ffcgi_header(req, "X-Evil\r\nInjected", "v"), FFCGI_EHEADER);
        CHECK_INT(ffcgi_header(req, "Bad Name", "v"), FFCGI_EHEADER);
        CHECK_CONTAINS(ffcgi_last_error(), "header name 'Bad Name' contains a character not "
                                           "allowed (byte 0x20 at 3)");
        CHECK_INT(ffcgi_header_n(req, "X-E\0vil", 7, "v", 1), FFCGI_EHEADER);
        CHECK_CONTAINS(ffcgi_last_error(), "header name 'X-E\\x00vil' contains NUL");
        CHECK_INT(ffcgi_header(req, "Bad:Name", "v"), FFCGI_EHEADER);
        CHECK_INT(ffcgi_header(req, "", "v"), FFCGI_EHEADER);
        CHECK_OK(ffcgi_header_n(req, "X-Tab", 5, "a\tb", 3));
        CHECK_OK(ffcgi_print(req, "body"));
        CHECK_INT(ffcgi_header(req, "X-Late", "1"), FFCGI_ESTATE);
        CHECK_INT(ffcgi_status(req, 500), FFCGI_ESTATE);
        CHECK_OK(ffcgi_write(req, "\0bin\xFF", 5));
    } else if (strcmp(mode, "raw") == 0) {
        CHECK_OK(ffcgi_print(req, "Status: 201 Made\nContent-Type: x/y\n\nraw"));
    } else if (strcmp(mode, "head-only") == 0) {
        CHECK_INT(ffcgi_status_reason(req, 418, "Tea\r\nX-Evil: 1"), FFCGI_EHEADER);
        CHECK_OK(ffcgi_status_reason(req, 418, "I'm a teapot"));
        CHECK_OK(ffcgi_status(req, 204));
    } else if (strcmp(mode, "headers-only") == 0) {
        CHECK_OK(ffcgi_header(req, "Content-Type", "text/plain"));
        CHECK_OK(ffcgi_print(req, "no status set"));
    } else if (strcmp(mode, "reason") == 0) {
        CHECK_OK(ffcgi_status_reason(req, 299, "Custom Thing"));
    } else if (strcmp(mode, "stderr") == 0) {
        CHECK_OK(ffcgi_header(req, "Content-Type", "text/plain"));
        CHECK_OK(ffcgi_write_stderr(req, "warn\0ing\n", 9));
        CHECK_OK(ffcgi_flush(req));
        CHECK_OK(ffcgi_print(req, "done"));
        CHECK_OK(ffcgi_set_exit_status(req, 42));
    }
}

int main(void)
{
    struct harness_app app;
    fcc_response resp;
    harness_start(&app, respond, NULL, 1);

    static const char headers[] =
        "Status: 404 Not Found\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\n"
        "Set-Cookie: b=2; Path=/\r\nX-Tab: a\tb\r\n\r\nbody\0bin\xFF";
    harness_ask_mode(&app, "headers", &resp);
    harness_expect_bytes(&resp, headers, sizeof headers - 1);
    fcc_response_free(&resp);

    static const char raw[] = "Status: 201 Made\nContent-Type: x/y\n\nraw";
    harness_ask_mode(&app, "raw", &resp);
    harness_expect_bytes(&resp, raw, sizeof raw - 1);
    fcc_response_free(&resp);

    static const char head_only[] = "Status: 204 No Content\r\n\r\n";
    harness_ask_mode(&app, "head-only", &resp);
    harness_expect_bytes(&resp, head_only, sizeof head_only - 1);
    fcc_response_free(&resp);

    /* headers without a status: no Status line (the web server says 200) */
    static const char headers_only[] = "Content-Type: text/plain\r\n\r\nno status set";
    harness_ask_mode(&app, "headers-only", &resp);
    harness_expect_bytes(&resp, headers_only, sizeof headers_only - 1);
    fcc_response_free(&resp);

    static const char reason[] = "Status: 299 Custom Thing\r\n\r\n";
    harness_ask_mode(&app, "reason", &resp);
    harness_expect_bytes(&resp, reason, sizeof reason - 1);
    fcc_response_free(&resp);

    static const char done[] = "Content-Type: text/plain\r\n\r\ndone";
    harness_ask_mode(&app, "stderr", &resp);
    harness_expect_bytes(&resp, done, sizeof done - 1);
    CHECK_INT(resp.err.len, 9);
    CHECK(memcmp(resp.err.data, "warn\0ing\n", 9) == 0);
    CHECK_INT(resp.app_status, 42);
    fcc_response_free(&resp);

    /* the exit status is per request: the next one is back to 0 */
    harness_ask_mode(&app, "raw", &resp);
    CHECK_INT(resp.app_status, 0);
    fcc_response_free(&resp);

    harness_stop(&app);
    puts("ok");
    return 0;
}
