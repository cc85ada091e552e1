/* sha256.h — SHA-256 (FIPS 180-4), for the echo example's body digest. */
#ifndef EXAMPLES_SHA256_H
#define EXAMPLES_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t state[8];
    uint64_t total;          /* bytes hashed so far */
    unsigned char block[64]; /* pending partial block */
    size_t used;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *bytes, size_t len);
/* Writes 64 lowercase hex digits and a NUL into hex. */
void sha256_final_hex(struct sha256 *s, char hex[65]);

#endif
