/* process.h — starts an app as a child process for the end-to-end tests
 * and stops it by PID. */
#ifndef TESTS_PROCESS_H
#define TESTS_PROCESS_H

#include <sys/types.h>

struct child_setup {
    int listen_fd;          /* -1, or a listening socket to hand over */
    int listen_fd_target;   /* 0 (FastCGI convention) or 3 (systemd) */
    int systemd;            /* set LISTEN_PID/LISTEN_FDS in the child */
    int stdin_fd;           /* -1, or a descriptor to become stdin (CGI) */
    int stdout_fd;          /* -1, or a descriptor to become stdout (CGI) */
    char *const *env;       /* NULL: inherit; else the whole environment */
    int nofile;             /* 0, or the child's RLIMIT_NOFILE */
};

/* Descriptors open in process pid (from /proc), and its resident set in KiB. */
int process_fd_count(pid_t pid);
long process_rss_kib(pid_t pid);

/* A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0,
 * then released). */
int process_free_port(void);
/* Forks and execs argv[0] as set up; exits the test on failure. */
pid_t process_start(char *const argv[], const struct child_setup *setup);
/* Waits (bounded) until `address` accepts connections. */
void process_wait_listening(const char *address);
/* Sends SIGTERM, waits (bounded, then SIGKILL) and returns the exit status
 * (-1 if it did not exit normally). */
int process_stop(pid_t pid);
/* Waits (bounded) for the child to exit; returns its exit status or -1. */
int process_wait(pid_t pid);

/* One request to an echo app on fd (QUERY_STRING "tag=TAG", body TAG)
 * whose answer must echo that very query, within timeout_ms. Returns 0, or
 * -1 after printing why to stderr. */
int process_tagged_request(int fd, const char *tag, int keep, int timeout_ms);

#endif
