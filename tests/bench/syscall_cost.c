/* syscall_cost.c — what one system call costs on this host, in µs: the
 * yardstick for the per-request figures of the benchmark (findings.md,
 * "the floor of a readiness loop"). On a hypervisor that traps every
 * system call, one call can cost a tenth of a whole hello request.
 *
 *   taskset -c 1 build-bench/tests/bench/ffcgi-syscall-cost [ROUNDS]
 *
 * Prints one line per call measured: getppid (a null call), recv on an
 * empty non-blocking socket (EAGAIN), epoll_wait with nothing ready, and a
 * 16-byte send + recv pair on a unix socketpair. Exit 1 if a call fails. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int pair[2], epfd;
static char byte_buf[16];

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int null_call(void)
{
    return getppid() > 0 ? 0 : -1;
}

static int empty_recv(void)
{
    return recv(pair[0], byte_buf, sizeof byte_buf, MSG_DONTWAIT) < 0 && errno == EAGAIN ? 0 : -1;
}

static int idle_epoll_wait(void)
{
    struct epoll_event ev;
    return epoll_wait(epfd, &ev, 1, 0) == 0 ? 0 : -1;
}

static int send_and_recv(void)
{
    if (send(pair[1], byte_buf, sizeof byte_buf, 0) != sizeof byte_buf)
        return -1;
    return recv(pair[0], byte_buf, sizeof byte_buf, 0) == sizeof byte_buf ? 0 : -1;
}

static int measure(const char *name, int (*call)(void), long rounds)
{
    double start = now_us();
    for (long i = 0; i < rounds; i++)
        if (call() < 0) {
            perror(name);
            return -1;
        }
    printf("%-24s %6.2f us per call\n", name, (now_us() - start) / rounds);
    return 0;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 200000;
    if (rounds <= 0) {
        fprintf(stderr, "usage: ffcgi-syscall-cost [ROUNDS > 0]\n");
        return 2;
    }
    struct epoll_event ev = {.events = EPOLLIN};
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0 || (epfd = epoll_create1(0)) < 0 ||
        epoll_ctl(epfd, EPOLL_CTL_ADD, pair[0], &ev) < 0) {
        perror("setting up");
        return 1;
    }
    int rc = measure("getppid", null_call, rounds) | measure("recv (EAGAIN)", empty_recv, rounds) |
             measure("epoll_wait (none ready)", idle_epoll_wait, rounds) |
             measure("send + recv, 16 bytes", send_and_recv, rounds);
    return rc ? 1 : 0;
}
