/* server.h — the server handle and what it is made of: the listener
 * (listen.c, address.c), the peer allow-list (peer_allow.c), the limits
 * (limits.h) and the connection layer (loop.h). */
#ifndef FFCGI_SERVER_H
#define FFCGI_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "ffcgi.h"
#include "limits.h"
#include "log_file.h"

enum ffc_server_kind { FFC_SERVER_LISTENER, FFC_SERVER_CGI };

/* The peers a TCP listener accepts (peer_allow.c). Threads: the list may
 * be replaced while other threads accept; `lock` guards it. */
struct ffc_allow_entry {
    int family;              /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned prefix;         /* significant leading bits */
};
struct ffc_allow {
    pthread_mutex_t lock;    /* guards entries, count and detail */
    struct ffc_allow_entry *entries; /* NULL: everyone is allowed */
    size_t count;
    atomic_int active;       /* entries is not NULL (read without the lock) */
    atomic_llong refused;
    char detail[160];        /* the last refusal */
};
void ffc_allow_init(struct ffc_allow *a);
void ffc_allow_release(struct ffc_allow *a);
/* 1 if the peer of connected socket fd may stay; else records the refusal
 * and returns 0. Unix-socket peers always may. */
int ffc_allow_peer(struct ffc_allow *a, int fd);

struct ffc_loop;
struct ffc_board_header;
struct ffc_board_process;

/* The request timeout's state (watchdog.c). */
struct ffc_watch {
    pthread_mutex_t lock;             /* guards the list `requests` */
    struct ffcgi_request *requests;   /* every request handle of the server */
    atomic_int in_flight;             /* accepted, not finished, not timed out */
    atomic_int stuck;                 /* timed out, their worker not back yet */
    int64_t stuck_alone_since_us;     /* watchdog thread only: since when only stuck
                                       * requests are left in a retired server */
    atomic_int started;               /* 0, 1: the thread runs, 2: it could not start */
    pthread_t thread;
    int stop_pipe[2];
};

struct ffcgi_server {
    enum ffc_server_kind kind;
    int fd;                 /* listening socket; -1 for CGI */
    int owns_fd;            /* close fd on free */
    int is_tcp;             /* the listener is IPv4 or IPv6 */
    char *unix_path;        /* socket file created by us, removed on free */
    dev_t unix_dev;         /* identity of that file, so a file that */
    ino_t unix_ino;         /* replaced it is never removed */
    int wake_pipe[2];       /* [1] is written once by ffcgi_server_shutdown() */
    atomic_int shutting_down;
    atomic_int shutdown_noted; /* the error log said so (loop.c) */
    atomic_int retired;     /* an ffcgi_retire_reason (recycle.c) */
    atomic_llong served;    /* requests answered, for FFCGI_LIMIT_MAX_REQUESTS */
    atomic_llong rss_checked_ms; /* when resident memory was last looked at */
    struct ffc_watch watch; /* the request timeout (watchdog.c) */
    atomic_int cgi_request_taken;
    struct ffc_limits limits;
    struct ffc_allow allow;
    struct ffc_loop *loop;  /* listeners: the connection layer */
    atomic_int accepting;   /* ffcgi_accept was called: settings are fixed */
    struct ffc_board_header *board;  /* the scoreboard (scoreboard.c), NULL: none */
    struct ffc_board_process *region; /* ... this process's part of it */
    int board_owned;        /* the board is this server's own mapping */
    char *status_path;      /* the status page's path (status_page.c), NULL: none */
    struct ffc_log_file access_log; /* access_log.c */
    struct ffc_log_file error_log;  /* error_log.c */
    int log_level;          /* FFCGI_LOG_*: the error log's threshold */
};

/* access_log.c */
struct ffcgi_request;
/* The longest an access-log line waits in its batch (the watchdog's tick). */
#define FFC_LOG_FLUSH_MS 250
/* Adds the line of a finished request to the handle's batch, if there is
 * an access log; writes the batch when it is full (or the request is CGI). */
void ffc_access_log_write(struct ffcgi_request *req);
/* Writes the lines req's batch holds. Any thread. */
void ffc_access_log_flush(struct ffcgi_request *req);
/* Writes every request handle's batch. Takes srv->watch.lock. */
void ffc_access_log_flush_all(struct ffcgi_server *srv);

/* error_log.c */
/* 1 if a message of `level` goes to srv's error log. */
int ffc_log_enabled(const struct ffcgi_server *srv, int level);
/* Writes one line to srv's error log if `level` is enabled:
 *   2026-12-05T08:00:00.123+0000 python3[812]: warning: MESSAGE */
void ffc_log(const struct ffcgi_server *srv, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes a line about `req` to its server's error log if `level` is
 * enabled: "GET /x" from CLIENT via PEER: MESSAGE. */
void ffc_log_request(const struct ffcgi_request *req, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Describes the peer of connected socket fd for a log line:
 * "127.0.0.1:40312", "[::1]:40312", "unix peer pid 812" or "unknown peer". */
void ffc_peer_describe(int fd, char *out, size_t cap);

/* listen_queue.c: the connections waiting in srv's accept queue and the
 * queue's limit; 0, or -1 when the system does not say. */
int ffc_listen_queue(const struct ffcgi_server *srv, long *queued, long *limit);

/* server.c: removes srv's socket file if it made one and it is still
 * that file (not one that replaced it). */
void ffc_remove_own_socket_file(const struct ffcgi_server *srv);

/* recycle.c */
/* Retires srv for `reason` (an ffcgi_retire_reason), once: logs `why`,
 * then shuts it down. */
void ffc_retire(struct ffcgi_server *srv, int reason, const char *why);
/* `value` plus up to 10 %, at random: FFCGI_LIMIT_MAX_REQUESTS's jitter. */
int64_t ffc_with_jitter(int64_t value);
/* A request was answered: retires the server if a recycling limit says so. */
void ffc_recycle_after_request(struct ffcgi_request *req);

/* watchdog.c */
/* The thread that enforces FFCGI_LIMIT_REQUEST_MS, started at an accept
 * once the limit is set; stopped (joined) when the server is freed. */
void ffc_watch_start(struct ffcgi_server *srv);
void ffc_watch_stop(struct ffcgi_server *srv);
/* A request handle joins / leaves the watched list (new, free). */
void ffc_watch_register(struct ffcgi_request *req);
void ffc_watch_unregister(struct ffcgi_request *req);
/* A request begins (started_us and conn set) / ends; end returns 1 if it
 * had timed out (the connection must close). */
void ffc_watch_begin(struct ffcgi_request *req);
int ffc_watch_end(struct ffcgi_request *req);

/* A parsed listen address (address.c). */
struct ffc_address {
    int is_unix;
    char path[108];   /* unix: the socket path (sun_path size) */
    char host[256];   /* TCP: host or literal address; "" for all interfaces */
    char port[6];     /* TCP: decimal port 0..65535 */
};
/* Parses "/path", "unix:/path", "host:port", "[v6]:port", ":port".
 * Returns 0 or FFCGI_EADDRESS / FFCGI_EINVAL with detail. */
int ffc_parse_address(const char *address, struct ffc_address *out);

/* 1 if fd is a socket in the listening state, else 0. */
int ffc_is_listening_socket(int fd);

/* Opens, binds and listens on `address` (see ffcgi_server_open()). On
 * success stores the descriptor and, for unix sockets, the path (malloc'd)
 * and its identity in srv. */
int ffc_listen_address(struct ffcgi_server *srv, const char *address,
                       int backlog, int mode);

#endif
