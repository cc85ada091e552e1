/* echo.c — the echo application of ../shared/ECHO_CONTRACT.md (kept in the
 * repository as tests/conformance/ECHO_CONTRACT.md): answers every request
 * with its method, query, body size and SHA-256, and every param, escaped
 * and sorted, so a test client can check what the library delivered.
 *   echo [--socket ADDRESS] [--threads N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"
#include "sha256.h"

/* esc(): bytes 0x21..0x7E except '%' and '=' as they are, others %XX.
 * Returns a malloc'd string, or NULL when out of memory. */
static char *esc(const char *raw)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(raw);
    char *out = malloc(3 * len + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
        if (*p >= 0x21 && *p <= 0x7E && *p != '%' && *p != '=') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

/* The value of the first `key=` segment of the query: its start, and its
 * length in *len; NULL if there is none. */
static const char *query_value(const char *query, const char *key, size_t *len)
{
    size_t key_len = strlen(key);
    for (const char *seg = query; seg; seg = strchr(seg, '&') ? strchr(seg, '&') + 1 : NULL) {
        if (strncmp(seg, key, key_len) == 0 && seg[key_len] == '=') {
            *len = strcspn(seg + key_len + 1, "&");
            return seg + key_len + 1;
        }
    }
    return NULL;
}

static int status_from_query(const char *query)
{
    size_t len;
    const char *v = query_value(query, "status", &len);
    if (v && len == 3 && strspn(v, "0123456789") >= 3) {
        int code = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
        if (code >= 100 && code <= 599)
            return code;
    }
    return 200;
}

static void digest_body(ffcgi_request *req, size_t *count, char hex[65])
{
    static _Thread_local unsigned char buf[65536];
    struct sha256 sha;
    size_t n;
    sha256_init(&sha);
    *count = 0;
    while (ffcgi_read(req, buf, sizeof buf, &n) == 0 && n > 0) {
        sha256_update(&sha, buf, n);
        *count += n;
    }
    sha256_final_hex(&sha, hex);
}

static int compare_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Writes "esc(NAME)=esc(VALUE)\n" for every param, sorted bytewise. */
static int print_params(ffcgi_request *req)
{
    size_t count = ffcgi_env_count(req);
    char **lines = calloc(count ? count : 1, sizeof *lines);
    int ok = lines != NULL;
    for (size_t i = 0; ok && i < count; i++) {
        const char *name, *value;
        char *n = NULL, *v = NULL;
        ok = ffcgi_env_at(req, i, &name, &value) == 0 && (n = esc(name)) && (v = esc(value)) &&
             (lines[i] = malloc(strlen(n) + strlen(v) + 3));
        if (ok)
            sprintf(lines[i], "%s=%s\n", n, v);
        free(n);
        free(v);
    }
    if (ok) {
        char head[64];
        snprintf(head, sizeof head, "param_count=%zu\n", count);
        ffcgi_print(req, head);
        qsort(lines, count, sizeof *lines, compare_lines);
        for (size_t i = 0; i < count; i++)
            ffcgi_print(req, lines[i]);
    }
    for (size_t i = 0; lines && i < count; i++)
        free(lines[i]);
    free(lines);
    return ok ? 0 : -1;
}

static void print_escaped(ffcgi_request *req, const char *label, const char *raw)
{
    char *e = esc(raw ? raw : "");
    ffcgi_print(req, label);
    ffcgi_print(req, e ? e : "");
    ffcgi_print(req, "\n");
    free(e);
}

static void echo(ffcgi_request *req)
{
    const char *query = ffcgi_env_get(req, "QUERY_STRING");
    size_t err_len = 0;
    const char *err_text = query ? query_value(query, "stderr", &err_len) : NULL;
    if (err_text && err_len > 0) {
        ffcgi_write_stderr(req, err_text, err_len);
        ffcgi_write_stderr(req, "\n", 1);
    }
    size_t body_bytes;
    char digest[65];
    digest_body(req, &body_bytes, digest);

    ffcgi_status(req, status_from_query(query ? query : ""));
    ffcgi_header(req, "Content-Type", "text/plain");
    print_escaped(req, "method=", ffcgi_env_get(req, "REQUEST_METHOD"));
    print_escaped(req, "query=", query);
    char line[128];
    snprintf(line, sizeof line, "stdin_bytes=%zu\nstdin_sha256=%s\n", body_bytes, digest);
    ffcgi_print(req, line);
    if (print_params(req) != 0) {
        ffcgi_set_exit_status(req, 1);
        return;
    }
    ffcgi_print(req, "end\n");
}

int main(int argc, char **argv)
{
    return example_serve(argc, argv, echo);
}
