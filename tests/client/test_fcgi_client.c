/* test_fcgi_client.c - self-test of the FastCGI client library: encoders
 * against hand-written bytes, the response parser against hand-built record
 * streams fed through socketpairs, and address parsing. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "fcgi_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CHECK(expr)                                                           \
    do {                                                                      \
        if (!(expr)) {                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n",     \
                    __FILE__, __LINE__, #expr, fcc_error());                  \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

/* Checks that buf holds exactly the bytes of the array expected. */
#define CHECK_BYTES(buf, expected)                                            \
    check_bytes(__FILE__, __LINE__, (buf)->data, (buf)->len, expected,        \
                sizeof(expected))

static void dump(const char *label, const unsigned char *p, size_t len)
{
    fprintf(stderr, "  %s (%zu bytes):", label, len);
    for (size_t i = 0; i < len && i < 64; i++)
        fprintf(stderr, " %02x", p[i]);
    fprintf(stderr, len > 64 ? " ...\n" : "\n");
}

static void check_bytes(const char *file, int line, const unsigned char *got,
                        size_t got_len, const unsigned char *want,
                        size_t want_len)
{
    if (got_len == want_len && (want_len == 0 || !memcmp(got, want, want_len)))
        return;
    fprintf(stderr, "%s:%d: byte mismatch\n", file, line);
    dump("expected", want, want_len);
    dump("got", got, got_len);
    exit(1);
}

/* Checks that buf holds exactly the NUL-terminated text s. */
static int buf_is(const fcc_buf *b, const char *s)
{
    size_t len = strlen(s);
    return b->len == len && (len == 0 || memcmp(b->data, s, len) == 0);
}

/* ---- Name-value encoding ------------------------------------------------- */

static void test_nv_short(void)
{
    fcc_buf b = FCC_BUF_INIT;
    fcc_param p = { "A", 1, "bc", 2, 0 };
    static const unsigned char want[] = { 0x01, 0x02, 'A', 'b', 'c' };
    CHECK(fcc_put_nv(&b, &p) == FCC_OK);
    CHECK_BYTES(&b, want);
    fcc_buf_free(&b);
}

static void test_nv_boundary(void)
{
    char name[127], value[128];
    memset(name, 'n', sizeof name);
    memset(value, 'v', sizeof value);
    fcc_param p = { name, sizeof name, value, sizeof value, 0 };
    fcc_buf b = FCC_BUF_INIT;
    CHECK(fcc_put_nv(&b, &p) == FCC_OK);
    CHECK(b.len == 1 + 4 + 127 + 128);
    static const unsigned char head[] = { 0x7f, 0x80, 0x00, 0x00, 0x80 };
    CHECK(memcmp(b.data, head, sizeof head) == 0);
    CHECK(b.data[5] == 'n' && b.data[5 + 126] == 'n');
    CHECK(b.data[5 + 127] == 'v' && b.data[b.len - 1] == 'v');
    fcc_buf_free(&b);
}

static void test_nv_lengths(void)
{
    fcc_buf b = FCC_BUF_INIT;
    static const unsigned char want[] = { 0x80, 0x01, 0x23, 0x45, 0xff, 0xff,
                                          0xff, 0xff, 0x00, 0x80, 0x00, 0x00,
                                          0x00 };
    CHECK(fcc_put_nv_length(&b, 0x12345, 0) == FCC_OK);
    CHECK(fcc_put_nv_length(&b, 0x7fffffff, 0) == FCC_OK);
    CHECK(fcc_put_nv_length(&b, 0, 0) == FCC_OK);
    CHECK(fcc_put_nv_length(&b, 0, 1) == FCC_OK);
    CHECK_BYTES(&b, want);
    errno = 0;
    CHECK(fcc_put_nv_length(&b, 0x80000000u, 0) == FCC_ERR_SYS);
    CHECK(errno == EINVAL);
    CHECK(b.len == sizeof want);
    fcc_buf_free(&b);
}

