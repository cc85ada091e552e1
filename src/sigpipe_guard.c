/* sigpipe_guard.c — a peer that vanishes must not kill the host with
 * SIGPIPE, and the host's disposition must not change. While libfcgi writes,
 * SIGPIPE is blocked in the calling thread only; a SIGPIPE a failed write
 * raised (thread-directed, so it is pending on this thread) is consumed
 * before the mask is restored. If the host had SIGPIPE blocked already, nothing is
 * touched. */
#include <errno.h>
#include <signal.h>
#include <time.h>

#include "sigpipe_guard.h"

void ffc_sigpipe_hold(struct ffc_sigpipe_guard *g)
{
    sigset_t pipe_only, old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    g->was_blocked = sigismember(&old, SIGPIPE);
    g->active = 1;
}

void ffc_sigpipe_release(struct ffc_sigpipe_guard *g, int write_failed)
{
    if (!g->active || g->was_blocked)
        return;
    g->active = 0;
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    int saved_errno = errno;
    if (write_failed) { /* only a failed write can have raised SIGPIPE */
        const struct timespec now = {0, 0};
        while (sigtimedwait(&pipe_only, NULL, &now) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_UNBLOCK, &pipe_only, NULL);
    errno = saved_errno;
}
