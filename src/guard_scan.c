/* guard_scan.c — the fast-path test: is this window of peeked bytes exactly
 * one complete request that libfcgi's parser handles correctly? Anything
 * unusual (padding on BEGIN_REQUEST or on an empty record, management
 * records, other request ids, FCGI_ABORT_REQUEST, an unknown role, params
 * over the limits, bytes after the request) answers no, and the request
 * takes the replay path instead, and so does a request over the limits. */
#include "internal.h"
#include "record.h"

int ffc_params_well_formed(const unsigned char *params, size_t len)
{
    struct ffc_nv_cursor cursor = {params, len};
    const unsigned char *name, *value;
    size_t name_len, value_len;
    int rc;
    while ((rc = ffc_nv_next(&cursor, &name, &name_len, &value, &value_len)) == 1)
        ;
    return rc == 0;
}

int ffc_params_acceptable(const unsigned char *params, size_t len,
                          const struct ffc_limits *limits)
{
    if (len > limits->param_bytes)
        return 0;
    struct ffc_nv_cursor cursor = {params, len};
    const unsigned char *name, *value;
    size_t name_len, value_len, count = 0;
    int rc;
    while ((rc = ffc_nv_next(&cursor, &name, &name_len, &value, &value_len)) == 1)
        if (++count > limits->params)
            return 0;
    return rc == 0;
}

static int is_known_role(const unsigned char *body)
{
    unsigned role = (unsigned)body[0] << 8 | body[1];
    return role >= FFCGI_ROLE_RESPONDER && role <= FFCGI_ROLE_FILTER;
}

int ffc_guard_is_clean_request(const unsigned char *window, size_t len,
                               const struct ffc_limits *limits, struct ffc_buf *scratch)
{
    struct ffc_record r;
    size_t pos = 0, body = 0;
    if (len < 2 * FFC_HEADER_LEN)
        return 0;
    ffc_record_decode(window, &r);
    if (r.version != FFC_VERSION_1 || r.type != FFC_BEGIN_REQUEST || r.id == 0 ||
        r.content_len != 8 || r.padding_len != 0 || !is_known_role(window + FFC_HEADER_LEN))
        return 0;
    unsigned id = r.id;
    int filter = window[FFC_HEADER_LEN + 1] == FFCGI_ROLE_FILTER;
    unsigned expect = FFC_PARAMS; /* then FFC_STDIN, then FFC_DATA for FILTER */
    pos = ffc_record_size(&r);
    ffc_buf_clear(scratch);
    while (pos + FFC_HEADER_LEN <= len) {
        ffc_record_decode(window + pos, &r);
        if (r.version != FFC_VERSION_1 || r.id != id || r.type != expect ||
            pos + ffc_record_size(&r) > len)
            return 0;
        const unsigned char *content = window + pos + FFC_HEADER_LEN;
        pos += ffc_record_size(&r);
        if (r.content_len > 0) {
            if (expect == FFC_PARAMS && ffc_buf_append(scratch, content, r.content_len) < 0)
                return 0;
            body += expect == FFC_STDIN ? r.content_len : 0;
            if (limits->body_bytes && body > limits->body_bytes)
                return 0;
            continue;
        }
        if (r.padding_len != 0) /* libfcgi parses such padding as a header */
            return 0;
        if (expect == FFC_PARAMS) {
            if (!ffc_params_acceptable((const unsigned char *)scratch->data, scratch->len, limits))
                return 0;
            expect = FFC_STDIN;
        } else if (expect == FFC_STDIN && filter) {
            expect = FFC_DATA;
        } else {
            return pos == len; /* complete, and nothing after it */
        }
    }
    return 0;
}