static void test_nv_forced(void)
{
    fcc_buf b = FCC_BUF_INIT;
    fcc_param both = { "N", 1, "V", 1, FCC_NV_LONG_NAME | FCC_NV_LONG_VALUE };
    fcc_param value = { "N", 1, "V", 1, FCC_NV_LONG_VALUE };
    fcc_param empty = { "X", 1, NULL, 0, FCC_NV_LONG_VALUE };
    static const unsigned char want[] = {
        0x80, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x01, 'N', 'V',
        0x01, 0x80, 0x00, 0x00, 0x01, 'N', 'V',
        0x01, 0x80, 0x00, 0x00, 0x00, 'X'
    };
    CHECK(fcc_put_nv(&b, &both) == FCC_OK);
    CHECK(fcc_put_nv(&b, &value) == FCC_OK);
    CHECK(fcc_put_nv(&b, &empty) == FCC_OK);
    CHECK_BYTES(&b, want);
    fcc_buf_free(&b);
}

static void test_encode_params(void)
{
    fcc_param params[] = { fcc_str_param("QUERY_STRING", "a=1"),
                           fcc_str_param("X", "") };
    static const unsigned char want[] = {
        0x0c, 0x03, 'Q', 'U', 'E', 'R', 'Y', '_', 'S', 'T', 'R', 'I', 'N', 'G',
        'a', '=', '1', 0x01, 0x00, 'X'
    };
    fcc_buf b = FCC_BUF_INIT;
    CHECK(fcc_encode_params(&b, params, 2) == FCC_OK);
    CHECK_BYTES(&b, want);
    fcc_buf_free(&b);
}

static void test_decode_params(void)
{
    static const unsigned char stream[] = {
        0x01, 0x02, 'A', 'b', 'c',
        0x80, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x03, 'N', 'x', '\0', 'y',
        0x01, 0x00, 'E'
    };
    fcc_nvlist list = { 0 };
    CHECK(fcc_decode_params(stream, sizeof stream, &list) == FCC_OK);
    CHECK(list.len == 3);
    const fcc_nv *n = fcc_nvlist_find(&list, "N");
    CHECK(n && n->value_len == 3 && memcmp(n->value, "x\0y", 4) == 0);
    CHECK(strcmp(fcc_nvlist_find(&list, "A")->value, "bc") == 0);
    CHECK(fcc_nvlist_find(&list, "E")->value_len == 0);
    CHECK(fcc_nvlist_find(&list, "Q") == NULL);
    fcc_nvlist_free(&list);

    static const unsigned char short_value[] = { 0x05, 0x01, 'a' };
    static const unsigned char short_length[] = { 0x01, 0x80, 0x00 };
    CHECK(fcc_decode_params(short_value, sizeof short_value, &list) ==
          FCC_ERR_PROTO);
    CHECK(fcc_decode_params(short_length, sizeof short_length, &list) ==
          FCC_ERR_PROTO);
    CHECK(fcc_error()[0] != '\0');
    fcc_nvlist_free(&list);
}

/* ---- Records ------------------------------------------------------------ */

static void test_record_padding(void)
{
    fcc_buf b = FCC_BUF_INIT;
    static const unsigned char want[] = { 0x01, 0x05, 0x12, 0x34, 0x00, 0x03,
                                          0x05, 0x00, 'a',  'b',  'c',  0x00,
                                          0x00, 0x00, 0x00, 0x00 };
    CHECK(fcc_put_record(&b, FCC_STDIN, 0x1234, "abc", 3, 5) == FCC_OK);
    CHECK_BYTES(&b, want);
    CHECK(fcc_put_header(&b, FCC_STDIN, 1, 65536, 0) == FCC_ERR_SYS);
    CHECK(fcc_put_header(&b, FCC_STDIN, 1, 0, 256) == FCC_ERR_SYS);
    CHECK(b.len == sizeof want);
    fcc_buf_free(&b);

    static const unsigned char max_header[] = { 0x01, 0x06, 0x00, 0x01,
                                                0xff, 0xff, 0xff, 0x00 };
    CHECK(fcc_put_header(&b, FCC_STDOUT, 1, 65535, 255) == FCC_OK);
    CHECK_BYTES(&b, max_header);
    fcc_buf_free(&b);
}

