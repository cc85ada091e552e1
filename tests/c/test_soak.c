/* test_soak.c — load and soak on examples/echo (a separate process):
 *   load: 64 concurrent connections, each with its own requests, every
 *         answer checked against its own request, zero errors;
 *   soak: REQUESTS requests (default 1,000,000) from 8 keep-conn clients,
 *         resident memory sampled every tenth of the run: it must stay flat
 *         (no sample more than 2 MiB above the first, taken after 10%).
 * The figures are printed for the README.
 *   test_soak REQUESTS SLACK-KIB ECHO-COMMAND [ARGS...]
 * ECHO-COMMAND is any echo app (C, Python, Raku …); test_soak appends
 * "--socket PATH --threads 4". */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fcgi_client.h"
#include "process.h"

#define LOAD_CONNECTIONS 64
#define LOAD_REQUESTS 50
#define SOAK_CLIENTS 8

static char address[96];
static atomic_long done_requests;
static atomic_int errors;

/* One request on fd whose answer must carry its own tag. Returns 0/-1. */
static int tagged_request(int fd, const char *tag, int keep)
{
    int rc = process_tagged_request(fd, tag, keep, 30000);
    if (rc != 0)
        atomic_fetch_add(&errors, 1);
    return rc;
}

struct client {
    pthread_t thread;
    int index;
    long requests;
    int keep;
};

static void *run_client(void *arg)
{
    struct client *c = arg;
    int fd = -1;
    for (long i = 0; i < c->requests; i++) {
        if (fd < 0 && (fd = fcc_connect(address)) < 0) {
            atomic_fetch_add(&errors, 1);
            return NULL;
        }
        char tag[48];
        snprintf(tag, sizeof tag, "c%d-r%ld", c->index, i);
        int keep = c->keep || i % 2; /* load: mix kept and new connections */
        if (tagged_request(fd, tag, keep) != 0)
            return NULL;
        atomic_fetch_add(&done_requests, 1);
        if (!keep) {
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static void run_clients(struct client *clients, int n)
{
    for (int i = 0; i < n; i++)
        CHECK(pthread_create(&clients[i].thread, NULL, run_client, &clients[i]) == 0);
}

static void join_clients(struct client *clients, int n)
{
    for (int i = 0; i < n; i++)
        CHECK(pthread_join(clients[i].thread, NULL) == 0);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void load(void)
{
    static struct client clients[LOAD_CONNECTIONS];
    for (int i = 0; i < LOAD_CONNECTIONS; i++)
        clients[i] = (struct client){.index = i, .requests = LOAD_REQUESTS, .keep = 0};
    run_clients(clients, LOAD_CONNECTIONS);
    join_clients(clients, LOAD_CONNECTIONS);
    CHECK_INT(atomic_load(&errors), 0);
    CHECK_INT(atomic_load(&done_requests), LOAD_CONNECTIONS * LOAD_REQUESTS);
    printf("load: %d concurrent connections x %d requests, 0 errors, every answer its own\n",
           LOAD_CONNECTIONS, LOAD_REQUESTS);
}

static void soak(pid_t pid, long total, long slack_kib)
{
    static struct client clients[SOAK_CLIENTS];
    atomic_store(&done_requests, 0);
    for (int i = 0; i < SOAK_CLIENTS; i++)
        clients[i] = (struct client){.index = i, .requests = total / SOAK_CLIENTS, .keep = 1};
    long target = (total / SOAK_CLIENTS) * SOAK_CLIENTS;
    double start = now();
    run_clients(clients, SOAK_CLIENTS);
    long first = 0, highest = 0;
    for (int tenth = 1; tenth <= 10; tenth++) {
        while (atomic_load(&done_requests) < target * tenth / 10 && atomic_load(&errors) == 0)
            usleep(20000);
        if (atomic_load(&errors))
            break;
        long rss = process_rss_kib(pid);
        printf("soak: %7ld requests, rss %ld KiB\n", atomic_load(&done_requests), rss);
        if (tenth == 1)
            first = rss;
        highest = rss > highest ? rss : highest;
    }
    join_clients(clients, SOAK_CLIENTS);
    double seconds = now() - start;
    CHECK_INT(atomic_load(&errors), 0);
    printf("soak: %ld requests in %.1f s (%.0f req/s), rss %ld KiB at 10%%, at most %ld KiB\n",
           target, seconds, (double)target / seconds, first, highest);
    CHECK(highest <= first + slack_kib);
}

int main(int argc, char **argv)
{
    CHECK(argc >= 4 && argc < 20);
    long total = atol(argv[1]), slack_kib = atol(argv[2]);
    signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/ffcgi-soak-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    snprintf(address, sizeof address, "%s/echo.sock", dir);
    char *args[32];
    int n = 0;
    for (int i = 3; i < argc; i++)
        args[n++] = argv[i];
    char *options[] = {"--socket", address, "--threads", "4", NULL};
    for (int i = 0; i < 5; i++)
        args[n++] = options[i];
    struct child_setup setup = {.listen_fd = -1, .stdin_fd = -1, .stdout_fd = -1};
    pid_t pid = process_start(args, &setup);
    process_wait_listening(address);
    load();
    soak(pid, total, slack_kib);
    CHECK_INT(process_stop(pid), 0);
    CHECK(rmdir(dir) == 0);
    puts("ok");
    return 0;
}
