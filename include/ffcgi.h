/*
 * ffcgi.h — the whole public ABI of libffcgi, a FastCGI application library.
 *
 * libffcgi serves the FastCGI protocol behind opaque handles and plain C
 * types, so that runtimes with a foreign function interface (Python cffi,
 * Raku NativeCall) can use it without knowing any structure. It builds on
 * the system libfcgi (the FastCGI Developer's Kit) where that is sound and
 * reads, checks and frames the protocol itself (README.md, "What libfcgi
 * does and what libffcgi does").
 *
 * Conventions (see README.md, "Conventions"):
 *  - Fallible calls return int: 0 on success or a negative FFCGI_E* code.
 *    ffcgi_strerror() names the code; ffcgi_last_error() adds detail.
 *  - Out-parameters come first; a single one is called `out`.
 *  - Strings passed in are copied before the call returns.
 *  - Strings returned are borrowed: each declaration says how long they live.
 *  - Bodies are bytes with a length, in and out.
 *  - Every *_free() accepts NULL and does nothing then.
 *
 * Threads (see README.md, "Threading"): a server may be shared by any number
 * of threads; a request handle belongs to one thread at a time.
 *
 * Signals (see README.md, "Signal policy"): the library installs no signal
 * handler; a vanished peer never raises SIGPIPE (FastCGI connections are
 * written with MSG_NOSIGNAL; CGI output absorbs it in the calling thread).
 * Every read, write and wait of the library retries EINTR, so a handler the
 * app installs (with or without SA_RESTART) never breaks a request; install
 * yours with SA_RESTART all the same, for your own calls and those of the
 * runtime around you. ffcgi_server_shutdown() is the one call that may be
 * made from a handler.
 */
#ifndef FFCGI_H
#define FFCGI_H

#include <stddef.h>
#include <stdint.h>

/* The version of this header. CMake reads these three lines. */
#define FFCGI_VERSION_MAJOR 1
#define FFCGI_VERSION_MINOR 3
#define FFCGI_VERSION_PATCH 0
/* Bumped only on an incompatible change of the ABI; equals the soname major. */
#define FFCGI_ABI_VERSION 1

#if defined(_WIN32)
#  if defined(FFCGI_BUILDING)
#    define FFCGI_API __declspec(dllexport)
#  else
#    define FFCGI_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define FFCGI_API __attribute__((visibility("default")))
#else
#  define FFCGI_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ffcgi:begin declarations — the binding generator reads from here. */

/* Error codes. Values are fixed forever: never renumbered, never reused. */
enum ffcgi_error {
    FFCGI_OK = 0,
    FFCGI_EINVAL = -1,        /* an argument is invalid (NULL handle, bad number) */
    FFCGI_ENOMEM = -2,        /* out of memory */
    FFCGI_EADDRESS = -3,      /* the listen address cannot be parsed */
    FFCGI_ESOCKET = -4,       /* socket(), bind() or listen() failed (errno in detail) */
    FFCGI_EEXIST = -5,        /* the unix socket path exists and is not a socket */
    FFCGI_EADDRINUSE = -6,    /* the address is in use by a live listener */
    FFCGI_ENOTLISTENING = -7, /* the descriptor is not a listening socket */
    FFCGI_ESHUTDOWN = -8,     /* no more requests: the server was shut down (or CGI is done) */
    FFCGI_EIO = -9,           /* an I/O error on the connection to the web server */
    FFCGI_EDISCONNECTED = -10,/* the web server closed the connection */
    FFCGI_EHEADER = -11,      /* a header name or value is invalid (CR, LF, NUL, ':' …) */
    FFCGI_ESTATE = -12,       /* not possible now (no current request, headers already sent) */
    FFCGI_EROLE = -13,        /* not possible in this request's role (FCGI_DATA outside FILTER) */
    FFCGI_ERANGE = -14,       /* an index is out of range */
    FFCGI_EPROTOCOL = -15,    /* the web server broke the FastCGI protocol */
    FFCGI_EABORTED = -16,     /* the web server aborted the request (FCGI_ABORT_REQUEST) */
    FFCGI_ELIMIT = -17,       /* the request body is larger than FFCGI_LIMIT_BODY_BYTES */
    FFCGI_ETIMEDOUT = -18,    /* the connection stalled longer than FFCGI_LIMIT_IDLE_MS */
    FFCGI_EFILE = -19         /* a file (a log) cannot be opened or written (errno in detail) */
};

