/* loop.c — see loop.h. One epoll set per server: the listener (one-shot:
 * re-armed after each accept, so one thread is woken per connection), the
 * wake pipe (level-triggered: after a shutdown it wakes every waiter), and
 * every held connection (edge-triggered; an event for a connection a
 * thread already holds only marks it `pending`). Connections live in
 * slots; an event carries slot and generation, so an event that outlived
 * its connection is recognised and dropped. Idle connections sit in one
 * list, oldest first: all share the idle limit, so the head expires
 * first, and waiting threads sleep no longer than until then. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "loop.h"
#include "scoreboard.h"
#include "server.h"

#define LISTENER_TAG UINT64_MAX
#define WAKE_TAG (UINT64_MAX - 1)
#define RESOURCE_PAUSE_MS 50
/* A waiting thread looks at the set at least this often: a safety net,
 * so that anything a waiting thread holds up (as a socket closed while it
 * polled it did, before close_conn_locked() removed it from the set first)
 * waits a second at most. */
#define MAX_WAIT_MS 1000
/* After a shutdown, connections on which nothing was served yet get this
 * long in all (or the idle limit, if shorter) to send their first request. */
#define DRAIN_MS 5000

struct ffc_loop {
    int epfd;
    pthread_mutex_t lock;
    struct ffc_conn **slots;   /* every connection struct, reused */
    uint32_t nslots, slot_cap;
    uint32_t *free_slots;      /* slots whose connection is closed */
    uint32_t nfree;
    size_t held;               /* open connections, idle or owned */
    int listener_paused;       /* at the connection limit: not re-armed */
    int64_t drain_deadline_ms; /* after a shutdown: when draining ends; 0 before */
    struct ffc_conn *idle_head, *idle_tail;
};

static int64_t now_ms(void)
{
    return ffc_now_us() / 1000;
}

static uint64_t tag_of(const struct ffc_conn *c)
{
    return (uint64_t)c->generation << 32 | c->slot;
}

static int epoll_set(struct ffc_loop *loop, int op, int fd, uint32_t events, uint64_t tag)
{
    struct epoll_event ev = {.events = events, .data.u64 = tag};
    if (epoll_ctl(loop->epfd, op, fd, &ev) == 0)
        return 0;
    return ffc_fail_errno(FFCGI_ESOCKET, errno, "epoll_ctl on fd %d", fd);
}

int ffc_loop_open(struct ffcgi_server *srv)
{
    struct ffc_loop *loop = calloc(1, sizeof *loop);
    if (!loop)
        return ffc_fail(FFCGI_ENOMEM, "cannot allocate the connection loop");
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        int err = errno;
        free(loop);
        return ffc_fail_errno(FFCGI_ESOCKET, err, "epoll_create1");
    }
    pthread_mutex_init(&loop->lock, NULL);
    srv->loop = loop;
    int rc = epoll_set(loop, EPOLL_CTL_ADD, srv->wake_pipe[0], EPOLLIN, WAKE_TAG);
    if (rc == 0)
        rc = epoll_set(loop, EPOLL_CTL_ADD, srv->fd, EPOLLIN | EPOLLONESHOT, LISTENER_TAG);
    if (rc < 0) {
        ffc_loop_free(loop);
        srv->loop = NULL;
    }
    return rc;
}

static void free_conn_memory(struct ffc_conn *c)
{
    ffc_buf_release(&c->in);
    ffc_buf_release(&c->replies);
    ffc_parser_reset(&c->parser);
}

void ffc_loop_free(struct ffc_loop *loop)
{
    if (!loop)
        return;
    for (uint32_t i = 0; i < loop->nslots; i++) {
        struct ffc_conn *c = loop->slots[i];
        if (c->fd >= 0)
            close(c->fd);
        free_conn_memory(c);
        free(c);
    }
    free(loop->slots);
    free(loop->free_slots);
    close(loop->epfd);
    pthread_mutex_destroy(&loop->lock);
    free(loop);
}

/* ---- the idle list (under the lock) ---- */

static void unlink_idle(struct ffc_loop *loop, struct ffc_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        loop->idle_head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        loop->idle_tail = c->prev;
    c->prev = c->next = NULL;
}

static void append_idle(struct ffc_loop *loop, struct ffc_conn *c)
{
    c->prev = loop->idle_tail;
    c->next = NULL;
    if (loop->idle_tail)
        loop->idle_tail->next = c;
    else
        loop->idle_head = c;
    loop->idle_tail = c;
}

/* ---- slots (under the lock) ---- */

