/* pool.c — see pool.h. Processes and slots are kept apart: a slot holds the
 * back-off state; each process records its slot and its role in it. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <ffcgi.h>

#include "board.h"
#include "log.h"
#include "pool.h"
#include "spawn.h"

enum role {
    SERVING,  /* the slot's worker */
    STARTING, /* a rolling restart's new worker, not yet `ready_ms` old */
    RETIRING  /* a replaced worker finishing its requests after SIGTERM */
};

struct proc {
    pid_t pid;           /* 0: a free entry */
    int slot;
    enum role role;
    int64_t started_ms;
    unsigned generation; /* the pool's generation when it was started */
    int64_t term_ms;     /* when it was sent SIGTERM; -1: not yet */
    int killed;          /* SIGKILL sent */
};

struct slot {
    int delay_ms;       /* the back-off delay before the latest start; 0: none */
    int64_t restart_ms; /* when to start its next worker; -1: not scheduled */
};

struct sup_pool {
    struct sup_pool_config cfg;
    struct slot *slots;
    struct proc *procs; /* at most workers + 2 at once (one STARTING, one RETIRING) */
    int nprocs;
    unsigned generation; /* bumped by each rolling restart */
    int rolling;
    int stopping;
};

static double seconds(int64_t ms)
{
    return (double)ms / 1000.0;
}

static struct proc *find(struct sup_pool *pool, pid_t pid)
{
    for (int i = 0; i < pool->nprocs; i++)
        if (pool->procs[i].pid == pid)
            return &pool->procs[i];
    return NULL;
}

/* The process of `slot` in `role`; with slot -1, of any slot. */
static struct proc *in_role(struct sup_pool *pool, int slot, enum role role)
{
    for (int i = 0; i < pool->nprocs; i++) {
        struct proc *p = &pool->procs[i];
        if (p->pid && p->role == role && (slot < 0 || p->slot == slot))
            return p;
    }
    return NULL;
}

static void send(struct proc *p, int signo, int64_t now_ms)
{
    kill(p->pid, signo);
    if (signo == SIGKILL)
        p->killed = 1;
    else if (p->term_ms < 0)
        p->term_ms = now_ms;
}

/* Starts a worker for `slot` in `role`; 0 or -errno (logged by the caller). */
static int start(struct sup_pool *pool, int slot, enum role role, int64_t now_ms)
{
    struct proc *entry = find(pool, 0);
    if (!entry)
        return -EAGAIN; /* cannot happen: see the bound on procs */
    pid_t pid = sup_spawn(pool->cfg.argv, pool->cfg.listen_fd, pool->cfg.board_fd);
    if (pid < 0)
        return pid;
    *entry = (struct proc){.pid = pid, .slot = slot, .role = role, .started_ms = now_ms,
                           .generation = pool->generation, .term_ms = -1};
    struct proc *old = role == STARTING ? in_role(pool, slot, SERVING) : NULL;
    if (old)
        sup_log("worker %d pid %d started (rolling restart: to replace pid %d)", slot + 1,
                (int)pid, (int)old->pid);
    else
        sup_log("worker %d pid %d started", slot + 1, (int)pid);
    return 0;
}

/* Schedules the slot's next start after its back-off delay; returns it. */
static int schedule_restart(struct sup_pool *pool, int slot, int64_t ran_ms, int64_t now_ms)
{
    struct slot *s = &pool->slots[slot];
    s->delay_ms = sup_backoff_next(&pool->cfg.backoff, s->delay_ms, ran_ms);
    s->restart_ms = now_ms + s->delay_ms;
    return s->delay_ms;
}

static void restart_due(struct sup_pool *pool, int64_t now_ms)
{
    for (int i = 0; i < pool->cfg.workers; i++) {
        struct slot *s = &pool->slots[i];
        if (s->restart_ms < 0 || now_ms < s->restart_ms)
            continue;
        s->restart_ms = -1;
        int rc = start(pool, i, SERVING, now_ms);
        if (rc < 0) {
            int delay = schedule_restart(pool, i, 0, now_ms);
            sup_log("worker %d: cannot start %s: %s; retrying in %d ms", i + 1,
                    pool->cfg.argv[0], strerror(-rc), delay);
        }
    }
}

