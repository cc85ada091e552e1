/* body.c — the benchmark's body app on libffcgi: reads the whole request
 * body in 64 KiB pieces (streaming: never more in memory), answers its size
 * in X-Body-Bytes, then `bytes=N` bytes of download (QUERY_STRING), or the
 * line "read" when no download is asked for. raw_hello.c --body is its twin
 * on plain libfcgi.
 *   bench-body [--socket ADDRESS] [--threads N] */
#include <stdio.h>

#include "body_query.h"
#include "serve.h"

static void body(ffcgi_request *req)
{
    char buf[BODY_CHUNK], text[32];
    long long got = 0;
    size_t n;
    while (ffcgi_read(req, buf, sizeof buf, &n) == 0 && n > 0)
        got += (long long)n;
    long long want = body_query_bytes(ffcgi_env_get(req, "QUERY_STRING"));
    snprintf(text, sizeof text, "%lld", got);
    ffcgi_header(req, "Content-Type", "application/octet-stream");
    ffcgi_header(req, "X-Body-Bytes", text);
    if (want < 0)
        ffcgi_print(req, "read\n");
    body_pattern(buf, sizeof buf);
    for (long long left = want; left > 0; left -= (long long)sizeof buf)
        if (ffcgi_write(req, buf, left < (long long)sizeof buf ? (size_t)left : sizeof buf) != 0)
            break;
}

int main(int argc, char **argv)
{
    return example_serve(argc, argv, body);
}