/* Limits a server holds every request to (ffcgi_server_set_limit()). */
enum ffcgi_limit {
    FFCGI_LIMIT_PARAM_BYTES = 1, /* bytes of a request's params; default 1 MiB */
    FFCGI_LIMIT_PARAMS = 2,      /* number of params; default 10000 */
    FFCGI_LIMIT_BODY_BYTES = 3,  /* bytes of a request body; default 0: no limit */
    FFCGI_LIMIT_IDLE_MS = 4,     /* how long a connection may stall mid-request, leave
                                  * a response unread, or idle between requests;
                                  * default 60000; 0: no limit */
    FFCGI_LIMIT_CONNECTIONS = 5, /* connections held at once (idle, being read or
                                  * served); default 1024; since 1.1 */
    FFCGI_LIMIT_SLOW_MS = 6,     /* a request that took longer is counted as slow on
                                  * the status page and logged (warning); default
                                  * 0: none; since 1.2 */
    FFCGI_LIMIT_MAX_REQUESTS = 7,/* after about this many requests (plus up to 10 %,
                                  * chosen at random once, so processes started
                                  * together do not retire together) the server
                                  * retires; default 0: never; since 1.2 */
    FFCGI_LIMIT_MAX_RSS_BYTES = 8,/* when the process's resident memory passes this
                                  * (looked at after a request, at most once a
                                  * second) the server retires; 0: never; since 1.2 */
    FFCGI_LIMIT_REQUEST_MS = 9   /* a FastCGI request running longer is timed out:
                                  * answered "504 Gateway Timeout" by the library if
                                  * nothing was sent yet, its connection closed, an
                                  * error logged, and the server retires (its thread
                                  * may be stuck in app code: the process must be
                                  * replaced); the app's later output for it is
                                  * dropped. If only such stuck requests are left
                                  * for 2 s and the process has not ended, the
                                  * library ends it: _exit(FFCGI_RETIRED_EXIT_STATUS);
                                  * default 0: none; since 1.2 */
};

/* Why a server retired (ffcgi_server_retired()): it stopped handing out
 * requests as after ffcgi_server_shutdown(), and the process should be
 * replaced by a fresh one. */
enum ffcgi_retire_reason {
    FFCGI_RETIRED_NOT = 0,          /* serving, or shut down by the app */
    FFCGI_RETIRED_MAX_REQUESTS = 1, /* FFCGI_LIMIT_MAX_REQUESTS reached */
    FFCGI_RETIRED_MAX_RSS = 2,      /* FFCGI_LIMIT_MAX_RSS_BYTES passed */
    FFCGI_RETIRED_TIMEOUT = 3       /* a request ran past FFCGI_LIMIT_REQUEST_MS */
};

/* The exit status of a process that retired: ffcgi-supervisor replaces it
 * at once, without the back-off it applies to a crash. (EX_TEMPFAIL.) */
enum ffcgi_exit_status { FFCGI_RETIRED_EXIT_STATUS = 75 };

/* Roles of a FastCGI request (FastCGI 1.0, section 6). */
enum ffcgi_role {
    FFCGI_ROLE_RESPONDER = 1,
    FFCGI_ROLE_AUTHORIZER = 2,
    FFCGI_ROLE_FILTER = 3
};

/* A listening socket, or the one request of a plain CGI invocation. */
typedef struct ffcgi_server ffcgi_server;
/* The state of one request; reused across accepts by one worker thread. */
typedef struct ffcgi_request ffcgi_request;

/* ---- library ------------------------------------------------------------ */

/* ffcgi_version(): MAJOR*10000 + MINOR*100 + PATCH of the loaded library. */
FFCGI_API int ffcgi_version(void);
/* ffcgi_version_string(): "MAJOR.MINOR.PATCH"; static storage. */
FFCGI_API const char *ffcgi_version_string(void);
/* ffcgi_abi_version(): FFCGI_ABI_VERSION of the loaded library. A binding
 * compares it with the value it was generated for and refuses a mismatch. */
FFCGI_API int ffcgi_abi_version(void);

/* ffcgi_strerror(): a short static description of an FFCGI_E* code (or of
 * 0); "unknown error" for any other number. Never NULL, never freed. */
FFCGI_API const char *ffcgi_strerror(int code);
/* ffcgi_last_error(): detail about the most recent failure of an ffcgi call
 * on the calling thread (e.g. the path and errno of a failed bind); "" if
 * none yet. Successful calls leave it unchanged. Thread-local; valid until
 * the next ffcgi call on this thread. Never NULL. */