static void test_begin_end(void)
{
    fcc_buf b = FCC_BUF_INIT;
    static const unsigned char want[] = {
        0x01, 0x01, 0x00, 0x01, 0x00, 0x08, 0x00, 0x00,
        0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x01, 0xbe, 0xef, 0x00, 0x08, 0x00, 0x00,
        0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x03, 0x00, 0x02, 0x00, 0x08, 0x00, 0x00,
        0x01, 0x02, 0x03, 0x04, 0x03, 0x00, 0x00, 0x00
    };
    CHECK(fcc_put_begin(&b, 1, FCC_RESPONDER, FCC_KEEP_CONN) == FCC_OK);
    CHECK(fcc_put_begin(&b, 0xbeef, FCC_FILTER, 0) == FCC_OK);
    CHECK(fcc_put_end(&b, 2, 0x01020304, FCC_UNKNOWN_ROLE) == FCC_OK);
    CHECK_BYTES(&b, want);
    fcc_buf_free(&b);
}

static void test_split_7(void)
{
    fcc_buf b = FCC_BUF_INIT;
    static const unsigned char want[] = {
        0x01, 0x04, 0x00, 0x01, 0x00, 0x07, 0x00, 0x00,
        '0', '1', '2', '3', '4', '5', '6',
        0x01, 0x04, 0x00, 0x01, 0x00, 0x07, 0x00, 0x00,
        '7', '8', '9', 'a', 'b', 'c', 'd',
        0x01, 0x04, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00,
        'e', 'f', 'g', 'h', 'i', 'j',
        0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00
    };
    CHECK(fcc_put_stream(&b, FCC_PARAMS, 1, "0123456789abcdefghij", 20, 7) ==
          FCC_OK);
    CHECK_BYTES(&b, want);
    fcc_buf_free(&b);
}

static void test_split_default(void)
{
    static unsigned char data[70000];
    memset(data, 'z', sizeof data);
    fcc_buf b = FCC_BUF_INIT;
    CHECK(fcc_put_stream(&b, FCC_STDIN, 1, data, sizeof data, 0) == FCC_OK);
    CHECK(b.len == 8 + 65535 + 8 + 4465 + 8);
    static const unsigned char h1[] = { 1, 5, 0, 1, 0xff, 0xff, 0, 0 };
    static const unsigned char h2[] = { 1, 5, 0, 1, 0x11, 0x71, 0, 0 };
    static const unsigned char h3[] = { 1, 5, 0, 1, 0, 0, 0, 0 };
    CHECK(memcmp(b.data, h1, 8) == 0);
    CHECK(memcmp(b.data + 8 + 65535, h2, 8) == 0);
    CHECK(memcmp(b.data + b.len - 8, h3, 8) == 0);
    fcc_buf_free(&b);

    CHECK(fcc_put_stream(&b, FCC_STDIN, 1, NULL, 0, 0) == FCC_OK);
    CHECK_BYTES(&b, h3);
    errno = 0;
    CHECK(fcc_put_chunks(&b, FCC_STDIN, 1, data, 1, 65536) == FCC_ERR_SYS);
    CHECK(errno == EINVAL);
    fcc_buf_free(&b);
}

static void test_encode_request(void)
{
    fcc_param params[] = { fcc_str_param("A", "b") };
    fcc_request req = { .id = 1, .role = FCC_RESPONDER, .keep_conn = 1,
                        .params = params, .n_params = 1,
                        .stdin_data = "xyz", .stdin_len = 3,
                        .params_chunk = 2, .stdin_chunk = 2 };
    static const unsigned char want[] = {
        0x01, 0x01, 0x00, 0x01, 0x00, 0x08, 0x00, 0x00,
        0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x04, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x01, 0x01,
        0x01, 0x04, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 'A', 'b',
        0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x05, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 'x', 'y',
        0x01, 0x05, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 'z',
        0x01, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00
    };
    fcc_buf b = FCC_BUF_INIT;
    CHECK(fcc_encode_request(&b, &req) == FCC_OK);
    CHECK_BYTES(&b, want);
    fcc_buf_free(&b);
}

