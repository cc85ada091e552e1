/* test_threads.c — several threads accept on one server and really serve
 * requests at the same time: each handler waits until WORKERS requests are
 * in flight together (it would wait in vain if requests were serialised),
 * and then 8 client threads x 50 requests each get their own answers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

#define WORKERS 4
#define CLIENTS 8
#define PER_CLIENT 50

struct meeting {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int in_flight;
    int gathered;  /* WORKERS handlers were inside at once */
    int meet;      /* handlers wait for each other only in the first phase */
};

static void handle(ffcgi_request *req, void *ctx)
{
    struct meeting *m = ctx;
    pthread_mutex_lock(&m->lock);
    m->in_flight++;
    if (m->meet) {
        if (m->in_flight == WORKERS)
            m->gathered = 1;
        pthread_cond_broadcast(&m->changed);
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 20;
        while (!m->gathered &&
               pthread_cond_timedwait(&m->changed, &m->lock, &deadline) != ETIMEDOUT)
            ;
    }
    m->in_flight--;
    pthread_mutex_unlock(&m->lock);
    const char *id = ffcgi_env_get(req, "CLIENT_REQUEST");
    CHECK(id != NULL);
    CHECK_OK(ffcgi_print(req, id));
}

struct client {
    pthread_t thread;
    struct harness_app *app;
    int index;
    int requests;
};

static void *run_client(void *p)
{
    struct client *c = p;
    for (int i = 0; i < c->requests; i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "client%d-request%d", c->index, i);
        fcc_param param = fcc_str_param("CLIENT_REQUEST", tag);
        fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = &param, .n_params = 1};
        fcc_response resp;
        harness_ask(c->app, &r, &resp);
        char *text = harness_stdout_text(&resp);
        CHECK_STR(text, tag);
        free(text);
        fcc_response_free(&resp);
    }
    return NULL;
}

static void run_clients(struct harness_app *app, int clients, int requests)
{
    struct client c[CLIENTS];
    for (int i = 0; i < clients; i++) {
        c[i] = (struct client){.app = app, .index = i, .requests = requests};
        CHECK(pthread_create(&c[i].thread, NULL, run_client, &c[i]) == 0);
    }
    for (int i = 0; i < clients; i++)
        CHECK(pthread_join(c[i].thread, NULL) == 0);
}

int main(void)
{
    struct meeting m = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 1};
    struct harness_app app;
    harness_start(&app, handle, &m, WORKERS);

    run_clients(&app, WORKERS, 1);
    CHECK(m.gathered);

    pthread_mutex_lock(&m.lock);
    m.meet = 0;
    pthread_mutex_unlock(&m.lock);
    run_clients(&app, CLIENTS, PER_CLIENT);

    harness_stop(&app);
    puts("ok");
    return 0;
}
