/* fcgi_client_cli.c - "fcgi-client": send FastCGI requests from the command
 * line (for shell, Python and Raku test suites).  See README.md. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "fcgi_client.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EXIT_PROTOCOL = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
    "usage: fcgi-client --socket ADDR [options]\n"
    "  --socket ADDR         /path, unix:/path, HOST:PORT or [V6]:PORT\n"
    "  --param NAME=VALUE    add a parameter (repeatable)\n"
    "  --param-file FILE     add parameters from lines NAME=VALUE\n"
    "  --method M            shortcut for --param REQUEST_METHOD=M\n"
    "  --query Q             shortcut for --param QUERY_STRING=Q\n"
    "  --stdin-file FILE     send FILE as the body ('-' = standard input)\n"
    "  --stdin-random N      send N pseudo-random bytes as the body\n"
    "  --seed S              seed for --stdin-random (default 1)\n"
    "  --save-stdin FILE     also write the body sent to FILE\n"
    "  --stdin-chunk N       max bytes per STDIN/DATA record (0 = 65535)\n"
    "  --params-chunk N      max bytes per PARAMS record (0 = 65535)\n"
    "  --role R              responder (default), authorizer, filter or a "
    "number\n"
    "  --data-file FILE      send FILE as the FCGI_DATA stream\n"
    "  --keep-conn           set FCGI_KEEP_CONN (and reuse the connection)\n"
    "  --repeat N            send N requests, require identical responses\n"
    "  --request-id N        request id (default 1)\n"
    "  --timeout MS          per-request timeout (default 30000, 0 = none)\n"
    "  --output MODE         stdout (default), stderr, all or raw\n";

enum output_mode { OUT_STDOUT, OUT_STDERR, OUT_ALL, OUT_RAW };

/* Parameters; each item owns one allocation starting at item.name. */
typedef struct param_list {
    fcc_param *items;
    size_t len;
    size_t cap;
} param_list;

typedef struct options {
    const char *socket;
    param_list params;
    const char *stdin_file;
    int stdin_random;         /* --stdin-random given */
    size_t random_len;
    uint64_t seed;
    const char *save_stdin;
    size_t stdin_chunk;
    size_t params_chunk;
    uint16_t role;
    const char *data_file;
    int keep_conn;
    unsigned long repeat;
    uint16_t request_id;
    int timeout_ms;
    enum output_mode output;
} options;

static void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Reports a command-line problem and exits with EXIT_USAGE. */
static void usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("fcgi-client: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", usage_text);
    exit(EXIT_USAGE);
}

static void out_of_memory(void) __attribute__((noreturn));

/* Reports allocation failure and exits (the CLI has no fallback). */
static void out_of_memory(void)
{
    fputs("fcgi-client: out of memory\n", stderr);
    exit(EXIT_PROTOCOL);
}

static void *xmalloc(size_t size)
{
    void *p = malloc(size);
    if (!p)
        out_of_memory();
    return p;
}

/* ---- Parameters ------------------------------------------------------------ */

/* Appends a copy of the pair name/value. */
static void add_param(param_list *l, const char *name, size_t name_len,
                      const char *value, size_t value_len)
{
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        fcc_param *items = realloc(l->items, l->cap * sizeof *items);
        if (!items)
            out_of_memory();
        l->items = items;
    }
    char *copy = xmalloc(name_len + value_len + 2);
    memcpy(copy, name, name_len);
    copy[name_len] = '\0';
    memcpy(copy + name_len + 1, value, value_len);
    copy[name_len + 1 + value_len] = '\0';
    l->items[l->len++] = (fcc_param){ copy, name_len, copy + name_len + 1,
                                      value_len, 0 };
}

/* Adds "NAME=VALUE" (len bytes, not NUL-terminated); returns -1 if there is
 * no '=' or the name is empty. */
static int add_assignment(param_list *l, const char *s, size_t len)
{
    const char *eq = memchr(s, '=', len);
    if (!eq || eq == s)
        return -1;
    size_t name_len = (size_t)(eq - s);
    add_param(l, s, name_len, eq + 1, len - name_len - 1);
    return 0;
}

static int has_param(const param_list *l, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < l->len; i++)
        if (l->items[i].name_len == len &&
            memcmp(l->items[i].name, name, len) == 0)
            return 1;
    return 0;
}