FFCGI_API const char *ffcgi_last_error(void);

/* ffcgi_is_fastcgi(): 1 if the process was started as a FastCGI application
 * (fd 0 is a listening socket, or systemd passed a socket with LISTEN_FDS
 * for this process), 0 if it runs as plain CGI or from a shell. */
FFCGI_API int ffcgi_is_fastcgi(void);

/* ---- server ------------------------------------------------------------- */

/* ffcgi_server_open(): opens a listener at `address` and stores it in *out.
 *   address: "/path" or "unix:/path" (unix socket), "host:port" (IPv4,
 *            e.g. "127.0.0.1:9000"; host may be a name), "[addr]:port"
 *            (IPv6, e.g. "[::1]:9000"), ":port" (all IPv4 interfaces).
 *   backlog: listen() backlog; <= 0 means the system maximum (SOMAXCONN).
 *   mode:    for unix sockets the file mode to set (e.g. 0660); -1 leaves
 *            what the umask gives. Ignored for TCP.
 * An existing unix socket file at the path is replaced only if no process
 * listens on it (FFCGI_EADDRINUSE otherwise); a path that exists and is not
 * a socket is never touched (FFCGI_EEXIST). The socket listens right after
 * its file appears, and the file never allows more than `mode`. The server owns
 * the socket and removes the file it created when freed.
 * Errors: FFCGI_EINVAL, FFCGI_EADDRESS, FFCGI_EEXIST, FFCGI_EADDRINUSE,
 * FFCGI_ESOCKET, FFCGI_ENOMEM; *out is NULL then. */
FFCGI_API int ffcgi_server_open(ffcgi_server **out, const char *address,
                                int backlog, int mode);

/* ffcgi_server_from_fd(): adopts `fd`, an already listening socket (unix or
 * TCP). The descriptor stays the caller's: ffcgi_server_free() does not
 * close it. It is set to O_NONBLOCK (shared with any process holding it), so
 * that a sibling process taking a connection first never leaves an accept
 * stuck. Errors: FFCGI_EINVAL, FFCGI_ENOTLISTENING, FFCGI_ESOCKET,
 * FFCGI_ENOMEM. */
FFCGI_API int ffcgi_server_from_fd(ffcgi_server **out, int fd);

/* ffcgi_server_inherit(): the server an application gets from its parent:
 *   - the first systemd socket (fd 3) if LISTEN_PID is this process and
 *     LISTEN_FDS >= 1;
 *   - else fd 0 if it is a listening socket (spawn-fcgi, mod_fcgid,
 *     lighttpd's bin-path, cgi-fcgi);
 *   - else a CGI server: its first accept yields exactly one request made of
 *     the process environment, stdin and stdout; the next accept returns
 *     FFCGI_ESHUTDOWN. Inherited descriptors are not closed on free.
 * Errors: FFCGI_ENOMEM. */
FFCGI_API int ffcgi_server_inherit(ffcgi_server **out);

/* ffcgi_server_is_cgi(): 1 for a CGI server made by ffcgi_server_inherit(),
 * 0 for a listener, FFCGI_EINVAL for NULL. */
FFCGI_API int ffcgi_server_is_cgi(const ffcgi_server *srv);

/* ffcgi_server_fd(): the listening descriptor (still owned by the server);
 * FFCGI_ESTATE for a CGI server (which has none; before 1.1 it gave -1,
 * which is also FFCGI_EINVAL), FFCGI_EINVAL for NULL. */
FFCGI_API int ffcgi_server_fd(const ffcgi_server *srv);

/* ffcgi_server_shutdown(): stops handing out requests. No new connection
 * is accepted; kept-open connections waiting between requests are closed;
 * connections on which nothing was served yet get their first request
 * served if it arrives within 5 s (or the idle limit, if shorter). Then
 * every accept blocked on this server returns FFCGI_ESHUTDOWN, and so does
 * every later one. Requests already accepted can still be completed.
 * Safe from any thread and from a signal handler (async-signal-safe).
 * Idempotent; NULL is ignored. */
FFCGI_API void ffcgi_server_shutdown(ffcgi_server *srv);

