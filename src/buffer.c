/* buffer.c — a growable byte buffer. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int ffc_buf_reserve(struct ffc_buf *b, size_t extra)
{
    if (extra <= b->cap - b->len)
        return 0;
    size_t want = b->len + extra;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < want) {
        if (cap > ((size_t)-1) / 2)
            return ffc_fail(FFCGI_ENOMEM, "buffer of %zu bytes too large", want);
        cap *= 2;
    }
    char *grown = realloc(b->data, cap);
    if (!grown)
        return ffc_fail(FFCGI_ENOMEM, "cannot grow a buffer to %zu bytes", cap);
    b->data = grown;
    b->cap = cap;
    return 0;
}

int ffc_buf_append(struct ffc_buf *b, const void *bytes, size_t len)
{
    int rc = ffc_buf_reserve(b, len);
    if (rc < 0)
        return rc;
    if (len)
        memcpy(b->data + b->len, bytes, len);
    b->len += len;
    return 0;
}

void ffc_buf_clear(struct ffc_buf *b)
{
    b->len = 0;
}

void ffc_buf_release(struct ffc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
