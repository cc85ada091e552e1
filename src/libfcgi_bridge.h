/* libfcgi_bridge.h — what libffcgi asks libfcgi (libfcgi_bridge.c, the
 * only file that includes fcgiapp.h). Thread-safe. */
#ifndef FFCGI_LIBFCGI_BRIDGE_H
#define FFCGI_LIBFCGI_BRIDGE_H

/* 1 if libfcgi holds that this process was started as a FastCGI app (fd 0
 * is a socket without a peer), else 0; asked once per process. */
int ffc_libfcgi_started_as_fastcgi(void);

#endif
