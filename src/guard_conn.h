/*
 * guard_conn.h — the connection primitives shared by the guard's files
 * (guard_conn.c, guard_replay.c). Not used elsewhere.
 */
#ifndef FFCGI_GUARD_CONN_H
#define FFCGI_GUARD_CONN_H

#include "internal.h"
#include "record.h"

/* Waits until the connection is readable, at most the idle limit
 * (FFCGI_ETIMEDOUT); a `wakeable` wait also ends at shutdown
 * (FFCGI_ESHUTDOWN). */
int ffc_conn_wait_input(ffcgi_request *req, int wakeable);
/* Bytes read from the connection and not processed yet. */
size_t ffc_conn_buffered(const struct ffc_conn *c);
/* The next whole record of the connection (reading as needed). `content`
 * points into the buffer and is valid until the next call. `wakeable`:
 * waiting ends with FFCGI_ESHUTDOWN when the server shuts down (between
 * requests; never inside one). Returns 0, FFC_DROPPED (end of file, read
 * error, or a header no parser could resynchronise after) or an FFCGI_E*. */
int ffc_conn_next_record(ffcgi_request *req, int wakeable, struct ffc_record *r,
                         const unsigned char **content);
/* Writes bytes to the web server (never raises SIGPIPE). */
int ffc_conn_send(ffcgi_request *req, const void *bytes, size_t len);
/* Sends FCGI_END_REQUEST{appStatus 0, protocol_status} for request `id`. */
int ffc_conn_send_end(ffcgi_request *req, unsigned id, unsigned protocol_status);
/* Gives libfcgi a record of the current request through the socketpair
 * (split into records of at most 65535 bytes; an empty one if len is 0). */
int ffc_conn_forward(ffcgi_request *req, unsigned type, const void *content, size_t len);
/* DIRECT mode: libfcgi reads and writes the connection itself. */
int ffc_guard_direct(ffcgi_request *req);

#endif
