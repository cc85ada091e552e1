/* spawn.h — starting one worker: the app with the listening socket on fd 0,
 * as spawn-fcgi and mod_fcgid hand it over. */
#ifndef SUP_SPAWN_H
#define SUP_SPAWN_H

#include <sys/types.h>

/* sup_spawn(): forks and execs argv[0] (searched in PATH like execvp) with
 * argv. In the worker:
 *   - fd 0 is `listen_fd` (which must be > 2), close-on-exec off; fds 1 and
 *     2 are the supervisor's stdout and stderr; fd 3 is `board_fd`, the
 *     scoreboard (board.h), named by FFCGI_SCOREBOARD=3 (with board_fd -1:
 *     neither); every other descriptor is closed;
 *   - the signal mask is empty; SIGTERM is sent to it if the supervisor
 *     dies (PR_SET_PDEATHSIG), so workers never outlive their supervisor;
 *   - the environment is the supervisor's.
 * Returns the pid once the exec has succeeded (the child reports a failed
 * exec through a close-on-exec pipe, so a missing or non-executable APP is
 * known here, not only as an exit status later); or -errno when fork() or
 * the exec failed (the failed child is reaped here). */
pid_t sup_spawn(char *const argv[], int listen_fd, int board_fd);

#endif
