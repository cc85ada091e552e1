/* fuzz_parser.c — a libFuzzer target for the connection layer's parser
 * (src/parser.c), in process: no sockets, no threads. The input is what a
 * web server sends on one connection; its first byte seeds how it is cut
 * into arrivals and how much an app reads at a time. The parser runs as
 * the library runs it: heads until one is ready, the body read in pieces
 * (FCGI_DATA for FILTER), the rest skipped, the next head. Checked: no
 * crash or sanitizer report, every count within its bounds, progress
 * (no call that neither consumes, delivers, nor ends), and a ready head's
 * table: within the limits, its pairs packed end to end, and each known
 * param the one a search finds.
 *   fuzz_parser [libFuzzer options] [CORPUS_DIR...] */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ffcgi.h"
#include "parser.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

struct feed {
    const uint8_t *data;
    size_t size, arrived, pos; /* bytes arrived so far, and used */
    unsigned seed;
};

static unsigned next_random(struct feed *f)
{
    f->seed = f->seed * 1103515245u + 12345u;
    return f->seed >> 16;
}

/* Lets more bytes arrive; 0 once everything has. */
static int arrive(struct feed *f)
{
    if (f->arrived == f->size)
        return 0;
    size_t n = 1 + next_random(f) % 300;
    f->arrived = n > f->size - f->arrived ? f->size : f->arrived + n;
    return 1;
}

static const struct ffc_limit_values limits = {
    .param_bytes = 4096, .params = 64, .body_bytes = 3000, .idle_ms = 1000, .connections = 8};

/* A ready head's table: at most FCGI_ROLE and limits.params pairs, each
 * NAME\0VALUE\0 packed after the last, no NUL inside; each known param's
 * value is the first of its name, as ffc_env_table_find gives. */
static void check_table(const struct ffc_env_table *env)
{
    static const char *const known[FFC_KNOWN_PARAMS] = {
        [FFC_CONTENT_LENGTH] = "CONTENT_LENGTH", [FFC_REQUEST_METHOD] = "REQUEST_METHOD",
        [FFC_REQUEST_URI] = "REQUEST_URI",       [FFC_SCRIPT_NAME] = "SCRIPT_NAME",
        [FFC_PATH_INFO] = "PATH_INFO",           [FFC_QUERY_STRING] = "QUERY_STRING"};
    CHECK(env->count >= 1 && env->count <= 1 + limits.params);
    size_t at = 0;
    for (size_t i = 0; i < env->count; i++) {
        CHECK(env->offsets[2 * i] == at);
        at += strlen(env->packed.data + at) + 1;
        CHECK(env->offsets[2 * i + 1] == at);
        at += strlen(env->packed.data + at) + 1;
    }
    CHECK(at == env->packed.len);
    for (int k = 0; k < FFC_KNOWN_PARAMS; k++)
        CHECK(ffc_env_table_known(env, (enum ffc_known_param)k) ==
              ffc_env_table_find(env, known[k]));
}

/* Reads the current stream in pieces; 0 when the input ran out. */
static int read_stream(struct feed *f, struct ffc_parser *p, struct ffc_buf *replies)
{
    unsigned char out[512];
    for (;;) {
        size_t cap = next_random(f) % sizeof out, used, copied;
        int r = ffc_parse_body(p, f->data + f->pos, f->arrived - f->pos, &used, out, cap,
                               &copied, &limits, replies);
        CHECK(used <= f->arrived - f->pos && copied <= cap);
        f->pos += used;
        if (r == FFC_BODY_END || r == FFC_BODY_FAILED)
            return 1;
        if (r == FFC_BODY_MORE && !arrive(f))
            return 0;
        CHECK(r == FFC_BODY_MORE || copied > 0 || cap == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct feed f = {.data = data + 1, .size = size - 1, .seed = data[0]};
    struct ffc_parser p;
    memset(&p, 0, sizeof p);
    struct ffc_buf replies = {0};
    struct ffc_env_table env = {0};
    arrive(&f);
    for (;;) {
        size_t used;
        ffc_env_table_clear(&env);
        ffc_buf_clear(&replies);
        int r = ffc_parse_head(&p, f.data + f.pos, f.arrived - f.pos, &used, &limits, &replies,
                               &env);
        CHECK(used <= f.arrived - f.pos);
        f.pos += used;
        if (r == FFC_HEAD_CLOSE || r < 0)
            break;
        if (r == FFC_HEAD_MORE) {
            if (!arrive(&f))
                break;
            continue;
        }
        CHECK(p.stage == FFC_IN_BODY);
        check_table(&env);
        if (!read_stream(&f, &p, &replies))
            break;
        if (p.role == FFCGI_ROLE_FILTER && !p.failure && next_random(&f) % 2) {
            ffc_parser_start_data(&p);
            if (!read_stream(&f, &p, &replies))
                break;
        }
        ffc_parser_skip_rest(&p);
    }
    ffc_parser_reset(&p);
    ffc_buf_release(&replies);
    ffc_env_table_release(&env);
    return 0;
}
