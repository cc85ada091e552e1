/* raw_hello.c — the yardstick: the hello app written straight against libfcgi
 * (FCGX_Accept_r, one thread), answering what build/examples/hello answers
 * (the same head lines, a body of the same shape), so that the difference in
 * CPU per request is what libffcgi adds.
 *   raw-hello --socket PATH [--body]
 * --body: the body app of the benchmark instead (apps/body.c says what it
 * answers), for the body-size rows. SIGTERM ends it with exit status 0
 * (profilers write their figures then). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "apps/body_query.h"

static void on_term(int signo)
{
    (void)signo;
    FCGX_ShutdownPending(); /* the blocked accept() fails with EINTR: no SA_RESTART */
}

static void hello(FCGX_Request *req)
{
    static long served;
    FCGX_FPrintF(req->out,
                 "Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                 "<h1>Hello from libfcgi (C)!</h1>\n<p>Request number %ld</p>\n",
                 ++served);
}

static void body(FCGX_Request *req)
{
    static char buf[BODY_CHUNK];
    long long got = 0, n;
    while ((n = FCGX_GetStr(buf, sizeof buf, req->in)) > 0)
        got += n;
    long long want = body_query_bytes(FCGX_GetParam("QUERY_STRING", req->envp));
    FCGX_FPrintF(req->out,
                 "Status: 200 OK\r\nContent-Type: application/octet-stream\r\n"
                 "X-Body-Bytes: %lld\r\n\r\n", got);
    body_pattern(buf, sizeof buf);
    if (want < 0)
        FCGX_PutS("read\n", req->out);
    for (long long left = want; left > 0; left -= (long long)sizeof buf)
        FCGX_PutStr(buf, left < (long long)sizeof buf ? (int)left : (int)sizeof buf, req->out);
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    void (*handle)(FCGX_Request *) = hello;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--body") == 0)
            handle = body;
        else
            path = NULL, i = argc;
    }
    if (!path) {
        fprintf(stderr, "usage: raw-hello --socket PATH [--body]\n");
        return 2;
    }
    FCGX_Init();
    struct sigaction sa = {.sa_handler = on_term};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    int fd = FCGX_OpenSocket(path, 128); /* exits on failure: libfcgi's way */
    FCGX_Request req;
    FCGX_InitRequest(&req, fd, 0);
    while (FCGX_Accept_r(&req) >= 0) {
        handle(&req);
        FCGX_Finish_r(&req);
    }
    return 0;
}
