/* options.c — see options.h. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "options.h"

#define MAX_WORKERS 1024
#define MAX_MS (24 * 3600 * 1000)

static const char usage_text[] =
    "usage: ffcgi-supervisor --socket ADDRESS [OPTIONS] -- APP [ARGS...]\n"
    "\n"
    "Opens a FastCGI listener and keeps N copies of APP serving it: each\n"
    "worker gets the listening socket on fd 0 (as from spawn-fcgi or\n"
    "mod_fcgid). A worker that ends is restarted with exponential back-off.\n"
    "SIGTERM/SIGINT: graceful stop (SIGTERM to every worker, SIGKILL after\n"
    "the grace period; a second signal kills at once). SIGHUP: rolling\n"
    "restart, one worker at a time. Logs on stderr.\n"
    "\n"
    "  --socket ADDRESS       /path or unix:/path, host:port, [v6addr]:port, :port\n"
    "  --workers N            number of workers, 1 to 1024 (default: CPUs online)\n"
    "  --mode MODE            octal mode of a unix socket, e.g. 0660 (default: umask)\n"
    "  --backlog N            listen() backlog (default: the system maximum)\n"
    "  --max-backoff-ms MS    longest restart delay (default 10000, at least 100)\n"
    "  --stable-ms MS         a worker up this long resets its delay (default 10000)\n"
    "  --grace-ms MS          SIGTERM to SIGKILL when stopping (default 10000)\n"
    "  --ready-ms MS          rolling restart: how long a new worker must stay up\n"
    "                         before the old one is stopped (default 1000)\n"
    "  --help, -h             this text\n"
    "\n"
    "Exit status: 0 after a stop, 1 if the listener or APP cannot be started,\n"
    "2 on a usage error.\n";

__attribute__((format(printf, 1, 2)))
static enum sup_options_result bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ffcgi-supervisor: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nTry 'ffcgi-supervisor --help'.\n", stderr);
    va_end(ap);
    return SUP_OPTIONS_BAD;
}

/* A whole number from lo to hi in `base`; 0 on success, -1 if not. */
static int parse_number(const char *text, int base, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, base);
    if (errno || end == text || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

struct number_option {
    const char *name;
    int base;
    long lo, hi;
    const char *range; /* for the error message */
    size_t offset;     /* of the int in struct sup_options */
};

#define OPT(field) offsetof(struct sup_options, field)
static const struct number_option numbers[] = {
    {"--workers", 10, 1, MAX_WORKERS, "a number from 1 to 1024", OPT(workers)},
    {"--mode", 8, 0, 0777, "an octal mode from 0 to 0777", OPT(mode)},
    {"--backlog", 10, 0, INT_MAX, "a number >= 0", OPT(backlog)},
    {"--max-backoff-ms", 10, SUP_BACKOFF_INITIAL_MS, MAX_MS,
     "a number of milliseconds from 100 to 86400000", OPT(max_backoff_ms)},
    {"--stable-ms", 10, 0, MAX_MS, "a number of milliseconds up to 86400000", OPT(stable_ms)},
    {"--grace-ms", 10, 0, MAX_MS, "a number of milliseconds up to 86400000", OPT(grace_ms)},
    {"--ready-ms", 10, 0, MAX_MS, "a number of milliseconds up to 86400000", OPT(ready_ms)},
};

static void set_defaults(struct sup_options *o)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *o = (struct sup_options){
        .workers = cpus < 1 ? 1 : cpus > MAX_WORKERS ? MAX_WORKERS : (int)cpus,
        .mode = -1,
        .max_backoff_ms = 10000,
        .stable_ms = 10000,
        .grace_ms = 10000,
        .ready_ms = 1000,
    };
}

/* Splits "--name=value" or "--name" "value"; *value is NULL if missing. */
static void split(char **argv, int argc, int *i, char *name, size_t cap, const char **value)
{
    const char *arg = argv[*i], *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (len >= cap)
        len = cap - 1;
    memcpy(name, arg, len);
    name[len] = '\0';
    if (eq)
        *value = eq + 1;
    else
        *value = *i + 1 < argc ? argv[++*i] : NULL;
}

static enum sup_options_result parse_option(struct sup_options *o, int argc, char **argv,
                                            int *i)
{
    char name[32];
    const char *value;
    if (strcmp(argv[*i], "--help") == 0 || strcmp(argv[*i], "-h") == 0) {
        fputs(usage_text, stdout);
        return SUP_OPTIONS_HELP;
    }
    if (strncmp(argv[*i], "--", 2) != 0)
        return bad("'%s': expected an option, or '--' before the app", argv[*i]);
    split(argv, argc, i, name, sizeof name, &value);
    int known = strcmp(name, "--socket") == 0;
    for (size_t k = 0; !known && k < sizeof numbers / sizeof numbers[0]; k++)
        known = strcmp(name, numbers[k].name) == 0;
    if (!known)
        return bad("unknown option '%s'", name);
    if (!value)
        return bad("%s needs a value", name);
    if (strcmp(name, "--socket") == 0) {
        if (!*value)
            return bad("--socket needs an address");
        o->address = value;
        return SUP_OPTIONS_RUN;
    }
    for (size_t k = 0; k < sizeof numbers / sizeof numbers[0]; k++) {
        const struct number_option *n = &numbers[k];
        if (strcmp(name, n->name) == 0 &&
            parse_number(value, n->base, n->lo, n->hi, (int *)((char *)o + n->offset)) != 0)
            return bad("%s: '%s' is not %s", name, value, n->range);
    }
    return SUP_OPTIONS_RUN;
}

enum sup_options_result sup_options_parse(struct sup_options *out, int argc, char **argv)
{
    set_defaults(out);
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        enum sup_options_result r = parse_option(out, argc, argv, &i);
        if (r != SUP_OPTIONS_RUN)
            return r;
    }
    if (!out->address)
        return bad("--socket ADDRESS is required");
    if (i + 1 >= argc)
        return bad("no app given: put it after '--', e.g. -- /usr/bin/app --arg");
    out->app_argv = argv + i + 1;
    return SUP_OPTIONS_RUN;
}
