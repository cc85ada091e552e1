/* access_log.c — one line per request served, in the Combined Log Format
 * with the time taken added, written with a single write() to a file
 * opened O_APPEND: lines of many threads (and processes sharing the file)
 * never interleave, and no lock is taken.
 *
 *   127.0.0.1 - - [05/Dec/2026:08:00:06 +0000] "GET /x?y=1 HTTP/1.1" 200 13 "-" "curl/7.88" 412
 *
 * The fields: REMOTE_ADDR, "-", REMOTE_USER, the time the request began
 * (local time), the request line (REQUEST_METHOD, REQUEST_URI — else
 * SCRIPT_NAME PATH_INFO ?QUERY_STRING — and SERVER_PROTOCOL), the status,
 * the body bytes sent ("-" for none), HTTP_REFERER, HTTP_USER_AGENT and
 * the microseconds from the head read to the end of the answer. A byte
 * outside printable ASCII, '"' and '\' are written as \xHH, so a line is
 * always one line and its quoted fields always parse. */
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

/* A field as it came, escaped; "-" when it is absent or empty. */
static void put_field(struct line *l, const char *s)
{
    if (!s || !*s) {
        put(l, "-", 1);
        return;
    }
    size_t start = l->len;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (l->len - start >= FIELD_MAX_BYTES) {
            put(l, "...", 3);
            return;
        }
        if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
            char esc[5];
            snprintf(esc, sizeof esc, "\\x%02X", c);
            put(l, esc, 4);
        } else {
            put(l, (const char *)&c, 1);
        }
    }
}

static void put_number(struct line *l, long long n)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%lld", n);
    put(l, digits, (size_t)len);
}

static void put_time(struct line *l, time_t when)
{
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    localtime_r(&when, &tm);
    long offset = tm.tm_gmtoff / 60;
    char stamp[40];
    int n = snprintf(stamp, sizeof stamp, "[%02d/%s/%04d:%02d:%02d:%02d %c%02ld%02ld]",
                     tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, offset < 0 ? '-' : '+', labs(offset) / 60, labs(offset) % 60);
    put(l, stamp, (size_t)n);
}

static const char *env(const ffcgi_request *req, const char *name)
{
    return ffc_env_table_find(&req->env, name);
}

/* REQUEST_URI, else SCRIPT_NAME PATH_INFO ?QUERY_STRING, escaped. */
static void put_target(struct line *l, const ffcgi_request *req)
{
    const char *uri = env(req, "REQUEST_URI");
    if (uri && *uri) {
        put_field(l, uri);
        return;
    }
    const char *script = env(req, "SCRIPT_NAME"), *path = env(req, "PATH_INFO");
    const char *query = env(req, "QUERY_STRING");
    if (!(script && *script) && !(path && *path)) {
        put(l, "-", 1);
        return;
    }
    if (script && *script)
        put_field(l, script);
    if (path && *path)
        put_field(l, path);
    if (query && *query) {
        put(l, "?", 1);
        put_field(l, query);
    }
}

void ffc_access_log_write(const ffcgi_request *req)
{
    if (req->srv->access_log.fd < 0)
        return;
    struct line l = {.len = 0};
    put_field(&l, env(req, "REMOTE_ADDR"));
    put_str(&l, " - ");
    put_field(&l, env(req, "REMOTE_USER"));
    put(&l, " ", 1);
    put_time(&l, req->started_wall);
    put_str(&l, " \"");
    put_field(&l, env(req, "REQUEST_METHOD"));
    put(&l, " ", 1);
    put_target(&l, req);
    const char *protocol = env(req, "SERVER_PROTOCOL");
    if (protocol && *protocol) {
        put(&l, " ", 1);
        put_field(&l, protocol);
    }
    put_str(&l, "\" ");
    put_number(&l, ffc_response_status(req));
    put(&l, " ", 1);
    if (req->body_bytes > 0)
        put_number(&l, (long long)req->body_bytes);
    else
        put(&l, "-", 1);
    put_str(&l, " \"");
    put_field(&l, env(req, "HTTP_REFERER"));
    put_str(&l, "\" \"");
    put_field(&l, env(req, "HTTP_USER_AGENT"));
    put_str(&l, "\" ");
    put_number(&l, (ffc_now_us() - req->started_us));
    l.text[l.len++] = '\n';
    ffc_log_file_write(&req->srv->access_log, l.text, l.len);
}
