/* loadgen.c — ffcgi-loadgen: a FastCGI load generator (tests/bench/README.md).
 *
 *   ffcgi-loadgen --socket ADDRESS [--connections C] [--keep-conn]
 *                 [--warmup S] [--duration S] [--requests N]
 *                 [--params N] [--param NAME=VALUE]... [--body BYTES]
 *                 [--download BYTES] [--server-pid PID] [--timeout-ms MS]
 *                 [--max-errors N]
 *
 * C threads each drive one connection: a request, its whole response, the
 * next request — on the same connection with --keep-conn (FCGI_KEEP_CONN),
 * else on a new one each time (nginx's default). The request is encoded once
 * with the test client's protocol code (tests/client/fcgi_client.h): ~25
 * params shaped like nginx's fastcgi_params, an optional body. Every response
 * is checked: records well-formed and for request 1, FCGI_END_REQUEST with
 * FCGI_REQUEST_COMPLETE (a missing empty FCGI_STDOUT record, as PHP-FPM
 * sends it, is only counted: nginx accepts it), a CGI head whose Status (if
 * any) is 200, a non-empty body — of exactly BYTES with --download (sent as
 * QUERY_STRING bytes=BYTES) — and, when the answer has an X-Body-Bytes
 * header, the upload size in it.
 *
 * A warm-up, then a measured window of --duration seconds (or --requests
 * responses, whichever comes first); the CPU time of the server's process
 * tree (--server-pid: /proc/PID/stat utime+stime+cutime+cstime of it and its
 * descendants; threads are in their process's figures), of the load
 * generator itself and of the whole machine are read at both ends of the
 * window. --connections 0 sends nothing and only watches the server (whose
 * load comes from elsewhere, e.g. wrk through nginx): server_cpu_s is then
 * the figure. The last line of output is machine-readable:
 *   RESULT key=value ...
 * Exit status: 0 if every response was right, 1 if any was not (or none
 * came), 2 on a usage error. An alarm ends the process if it somehow runs
 * past warm-up + duration + timeout + 30 s: it always stops by itself. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fcgi_client.h"
#include "procstat.h"

#define MAX_CONNECTIONS 1024
#define MAX_EXTRA_PARAMS 64
#define MAX_PARAMS 100000
#define HEAD_CAP 8192                           /* stdout bytes kept to parse the CGI head */
#define RECORD_MAX (FCC_HEADER_LEN + 65535 + 255)
#define RBUF_CAP (4 * RECORD_MAX)
#define HIST_SUB 64                             /* log-linear histogram: 64 steps per octave */
#define HIST_BUCKETS (2 * HIST_SUB + 40 * HIST_SUB)

/* ---- Options ---------------------------------------------------------- */

static struct options {
    const char *address;
    int connections;
    int keep_conn;
    double warmup_s, duration_s;
    long long max_requests; /* 0: no limit */
    long n_params;
    const char *extra[MAX_EXTRA_PARAMS]; /* "NAME=VALUE" */
    int n_extra;
    long long body_bytes;
    long long download_bytes; /* -1: not asked for */
    pid_t server_pid;         /* 0: none */
    int timeout_ms;
    long long max_errors; /* the run ends after this many failed requests */
} opt = {
    .connections = 1, .warmup_s = 1, .duration_s = 5, .n_params = 25,
    .download_bytes = -1, .timeout_ms = 10000, .max_errors = 100,
};

static int usage(void)
{
    fprintf(stderr,
            "usage: ffcgi-loadgen --socket ADDRESS [--connections C] [--keep-conn]\n"
            "         [--warmup S] [--duration S] [--requests N] [--params N]\n"
            "         [--param NAME=VALUE]... [--body BYTES] [--download BYTES]\n"
            "         [--server-pid PID] [--timeout-ms MS] [--max-errors N]\n");
    return 2;
}

static int parse_ll(const char *text, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_seconds(const char *text, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v >= 0) || v > 86400)
        return -1;
    *out = v;
    return 0;
}

