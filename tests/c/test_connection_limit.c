/* test_connection_limit.c — FFCGI_LIMIT_CONNECTIONS caps the connections a
 * server holds. At the cap, a new connection makes the longest-idle kept
 * connection close (it waits between requests, so nothing is lost); when
 * every held connection is in the middle of a request, the new one waits
 * in the listen backlog and is served as soon as one of them closes. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

#define CAP 4

static void answer(ffcgi_request *req, void *ctx)
{
    (void)ctx;
    CHECK_OK(ffcgi_print(req, ffcgi_env_get(req, "TAG")));
}

static void ask(int fd, const char *tag, int keep)
{
    fcc_param p = fcc_str_param("TAG", tag);
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .keep_conn = keep, .params = &p,
                     .n_params = 1};
    fcc_response resp;
    fcc_response_init(&resp);
    CHECK_OK(fcc_roundtrip(fd, &r, &resp, HARNESS_TIMEOUT_MS));
    char *text = harness_stdout_text(&resp);
    CHECK_STR(text, tag);
    free(text);
    fcc_response_free(&resp);
}

/* 1 if fd becomes readable within ms. */
static int readable_within(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 1;
}

static void idle_connection_makes_way(struct harness_app *app)
{
    int kept[CAP];
    for (int i = 0; i < CAP; i++) {
        kept[i] = harness_connect(app);
        ask(kept[i], "kept", 1);
    }
    int fresh = harness_connect(app);
    ask(fresh, "fresh", 0);
    /* One of them was closed (the longest idle: which one that is depends on
     * when the last record of its request arrived), the others were not. */
    struct pollfd p[CAP];
    for (int i = 0; i < CAP; i++)
        p[i] = (struct pollfd){.fd = kept[i], .events = POLLIN};
    CHECK(poll(p, CAP, HARNESS_TIMEOUT_MS) == 1);
    for (int i = 0; i < CAP; i++) {
        if (p[i].revents) {
            char byte;
            CHECK_INT(read(kept[i], &byte, 1), 0);
        } else {
            ask(kept[i], "still-kept", 1);
        }
    }
    close(fresh);
    for (int i = 0; i < CAP; i++)
        close(kept[i]);
    printf("at the cap, an idle kept connection made way for a new one\n");
}

static void busy_connections_make_new_ones_wait(struct harness_app *app)
{
    int stalled[CAP];
    for (int i = 0; i < CAP; i++) { /* half a record header each */
        stalled[i] = harness_connect(app);
        CHECK_OK(fcc_write_all(stalled[i], "\1\1\0", 3));
    }
    usleep(100 * 1000); /* let the closes of the previous case land */
    int fresh = harness_connect(app);
    fcc_param p = fcc_str_param("TAG", "waited");
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = &p, .n_params = 1};
    CHECK_OK(fcc_send_request(fresh, &r));
    CHECK(!readable_within(fresh, 300)); /* not accepted while the cap is reached */
    close(stalled[0]);
    fcc_response resp;
    fcc_response_init(&resp);
    CHECK_OK(fcc_read_response(fresh, 1, &resp, HARNESS_TIMEOUT_MS));
    char *text = harness_stdout_text(&resp);
    CHECK_STR(text, "waited");
    free(text);
    fcc_response_free(&resp);
    close(fresh);
    for (int i = 1; i < CAP; i++)
        close(stalled[i]);
    printf("at the cap with every connection mid-request, a new one waited, then was served\n");
}

int main(void)
{
    struct harness_app app;
    harness_start(&app, answer, NULL, 2);
    CHECK_INT(ffcgi_server_limit(app.srv, FFCGI_LIMIT_CONNECTIONS), 1024);
    CHECK_INT(ffcgi_server_set_limit(app.srv, FFCGI_LIMIT_CONNECTIONS, 0), FFCGI_EINVAL);
    CHECK_OK(ffcgi_server_set_limit(app.srv, FFCGI_LIMIT_CONNECTIONS, CAP));
    CHECK_INT(ffcgi_server_limit(app.srv, FFCGI_LIMIT_CONNECTIONS), CAP);
    idle_connection_makes_way(&app);
    busy_connections_make_new_ones_wait(&app);
    harness_stop(&app);
    puts("ok");
    return 0;
}
