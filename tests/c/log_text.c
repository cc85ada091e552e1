/* log_text.c — reading a log file the library writes (log_text.h). */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "log_text.h"

#define WAIT_LIMIT_MS 10000

char *log_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    char *text = calloc(1, 1 << 20);
    CHECK(text != NULL);
    size_t n = fread(text, 1, (1 << 20) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

int log_count_lines(const char *text)
{
    int n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

char *log_slurp_lines(const char *path, int lines)
{
    for (int waited_ms = 0;; waited_ms += 10) {
        char *text = log_slurp(path);
        if (log_count_lines(text) >= lines || waited_ms >= WAIT_LIMIT_MS)
            return text;
        free(text);
        usleep(10000);
    }
}

char *log_slurp_until(const char *path, const char *needle)
{
    for (int waited_ms = 0;; waited_ms += 10) {
        char *text = log_slurp(path);
        if (strstr(text, needle) || waited_ms >= WAIT_LIMIT_MS)
            return text;
        free(text);
        usleep(10000);
    }
}

void log_expect_line(const char *line, const char *pattern)
{
    regex_t re;
    CHECK_INT(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    if (regexec(&re, line, 0, NULL, 0) != 0) {
        fprintf(stderr, "line:    %s\npattern: %s\n", line, pattern);
        CHECK(!"the log line matches");
    }
    regfree(&re);
}
