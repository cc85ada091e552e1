/*
 * internal.h — structures and helpers shared by the files of libffcgi.
 * Nothing here is exported: the build uses -fvisibility=hidden and
 * src/ffcgi.map, so only the FFCGI_API functions of ffcgi.h are visible.
 */
#ifndef FFCGI_INTERNAL_H
#define FFCGI_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

#include <fcgiapp.h>

#include "ffcgi.h"

/* ---- errors (error.c) ---- */

/* Records detail for ffcgi_last_error() on this thread and returns `code`. */
int ffc_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* As ffc_fail(), appending ": strerror(err)" to the detail. */
int ffc_fail_errno(int code, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- growable byte buffer (buffer.c) ---- */

struct ffc_buf {
    char *data;
    size_t len;
    size_t cap;
};

/* Makes room for `extra` more bytes; returns 0 or FFCGI_ENOMEM. */
int ffc_buf_reserve(struct ffc_buf *b, size_t extra);
/* Appends `len` bytes; returns 0 or FFCGI_ENOMEM (buffer unchanged then). */
int ffc_buf_append(struct ffc_buf *b, const void *bytes, size_t len);
/* Empties the buffer, keeping its memory for reuse. */
void ffc_buf_clear(struct ffc_buf *b);
/* Releases the memory; the buffer is empty and reusable afterwards. */
void ffc_buf_release(struct ffc_buf *b);

/* ---- param table (env_table.c): "NAME\0VALUE\0" pairs and their offsets ---- */

struct ffc_env_table {
    struct ffc_buf packed; /* the ffcgi_env_packed() buffer */
    size_t *offsets;       /* 2 per param: name and value offsets in packed */
    size_t count;
    size_t cap;
    int built;             /* filled for the current request */
};

int ffc_env_table_add(struct ffc_env_table *t, const char *name,
                      size_t name_len, const char *value, size_t value_len);
/* Adds "NAME=VALUE" (split at the first '='; no '=' means an empty value). */
int ffc_env_table_add_assignment(struct ffc_env_table *t, const char *entry);
const char *ffc_env_table_find(const struct ffc_env_table *t, const char *name);
void ffc_env_table_clear(struct ffc_env_table *t);
void ffc_env_table_release(struct ffc_env_table *t);

/* ---- server (server.c, listen.c, address.c) ---- */

enum ffc_server_kind { FFC_SERVER_LISTENER, FFC_SERVER_CGI };

/* The peers a TCP listener accepts (peer_allow.c). */
struct ffc_allow_entry {
    int family;              /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned prefix;         /* significant leading bits */
};
struct ffc_allow {
    struct ffc_allow_entry *entries; /* NULL: everyone is allowed */
    size_t count;
    atomic_llong refused;
    pthread_mutex_t detail_lock;
    char detail[160];        /* the last refusal */
};
void ffc_allow_init(struct ffc_allow *a);
void ffc_allow_release(struct ffc_allow *a);
/* 1 if the peer of connected socket fd may stay; else records the refusal
 * and returns 0. Unix-socket peers always may. */
int ffc_allow_peer(struct ffc_allow *a, int fd);

/* The FFCGI_LIMIT_* values of a server (limits.c). */
struct ffc_limits {
    size_t param_bytes;
    size_t params;
    size_t body_bytes; /* 0: none */
    int idle_ms;       /* -1: none (poll's "for ever") */
};
void ffc_limits_init(struct ffc_limits *l);

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
    atomic_int cgi_request_taken;
    pthread_mutex_t accept_lock; /* one thread of this process polls the listener */
    struct ffc_limits limits;
    struct ffc_allow allow;
};

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

/* ---- waiting (wait.c) ---- */

/* Waits until `fd` is readable, the server shuts down or timeout_ms pass
 * (-1: no timeout). Returns 0, FFCGI_ESHUTDOWN, FFCGI_ETIMEDOUT or
 * FFCGI_ESOCKET (poll failed). */
int ffc_wait_readable(struct ffcgi_server *srv, int fd, int timeout_ms);
/* Accepts the next connection on the listener (serialised among the threads
 * of this process). Returns a connected descriptor (close-on-exec), or
 * FFCGI_ESHUTDOWN / FFCGI_ESOCKET. */
