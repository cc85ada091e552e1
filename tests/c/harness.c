/* harness.c — see harness.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

struct worker_arg {
    struct harness_app *app;
    int index;
};

static void *serve(void *p)
{
    struct worker_arg *arg = p;
    struct harness_app *app = arg->app;
    int index = arg->index;
    free(arg);
    ffcgi_request *req;
    CHECK_OK(ffcgi_request_new(&req, app->srv));
    int rc;
    while ((rc = ffcgi_accept(req)) == 0)
        app->handle(req, app->ctx);
    app->accept_results[index] = rc;
    ffcgi_request_free(req);
    return NULL;
}

void harness_serve(struct harness_app *app, harness_handler *handle, void *ctx, int workers)
{
    CHECK(workers >= 1 && workers <= HARNESS_MAX_WORKERS);
    app->handle = handle;
    app->ctx = ctx;
    app->workers = workers;
    for (int i = 0; i < workers; i++) {
        struct worker_arg *arg = malloc(sizeof *arg);
        CHECK(arg != NULL);
        *arg = (struct worker_arg){app, i};
        app->accept_results[i] = 1;
        CHECK(pthread_create(&app->threads[i], NULL, serve, arg) == 0);
    }
}

void harness_start_on(struct harness_app *app, ffcgi_server *srv, const char *address,
                      harness_handler *handle, void *ctx, int workers)
{
    app->srv = srv;
    snprintf(app->address, sizeof app->address, "%s", address);
    harness_serve(app, handle, ctx, workers);
}

ffcgi_server *harness_open(struct harness_app *app, int backlog)
{
    memset(app, 0, sizeof *app);
    snprintf(app->dir, sizeof app->dir, "/tmp/ffcgi-test-XXXXXX");
    CHECK(mkdtemp(app->dir) != NULL);
    snprintf(app->address, sizeof app->address, "%s/app.sock", app->dir);
    CHECK_OK(ffcgi_server_open(&app->srv, app->address, backlog, -1));
    return app->srv;
}

void harness_start(struct harness_app *app, harness_handler *handle, void *ctx, int workers)
{
    harness_open(app, 64);
    harness_serve(app, handle, ctx, workers);
}

void harness_stop(struct harness_app *app)
{
    ffcgi_server_shutdown(app->srv);
    for (int i = 0; i < app->workers; i++) {
        CHECK(pthread_join(app->threads[i], NULL) == 0);
        CHECK_INT(app->accept_results[i], FFCGI_ESHUTDOWN);
    }
    ffcgi_server_free(app->srv);
    app->srv = NULL;
    if (app->dir[0])
        CHECK(rmdir(app->dir) == 0);
}

int harness_connect(const struct harness_app *app)
{
    int fd = fcc_connect(app->address);
    if (fd < 0) {
        fprintf(stderr, "cannot connect to %s: %s\n", app->address, fcc_error());
        exit(1);
    }
    return fd;
}

void harness_ask(const struct harness_app *app, const fcc_request *req, fcc_response *resp)
{
    int fd = harness_connect(app);
    fcc_response_init(resp);
    if (fcc_roundtrip(fd, req, resp, HARNESS_TIMEOUT_MS) != 0) {
        fprintf(stderr, "request to %s failed: %s\n", app->address, fcc_error());
        exit(1);
    }
    close(fd);
}

void harness_ask_mode(const struct harness_app *app, const char *mode, fcc_response *resp)
{
    fcc_param p = fcc_str_param("MODE", mode);
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = &p, .n_params = 1};
    harness_ask(app, &r, resp);
}

void harness_expect_bytes(const fcc_response *resp, const char *bytes, size_t len)
{
    if (resp->out.len != len || memcmp(resp->out.data, bytes, len) != 0) {
        fprintf(stderr, "stdout is \"%.*s\", expected \"%.*s\"\n", (int)resp->out.len,
                resp->out.data, (int)len, bytes);
        exit(1);
    }
}

void harness_expect_stdout(const struct harness_app *app, const fcc_request *req,
                           const char *expected)
{
    fcc_response resp;
    harness_ask(app, req, &resp);
    char *text = harness_stdout_text(&resp);
    CHECK_STR(text, expected);
    free(text);
    fcc_response_free(&resp);
}

char *harness_stdout_text(const fcc_response *resp)
{
    char *text = malloc(resp->out.len + 1);
    CHECK(text != NULL);
    if (resp->out.len)
        memcpy(text, resp->out.data, resp->out.len);
    text[resp->out.len] = '\0';
    return text;
}

unsigned char *harness_pattern(size_t len, unsigned seed)
{
    unsigned char *p = malloc(len ? len : 1);
    CHECK(p != NULL);
    /* every aligned 256-byte block holds each byte value exactly once */
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)(i + (i >> 8) * 97 + seed);
    return p;
}
