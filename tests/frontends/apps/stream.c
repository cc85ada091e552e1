/* stream.c — the download app of the front-end tests (tests/frontends/README.md,
 * "The stream app"): answers every request with `bytes=N` bytes of the pattern
 * byte[i] = i % 251, `cookies=K` Set-Cookie headers and `status=NNN`, and the
 * answering process's id in X-Stream-Pid. A client that goes away mid-body is
 * reported on the process's stderr and the app goes on serving.
 *   stream [--socket ADDRESS] [--threads N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve.h"

#define PATTERN 251
#define CHUNK (PATTERN * 256) /* a whole number of patterns: every chunk starts at 0 */

static unsigned char chunk[CHUNK];

/* The number in the first `key=` segment of the query, or fallback. */
static long long query_number(const char *query, const char *key, long long fallback)
{
    size_t key_len = strlen(key);
    for (const char *seg = query; seg; seg = strchr(seg, '&') ? strchr(seg, '&') + 1 : NULL) {
        if (strncmp(seg, key, key_len) == 0 && seg[key_len] == '=') {
            char *end;
            long long n = strtoll(seg + key_len + 1, &end, 10);
            return (*end == '\0' || *end == '&') && n >= 0 ? n : fallback;
        }
    }
    return fallback;
}

static void stream(ffcgi_request *req)
{
    const char *query = ffcgi_env_get(req, "QUERY_STRING");
    long long size = query_number(query ? query : "", "bytes", 0);
    long long cookies = query_number(query ? query : "", "cookies", 0);
    long long status = query_number(query ? query : "", "status", 200);
    char text[64];

    ffcgi_status(req, status >= 100 && status <= 599 ? (int)status : 200);
    ffcgi_header(req, "Content-Type", "application/octet-stream");
    snprintf(text, sizeof text, "%lld", size);
    ffcgi_header(req, "Content-Length", text);
    snprintf(text, sizeof text, "%ld", (long)getpid());
    ffcgi_header(req, "X-Stream-Pid", text);
    for (long long k = 1; k <= cookies && k <= 100; k++) {
        snprintf(text, sizeof text, "c%lld=v%lld; Path=/", k, k);
        ffcgi_header(req, "Set-Cookie", text);
    }
    for (long long sent = 0; sent < size;) {
        size_t n = size - sent < CHUNK ? (size_t)(size - sent) : CHUNK;
        int rc = ffcgi_write(req, chunk, n);
        if (rc != 0) {
            fprintf(stderr, "stream: client went away after %lld of %lld bytes (%s)\n", sent,
                    size, ffcgi_strerror(rc));
            return;
        }
        sent += (long long)n;
    }
}

int main(int argc, char **argv)
{
    for (size_t i = 0; i < CHUNK; i++)
        chunk[i] = (unsigned char)(i % PATTERN);
    return example_serve(argc, argv, stream);
}