static int grow_slots(struct ffc_loop *loop)
{
    uint32_t cap = loop->slot_cap ? loop->slot_cap * 2 : 64;
    struct ffc_conn **slots = realloc(loop->slots, cap * sizeof *slots);
    if (slots)
        loop->slots = slots;
    uint32_t *free_slots = slots ? realloc(loop->free_slots, cap * sizeof *free_slots) : NULL;
    if (!free_slots)
        return ffc_fail(FFCGI_ENOMEM, "cannot hold %u connections", cap);
    loop->free_slots = free_slots;
    loop->slot_cap = cap;
    return 0;
}

/* A connection struct for fd, owned by the caller. */
static struct ffc_conn *new_conn(struct ffc_loop *loop, int fd)
{
    struct ffc_conn *c;
    if (loop->nfree > 0) {
        c = loop->slots[loop->free_slots[--loop->nfree]];
    } else {
        if (loop->nslots == loop->slot_cap && grow_slots(loop) < 0)
            return NULL;
        if (!(c = calloc(1, sizeof *c))) {
            ffc_fail(FFCGI_ENOMEM, "cannot allocate a connection");
            return NULL;
        }
        c->slot = loop->nslots;
        loop->slots[loop->nslots++] = c;
    }
    c->fd = fd;
    c->pos = 0;
    c->served = c->output_failed = c->maybe_more = c->drained = 0;
    atomic_store_explicit(&c->hung_up, 0, memory_order_relaxed);
    c->registered = c->armed = 0;
    c->owned = 1;
    c->pending = 0;
    c->parser.stage = FFC_AT_BEGIN;
    loop->held++;
    return c;
}

/* Closes c (not in the idle list) and frees its slot. Returns 1 if the
 * listener was paused and may now be re-armed. A registered connection
 * leaves the epoll set first: a thread polling it at that moment would
 * otherwise hold the last reference, and the socket (and the web server's
 * EOF) would wait until that thread next returns from epoll_wait. */
static int close_conn_locked(struct ffc_loop *loop, struct ffc_conn *c, size_t limit)
{
    if (c->registered)
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    free_conn_memory(c);
    c->generation++;
    c->owned = 0;
    loop->free_slots[loop->nfree++] = c->slot;
    loop->held--;
    if (loop->listener_paused && loop->held < limit) {
        loop->listener_paused = 0;
        return 1;
    }
    return 0;
}

static void rearm_listener(struct ffcgi_server *srv)
{
    epoll_set(srv->loop, EPOLL_CTL_MOD, srv->fd, EPOLLIN | EPOLLONESHOT, LISTENER_TAG);
}

static size_t connection_limit(const struct ffcgi_server *srv)
{
    return atomic_load_explicit(&srv->limits.connections, memory_order_relaxed);
}

/* A connection that stopped mid-request (a half-sent head, a body the app
 * left unread) is closed by the idle limit: a warning, as it may be an
 * attack or a broken web server. */
static void log_stalled(struct ffcgi_server *srv, const struct ffc_conn *c)
{
    ffc_board_count(srv, FFC_COUNT_TIMEOUTS);
    if (!ffc_log_enabled(srv, FFCGI_LOG_WARNING))
        return;
    char peer[80];
    ffc_peer_describe(c->fd, peer, sizeof peer);
    ffc_log(srv, FFCGI_LOG_WARNING,
            "connection from %s stalled mid-request past FFCGI_LIMIT_IDLE_MS: closed", peer);
}

/* Closes idle connections whose deadline passed; returns how long the
 * next may wait (-1: for ever). Under the lock. */
static int expire_idle(struct ffcgi_server *srv, int *rearm)
{
    struct ffc_loop *loop = srv->loop;
    int64_t now = now_ms();
    while (loop->idle_head && loop->idle_head->deadline_ms <= now) {
        struct ffc_conn *c = loop->idle_head;
        unlink_idle(loop, c);
        if (c->parser.stage != FFC_AT_BEGIN || ffc_conn_buffered(c) > 0)
            log_stalled(srv, c);
        *rearm |= close_conn_locked(loop, c, connection_limit(srv));
    }
    if (!loop->idle_head || loop->idle_head->deadline_ms == INT64_MAX)
        return -1;
    int64_t wait = loop->idle_head->deadline_ms - now;
    return wait > INT_MAX ? INT_MAX : (int)wait;
}

/* At the connection limit: closes the longest-idle connection that waits
 * between requests, if there is one. Returns 1 if one was closed. */
static int make_room(struct ffcgi_server *srv)
{
    struct ffc_loop *loop = srv->loop;
    for (struct ffc_conn *c = loop->idle_head; c; c = c->next) {
        if (c->served && c->parser.stage == FFC_AT_BEGIN && ffc_conn_buffered(c) == 0) {
            unlink_idle(loop, c);
            close_conn_locked(loop, c, connection_limit(srv));
            return 1;
        }
    }
    return 0;
}