int ffc_accept_connection(struct ffcgi_server *srv);

/* ---- libfcgi (libfcgi_init.c) ---- */

/* Runs FCGX_Init() once per process, restoring every signal disposition it
 * changes. Returns 0 or an FFCGI_E* code. */
int ffc_libfcgi_init(void);

/* ---- SIGPIPE (sigpipe_guard.c) ---- */

struct ffc_sigpipe_guard {
    int was_blocked;
    int active;
};
/* Blocks SIGPIPE in the calling thread until ffc_sigpipe_release(). */
void ffc_sigpipe_hold(struct ffc_sigpipe_guard *g);
/* Restores the mask; if a write failed meanwhile (`write_failed`), first
 * discards the SIGPIPE it may have raised on this thread. */
void ffc_sigpipe_release(struct ffc_sigpipe_guard *g, int write_failed);

/* ---- the connection guard (guard_*.c) ----
 * libfcgi's record parser crashes on some malformed records and silently
 * corrupts requests on some legal but unusual ones (README, "Reliability").
 * So libffcgi looks at every request before libfcgi parses it:
 *  - DIRECT: the whole request (BEGIN_REQUEST through the end of FCGI_STDIN,
 *    and of FCGI_DATA for FILTER) is already in the socket, every record is
 *    one libfcgi handles correctly, and nothing follows it. libfcgi then
 *    reads the connection itself: the fast path, one peek of overhead.
 *  - REPLAY: anything else. libffcgi reads the records itself, answers
 *    management records, refuses what is malformed, and hands libfcgi a
 *    clean copy of the request through a socketpair; libfcgi's descriptor
 *    (FCGX_Request.ipcFd) is switched with dup2() between that socketpair,
 *    for reading, and the connection, for writing the response.
 * A request handle owns at most one connection. */

enum ffc_conn_mode { FFC_DIRECT, FFC_REPLAY };
enum ffc_stage { FFC_WAIT_BEGIN, FFC_IN_PARAMS, FFC_IN_STDIN, FFC_IN_DATA, FFC_DONE };

struct ffc_conn {
    int fd;                  /* the web server connection; -1 if none */
    int fresh;               /* no request was read from it yet */
    int ipc_is_dup;          /* fcgx.ipcFd is a descriptor of its own */
    enum ffc_conn_mode mode; /* of the current request */
    struct ffc_buf in;       /* bytes read from fd and not yet processed */
    size_t in_pos;
    unsigned char *peek;     /* scratch for the fast-path look at the socket */
    int pair[2];             /* REPLAY: [0] written by us, [1] read by libfcgi */
    int libfcgi_on_pair;     /* fcgx.ipcFd currently refers to pair[1] */
    /* the current request (REPLAY) */
    enum ffc_stage stage;
    unsigned id;
    unsigned role;
    int keep;                /* FCGI_KEEP_CONN was set */
    size_t forwarded;        /* content of the current stream given to libfcgi */
    size_t taken;            /* ... of which libfcgi handed to the app */
    size_t body_bytes;       /* FCGI_STDIN content given to libfcgi so far */
    int stream_ended;        /* the current stream's end was given to libfcgi */
    int input_ended;         /* the web server's current stream ended */
    int failure;             /* 0, or the FFCGI_E* code the body ended with */
    int discarding;          /* over the body limit: the rest is read, not given */
    struct ffc_buf scratch;  /* params being collected */
    struct ffc_buf batch;    /* stream content on its way to libfcgi */
    int batch_ends_stream;   /* ... followed by the stream's end */
    struct ffc_buf early_data; /* FCGI_DATA sent before the body ended */
    int early_data_ended;
};

/* Gets the next request of the connection ready for FCGX_Accept_r(): in
 * DIRECT mode untouched in the socket, in REPLAY mode as a clean copy in
 * the socketpair. Returns 0, FFC_DROPPED if the connection ended or broke
 * the protocol (it is closed then), FFCGI_ESHUTDOWN, or another FFCGI_E*. */
#define FFC_DROPPED 1
int ffc_guard_next_request(ffcgi_request *req);
/* Points libfcgi's descriptor at the request's input (before libfcgi reads)
 * or at the connection (before it writes). No-op in DIRECT mode. */
