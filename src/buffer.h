/* buffer.h — a growable byte buffer (buffer.c). Not thread-safe: a buffer
 * belongs to whoever holds the struct that contains it. */
#ifndef FFCGI_BUFFER_H
#define FFCGI_BUFFER_H

#include <stddef.h>

struct ffc_buf {
    char *data;
    size_t len;
    size_t cap;
};

/* Makes room for `extra` more bytes; returns 0 or FFCGI_ENOMEM. */
int ffc_buf_reserve(struct ffc_buf *b, size_t extra);
/* Appends `len` bytes; returns 0 or FFCGI_ENOMEM (buffer unchanged then). */
int ffc_buf_append(struct ffc_buf *b, const void *bytes, size_t len);
/* Empties the buffer, keeping its memory for reuse. */
void ffc_buf_clear(struct ffc_buf *b);
/* Releases the memory; the buffer is empty and reusable afterwards. */
void ffc_buf_release(struct ffc_buf *b);
/* Drops the first `n` bytes, moving the rest to the front. */
void ffc_buf_consume(struct ffc_buf *b, size_t n);
/* Gives back memory beyond max(len, keep) bytes (best effort). */
void ffc_buf_shrink(struct ffc_buf *b, size_t keep);

#endif
