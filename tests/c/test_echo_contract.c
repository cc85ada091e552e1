/* test_echo_contract.c — examples/echo (a separate process) answers as
 * tests/conformance/ECHO_CONTRACT.md says, byte for byte, over a unix
 * socket and over TCP, and exits 0 on SIGTERM removing its socket.
 *   test_echo_contract PATH-TO-ECHO */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fcgi_client.h"
#include "process.h"

static const char *address;

static void expect(const fcc_request *r, const char *out, const char *err)
{
    int fd = fcc_connect(address);
    CHECK(fd >= 0);
    fcc_response resp;
    fcc_response_init(&resp);
    if (fcc_roundtrip(fd, r, &resp, 30000) != 0) {
        fprintf(stderr, "request failed: %s\n", fcc_error());
        exit(1);
    }
    close(fd);
    if (resp.out.len != strlen(out) || memcmp(resp.out.data, out, resp.out.len) != 0) {
        fprintf(stderr, "over %s the answer was\n%.*s\nexpected\n%s\n", address,
                (int)resp.out.len, resp.out.data, out);
        exit(1);
    }
    CHECK_INT(resp.err.len, strlen(err));
    CHECK(resp.err.len == 0 || memcmp(resp.err.data, err, resp.err.len) == 0);
    CHECK_INT(resp.app_status, 0);
    fcc_response_free(&resp);
}

/* The example of ECHO_CONTRACT.md section 3. */
static void contract_example(void)
{
    fcc_param p[] = {fcc_str_param("REQUEST_METHOD", "GET"), fcc_str_param("QUERY_STRING", "a=1")};
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = p, .n_params = 2};
    expect(&r,
           "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n"
           "method=GET\nquery=a%3D1\nstdin_bytes=0\n"
           "stdin_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
           "param_count=3\nFCGI_ROLE=RESPONDER\nQUERY_STRING=a%3D1\nREQUEST_METHOD=GET\nend\n",
           "");
}

/* A POST with a body, the first status= winning, stderr=, escaping of
 * UTF-8, spaces, '%', '=' and controls, empty values, byte-order sort. */
static void post_with_everything(void)
{
    fcc_param p[] = {
        fcc_str_param("REQUEST_METHOD", "POST"),
        fcc_str_param("QUERY_STRING", "status=404&stderr=oops&status=500"),
        fcc_str_param("CONTENT_LENGTH", "5"),
        fcc_str_param("HTTP_X_NAME", "caf\xC3\xA9 50% a=b\t"),
        fcc_str_param("EMPTY", ""),
        fcc_str_param("a_lower", "z"),
    };
    fcc_request r = {.id = 9, .role = FCC_RESPONDER, .params = p, .n_params = 6,
                     .stdin_data = "hello", .stdin_len = 5, .stdin_chunk = 2};
    expect(&r,
           "Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\n"
           "method=POST\nquery=status%3D404&stderr%3Doops&status%3D500\nstdin_bytes=5\n"
           "stdin_sha256=2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n"
           "param_count=7\nCONTENT_LENGTH=5\nEMPTY=\nFCGI_ROLE=RESPONDER\n"
           "HTTP_X_NAME=caf%C3%A9%2050%25%20a%3Db%09\n"
           "QUERY_STRING=status%3D404&stderr%3Doops&status%3D500\nREQUEST_METHOD=POST\n"
           "a_lower=z\nend\n",
           "oops\n");
}

static void no_params_at_all(void)
{
    fcc_request r = {.id = 1, .role = FCC_RESPONDER};
    expect(&r,
           "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n"
           "method=\nquery=\nstdin_bytes=0\n"
           "stdin_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
           "param_count=1\nFCGI_ROLE=RESPONDER\nend\n",
           "");
}

static void run_against(char *echo, char *listen_at, const char *connect_to)
{
    char *argv[] = {echo, "--socket", listen_at, "--threads", "2", NULL};
    struct child_setup setup = {.listen_fd = -1, .stdin_fd = -1, .stdout_fd = -1};
    pid_t pid = process_start(argv, &setup);
    address = connect_to;
    process_wait_listening(address);
    contract_example();
    post_with_everything();
    no_params_at_all();
    CHECK_INT(process_stop(pid), 0);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    char dir[] = "/tmp/ffcgi-echo-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char sock[64];
    snprintf(sock, sizeof sock, "%s/echo.sock", dir);
    run_against(argv[1], sock, sock);
    struct stat st;
    CHECK(stat(sock, &st) != 0); /* removed at exit */
    CHECK(rmdir(dir) == 0);

    char tcp[32];
    snprintf(tcp, sizeof tcp, "127.0.0.1:%d", process_free_port());
    run_against(argv[1], tcp, tcp);
    puts("ok");
    return 0;
}
