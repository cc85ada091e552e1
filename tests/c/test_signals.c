/* test_signals.c — the signal policy: libfcgi's initialisation leaves the
 * host's SIGPIPE, SIGUSR1 and SIGTERM dispositions as they were, and a web
 * server that goes away while the app writes gives the app an error, not a
 * SIGPIPE (whose default action would kill this test), with the thread's
 * signal mask restored and no SIGPIPE left pending. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

static void check_disposition(int signo, void (*expected)(int))
{
    struct sigaction sa;
    CHECK(sigaction(signo, NULL, &sa) == 0);
    if (sa.sa_handler != expected) {
        fprintf(stderr, "disposition of signal %d changed\n", signo);
        exit(1);
    }
}

struct outcome {
    int write_result;
    int mask_restored;
    int nothing_pending;
};

/* Writes until the vanished client makes a write fail. */
static void write_until_gone(ffcgi_request *req, void *ctx)
{
    struct outcome *o = ctx;
    if (ffcgi_env_get(req, "SMALL")) {
        CHECK_OK(ffcgi_print(req, "still serving"));
        return;
    }
    static unsigned char chunk[65536];
    int rc = 0;
    for (int i = 0; i < 10000 && rc == 0; i++)
        rc = ffcgi_write(req, chunk, sizeof chunk);
    if (rc == 0)
        rc = ffcgi_flush(req);
    o->write_result = rc;
    sigset_t mask, pending;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    sigpending(&pending);
    o->mask_restored = !sigismember(&mask, SIGPIPE);
    o->nothing_pending = !sigismember(&pending, SIGPIPE);
}

static void client_vanishes(struct harness_app *app)
{
    int fd = harness_connect(app);
    fcc_request r = {.id = 1, .role = FCC_RESPONDER};
    CHECK_OK(fcc_send_request(fd, &r));
    fcc_record rec = {0};
    CHECK_OK(fcc_read_record(fd, &rec, HARNESS_TIMEOUT_MS)); /* the response began */
    fcc_record_free(&rec);
    close(fd);
}

int main(void)
{
    signal(SIGTERM, SIG_IGN); /* the host's choices, to be kept */
    signal(SIGUSR1, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);

    struct outcome o = {1, 0, 0};
    struct harness_app app;
    harness_start(&app, write_until_gone, &o, 1); /* runs FCGX_Init() */
    check_disposition(SIGTERM, SIG_IGN);
    check_disposition(SIGUSR1, SIG_DFL);
    check_disposition(SIGPIPE, SIG_DFL);

    client_vanishes(&app);
    /* the next request proves the app survived the first */
    fcc_param small = fcc_str_param("SMALL", "1");
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = &small, .n_params = 1};
    harness_expect_stdout(&app, &r, "still serving");
    harness_stop(&app);

    CHECK(o.write_result == FFCGI_EDISCONNECTED || o.write_result == FFCGI_EIO);
    CHECK(o.mask_restored);
    CHECK(o.nothing_pending);
    check_disposition(SIGPIPE, SIG_DFL);
    puts("ok");
    return 0;
}