/* ffcgi_server_retired(): an ffcgi_retire_reason: FFCGI_RETIRED_NOT while
 * the server serves (or after ffcgi_server_shutdown()), else why it
 * retired. A retired server hands out no new requests (accept returns
 * FFCGI_ESHUTDOWN) and lets the ones in flight finish; the app should then
 * exit with FFCGI_RETIRED_EXIT_STATUS so that ffcgi-supervisor starts a fresh
 * process at once (or re-execute itself, keeping its listener). The error
 * log says why (info). FFCGI_EINVAL for NULL. Thread-safe. */
FFCGI_API int ffcgi_server_retired(const ffcgi_server *srv);

/* ffcgi_server_in_flight(): requests accepted and not yet finished, not
 * counting those timed out (FFCGI_LIMIT_REQUEST_MS): after a retirement,
 * 0 means that only threads stuck in timed-out requests are left, and the
 * process may be replaced now. FFCGI_EINVAL for NULL. Thread-safe. */
FFCGI_API int ffcgi_server_in_flight(const ffcgi_server *srv);

/* ffcgi_server_set_limit(): sets one of the FFCGI_LIMIT_* limits of every
 * request on `srv` (value >= 0; see enum ffcgi_limit for the meaning of 0).
 * A request whose params exceed their limits never reaches the app: the
 * library answers it with "Status: 431" and goes on. A request whose
 * CONTENT_LENGTH is over FFCGI_LIMIT_BODY_BYTES is answered "Status: 413"
 * by the library the same way. A body that grows past the limit makes
 * ffcgi_read() return FFCGI_ELIMIT, and the library answers 413 in place
 * of the app if nothing was sent yet: the app's ffcgi_status(),
 * ffcgi_header(), ffcgi_write() and ffcgi_flush() calls for that request
 * then return 0 and are dropped. A stalled connection makes it return FFCGI_ETIMEDOUT, and an idle
 * kept-open connection is closed. At FFCGI_LIMIT_CONNECTIONS, a new
 * connection makes the longest-idle kept connection close; if every held
 * connection is mid-request, new ones wait in the listen backlog until one
 * closes. Safe while other threads accept: each limit is an atomic, read
 * when a request begins (the connection limit: at each new connection).
 * Errors: FFCGI_EINVAL (also for FFCGI_LIMIT_CONNECTIONS 0). */
FFCGI_API int ffcgi_server_set_limit(ffcgi_server *srv, int limit, int64_t value);

/* ffcgi_server_limit(): the current value of an FFCGI_LIMIT_* limit, or
 * FFCGI_EINVAL for a NULL server or an unknown limit. */
FFCGI_API int64_t ffcgi_server_limit(const ffcgi_server *srv, int limit);

/* ffcgi_server_allow(): restricts which peers may connect to a TCP
 * listener: `addresses` is a list of IPv4 or IPv6 addresses, each with an
 * optional /prefix, separated by commas or spaces ("127.0.0.1,
 * 10.0.0.0/8, ::1"); NULL or "" allows everyone again. A connection from
 * any other address is closed at once and counted (ffcgi_server_refusals());
 * unix-socket peers are not affected (use the socket's mode). Replaces the
 * previous list. A TCP server starts with the list in the environment
 * variable FCGI_WEB_SERVER_ADDRS if set, as libfcgi does (libfcgi checks
 * IPv4 only). Safe while other threads accept (the list is swapped under a
 * lock; connections accepted from then on are checked against the new
 * one). Errors: FFCGI_EINVAL (an entry is not an address; the previous
 * list stays), FFCGI_ENOMEM. */
FFCGI_API int ffcgi_server_allow(ffcgi_server *srv, const char *addresses);

/* ffcgi_server_refusals(): how many connections the allow-list refused so
 * far; if `detail` is not NULL, copies (NUL-terminated, truncated to `cap`)
 * a description of the last refusal, e.g. "refused 10.1.2.3 port 5000: not
 * in the allow-list", or "" if none. Thread-safe. Errors: FFCGI_EINVAL. */
FFCGI_API int64_t ffcgi_server_refusals(ffcgi_server *srv, char *detail, size_t cap);

