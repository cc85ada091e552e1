/* conn.h — one connection from the web server: its socket, the bytes read
 * from it and not yet used, and the parser's place in them (conn_io.c).
 *
 * Ownership: a connection is held by the loop (loop.c) while it waits for
 * input, and by exactly one thread while that thread reads or serves it;
 * only the owner touches the fields above "the loop's". Those are
 * guarded by the loop's lock. */
#ifndef FFCGI_CONN_H
#define FFCGI_CONN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "buffer.h"
#include "parser.h"

enum ffc_fill_result {
    FFC_FILL_OK = 0,      /* more bytes are in `in` */
    FFC_FILL_AGAIN = 1,   /* nothing to read now (non-blocking) */
    FFC_FILL_CLOSED = 2,  /* the web server closed the connection, or it broke */
};

struct ffc_conn {
    int fd;                   /* non-blocking, close-on-exec */
    struct ffc_buf in;        /* bytes read and not yet used: in.data[pos..len) */
    size_t pos;
    struct ffc_buf replies;   /* records the library owes the web server */
    struct ffc_parser parser;
    int served;               /* a request of this connection reached an app */
    int output_failed;        /* 0, or the FFCGI_E* a write failed with: the
                               * connection is unusable */
    int maybe_more;           /* the last read filled the room: the socket may hold more */
    int drained;              /* read to empty since the loop handed it out: any
                               * later input will be reported (owner only) */
    atomic_int hung_up;       /* the web server closed its side: an end that a
                               * short read does not show, so read to EOF */
    int registered;           /* in the loop's epoll set (owner only) */
    int armed;                /* ... reporting input (owner only) */
    /* the loop's (loop.c), under its lock */
    uint32_t slot;
    uint32_t generation;      /* changes each time the slot is reused */
    int owned;                /* a thread holds it */
    int pending;              /* input arrived while a thread held it */
    int64_t deadline_ms;      /* while idle: closed at this time */
    struct ffc_conn *prev, *next; /* the idle list, oldest first */
};

/* Bytes in the buffer not yet used, and where they start. */
size_t ffc_conn_buffered(const struct ffc_conn *c);
const unsigned char *ffc_conn_unread(const struct ffc_conn *c);
/* Reads what the socket has into `in` (one recv of at least 64 KiB of
 * room, so any whole record fits). wait_ms: 0 returns FFC_FILL_AGAIN when
 * nothing is there; otherwise waits up to wait_ms (-1: for ever), then
 * FFCGI_ETIMEDOUT. Returns an ffc_fill_result or a negative FFCGI_E*. */
int ffc_conn_fill(struct ffc_conn *c, int wait_ms);
/* Writes every byte of iov (SIGPIPE never raised), waiting up to idle_ms
 * for room whenever the web server stops reading. Returns 0,
 * FFCGI_EDISCONNECTED, FFCGI_ETIMEDOUT or FFCGI_EIO; after a failure the
 * connection is marked output_failed. */
int ffc_conn_sendv(struct ffc_conn *c, struct iovec *iov, int count, int idle_ms);
/* Sends the replies the parser queued, if any. */
int ffc_conn_send_replies(struct ffc_conn *c, int idle_ms);
/* No more output on c: the web server reads to its end (EOF) while the
 * rest of a request that was answered early is still read and dropped. */
void ffc_conn_end_output(struct ffc_conn *c);

#endif
