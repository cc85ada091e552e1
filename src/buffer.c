/* buffer.c — a growable byte buffer. Buffers of MAPPED_AT bytes or more
 * live in their own mapping (mmap/mremap/munmap) rather than the malloc
 * heap: a huge request head or body chunk, read by whichever thread, gives
 * its memory back to the system when it is released, instead of staying
 * in that thread's malloc arena. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "buffer.h"
#include "error.h"

#define MAPPED_AT (256 * 1024)

static int is_mapped(size_t cap)
{
    return cap >= MAPPED_AT;
}

/* Moves the buffer to `cap` bytes of memory (cap >= len). */
static int resize(struct ffc_buf *b, size_t cap)
{
    char *data;
    if (is_mapped(cap) && is_mapped(b->cap)) {
        data = mremap(b->data, b->cap, cap, MREMAP_MAYMOVE);
        if (data == MAP_FAILED)
            return ffc_fail(FFCGI_ENOMEM, "cannot grow a buffer to %zu bytes", cap);
    } else if (!is_mapped(cap) && !is_mapped(b->cap)) {
        data = realloc(b->data, cap);
        if (!data)
            return ffc_fail(FFCGI_ENOMEM, "cannot grow a buffer to %zu bytes", cap);
    } else {
        data = is_mapped(cap) ? mmap(NULL, cap, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                              : malloc(cap);
        if (!data || data == MAP_FAILED)
            return ffc_fail(FFCGI_ENOMEM, "cannot grow a buffer to %zu bytes", cap);
        if (b->len)
            memcpy(data, b->data, b->len);
        if (is_mapped(b->cap))
            munmap(b->data, b->cap);
        else
            free(b->data);
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

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
    return resize(b, cap);
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
    if (is_mapped(b->cap))
        munmap(b->data, b->cap);
    else
        free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void ffc_buf_consume(struct ffc_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void ffc_buf_shrink(struct ffc_buf *b, size_t keep)
{
    if (keep < b->len)
        keep = b->len;
    if (b->cap <= keep)
        return;
    if (keep == 0)
        ffc_buf_release(b);
    else
        resize(b, keep); /* best effort: on failure the buffer stays as it was */
}
