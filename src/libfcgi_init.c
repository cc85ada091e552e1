/* libfcgi_init.c — FCGX_Init() once per process, without its side effects
 * on the host: libfcgi installs SIGPIPE and SIGUSR1 handlers (and, in some
 * builds, SIGTERM) where the disposition is the default. Every disposition
 * is saved before and restored after, so the host's stay the host's. */
#include <pthread.h>
#include <signal.h>

#include "internal.h"

static const int guarded_signals[] = {SIGPIPE, SIGUSR1, SIGTERM, SIGHUP, SIGINT};
#define GUARDED_COUNT (sizeof guarded_signals / sizeof guarded_signals[0])

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_result;

static void init_once(void)
{
    struct sigaction saved[GUARDED_COUNT];
    for (size_t i = 0; i < GUARDED_COUNT; i++)
        sigaction(guarded_signals[i], NULL, &saved[i]);
    int rc = FCGX_Init();
    for (size_t i = 0; i < GUARDED_COUNT; i++)
        sigaction(guarded_signals[i], &saved[i], NULL);
    init_result = rc == 0 ? 0 : FFCGI_ENOMEM;
}

int ffc_libfcgi_init(void)
{
    pthread_once(&once, init_once);
    if (init_result < 0)
        return ffc_fail(init_result, "libfcgi failed to initialise (FCGX_Init)");
    return 0;
}
