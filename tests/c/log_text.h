/* log_text.h — reading a log file the library writes, for the log tests.
 * A line is written after its answer was sent, so a test waits for it. */
#ifndef TESTS_LOG_TEXT_H
#define TESTS_LOG_TEXT_H

/* The file's text (malloc'd, NUL-terminated; at most 1 MiB). */
char *log_slurp(const char *path);
int log_count_lines(const char *text);
/* The file's text once it has at least `lines` lines (or after 10 s). */
char *log_slurp_lines(const char *path, int lines);
/* The file's text once it contains `needle` (or after 10 s). */
char *log_slurp_until(const char *path, const char *needle);
/* Fails the test unless `line` matches the extended regex `pattern`. */
void log_expect_line(const char *line, const char *pattern);

#endif
