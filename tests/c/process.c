/* process.c — see process.h. */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fcgi_client.h"
#include "process.h"

#define WAIT_LIMIT_MS 10000

static void move_fd(int from, int to)
{
    if (from == to) {
        int flags = fcntl(from, F_GETFD);
        fcntl(from, F_SETFD, flags & ~FD_CLOEXEC);
    } else if (dup2(from, to) < 0) {
        _exit(126);
    }
}

int process_free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
    close(fd);
    return ntohs(sa.sin_port);
}

pid_t process_start(char *const argv[], const struct child_setup *setup)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid > 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a test that died */
    if (setup->listen_fd >= 0)
        move_fd(setup->listen_fd, setup->listen_fd_target);
    if (setup->stdin_fd >= 0)
        move_fd(setup->stdin_fd, 0);
    if (setup->stdout_fd >= 0)
        move_fd(setup->stdout_fd, 1);
    /* nothing else of the test process leaks into the app */
    close_range(setup->listen_fd >= 0 && setup->listen_fd_target == 3 ? 4 : 3, ~0U, 0);
    if (setup->nofile > 0) {
        struct rlimit lim = {(rlim_t)setup->nofile, (rlim_t)setup->nofile};
        setrlimit(RLIMIT_NOFILE, &lim);
    }
    if (setup->systemd) {
        char pid_text[16];
        snprintf(pid_text, sizeof pid_text, "%d", (int)getpid());
        setenv("LISTEN_PID", pid_text, 1);
        setenv("LISTEN_FDS", "1", 1);
    }
    if (setup->env)
        execve(argv[0], argv, setup->env);
    else
        execv(argv[0], argv);
    _exit(127);
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

void process_wait_listening(const char *address)
{
    for (int waited = 0; waited < WAIT_LIMIT_MS; waited += 10) {
        int fd = fcc_connect(address);
        if (fd >= 0) {
            close(fd);
            return;
        }
        sleep_ms(10);
    }
    fprintf(stderr, "nothing listens on %s after %d ms\n", address, WAIT_LIMIT_MS);
    exit(1);
}

int process_wait(pid_t pid)
{
    int status;
    for (int waited = 0; waited < WAIT_LIMIT_MS; waited += 10) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        CHECK(r == 0);
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    fprintf(stderr, "process %d did not exit within %d ms\n", (int)pid, WAIT_LIMIT_MS);
    return -1;
}

int process_stop(pid_t pid)
{
    CHECK(kill(pid, SIGTERM) == 0);
    return process_wait(pid);
}

int process_fd_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    CHECK(d != NULL);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

long process_rss_kib(pid_t pid)
{
    char path[64];
    long size = 0, resident = 0;
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    FILE *f = fopen(path, "r");
    CHECK(f && fscanf(f, "%ld %ld", &size, &resident) == 2);
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int process_tagged_request(int fd, const char *tag, int keep, int timeout_ms)
{
    char query[64], expect[96];
    snprintf(query, sizeof query, "tag=%s", tag);
    snprintf(expect, sizeof expect, "\nquery=tag%%3D%s\n", tag);
    fcc_param p = fcc_str_param("QUERY_STRING", query);
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = &p, .n_params = 1,
                     .keep_conn = keep, .stdin_data = tag, .stdin_len = strlen(tag)};
    fcc_response resp;
    fcc_response_init(&resp);
    int rc = fcc_roundtrip(fd, &r, &resp, timeout_ms);
    if (rc != 0)
        fprintf(stderr, "request %s: no answer within %d ms: %s\n", tag, timeout_ms, fcc_error());
    else if (!memmem(resp.out.data, resp.out.len, expect, strlen(expect)))
        fprintf(stderr, "request %s: an answer without \"%s\"\n", tag, expect);
    int ok = rc == 0 && memmem(resp.out.data, resp.out.len, expect, strlen(expect));
    fcc_response_free(&resp);
    return ok ? 0 : -1;
}
