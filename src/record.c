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
