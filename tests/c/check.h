/* check.h — assertions for the C tests: on failure print where and why
 * (with the library's last-error detail) and exit 1. */
#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ffcgi.h>

#define CHECK(expr)                                                          \
    do {                                                                     \
        if (!(expr)) {                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #expr);                                                  \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

#define CHECK_INT(actual, expected)                                              \
    do {                                                                         \
        long long a_ = (long long)(actual), e_ = (long long)(expected);          \
        if (a_ != e_) {                                                          \
            fprintf(stderr, "%s:%d: %s is %lld, expected %lld (last error: %s)\n", \
                    __FILE__, __LINE__, #actual, a_, e_, ffcgi_last_error());    \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

/* Expects an ffcgi call to succeed. */
#define CHECK_OK(call) CHECK_INT(call, 0)

#define CHECK_STR(actual, expected)                                              \
    do {                                                                         \
        const char *a_ = (actual), *e_ = (expected);                             \
        if (!a_ || strcmp(a_, e_) != 0) {                                        \
            fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__,  \
                    __LINE__, #actual, a_ ? a_ : "(null)", e_);                  \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

#define CHECK_CONTAINS(haystack, needle)                                         \
    do {                                                                         \
        const char *h_ = (haystack), *n_ = (needle);                             \
        if (!h_ || !strstr(h_, n_)) {                                            \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, \
                    __LINE__, h_ ? h_ : "(null)", n_);                           \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

#endif
