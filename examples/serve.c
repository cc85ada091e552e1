/* serve.c — see serve.h. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

#define MAX_THREADS 256

static ffcgi_server *serving;         /* read by the signal handler */
static volatile sig_atomic_t stop_asked; /* a stop signal came before serving was set */

struct worker {
    pthread_t thread;
    example_handler *handle;
    int failed;
};

static void stop_serving(int signo)
{
    (void)signo;
    stop_asked = 1;
    ffcgi_server_shutdown(serving); /* async-signal-safe; NULL is ignored */
}

static void *work(void *arg)
{
    struct worker *w = arg;
    ffcgi_request *req;
    if (ffcgi_request_new(&req, serving) != 0) {
        fprintf(stderr, "request: %s\n", ffcgi_last_error());
        w->failed = 1;
        return NULL;
    }
    int rc;
    while ((rc = ffcgi_accept(req)) == 0)
        w->handle(req);
    if (rc != FFCGI_ESHUTDOWN) {
        fprintf(stderr, "accept: %s (%s)\n", ffcgi_strerror(rc), ffcgi_last_error());
        w->failed = 1;
    }
    ffcgi_request_free(req);
    return NULL;
}

static int usage(const char *prog)
{
    fprintf(stderr, "usage: %s [--socket ADDRESS] [--threads N] [--access-log FILE] "
                    "[--status-path PATH]\n", prog);
    return 2;
}

struct options {
    const char *address, *access_log, *status_path; /* NULL: not given */
    int threads;
};

static int parse_args(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
            o->address = argv[++i];
        } else if (strcmp(argv[i], "--access-log") == 0 && i + 1 < argc) {
            o->access_log = argv[++i];
        } else if (strcmp(argv[i], "--status-path") == 0 && i + 1 < argc) {
            o->status_path = argv[++i];
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > MAX_THREADS)
                return -1;
            o->threads = (int)n;
        } else {
            return -1;
        }
    }
    return 0;
}

static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = stop_serving;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

int example_serve(int argc, char **argv, example_handler *handle)
{
    struct options o = {.threads = 1};
    if (parse_args(argc, argv, &o) != 0)
        return usage(argv[0]);
    const char *address = o.address;
    int threads = o.threads;
    /* Caught from the start: a supervisor may stop a worker that is still
     * starting, and that is a graceful stop too. */
    catch_stop_signals();
    ffcgi_server *srv;
    int rc = address ? ffcgi_server_open(&srv, address, 0, -1) : ffcgi_server_inherit(&srv);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", argv[0], ffcgi_last_error());
        return 1;
    }
    if ((o.access_log && ffcgi_server_access_log(srv, o.access_log) != 0) ||
        (o.status_path && ffcgi_server_status_path(srv, o.status_path) != 0)) {
        fprintf(stderr, "%s: %s\n", argv[0], ffcgi_last_error());
        ffcgi_server_free(srv);
        return 1;
    }
    serving = srv;
    if (stop_asked)
        ffcgi_server_shutdown(serving);
    struct worker workers[MAX_THREADS];
    int started = 0;
    for (; started < threads; started++) {
        workers[started] = (struct worker){.handle = handle};
        if (pthread_create(&workers[started].thread, NULL, work, &workers[started]) != 0)
            break;
    }
    int failed = started < threads;
    for (int i = 0; i < started; i++) {
        pthread_join(workers[i].thread, NULL);
        failed |= workers[i].failed;
    }
    ffcgi_server_free(serving);
    return failed ? 1 : 0;
}
