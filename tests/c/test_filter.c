/* test_filter.c — the FILTER role: the body (FCGI_STDIN) and then the file
 * to filter (FCGI_DATA) are both readable, binary-safe; FCGI_DATA before
 * the body's end is refused, and outside FILTER it does not exist. */
#include <string.h>

#include "check.h"
#include "harness.h"

static size_t read_all(ffcgi_request *req, int data, unsigned char *out, size_t cap)
{
    size_t total = 0, n;
    do {
        size_t room = cap - total < 333 ? cap - total : 333;
        CHECK_OK(data ? ffcgi_read_data(req, out + total, room, &n)
                      : ffcgi_read(req, out + total, room, &n));
        total += n;
    } while (n > 0 && total < cap);
    return total;
}

static void filter(ffcgi_request *req, void *ctx)
{
    (void)ctx;
    static unsigned char body[100000], data[100000];
    size_t n;
    if (ffcgi_request_role(req) != FFCGI_ROLE_FILTER) {
        CHECK_INT(ffcgi_read_data(req, data, sizeof data, &n), FFCGI_EROLE);
        CHECK_OK(ffcgi_print(req, "not a filter"));
        return;
    }
    CHECK_OK(ffcgi_read(req, body, 1, &n));
    CHECK_INT(ffcgi_read_data(req, data, sizeof data, &n), FFCGI_ESTATE);
    size_t body_len = 1 + read_all(req, 0, body + 1, sizeof body - 1);
    size_t data_len = read_all(req, 1, data, sizeof data);
    CHECK_INT(ffcgi_read(req, body, sizeof body, &n), FFCGI_ESTATE);
    CHECK_OK(ffcgi_write(req, body, body_len));
    CHECK_OK(ffcgi_print(req, "|"));
    CHECK_OK(ffcgi_write(req, data, data_len));
}

int main(void)
{
    struct harness_app app;
    harness_start(&app, filter, NULL, 1);
    unsigned char *body = harness_pattern(5000, 1), *data = harness_pattern(70000, 2);
    fcc_request r = {.id = 1, .role = FCC_FILTER, .stdin_data = body, .stdin_len = 5000,
                     .data = data, .data_len = 70000, .stdin_chunk = 4001};
    fcc_response resp;
    harness_ask(&app, &r, &resp);
    CHECK_INT(resp.out.len, 5000 + 1 + 70000);
    CHECK(memcmp(resp.out.data, body, 5000) == 0);
    CHECK(resp.out.data[5000] == '|');
    CHECK(memcmp(resp.out.data + 5001, data, 70000) == 0);
    fcc_response_free(&resp);

    fcc_request responder = {.id = 1, .role = FCC_RESPONDER};
    harness_expect_stdout(&app, &responder, "not a filter");
    free(body);
    free(data);
    harness_stop(&app);
    puts("ok");
    return 0;
}
