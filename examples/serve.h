/*
 * serve.h — the command line and worker threads shared by the C examples.
 *
 *   APP [--socket ADDRESS] [--threads N] [--access-log FILE] [--status-path PATH]
 *
 * --socket opens a listener (unix path or host:port); without it the app
 * serves the listener inherited on fd 0 (spawn-fcgi, mod_fcgid) or runs
 * once as plain CGI. --threads N (default 1) runs N worker threads, each
 * with its own request handle. --access-log and --status-path turn on the
 * library's access log ("-": standard output) and status page. SIGTERM and SIGINT stop accepting; requests
 * in flight complete; then the process exits 0.
 */
#ifndef EXAMPLES_SERVE_H
#define EXAMPLES_SERVE_H

#include <ffcgi.h>

/* Handles one accepted request; runs on a worker thread. */
typedef void example_handler(ffcgi_request *req);

/* Parses argv, serves until shutdown, returns the process exit status. */
int example_serve(int argc, char **argv, example_handler *handle);

#endif
