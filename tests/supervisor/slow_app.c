/* slow_app.c — a test app for the supervisor's graceful stop: with
 * QUERY_STRING "sleep_ms=N" it logs "slow_app pid P: sleeping N ms" on
 * stderr, sleeps N ms (0..60000), then answers "slept N ms\npid P\n".
 *   supervisor_slow_app [--socket ADDRESS] [--threads N]  (examples/serve.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ; /* a signal (SIGTERM) must not cut the sleep short */
}

static void answer(ffcgi_request *req)
{
    const char *query = ffcgi_env_get(req, "QUERY_STRING");
    long ms = 0;
    if (query && strncmp(query, "sleep_ms=", 9) == 0)
        ms = strtol(query + 9, NULL, 10);
    if (ms < 0 || ms > 60000)
        ms = 0;
    if (ms > 0) {
        fprintf(stderr, "slow_app pid %ld: sleeping %ld ms\n", (long)getpid(), ms);
        fflush(stderr);
        sleep_ms(ms);
    }
    char body[64];
    snprintf(body, sizeof body, "slept %ld ms\npid %ld\n", ms, (long)getpid());
    ffcgi_header(req, "Content-Type", "text/plain");
    ffcgi_print(req, body);
}

int main(int argc, char **argv)
{
    return example_serve(argc, argv, answer);
}
