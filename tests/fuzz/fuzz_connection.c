/* fuzz_connection.c — a libFuzzer target: the input is everything a web
 * server sends on one FastCGI connection. An app built on libffcgi serves
 * it (accept with the packed params, every env call, read the body and
 * FCGI_DATA, then either status, headers, write, stderr and finish or the
 * whole response in one ffcgi_respond with a header block made from the
 * request) while another thread reads the answers, until the library closes
 * the connection. Any crash, hang, leak or sanitizer report
 * is a finding.
 *   fuzz_connection [libFuzzer options] [CORPUS_DIR...] */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <ffcgi.h>

static int listener = -1;
static struct sockaddr_un listener_address;

struct drain {
    int fd;
    ffcgi_server *srv;
};

/* Reads the answers until the library closes the connection, then ends the
 * accept loop. */
static void *drain_answers(void *arg)
{
    struct drain *d = arg;
    char sink[65536];
    while (read(d->fd, sink, sizeof sink) > 0)
        ;
    ffcgi_server_shutdown(d->srv);
    return NULL;
}

static void open_listener(void)
{
    listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    listener_address.sun_family = AF_UNIX;
    /* an abstract address: no file to clean up */
    snprintf(listener_address.sun_path + 1, sizeof listener_address.sun_path - 1,
             "ffcgi-fuzz-%d", (int)getpid());
    if (listener < 0 ||
        bind(listener, (struct sockaddr *)&listener_address, sizeof listener_address) != 0 ||
        listen(listener, 4) != 0) {
        perror("fuzz_connection: listener");
        _exit(1);
    }
    signal(SIGPIPE, SIG_IGN);
}

/* The lean path of the bindings: the status (with a reason taken from the
 * query when it holds an 'n'), a header block holding the query's bytes
 * (so hostile bytes reach the header checks) and the body in one call,
 * flushed and finished; a refused head leaves the request to finish. */
static void respond_at_once(ffcgi_request *req, const char *query, const char *body)
{
    static const char name[] = "X-Query";
    char block[sizeof name + 200 + 1];
    size_t query_len = query ? strnlen(query, 200) : 0;
    memcpy(block, name, sizeof name);
    if (query_len)
        memcpy(block + sizeof name, query, query_len);
    block[sizeof name + query_len] = '\0';
    size_t block_len = sizeof name + query_len + 1;
    const char *reason = query && strchr(query, 'n') ? query : NULL;
    size_t reason_len = reason ? strnlen(reason, 40) : 0;
    int flags = FFCGI_RESPOND_FINISH | (query && strchr(query, 'f') ? FFCGI_RESPOND_FLUSH : 0);
    int checked = ffcgi_head_check(200, reason, reason_len, block, block_len, 1);
    int rc = ffcgi_respond(req, 200, reason, reason_len, block, block_len, 1, body, strlen(body), flags);
    if ((checked == FFCGI_EHEADER) != (rc == FFCGI_EHEADER))
        abort(); /* ffcgi_head_check and ffcgi_respond disagree on the head */
    if (rc != 0)
        ffcgi_finish(req);
}

static void use_request(ffcgi_request *req, const char *env, size_t env_len)
{
    const char *name, *value, *packed;
    size_t count = ffcgi_env_count(req), len, n;
    for (size_t i = 0; i < count; i++)
        if (ffcgi_env_at(req, i, &name, &value) == 0)
            (void)ffcgi_env_get(req, name);
    if (ffcgi_env_packed(req, &packed, &len) != 0 || packed != env || len != env_len)
        abort(); /* ffcgi_accept_env gave other params */
    const char *query = ffcgi_env_get(req, "QUERY_STRING");
    char buf[3000];
    size_t total = 0;
    while (ffcgi_read(req, buf, sizeof buf, &n) == 0 && n > 0)
        total += n;
    if (ffcgi_request_role(req) == FFCGI_ROLE_FILTER)
        while (ffcgi_read_data(req, buf, sizeof buf, &n) == 0 && n > 0)
            total += n;
    snprintf(buf, sizeof buf, "params=%zu body=%zu\n", count, total);
    if (query && strchr(query, 'r')) {
        respond_at_once(req, query, buf);
        return;
    }
    ffcgi_status(req, query && strchr(query, 'e') ? 404 : 200);
    ffcgi_header(req, "Content-Type", "text/plain");
    ffcgi_header(req, "X-Query", query ? query : "");
    ffcgi_print(req, buf);
    if (query && strchr(query, 's'))
        ffcgi_write_stderr(req, "warning\n", 8);
    ffcgi_set_exit_status(req, (int)(total & 7));
    ffcgi_finish(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (listener < 0)
        open_listener();
    ffcgi_server *srv;
    ffcgi_request *req;
    if (ffcgi_server_from_fd(&srv, listener) != 0 || ffcgi_request_new(&req, srv) != 0)
        _exit(2);
    ffcgi_server_set_limit(srv, FFCGI_LIMIT_IDLE_MS, 2000);
    int client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (client < 0 ||
        connect(client, (struct sockaddr *)&listener_address, sizeof listener_address) != 0)
        _exit(3);
    int sndbuf = 1 << 20;
    setsockopt(client, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    struct drain d = {client, srv};
    pthread_t drainer;
    if (pthread_create(&drainer, NULL, drain_answers, &d) != 0)
        _exit(4);
    size_t sent = 0;
    while (sent < size) {
        ssize_t n = send(client, data + sent, size - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the library closed the connection early */
        sent += (size_t)n;
    }
    shutdown(client, SHUT_WR);
    const char *env;
    size_t env_len;
    while (ffcgi_accept_env(req, &env, &env_len) == 0)
        use_request(req, env, env_len);
    pthread_join(drainer, NULL);
    close(client);
    ffcgi_request_free(req);
    ffcgi_server_free(srv);
    return 0;
}
