/* harness.h — runs an ffcgi app inside the test process and talks to it
 * with the project's FastCGI test client (tests/client). */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <pthread.h>
#include <stddef.h>

#include <ffcgi.h>

#include "fcgi_client.h"

#define HARNESS_MAX_WORKERS 16
#define HARNESS_TIMEOUT_MS 30000

/* Handles one accepted request on a worker thread; `ctx` is the app's. */
typedef void harness_handler(ffcgi_request *req, void *ctx);

struct harness_app {
    ffcgi_server *srv;
    char dir[64];        /* temp dir holding the socket */
    char address[128];   /* where the app listens */
    harness_handler *handle;
    void *ctx;
    int workers;
    pthread_t threads[HARNESS_MAX_WORKERS];
    int accept_results[HARNESS_MAX_WORKERS]; /* what ended each worker's loop */
};

/* Starts `workers` threads serving on a fresh unix socket in a temp dir.
 * Exits the test on failure. */
void harness_start(struct harness_app *app, harness_handler *handle, void *ctx, int workers);
/* harness_start() in two steps: harness_open() opens the server on a fresh
 * unix socket in a temp dir (app->srv, app->address) with `backlog`, for
 * the caller to set up; harness_serve() starts the threads. Exit the test on failure. */
ffcgi_server *harness_open(struct harness_app *app, int backlog);
void harness_serve(struct harness_app *app, harness_handler *handle, void *ctx, int workers);
/* As harness_start() on a listener the caller opened (owned by app then). */
void harness_start_on(struct harness_app *app, ffcgi_server *srv, const char *address,
                      harness_handler *handle, void *ctx, int workers);
/* Shuts the server down, joins the workers (checking that each ended with
 * FFCGI_ESHUTDOWN), frees the server, removes the temp dir. */
void harness_stop(struct harness_app *app);

/* Connects to the app; exits the test on failure. */
int harness_connect(const struct harness_app *app);
/* One request on a new connection; exits the test if no complete response
 * arrives. The response must be freed with fcc_response_free(). */
void harness_ask(const struct harness_app *app, const fcc_request *req, fcc_response *resp);
/* One request on a new connection with the single param MODE=`mode`
 * (how the tests tell their handler what to do). */
void harness_ask_mode(const struct harness_app *app, const char *mode, fcc_response *resp);
/* Exits the test unless the response's stdout is exactly `len` bytes. */
void harness_expect_bytes(const fcc_response *resp, const char *bytes, size_t len);
/* One request on a new connection whose stdout must be exactly `expected`. */
void harness_expect_stdout(const struct harness_app *app, const fcc_request *req,
                           const char *expected);
/* NUL-terminated copy of the response's stdout (malloc'd). */
char *harness_stdout_text(const fcc_response *resp);

/* Deterministic bytes covering all 256 values (malloc'd). */
unsigned char *harness_pattern(size_t len, unsigned seed);

#endif
