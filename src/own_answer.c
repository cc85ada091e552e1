/* own_answer.c — responses the library gives itself, in place of the app's:
 * 413 for a body over FFCGI_LIMIT_BODY_BYTES (and the status page,
 * status_page.c). Once the library has
 * answered, the app's own status, headers and body for that request are
 * accepted and dropped (request.h, `answered`), so an app that goes on
 * writing after an error cannot add to or spoil the answer. */
#include <stdlib.h>
#include <string.h>

#include "env_table.h"
#include "request.h"
#include "scoreboard.h"
#include "server.h"

int ffc_answer(ffcgi_request *req, int status, const char *content_type, const void *body,
               size_t len)
{
    ffc_reset_head(req);
    req->answered = 0;
    int rc = ffcgi_status(req, status);
    if (rc == 0)
        rc = ffcgi_header(req, "Content-Type", content_type);
    if (rc == 0)
        rc = ffcgi_write(req, body, len);
    req->answered = 1;
    return rc;
}

int ffc_answer_plain(ffcgi_request *req, int status, const char *text)
{
    return ffc_answer(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* The request's CONTENT_LENGTH, or -1 if it has none or it is not a
 * decimal number. */
static long long declared_length(const ffcgi_request *req)
{
    const char *text = ffc_env_table_known(&req->env, FFC_CONTENT_LENGTH);
    if (!text || *text < '0' || *text > '9')
        return -1;
    char *end;
    long long n = strtoll(text, &end, 10);
    return *end == '\0' ? n : -1;
}

int ffc_refuse_declared_body(ffcgi_request *req)
{
    size_t limit = req->limits.body_bytes;
    long long length = declared_length(req);
    if (limit == 0 || length < 0 || (unsigned long long)length <= limit)
        return 0;
    ffc_answer_plain(req, 413, "413 Content Too Large\n");
    ffc_board_count(req->srv, FFC_COUNT_LIMIT_REFUSALS);
    ffc_log_request(req, FFCGI_LOG_WARNING,
                    "CONTENT_LENGTH %lld is over FFCGI_LIMIT_BODY_BYTES (%zu): answered 413, "
                    "the app was not called", length, limit);
    return 1;
}

void ffc_refuse_growing_body(ffcgi_request *req)
{
    if (req->answered)
        return;
    if (req->body_started) {
        ffc_log_request(req, FFCGI_LOG_WARNING,
                        "the body grew past FFCGI_LIMIT_BODY_BYTES (%zu) after the app began "
                        "its answer: the rest of the body is dropped", req->limits.body_bytes);
        return;
    }
    ffc_answer_plain(req, 413, "413 Content Too Large\n");
    ffc_board_count(req->srv, FFC_COUNT_LIMIT_REFUSALS);
    ffc_log_request(req, FFCGI_LOG_WARNING,
                    "the body grew past FFCGI_LIMIT_BODY_BYTES (%zu): answered 413 in the "
                    "app's place", req->limits.body_bytes);
}
