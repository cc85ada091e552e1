/* backoff.h — how long to wait before restarting a worker that ended:
 * exponential back-off, so that an app that crashes at once is restarted
 * ever more slowly instead of spinning the CPU. */
#ifndef SUP_BACKOFF_H
#define SUP_BACKOFF_H

#include <stdint.h>

#define SUP_BACKOFF_INITIAL_MS 100

struct sup_backoff {
    int max_ms;    /* the cap (>= SUP_BACKOFF_INITIAL_MS) */
    int stable_ms; /* a worker that ran this long resets the back-off */
};

/* sup_backoff_next(): the delay before the next start of a worker that ran
 * `ran_ms` and ended, given the delay before its own start (`prev_ms`, 0 for
 * a first start): SUP_BACKOFF_INITIAL_MS after a first start or a stable
 * run, else twice `prev_ms`, at most max_ms. Pure; never below
 * SUP_BACKOFF_INITIAL_MS. */
int sup_backoff_next(const struct sup_backoff *b, int prev_ms, int64_t ran_ms);

#endif