/* ffcgi_server_access_log(): writes one line per request served on `srv`
 * to the file at `path` (created with mode 0644 if missing, appended to),
 * or to standard output for "-"; NULL turns it off. The line is the
 * Combined Log Format plus the microseconds the request took:
 *   127.0.0.1 - - [05/Dec/2026:08:00:06 +0000] "GET /x?y=1 HTTP/1.1" 200 13 "-" "curl/7.88" 412
 * (REMOTE_ADDR, REMOTE_USER, the time the request began, REQUEST_METHOD
 * REQUEST_URI SERVER_PROTOCOL, the status, the body bytes the app wrote
 * after the head or "-", HTTP_REFERER, HTTP_USER_AGENT; bytes outside
 * printable ASCII, '"' and '\' as \xHH). Each worker gathers its lines
 * and writes whole lines, several per write() (at most PIPE_BUF bytes), to
 * a descriptor opened O_APPEND: lines never tear or interleave, even
 * between processes, and no lock is shared. A line is written within
 * 250 ms, at once when ffcgi_accept() fails (a shutdown ends the workers),
 * after each request once the server stopped (shut down or retired), or
 * when the request handle is freed; a process killed by a signal loses what
 * it had not written. Requests the library answers itself
 * (413, the status page) are logged too. Call before the first
 * ffcgi_accept() on `srv` (FFCGI_ESTATE after). Errors: FFCGI_EINVAL,
 * FFCGI_ENOMEM, FFCGI_EFILE (the file cannot be opened; errno in detail). */
FFCGI_API int ffcgi_server_access_log(ffcgi_server *srv, const char *path);

/* Levels of the error log (ffcgi_server_error_log()), most severe first. */
enum ffcgi_log_level {
    FFCGI_LOG_OFF = 0,     /* nothing is written */
    FFCGI_LOG_ERROR = 1,   /* the server cannot go on as asked (accept failed for good) */
    FFCGI_LOG_WARNING = 2, /* a request or connection went wrong: refused peers,
                            * protocol errors, limit refusals, a web server that
                            * went away mid-request, stalls */
    FFCGI_LOG_INFO = 3,    /* the server's own events (a shutdown) */
    FFCGI_LOG_DEBUG = 4    /* every connection accepted */
};

/* ffcgi_log_level_from_name(): the FFCGI_LOG_* level named "off",
 * "error", "warning", "info" or "debug" (ASCII case ignored), as the
 * --log-level options of the servers take it; FFCGI_EINVAL for any other
 * name (the detail lists the names). */
FFCGI_API int ffcgi_log_level_from_name(const char *name);

/* ffcgi_server_error_log(): writes what goes wrong around the app to the
 * file at `path` (created 0644 if missing, appended to), or to standard
 * error for "-"; NULL turns it off, the default: a library says nothing
 * unless asked. Messages at `level` and more severe are written, one line
 * each, with the peer (the web server's address, or its pid on a unix
 * socket) and the request ("GET /x") when there is one:
 *   2026-12-05T08:00:00.123+0000 python3[812]: warning: MESSAGE
 * One write() per line to a descriptor opened O_APPEND. Call before the
 * first ffcgi_accept() on `srv` (FFCGI_ESTATE after). Errors: FFCGI_EINVAL
 * (a level outside FFCGI_LOG_OFF..FFCGI_LOG_DEBUG), FFCGI_ENOMEM,
 * FFCGI_EFILE. */
FFCGI_API int ffcgi_server_error_log(ffcgi_server *srv, const char *path, int level);

/* ffcgi_server_log(): writes `message` (UTF-8 or bytes; newlines kept and
 * indented, other control bytes as '?') to the error log at `level`
 * (FFCGI_LOG_ERROR..FFCGI_LOG_DEBUG) if that level is enabled, in the
 * library's format: how a binding or an app reports into the same log.
 * Thread-safe. Errors: FFCGI_EINVAL. */
FFCGI_API int ffcgi_server_log(ffcgi_server *srv, int level, const char *message);

/* ffcgi_request_log(): as ffcgi_server_log() for the current request of
 * `req`, the line naming it as the library's own warnings do:
 *   ... error: "GET /x" from 192.0.2.7 via unix peer pid 812: MESSAGE
 * How a binding reports an app's unhandled exception. Errors: FFCGI_EINVAL,
 * FFCGI_ESTATE (no current request). */
FFCGI_API int ffcgi_request_log(ffcgi_request *req, int level, const char *message);

/* ffcgi_server_reopen_logs(): opens the access and error logs' paths
 * again, for log rotation (after the old files were renamed). Safe while
 * other threads serve: each descriptor is replaced in one step, so a line
 * goes to the old file or to the new one. A no-op for a log that is off or
 * "-". Errors: FFCGI_EINVAL, FFCGI_EFILE. */