static int parse_options(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        long long n;
        if (strcmp(name, "--keep-conn") == 0) {
            opt.keep_conn = 1;
            continue;
        }
        if (i + 1 >= argc)
            return -1;
        const char *value = argv[++i];
        if (strcmp(name, "--socket") == 0)
            opt.address = value;
        else if (strcmp(name, "--connections") == 0 && parse_ll(value, 0, MAX_CONNECTIONS, &n) == 0)
            opt.connections = (int)n;
        else if (strcmp(name, "--warmup") == 0 && parse_seconds(value, &opt.warmup_s) == 0)
            ;
        else if (strcmp(name, "--duration") == 0 && parse_seconds(value, &opt.duration_s) == 0 &&
                 opt.duration_s > 0)
            ;
        else if (strcmp(name, "--requests") == 0 && parse_ll(value, 1, LLONG_MAX, &n) == 0)
            opt.max_requests = n;
        else if (strcmp(name, "--params") == 0 && parse_ll(value, 1, MAX_PARAMS, &n) == 0)
            opt.n_params = (long)n;
        else if (strcmp(name, "--param") == 0 && strchr(value, '=') && opt.n_extra < MAX_EXTRA_PARAMS)
            opt.extra[opt.n_extra++] = value;
        else if (strcmp(name, "--body") == 0 && parse_ll(value, 0, 1LL << 40, &n) == 0)
            opt.body_bytes = n;
        else if (strcmp(name, "--download") == 0 && parse_ll(value, 0, 1LL << 40, &n) == 0)
            opt.download_bytes = n;
        else if (strcmp(name, "--server-pid") == 0 && parse_ll(value, 1, INT_MAX, &n) == 0)
            opt.server_pid = (pid_t)n;
        else if (strcmp(name, "--timeout-ms") == 0 && parse_ll(value, 1, 600000, &n) == 0)
            opt.timeout_ms = (int)n;
        else if (strcmp(name, "--max-errors") == 0 && parse_ll(value, 1, LLONG_MAX, &n) == 0)
            opt.max_errors = n;
        else
            return -1;
    }
    return opt.address ? 0 : -1;
}

/* ---- The request, encoded once ---------------------------------------- */

static fcc_buf request_bytes = FCC_BUF_INIT;

