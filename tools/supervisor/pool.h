/* pool.h — the workers: N slots, each normally holding one serving worker.
 * The pool decides when to start, restart, replace and stop them; the main
 * loop feeds it the events (a worker reaped, SIGHUP, a stop) and the time,
 * and sleeps until sup_pool_timeout(). Nothing here blocks or polls.
 *
 * Life of a slot's worker:
 *   - ends on its own: logged with why and how long it ran; restarted after
 *     the back-off delay (backoff.h);
 *   - SIGHUP (rolling restart): slots are replaced one at a time: a new
 *     worker is started beside the old one; once it has stayed up
 *     `ready_ms`, the old one gets SIGTERM and finishes its requests; the
 *     next slot starts when the old worker has exited. If the new worker
 *     ends before `ready_ms`, the old one keeps serving and the rolling
 *     restart stops there (logged); another SIGHUP starts it again;
 *   - stop: SIGTERM to every worker; SIGKILL to those still there after
 *     `grace_ms` (or at once with `force`); no restarts.
 * A worker sent SIGTERM outside a stop (a replaced one) also gets SIGKILL
 * after `grace_ms`. Every event is logged (log.h). */
#ifndef SUP_POOL_H
#define SUP_POOL_H

#include <stdint.h>
#include <sys/types.h>

#include "backoff.h"

struct sup_pool_config {
    char **argv;   /* APP ARGS..., NULL-terminated; borrowed for the pool's life */
    int listen_fd; /* handed to every worker as fd 0 (spawn.h) */
    int board_fd;  /* the scoreboard, as fd 3 (board.h); -1: none */
    int workers;   /* number of slots, >= 1 */
    int grace_ms;
    int ready_ms;
    struct sup_backoff backoff;
};

struct sup_pool;

/* sup_pool_start(): creates the pool and starts one worker per slot. If the
 * first worker cannot be started at all (APP missing or not executable,
 * fork failing), nothing is left running and the negative errno is
 * returned with *out NULL; a later slot that fails is retried with
 * back-off. Returns 0 or -errno (-ENOMEM). */
int sup_pool_start(struct sup_pool **out, const struct sup_pool_config *cfg, int64_t now_ms);

/* sup_pool_reaped(): a child ended (from waitpid()); unknown pids are
 * ignored. */
void sup_pool_reaped(struct sup_pool *pool, pid_t pid, int status, int64_t now_ms);

/* sup_pool_rolling_restart(): begins replacing every worker started before
 * now, one slot at a time (during a rolling restart that includes the
 * workers it has already started). Ignored while stopping. */
void sup_pool_rolling_restart(struct sup_pool *pool, int64_t now_ms);

/* sup_pool_stop(): begins the stop (see above); `force` sends SIGKILL now. */
void sup_pool_stop(struct sup_pool *pool, int force, int64_t now_ms);

/* sup_pool_tick(): does whatever is due at now_ms: restarts, the next step
 * of a rolling restart, SIGKILL after the grace period. */
void sup_pool_tick(struct sup_pool *pool, int64_t now_ms);

/* sup_pool_timeout(): milliseconds until the next thing is due (0 if
 * overdue), -1 if nothing is scheduled: the poll() timeout. */
int sup_pool_timeout(const struct sup_pool *pool, int64_t now_ms);

/* sup_pool_stopping(): 1 once a stop has begun. */
int sup_pool_stopping(const struct sup_pool *pool);

/* sup_pool_done(): 1 when stopping and every worker has been reaped. */
int sup_pool_done(const struct sup_pool *pool);

/* sup_pool_free(): frees the pool (it does not signal or wait for
 * workers). NULL is a no-op. */
void sup_pool_free(struct sup_pool *pool);

#endif