static void test_encode_filter_request(void)
{
    fcc_request req = { .id = 7, .role = FCC_FILTER, .data = "D",
                        .data_len = 1 };
    static const unsigned char want[] = {
        0x01, 0x01, 0x00, 0x07, 0x00, 0x08, 0x00, 0x00,
        0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x04, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x05, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x08, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00, 'D',
        0x01, 0x08, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00
    };
    fcc_buf b = FCC_BUF_INIT;
    CHECK(fcc_encode_request(&b, &req) == FCC_OK);
    CHECK_BYTES(&b, want);
    fcc_buf_free(&b);
}

/* ---- Response parsing over socketpairs ----------------------------------- */

/* Creates a socketpair: sv[0] is the client end, sv[1] the fake server. */
static void make_pair(int sv[2])
{
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
}

static void close_pair(int sv[2])
{
    close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
}

/* A complete response for id 1 interleaved with a record for id 2. */
static const unsigned char response_stream[] = {
    0x01, 0x06, 0x00, 0x01, 0x00, 0x05, 0x03, 0x00, 'H', 'e', 'l', 'l', 'o',
    0x00, 0x00, 0x00,
    0x01, 0x07, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 'w', 'a', 'r', 'n',
    0x01, 0x06, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 'X',
    0x01, 0x06, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, ' ', 'w', 'o', 'r', 'l',
    'd',
    0x01, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x07, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x03, 0x00, 0x01, 0x00, 0x08, 0x00, 0x00,
    0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00
};

static void check_hello_response(const fcc_response *r)
{
    CHECK(buf_is(&r->out, "Hello world"));
    CHECK(buf_is(&r->err, "warn"));
    CHECK(r->got_end && r->stdout_closed && r->stderr_closed);
    CHECK(r->app_status == 0x01020304 && r->protocol_status == 0);
    CHECK(r->records[FCC_STDOUT] == 4 && r->records[FCC_STDERR] == 2);
    CHECK(r->records[FCC_END_REQUEST] == 1 && r->other_records == 1);
}

static void test_parse_response(void)
{
    static const unsigned char after[] = { 0x01, 0x06, 0x00, 0x01, 0x00, 0x02,
                                           0x00, 0x00, 'h', 'i' };
    int sv[2];
    make_pair(sv);
    CHECK(fcc_write_all(sv[1], response_stream, sizeof response_stream) == 0);
    CHECK(fcc_write_all(sv[1], after, sizeof after) == 0);

    fcc_response r;
    fcc_response_init(&r);
    r.keep_raw = 1;
    CHECK(fcc_read_response(sv[0], 1, &r, 1000) == FCC_OK);
    check_hello_response(&r);
    CHECK_BYTES(&r.raw, response_stream);
    fcc_response_free(&r);

    /* The record after END_REQUEST must still be unread. */
    fcc_record rec = { 0 };
    CHECK(fcc_read_record(sv[0], &rec, 1000) == FCC_OK);
    CHECK(rec.version == 1 && rec.type == FCC_STDOUT && rec.request_id == 1);
    CHECK(buf_is(&rec.content, "hi"));
    fcc_record_free(&rec);
    close_pair(sv);
}

/* Feeds bytes then closes the server end; expects status from the parser. */
static void expect_parse_error(const unsigned char *bytes, size_t len,
                               int status, const char *message_part)
{
    int sv[2];
    make_pair(sv);
    CHECK(fcc_write_all(sv[1], bytes, len) == 0);
    close(sv[1]);
    sv[1] = -1;
    fcc_response r;
    fcc_response_init(&r);
    CHECK(fcc_read_response(sv[0], 1, &r, 1000) == status);
    CHECK(strstr(fcc_error(), message_part) != NULL);
    fcc_response_free(&r);
    close_pair(sv);
}

