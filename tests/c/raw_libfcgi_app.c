/* raw_libfcgi_app.c — the yardstick for test_guard: an app on libfcgi
 * alone (FCGX_Accept_r on the listener inherited on fd 0), answering
 * like examples/echo with the lines test_guard checks: the method, the
 * body's size and SHA-256, and each param as NAME=VALUE. Its address space
 * is capped (RLIMIT_AS), as a server's memory is, so a huge allocation
 * fails instead of succeeding lazily. */
#include <fcgiapp.h>
#include <stdio.h>
#include <sys/resource.h>

#include "sha256.h"

int main(void)
{
    struct rlimit cap = {1u << 30, 1u << 30};
    setrlimit(RLIMIT_AS, &cap);
    FCGX_Request req;
    if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
        return 1;
    while (FCGX_Accept_r(&req) >= 0) {
        struct sha256 sha;
        char buf[4096], hex[65];
        size_t total = 0;
        int n;
        sha256_init(&sha);
        while ((n = FCGX_GetStr(buf, sizeof buf, req.in)) > 0) {
            sha256_update(&sha, buf, (size_t)n);
            total += (size_t)n;
        }
        sha256_final_hex(&sha, hex);
        const char *method = FCGX_GetParam("REQUEST_METHOD", req.envp);
        FCGX_FPrintF(req.out, "Content-Type: text/plain\r\n\r\nmethod=%s\nstdin_bytes=%zu\n"
                     "stdin_sha256=%s\n", method ? method : "", total, hex);
        for (char **e = req.envp; *e; e++)
            FCGX_FPrintF(req.out, "%s\n", *e);
    }
    return 0;
}
