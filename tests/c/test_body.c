/* test_body.c — request bodies are binary-safe and streamed: every byte
 * value, NULs included, arrives intact and is written back intact, for
 * bodies of 0 B, 1 B, 64 KiB-1, 64 KiB, 64 KiB+1 and 10 MiB sent in stdin
 * records of odd sizes. The app reads through a 1000-byte buffer, so a
 * body is never held whole. */
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

#define HEAD "Content-Type: application/octet-stream\r\n\r\n"

static void echo_body(ffcgi_request *req, void *ctx)
{
    (void)ctx;
    unsigned char buf[1000];
    size_t n;
    CHECK_OK(ffcgi_header(req, "Content-Type", "application/octet-stream"));
    do {
        CHECK_OK(ffcgi_read(req, buf, sizeof buf, &n));
        CHECK_OK(ffcgi_write(req, buf, n));
    } while (n > 0);
    /* after the end, reads keep reporting the end */
    CHECK_OK(ffcgi_read(req, buf, sizeof buf, &n));
    CHECK_INT(n, 0);
}

static void roundtrip(struct harness_app *app, size_t len, size_t chunk)
{
    unsigned char *body = harness_pattern(len, (unsigned)len);
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .stdin_data = body,
                     .stdin_len = len, .stdin_chunk = chunk};
    fcc_response resp;
    harness_ask(app, &r, &resp);
    size_t head = strlen(HEAD);
    CHECK_INT(resp.out.len, head + len);
    CHECK(memcmp(resp.out.data, HEAD, head) == 0);
    CHECK(len == 0 || memcmp(resp.out.data + head, body, len) == 0);
    CHECK_INT(resp.protocol_status, 0);
    fcc_response_free(&resp);
    free(body);
}

int main(void)
{
    struct harness_app app;
    harness_start(&app, echo_body, NULL, 1);
    const size_t sizes[] = {0, 1, 65535, 65536, 65537, 10u << 20};
    const size_t chunks[] = {0, 1, 7, 4093, 65535};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++)
            if (!(chunks[c] == 1 && sizes[s] > 65537)) /* 10 Mi one-byte records: too slow */
                roundtrip(&app, sizes[s], chunks[c]);
    harness_stop(&app);
    puts("ok");
    return 0;
}
