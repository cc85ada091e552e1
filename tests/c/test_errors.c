/* test_errors.c — error reporting: every code has its own fixed value and
 * text; the last-error detail is per thread; NULL handles and calls made
 * without a current request give FFCGI_EINVAL / FFCGI_ESTATE instead of
 * crashing; the free functions accept NULL; the version calls agree with
 * the header. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "harness.h"

static void codes_and_texts(void)
{
    const int codes[] = {FFCGI_OK, FFCGI_EINVAL, FFCGI_ENOMEM, FFCGI_EADDRESS, FFCGI_ESOCKET,
                         FFCGI_EEXIST, FFCGI_EADDRINUSE, FFCGI_ENOTLISTENING, FFCGI_ESHUTDOWN,
                         FFCGI_EIO, FFCGI_EDISCONNECTED, FFCGI_EHEADER, FFCGI_ESTATE,
                         FFCGI_EROLE, FFCGI_ERANGE, FFCGI_EPROTOCOL, FFCGI_EABORTED,
                         FFCGI_ELIMIT, FFCGI_ETIMEDOUT, FFCGI_EFILE};
    const size_t n = sizeof codes / sizeof *codes;
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(codes[i], -(int)i); /* fixed values: never renumbered */
        CHECK(strcmp(ffcgi_strerror(codes[i]), "unknown error") != 0);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(ffcgi_strerror(codes[i]), ffcgi_strerror(codes[j])) != 0);
    }
    CHECK_STR(ffcgi_strerror(-9999), "unknown error");
    CHECK_STR(ffcgi_strerror(1), "unknown error");
}

static void *fail_on_other_thread(void *arg)
{
    (void)arg;
    CHECK_STR(ffcgi_last_error(), ""); /* nothing failed on this thread yet */
    ffcgi_server *srv;
    CHECK_INT(ffcgi_server_open(&srv, "bogus", 0, -1), FFCGI_EADDRESS);
    CHECK_CONTAINS(ffcgi_last_error(), "'bogus'");
    return NULL;
}

static void last_error_is_per_thread(void)
{
    ffcgi_server *srv;
    CHECK_INT(ffcgi_server_open(&srv, "/nonexistent-dir/main.sock", 0, -1), FFCGI_ESOCKET);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, fail_on_other_thread, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_CONTAINS(ffcgi_last_error(), "/nonexistent-dir/main.sock");
    CHECK_CONTAINS(ffcgi_last_error(), "No such file or directory");
}

static void null_and_idle_handles(void)
{
    char buf[4];
    size_t n;
    const char *s, *v;
    CHECK_INT(ffcgi_request_new(NULL, NULL), FFCGI_EINVAL);
    CHECK_INT(ffcgi_accept(NULL), FFCGI_EINVAL);
    CHECK_INT(ffcgi_finish(NULL), FFCGI_EINVAL);
    CHECK_INT(ffcgi_read(NULL, buf, sizeof buf, &n), FFCGI_EINVAL);
    CHECK_INT(ffcgi_write(NULL, "x", 1), FFCGI_EINVAL);
    CHECK_INT(ffcgi_print(NULL, "x"), FFCGI_EINVAL);
    CHECK_INT(ffcgi_header(NULL, "A", "b"), FFCGI_EINVAL);
    CHECK_INT(ffcgi_status(NULL, 200), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_fd(NULL), FFCGI_EINVAL);
    CHECK_INT(ffcgi_server_is_cgi(NULL), FFCGI_EINVAL);
    CHECK_INT(ffcgi_request_role(NULL), FFCGI_EINVAL);
    CHECK(ffcgi_env_get(NULL, "A") == NULL);
    CHECK_INT(ffcgi_env_count(NULL), 0);
    ffcgi_server_free(NULL);
    ffcgi_request_free(NULL);
    ffcgi_server_shutdown(NULL);

    struct harness_app app;
    harness_start(&app, NULL, NULL, 1);
    ffcgi_request *req;
    CHECK_OK(ffcgi_request_new(&req, app.srv));
    CHECK_INT(ffcgi_read(req, buf, sizeof buf, &n), FFCGI_ESTATE);
    CHECK_CONTAINS(ffcgi_last_error(), "call ffcgi_accept first");
    CHECK_INT(ffcgi_read_data(req, buf, sizeof buf, &n), FFCGI_ESTATE);
    CHECK_INT(ffcgi_write(req, "x", 1), FFCGI_ESTATE);
    CHECK_INT(ffcgi_write_stderr(req, "x", 1), FFCGI_ESTATE);
    CHECK_INT(ffcgi_flush(req), FFCGI_ESTATE);
    CHECK_INT(ffcgi_header(req, "A", "b"), FFCGI_ESTATE);
    CHECK_INT(ffcgi_status(req, 200), FFCGI_ESTATE);
    CHECK_INT(ffcgi_set_exit_status(req, 1), FFCGI_ESTATE);
    CHECK_INT(ffcgi_request_role(req), FFCGI_ESTATE);
    CHECK_INT(ffcgi_request_id(req), FFCGI_ESTATE);
    CHECK_INT(ffcgi_request_keep_conn(req), FFCGI_ESTATE);
    CHECK_INT(ffcgi_env_at(req, 0, &s, &v), FFCGI_ESTATE);
    CHECK_INT(ffcgi_env_packed(req, &s, &n), FFCGI_ESTATE);
    CHECK_INT(ffcgi_env_count(req), 0);
    CHECK(ffcgi_env_get(req, "A") == NULL);
    CHECK_OK(ffcgi_finish(req)); /* nothing to finish */
    ffcgi_request_free(req);
    harness_stop(&app);
}

static void versions(void)
{
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", FFCGI_VERSION_MAJOR, FFCGI_VERSION_MINOR,
             FFCGI_VERSION_PATCH);
    CHECK_STR(ffcgi_version_string(), expect);
    CHECK_INT(ffcgi_version(), FFCGI_VERSION_MAJOR * 10000 + FFCGI_VERSION_MINOR * 100 +
                                   FFCGI_VERSION_PATCH);
    CHECK_INT(ffcgi_abi_version(), FFCGI_ABI_VERSION);
}

int main(void)
{
    codes_and_texts();
    last_error_is_per_thread();
    null_and_idle_handles();
    versions();
    puts("ok");
    return 0;
}
