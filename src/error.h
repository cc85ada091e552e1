/* error.h — recording errors for ffcgi_last_error() (error.c). */
#ifndef FFCGI_ERROR_H
#define FFCGI_ERROR_H

#include "ffcgi.h"

/* Records detail for ffcgi_last_error() on this thread and returns `code`. */
int ffc_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As ffc_fail(), appending ": strerror(err)" to the detail. */
int ffc_fail_errno(int code, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
