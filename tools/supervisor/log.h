/* log.h — the supervisor's log: one line per event on stderr. */
#ifndef SUP_LOG_H
#define SUP_LOG_H

/* sup_log(): writes "TIMESTAMP ffcgi-supervisor[PID]: MESSAGE\n" to stderr
 * with a single write(), so lines from the supervisor and its workers (which
 * share stderr) never interleave mid-line. TIMESTAMP is local time, ISO 8601
 * with milliseconds and the UTC offset (2025-01-31T12:00:00.123+0100).
 * Messages longer than about 1000 bytes are cut. */
void sup_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* sup_describe_status(): why a process ended, from a waitpid() status:
 * "exited with status N" or "killed by signal N (SIGNAME)"; written into buf
 * (cap bytes, NUL-terminated), which is returned. */
const char *sup_describe_status(char *buf, unsigned cap, int status);

#endif
