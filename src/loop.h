/* loop.h — the connection layer of a listening server (loop.c).
 *
 * The loop holds every connection that is not being served: idle kept
 * connections, half-sent heads, slow clients, and requests the app left
 * unread. It costs each a descriptor and a small buffer, never a thread.
 * There is no thread of its own: the threads waiting in ffcgi_accept() all
 * wait in one epoll set (the kernel wakes one per event), and the thread an
 * event wakes reads that connection; when a request's head is complete it
 * serves the request itself, so no request is handed between threads.
 *
 * Threads: every function may be called from any thread; a connection
 * handed out by ffc_loop_take() belongs to the calling thread until it
 * gives it back with ffc_loop_release() or ffc_loop_close(). */
#ifndef FFCGI_LOOP_H
#define FFCGI_LOOP_H

#include "conn.h"

struct ffcgi_server;
struct ffc_loop;

/* Creates the loop of srv (its listener and wake pipe must be open).
 * Returns 0 or FFCGI_ESOCKET / FFCGI_ENOMEM. */
int ffc_loop_open(struct ffcgi_server *srv);
/* Closes every connection the loop holds and frees it. */
void ffc_loop_free(struct ffc_loop *loop);

/* Waits until the calling thread owns a connection with input to read: a
 * new one, or one whose socket became readable (*wait_ms is 0: read what
 * is there). Closes connections idle past the idle limit on the way. After
 * ffcgi_server_shutdown() it hands out only connections on which no
 * request was served yet, for at most 5 s in all (or the idle limit), with
 * *wait_ms the time their first request may still take; then it closes
 * the rest and returns FFCGI_ESHUTDOWN. Other errors: FFCGI_ESOCKET (epoll
 * or accept failed for good). */
int ffc_loop_take(struct ffcgi_server *srv, struct ffc_conn **out, int *wait_ms);
/* Gives a connection whose socket had nothing more to read back to the
 * loop. Returns 0, 1 if input may have arrived meanwhile (the connection
 * is still the caller's: read it again), or FFCGI_ESOCKET (close it). */
int ffc_loop_release(struct ffcgi_server *srv, struct ffc_conn *c);
/* Stops reporting input of an owned connection while its owner waits on
 * the socket itself (a body read); release re-arms it. */
void ffc_loop_quiet(struct ffcgi_server *srv, struct ffc_conn *c);
/* Closes an owned connection and frees its slot. */
void ffc_loop_close(struct ffcgi_server *srv, struct ffc_conn *c);

#endif
