/* record.c — see record.h. */
#include "record.h"

void ffc_record_decode(const unsigned char *p, struct ffc_record *r)
{
    r->version = p[0];
    r->type = p[1];
    r->id = (unsigned)p[2] << 8 | p[3];
    r->content_len = (size_t)p[4] << 8 | p[5];
    r->padding_len = p[6];
}

void ffc_record_encode(unsigned char *p, unsigned type, unsigned id,
                       size_t content_len, size_t padding_len)
{
    p[0] = FFC_VERSION_1;
    p[1] = (unsigned char)type;
    p[2] = (unsigned char)(id >> 8);
    p[3] = (unsigned char)id;
    p[4] = (unsigned char)(content_len >> 8);
    p[5] = (unsigned char)content_len;
    p[6] = (unsigned char)padding_len;
    p[7] = 0;
}

size_t ffc_record_size(const struct ffc_record *r)
{
    return FFC_HEADER_LEN + r->content_len + r->padding_len;
}

static int take_length(struct ffc_nv_cursor *c, size_t *len)
{
    if (c->left < 1)
        return -1;
    if (c->p[0] < 0x80) {
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

int ffc_nv_next(struct ffc_nv_cursor *c, const unsigned char **name, size_t *name_len,
                const unsigned char **value, size_t *value_len)
{
    if (c->left == 0)
        return 0;
    if (take_length(c, name_len) < 0 || take_length(c, value_len) < 0)
        return -1;
    if (*name_len > c->left || *value_len > c->left - *name_len)
        return -1;
    *name = c->p;
    *value = c->p + *name_len;
    c->p += *name_len + *value_len;
    c->left -= *name_len + *value_len;
    return 1;
}