int sup_pool_start(struct sup_pool **out, const struct sup_pool_config *cfg, int64_t now_ms)
{
    *out = NULL;
    struct sup_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return -ENOMEM;
    pool->cfg = *cfg;
    pool->nprocs = cfg->workers + 2;
    pool->slots = calloc((size_t)cfg->workers, sizeof *pool->slots);
    pool->procs = calloc((size_t)pool->nprocs, sizeof *pool->procs);
    if (!pool->slots || !pool->procs) {
        sup_pool_free(pool);
        return -ENOMEM;
    }
    for (int i = 0; i < cfg->workers; i++)
        pool->slots[i].restart_ms = now_ms; /* due now: started below */
    int rc = start(pool, 0, SERVING, now_ms);
    if (rc < 0) {
        sup_pool_free(pool);
        return rc;
    }
    pool->slots[0].restart_ms = -1;
    restart_due(pool, now_ms);
    *out = pool;
    return 0;
}

/* A worker that retired (a recycling limit of the library) is replaced
 * at once if it served a request or ran a while: one that exits 75 at
 * start without serving is treated as a crash, so that it cannot make the
 * supervisor spin. A busy worker may reach --max-requests within a few
 * milliseconds of starting: what it served is what tells it apart. */
static int retired(int status, int64_t ran_ms, long long served)
{
    return WIFEXITED(status) && WEXITSTATUS(status) == FFCGI_RETIRED_EXIT_STATUS &&
           (served > 0 || ran_ms >= SUP_BACKOFF_INITIAL_MS);
}

void sup_pool_reaped(struct sup_pool *pool, pid_t pid, int status, int64_t now_ms)
{
    long long served = sup_board_reaped(pid);
    struct proc *p = find(pool, pid);
    if (!pid || !p)
        return;
    char why[96];
    sup_describe_status(why, sizeof why, status);
    int n = p->slot + 1;
    double ran = seconds(now_ms - p->started_ms);
    struct proc *other;
    if (pool->stopping) {
        sup_log("worker %d pid %d %s after %.3f s (stopping)", n, (int)pid, why, ran);
    } else if (p->role == RETIRING) {
        sup_log("worker %d pid %d %s after %.3f s (replaced)", n, (int)pid, why, ran);
    } else if (p->role == STARTING) {
        other = in_role(pool, p->slot, SERVING);
        sup_log("worker %d pid %d %s after %.3f s, before it was ready; rolling restart "
                "stopped, pid %d keeps serving", n, (int)pid, why, ran,
                other ? (int)other->pid : 0);
        pool->rolling = 0;
    } else if ((other = in_role(pool, p->slot, STARTING))) {
        other->role = SERVING;
        sup_log("worker %d pid %d %s after %.3f s; pid %d (rolling restart) takes its place",
                n, (int)pid, why, ran, (int)other->pid);
    } else if (retired(status, now_ms - p->started_ms, served)) {
        struct slot *s = &pool->slots[p->slot];
        s->delay_ms = 0; /* not a crash: the back-off starts afresh */
        s->restart_ms = now_ms;
        sup_log("worker %d pid %d retired (exit status %d) after %.3f s; replacing it now", n,
                (int)pid, FFCGI_RETIRED_EXIT_STATUS, ran);
    } else {
        int delay = schedule_restart(pool, p->slot, now_ms - p->started_ms, now_ms);
        sup_log("worker %d pid %d %s after %.3f s; restarting in %d ms", n, (int)pid, why,
                ran, delay);
    }
    p->pid = 0;
}

void sup_pool_rolling_restart(struct sup_pool *pool, int64_t now_ms)
{
    (void)now_ms;
    if (pool->stopping)
        return;
    pool->generation++;
    pool->rolling = 1;
    sup_log("rolling restart: replacing the workers one at a time (each new one up %d ms "
            "before the old one gets SIGTERM)", pool->cfg.ready_ms);
}

