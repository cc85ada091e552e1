/* clock.h — the supervisor's one notion of "now" for deadlines: monotonic
 * milliseconds (never jumps with the wall clock). */
#ifndef SUP_CLOCK_H
#define SUP_CLOCK_H

#include <stdint.h>
#include <time.h>

/* sup_now_ms(): CLOCK_MONOTONIC in milliseconds. */
static inline int64_t sup_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
