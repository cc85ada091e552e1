/* response_head.c — the CGI response head: a status and a queue of header
 * lines, validated against response splitting and sent once, before the
 * first body byte. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "request.h"

static const char *describe_byte(unsigned char c);

static const char *reason_phrase(int code)
{
    switch (code) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return NULL;
    }
}

void ffc_reset_head(ffcgi_request *req)
{
    req->status = 0;
    req->reason[0] = '\0';
    req->head_pending = 0;
    req->body_started = 0;
    req->answered = 0;
    req->raw_status = 0;
    req->body_bytes = 0;
    ffc_buf_clear(&req->head);
}

int ffc_response_status(const ffcgi_request *req)
{
    if (req->timed_out == FFC_TIMED_OUT_ANSWERED)
        return 504;
    if (req->status)
        return req->status;
    return req->raw_status ? req->raw_status : 200;
}

/* 0 if the head may still change, 1 if the library answered (the call is
 * dropped), or an error. */
static int head_open(ffcgi_request *req, const char *what)
{
    int rc = ffc_require_current(req, what);
    if (rc < 0)
        return rc;
    if (req->answered)
        return 1;
    if (req->body_started)
        return ffc_fail(FFCGI_ESTATE, "%s: the response head was already sent", what);
    return 0;
}

/* Control characters other than tab would split the response. */
static size_t find_control(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c < 0x20 && c != '\t') || c == 0x7F)
            return i;
    }
    return len;
}

/* A status code and its reason phrase (`len` bytes; none: the standard
 * one) as ffcgi_status_reason() and ffcgi_respond() accept them. */
static int check_status(int code, const char *reason, size_t len)
{
    if (code < 100 || code > 999)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_status: %d is not an HTTP status (100..999)", code);
    if (len >= sizeof ((ffcgi_request *)0)->reason)
        return ffc_fail(FFCGI_EHEADER, "ffcgi_status: reason phrase longer than %zu bytes",
                        sizeof ((ffcgi_request *)0)->reason - 1);
    size_t bad = find_control(reason, len);
    if (bad < len)
        return ffc_fail(FFCGI_EHEADER,
                        "reason phrase contains %s (byte 0x%02X at %zu): "
                        "refused to prevent response splitting",
                        describe_byte((unsigned char)reason[bad]),
                        (unsigned char)reason[bad], bad);
    return 0;
}

static void set_status(ffcgi_request *req, int code, const char *reason, size_t len)
{
    req->status = code;
    if (len)
        memcpy(req->reason, reason, len);
    req->reason[len] = '\0';
    req->head_pending = 1;
}

int ffcgi_status_reason(ffcgi_request *req, int code, const char *reason)
{
    int rc = head_open(req, "ffcgi_status");
    if (rc != 0)
        return rc < 0 ? rc : 0;
    size_t len = reason ? strlen(reason) : 0;
    if ((rc = check_status(code, reason, len)) < 0)
        return rc;
    set_status(req, code, reason, len);
    return 0;
}

int ffcgi_status(ffcgi_request *req, int code)
{
    return ffcgi_status_reason(req, code, NULL);
}

/* RFC 9110 token characters. */
static int is_token_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *describe_byte(unsigned char c)
{
    switch (c) {
    case '\r': return "CR";
    case '\n': return "LF";
    case '\0': return "NUL";
    default: return "a control character";
    }
}

/* The name as an error message quotes it: whole (up to 64 bytes), bytes
 * outside printable ASCII as \xHH, so the quote shows what was refused. */
static void quote_name(const char *name, size_t len, char *out, size_t cap)
{
    size_t at = 0;
    for (size_t i = 0; i < len && i < 64 && at + 5 < cap; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c >= 0x7F)
            at += (size_t)snprintf(out + at, cap - at, "\\x%02X", c);
        else
            out[at++] = (char)c;
    }
    if (len > 64 && at + 4 < cap)
        at += (size_t)snprintf(out + at, cap - at, "...");
    out[at] = '\0';
}

static int check_header(const char *name, size_t name_len, const char *value, size_t value_len)
{
    if (name_len == 0)
        return ffc_fail(FFCGI_EHEADER, "header name is empty");
    for (size_t i = 0; i < name_len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!is_token_char(c)) {
            char quoted[300];
            quote_name(name, name_len, quoted, sizeof quoted);
            return ffc_fail(FFCGI_EHEADER,
                            "header name '%s' contains %s (byte 0x%02X at %zu); "
                            "names are HTTP tokens", quoted,
                            c < 0x20 ? describe_byte(c) : "a character not allowed",
                            c, i);
        }
    }
    size_t bad = find_control(value, value_len);
    if (bad < value_len)
        return ffc_fail(FFCGI_EHEADER,
                        "value of header '%.*s' contains %s (byte 0x%02X at %zu): "
                        "refused to prevent response splitting",
                        (int)name_len, name, describe_byte((unsigned char)value[bad]),
                        (unsigned char)value[bad], bad);
    return 0;
}