/* Adds name=<number> unless a parameter called name already exists. */
static void add_default_number(param_list *l, const char *name,
                               unsigned long long value)
{
    char text[32];
    if (has_param(l, name))
        return;
    int len = snprintf(text, sizeof text, "%llu", value);
    add_param(l, name, strlen(name), text, (size_t)len);
}

static void free_params(param_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        free((char *)l->items[i].name);
    free(l->items);
}

/* ---- Files and bodies ----------------------------------------------------- */

/* Reads a whole file ('-' = standard input) into b, or exits with
 * EXIT_USAGE. */
static void read_file(const char *path, fcc_buf *b)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        usage_error("cannot open %s: %s", path, strerror(errno));
    for (;;) {
        if (fcc_buf_reserve(b, 65536) != FCC_OK)
            out_of_memory();
        size_t n = fread(b->data + b->len, 1, b->cap - b->len, f);
        b->len += n;
        if (n == 0)
            break;
    }
    int failed = ferror(f);
    if (!is_stdin)
        fclose(f);
    if (failed)
        usage_error("cannot read %s", path);
}

/* Adds the NAME=VALUE lines of path (empty lines are skipped). */
static void read_param_file(const char *path, param_list *l)
{
    fcc_buf text = FCC_BUF_INIT;
    read_file(path, &text);
    const char *p = (const char *)text.data, *end = p + text.len;
    for (unsigned line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len > 0 && add_assignment(l, p, len) < 0)
            usage_error("%s:%u: expected NAME=VALUE", path, line);
        p += len + 1;
    }
    fcc_buf_free(&text);
}

static void write_file(const char *path, const fcc_buf *b)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(b->data, 1, b->len, f) == b->len;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok)
        usage_error("cannot write %s: %s", path, strerror(errno));
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Fills b with len deterministic bytes: consecutive 256-byte blocks are
 * permutations of 0..255 shuffled with splitmix64(seed), so any len >= 256
 * contains every byte value. */
static void random_body(fcc_buf *b, size_t len, uint64_t seed)
{
    if (fcc_buf_reserve(b, len) != FCC_OK)
        out_of_memory();
    while (b->len < len) {
        unsigned char block[256];
        for (int i = 0; i < 256; i++)
            block[i] = (unsigned char)i;
        for (int i = 255; i > 0; i--) {
            int j = (int)(splitmix64(&seed) % (uint64_t)(i + 1));
            unsigned char t = block[i];
            block[i] = block[j];
            block[j] = t;
        }
        size_t n = len - b->len < 256 ? len - b->len : 256;
        fcc_buf_append(b, block, n);
    }
}

/* Modification time of path in seconds, or 0 if unknown (e.g. "-"). */
static unsigned long long mtime_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (unsigned long long)st.st_mtime : 0;
}

/* ---- Argument parsing ------------------------------------------------------ */

static unsigned long long parse_number(const char *opt, const char *s,
                                       unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v > max)
        usage_error("--%s: expected a number from 0 to %llu, got '%s'", opt,
                    max, s);
    return v;
}

static uint16_t parse_role(const char *s)
{
    if (strcmp(s, "responder") == 0)
        return FCC_RESPONDER;
    if (strcmp(s, "authorizer") == 0)
        return FCC_AUTHORIZER;
    if (strcmp(s, "filter") == 0)
        return FCC_FILTER;
    return (uint16_t)parse_number("role", s, 65535);
}

static enum output_mode parse_output(const char *s)
{
    static const char *const names[] = { "stdout", "stderr", "all", "raw" };
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return (enum output_mode)i;
    usage_error("--output: unknown mode '%s'", s);
}

enum {
    OPT_SOCKET = 256, OPT_PARAM, OPT_PARAM_FILE, OPT_METHOD, OPT_QUERY,
    OPT_STDIN_FILE, OPT_STDIN_RANDOM, OPT_SEED, OPT_SAVE_STDIN,
    OPT_STDIN_CHUNK, OPT_PARAMS_CHUNK, OPT_ROLE, OPT_DATA_FILE, OPT_KEEP_CONN,
    OPT_REPEAT, OPT_REQUEST_ID, OPT_TIMEOUT, OPT_OUTPUT, OPT_HELP
};