FFCGI_API int ffcgi_server_reopen_logs(ffcgi_server *srv);

/* Formats of the status page (ffcgi_server_status()). */
enum ffcgi_status_format { FFCGI_STATUS_TEXT = 0, FFCGI_STATUS_JSON = 1 };

/* ffcgi_server_status_path(): requests for `path` ("/status": a path
 * beginning with '/', without '?') are answered by the library with the
 * status page, never shown to the app; NULL turns it off (the default).
 * The request's path is REQUEST_URI up to '?', else SCRIPT_NAME followed by
 * PATH_INFO; "?json" (or "format=json") in QUERY_STRING asks for JSON,
 * anything else gets plain text. The page shows the whole scoreboard: for
 * every worker (request handle) of this process — and of every process of
 * an ffcgi-supervisor, which shares one board among its workers — its
 * state, requests served and, when busy, its request and age; and the
 * totals (accepted connections, requests, refused peers, limit refusals,
 * protocol errors, timeouts, slow requests, the listen queue, uptime).
 * Restrict who reaches it in the web server. Call before the first
 * ffcgi_accept() (FFCGI_ESTATE after). Errors: FFCGI_EINVAL, FFCGI_ENOMEM. */
FFCGI_API int ffcgi_server_status_path(ffcgi_server *srv, const char *path);

/* ffcgi_server_status(): the status page in `format` (FFCGI_STATUS_TEXT or
 * FFCGI_STATUS_JSON) into buf, cut to cap - 1 bytes and NUL-terminated
 * (buf may be NULL with cap 0). Returns the page's full length, as
 * snprintf() does: call again with a larger buffer if it is >= cap.
 * Thread-safe. Errors: FFCGI_EINVAL, FFCGI_ENOMEM. */
FFCGI_API int64_t ffcgi_server_status(ffcgi_server *srv, int format, char *buf, size_t cap);

/* ffcgi_server_free(): closes the listener (if owned) and removes the unix
 * socket file it created. All request handles of the server must have been
 * freed first. NULL is a no-op. */
FFCGI_API void ffcgi_server_free(ffcgi_server *srv);

/* ---- request lifecycle -------------------------------------------------- */

/* ffcgi_request_new(): a request handle for one worker thread of `srv`.
 * The server must outlive the handle. Errors: FFCGI_EINVAL, FFCGI_ENOMEM. */
FFCGI_API int ffcgi_request_new(ffcgi_request **out, ffcgi_server *srv);

/* ffcgi_accept(): finishes the current request (as ffcgi_finish()) and
 * waits for the next one. Many threads may accept on one server at once,
 * each with its own handle: they wait together on every connection the
 * server holds, and a connection that is idle or has sent only part of a
 * request holds no thread. A request is returned once its head (begin
 * record and all params) has arrived and passed the checks. Connections
 * that close or send a malformed request before it begins are dropped and
 * waiting continues.
 * Returns 0 with a new current request; FFCGI_ESHUTDOWN when there are no
 * more requests (after ffcgi_server_shutdown(), or after the one request of
 * a CGI server); FFCGI_ESOCKET if accept() fails for good; FFCGI_EINVAL. */
FFCGI_API int ffcgi_accept(ffcgi_request *req);

/* ffcgi_accept_env(): ffcgi_accept(), then ffcgi_env_packed() of the new
 * request, in one call (for runtimes where each native call is costly).
 * Returns what ffcgi_accept() returns (*env NULL and *env_len 0 on an
 * error), or FFCGI_EINVAL for a NULL out-parameter. Since 1.3. */
FFCGI_API int ffcgi_accept_env(ffcgi_request *req, const char **env,
                               size_t *env_len);

/* ffcgi_finish(): completes the current request: sends pending headers,
 * flushes the output, discards unread body so a kept-open connection stays
 * in step, and ends the request with the exit status. Env strings and the
 * packed env of the request become invalid. A no-op without a current
 * request. Errors: FFCGI_EIO / FFCGI_EDISCONNECTED if the web server could
 * not be told (the request is finished all the same); FFCGI_EINVAL. */
FFCGI_API int ffcgi_finish(ffcgi_request *req);

/* ffcgi_request_free(): finishes the current request if any, closes a
 * kept-open connection and frees the handle. NULL is a no-op. */
FFCGI_API void ffcgi_request_free(ffcgi_request *req);

/* ffcgi_request_role(): the FFCGI_ROLE_* of the current request;
 * FFCGI_ESTATE without one, FFCGI_EINVAL for NULL. CGI requests are
 * responders. */