static void test_parse_errors(void)
{
    static const unsigned char truncated[] = { 0x01, 0x06, 0x00, 0x01, 0x00,
                                               0x0a, 0x00, 0x00, 'a', 'b',
                                               'c' };
    static const unsigned char no_end[] = { 0x01, 0x06, 0x00, 0x01,
                                            0x00, 0x00, 0x00, 0x00 };
    static const unsigned char version[] = { 0x02, 0x06, 0x00, 0x01,
                                             0x00, 0x00, 0x00, 0x00 };
    static const unsigned char short_end[] = { 0x01, 0x03, 0x00, 0x01, 0x00,
                                               0x04, 0x00, 0x00, 0x00, 0x00,
                                               0x00, 0x00 };
    static const unsigned char late_stdout[] = {
        0x01, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x06, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 'x'
    };
    expect_parse_error(truncated, sizeof truncated, FCC_ERR_EOF,
                       "inside a record");
    expect_parse_error(truncated, 5, FCC_ERR_EOF, "inside a record");
    expect_parse_error(no_end, sizeof no_end, FCC_ERR_EOF,
                       "no FCGI_END_REQUEST");
    expect_parse_error(version, sizeof version, FCC_ERR_PROTO, "version 2");
    expect_parse_error(short_end, sizeof short_end, FCC_ERR_PROTO,
                       "content length 4");
    expect_parse_error(late_stdout, sizeof late_stdout, FCC_ERR_PROTO,
                       "after the end");
}

static void test_timeout(void)
{
    int sv[2];
    make_pair(sv);
    fcc_response r;
    fcc_response_init(&r);
    CHECK(fcc_read_response(sv[0], 1, &r, 50) == FCC_ERR_TIMEOUT);
    fcc_record rec = { 0 };
    CHECK(fcc_read_record(sv[0], &rec, 0) == FCC_ERR_TIMEOUT);
    fcc_response_free(&r);
    close_pair(sv);
}

static void test_unknown_type_record(void)
{
    static const unsigned char reply[] = { 0x01, 0x0b, 0x00, 0x00, 0x00, 0x08,
                                           0x00, 0x00, 0x63, 0x00, 0x00, 0x00,
                                           0x00, 0x00, 0x00, 0x00 };
    int sv[2];
    make_pair(sv);
    CHECK(fcc_write_all(sv[1], reply, sizeof reply) == 0);
    fcc_record rec = { 0 };
    CHECK(fcc_read_record(sv[0], &rec, 1000) == FCC_OK);
    CHECK(rec.version == 1 && rec.type == FCC_UNKNOWN_TYPE);
    CHECK(rec.request_id == 0 && rec.padding_len == 0);
    CHECK(rec.content.len == 8 && rec.content.data[0] == 0x63);
    fcc_record_free(&rec);
    close_pair(sv);
}

/* Reads exactly len bytes from fd into a new buffer. */
static fcc_buf read_exactly(int fd, size_t len)
{
    fcc_buf b = FCC_BUF_INIT;
    CHECK(fcc_buf_reserve(&b, len) == FCC_OK);
    while (b.len < len) {
        ssize_t n = read(fd, b.data + b.len, len - b.len);
        CHECK(n > 0);
        b.len += (size_t)n;
    }
    return b;
}

