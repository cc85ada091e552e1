/* error_log.c — the library's error log: what went wrong around the app
 * (refused peers, protocol errors, limit refusals, web servers that went
 * away), one line each, and the lines a binding writes for its app
 * (ffcgi_server_log()).
 *
 *   2026-12-05T08:00:00.123+0000 python3[812]: warning: MESSAGE
 *
 * Each line is one write() (log_file.c), so lines of threads and of
 * processes never interleave. A message's newlines are kept, each followed
 * by two spaces, so a traceback reads as one indented entry; other control
 * bytes become '?'. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "env_table.h"
#include "error.h"
#include "request.h"
#include "server.h"

#define LINE_MAX_BYTES 8192

static const char *const level_names[] = {"off", "error", "warning", "info", "debug"};

static const char *level_name(int level)
{
    return level_names[level];
}

int ffcgi_log_level_from_name(const char *name)
{
    for (int level = FFCGI_LOG_OFF; name && level <= FFCGI_LOG_DEBUG; level++)
        if (strcasecmp(name, level_names[level]) == 0)
            return level;
    return ffc_fail(FFCGI_EINVAL, "'%s' is not a log level (off, error, warning, info or debug)",
                    name ? name : "(null)");
}

int ffcgi_server_error_log(ffcgi_server *srv, const char *path, int level)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_error_log: server is NULL");
    if (level < FFCGI_LOG_OFF || level > FFCGI_LOG_DEBUG)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_error_log: level %d is not one of "
                                      "FFCGI_LOG_OFF (0) to FFCGI_LOG_DEBUG (4)", level);
    if (atomic_load(&srv->accepting))
        return ffc_fail(FFCGI_ESTATE, "ffcgi_server_error_log: the server is serving already "
                                      "(set the error log before the first ffcgi_accept)");
    int rc = ffc_log_file_set(&srv->error_log, path, "error log");
    if (rc < 0)
        return rc;
    srv->log_level = level;
    return 0;
}

int ffcgi_server_reopen_logs(ffcgi_server *srv)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_reopen_logs: server is NULL");
    int rc = ffc_log_file_reopen(&srv->access_log, "access log");
    int rc2 = ffc_log_file_reopen(&srv->error_log, "error log");
    return rc < 0 ? rc : rc2;
}

int ffc_log_enabled(const ffcgi_server *srv, int level)
{
    return srv->error_log.fd >= 0 && level <= srv->log_level;
}

/* "2026-12-05T08:00:00.123+0000 prog[pid]: level: " */
static size_t put_prefix(char *out, size_t cap, int level)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char date[32], zone[8];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(zone, sizeof zone, "%z", &tm);
    int n = snprintf(out, cap, "%s.%03ld%s %s[%ld]: %s: ", date, (long)(tv.tv_usec / 1000), zone,
                     program_invocation_short_name, (long)getpid(), level_name(level));
    return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

/* Appends message to line[len..], escaped as the header comment says;
 * returns the new length (room is kept for the final newline). */
static size_t put_message(char *line, size_t len, const char *message)
{
    for (const char *m = message; *m && len < LINE_MAX_BYTES - 4; m++) {
        unsigned char c = (unsigned char)*m;
        if (c == '\n' && m[1]) {
            memcpy(line + len, "\n  ", 3);
            len += 3;
        } else if (c == '\n') {
            break;
        } else {
            line[len++] = c < 0x20 || c == 0x7F ? '?' : (char)c;
        }
    }
    return len;
}

static void write_line(const ffcgi_server *srv, int level, const char *message)
{
    char line[LINE_MAX_BYTES];
    size_t len = put_prefix(line, sizeof line, level);
    len = put_message(line, len, message);
    line[len++] = '\n';
    ffc_log_file_write(&srv->error_log, line, len);
}

void ffc_log(const ffcgi_server *srv, int level, const char *fmt, ...)
{
    if (!ffc_log_enabled(srv, level))
        return;
    char message[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    write_line(srv, level, message);
}

static const char *env_or_dash(const ffcgi_request *req, const char *name)
{
    const char *value = ffc_env_table_find(&req->env, name);
    return value && *value ? value : "-";
}

void ffc_log_request(const ffcgi_request *req, int level, const char *fmt, ...)
{
    if (!ffc_log_enabled(req->srv, level))
        return;
    char peer[80] = "the CGI parent";
    if (!req->is_cgi && req->conn)
        ffc_peer_describe(req->conn->fd, peer, sizeof peer);
    char message[LINE_MAX_BYTES / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    ffc_log(req->srv, level, "\"%.32s %.1024s\" from %.64s via %s: %s",
            env_or_dash(req, "REQUEST_METHOD"), env_or_dash(req, "REQUEST_URI"),
            env_or_dash(req, "REMOTE_ADDR"), peer, message);
}

static int check_message(const char *what, int level, const char *message)
{
    if (!message)
        return ffc_fail(FFCGI_EINVAL, "%s: message is NULL", what);
    if (level < FFCGI_LOG_ERROR || level > FFCGI_LOG_DEBUG)
        return ffc_fail(FFCGI_EINVAL, "%s: level %d is not one of FFCGI_LOG_ERROR (1) to "
                                      "FFCGI_LOG_DEBUG (4)", what, level);
    return 0;
}

int ffcgi_server_log(ffcgi_server *srv, int level, const char *message)
{
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_server_log: server is NULL");
    int rc = check_message("ffcgi_server_log", level, message);
    if (rc < 0)
        return rc;
    if (ffc_log_enabled(srv, level))
        write_line(srv, level, message);
    return 0;
}

int ffcgi_request_log(ffcgi_request *req, int level, const char *message)
{
    int rc = ffc_require_current(req, "ffcgi_request_log");
    if (rc == 0)
        rc = check_message("ffcgi_request_log", level, message);
    if (rc < 0)
        return rc;
    ffc_log_request(req, level, "%s", message);
    return 0;
}

void ffc_peer_describe(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0) {
        snprintf(out, cap, "unknown peer");
        return;
    }
    char addr[INET6_ADDRSTRLEN];
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &in->sin_addr, addr, sizeof addr);
        snprintf(out, cap, "%s:%u", addr, ntohs(in->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof addr);
        snprintf(out, cap, "[%s]:%u", addr, ntohs(in6->sin6_port));
    } else {
        struct ucred cred;
        socklen_t clen = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
            snprintf(out, cap, "unix peer pid %ld", (long)cred.pid);
        else
            snprintf(out, cap, "unix peer");
    }
}