FFCGI_API int ffcgi_request_role(const ffcgi_request *req);

/* ffcgi_request_id(): the FastCGI request id (>= 1) of the current
 * request, 0 for a CGI request; FFCGI_ESTATE / FFCGI_EINVAL as above. */
FFCGI_API int ffcgi_request_id(const ffcgi_request *req);

/* ffcgi_request_keep_conn(): 1 if the web server keeps the connection open
 * after this request (FCGI_KEEP_CONN), else 0; FFCGI_ESTATE / FFCGI_EINVAL. */
FFCGI_API int ffcgi_request_keep_conn(const ffcgi_request *req);

/* ---- env (CGI params) ---------------------------------------------------
 * Returned strings are borrowed from the request and stay valid until the
 * next ffcgi_accept(), ffcgi_finish() or ffcgi_request_free() on it.
 * FastCGI params are C strings: a name or value ends at its first NUL
 * byte, as libfcgi gives them. A name is taken whole, '=' included. */

/* ffcgi_env_get(): the value of param `name`, or NULL if it was not sent
 * (or there is no current request, or an argument is NULL). */
FFCGI_API const char *ffcgi_env_get(ffcgi_request *req, const char *name);

/* ffcgi_env_count(): the number of params of the current request (the
 * first is FCGI_ROLE, added as libfcgi adds it); 0 without a current
 * request. */
FFCGI_API size_t ffcgi_env_count(ffcgi_request *req);

/* ffcgi_env_at(): the name and value of param `index` (0-based, in the
 * order received). Errors: FFCGI_ERANGE, FFCGI_ESTATE, FFCGI_EINVAL,
 * FFCGI_ENOMEM; *name and *value are NULL then. */
FFCGI_API int ffcgi_env_at(ffcgi_request *req, size_t index,
                           const char **name, const char **value);

/* ffcgi_env_packed(): all params in one buffer, for runtimes where each
 * native call is costly: for each param in order, NAME, a NUL byte, VALUE,
 * a NUL byte. *len is the total byte count (0 for no params). Errors:
 * FFCGI_ESTATE, FFCGI_EINVAL, FFCGI_ENOMEM. */
FFCGI_API int ffcgi_env_packed(ffcgi_request *req, const char **buf,
                               size_t *len);

/* ---- body --------------------------------------------------------------- */

/* ffcgi_read(): reads up to `cap` bytes of the request body (FCGI_STDIN)
 * into `buf`; binary-safe. Blocks until `cap` bytes or the end of the body
 * are there. *nread == 0 means the end of the body. A body that did not end
 * normally gives its bytes first, then the error (with *nread 0):
 * FFCGI_EABORTED (the web server aborted the request), FFCGI_EDISCONNECTED
 * (it closed the connection mid-body), FFCGI_EPROTOCOL (it broke the
 * protocol), FFCGI_EIO; also FFCGI_ESTATE (no current request),
 * FFCGI_EINVAL. */
FFCGI_API int ffcgi_read(ffcgi_request *req, void *buf, size_t cap,
                         size_t *nread);

/* ffcgi_read_data(): as ffcgi_read() for the FCGI_DATA stream of a FILTER
 * request (the file to filter). The body must have been read to its end
 * first (FFCGI_ESTATE otherwise); FFCGI_EROLE for other roles. */
FFCGI_API int ffcgi_read_data(ffcgi_request *req, void *buf, size_t cap,
                              size_t *nread);

/* ---- response ------------------------------------------------------------
 * If the app sets a status or a header, the library writes the CGI header
 * block before the first body byte, at a flush, or at finish: "Status: NNN
 * Reason" if a status was set (none otherwise: the web server then answers
 * 200), the headers in call order, an empty line. If it sets neither,
 * nothing is added: the app writes raw CGI output itself. */

/* ffcgi_status(): the HTTP status (100..999) sent as "Status: NNN Reason".
 * Errors: FFCGI_EINVAL (bad code), FFCGI_ESTATE (headers already sent or no
 * current request). */
FFCGI_API int ffcgi_status(ffcgi_request *req, int code);

/* ffcgi_status_reason(): as ffcgi_status() with the reason phrase given
 * ("Status: 418 I'm a teapot"); NULL means the standard phrase. The reason
 * must not contain control characters other than tab (FFCGI_EHEADER). The
 * string is copied. */
