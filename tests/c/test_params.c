/* test_params.c — CGI params arrive exactly as sent and every env call
 * agrees: 1000 params, names and values over 127 bytes (4-byte lengths),
 * short ones forced into 4-byte lengths, params split across records of
 * 7 bytes (in the middle of name-value pairs), UTF-8 and binary bytes,
 * empty values, a name with '=' in it (taken whole, not split at the '=');
 * plus the role, request id and keep-conn flag. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "harness.h"

#define MANY 1000

/* The app answers with one line per param from ffcgi_env_at(), after
 * checking that ffcgi_env_get(), ffcgi_env_count() and ffcgi_env_packed()
 * tell the same story. */
static void list_params(ffcgi_request *req, void *ctx)
{
    (void)ctx;
    size_t count = ffcgi_env_count(req);
    const char *packed;
    size_t packed_len, offset = 0;
    CHECK_OK(ffcgi_env_packed(req, &packed, &packed_len));
    char line[64];
    snprintf(line, sizeof line, "count=%zu role=%d id=%d keep=%d\n", count,
             ffcgi_request_role(req), ffcgi_request_id(req), ffcgi_request_keep_conn(req));
    CHECK_OK(ffcgi_print(req, line));
    for (size_t i = 0; i < count; i++) {
        const char *name, *value;
        CHECK_OK(ffcgi_env_at(req, i, &name, &value));
        CHECK_STR(ffcgi_env_get(req, name), value);
        CHECK_STR(packed + offset, name);
        offset += strlen(name) + 1;
        CHECK_STR(packed + offset, value);
        offset += strlen(value) + 1;
        CHECK_OK(ffcgi_print(req, name));
        CHECK_OK(ffcgi_print(req, "="));
        CHECK_OK(ffcgi_print(req, value));
        CHECK_OK(ffcgi_print(req, "\n"));
    }
    CHECK_INT(offset, packed_len);
    const char *exact = ffcgi_env_get(req, "NAME=WITH=EQUALS");
    if (exact) { /* the name is taken whole, '=' and all */
        CHECK_OK(ffcgi_print(req, "exact name: "));
        CHECK_OK(ffcgi_print(req, exact));
        CHECK_OK(ffcgi_print(req, "\n"));
    }
    const char *name = "x", *value = "x";
    CHECK_INT(ffcgi_env_at(req, count, &name, &value), FFCGI_ERANGE);
    CHECK(name == NULL && value == NULL);
    CHECK(ffcgi_env_get(req, "NO_SUCH_PARAM") == NULL);
}

static char *ask_text(struct harness_app *app, fcc_request *r)
{
    fcc_response resp;
    harness_ask(app, r, &resp);
    char *text = harness_stdout_text(&resp);
    fcc_response_free(&resp);
    return text;
}

static void many_params(struct harness_app *app)
{
    static char names[MANY][16], values[MANY][16];
    static fcc_param params[MANY];
    for (int i = 0; i < MANY; i++) {
        snprintf(names[i], sizeof names[i], "P%04d", i);
        snprintf(values[i], sizeof values[i], "v%d", i * 7);
        params[i] = fcc_str_param(names[i], values[i]);
    }
    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .params = params, .n_params = MANY};
    char *text = ask_text(app, &r);
    CHECK_CONTAINS(text, "count=1001 role=1 id=1 keep=0\nFCGI_ROLE=RESPONDER\nP0000=v0\n");
    CHECK_CONTAINS(text, "\nP0999=v6993\n");
    free(text);
}

static void long_and_odd_params(struct harness_app *app)
{
    char long_name[300], long_value[70000];
    memset(long_name, 'N', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    memset(long_value, 'v', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    fcc_param params[] = {
        fcc_str_param(long_name, "short"),
        fcc_str_param("LONG_VALUE", long_value),
        fcc_str_param("FORCED", "four-byte lengths"),
        fcc_str_param("UTF8", "caf\xC3\xA9 \xE2\x82\xAC"),
        fcc_str_param("BINARY", "\x01\x02\x7F\x80\xFF"),
        fcc_str_param("EMPTY", ""),
        fcc_str_param("WITH_EQUALS", "a=b=c"),
        fcc_str_param("NAME=WITH=EQUALS", "value"),
    };
    params[2].flags = FCC_NV_LONG_NAME | FCC_NV_LONG_VALUE;
    fcc_request r = {.id = 7, .role = FCC_RESPONDER, .params = params,
                     .n_params = sizeof params / sizeof *params, .params_chunk = 7};
    char *text = ask_text(app, &r);
    char expect[400];
    snprintf(expect, sizeof expect, "\n%s=short\n", long_name);
    CHECK_CONTAINS(text, "count=9 role=1 id=7 keep=0\n");
    CHECK_CONTAINS(text, expect);
    CHECK(strstr(text, long_value) != NULL);
    CHECK_CONTAINS(text, "\nFORCED=four-byte lengths\n");
    CHECK_CONTAINS(text, "\nUTF8=caf\xC3\xA9 \xE2\x82\xAC\n");
    CHECK_CONTAINS(text, "\nBINARY=\x01\x02\x7F\x80\xFF\n");
    CHECK_CONTAINS(text, "\nEMPTY=\n");
    CHECK_CONTAINS(text, "\nWITH_EQUALS=a=b=c\n");
    CHECK_CONTAINS(text, "\nexact name: value\n");
    free(text);
}

static void roles(struct harness_app *app)
{
    fcc_param p = fcc_str_param("A", "1");
    fcc_request r = {.id = 300, .role = FCC_AUTHORIZER, .params = &p, .n_params = 1,
                     .keep_conn = 1};
    char *text = ask_text(app, &r);
    CHECK_CONTAINS(text, "count=2 role=2 id=300 keep=1\nFCGI_ROLE=AUTHORIZER\nA=1\n");
    free(text);
}

int main(void)
{
    struct harness_app app;
    harness_start(&app, list_params, NULL, 1);
    many_params(&app);
    long_and_odd_params(&app);
    roles(&app);
    harness_stop(&app);
    puts("ok");
    return 0;
}