static void test_get_values(void)
{
    static const unsigned char result[] = {
        0x01, 0x0a, 0x00, 0x00, 0x00, 0x24, 0x01, 0x00,
        0x0e, 0x02, 'F', 'C', 'G', 'I', '_', 'M', 'A', 'X', '_', 'C', 'O', 'N',
        'N', 'S', '1', '0',
        0x0f, 0x01, 'F', 'C', 'G', 'I', '_', 'M', 'P', 'X', 'S', '_', 'C', 'O',
        'N', 'N', 'S', '0',
        0x00
    };
    static const unsigned char query[] = {
        0x01, 0x09, 0x00, 0x00, 0x00, 0x21, 0x00, 0x00,
        0x0e, 0x00, 'F', 'C', 'G', 'I', '_', 'M', 'A', 'X', '_', 'C', 'O', 'N',
        'N', 'S',
        0x0f, 0x00, 'F', 'C', 'G', 'I', '_', 'M', 'P', 'X', 'S', '_', 'C', 'O',
        'N', 'N', 'S'
    };
    const char *names[] = { "FCGI_MAX_CONNS", "FCGI_MPXS_CONNS" };
    int sv[2];
    make_pair(sv);
    CHECK(fcc_write_all(sv[1], result, sizeof result) == 0);
    fcc_nvlist list = { 0 };
    CHECK(fcc_get_values(sv[0], names, 2, &list, 1000) == FCC_OK);
    CHECK(list.len == 2);
    CHECK(strcmp(fcc_nvlist_find(&list, "FCGI_MAX_CONNS")->value, "10") == 0);
    CHECK(strcmp(fcc_nvlist_find(&list, "FCGI_MPXS_CONNS")->value, "0") == 0);
    fcc_nvlist_free(&list);
    fcc_buf sent = read_exactly(sv[1], sizeof query);
    CHECK_BYTES(&sent, query);
    fcc_buf_free(&sent);

    /* Any other reply is a protocol error. */
    CHECK(fcc_write_all(sv[1], response_stream, sizeof response_stream) == 0);
    CHECK(fcc_get_values(sv[0], names, 2, &list, 1000) == FCC_ERR_PROTO);
    close_pair(sv);
}

static void test_roundtrip_small(void)
{
    fcc_param params[] = { fcc_str_param("REQUEST_METHOD", "POST") };
    fcc_request req = { .id = 1, .role = FCC_RESPONDER, .params = params,
                        .n_params = 1, .stdin_data = "body",
                        .stdin_len = 4 };
    int sv[2];
    make_pair(sv);
    CHECK(fcc_write_all(sv[1], response_stream, sizeof response_stream) == 0);
    fcc_response r;
    fcc_response_init(&r);
    CHECK(fcc_roundtrip(sv[0], &req, &r, 1000) == FCC_OK);
    check_hello_response(&r);
    fcc_response_free(&r);

    fcc_buf want = FCC_BUF_INIT;
    CHECK(fcc_encode_request(&want, &req) == FCC_OK);
    fcc_buf sent = read_exactly(sv[1], want.len);
    CHECK(memcmp(sent.data, want.data, want.len) == 0);
    fcc_buf_free(&sent);
    fcc_buf_free(&want);
    close_pair(sv);
}

/* Fake server: echoes each STDIN record as STDOUT as soon as it arrives, so
 * it blocks writing unless the client reads while it sends. */
static void *echo_server(void *arg)
{
    int fd = *(int *)arg;
    fcc_record rec = { 0 };
    fcc_buf out = FCC_BUF_INIT;
    int done = 0;
    while (!done && fcc_read_record(fd, &rec, 60000) == FCC_OK) {
        out.len = 0;
        if (rec.type != FCC_STDIN)
            continue;
        fcc_put_record(&out, FCC_STDOUT, rec.request_id, rec.content.data,
                       rec.content.len, 0);
        if (rec.content.len == 0) {
            fcc_put_end(&out, rec.request_id, 7, FCC_REQUEST_COMPLETE);
            done = 1;
        }
        if (fcc_write_all(fd, out.data, out.len) != FCC_OK)
            break;
    }
    fcc_record_free(&rec);
    fcc_buf_free(&out);
    return NULL;
}