static const struct option long_options[] = {
    { "socket", required_argument, NULL, OPT_SOCKET },
    { "param", required_argument, NULL, OPT_PARAM },
    { "param-file", required_argument, NULL, OPT_PARAM_FILE },
    { "method", required_argument, NULL, OPT_METHOD },
    { "query", required_argument, NULL, OPT_QUERY },
    { "stdin-file", required_argument, NULL, OPT_STDIN_FILE },
    { "stdin-random", required_argument, NULL, OPT_STDIN_RANDOM },
    { "seed", required_argument, NULL, OPT_SEED },
    { "save-stdin", required_argument, NULL, OPT_SAVE_STDIN },
    { "stdin-chunk", required_argument, NULL, OPT_STDIN_CHUNK },
    { "params-chunk", required_argument, NULL, OPT_PARAMS_CHUNK },
    { "role", required_argument, NULL, OPT_ROLE },
    { "data-file", required_argument, NULL, OPT_DATA_FILE },
    { "keep-conn", no_argument, NULL, OPT_KEEP_CONN },
    { "repeat", required_argument, NULL, OPT_REPEAT },
    { "request-id", required_argument, NULL, OPT_REQUEST_ID },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "output", required_argument, NULL, OPT_OUTPUT },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 }
};

/* Applies one option (c is its OPT_* code) to o. */
static void apply_option(options *o, int c, const char *arg)
{
    switch (c) {
    case OPT_SOCKET: o->socket = arg; break;
    case OPT_PARAM:
        if (add_assignment(&o->params, arg, strlen(arg)) < 0)
            usage_error("--param: expected NAME=VALUE, got '%s'", arg);
        break;
    case OPT_PARAM_FILE: read_param_file(arg, &o->params); break;
    case OPT_METHOD:
        add_param(&o->params, "REQUEST_METHOD", 14, arg, strlen(arg));
        break;
    case OPT_QUERY:
        add_param(&o->params, "QUERY_STRING", 12, arg, strlen(arg));
        break;
    case OPT_STDIN_FILE: o->stdin_file = arg; break;
    case OPT_STDIN_RANDOM:
        o->stdin_random = 1;
        o->random_len = (size_t)parse_number("stdin-random", arg, SIZE_MAX / 2);
        break;
    case OPT_SEED: o->seed = parse_number("seed", arg, UINT64_MAX); break;
    case OPT_SAVE_STDIN: o->save_stdin = arg; break;
    case OPT_STDIN_CHUNK:
        o->stdin_chunk = (size_t)parse_number("stdin-chunk", arg, 65535);
        break;
    case OPT_PARAMS_CHUNK:
        o->params_chunk = (size_t)parse_number("params-chunk", arg, 65535);
        break;
    case OPT_ROLE: o->role = parse_role(arg); break;
    case OPT_DATA_FILE: o->data_file = arg; break;
    case OPT_KEEP_CONN: o->keep_conn = 1; break;
    case OPT_REPEAT:
        o->repeat = (unsigned long)parse_number("repeat", arg, 1000000000);
        break;
    case OPT_REQUEST_ID:
        o->request_id = (uint16_t)parse_number("request-id", arg, 65535);
        break;
    case OPT_TIMEOUT:
        o->timeout_ms = (int)parse_number("timeout", arg, 1000000000);
        break;
    case OPT_OUTPUT: o->output = parse_output(arg); break;
    case OPT_HELP: fputs(usage_text, stdout); exit(0);
    default: usage_error("invalid option");
    }
}

static void parse_args(int argc, char **argv, options *o)
{
    *o = (options){ .seed = 1, .role = FCC_RESPONDER, .repeat = 1,
                    .request_id = 1, .timeout_ms = 30000 };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1)
        apply_option(o, c, optarg);
    if (optind < argc)
        usage_error("unexpected argument '%s'", argv[optind]);
    if (!o->socket)
        usage_error("--socket is required");
    if (o->stdin_file && o->stdin_random)
        usage_error("--stdin-file and --stdin-random are exclusive");
    if (o->repeat == 0)
        usage_error("--repeat must be at least 1");
}

/* ---- Requests ---------------------------------------------------------------- */

/* Sends one request (connecting first if *fd < 0) and reads the response
 * into r.  Without keep-conn the connection is closed afterwards.  Returns
 * 0, or 1 after printing an error. */
static int one_request(int *fd, const options *o, const fcc_request *req,
                       fcc_response *r)
{
    if (*fd < 0 && (*fd = fcc_connect(o->socket)) < 0) {
        fprintf(stderr, "fcgi-client: %s\n", fcc_error());
        return 1;
    }
    int rc = fcc_roundtrip(*fd, req, r, o->timeout_ms ? o->timeout_ms : -1);
    if (rc != FCC_OK)
        fprintf(stderr, "fcgi-client: %s\n", fcc_error());
    if (rc != FCC_OK || !o->keep_conn) {
        close(*fd);
        *fd = -1;
    }
    return rc != FCC_OK;
}

