/* app.c — a FastCGI app built outside the libffcgi tree, against an
 * installed <ffcgi.h> and libffcgi (see README.md).
 *   app --version         prints the version of the loaded libffcgi
 *   app --socket ADDRESS  answers every request with "Hello from outside"
 *                         until SIGTERM or SIGINT */
#define _POSIX_C_SOURCE 200809L /* sigaction */
#include <ffcgi.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static ffcgi_server *srv;

static void stop(int signo)
{
    (void)signo;
    ffcgi_server_shutdown(srv); /* async-signal-safe */
}

static int serve(const char *address)
{
    ffcgi_request *req;
    if (ffcgi_server_open(&srv, address, 0, -1) != 0
        || ffcgi_request_new(&req, srv) != 0) {
        fprintf(stderr, "app: %s\n", ffcgi_last_error());
        ffcgi_server_free(srv);
        return 1;
    }
    struct sigaction sa = {.sa_handler = stop, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int rc;
    while ((rc = ffcgi_accept(req)) == 0) {
        ffcgi_header(req, "Content-Type", "text/plain");
        ffcgi_print(req, "Hello from outside\n");
    }
    ffcgi_request_free(req);
    ffcgi_server_free(srv);
    return rc == FFCGI_ESHUTDOWN ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        puts(ffcgi_version_string());
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--socket") == 0)
        return serve(argv[2]);
    fprintf(stderr, "usage: %s --version | --socket ADDRESS\n", argv[0]);
    return 2;
}
