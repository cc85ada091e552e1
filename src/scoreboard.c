/* scoreboard.c — the library's side of the scoreboard (scoreboard.h):
 * finding or making the board, the worker slots of request handles, and
 * the counters. Everything on the request path is a few relaxed atomic
 * stores, no lock and no system call. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "env_table.h"
#include "request.h"
#include "scoreboard.h"
#include "server.h"

/* The supervisor's board is mapped once per process and shared by its
 * servers; `users` counts them, so the region is given back with the last. */
static pthread_mutex_t inherited_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ffc_board_header *inherited_board;
static size_t inherited_size;
static struct ffc_board_process *inherited_region;
static int inherited_users;

static int64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void claim(struct ffc_board_process *region)
{
    atomic_store(&region->stopping, 0);
    atomic_store(&region->started_ms, wall_ms());
    for (int i = 0; i < FFC_COUNTS; i++)
        atomic_store(&region->counts[i], 0);
    for (int i = 0; i < FFC_BOARD_WORKERS; i++) {
        atomic_store(&region->workers[i].state, FFC_WORKER_FREE);
        atomic_store(&region->workers[i].requests, 0);
    }
}

/* The board named by FFCGI_SCOREBOARD, mapped, if it is a valid one. */
static struct ffc_board_header *map_inherited(size_t *size)
{
    const char *name = getenv(FFC_BOARD_ENV);
    char *end;
    long fd = name && *name ? strtol(name, &end, 10) : -1;
    struct stat st;
    if (fd < 0 || *end || fstat((int)fd, &st) != 0 ||
        (size_t)st.st_size < sizeof(struct ffc_board_header))
        return NULL;
    void *at = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
    if (at == MAP_FAILED)
        return NULL;
    struct ffc_board_header *h = at;
    if (h->magic != FFC_BOARD_MAGIC || h->version != FFC_BOARD_VERSION ||
        h->workers != FFC_BOARD_WORKERS || ffc_board_size(h->processes) > (size_t)st.st_size) {
        munmap(at, (size_t)st.st_size);
        return NULL;
    }
    *size = (size_t)st.st_size;
    return h;
}

/* A region of the supervisor's board for this process, or NULL. */
static struct ffc_board_process *use_inherited(struct ffcgi_server *srv)
{
    pthread_mutex_lock(&inherited_lock);
    if (!inherited_region) {
        struct ffc_board_header *h = map_inherited(&inherited_size);
        for (uint32_t i = 0; h && i < h->processes; i++) {
            struct ffc_board_process *r = ffc_board_region(h, i);
            int free_pid = 0;
            if (atomic_compare_exchange_strong(&r->pid, &free_pid, (int)getpid())) {
                claim(r);
                inherited_board = h;
                inherited_region = r;
                break;
            }
        }
        if (h && !inherited_region)
            munmap(h, inherited_size); /* every region taken: a board of its own */
    }
    if (inherited_region) {
        inherited_users++;
        srv->board = inherited_board;
    }
    struct ffc_board_process *r = inherited_region;
    pthread_mutex_unlock(&inherited_lock);
    return r;
}

void ffc_board_attach(struct ffcgi_server *srv)
{
    if ((srv->region = use_inherited(srv)))
        return;
    size_t size = ffc_board_size(1);
    void *at = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (at == MAP_FAILED)
        return;
    struct ffc_board_header *h = at;
    *h = (struct ffc_board_header){FFC_BOARD_MAGIC, FFC_BOARD_VERSION, 1, FFC_BOARD_WORKERS,
                                   wall_ms()};
    srv->board = h;
    srv->board_owned = 1;
    srv->region = ffc_board_region(h, 0);
    atomic_store(&srv->region->pid, (int)getpid());
    claim(srv->region);
}

void ffc_board_detach(struct ffcgi_server *srv)
{
    if (srv->board_owned) {
        munmap(srv->board, ffc_board_size(1));
    } else if (srv->region) {
        pthread_mutex_lock(&inherited_lock);
        if (--inherited_users == 0) {
            atomic_store(&inherited_region->pid, 0);
            munmap(inherited_board, inherited_size);
            inherited_board = NULL;
            inherited_region = NULL;
        }
        pthread_mutex_unlock(&inherited_lock);
    }
    srv->board = NULL;
    srv->region = NULL;
    srv->board_owned = 0;
}

void ffc_board_count(struct ffcgi_server *srv, enum ffc_count what)
{
    if (srv->region)
        atomic_fetch_add_explicit(&srv->region->counts[what], 1, memory_order_relaxed);
}

/* The handle's slot, taken at its first use. */
static struct ffc_board_worker *slot_of(struct ffcgi_request *req)
{
    if (req->slot || req->slot_unavailable || !req->srv->region)
        return req->slot;
    struct ffc_board_worker *workers = req->srv->region->workers;
    for (int i = 0; i < FFC_BOARD_WORKERS; i++) {
        unsigned free_state = FFC_WORKER_FREE;
        if (atomic_compare_exchange_strong(&workers[i].state, &free_state, FFC_WORKER_IDLE)) {
            atomic_store(&workers[i].requests, 0);
            return req->slot = &workers[i];
        }
    }
    req->slot_unavailable = 1;
    return NULL;
}

void ffc_board_worker_idle(struct ffcgi_request *req)
{
    struct ffc_board_worker *w = slot_of(req);
    if (w)
        atomic_store_explicit(&w->state, FFC_WORKER_IDLE, memory_order_relaxed);
}

static void copy_field(char *to, size_t cap, const char *from)
{
    size_t n = from ? strnlen(from, cap - 1) : 0;
    memcpy(to, from ? from : "", n);
    to[n] = '\0';
}

void ffc_board_worker_busy(struct ffcgi_request *req)
{
    struct ffc_board_worker *w = slot_of(req);
    if (!w)
        return;
    atomic_fetch_add_explicit(&w->seq, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    copy_field(w->method, sizeof w->method, ffc_env_table_known(&req->env, FFC_REQUEST_METHOD));
    const char *target = ffc_env_table_known(&req->env, FFC_REQUEST_URI);
    if (!target || !*target)
        target = ffc_env_table_known(&req->env, FFC_SCRIPT_NAME);
    copy_field(w->target, sizeof w->target, target);
    atomic_store_explicit(&w->started_us, req->started_us, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->seq, 1, memory_order_release);
    atomic_store_explicit(&w->state, FFC_WORKER_BUSY, memory_order_relaxed);
}

void ffc_board_worker_done(struct ffcgi_request *req)
{
    ffc_board_count(req->srv, FFC_COUNT_REQUESTS);
    struct ffc_board_worker *w = req->slot;
    if (!w)
        return;
    atomic_fetch_add_explicit(&w->requests, 1, memory_order_relaxed);
    atomic_store_explicit(&w->state, FFC_WORKER_IDLE, memory_order_relaxed);
}

void ffc_board_worker_leave(struct ffcgi_request *req)
{
    if (req->slot)
        atomic_store(&req->slot->state, FFC_WORKER_FREE);
    req->slot = NULL;
}
