/* libfcgi_bridge.c — the one file of libffcgi that uses libfcgi (the
 * FastCGI Developer's Kit, fcgiapp.h). README "What libfcgi does and what
 * libffcgi does" says why it is this little: every libfcgi call that reads
 * or writes records does so on a descriptor of its own (FCGX_Accept_r and
 * its streams), which would need a second copy of the input; so libffcgi
 * parses and frames the protocol itself, and asks libfcgi only what it
 * answers soundly: was this process started as a FastCGI app
 * (FCGX_IsCGI(): fd 0 is a socket without a peer), the test every libfcgi
 * app makes, so spawners (mod_fcgid, spawn-fcgi, lighttpd) see the same.
 *
 * FCGX_IsCGI() runs FCGX_Init(), which installs SIGPIPE and SIGUSR1
 * handlers (and, in some builds, SIGTERM) where the disposition is the
 * default: every disposition is saved before and restored after, so the
 * host's stay the host's. */
#include <pthread.h>
#include <signal.h>

#include <fcgiapp.h>

#include "libfcgi_bridge.h"

static const int guarded_signals[] = {SIGPIPE, SIGUSR1, SIGTERM, SIGHUP, SIGINT};
#define GUARDED_COUNT (sizeof guarded_signals / sizeof guarded_signals[0])

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int started_as_fastcgi;

/* The signals are blocked meanwhile, so one that arrives then is
 * delivered to the host's handler afterwards, not to libfcgi's. */
static void ask_once(void)
{
    sigset_t guarded, old;
    sigemptyset(&guarded);
    for (size_t i = 0; i < GUARDED_COUNT; i++)
        sigaddset(&guarded, guarded_signals[i]);
    pthread_sigmask(SIG_BLOCK, &guarded, &old);
    struct sigaction saved[GUARDED_COUNT];
    for (size_t i = 0; i < GUARDED_COUNT; i++)
        sigaction(guarded_signals[i], NULL, &saved[i]);
    started_as_fastcgi = !FCGX_IsCGI();
    for (size_t i = 0; i < GUARDED_COUNT; i++)
        sigaction(guarded_signals[i], &saved[i], NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int ffc_libfcgi_started_as_fastcgi(void)
{
    pthread_once(&once, ask_once);
    return started_as_fastcgi;
}