static void test_roundtrip_large(void)
{
    size_t len = 8u << 20;
    unsigned char *body = malloc(len);
    CHECK(body != NULL);
    for (size_t i = 0; i < len; i++)
        body[i] = (unsigned char)(i * 7 + i / 251);
    fcc_request req = { .id = 3, .role = FCC_RESPONDER, .stdin_data = body,
                        .stdin_len = len, .stdin_chunk = 4099 };
    int sv[2];
    make_pair(sv);
    pthread_t server;
    CHECK(pthread_create(&server, NULL, echo_server, &sv[1]) == 0);
    fcc_response r;
    fcc_response_init(&r);
    CHECK(fcc_roundtrip(sv[0], &req, &r, 60000) == FCC_OK);
    CHECK(pthread_join(server, NULL) == 0);
    CHECK(r.app_status == 7 && r.stdout_closed);
    CHECK(r.out.len == len && memcmp(r.out.data, body, len) == 0);
    fcc_response_free(&r);
    free(body);
    close_pair(sv);
}

static void test_write_epipe(void)
{
    int sv[2];
    make_pair(sv);
    close(sv[1]);
    sv[1] = -1;
    errno = 0;
    CHECK(fcc_write_all(sv[0], "x", 1) == FCC_ERR_SYS);
    CHECK(errno == EPIPE);
    close_pair(sv);
}

/* ---- Addresses -------------------------------------------------------------- */

/* Returns a listening socket bound to sa. */
static int listen_on(const struct sockaddr *sa, socklen_t len)
{
    int fd = socket(sa->sa_family, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    if (bind(fd, sa, len) < 0 || listen(fd, 8) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Connects to address and checks that it succeeded. */
static void check_connect(const char *address)
{
    int fd = fcc_connect(address);
    if (fd < 0)
        fprintf(stderr, "connect %s: %s\n", address, fcc_error());
    CHECK(fd >= 0);
    close(fd);
}

static void test_connect_unix(void)
{
    char dir[] = "/tmp/fcc-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/s.sock", dir);
    int lfd = listen_on((struct sockaddr *)&sa, sizeof sa);
    CHECK(lfd >= 0);
    char address[sizeof sa.sun_path + 8];
    check_connect(sa.sun_path);
    snprintf(address, sizeof address, "unix:%s", sa.sun_path);
    check_connect(address);
    close(lfd);
    unlink(sa.sun_path);
    rmdir(dir);
    errno = 0;
    CHECK(fcc_connect(sa.sun_path) == -1 && errno == ENOENT);
}

static void test_connect_inet(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int lfd = listen_on((struct sockaddr *)&sa, sizeof sa);
    CHECK(lfd >= 0);
    socklen_t len = sizeof sa;
    CHECK(getsockname(lfd, (struct sockaddr *)&sa, &len) == 0);
    char address[64];
    snprintf(address, sizeof address, "127.0.0.1:%u", ntohs(sa.sin_port));
    check_connect(address);
    close(lfd);

    struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6,
                                .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    lfd = listen_on((struct sockaddr *)&sa6, sizeof sa6);
    if (lfd >= 0) { /* skipped where IPv6 is unavailable */
        len = sizeof sa6;
        CHECK(getsockname(lfd, (struct sockaddr *)&sa6, &len) == 0);
        snprintf(address, sizeof address, "[::1]:%u", ntohs(sa6.sin6_port));
        check_connect(address);
        close(lfd);
    }
}

static void test_connect_malformed(void)
{
    const char *bad[] = { "[::1", "[::1]9000", "127.0.0.1:", ":9000" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        CHECK(fcc_connect(bad[i]) == -1 && errno == EINVAL);
    }
}

int main(void)
{
    test_nv_short();
    test_nv_boundary();
    test_nv_lengths();
    test_nv_forced();
    test_encode_params();
    test_decode_params();
    test_record_padding();
    test_begin_end();
    test_split_7();
    test_split_default();
    test_encode_request();
    test_encode_filter_request();
    test_parse_response();
    test_parse_errors();
    test_timeout();
    test_unknown_type_record();
    test_get_values();
    test_roundtrip_small();
    test_roundtrip_large();
    test_write_epipe();
    test_connect_unix();
    test_connect_inet();
    test_connect_malformed();
    puts("test_fcgi_client: all checks passed");
    return 0;
}
