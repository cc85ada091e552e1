/* hello.c — the smallest complete ffcgi app: greets and counts requests,
 * like the synopsis of the Raku module FastCGI::NativeCall.
 *   hello [--socket ADDRESS] [--threads N] */
#include <stdatomic.h>
#include <stdio.h>

#include "serve.h"

static atomic_long served;

static void greet(ffcgi_request *req)
{
    char body[128];
    long n = atomic_fetch_add(&served, 1) + 1;
    snprintf(body, sizeof body,
             "<h1>Hello from ffcgi (C)!</h1>\n<p>Request number %ld</p>\n", n);
    ffcgi_header(req, "Content-Type", "text/html; charset=utf-8");
    ffcgi_print(req, body);
}

int main(int argc, char **argv)
{
    return example_serve(argc, argv, greet);
}