/* The next step of a rolling restart, if one is due. */
static void roll(struct sup_pool *pool, int64_t now_ms)
{
    struct proc *fresh = in_role(pool, -1, STARTING);
    if (fresh) {
        if (now_ms - fresh->started_ms < pool->cfg.ready_ms)
            return;
        struct proc *old = in_role(pool, fresh->slot, SERVING);
        fresh->role = SERVING;
        if (old) {
            old->role = RETIRING;
            send(old, SIGTERM, now_ms);
            sup_log("worker %d pid %d up %lld ms: SIGTERM to pid %d, which it replaces",
                    fresh->slot + 1, (int)fresh->pid, (long long)(now_ms - fresh->started_ms),
                    (int)old->pid);
        }
        return;
    }
    if (!pool->rolling || in_role(pool, -1, RETIRING))
        return; /* one at a time: the replaced worker has not exited yet */
    for (int i = 0; i < pool->nprocs; i++) {
        struct proc *p = &pool->procs[i];
        if (p->pid && p->role == SERVING && p->generation != pool->generation) {
            int rc = start(pool, p->slot, STARTING, now_ms);
            if (rc < 0) {
                sup_log("worker %d: cannot start %s: %s; rolling restart stopped",
                        p->slot + 1, pool->cfg.argv[0], strerror(-rc));
                pool->rolling = 0;
            }
            return;
        }
    }
    pool->rolling = 0;
    sup_log("rolling restart done");
}

static void kill_overdue(struct sup_pool *pool, int64_t now_ms)
{
    for (int i = 0; i < pool->nprocs; i++) {
        struct proc *p = &pool->procs[i];
        if (p->pid && p->term_ms >= 0 && !p->killed &&
            now_ms - p->term_ms >= pool->cfg.grace_ms) {
            sup_log("worker %d pid %d still running %d ms after SIGTERM: sending SIGKILL",
                    p->slot + 1, (int)p->pid, pool->cfg.grace_ms);
            send(p, SIGKILL, now_ms);
        }
    }
}

void sup_pool_stop(struct sup_pool *pool, int force, int64_t now_ms)
{
    int signalled = 0;
    if (!pool->stopping) {
        pool->stopping = 1;
        pool->rolling = 0;
        for (int i = 0; i < pool->cfg.workers; i++)
            pool->slots[i].restart_ms = -1;
    }
    for (int i = 0; i < pool->nprocs; i++) {
        struct proc *p = &pool->procs[i];
        if (p->pid && !p->killed && (force || p->term_ms < 0)) {
            send(p, force ? SIGKILL : SIGTERM, now_ms);
            signalled++;
        }
    }
    const char *s = signalled == 1 ? "" : "s";
    if (force)
        sup_log("stopping now: SIGKILL sent to %d worker%s", signalled, s);
    else
        sup_log("stopping: SIGTERM sent to %d worker%s; SIGKILL after %d ms", signalled, s,
                pool->cfg.grace_ms);
}

void sup_pool_tick(struct sup_pool *pool, int64_t now_ms)
{
    if (!pool->stopping) {
        restart_due(pool, now_ms);
        roll(pool, now_ms);
    }
    kill_overdue(pool, now_ms);
}

static void earliest(int64_t *due, int64_t t)
{
    if (*due < 0 || t < *due)
        *due = t;
}

int sup_pool_timeout(const struct sup_pool *pool, int64_t now_ms)
{
    int64_t due = -1;
    for (int i = 0; !pool->stopping && i < pool->cfg.workers; i++)
        if (pool->slots[i].restart_ms >= 0)
            earliest(&due, pool->slots[i].restart_ms);
    for (int i = 0; i < pool->nprocs; i++) {
        const struct proc *p = &pool->procs[i];
        if (!p->pid)
            continue;
        if (p->role == STARTING && !pool->stopping)
            earliest(&due, p->started_ms + pool->cfg.ready_ms);
        if (p->term_ms >= 0 && !p->killed)
            earliest(&due, p->term_ms + pool->cfg.grace_ms);
    }
    if (due < 0)
        return -1;
    int64_t left = due - now_ms;
    return left <= 0 ? 0 : left > 3600000 ? 3600000 : (int)left;
}

int sup_pool_stopping(const struct sup_pool *pool)
{
    return pool->stopping;
}

int sup_pool_done(const struct sup_pool *pool)
{
    if (!pool->stopping)
        return 0;
    for (int i = 0; i < pool->nprocs; i++)
        if (pool->procs[i].pid)
            return 0;
    return 1;
}

void sup_pool_free(struct sup_pool *pool)
{
    if (!pool)
        return;
    free(pool->slots);
    free(pool->procs);
    free(pool);
}
