/*
 * record.h — the FastCGI 1.0 wire format (records, name-value pairs), for
 * the parser (parser.c) and the output framing (output.c). Pure functions:
 * no I/O, no allocation.
 */
#ifndef FFCGI_RECORD_H
#define FFCGI_RECORD_H

#include <stddef.h>
#include <stdint.h>

enum {
    FFC_HEADER_LEN = 8,
    FFC_VERSION_1 = 1,
    FFC_MAX_CONTENT = 65535,
};

enum ffc_record_type {
    FFC_BEGIN_REQUEST = 1,
    FFC_ABORT_REQUEST = 2,
    FFC_END_REQUEST = 3,
    FFC_PARAMS = 4,
    FFC_STDIN = 5,
    FFC_STDOUT = 6,
    FFC_STDERR = 7,
    FFC_DATA = 8,
    FFC_GET_VALUES = 9,
    FFC_GET_VALUES_RESULT = 10,
    FFC_UNKNOWN_TYPE = 11,
};

enum ffc_protocol_status {
    FFC_REQUEST_COMPLETE = 0,
    FFC_CANT_MPX_CONN = 1,
    FFC_OVERLOADED = 2,
    FFC_UNKNOWN_ROLE = 3,
};

enum { FFC_KEEP_CONN = 1 };

struct ffc_record {
    unsigned version;
    unsigned type;
    unsigned id;
    size_t content_len;
    size_t padding_len;
};

/* Decodes the 8-byte header at p. */
void ffc_record_decode(const unsigned char *p, struct ffc_record *r);
/* Encodes a header (version 1) into p[0..7]. content_len <= 65535. */
void ffc_record_encode(unsigned char *p, unsigned type, unsigned id,
                       size_t content_len, size_t padding_len);
/* Bytes the record takes on the wire: header, content and padding. */
size_t ffc_record_size(const struct ffc_record *r);

/* Walks the name-value pairs of a complete params stream.
 * ffc_nv_next() returns 1 with the next pair, 0 at the clean end, -1 if a
 * length runs past the end (a malformed stream). Inline: the parser walks
 * every pair of every request with it. */
struct ffc_nv_cursor {
    const unsigned char *p;
    size_t left;
};

static inline int ffc_nv_take_length(struct ffc_nv_cursor *c, size_t *len)
{
    if (c->left >= 1 && c->p[0] < 0x80) {
        *len = c->p[0];
        c->p += 1;
        c->left -= 1;
        return 0;
    }
    if (c->left < 4)
        return -1;
    *len = ((size_t)(c->p[0] & 0x7F) << 24) | (size_t)c->p[1] << 16 | (size_t)c->p[2] << 8 | c->p[3];
    c->p += 4;
    c->left -= 4;
    return 0;
}

static inline int ffc_nv_next(struct ffc_nv_cursor *c, const unsigned char **name,
                              size_t *name_len, const unsigned char **value, size_t *value_len)
{
    if (c->left == 0)
        return 0;
    if (ffc_nv_take_length(c, name_len) < 0 || ffc_nv_take_length(c, value_len) < 0)
        return -1;
    if (*name_len > c->left || *value_len > c->left - *name_len)
        return -1;
    *name = c->p;
    *value = c->p + *name_len;
    c->p += *name_len + *value_len;
    c->left -= *name_len + *value_len;
    return 1;
}

#endif
