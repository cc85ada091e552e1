/* layout.c — the sizes and field offsets of the tests/client structs, built
 * into the conformance driver's shared copy of the client library, so that
 * the ctypes mirror in fcgi_ctypes.py checks itself against the compiler
 * when it loads instead of trusting a hand-copied layout. */
#include <stddef.h>
#include <string.h>

#include "fcgi_client.h"

#define SIZE(type) {#type, sizeof(type)}
#define FIELD(type, field) {#type "." #field, offsetof(type, field)}

static const struct {
    const char *name;
    size_t value;
} layout[] = {
    SIZE(fcc_buf),
    FIELD(fcc_buf, data), FIELD(fcc_buf, len), FIELD(fcc_buf, cap),
    SIZE(fcc_param),
    FIELD(fcc_param, name), FIELD(fcc_param, name_len), FIELD(fcc_param, value),
    FIELD(fcc_param, value_len), FIELD(fcc_param, flags),
    SIZE(fcc_nv),
    FIELD(fcc_nv, name), FIELD(fcc_nv, name_len), FIELD(fcc_nv, value),
    FIELD(fcc_nv, value_len),
    SIZE(fcc_nvlist),
    FIELD(fcc_nvlist, items), FIELD(fcc_nvlist, len), FIELD(fcc_nvlist, cap),
    SIZE(fcc_request),
    FIELD(fcc_request, id), FIELD(fcc_request, role), FIELD(fcc_request, keep_conn),
    FIELD(fcc_request, params), FIELD(fcc_request, n_params),
    FIELD(fcc_request, stdin_data), FIELD(fcc_request, stdin_len),
    FIELD(fcc_request, data), FIELD(fcc_request, data_len),
    FIELD(fcc_request, params_chunk), FIELD(fcc_request, stdin_chunk),
    SIZE(fcc_response),
    FIELD(fcc_response, out), FIELD(fcc_response, err),
    FIELD(fcc_response, app_status), FIELD(fcc_response, protocol_status),
    FIELD(fcc_response, got_end), FIELD(fcc_response, stdout_closed),
    FIELD(fcc_response, stderr_closed), FIELD(fcc_response, records),
    FIELD(fcc_response, other_records), FIELD(fcc_response, keep_raw),
    FIELD(fcc_response, raw),
    SIZE(fcc_record),
    FIELD(fcc_record, version), FIELD(fcc_record, type), FIELD(fcc_record, request_id),
    FIELD(fcc_record, padding_len), FIELD(fcc_record, content),
};

/* The size ("fcc_buf") or offset ("fcc_buf.len") named, or -1 if unknown. */
long conformance_layout(const char *name)
{
    for (size_t i = 0; i < sizeof layout / sizeof layout[0]; i++)
        if (strcmp(layout[i].name, name) == 0)
            return (long)layout[i].value;
    return -1;
}
