/* options.h — the supervisor's command line:
 *   ffcgi-supervisor --socket ADDRESS [--workers N] [--mode MODE]
 *                    [--backlog N] [--max-backoff-ms MS] [--stable-ms MS]
 *                    [--grace-ms MS] [--ready-ms MS] -- APP [ARGS...]
 * Options may also be written --name=value. */
#ifndef SUP_OPTIONS_H
#define SUP_OPTIONS_H

struct sup_options {
    const char *address; /* as ffcgi_server_open() takes it */
    int workers;         /* default: the number of online CPUs */
    int mode;            /* unix socket mode; -1: what the umask gives */
    int backlog;         /* listen() backlog; 0: the system maximum */
    int max_backoff_ms;  /* the cap of the restart delay; default 10000 */
    int stable_ms;       /* a run this long resets the back-off; default 10000 */
    int grace_ms;        /* SIGTERM to SIGKILL at a stop; default 10000 */
    int ready_ms;        /* rolling restart: how long a new worker must run
                          * before the old one is stopped; default 1000 */
    char **app_argv;     /* APP ARGS..., NULL-terminated (points into argv) */
};

enum sup_options_result {
    SUP_OPTIONS_RUN,  /* *out is complete: run */
    SUP_OPTIONS_HELP, /* --help was printed on stdout: exit 0 */
    SUP_OPTIONS_BAD   /* a usage error was printed on stderr: exit 2 */
};

/* sup_options_parse(): fills *out from argv (argv is kept, not copied). */
enum sup_options_result sup_options_parse(struct sup_options *out, int argc, char **argv);

#endif