FFCGI_API int ffcgi_status_reason(ffcgi_request *req, int code,
                                  const char *reason);

/* ffcgi_header(): queues "name: value". Several calls with one name send
 * several lines (e.g. Set-Cookie). The name must be a non-empty HTTP token;
 * the value must not contain CR, LF, NUL or any other control character but
 * tab (response splitting): those give FFCGI_EHEADER (the detail quotes the
 * whole name, control bytes as \xHH) and queue nothing. Also FFCGI_ESTATE, FFCGI_ENOMEM,
 * FFCGI_EINVAL. The strings are copied. */
FFCGI_API int ffcgi_header(ffcgi_request *req, const char *name,
                           const char *value);

/* ffcgi_header_n(): ffcgi_header() with explicit lengths, so a NUL inside a
 * name or value (as a binding may pass it) is seen and refused. */
FFCGI_API int ffcgi_header_n(ffcgi_request *req, const char *name,
                             size_t name_len, const char *value,
                             size_t value_len);

/* ffcgi_write(): writes `len` bytes of body (FCGI_STDOUT); binary-safe;
 * buffered. Errors: FFCGI_EDISCONNECTED, FFCGI_EIO, FFCGI_ESTATE,
 * FFCGI_EINVAL. After an error the request can still be finished. */
FFCGI_API int ffcgi_write(ffcgi_request *req, const void *buf, size_t len);

/* ffcgi_print(): ffcgi_write() of a NUL-terminated string. */
FFCGI_API int ffcgi_print(ffcgi_request *req, const char *text);

/* ffcgi_write_stderr(): writes bytes to FCGI_STDERR (the web server's error
 * log; the process's stderr for CGI). Errors as ffcgi_write(). */
FFCGI_API int ffcgi_write_stderr(ffcgi_request *req, const void *buf,
                                 size_t len);

/* ffcgi_flush(): sends pending headers and buffered output now. Errors as
 * ffcgi_write(). */
FFCGI_API int ffcgi_flush(ffcgi_request *req);

/* ---- the response in one call (since 1.3) ---------------------------------
 * A header block packs `count` headers as NAME, a NUL byte, VALUE, a NUL
 * byte each, in the order they are sent (several of one name allowed), so
 * that a binding passes them all as one buffer. A name or value holding a
 * NUL byte shows as a block of more fields than `count` and is refused. */

/* ffcgi_head_check(): checks a response head by the rules of
 * ffcgi_status_reason() and ffcgi_header_n() without a request, as
 * ffcgi_respond() takes it (status 0: none), so that a binding can refuse a
 * bad head when the app gives it and send it later. 0, or FFCGI_EHEADER
 * naming what was refused (FFCGI_EINVAL for a bad status code or a NULL
 * with a length). */
FFCGI_API int ffcgi_head_check(int status, const char *reason,
                               size_t reason_len, const char *headers,
                               size_t headers_len, size_t header_count);

/* Flags of ffcgi_respond(). */
enum ffcgi_respond_flag {
    FFCGI_RESPOND_FLUSH = 1,  /* hand the output to the web server now */
    FFCGI_RESPOND_FINISH = 2  /* then finish the request (ffcgi_finish()) */
};

/* ffcgi_respond(): the response's usual calls in one: the status (none if
 * `status` is 0; `reason` of `reason_len` bytes, none or empty for the
 * standard phrase), the header block, `body_len` bytes of body, then
 * what `flags` ask. The status and every header are checked before any is
 * set: a refused one sets nothing and writes nothing. Answers byte for byte
 * as ffcgi_status_reason(), ffcgi_header_n() per header, ffcgi_write(),
 * ffcgi_flush() and ffcgi_finish() would, with their errors (FFCGI_EINVAL
 * also for unknown flags). On an error the request is not finished. */
FFCGI_API int ffcgi_respond(ffcgi_request *req, int status, const char *reason,
                            size_t reason_len, const char *headers,
                            size_t headers_len, size_t header_count,
                            const void *body, size_t body_len, int flags);

/* ffcgi_set_exit_status(): the appStatus sent in FCGI_END_REQUEST when the
 * request finishes (default 0). Errors: FFCGI_ESTATE, FFCGI_EINVAL. */
FFCGI_API int ffcgi_set_exit_status(ffcgi_request *req, int status);

/* ffcgi:end declarations */

#ifdef __cplusplus
}
#endif

#endif /* FFCGI_H */
