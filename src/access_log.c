/* access_log.c — one line per request served, in the Combined Log Format
 * with the time taken added:
 *
 *   127.0.0.1 - - [05/Dec/2026:08:00:06 +0000] "GET /x?y=1 HTTP/1.1" 200 13 "-" "curl/7.88" 412
 *
 * The fields: REMOTE_ADDR, "-", REMOTE_USER, the time the request began
 * (local time), the request line (REQUEST_METHOD, REQUEST_URI — else
 * SCRIPT_NAME PATH_INFO ?QUERY_STRING — and SERVER_PROTOCOL), the status,
 * the body bytes sent ("-" for none), HTTP_REFERER, HTTP_USER_AGENT and
 * the microseconds from the head read to the end of the answer. A byte
 * outside printable ASCII, '"' and '\' are written as \xHH, so a line is
 * always one line and its quoted fields always parse.
 *
 * Each request handle (one per worker thread) gathers its lines in its own
 * batch and writes whole lines, several per write(), to the file opened
 * O_APPEND: lines of threads and of processes sharing the file never
 * interleave, and no lock is shared between threads. A batch is written
 * when the next line does not fit, by the watchdog's thread at least every
 * FFC_LOG_FLUSH_MS (watchdog.c), when ffcgi_accept() returns an error (a
 * shutdown or retirement ends the worker), when the handle is freed, and
 * at once in CGI mode. A batch is at most PIPE_BUF bytes, so that with
 * "-" on a pipe a write is not split either. What a process killed by a
 * signal had not written yet is lost (at most FFC_LOG_FLUSH_MS of lines).
 * One write() per line cost as much as the rest of a hello request's
 * logging (docs/benchmarks/findings.md). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "env_table.h"
#include "error.h"
#include "request.h"
#include "server.h"

#define LINE_MAX_BYTES 4096
#define FIELD_MAX_BYTES 1024 /* a longer field (a URI) is cut there, marked "..." */

_Static_assert(FFC_LOG_BATCH_BYTES <= PIPE_BUF, "a batch is one unsplit write on a pipe");
_Static_assert(LINE_MAX_BYTES <= FFC_LOG_BATCH_BYTES, "a line fits an empty batch");

int ffcgi_server_access_log(ffcgi_server *srv, const char *path)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_access_log: server is NULL");
    if (atomic_load(&srv->accepting))
        return ffc_fail(FFCGI_ESTATE, "ffcgi_server_access_log: the server is serving already "
                                      "(set the access log before the first ffcgi_accept)");
    return ffc_log_file_set(&srv->access_log, path, "access log");
}

/* A line being built; `len` never passes LINE_MAX_BYTES - 1 (room for \n). */
struct line {
    char text[LINE_MAX_BYTES];
    size_t len;
};

static void put(struct line *l, const char *s, size_t n)
{
    size_t room = LINE_MAX_BYTES - 1 - l->len;
    if (n > room)
        n = room;
    memcpy(l->text + l->len, s, n);
    l->len += n;
}

static void put_str(struct line *l, const char *s)
{
    put(l, s, strlen(s));
}

/* 1 for the bytes written as they are: printable ASCII but '"' and '\\'
 * (NUL is not one: it ends a field). */
static const unsigned char PLAIN[256] = {[' ' ... '!'] = 1, ['#' ... '['] = 1, [']' ... '~'] = 1};

/* A field as it came, escaped; "-" when it is absent or empty. Runs of
 * plain bytes are copied whole. */
static void put_field(struct line *l, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!s || !*s) {
        put(l, "-", 1);
        return;
    }
    size_t written = 0;
    while (*s && written < FIELD_MAX_BYTES) {
        size_t run = 0;
        while (PLAIN[(unsigned char)s[run]] && written + run < FIELD_MAX_BYTES)
            run++;
        put(l, s, run);
        written += run;
        s += run;
        if (*s && written < FIELD_MAX_BYTES && !PLAIN[(unsigned char)*s]) {
            unsigned char c = (unsigned char)*s++;
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            put(l, esc, sizeof esc);
            written += sizeof esc;
        }
    }
    if (*s)
        put(l, "...", 3);
}

