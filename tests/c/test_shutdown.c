/* test_shutdown.c — ffcgi_server_shutdown() wakes every blocked accept
 * with FFCGI_ESHUTDOWN: one waiting for a connection (called from another
 * thread and from a signal handler), one waiting for the next request on a
 * kept-open connection; a request in flight still completes, and so does
 * one on a connection accepted just before; later accepts return
 * FFCGI_ESHUTDOWN at once. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

struct waiter {
    pthread_t thread;
    ffcgi_server *srv;
    int served;
    int result;
};

static void *accept_until_end(void *p)
{
    struct waiter *w = p;
    ffcgi_request *req;
    CHECK_OK(ffcgi_request_new(&req, w->srv));
    while ((w->result = ffcgi_accept(req)) == 0) {
        w->served++;
        CHECK_OK(ffcgi_print(req, "served"));
    }
    ffcgi_request_free(req);
    return NULL;
}

static void start_waiter(struct waiter *w, ffcgi_server *srv)
{
    *w = (struct waiter){.srv = srv, .result = 1};
    CHECK(pthread_create(&w->thread, NULL, accept_until_end, w) == 0);
}

/* Joins the waiter; a waiter still blocked after 10 s fails the test. */
static void expect_woken(struct waiter *w)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    int rc = pthread_timedjoin_np(w->thread, NULL, &deadline);
    if (rc == ETIMEDOUT) {
        fprintf(stderr, "accept was not woken by ffcgi_server_shutdown()\n");
        exit(1);
    }
    CHECK_INT(rc, 0);
    CHECK_INT(w->result, FFCGI_ESHUTDOWN);
}

static void open_server(ffcgi_server **srv, char *dir, char *address)
{
    strcpy(dir, "/tmp/ffcgi-shutdown-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    sprintf(address, "%s/s.sock", dir);
    CHECK_OK(ffcgi_server_open(srv, address, 8, -1));
}

static void close_server(ffcgi_server *srv, const char *dir)
{
    ffcgi_server_free(srv);
    CHECK(rmdir(dir) == 0);
}

static void from_another_thread(void)
{
    char dir[64], address[96];
    ffcgi_server *srv;
    open_server(&srv, dir, address);
    struct waiter w[3];
    for (int i = 0; i < 3; i++)
        start_waiter(&w[i], srv);
    usleep(100 * 1000);
    ffcgi_server_shutdown(srv);
    ffcgi_server_shutdown(srv); /* idempotent */
    for (int i = 0; i < 3; i++)
        expect_woken(&w[i]);
    /* a later accept ends at once */
    ffcgi_request *req;
    CHECK_OK(ffcgi_request_new(&req, srv));
    CHECK_INT(ffcgi_accept(req), FFCGI_ESHUTDOWN);
    CHECK_CONTAINS(ffcgi_last_error(), "shut down");
    ffcgi_request_free(req);
    close_server(srv, dir);
}

static ffcgi_server *signalled_server;

static void on_sigusr2(int signo)
{
    (void)signo;
    ffcgi_server_shutdown(signalled_server);
}

static void from_a_signal_handler(void)
{
    char dir[64], address[96];
    open_server(&signalled_server, dir, address);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr2;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);
    struct waiter w;
    start_waiter(&w, signalled_server);
    usleep(100 * 1000);
    CHECK(pthread_kill(w.thread, SIGUSR2) == 0); /* interrupts the waiter's poll */
    expect_woken(&w);
    close_server(signalled_server, dir);
}

/* One request on fd, answered "served" by accept_until_end(). */
static void expect_served(int fd, int keep_conn)
{
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .keep_conn = keep_conn};
    fcc_response resp;
    fcc_response_init(&resp);
    CHECK_OK(fcc_roundtrip(fd, &r, &resp, HARNESS_TIMEOUT_MS));
    CHECK_INT(resp.out.len, 6);
    fcc_response_free(&resp);
}

/* A server with one waiter on it and a client connected: the client's fd. */
static int connect_to_waiter(ffcgi_server **srv, char *dir, char *address, struct waiter *w)
{
    open_server(srv, dir, address);
    start_waiter(w, *srv);
    int fd = fcc_connect(address);
    CHECK(fd >= 0);
    return fd;
}

static void waiting_on_a_kept_connection(void)
{
    char dir[64], address[96];
    ffcgi_server *srv;
    struct waiter w;
    int fd = connect_to_waiter(&srv, dir, address, &w);
    expect_served(fd, 1);
    usleep(100 * 1000); /* the waiter now waits for a request on fd */
    ffcgi_server_shutdown(srv);
    expect_woken(&w);
    CHECK_INT(w.served, 1);
    char byte;
    CHECK_INT(read(fd, &byte, 1), 0); /* the kept connection was closed */
    close(fd);
    close_server(srv, dir);
}

/* A connection accepted before the shutdown still gets its request served,
 * even if the request's bytes arrive after the shutdown. */
static void accepted_connection_served(void)
{
    char dir[64], address[96];
    ffcgi_server *srv;
    struct waiter w;
    int fd = connect_to_waiter(&srv, dir, address, &w);
    usleep(100 * 1000); /* the waiter has accepted fd and waits for its request */
    ffcgi_server_shutdown(srv);
    usleep(50 * 1000);
    expect_served(fd, 0);
    close(fd);
    expect_woken(&w);
    CHECK_INT(w.served, 1);
    close_server(srv, dir);
}

struct inflight {
    ffcgi_server *srv;
};

static void shut_down_while_serving(ffcgi_request *req, void *ctx)
{
    struct inflight *f = ctx;
    ffcgi_server_shutdown(f->srv);
    CHECK_OK(ffcgi_print(req, "completed after shutdown"));
}

static void request_in_flight_completes(void)
{
    struct harness_app app;
    struct inflight f;
    harness_start(&app, shut_down_while_serving, &f, 1);
    f.srv = app.srv;
    fcc_request r = {.id = 1, .role = FCC_RESPONDER};
    harness_expect_stdout(&app, &r, "completed after shutdown");
    harness_stop(&app);
}

int main(void)
{
    from_another_thread();
    from_a_signal_handler();
    waiting_on_a_kept_connection();
    accepted_connection_served();
    request_in_flight_completes();
    puts("ok");
    return 0;
}
