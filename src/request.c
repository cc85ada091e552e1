/* request.c — the request handle and its lifecycle: accept, finish, free.
 *
 * libffcgi accepts connections itself (wait.c) and looks at each request
 * before libfcgi parses it (the guard, guard_*.c); it then hands the
 * connection, or a clean copy of the request, to libfcgi by storing a
 * descriptor in FCGX_Request.ipcFd before FCGX_Accept_r(), which only reads
 * the request from it. The request's listen_sock is -1, so when libfcgi
 * drops a connection and would accept a new one itself, its accept() fails
 * at once and control comes back here. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* FCGX_Accept_r's failure when libfcgi tries its own accept on fd -1. */
#define LIBFCGI_NOT_INITIALISED (-9998)

int ffcgi_request_new(ffcgi_request **out, ffcgi_server *srv)
{
    if (!out)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_request_new: out is NULL");
    *out = NULL;
    if (!srv)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_request_new: server is NULL");
    int rc = ffc_libfcgi_init();
    if (rc < 0)
        return rc;
    ffcgi_request *req = calloc(1, sizeof *req);
    if (!req)
        return ffc_fail(FFCGI_ENOMEM, "cannot allocate a request");
    req->srv = srv;
    req->conn.fd = -1;
    req->conn.pair[0] = req->conn.pair[1] = -1;
    FCGX_InitRequest(&req->fcgx, -1, 0);
    *out = req;
    return 0;
}

static void reset_for_new_request(ffcgi_request *req)
{
    req->exit_status = 0;
    req->data_started = 0;
    ffc_reset_head(req);
    ffc_env_table_clear(&req->env);
}

/* Reads and discards what is left of the body (and of FCGI_DATA), so the
 * next request on a kept-open connection starts at a record boundary. */
static void drain_input(ffcgi_request *req)
{
    char scratch[4096];
    while (FCGX_GetStr(scratch, sizeof scratch, req->fcgx.in) > 0)
        ;
    if (req->fcgx.role == FFCGI_ROLE_FILTER && !req->data_started &&
        FCGX_StartFilterData(req->fcgx.in) == 0)
        while (FCGX_GetStr(scratch, sizeof scratch, req->fcgx.in) > 0)
            ;
}

static int finish_fastcgi(ffcgi_request *req)
{
    int rc = ffc_guard_for_writing(req);
    if (rc == 0)
        rc = ffc_send_head(req);
    /* The unread body goes first: once FCGI_END_REQUEST is out, the web
     * server may send the next request on a kept connection. */
    if (req->fcgx.keepConnection) {
        if (req->conn.mode == FFC_DIRECT)
            drain_input(req); /* only bytes the guard checked are left */
        else
            ffc_guard_skip_rest(req);
    }
    FCGX_SetExitStatus(req->exit_status, req->fcgx.out);
    struct ffc_sigpipe_guard guard;
    ffc_sigpipe_hold(&guard);
    /* One write for stderr's end, the rest of the body, its end and
     * FCGI_END_REQUEST (closing the last stream writes it). */
    FCGX_FClose(req->fcgx.err);
    FCGX_FClose(req->fcgx.out);
    FCGX_Stream *failed = FCGX_GetError(req->fcgx.out) ? req->fcgx.out
                          : FCGX_GetError(req->fcgx.err) ? req->fcgx.err : NULL;
    if (rc == 0 && failed)
        rc = ffc_stream_error(failed, "finishing the response");
    FCGX_Finish_r(&req->fcgx);
    ffc_sigpipe_release(&guard, failed != NULL);
    ffc_guard_after_finish(req);
    return rc;
}

int ffcgi_finish(ffcgi_request *req)
{
    if (!req)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_finish: request is NULL");
    if (!req->active)
        return 0;
    int rc;
    if (req->is_cgi) {
        rc = ffc_send_head(req);
        int flushed = ffc_cgi_flush(req);
        if (rc == 0)
            rc = flushed;
    } else {
        rc = finish_fastcgi(req);
    }
    req->active = 0;
    req->is_cgi = 0;
    ffc_env_table_clear(&req->env);
    return rc;
}

static int accept_fastcgi(ffcgi_request *req)
{
    for (;;) {
        if (req->conn.fd < 0) {
            int fd = ffc_accept_connection(req->srv);
            if (fd < 0)
                return fd;
            req->conn.fd = fd;
            req->conn.fresh = 1;
        }
        int rc = ffc_guard_next_request(req);
        if (rc == FFCGI_ESHUTDOWN)
            return rc;
        if (rc != 0) { /* this connection ended or failed (out of memory or
                        * descriptors): drop it, serve the next */
            ffc_guard_close(req);
            continue;
        }
        /* FCGX_Accept_r begins with FCGX_Finish_r, which would close the
         * connection if the previous request had not kept its own. */
        req->fcgx.keepConnection = 1;
        /* No SIGPIPE guard: the guard answers management records itself,
         * so libfcgi only reads here. */
        rc = FCGX_Accept_r(&req->fcgx);
        if (rc == 0)
            return 0;
        if (rc == LIBFCGI_NOT_INITIALISED)
            return ffc_fail(FFCGI_ESOCKET, "libfcgi is not initialised");
        /* libfcgi refused the request and closed its descriptor. */
        ffc_guard_after_finish(req);
        ffc_guard_close(req);
    }
}

int ffcgi_accept(ffcgi_request *req)
{
    if (!req)
        return ffc_fail(FFCGI_EINVAL, "ffcgi_accept: request is NULL");
    ffcgi_finish(req);
    reset_for_new_request(req);
    int rc = req->srv->kind == FFC_SERVER_CGI ? ffc_cgi_accept(req)
                                              : accept_fastcgi(req);
    if (rc < 0)
        return rc == FFCGI_ESHUTDOWN
                   ? ffc_fail(rc, "the server is shut down: no more requests")
                   : rc;
    req->active = 1;
    return 0;
}

void ffcgi_request_free(ffcgi_request *req)
{
    if (!req)
        return;
    ffcgi_finish(req);
    ffc_guard_release(req);
    ffc_env_table_release(&req->env);
    ffc_buf_release(&req->head);
    ffc_buf_release(&req->cgi_out);
    free(req);
}

int ffc_require_current(const ffcgi_request *req, const char *what)
{
    if (!req)
        return ffc_fail(FFCGI_EINVAL, "%s: request is NULL", what);
    if (!req->active)
        return ffc_fail(FFCGI_ESTATE, "%s: no current request (call ffcgi_accept first)", what);
    return 0;
}

int ffcgi_request_role(const ffcgi_request *req)
{
    int rc = ffc_require_current(req, "ffcgi_request_role");
    if (rc < 0)
        return rc;
    return req->is_cgi ? FFCGI_ROLE_RESPONDER : req->fcgx.role;
}

int ffcgi_request_id(const ffcgi_request *req)
{
    int rc = ffc_require_current(req, "ffcgi_request_id");
    if (rc < 0)
        return rc;
    return req->is_cgi ? 0 : req->fcgx.requestId;
}

int ffcgi_request_keep_conn(const ffcgi_request *req)
{
    int rc = ffc_require_current(req, "ffcgi_request_keep_conn");
    if (rc < 0)
        return rc;
    return req->is_cgi ? 0 : req->fcgx.keepConnection != 0;
}
