/* log_file.h — a log's file: a path opened for appending, reopened in
 * place for rotation (log_file.c). The access log and the error log are
 * each one.
 *
 * Threads: `fd` is read by any thread writing a line; ffc_log_file_reopen()
 * replaces the open file under the same descriptor number (dup3), so a
 * writer never sees a closed descriptor. Set and close only while no
 * thread serves. */
#ifndef FFCGI_LOG_FILE_H
#define FFCGI_LOG_FILE_H

struct ffc_log_file {
    int fd;       /* -1: no log */
    char *path;   /* "-": the standard stream (std_fd), never reopened */
    int std_fd;   /* STDOUT_FILENO or STDERR_FILENO */
};

/* No log yet; "-" will mean std_fd. */
void ffc_log_file_init(struct ffc_log_file *f, int std_fd);
/* Opens `path` (NULL: no log), replacing the previous one. `what` names
 * the log in the error detail. Returns 0, FFCGI_ENOMEM or FFCGI_EFILE. */
int ffc_log_file_set(struct ffc_log_file *f, const char *path, const char *what);
/* Opens the path again (after a rotation renamed it). Returns 0 or FFCGI_EFILE. */
int ffc_log_file_reopen(struct ffc_log_file *f, const char *what);
/* Writes one whole line with one write(); a failure loses that line only. */
void ffc_log_file_write(const struct ffc_log_file *f, const char *line, size_t len);
void ffc_log_file_close(struct ffc_log_file *f);

#endif
