/* test_abort.c — a body that does not end normally is reported to the app
 * with a distinct code after the bytes that did arrive: FFCGI_EABORTED
 * when the web server sends FCGI_ABORT_REQUEST (and it still gets its
 * FCGI_END_REQUEST), FFCGI_EDISCONNECTED when it closes the connection
 * mid-body. The app keeps serving. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

struct seen {
    pthread_mutex_t lock;
    size_t bytes;
    int result;
};

static void read_all(ffcgi_request *req, void *ctx)
{
    struct seen *s = ctx;
    char buf[100];
    size_t n, total = 0;
    int rc;
    while ((rc = ffcgi_read(req, buf, sizeof buf, &n)) == 0 && n > 0)
        total += n;
    pthread_mutex_lock(&s->lock);
    s->bytes = total;
    s->result = rc;
    pthread_mutex_unlock(&s->lock);
    ffcgi_print(req, "read");
}

static int start_body(struct harness_app *app)
{
    fcc_buf b = FCC_BUF_INIT;
    unsigned char begin[8] = {0, FCC_RESPONDER, 0};
    fcc_put_record(&b, FCC_BEGIN_REQUEST, 1, begin, sizeof begin, 0);
    fcc_param p = fcc_str_param("REQUEST_METHOD", "POST");
    fcc_buf nv = FCC_BUF_INIT;
    fcc_encode_params(&nv, &p, 1);
    fcc_put_stream(&b, FCC_PARAMS, 1, nv.data, nv.len, 0);
    fcc_put_record(&b, FCC_STDIN, 1, "0123456789", 10, 0);
    int fd = harness_connect(app);
    CHECK_OK(fcc_write_all(fd, b.data, b.len));
    fcc_buf_free(&b);
    fcc_buf_free(&nv);
    return fd;
}

static void expect_seen(struct seen *s, size_t bytes, int result)
{
    for (int waited = 0; waited < 5000; waited += 10) {
        pthread_mutex_lock(&s->lock);
        int done = s->result != 1;
        pthread_mutex_unlock(&s->lock);
        if (done)
            break;
        usleep(10000);
    }
    pthread_mutex_lock(&s->lock);
    CHECK_INT(s->bytes, bytes);
    CHECK_INT(s->result, result);
    s->result = 1;
    pthread_mutex_unlock(&s->lock);
}

int main(void)
{
    struct seen s = {PTHREAD_MUTEX_INITIALIZER, 0, 1};
    struct harness_app app;
    harness_start(&app, read_all, &s, 1);

    int fd = start_body(&app);
    fcc_buf abort_rec = FCC_BUF_INIT;
    fcc_put_record(&abort_rec, FCC_ABORT_REQUEST, 1, NULL, 0, 0);
    CHECK_OK(fcc_write_all(fd, abort_rec.data, abort_rec.len));
    fcc_buf_free(&abort_rec);
    fcc_response resp;
    fcc_response_init(&resp);
    CHECK_OK(fcc_read_response(fd, 1, &resp, HARNESS_TIMEOUT_MS));
    CHECK(resp.got_end);
    fcc_response_free(&resp);
    close(fd);
    expect_seen(&s, 10, FFCGI_EABORTED);

    fd = start_body(&app);
    close(fd);
    expect_seen(&s, 10, FFCGI_EDISCONNECTED);

    fcc_request r = {.id = 1, .role = FCC_RESPONDER, .stdin_data = "xyz", .stdin_len = 3};
    harness_expect_stdout(&app, &r, "read");
    expect_seen(&s, 3, 0);
    harness_stop(&app);
    puts("ok");
    return 0;
}
