/* sigpipe_guard.h — plain CGI writes with write(), which raises SIGPIPE
 * when the reader is gone; these keep it from the host (sigpipe_guard.c).
 * (FastCGI connections use send(MSG_NOSIGNAL) and need no guard.) */
#ifndef FFCGI_SIGPIPE_GUARD_H
#define FFCGI_SIGPIPE_GUARD_H

struct ffc_sigpipe_guard {
    int was_blocked;
    int active;
};
/* Blocks SIGPIPE in the calling thread until ffc_sigpipe_release(). */
void ffc_sigpipe_hold(struct ffc_sigpipe_guard *g);
/* Restores the mask; if a write failed meanwhile (`write_failed`), first
 * discards the SIGPIPE it may have raised on this thread. */
void ffc_sigpipe_release(struct ffc_sigpipe_guard *g, int write_failed);

#endif