static int same_buf(const fcc_buf *a, const fcc_buf *b)
{
    return a->len == b->len && (a->len == 0 || !memcmp(a->data, b->data, a->len));
}

/* Names the first field in which b differs from a, or NULL. */
static const char *difference(const fcc_response *a, const fcc_response *b)
{
    if (a->app_status != b->app_status)
        return "app_status";
    if (a->protocol_status != b->protocol_status)
        return "protocol_status";
    if (!same_buf(&a->out, &b->out))
        return "stdout";
    if (!same_buf(&a->err, &b->err))
        return "stderr";
    return NULL;
}

/* Sends o->repeat requests; the first response is left in first.  Returns
 * the exit status. */
static int run_requests(const options *o, const fcc_request *req,
                        fcc_response *first)
{
    int fd = -1, status = one_request(&fd, o, req, first);
    for (unsigned long i = 2; status == 0 && i <= o->repeat; i++) {
        fcc_response r;
        fcc_response_init(&r);
        status = one_request(&fd, o, req, &r);
        const char *diff = status ? NULL : difference(first, &r);
        if (diff) {
            fprintf(stderr, "fcgi-client: response %lu differs from response 1"
                            " in %s\n", i, diff);
            status = EXIT_PROTOCOL;
        }
        fcc_response_free(&r);
    }
    if (fd >= 0)
        close(fd);
    return status;
}

/* ---- Output ------------------------------------------------------------------- */

static void put_bytes(const fcc_buf *b)
{
    if (b->len)
        fwrite(b->data, 1, b->len, stdout);
}

static void print_response(const fcc_response *r, enum output_mode mode)
{
    switch (mode) {
    case OUT_STDOUT: put_bytes(&r->out); break;
    case OUT_STDERR: put_bytes(&r->err); break;
    case OUT_RAW: put_bytes(&r->raw); break;
    case OUT_ALL:
        printf("app_status=%lu\nprotocol_status=%u\nstdout_bytes=%zu\n"
               "stderr_bytes=%zu\n--stdout--\n",
               (unsigned long)r->app_status, r->protocol_status, r->out.len,
               r->err.len);
        put_bytes(&r->out);
        fputs("\n--stderr--\n", stdout);
        put_bytes(&r->err);
        break;
    }
}

/* ---- Main ------------------------------------------------------------------------ */

/* Loads the body and data (data->data stays NULL without --data-file), and
 * adds the automatic parameters. */
static void prepare_inputs(options *o, fcc_buf *body, fcc_buf *data)
{
    if (o->stdin_file)
        read_file(o->stdin_file, body);
    else if (o->stdin_random)
        random_body(body, o->random_len, o->seed);
    if (o->save_stdin)
        write_file(o->save_stdin, body);
    if (o->stdin_file || o->stdin_random)
        add_default_number(&o->params, "CONTENT_LENGTH", body->len);

    if (o->data_file)
        read_file(o->data_file, data);
    if (o->data_file || o->role == FCC_FILTER) {
        add_default_number(&o->params, "FCGI_DATA_LENGTH", data->len);
        add_default_number(&o->params, "FCGI_DATA_LAST_MOD",
                           o->data_file ? mtime_of(o->data_file) : 0);
    }
}

int main(int argc, char **argv)
{
    options o;
    fcc_buf body = FCC_BUF_INIT, data = FCC_BUF_INIT;
    parse_args(argc, argv, &o);
    prepare_inputs(&o, &body, &data);

    fcc_request req = {
        .id = o.request_id, .role = o.role, .keep_conn = o.keep_conn,
        .params = o.params.items, .n_params = o.params.len,
        .stdin_data = body.data, .stdin_len = body.len,
        .data = data.data, .data_len = data.len,
        .params_chunk = o.params_chunk, .stdin_chunk = o.stdin_chunk
    };
    fcc_response resp;
    fcc_response_init(&resp);
    resp.keep_raw = o.output == OUT_RAW;
    int status = run_requests(&o, &req, &resp);
    if (status == 0) {
        print_response(&resp, o.output);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "fcgi-client: writing output: %s\n",
                    strerror(errno));
            status = EXIT_PROTOCOL;
        }
    }
    fcc_response_free(&resp);
    fcc_buf_free(&body);
    fcc_buf_free(&data);
    free_params(&o.params);
    return status;
}
