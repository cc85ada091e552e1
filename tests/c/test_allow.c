/* test_allow.c — the peer allow-list of TCP listeners: IPv4 and IPv6
 * addresses and prefixes; a peer not on the list is closed without an
 * answer and the refusal is counted with its address; bad entries are
 * refused and keep the old list; unix sockets are not affected; a TCP
 * listener starts with libfcgi's FCGI_WEB_SERVER_ADDRS; the list can be
 * replaced while 4 threads accept (the sanitizer run of this test catches
 * a thread reading a list freed under it, or the limits torn). */
#include <pthread.h>
#include <stdatomic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

static void hello(ffcgi_request *req, void *ctx)
{
    (void)ctx;
    CHECK_OK(ffcgi_print(req, "served"));
}

static int port_of(ffcgi_server *srv)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    CHECK(getsockname(ffcgi_server_fd(srv), (struct sockaddr *)&ss, &len) == 0);
    return ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                   : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* 1 if the request on a new connection got no answer (connection closed). */
static int refused(const struct harness_app *app)
{
    int fd = harness_connect(app);
    fcc_request r = {.id = 1, .role = FCC_RESPONDER};
    fcc_response resp;
    fcc_response_init(&resp);
    int rc = fcc_roundtrip(fd, &r, &resp, HARNESS_TIMEOUT_MS);
    close(fd);
    int got_end = resp.got_end;
    fcc_response_free(&resp);
    return rc != 0 && !got_end;
}

static void served(const struct harness_app *app)
{
    fcc_request r = {.id = 1, .role = FCC_RESPONDER};
    harness_expect_stdout(app, &r, "served");
}

static void start_tcp(struct harness_app *app, const char *listen_at, const char *connect_fmt)
{
    ffcgi_server *srv;
    CHECK_OK(ffcgi_server_open(&srv, listen_at, 0, -1));
    char address[64];
    snprintf(address, sizeof address, connect_fmt, port_of(srv));
    memset(app, 0, sizeof *app);
    harness_start_on(app, srv, address, hello, NULL, 1);
}

static void ipv4(void)
{
    struct harness_app app;
    start_tcp(&app, "127.0.0.1:0", "127.0.0.1:%d");
    served(&app);
    CHECK_OK(ffcgi_server_allow(app.srv, "10.0.0.0/8, 192.168.1.7"));
    CHECK(refused(&app));
    char detail[160];
    CHECK_INT(ffcgi_server_refusals(app.srv, detail, sizeof detail), 1);
    CHECK_CONTAINS(detail, "refused 127.0.0.1 port");
    CHECK_INT(ffcgi_server_allow(app.srv, "10.0.0.0/8,bogus"), FFCGI_EINVAL);
    CHECK_CONTAINS(ffcgi_last_error(), "'bogus'");
    CHECK_INT(ffcgi_server_allow(app.srv, "127.0.0.1/33"), FFCGI_EINVAL);
    CHECK(refused(&app)); /* the old list stays */
    CHECK_OK(ffcgi_server_allow(app.srv, "10.0.0.1 127.0.0.0/8"));
    served(&app);
    CHECK_OK(ffcgi_server_allow(app.srv, "::1"));
    CHECK(refused(&app)); /* an IPv6 entry does not admit an IPv4 peer */
    CHECK_OK(ffcgi_server_allow(app.srv, ""));
    served(&app);
    CHECK_INT(ffcgi_server_refusals(app.srv, NULL, 0), 3);
    harness_stop(&app);
}

static void ipv6(void)
{
    struct harness_app app;
    start_tcp(&app, "[::1]:0", "[::1]:%d");
    CHECK_OK(ffcgi_server_allow(app.srv, "::2, 127.0.0.1"));
    CHECK(refused(&app));
    char detail[160];
    CHECK_INT(ffcgi_server_refusals(app.srv, detail, sizeof detail), 1);
    CHECK_CONTAINS(detail, "refused ::1 port");
    CHECK_OK(ffcgi_server_allow(app.srv, "::/127"));
    served(&app);
    harness_stop(&app);
}

static void unix_sockets_unaffected(void)
{
    struct harness_app app;
    harness_start(&app, hello, NULL, 1);
    CHECK_OK(ffcgi_server_allow(app.srv, "10.0.0.1"));
    served(&app);
    harness_stop(&app);
}

static void from_environment(void)
{
    CHECK(setenv("FCGI_WEB_SERVER_ADDRS", "10.9.8.7", 1) == 0);
    struct harness_app app;
    start_tcp(&app, "127.0.0.1:0", "127.0.0.1:%d");
    CHECK(refused(&app));
    harness_stop(&app);
    CHECK(setenv("FCGI_WEB_SERVER_ADDRS", "not-an-address", 1) == 0);
    ffcgi_server *srv;
    CHECK_INT(ffcgi_server_open(&srv, "127.0.0.1:0", 0, -1), FFCGI_EINVAL);
    CHECK_CONTAINS(ffcgi_last_error(), "FCGI_WEB_SERVER_ADDRS");
    CHECK(unsetenv("FCGI_WEB_SERVER_ADDRS") == 0);
}

struct churn {
    ffcgi_server *srv;
    atomic_int stop;
};

/* Replaces the allow-list and a limit over and over. */
static void *churn_settings(void *p)
{
    struct churn *c = p;
    for (int i = 0; !atomic_load(&c->stop); i++) {
        CHECK_OK(ffcgi_server_allow(c->srv, i % 2 ? "127.0.0.1" : "10.0.0.0/8, 127.0.0.0/8, ::1"));
        CHECK_OK(ffcgi_server_set_limit(c->srv, FFCGI_LIMIT_PARAMS, 100 + i % 2));
    }
    return NULL;
}

static void changed_while_serving(void)
{
    struct harness_app app;
    ffcgi_server *srv;
    CHECK_OK(ffcgi_server_open(&srv, "127.0.0.1:0", 0, -1));
    char address[64];
    snprintf(address, sizeof address, "127.0.0.1:%d", port_of(srv));
    memset(&app, 0, sizeof app);
    harness_start_on(&app, srv, address, hello, NULL, 4);
    struct churn c = {.srv = app.srv};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, churn_settings, &c) == 0);
    for (int i = 0; i < 300; i++)
        served(&app); /* every list admits 127.0.0.1 */
    atomic_store(&c.stop, 1);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK_INT(ffcgi_server_refusals(app.srv, NULL, 0), 0);
    harness_stop(&app);
}

int main(void)
{
    CHECK_INT(ffcgi_server_allow(NULL, "::1"), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_refusals(NULL, NULL, 0), FFCGI_EINVAL);
    ipv4();
    ipv6();
    unix_sockets_unaffected();
    from_environment();
    changed_while_serving();
    puts("ok");
    return 0;
}