static void put_number(struct line *l, long long n)
{
    char digits[24];
    size_t at = sizeof digits;
    unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
    do {
        digits[--at] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (n < 0)
        digits[--at] = '-';
    put(l, digits + at, sizeof digits - at);
}

/* "[05/Dec/2026:08:00:06 +0000]" for `when`, formatted once per second
 * per batch. */
static void put_time(struct line *l, struct ffc_log_batch *b, time_t when)
{
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (b->stamp_len == 0 || b->stamp_second != when) {
        struct tm tm;
        localtime_r(&when, &tm);
        long offset = tm.tm_gmtoff / 60;
        int n = snprintf(b->stamp, sizeof b->stamp, "[%02d/%s/%04d:%02d:%02d:%02d %c%02ld%02ld]",
                         tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
                         tm.tm_min, tm.tm_sec, offset < 0 ? '-' : '+', labs(offset) / 60,
                         labs(offset) % 60);
        b->stamp_len = n > 0 && (size_t)n < sizeof b->stamp ? (size_t)n : 0;
        b->stamp_second = when;
    }
    put(l, b->stamp, b->stamp_len);
}

/* The params a line shows, found in one pass over the env. */
enum field {
    REMOTE_ADDR, REMOTE_USER, REQUEST_METHOD, REQUEST_URI, SCRIPT_NAME, PATH_INFO,
    QUERY_STRING, SERVER_PROTOCOL, HTTP_REFERER, HTTP_USER_AGENT, FIELD_COUNT
};
#define FIELD(name) {#name, sizeof #name - 1}
static const struct {
    const char *name;
    size_t len;
} FIELD_NAMES[FIELD_COUNT] = {
    FIELD(REMOTE_ADDR), FIELD(REMOTE_USER), FIELD(REQUEST_METHOD), FIELD(REQUEST_URI),
    FIELD(SCRIPT_NAME), FIELD(PATH_INFO), FIELD(QUERY_STRING), FIELD(SERVER_PROTOCOL),
    FIELD(HTTP_REFERER), FIELD(HTTP_USER_AGENT)};
#undef FIELD

/* fields[f]: the value of the first param named FIELD_NAMES[f], or NULL
 * (as ffc_env_table_find() would give). Most params are passed over by
 * their name's length alone. */
static void find_fields(const struct ffc_env_table *t, const char *fields[FIELD_COUNT])
{
    for (int f = 0; f < FIELD_COUNT; f++)
        fields[f] = NULL;
    for (size_t i = 0; i < t->count; i++) {
        size_t len = ffc_env_table_name_len(t, i);
        const char *name = t->packed.data + t->offsets[2 * i];
        for (int f = 0; f < FIELD_COUNT; f++) {
            if (len == FIELD_NAMES[f].len && !fields[f] &&
                name[len - 1] == FIELD_NAMES[f].name[len - 1] &&
                memcmp(name, FIELD_NAMES[f].name, len) == 0) {
                fields[f] = t->packed.data + t->offsets[2 * i + 1];
                break;
            }
        }
    }
}

static int present(const char *s)
{
    return s && *s;
}

/* REQUEST_URI, else SCRIPT_NAME PATH_INFO ?QUERY_STRING, escaped. */
static void put_target(struct line *l, const char *fields[FIELD_COUNT])
{
    if (present(fields[REQUEST_URI])) {
        put_field(l, fields[REQUEST_URI]);
        return;
    }
    if (!present(fields[SCRIPT_NAME]) && !present(fields[PATH_INFO])) {
        put(l, "-", 1);
        return;
    }
    if (present(fields[SCRIPT_NAME]))
        put_field(l, fields[SCRIPT_NAME]);
    if (present(fields[PATH_INFO]))
        put_field(l, fields[PATH_INFO]);
    if (present(fields[QUERY_STRING])) {
        put(l, "?", 1);
        put_field(l, fields[QUERY_STRING]);
    }
}

static void build_line(struct line *l, ffcgi_request *req)
{
    const char *fields[FIELD_COUNT];
    find_fields(&req->env, fields);
    put_field(l, fields[REMOTE_ADDR]);
    put_str(l, " - ");
    put_field(l, fields[REMOTE_USER]);
    put(l, " ", 1);
    put_time(l, &req->log_batch, req->started_wall);
    put_str(l, " \"");
    put_field(l, fields[REQUEST_METHOD]);
    put(l, " ", 1);
    put_target(l, fields);
    if (present(fields[SERVER_PROTOCOL])) {
        put(l, " ", 1);
        put_field(l, fields[SERVER_PROTOCOL]);
    }
    put_str(l, "\" ");
    put_number(l, ffc_response_status(req));
    put(l, " ", 1);
    if (req->body_bytes > 0)
        put_number(l, (long long)req->body_bytes);
    else
        put(l, "-", 1);
    put_str(l, " \"");
    put_field(l, fields[HTTP_REFERER]);
    put_str(l, "\" \"");
    put_field(l, fields[HTTP_USER_AGENT]);
    put_str(l, "\" ");
    put_number(l, (ffc_now_us() - req->started_us));
    l->text[l->len++] = '\n';
}

/* Writes the batch's lines; under log_lock. A failed write loses them. */
static void write_batch(ffcgi_request *req)
{
    struct ffc_log_batch *b = &req->log_batch;
    if (b->len > 0)
        ffc_log_file_write(&req->srv->access_log, b->lines, b->len);
    b->len = 0;
}

void ffc_access_log_write(ffcgi_request *req)
{
    if (req->srv->access_log.fd < 0)
        return;
    struct line l;
    l.len = 0; /* (not `= {0}`: clearing the 4 KiB text cost as much as the line) */
    pthread_mutex_lock(&req->log_lock);
    build_line(&l, req);
    struct ffc_log_batch *b = &req->log_batch;
    if (b->len + l.len > sizeof b->lines)
        write_batch(req);
    memcpy(b->lines + b->len, l.text, l.len);
    b->len += l.len;
    if (req->is_cgi)
        write_batch(req);
    pthread_mutex_unlock(&req->log_lock);
}

void ffc_access_log_flush(ffcgi_request *req)
{
    pthread_mutex_lock(&req->log_lock);
    write_batch(req);
    pthread_mutex_unlock(&req->log_lock);
}

void ffc_access_log_flush_all(ffcgi_server *srv)
{
    pthread_mutex_lock(&srv->watch.lock);
    for (ffcgi_request *req = srv->watch.requests; req; req = req->watch_next)
        ffc_access_log_flush(req);
    pthread_mutex_unlock(&srv->watch.lock);
}
