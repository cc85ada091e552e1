/* log_file.c — the files of the access and error logs (log_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "log_file.h"

void ffc_log_file_init(struct ffc_log_file *f, int std_fd)
{
    f->fd = -1;
    f->path = NULL;
    f->std_fd = std_fd;
}

static int open_path(const struct ffc_log_file *f, const char *path)
{
    if (strcmp(path, "-") == 0)
        return fcntl(f->std_fd, F_DUPFD_CLOEXEC, 0);
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

int ffc_log_file_set(struct ffc_log_file *f, const char *path, const char *what)
{
    char *copy = NULL;
    int fd = -1;
    if (path) {
        if (!(copy = strdup(path)))
            return ffc_fail(FFCGI_ENOMEM, "cannot copy the %s's path", what);
        if ((fd = open_path(f, path)) < 0) {
            int err = errno;
            free(copy);
            return ffc_fail_errno(FFCGI_EFILE, err, "cannot open the %s '%s'", what, path);
        }
    }
    ffc_log_file_close(f);
    f->fd = fd;
    f->path = copy;
    return 0;
}

int ffc_log_file_reopen(struct ffc_log_file *f, const char *what)
{
    if (f->fd < 0 || strcmp(f->path, "-") == 0)
        return 0;
    int fd = open_path(f, f->path);
    if (fd < 0)
        return ffc_fail_errno(FFCGI_EFILE, errno, "cannot reopen the %s '%s'", what, f->path);
    int rc = dup3(fd, f->fd, O_CLOEXEC);
    int err = errno;
    close(fd);
    if (rc < 0)
        return ffc_fail_errno(FFCGI_EFILE, err, "cannot reopen the %s '%s'", what, f->path);
    return 0;
}

void ffc_log_file_write(const struct ffc_log_file *f, const char *line, size_t len)
{
    if (f->fd < 0)
        return;
    /* O_APPEND places the whole line at the end: lines of threads and of
     * processes sharing the file never interleave */
    ssize_t ignored = write(f->fd, line, len);
    (void)ignored;
}

void ffc_log_file_close(struct ffc_log_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    free(f->path);
    f->fd = -1;
    f->path = NULL;
}