/* Appends a checked header line to the head; nothing on ENOMEM. */
static int queue_header(ffcgi_request *req, const char *name, size_t name_len,
                        const char *value, size_t value_len)
{
    int rc;
    size_t before = req->head.len;
    if ((rc = ffc_buf_append(&req->head, name, name_len)) < 0 ||
        (rc = ffc_buf_append(&req->head, ": ", 2)) < 0 ||
        (rc = ffc_buf_append(&req->head, value, value_len)) < 0 ||
        (rc = ffc_buf_append(&req->head, "\r\n", 2)) < 0) {
        req->head.len = before;
        return rc;
    }
    req->head_pending = 1;
    return 0;
}

int ffcgi_header_n(ffcgi_request *req, const char *name, size_t name_len,
                   const char *value, size_t value_len)
{
    int rc = head_open(req, "ffcgi_header");
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if ((!name && name_len) || (!value && value_len))
        return ffc_fail(FFCGI_EINVAL, "ffcgi_header: name or value is NULL");
    if ((rc = check_header(name, name_len, value, value_len)) < 0)
        return rc;
    return queue_header(req, name, name_len, value, value_len);
}

/* One name or value of a packed header block: the bytes at *at up to the
 * next NUL, which must come before `end`. */
static int next_field(const char **at, const char *end, const char **field, size_t *len)
{
    const char *nul = *at < end ? memchr(*at, '\0', (size_t)(end - *at)) : NULL;
    if (!nul)
        return -1;
    *field = *at;
    *len = (size_t)(nul - *at);
    *at = nul + 1;
    return 0;
}

/* Walks a packed header block: without `req` checks every header, with
 * it queues them (checked before: only ENOMEM can fail then). */
static int walk_headers(ffcgi_request *req, const char *block, size_t len, size_t count)
{
    if (!block && len)
        return ffc_fail(FFCGI_EINVAL, "the header block is NULL");
    const char *at = block ? block : "", *end = at + len; /* no arithmetic on NULL */
    for (size_t i = 0; i < count; i++) {
        const char *name, *value;
        size_t name_len, value_len;
        if (next_field(&at, end, &name, &name_len) < 0 ||
            next_field(&at, end, &value, &value_len) < 0)
            return ffc_fail(FFCGI_EHEADER, "the header block ends within header %zu of "
                            "%zu (each is NAME, NUL, VALUE, NUL)", i + 1, count);
        int rc = req ? queue_header(req, name, name_len, value, value_len)
                     : check_header(name, name_len, value, value_len);
        if (rc < 0)
            return rc;
    }
    if (at != end)
        return ffc_fail(FFCGI_EHEADER, "the header block holds more than %zu headers: a "
                        "header name or value holds a NUL byte", count);
    return 0;
}

int ffcgi_head_check(int status, const char *reason, size_t reason_len,
                     const char *headers, size_t headers_len, size_t header_count)
{
    int rc = 0;
    if (!reason && reason_len)
        return ffc_fail(FFCGI_EINVAL, "the reason is NULL with a length");
    if (status != 0 && (rc = check_status(status, reason, reason_len)) < 0)
        return rc;
    return walk_headers(NULL, headers, headers_len, header_count);
}

int ffc_respond_head(ffcgi_request *req, int code, const char *reason, size_t reason_len,
                     const char *headers, size_t len, size_t count)
{
    if (code == 0 && count == 0) /* a body alone: the head may have gone */
        return ffc_require_current(req, "ffcgi_respond");
    int rc = head_open(req, "ffcgi_respond");
    if (rc != 0 || (rc = ffcgi_head_check(code, reason, reason_len, headers, len, count)) < 0)
        return rc; /* all checked before anything is set */
    size_t before = req->head.len;
    int pending = req->head_pending;
    if ((rc = walk_headers(req, headers, len, count)) < 0) {
        req->head.len = before; /* out of memory part way: none of them */
        req->head_pending = pending;
        return rc;
    }
    if (code != 0)
        set_status(req, code, reason, reason_len);
    return 0;
}

int ffcgi_header(ffcgi_request *req, const char *name, const char *value)
{
    if (!name || !value)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_header: name or value is NULL");
    return ffcgi_header_n(req, name, strlen(name), value, strlen(value));
}

int ffc_send_head(ffcgi_request *req)
{
    if (!req->head_pending || req->body_started)
        return 0;
    req->body_started = 1;
    req->head_pending = 0;
    int rc = 0;
    if (req->status) {
        char line[160];
        const char *reason = req->reason[0] ? req->reason : reason_phrase(req->status);
        int n = snprintf(line, sizeof line, "Status: %d%s%s\r\n", req->status,
                         reason ? " " : "", reason ? reason : "");
        rc = ffc_out_write(req, line, (size_t)n);
    }
    if (rc == 0)
        rc = ffc_out_write(req, req->head.data, req->head.len);
    if (rc == 0)
        rc = ffc_out_write(req, "\r\n", 2);
    return rc;
}