/* Out of descriptors or memory: pause briefly (still wakeable), retry. */
static int is_resource_error(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

static int is_fatal_accept_error(int err)
{
    return err == EBADF || err == EINVAL || err == ENOTSOCK || err == EFAULT;
}

/* The listener is readable: accepts one connection. Returns 1 with *out,
 * 0 if there was none to take, or FFCGI_ESOCKET. */
static int accept_one(struct ffcgi_server *srv, struct ffc_conn **out)
{
    struct ffc_loop *loop = srv->loop;
    pthread_mutex_lock(&loop->lock);
    if (loop->held >= connection_limit(srv) && !make_room(srv)) {
        int newly = !loop->listener_paused;
        loop->listener_paused = 1; /* re-armed when a connection closes */
        pthread_mutex_unlock(&loop->lock);
        if (newly) {
            ffc_board_count(srv, FFC_COUNT_LIMIT_REFUSALS);
            ffc_log(srv, FFCGI_LOG_WARNING,
                    "%zu connections held (FFCGI_LIMIT_CONNECTIONS): new connections wait "
                    "in the listen queue until one closes", connection_limit(srv));
        }
        return 0;
    }
    pthread_mutex_unlock(&loop->lock);
    int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        if (is_fatal_accept_error(err)) {
            ffc_log(srv, FFCGI_LOG_ERROR, "accept on fd %d failed for good: %s", srv->fd,
                    strerror(err));
            return ffc_fail_errno(FFCGI_ESOCKET, err, "accept on fd %d", srv->fd);
        }
        if (is_resource_error(err)) {
            /* out of descriptors: an idle kept connection makes way, else
             * the connections wait in the backlog a little */
            pthread_mutex_lock(&loop->lock);
            int made_room = make_room(srv);
            pthread_mutex_unlock(&loop->lock);
            struct pollfd p = {.fd = srv->wake_pipe[0], .events = POLLIN};
            if (!made_room)
                poll(&p, 1, RESOURCE_PAUSE_MS);
        }
        rearm_listener(srv);
        return 0;
    }
    rearm_listener(srv);
    if (!ffc_allow_peer(&srv->allow, fd)) {
        ffc_board_count(srv, FFC_COUNT_REFUSED_PEERS);
        if (ffc_log_enabled(srv, FFCGI_LOG_WARNING)) {
            char peer[80];
            ffc_peer_describe(fd, peer, sizeof peer);
            ffc_log(srv, FFCGI_LOG_WARNING, "connection from %s refused: not in the allow-list",
                    peer);
        }
        close(fd);
        return 0;
    }
    if (srv->is_tcp) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ffc_board_count(srv, FFC_COUNT_CONNECTIONS);
    if (ffc_log_enabled(srv, FFCGI_LOG_DEBUG)) {
        char peer[80];
        ffc_peer_describe(fd, peer, sizeof peer);
        ffc_log(srv, FFCGI_LOG_DEBUG, "connection from %s accepted", peer);
    }
    pthread_mutex_lock(&loop->lock);
    struct ffc_conn *c = new_conn(loop, fd);
    pthread_mutex_unlock(&loop->lock);
    if (!c) {
        close(fd);
        return 0;
    }
    *out = c;
    return 1;
}

/* The event of connection `tag`: 1 with *out if the caller now owns it.
 * An edge-triggered event may stand for input and the web server's close
 * at once; a short read then empties the socket but does not show the
 * close, so the close is noted (hung_up) for the reader. */
static int claim(struct ffc_loop *loop, uint64_t tag, uint32_t events, struct ffc_conn **out)
{
    uint32_t slot = (uint32_t)tag, generation = (uint32_t)(tag >> 32);
    int taken = 0;
    pthread_mutex_lock(&loop->lock);
    struct ffc_conn *c = slot < loop->nslots ? loop->slots[slot] : NULL;
    if (c && c->generation == generation && c->fd >= 0) {
        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            atomic_store_explicit(&c->hung_up, 1, memory_order_relaxed);
        if (c->owned) {
            c->pending = 1;
        } else {
            unlink_idle(loop, c);
            c->owned = 1;
            c->drained = 0; /* the event says there is input */
            taken = 1;
            *out = c;
        }
    }
    pthread_mutex_unlock(&loop->lock);
    return taken;
}

/* After shutdown: a connection on which nothing was served yet, and how
 * long its first request may still take (*wait_ms); or NULL once none is
 * left or the drain time is over (the others are closed then). Under the
 * lock. */
