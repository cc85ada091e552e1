/* board.h — the scoreboard the workers share (src/scoreboard.h): made by
 * the supervisor before the first worker, handed to each as fd 3 with
 * FFCGI_SCOREBOARD=3, so the status page any worker answers shows them
 * all. Two regions per slot: a worker and its replacement during a
 * rolling restart. The library claims a region; the supervisor frees the
 * region of each worker it reaps (the worker may have been killed). */
#ifndef SUP_BOARD_H
#define SUP_BOARD_H

#include <sys/types.h>

#define SUP_BOARD_FD 3 /* the board's descriptor in a worker */

/* sup_board_create(): a board for `workers` slots. Returns its descriptor
 * (close-on-exec; mapped here as well), or -errno. */
int sup_board_create(int workers);
/* sup_board_reaped(): frees the region of a worker that ended. Returns
 * the requests it served, or -1 if it had no region (not an ffcgi app, or
 * it ended before taking one). */
long long sup_board_reaped(pid_t pid);

#endif
