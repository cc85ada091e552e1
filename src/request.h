/* request.h — the request handle (request.c) and the modules that serve
 * its parts: the response head (response_head.c), the body in (body.c),
 * the response out (output.c) and plain CGI (cgi.c).
 *
 * Threads: a request handle is used by one thread at a time. While it has
 * a current FastCGI request it owns that request's connection. */
#ifndef FFCGI_REQUEST_H
#define FFCGI_REQUEST_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "buffer.h"
#include "conn.h"
#include "env_table.h"
#include "ffcgi.h"
#include "limits.h"

#define FFC_NO_RECORD ((size_t)-1)

struct ffc_board_worker;

/* The access-log lines of a request handle not written yet (access_log.c). */
#define FFC_LOG_BATCH_BYTES 4096
struct ffc_log_batch {
    char lines[FFC_LOG_BATCH_BYTES]; /* whole lines */
    size_t len;
    time_t stamp_second;             /* the second `stamp` shows */
    char stamp[32];                  /* "[05/Dec/2026:08:00:06 +0000]" */
    size_t stamp_len;                /* 0: none yet */
};

enum ffc_timed_out {
    FFC_TIMED_OUT_NOT = 0,
    FFC_TIMED_OUT_ANSWERED = 1, /* the watchdog answered 504 */
    FFC_TIMED_OUT_CUT = 2       /* the answer had begun: cut off */
};

struct ffcgi_request {
    ffcgi_server *srv;
    int active;             /* a current request exists */
    int is_cgi;             /* the current request is the CGI one */
    int exit_status;
    int data_started;       /* the FILTER data stream was switched to */
    struct ffc_limit_values limits; /* as they were when the request began */
    /* the connection: of the current request, or kept for the next one
     * (its next request is already buffered, or it must be read again) */
    struct ffc_conn *conn;
    struct ffc_conn *next_conn;
    struct ffc_buf spare;   /* read buffer, lent to the connection being read */
    /* response head */
    int status;             /* 0: not set */
    char reason[128];       /* reason phrase given by the app, "" for the standard one */
    int head_pending;       /* status or headers set and not yet sent */
    int body_started;       /* head sent or raw output written */
    int raw_status;         /* the "Status: NNN" of raw CGI output, 0: none */
    size_t body_bytes;      /* written by the app after the head */
    int64_t started_us;     /* when the head was read (clock.h) */
    time_t started_wall;    /* the same, as wall-clock time (the access log) */
    int answered;           /* the library answered (own_answer.c): the app's
                             * status, headers and body are dropped */
    struct ffc_buf head;    /* "Name: value\r\n" lines queued so far */
    /* response out: framed records not yet sent */
    struct ffc_buf wire;
    size_t open_record;     /* offset in wire of the FCGI_STDOUT record still
                             * growing, or FFC_NO_RECORD */
    int stderr_used;
    /* params */
    struct ffc_env_table env;
    /* the request timeout (watchdog.c) */
    pthread_mutex_t watch_lock; /* the worker's sends and end vs the watchdog */
    struct ffcgi_request *watch_prev, *watch_next; /* the server's list */
    atomic_llong deadline_us;   /* when the current request times out; 0: never */
    int watched;            /* the current request has a deadline (owner only) */
    int timed_out;          /* enum ffc_timed_out, under watch_lock */
    int sent_any;           /* bytes of the answer were sent, under watch_lock */
    /* the scoreboard (scoreboard.c) */
    struct ffc_board_worker *slot; /* this handle's worker slot, NULL: none yet */
    int slot_unavailable;   /* every slot was taken: none is looked for again */
    /* the access log: the worker appends, the watchdog's thread flushes */
    pthread_mutex_t log_lock;
    struct ffc_log_batch log_batch; /* under log_lock */
    /* CGI output buffer (stdout) */
    struct ffc_buf cgi_out;
};

/* 0 if req has a current request, else FFCGI_EINVAL (NULL) or FFCGI_ESTATE,
 * with `what` (the API function's name) in the detail. */
int ffc_require_current(const ffcgi_request *req, const char *what);

/* response_head.c */
/* Sends the response head now if one is pending. */
int ffc_send_head(ffcgi_request *req);
/* ffcgi_respond()'s head: the status (none if code is 0) and the packed
 * headers, all checked before any is set. 0, 1 if the library answered the
 * request itself (nothing is set), or an error. */
int ffc_respond_head(ffcgi_request *req, int code, const char *reason, size_t reason_len,
                     const char *headers, size_t len, size_t count);
/* Forgets the response head state for a new request. */
void ffc_reset_head(ffcgi_request *req);
/* The status the response has: set by the app (or the library), the one
 * its raw CGI output began with, else 200. */
int ffc_response_status(const ffcgi_request *req);

/* output.c */
/* Writes `len` bytes to the request's stdout (FastCGI or CGI), without
 * looking at the response head. Returns 0 or an FFCGI_E* code. */
int ffc_out_write(ffcgi_request *req, const void *buf, size_t len);
/* Ends the FastCGI response: the rest of stdout, the streams' ends and
 * FCGI_END_REQUEST, in one write. */
int ffc_out_end(ffcgi_request *req);
/* Forgets the output state for a new request (keeps the memory). */
void ffc_out_reset(ffcgi_request *req);

/* own_answer.c */
/* Replaces the response with `status`, a text/plain `text`, and marks the
 * request answered. Only while nothing was sent (body_started is 0). */
int ffc_answer_plain(ffcgi_request *req, int status, const char *text);
/* A CONTENT_LENGTH over FFCGI_LIMIT_BODY_BYTES: answers 413 and returns 1
 * (the app must not see the request); else 0. */
int ffc_refuse_declared_body(ffcgi_request *req);
/* The body grew past FFCGI_LIMIT_BODY_BYTES while the app read it: answers
 * 413 if nothing was sent yet. */
void ffc_refuse_growing_body(ffcgi_request *req);

/* Replaces the response with `status`, `content_type` and body[0..len),
 * and marks the request answered (as ffc_answer_plain()). */
int ffc_answer(ffcgi_request *req, int status, const char *content_type, const void *body,
               size_t len);

/* status_page.c */
/* A request for the status page (ffcgi_server_status_path()): answers it
 * and returns 1 (the app must not see it); else 0. */
int ffc_answer_status_page(ffcgi_request *req);

/* body.c */
/* Reads from the connection with the idle limit as the wait; on a
 * failure records it in the parser. Returns 0 or the FFCGI_E* code. */
int ffc_body_fill(ffcgi_request *req);

/* cgi.c: takes the CGI server's one request into req. */
int ffc_cgi_accept(ffcgi_request *req);
int ffc_cgi_read(ffcgi_request *req, void *buf, size_t cap, size_t *nread);
int ffc_cgi_write(ffcgi_request *req, int fd, const void *buf, size_t len);
int ffc_cgi_flush(ffcgi_request *req);

#endif
