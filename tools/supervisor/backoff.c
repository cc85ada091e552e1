/* backoff.c — see backoff.h. */
#include "backoff.h"

int sup_backoff_next(const struct sup_backoff *b, int prev_ms, int64_t ran_ms)
{
    if (prev_ms <= 0 || ran_ms >= b->stable_ms)
        return SUP_BACKOFF_INITIAL_MS;
    int64_t next = (int64_t)prev_ms * 2;
    if (next > b->max_ms)
        next = b->max_ms;
    return next < SUP_BACKOFF_INITIAL_MS ? SUP_BACKOFF_INITIAL_MS : (int)next;
}
