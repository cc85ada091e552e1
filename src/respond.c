/* respond.c — ffcgi_respond(): a response's common work in one call, for
 * runtimes where each native call is costly (ffcgi.h). It is the separate
 * calls in order (status, headers, write, flush, finish), so it answers
 * byte for byte as they do. */
#include "error.h"
#include "request.h"

int ffcgi_respond(ffcgi_request *req, int status, const char *reason, size_t reason_len,
                  const char *headers, size_t headers_len, size_t header_count,
                  const void *body, size_t body_len, int flags)
{
    if (flags & ~(FFCGI_RESPOND_FLUSH | FFCGI_RESPOND_FINISH))
        return ffc_fail(FFCGI_EINVAL, "ffcgi_respond: unknown flags 0x%X", (unsigned)flags);
    int rc = ffc_respond_head(req, status, reason, reason_len, headers, headers_len,
                              header_count);
    if (rc < 0)
        return rc;
    if (body_len && (rc = ffcgi_write(req, body, body_len)) < 0)
        return rc;
    if ((flags & FFCGI_RESPOND_FLUSH) && (rc = ffcgi_flush(req)) < 0)
        return rc;
    return flags & FFCGI_RESPOND_FINISH ? ffcgi_finish(req) : 0;
}
