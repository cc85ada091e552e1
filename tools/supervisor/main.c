/* main.c — ffcgi-supervisor: opens a FastCGI listener with libffcgi and
 * keeps N workers of an app serving it (README.md; options.h for the
 * command line, pool.h for what happens to the workers).
 *
 * One thread, one loop: poll() on a signalfd with the pool's next deadline
 * as the timeout; after every wake, reap the children that ended, act on
 * the signals, let the pool do what is due. Nothing spins: a crash-looping
 * app is restarted ever more slowly (backoff.h).
 *
 * Exit status: 0 after a stop (SIGTERM/SIGINT), 1 if the listener, the
 * signal handling or the first worker cannot be set up, 2 on a usage error. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ffcgi.h>

#include "../../src/clock.h"
#include "board.h"
#include "log.h"
#include "options.h"
#include "pool.h"
#include "signals.h"

/* The supervisor's deadlines: monotonic milliseconds (never jump with the
 * wall clock), from the library's clock. */
static int64_t now_ms(void)
{
    return ffc_now_us() / 1000;
}

/* Opens /dev/null on any of fds 0-2 that is closed, so the listener (and
 * the signalfd) never land there: a worker's fd 0 must be the listener
 * only, and its fds 1 and 2 the supervisor's stdout and stderr. */
static int ensure_standard_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0)
            continue;
        int null = open("/dev/null", O_RDWR);
        if (null < 0)
            return -1;
        if (null != fd) { /* a lower one was closed too and is taken now */
            close(null);
            return -1;
        }
    }
    return 0;
}

static void reap(struct sup_pool *pool)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        sup_pool_reaped(pool, pid, status, now_ms());
}

/* Acts on every pending signal. The listener goes at the first stop signal:
 * its socket file is removed, so new connections are refused at once while
 * the workers finish what they accepted. */
static void handle_signals(int sigfd, struct sup_pool *pool, ffcgi_server **srv)
{
    int signo;
    while ((signo = sup_signals_next(sigfd)) != 0) {
        if (signo == SIGTERM || signo == SIGINT) {
            sup_log("SIG%s received", sigabbrev_np(signo));
            ffcgi_server_free(*srv);
            *srv = NULL;
            sup_pool_stop(pool, sup_pool_stopping(pool), now_ms());
        } else if (signo == SIGHUP) {
            sup_pool_rolling_restart(pool, now_ms());
        }
    }
}

/* Runs until the stop is complete. */
static void serve(struct sup_pool *pool, int sigfd, ffcgi_server **srv)
{
    while (!sup_pool_done(pool)) {
        struct pollfd p = {.fd = sigfd, .events = POLLIN};
        if (poll(&p, 1, sup_pool_timeout(pool, now_ms())) < 0 && errno != EINTR) {
            sup_log("poll: %s; retrying in 100 ms", strerror(errno)); /* ENOMEM */
            poll(NULL, 0, 100);
        }
        /* Reading the signals consumes SIGCHLD too: reap after them, or a
         * child that ended meanwhile would wait for ever; and before them,
         * so that a stop counts only the workers still there. */
        reap(pool);
        handle_signals(sigfd, pool, srv);
        reap(pool);
        sup_pool_tick(pool, now_ms());
    }
}

int main(int argc, char **argv)
{
    struct sup_options opt;
    switch (sup_options_parse(&opt, argc, argv)) {
    case SUP_OPTIONS_HELP: return 0;
    case SUP_OPTIONS_BAD: return 2;
    case SUP_OPTIONS_RUN: break;
    }
    int sigfd;
    if (ensure_standard_fds() != 0 || (sigfd = sup_signals_open()) < 0) {
        sup_log("cannot set up: %s", strerror(errno));
        return 1;
    }
    ffcgi_server *srv;
    if (ffcgi_server_open(&srv, opt.address, opt.backlog, opt.mode) != 0) {
        sup_log("cannot listen on %s: %s", opt.address, ffcgi_last_error());
        return 1;
    }
    int board_fd = sup_board_create(opt.workers);
    if (board_fd < 0) /* the workers serve without a shared status page */
        sup_log("cannot make the shared scoreboard: %s; each worker's status page shows "
                "itself only", strerror(-board_fd));
    sup_log("listening on %s; starting %d workers of %s", opt.address, opt.workers,
            opt.app_argv[0]);
    struct sup_pool_config cfg = {
        .argv = opt.app_argv,
        .listen_fd = ffcgi_server_fd(srv),
        .board_fd = board_fd,
        .workers = opt.workers,
        .grace_ms = opt.grace_ms,
        .ready_ms = opt.ready_ms,
        .backoff = {.max_ms = opt.max_backoff_ms, .stable_ms = opt.stable_ms},
    };
    struct sup_pool *pool;
    int rc = sup_pool_start(&pool, &cfg, now_ms());
    if (rc < 0) {
        sup_log("cannot start %s: %s", opt.app_argv[0], strerror(-rc));
        ffcgi_server_free(srv);
        return 1;
    }
    serve(pool, sigfd, &srv);
    sup_log("stopped");
    sup_pool_free(pool);
    ffcgi_server_free(srv);
    close(sigfd);
    return 0;
}
