/* signals.h — the signals the supervisor acts on, delivered through a
 * signalfd so that the main loop polls one descriptor and no handler ever
 * runs: SIGCHLD (a worker ended), SIGTERM and SIGINT (stop), SIGHUP
 * (rolling restart). */
#ifndef SUP_SIGNALS_H
#define SUP_SIGNALS_H

/* sup_signals_open(): sets those four signals to their default action (a
 * parent's SIG_IGN, e.g. from nohup, would discard them, and an ignored
 * SIGCHLD would reap workers behind the supervisor's back), blocks them and
 * returns a non-blocking, close-on-exec signalfd that reports them; -1 with
 * errno set on failure. */
int sup_signals_open(void);

/* sup_signals_next(): the number of the next pending signal on `fd`, or 0
 * when none is pending. */
int sup_signals_next(int fd);

/* sup_signals_for_child(): in a forked child before exec: unblocks every
 * signal, so the app starts with an empty signal mask (a blocked SIGTERM
 * would survive exec and make the worker deaf to a graceful stop).
 * Async-signal-safe. */
void sup_signals_for_child(void);

#endif
