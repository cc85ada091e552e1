/* board.c — see board.h. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "board.h"
/* the layout the library defines; the supervisor makes the board */
#include "../../src/scoreboard.h"

static struct ffc_board_header *board;

int sup_board_create(int workers)
{
    uint32_t processes = 2u * (uint32_t)workers;
    size_t size = ffc_board_size(processes);
    int fd = memfd_create("ffcgi-scoreboard", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    /* the pages stay unallocated until a worker touches its region */
    void *at = ftruncate(fd, (off_t)size) == 0
                   ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                   : MAP_FAILED;
    if (at == MAP_FAILED) {
        int err = errno;
        close(fd);
        return -err;
    }
    struct timeval tv;
    gettimeofday(&tv, NULL);
    board = at;
    *board = (struct ffc_board_header){FFC_BOARD_MAGIC, FFC_BOARD_VERSION, processes,
                                       FFC_BOARD_WORKERS,
                                       (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000};
    return fd;
}

long long sup_board_reaped(pid_t pid)
{
    for (uint32_t i = 0; board && i < board->processes; i++) {
        struct ffc_board_process *r = ffc_board_region(board, i);
        if (atomic_load(&r->pid) != (int)pid)
            continue;
        long long served = atomic_load(&r->counts[FFC_COUNT_REQUESTS]);
        int owner = (int)pid;
        if (atomic_compare_exchange_strong(&r->pid, &owner, 0))
            return served;
    }
    return -1;
}
