/* spawn.c — see spawn.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "board.h"
/* the layout the library defines; the supervisor makes the board */
#include "../../src/scoreboard.h"
#include "signals.h"
#include "spawn.h"

/* In the child: reports errno to the parent and exits. */
static _Noreturn void fail(int report_fd, int err)
{
    ssize_t ignored = write(report_fd, &err, sizeof err);
    (void)ignored;
    _exit(127);
}

/* Closes every descriptor from `from` up except `keep` (> from). */
static void close_from_except(int from, int keep)
{
    if (close_range((unsigned)from, (unsigned)keep - 1, 0) == 0 &&
        close_range((unsigned)keep + 1, ~0U, 0) == 0)
        return;
    long max = sysconf(_SC_OPEN_MAX); /* kernels before 5.9: one by one */
    if (max < 0 || max > 1 << 20)
        max = 1 << 20;
    for (int fd = from; fd < max; fd++)
        if (fd != keep)
            close(fd);
}

static _Noreturn void run_child(char *const argv[], int listen_fd, int board_fd, int report_fd,
                                pid_t parent)
{
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
        fail(report_fd, errno);
    if (getppid() != parent) /* the supervisor died before prctl() */
        _exit(1);
    /* the report pipe moves above the board's place */
    if (report_fd <= SUP_BOARD_FD && (report_fd = fcntl(report_fd, F_DUPFD_CLOEXEC,
                                                         SUP_BOARD_FD + 1)) < 0)
        _exit(127);
    if (dup2(listen_fd, STDIN_FILENO) < 0) /* dup2() clears close-on-exec */
        fail(report_fd, errno);
    int with_board = board_fd >= 0 && (board_fd == SUP_BOARD_FD
                                           ? fcntl(board_fd, F_SETFD, 0) == 0
                                           : dup2(board_fd, SUP_BOARD_FD) == SUP_BOARD_FD);
    if (!with_board)
        close(SUP_BOARD_FD);
    close_from_except(SUP_BOARD_FD + 1, report_fd);
    if (with_board)
        setenv(FFC_BOARD_ENV, "3", 1);
    else
        unsetenv(FFC_BOARD_ENV);
    sup_signals_for_child();
    execvp(argv[0], argv);
    fail(report_fd, errno);
}

pid_t sup_spawn(char *const argv[], int listen_fd, int board_fd)
{
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0)
        return -errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        run_child(argv, listen_fd, board_fd, report[1], parent);
    int err = errno;
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        return -err;
    }
    /* EOF when the exec succeeded (the pipe is close-on-exec); errno if not. */
    ssize_t n;
    while ((n = read(report[0], &err, sizeof err)) < 0 && errno == EINTR)
        ;
    close(report[0]);
    if (n == (ssize_t)sizeof err) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return -err;
    }
    return pid;
}