static struct ffc_conn *drain_next(struct ffcgi_server *srv, int *wait_ms)
{
    struct ffc_loop *loop = srv->loop;
    int64_t now = now_ms();
    if (loop->drain_deadline_ms == 0) {
        int idle_ms = atomic_load_explicit(&srv->limits.idle_ms, memory_order_relaxed);
        loop->drain_deadline_ms = now + (idle_ms > 0 && idle_ms < DRAIN_MS ? idle_ms : DRAIN_MS);
    }
    for (struct ffc_conn *c = loop->idle_head; c && now < loop->drain_deadline_ms; c = c->next) {
        if (!c->served) {
            unlink_idle(loop, c);
            c->owned = 1;
            *wait_ms = (int)(loop->drain_deadline_ms - now);
            return c;
        }
    }
    while (loop->idle_head) {
        struct ffc_conn *c = loop->idle_head;
        unlink_idle(loop, c);
        close_conn_locked(loop, c, connection_limit(srv));
    }
    return NULL;
}

int ffc_loop_take(struct ffcgi_server *srv, struct ffc_conn **out, int *wait_ms)
{
    struct ffc_loop *loop = srv->loop;
    *wait_ms = 0;
    for (;;) {
        int rearm = 0;
        pthread_mutex_lock(&loop->lock);
        int timeout = expire_idle(srv, &rearm);
        if (atomic_load(&srv->shutting_down)) {
            if (atomic_exchange(&srv->shutdown_noted, 1) == 0)
                ffc_log(srv, FFCGI_LOG_INFO, "shutting down: no new connections; the requests "
                                             "accepted are finished");
            struct ffc_conn *c = drain_next(srv, wait_ms);
            pthread_mutex_unlock(&loop->lock);
            if (!c)
                return FFCGI_ESHUTDOWN;
            *out = c;
            return 0;
        }
        pthread_mutex_unlock(&loop->lock);
        if (rearm)
            rearm_listener(srv);
        if (timeout < 0 || timeout > MAX_WAIT_MS)
            timeout = MAX_WAIT_MS;
        struct epoll_event ev;
        int n = epoll_wait(loop->epfd, &ev, 1, timeout);
        if (n < 0 && errno != EINTR)
            return ffc_fail_errno(FFCGI_ESOCKET, errno, "epoll_wait");
        if (n <= 0 || ev.data.u64 == WAKE_TAG)
            continue;
        if (ev.data.u64 == LISTENER_TAG) {
            int rc = accept_one(srv, out);
            if (rc < 0)
                return rc;
            if (rc == 1)
                return 0;
            continue;
        }
        if (claim(loop, ev.data.u64, ev.events, out))
            return 0;
    }
}

int ffc_loop_release(struct ffcgi_server *srv, struct ffc_conn *c)
{
    struct ffc_loop *loop = srv->loop;
    if (c->maybe_more)
        return 1;
    uint32_t events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    if (!c->registered) {
        int rc = epoll_set(loop, EPOLL_CTL_ADD, c->fd, events, tag_of(c));
        if (rc < 0)
            return rc;
        c->registered = c->armed = 1;
    } else if (!c->armed) {
        int rc = epoll_set(loop, EPOLL_CTL_MOD, c->fd, events, tag_of(c));
        if (rc < 0)
            return rc;
        c->armed = 1;
    }
    int idle_ms = atomic_load_explicit(&srv->limits.idle_ms, memory_order_relaxed);
    pthread_mutex_lock(&loop->lock);
    if (c->pending) { /* its event went to another thread: read it here */
        c->pending = 0;
        c->drained = 0;
        pthread_mutex_unlock(&loop->lock);
        return 1;
    }
    c->owned = 0;
    c->deadline_ms = idle_ms < 0 ? INT64_MAX : now_ms() + idle_ms;
    append_idle(loop, c);
    /* at the connection limit, a connection that can make way lets the
     * listener accept again (accept_one() makes the way) */
    int rearm = loop->listener_paused && c->served && c->parser.stage == FFC_AT_BEGIN &&
                ffc_conn_buffered(c) == 0;
    if (rearm)
        loop->listener_paused = 0;
    pthread_mutex_unlock(&loop->lock);
    if (rearm)
        rearm_listener(srv);
    return 0;
}

void ffc_loop_quiet(struct ffcgi_server *srv, struct ffc_conn *c)
{
    if (!c->registered || !c->armed)
        return;
    if (epoll_set(srv->loop, EPOLL_CTL_MOD, c->fd, EPOLLET, tag_of(c)) == 0)
        c->armed = 0;
}

void ffc_loop_close(struct ffcgi_server *srv, struct ffc_conn *c)
{
    struct ffc_loop *loop = srv->loop;
    pthread_mutex_lock(&loop->lock);
    int rearm = close_conn_locked(loop, c, connection_limit(srv));
    pthread_mutex_unlock(&loop->lock);
    if (rearm)
        rearm_listener(srv);
}