/* nginx's fastcgi_params (plus the usual browser headers), in its order. */
static const char *const nginx_params[][2] = {
    {"QUERY_STRING", ""},
    {"REQUEST_METHOD", "GET"},
    {"CONTENT_TYPE", ""},
    {"CONTENT_LENGTH", ""},
    {"SCRIPT_NAME", "/hello"},
    {"REQUEST_URI", "/hello"},
    {"DOCUMENT_URI", "/hello"},
    {"DOCUMENT_ROOT", "/srv/www"},
    {"SERVER_PROTOCOL", "HTTP/1.1"},
    {"REQUEST_SCHEME", "http"},
    {"GATEWAY_INTERFACE", "CGI/1.1"},
    {"SERVER_SOFTWARE", "nginx/1.22.1"},
    {"REMOTE_ADDR", "127.0.0.1"},
    {"REMOTE_PORT", "51234"},
    {"SERVER_ADDR", "127.0.0.1"},
    {"SERVER_PORT", "8080"},
    {"SERVER_NAME", "localhost"},
    {"REDIRECT_STATUS", "200"},
    {"SCRIPT_FILENAME", "/srv/www/hello"},
    {"HTTP_HOST", "localhost:8080"},
    {"HTTP_USER_AGENT", "ffcgi-loadgen/1 (like curl/7.88.1)"},
    {"HTTP_ACCEPT", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    {"HTTP_ACCEPT_LANGUAGE", "en-GB,en;q=0.5"},
    {"HTTP_ACCEPT_ENCODING", "gzip, deflate"},
    {"HTTP_CONNECTION", "keep-alive"},
};
#define N_NGINX_PARAMS (sizeof nginx_params / sizeof nginx_params[0])

/* Sets name to value in the first n of params (replacing, else appending). */
static void set_param(fcc_param *params, size_t *n, const char *name, size_t name_len,
                      const char *value)
{
    for (size_t i = 0; i < *n; i++) {
        if (params[i].name_len == name_len && memcmp(params[i].name, name, name_len) == 0) {
            params[i].value = value;
            params[i].value_len = strlen(value);
            return;
        }
    }
    params[(*n)++] = (fcc_param){name, name_len, value, strlen(value), 0};
}

/* Encodes the one request every worker sends (request id 1). The strings
 * it borrows live until the process ends. */
static int encode_request(void)
{
    static char query[64], length[32];
    size_t cap = (size_t)opt.n_params + N_NGINX_PARAMS + MAX_EXTRA_PARAMS + 8, n = 0;
    fcc_param *params = calloc(cap, sizeof *params);
    char *extra_text = calloc((size_t)opt.n_params + 1, 64);
    unsigned char *body = opt.body_bytes ? malloc((size_t)opt.body_bytes) : NULL;
    if (!params || !extra_text || (opt.body_bytes && !body))
        return -1;
    for (size_t i = 0; i < N_NGINX_PARAMS && (long)i < opt.n_params; i++)
        params[n++] = fcc_str_param(nginx_params[i][0], nginx_params[i][1]);
    for (long i = (long)n; i < opt.n_params; i++) { /* params beyond nginx's: headers */
        char *name = extra_text + 64 * i;
        int len = snprintf(name, 64, "HTTP_X_BENCH_%05ld=value-%05ld-of-a-custom-header", i, i);
        char *eq = strchr(name, '=');
        *eq = '\0';
        params[n++] = (fcc_param){name, (size_t)(eq - name), eq + 1, (size_t)(len - (eq + 1 - name)), 0};
    }
    if (opt.body_bytes) {
        for (long long i = 0; i < opt.body_bytes; i++)
            body[i] = (unsigned char)(i % 251);
        snprintf(length, sizeof length, "%lld", opt.body_bytes);
        set_param(params, &n, "REQUEST_METHOD", 14, "POST");
        set_param(params, &n, "CONTENT_TYPE", 12, "application/octet-stream");
        set_param(params, &n, "CONTENT_LENGTH", 14, length);
    }
    if (opt.download_bytes >= 0) {
        snprintf(query, sizeof query, "bytes=%lld", opt.download_bytes);
        set_param(params, &n, "QUERY_STRING", 12, query);
    }
    for (int i = 0; i < opt.n_extra; i++) {
        const char *eq = strchr(opt.extra[i], '=');
        set_param(params, &n, opt.extra[i], (size_t)(eq - opt.extra[i]), eq + 1);
    }
    fcc_request req = {
        .id = 1, .role = FCC_RESPONDER, .keep_conn = opt.keep_conn,
        .params = params, .n_params = n,
        .stdin_data = body, .stdin_len = (size_t)opt.body_bytes,
    };
    int rc = fcc_encode_request(&request_bytes, &req);
    free(params); /* the encoded bytes are a copy */
    free(extra_text);
    free(body);
    opt.n_params = (long)n;
    return rc;
}

/* ---- Latency histogram ------------------------------------------------ */

/* Log-linear buckets: exact below 2*HIST_SUB ns, then HIST_SUB per octave
 * (1.6 % wide), up to 2^46 ns. */
static int hist_bucket(uint64_t ns)
{
    if (ns < 2 * HIST_SUB)
        return (int)ns;
    int msb = 63 - __builtin_clzll(ns);
    int shift = msb - 6; /* ns >> shift is in [64, 128) */
    int b = 2 * HIST_SUB + (shift - 1) * HIST_SUB + (int)((ns >> shift) - HIST_SUB);
    return b < HIST_BUCKETS ? b : HIST_BUCKETS - 1;
}

/* The middle of bucket b, in ns. */
static double hist_value(int b)
{
    if (b < 2 * HIST_SUB)
        return b;
    int shift = (b - 2 * HIST_SUB) / HIST_SUB + 1;
    uint64_t top = (uint64_t)((b - 2 * HIST_SUB) % HIST_SUB + HIST_SUB);
    return (double)(top << shift) + (double)(1ULL << shift) / 2;
}

/* The q-quantile (0 < q <= 1) of the merged histogram, in µs. */
static double hist_quantile(const uint64_t *hist, uint64_t total, double q)
{
    uint64_t rank = (uint64_t)(q * (double)total + 0.5), seen = 0;
    if (rank < 1)
        rank = 1;
    for (int b = 0; b < HIST_BUCKETS; b++) {
        seen += hist[b];
        if (seen >= rank)
            return hist_value(b) / 1000;
    }
    return 0;
}

/* ---- Workers ---------------------------------------------------------- */

enum { PHASE_WARMUP, PHASE_MEASURE, PHASE_STOP };
static atomic_int phase = PHASE_WARMUP;
static atomic_llong measured; /* responses completed while measuring */
static atomic_llong failed;   /* failed requests, in any phase */
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond;
static int enough; /* --requests or --max-errors reached; under done_lock */

/* Ends the run early (--requests or --max-errors reached): the server goes
 * idle at once, so its CPU time stops growing before the last sample. */
static void stop_early(void)
{
    atomic_store(&phase, PHASE_STOP);
    pthread_mutex_lock(&done_lock);
    enough = 1;
    pthread_cond_signal(&done_cond);
    pthread_mutex_unlock(&done_lock);
}

struct response {
    unsigned char head[HEAD_CAP];
    size_t head_len;
    unsigned long long stdout_bytes, stderr_bytes, received;
    int stdout_closed, got_end, protocol_status;
};

struct worker {
    pthread_t thread;
    int fd;
    long long on_conn; /* responses completed on this connection */
    unsigned char *rbuf;
    size_t rstart, rlen; /* unparsed bytes: rbuf[rstart .. rstart+rlen) */
    struct response resp;
    uint64_t hist[HIST_BUCKETS];
    long long ok, errors, reconnects;
    long long unclosed; /* responses without the empty FCGI_STDOUT record (PHP-FPM's) */
    unsigned long long up_bytes, down_bytes;
    char error[256];       /* the current failure */
    char first_error[256]; /* the first one, for the report */
};

enum { LG_OK = 0, LG_FAIL = -1, LG_CLOSED = -2 /* a kept connection closed before answering */ };

static int fail(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct worker *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->error, sizeof w->error, fmt, ap);
    va_end(ap);
    return LG_FAIL;
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The connection went away: LG_CLOSED when it is a kept connection that had
 * not answered anything of this request (the server may close a kept
 * connection; the request is retried once on a new one), else a failure. */
static int closed(struct worker *w, const char *what)
{
    if (opt.keep_conn && w->on_conn > 0 && w->resp.received == 0)
        return LG_CLOSED;
    return fail(w, "%s", what);
}

static int take_stdout(struct worker *w, const unsigned char *content, size_t len)
{
    struct response *r = &w->resp;
    if (r->stdout_closed)
        return fail(w, "FCGI_STDOUT after the end of the stream");
    if (len == 0) {
        r->stdout_closed = 1;
        return LG_OK;
    }
    size_t keep = HEAD_CAP - r->head_len < len ? HEAD_CAP - r->head_len : len;
    memcpy(r->head + r->head_len, content, keep);
    r->head_len += keep;
    r->stdout_bytes += len;
    return LG_OK;
}

/* Accounts every complete record in the receive buffer. */
static int take_records(struct worker *w)
{
    struct response *r = &w->resp;
    while (w->rlen >= FCC_HEADER_LEN) {
        const unsigned char *h = w->rbuf + w->rstart;
        size_t clen = (size_t)h[4] << 8 | h[5], total = FCC_HEADER_LEN + clen + h[6];
        if (w->rlen < total)
            break;
        const unsigned char *content = h + FCC_HEADER_LEN;
        if (r->got_end)
            return fail(w, "data after FCGI_END_REQUEST");
        if (h[0] != FCC_VERSION_1)
            return fail(w, "record of version %u", h[0]);
        if ((h[2] << 8 | h[3]) != 1)
            return fail(w, "record for request id %u", h[2] << 8 | h[3]);
        switch (h[1]) {
        case FCC_STDOUT:
            if (take_stdout(w, content, clen) != LG_OK)
                return LG_FAIL;
            break;
        case FCC_STDERR:
            r->stderr_bytes += clen;
            break;
        case FCC_END_REQUEST:
            if (clen != 8)
                return fail(w, "FCGI_END_REQUEST of %zu bytes", clen);
            r->protocol_status = content[4];
            r->got_end = 1;
            break;
        default:
            return fail(w, "unexpected record type %u", h[1]);
        }
        w->rstart += total;
        w->rlen -= total;
    }
    if (w->rlen == 0)
        w->rstart = 0;
    else if (RBUF_CAP - w->rstart - w->rlen < RECORD_MAX) { /* room for a whole record */
        memmove(w->rbuf, w->rbuf + w->rstart, w->rlen);
        w->rstart = 0;
    }
    return LG_OK;
}

/* One recv (flags: 0 blocks up to the receive timeout, MSG_DONTWAIT does
 * not), then accounts what came. */
static int receive(struct worker *w, int flags)
{
    size_t end = w->rstart + w->rlen;
    ssize_t n = recv(w->fd, w->rbuf + end, RBUF_CAP - end, flags);
    if (n == 0)
        return closed(w, "connection closed before FCGI_END_REQUEST");
    if (n < 0) {
        if (errno == EINTR || (flags & MSG_DONTWAIT && (errno == EAGAIN || errno == EWOULDBLOCK)))
            return LG_OK;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return fail(w, "no answer within %d ms", opt.timeout_ms);
        if (errno == ECONNRESET)
            return closed(w, "connection reset before FCGI_END_REQUEST");
        return fail(w, "recv: %s", strerror(errno));
    }
    w->resp.received += (size_t)n;
    w->rlen += (size_t)n;
    return take_records(w);
}

/* Sends the request while taking whatever comes back, then reads up to
 * FCGI_END_REQUEST. Small requests go out in one send(). */
static int exchange(struct worker *w)
{
    const unsigned char *data = request_bytes.data;
    size_t len = request_bytes.len, sent = 0;
    while (sent < len && !(w->resp.got_end && !opt.keep_conn)) {
        ssize_t n = send(w->fd, data + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
            return closed(w, "connection closed while sending the request");
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return fail(w, "send: %s", n ? strerror(errno) : "no progress");
        struct pollfd p = {.fd = w->fd, .events = POLLIN | POLLOUT};
        int k = poll(&p, 1, opt.timeout_ms);
        if (k == 0)
            return fail(w, "could not send the request within %d ms", opt.timeout_ms);
        if (k < 0 && errno != EINTR)
            return fail(w, "poll: %s", strerror(errno));
        if (k > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) && !w->resp.got_end) {
            int rc = receive(w, MSG_DONTWAIT);
            if (rc != LG_OK)
                return rc;
        }
    }
    while (!w->resp.got_end) {
        int rc = receive(w, 0);
        if (rc != LG_OK)
            return rc;
    }
    return LG_OK;
}

/* The number after "name:" in the CGI head (case-insensitive), or -1. */
static long long head_number(const char *head, size_t len, const char *name)
{
    size_t name_len = strlen(name);
    for (size_t i = 0; i + name_len < len; i++) {
        if ((i == 0 || head[i - 1] == '\n') && strncasecmp(head + i, name, name_len) == 0 &&
            head[i + name_len] == ':')
            return strtoll(head + i + name_len + 1, NULL, 10);
    }
    return -1;
}

/* Checks a complete response structurally; sets *body_len. */
static int check_response(struct worker *w, unsigned long long *body_len)
{
    struct response *r = &w->resp;
    if (r->protocol_status != FCC_REQUEST_COMPLETE)
        return fail(w, "FCGI_END_REQUEST with protocol status %d", r->protocol_status);
    const char *head = (const char *)r->head;
    size_t head_end = 0;
    for (size_t i = 0; i + 1 < r->head_len && !head_end; i++) {
        if (head[i] == '\n' && head[i + 1] == '\n')
            head_end = i + 2;
        else if (head[i] == '\n' && head[i + 1] == '\r' && i + 2 < r->head_len && head[i + 2] == '\n')
            head_end = i + 3;
    }
    if (!head_end)
        return fail(w, "no end of the CGI head in the first %zu bytes of output", r->head_len);
    long long status = head_number(head, head_end, "Status");
    if (status != -1 && status != 200)
        return fail(w, "Status %lld", status);
    *body_len = r->stdout_bytes - head_end;
    if (opt.download_bytes >= 0 && *body_len != (unsigned long long)opt.download_bytes)
        return fail(w, "a body of %llu bytes, expected %lld", *body_len, opt.download_bytes);
    if (opt.download_bytes < 0 && *body_len == 0)
        return fail(w, "an empty body");
    long long told = head_number(head, head_end, "X-Body-Bytes");
    if (told != -1 && told != opt.body_bytes)
        return fail(w, "the server read %lld bytes of the %lld-byte body", told, opt.body_bytes);
    return LG_OK;
}

static void disconnect(struct worker *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

static int connect_server(struct worker *w)
{
    w->fd = fcc_connect(opt.address);
    if (w->fd < 0)
        return fail(w, "%s", fcc_error());
    struct timeval tv = {.tv_sec = opt.timeout_ms / 1000, .tv_usec = opt.timeout_ms % 1000 * 1000};
    setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    w->on_conn = 0;
    return LG_OK;
}

/* One request and its checked response; *body_len is the response body. */
static int one_request(struct worker *w, unsigned long long *body_len)
{
    for (int attempt = 0;; attempt++) {
        if (w->fd < 0 && connect_server(w) != LG_OK)
            return LG_FAIL;
        w->resp.head_len = w->resp.stdout_bytes = w->resp.stderr_bytes = w->resp.received = 0;
        w->resp.stdout_closed = w->resp.got_end = w->resp.protocol_status = 0;
        w->rstart = w->rlen = 0;
        int rc = exchange(w);
        if (rc == LG_CLOSED && attempt == 0) {
            w->reconnects++;
            disconnect(w);
            continue;
        }
        if (rc == LG_CLOSED)
            rc = fail(w, "a new connection closed before answering");
        if (rc == LG_OK)
            rc = check_response(w, body_len);
        if (rc != LG_OK || !opt.keep_conn)
            disconnect(w);
        else
            w->on_conn++;
        return rc;
    }
}

static void *work(void *arg)
{
    struct worker *w = arg;
    while (atomic_load(&phase) != PHASE_STOP) {
        unsigned long long body_len = 0;
        long long t0 = now_ns();
        int rc = one_request(w, &body_len);
        long long t1 = now_ns();
        if (rc != LG_OK) {
            w->errors++;
            if (!w->first_error[0])
                memcpy(w->first_error, w->error, sizeof w->error);
            if (atomic_fetch_add(&failed, 1) + 1 == opt.max_errors)
                stop_early();
            struct timespec pause = {0, 1000000}; /* a dead server is not hammered */
            nanosleep(&pause, NULL);
            continue;
        }
        if (atomic_load(&phase) != PHASE_MEASURE)
            continue;
        w->ok++;
        w->unclosed += !w->resp.stdout_closed;
        w->hist[hist_bucket((uint64_t)(t1 - t0))]++;
        w->up_bytes += (unsigned long long)opt.body_bytes;
        w->down_bytes += body_len;
        if (atomic_fetch_add(&measured, 1) + 1 == opt.max_requests)
            stop_early();
    }
    disconnect(w);
    return NULL;
}

/* ---- Measuring -------------------------------------------------------- */

struct sample {
    long long t_ns;
    struct tree_usage server;
    struct machine_usage machine;
    long long self_ticks;
    struct rusage self;
};

static void take_sample(struct sample *s, int with_memory)
{
    s->t_ns = now_ns();
    if (!opt.server_pid || tree_usage_read(opt.server_pid, with_memory, &s->server) != 0)
        memset(&s->server, 0, sizeof s->server);
    if (machine_usage_read(&s->machine) != 0)
        memset(&s->machine, 0, sizeof s->machine);
    s->self_ticks = self_cpu_ticks();
    getrusage(RUSAGE_SELF, &s->self);
}

static double rusage_us(const struct rusage *r)
{
    return (double)(r->ru_utime.tv_sec + r->ru_stime.tv_sec) * 1e6 +
           (double)(r->ru_utime.tv_usec + r->ru_stime.tv_usec);
}

/* Waits s seconds, or less if the run is ended early (stop_early). */
static void wait_seconds(double s)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    long long ns = until.tv_nsec + (long long)(s * 1e9);
    until.tv_sec += (time_t)(ns / 1000000000LL);
    until.tv_nsec = (long)(ns % 1000000000LL);
    pthread_mutex_lock(&done_lock);
    while (!enough && pthread_cond_timedwait(&done_cond, &done_lock, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&done_lock);
}

static void report(const struct worker *workers, const struct sample *a, const struct sample *b,
                   long long requests)
{
    static uint64_t hist[HIST_BUCKETS];
    long long errors = 0, reconnects = 0, ok = 0, unclosed = 0;
    unsigned long long bytes = 0;
    const char *first_error = "";
    for (int i = 0; i < opt.connections; i++) {
        const struct worker *w = &workers[i];
        for (int k = 0; k < HIST_BUCKETS; k++)
            hist[k] += w->hist[k];
        errors += w->errors;
        reconnects += w->reconnects;
        unclosed += w->unclosed;
        ok += w->ok;
        bytes += w->up_bytes + w->down_bytes;
        if (!*first_error && w->first_error[0])
            first_error = w->first_error;
    }
    double secs = b->t_ns > a->t_ns ? (double)(b->t_ns - a->t_ns) / 1e9 : 1e-9, hz = (double)sysconf(_SC_CLK_TCK);
    double per = requests > 0 ? (double)requests : 1;
    long long server_ticks = b->server.cpu_ticks - a->server.cpu_ticks;
    long long self_ticks = b->self_ticks - a->self_ticks;
    long long other_ticks = (b->machine.busy_ticks - a->machine.busy_ticks) - self_ticks -
                            (opt.server_pid ? server_ticks : 0);
    double server_us = opt.server_pid ? (double)server_ticks / hz * 1e6 / per : 0;
    double client_us = (rusage_us(&b->self) - rusage_us(&a->self)) / per;
    double other_pct = (double)other_ticks / hz / secs * 100;
    double steal_pct = (double)(b->machine.steal_ticks - a->machine.steal_ticks) / hz / secs * 100;
    double rps = (double)requests / secs, mb_s = (double)bytes / secs / 1e6;
    double p50 = hist_quantile(hist, (uint64_t)ok, 0.50), p99 = hist_quantile(hist, (uint64_t)ok, 0.99);
    double max = hist_quantile(hist, (uint64_t)ok, 1.0);

    printf("ffcgi-loadgen: %s, %d connection%s, %s, %ld params, body %lld B%s\n", opt.address,
           opt.connections, opt.connections == 1 ? "" : "s",
           opt.keep_conn ? "keep-conn" : "a new connection per request", opt.n_params,
           opt.body_bytes, opt.download_bytes >= 0 ? ", download checked" : "");
    printf("  %lld responses in %.2f s: %.0f req/s, %.1f MB/s; errors %lld, reconnects %lld\n",
           requests, secs, rps, mb_s, errors, reconnects);
    printf("  latency p50 %.1f us, p99 %.1f us, max %.0f us\n", p50, p99, max);
    if (opt.server_pid)
        printf("  server: %.2f us CPU per request (%d process%s), RSS %lld kB (peak %lld kB), "
               "PSS %lld kB\n", server_us, b->server.procs, b->server.procs == 1 ? "" : "es",
               b->server.rss_kb, b->server.hwm_kb, b->server.pss_kb);
    printf("  load generator: %.2f us CPU per request; other load %.1f%% of a CPU, steal %.1f%%\n",
           client_us, other_pct, steal_pct);
    if (unclosed)
        printf("  %lld responses ended without the empty FCGI_STDOUT record that closes the stream\n",
               unclosed);
    if (*first_error)
        printf("  first error: %s\n", first_error);
    printf("RESULT conns=%d keep_conn=%d params=%ld body=%lld download=%lld duration_s=%.3f "
           "requests=%lld errors=%lld reconnects=%lld unclosed_stdout=%lld rps=%.1f mb_s=%.2f p50_us=%.1f p99_us=%.1f "
           "max_us=%.0f server_cpu_s=%.3f server_cpu_us=%.3f client_cpu_us=%.3f other_cpu_pct=%.1f steal_pct=%.1f "
           "server_procs=%d server_rss_kb=%lld server_pss_kb=%lld server_hwm_kb=%lld\n",
           opt.connections, opt.keep_conn, opt.n_params, opt.body_bytes, opt.download_bytes, secs,
           requests, errors, reconnects, unclosed, rps, mb_s, p50, p99, max, (double)server_ticks / hz,
           server_us, client_us, other_pct,
           steal_pct, b->server.procs, b->server.rss_kb, b->server.pss_kb, b->server.hwm_kb);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (parse_options(argc, argv) != 0)
        return usage();
    if (encode_request() != 0) {
        fprintf(stderr, "ffcgi-loadgen: cannot encode the request: %s\n", fcc_error());
        return 1;
    }
    /* The bound: whatever happens, the process ends. */
    alarm((unsigned)(opt.warmup_s + opt.duration_s + opt.timeout_ms / 1000.0 + 30));

    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&done_cond, &attr);

    struct worker *workers = calloc((size_t)opt.connections + 1, sizeof *workers);
    if (!workers)
        return 1;
    int started = 0;
    for (; started < opt.connections; started++) {
        struct worker *w = &workers[started];
        w->fd = -1;
        w->rbuf = malloc(RBUF_CAP);
        if (!w->rbuf || pthread_create(&w->thread, NULL, work, w) != 0)
            break;
    }
    struct sample begin, end;
    if (started == opt.connections) {
        wait_seconds(opt.warmup_s);
        take_sample(&begin, 0);
        int warming = PHASE_WARMUP; /* not if too many errors ended it already */
        atomic_compare_exchange_strong(&phase, &warming, PHASE_MEASURE);
        wait_seconds(opt.duration_s);
        long long requests = atomic_load(&measured);
        take_sample(&end, 1);
        atomic_store(&phase, PHASE_STOP);
        for (int i = 0; i < started; i++)
            pthread_join(workers[i].thread, NULL);
        report(workers, &begin, &end, requests);
    } else {
        fprintf(stderr, "ffcgi-loadgen: cannot start %d threads\n", opt.connections);
        atomic_store(&phase, PHASE_STOP);
        for (int i = 0; i < started; i++)
            pthread_join(workers[i].thread, NULL);
        return 1;
    }
    long long errors = 0, ok = 0;
    for (int i = 0; i < started; i++) {
        errors += workers[i].errors;
        ok += workers[i].ok;
        free(workers[i].rbuf);
    }
    free(workers);
    fcc_buf_free(&request_bytes);
    return errors == 0 && (ok > 0 || opt.connections == 0) ? 0 : 1;
}
