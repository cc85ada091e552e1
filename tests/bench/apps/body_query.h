/* body_query.h — what the benchmark's body apps share (raw_hello.c --body
 * and apps/body.c): the `bytes=N` query that asks for an N-byte download,
 * the chunk size and the byte pattern (byte i = i % 251, as the load
 * generator's upload). Header-only, static functions. */
#ifndef BENCH_BODY_QUERY_H
#define BENCH_BODY_QUERY_H

#include <stdlib.h>
#include <string.h>

#define BODY_CHUNK 65536

/* N from the first `bytes=N` segment of query, or -1 (no download asked). */
static inline long long body_query_bytes(const char *query)
{
    for (const char *seg = query; seg && *seg; seg = strchr(seg, '&') ? strchr(seg, '&') + 1 : NULL) {
        if (strncmp(seg, "bytes=", 6) == 0)
            return strtoll(seg + 6, NULL, 10);
    }
    return -1;
}

/* Fills buf with the pattern (len a multiple of nothing in particular: each
 * chunk starts the pattern again, which is all a download check needs). */
static inline void body_pattern(char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)(i % 251);
}

#endif
