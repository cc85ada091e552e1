/* scoreboard.h — what every worker of a server is doing and what the server
 * has counted, in memory that several processes can share (scoreboard.c),
 * read by the status page (status_page.c).
 *
 * A board is a header and a number of process regions; a region holds a
 * process's counters and one slot per worker (a request handle, so usually
 * a thread). A process alone makes a board of one region, in anonymous
 * memory. Under ffcgi-supervisor the board is a memfd the supervisor made
 * before starting the workers, with two regions per worker process (one
 * for a process and one for its replacement during a rolling restart),
 * named to the workers by FFCGI_SCOREBOARD=<fd>: each process claims a free
 * region (pid 0 -> its pid), and the supervisor frees the region of a
 * process it reaped. The status page of any worker then shows them all.
 *
 * The layout is fixed-size and pointer-free; the supervisor includes this
 * header, and FFC_BOARD_VERSION changes with it.
 *
 * Threads and processes: every field written while others read is an
 * atomic (lock-free on the platforms we build for, so they work in shared
 * memory). A worker's method and target are guarded by a sequence counter:
 * the writer makes it odd, writes, makes it even; a reader retries while it
 * is odd or changed. */
#ifndef FFCGI_SCOREBOARD_H
#define FFCGI_SCOREBOARD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define FFC_BOARD_MAGIC 0x42434646u /* "FFCB" */
#define FFC_BOARD_VERSION 1u
#define FFC_BOARD_WORKERS 256       /* slots per process; more handles go unseen */
#define FFC_BOARD_METHOD 16
#define FFC_BOARD_TARGET 232
#define FFC_BOARD_ENV "FFCGI_SCOREBOARD"

enum ffc_worker_state { FFC_WORKER_FREE = 0, FFC_WORKER_IDLE = 1, FFC_WORKER_BUSY = 2 };

/* What a process counts; the status page sums them over the processes. */
enum ffc_count {
    FFC_COUNT_CONNECTIONS,     /* connections accepted */
    FFC_COUNT_REQUESTS,        /* requests answered (by the app or the library) */
    FFC_COUNT_REFUSED_PEERS,   /* closed by the allow-list */
    FFC_COUNT_LIMIT_REFUSALS,  /* 413, 431, the connection limit reached */
    FFC_COUNT_PROTOCOL_ERRORS, /* malformed records or params */
    FFC_COUNT_TIMEOUTS,        /* stalls past the idle limit */
    FFC_COUNT_SLOW,            /* requests longer than FFCGI_LIMIT_SLOW_MS */
    FFC_COUNTS
};

struct ffc_board_worker {
    atomic_uint state;          /* enum ffc_worker_state */
    atomic_uint seq;            /* odd while method/target/started change */
    atomic_llong requests;      /* answered by this worker */
    atomic_llong started_us;    /* CLOCK_MONOTONIC of the current request */
    char method[FFC_BOARD_METHOD];
    char target[FFC_BOARD_TARGET];
};

struct ffc_board_process {
    atomic_int pid;             /* 0: free */
    atomic_int stopping;        /* the process stopped accepting */
    atomic_llong started_ms;    /* wall clock, when the region was claimed */
    atomic_llong counts[FFC_COUNTS];
    struct ffc_board_worker workers[FFC_BOARD_WORKERS];
};

struct ffc_board_header {
    uint32_t magic;
    uint32_t version;
    uint32_t processes;         /* regions that follow */
    uint32_t workers;           /* FFC_BOARD_WORKERS */
    int64_t started_ms;         /* wall clock, when the board was made */
};

/* Bytes of a board of `processes` regions. */
static inline size_t ffc_board_size(uint32_t processes)
{
    return sizeof(struct ffc_board_header) + (size_t)processes * sizeof(struct ffc_board_process);
}

static inline struct ffc_board_process *ffc_board_region(struct ffc_board_header *h, uint32_t i)
{
    return (struct ffc_board_process *)(h + 1) + i;
}

/* The library's side (scoreboard.c). */
struct ffcgi_server;
struct ffcgi_request;

/* Attaches a new listener to the board: the supervisor's (FFCGI_SCOREBOARD)
 * if there is one with a free region, else a board of its own. A server
 * without one (no memory) counts nothing and shows no workers. */
void ffc_board_attach(struct ffcgi_server *srv);
/* Unmaps a board of the server's own; gives an inherited region back. */
void ffc_board_detach(struct ffcgi_server *srv);
/* Adds one to a counter of srv's process. */
void ffc_board_count(struct ffcgi_server *srv, enum ffc_count what);
/* The request handle's worker slot waits in accept / serves its request /
 * finished it (counted). Without a slot these do nothing. */
void ffc_board_worker_idle(struct ffcgi_request *req);
void ffc_board_worker_busy(struct ffcgi_request *req);
void ffc_board_worker_done(struct ffcgi_request *req);
/* The handle is freed: its slot is free again. */
void ffc_board_worker_leave(struct ffcgi_request *req);

#endif
