/* error.c — static error texts and the thread-local last-error detail. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static _Thread_local char last_error[512];

const char *ffcgi_strerror(int code)
{
    switch (code) {
    case FFCGI_OK: return "success";
    case FFCGI_EINVAL: return "invalid argument";
    case FFCGI_ENOMEM: return "out of memory";
    case FFCGI_EADDRESS: return "invalid listen address";
    case FFCGI_ESOCKET: return "socket error";
    case FFCGI_EEXIST: return "path exists and is not a socket";
    case FFCGI_EADDRINUSE: return "address already in use";
    case FFCGI_ENOTLISTENING: return "not a listening socket";
    case FFCGI_ESHUTDOWN: return "server shut down: no more requests";
    case FFCGI_EIO: return "I/O error on the web server connection";
    case FFCGI_EDISCONNECTED: return "the web server closed the connection";
    case FFCGI_EHEADER: return "invalid header name or value";
    case FFCGI_ESTATE: return "not possible in the request's current state";
    case FFCGI_EROLE: return "not possible in the request's role";
    case FFCGI_ERANGE: return "index out of range";
    case FFCGI_EPROTOCOL: return "FastCGI protocol error";
    case FFCGI_EABORTED: return "the web server aborted the request";
    case FFCGI_ELIMIT: return "the request body exceeds the limit";
    case FFCGI_ETIMEDOUT: return "the web server connection stalled";
    case FFCGI_EFILE: return "a file cannot be opened or written";
    default: return "unknown error";
    }
}

const char *ffcgi_last_error(void)
{
    return last_error;
}

static void record(const char *fmt, va_list ap, int err)
{
    int n = vsnprintf(last_error, sizeof last_error, fmt, ap);
    if (err && n >= 0 && (size_t)n < sizeof last_error)
        snprintf(last_error + n, sizeof last_error - (size_t)n, ": %s",
                 strerror(err));
}

int ffc_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(fmt, ap, 0);
    va_end(ap);
    return code;
}

int ffc_fail_errno(int code, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(fmt, ap, err);
    va_end(ap);
    return code;
}
