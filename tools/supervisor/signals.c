/* signals.c — see signals.h. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "signals.h"

static const int handled[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP};

int sup_signals_open(void)
{
    sigset_t set;
    sigemptyset(&set);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++) {
        sigaction(handled[i], &dfl, NULL);
        sigaddset(&set, handled[i]);
    }
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int sup_signals_next(int fd)
{
    struct signalfd_siginfo si;
    ssize_t n;
    while ((n = read(fd, &si, sizeof si)) < 0 && errno == EINTR)
        ;
    return n == (ssize_t)sizeof si ? (int)si.ssi_signo : 0;
}

void sup_signals_for_child(void)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}