int ffc_guard_for_reading(ffcgi_request *req);
int ffc_guard_for_writing(ffcgi_request *req);
/* Before libfcgi reads up to `want` bytes of the current stream: in REPLAY
 * mode gives libfcgi enough of the stream (or its end) that it will not
 * block, and returns how many bytes may be asked for (<= want, >= 1). */
size_t ffc_guard_pump(ffcgi_request *req, size_t want);
/* After libfcgi handed `n` bytes of the current stream to the app. */
void ffc_guard_taken(ffcgi_request *req, size_t n);
/* The FFCGI_E* code the current stream failed with (aborted, cut off,
 * broken), or 0. */
int ffc_guard_failure(const ffcgi_request *req);
/* REPLAY: switches to FCGI_DATA (FILTER) after the body's end. */
void ffc_guard_start_data(ffcgi_request *req);
/* REPLAY: reads and discards the rest of the request from the connection,
 * so a kept-open connection stays in step. */
void ffc_guard_skip_rest(ffcgi_request *req);
/* After libfcgi finished the request: empties the socketpair; forgets the
 * connection if libfcgi closed it. */
void ffc_guard_after_finish(ffcgi_request *req);
/* Closes the connection (and libfcgi's descriptor of it). */
void ffc_guard_close(ffcgi_request *req);
/* Frees the guard's memory and descriptors. */
void ffc_guard_release(ffcgi_request *req);

/* guard_scan.c: 1 if window[0..len) is exactly one complete request that
 * libfcgi parses correctly and that is within the limits (see DIRECT
 * above), else 0. */
int ffc_guard_is_clean_request(const unsigned char *window, size_t len,
                               const struct ffc_limits *limits, struct ffc_buf *scratch);

/* One full record past 64 KiB, so that params up to 64 KiB (one record) fit. */
#define FFC_PEEK_BYTES (65536 + 16)
/* 1 if every name-value length of the params stream fits in it. */
int ffc_params_well_formed(const unsigned char *params, size_t len);
/* 1 if the params stream is well formed and within the limits. */
int ffc_params_acceptable(const unsigned char *params, size_t len,
                          const struct ffc_limits *limits);

/* ---- request (request.c and friends) ---- */

struct ffcgi_request {
    ffcgi_server *srv;
    FCGX_Request fcgx;      /* FastCGI state (unused for CGI) */
    int active;             /* a current request exists */
    int is_cgi;             /* the current request is the CGI one */
    int exit_status;
    int data_started;       /* the FILTER data stream was switched to */
    /* response head */
    int status;             /* 0: not set */
    char reason[128];       /* reason phrase given by the app, "" for the standard one */
    int head_pending;       /* status or headers set and not yet sent */
    int body_started;       /* head sent or raw output written */
    struct ffc_buf head;    /* "Name: value\r\n" lines queued so far */
    /* params */
    struct ffc_env_table env;
    /* CGI output buffer (stdout) */
    struct ffc_buf cgi_out;
    /* the web server connection and its guard */
    struct ffc_conn conn;
};

/* 0 if req has a current request, else FFCGI_EINVAL (NULL) or FFCGI_ESTATE,
 * with `what` (the API function's name) in the detail. */
int ffc_require_current(const ffcgi_request *req, const char *what);

/* Writes `len` bytes to the request's stdout (FastCGI or CGI), without
 * looking at the response head. Returns 0 or an FFCGI_E* code. */
int ffc_out_write(ffcgi_request *req, const void *buf, size_t len);
/* Sends the response head now if one is pending. */
int ffc_send_head(ffcgi_request *req);
/* Forgets the response head state for a new request. */
void ffc_reset_head(ffcgi_request *req);

/* Maps a libfcgi stream error (positive errno or negative FCGX_* code) to
 * an FFCGI_E* code, recording detail. */
int ffc_stream_error(FCGX_Stream *stream, const char *what);

/* CGI (cgi.c): takes the CGI server's one request into req. */
int ffc_cgi_accept(ffcgi_request *req);
int ffc_cgi_read(ffcgi_request *req, void *buf, size_t cap, size_t *nread);
int ffc_cgi_write(ffcgi_request *req, int fd, const void *buf, size_t len);
int ffc_cgi_flush(ffcgi_request *req);

#endif
