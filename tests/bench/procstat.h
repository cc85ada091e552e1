/* procstat.h — CPU time and memory of a process tree and of the machine,
 * read from /proc, for the load generator (loadgen.c).
 *
 * CPU times are in clock ticks (sysconf(_SC_CLK_TCK), 100 on Linux): that is
 * the unit of /proc/PID/stat and /proc/stat, so all three figures below can
 * be subtracted from one another. */
#ifndef BENCH_PROCSTAT_H
#define BENCH_PROCSTAT_H

#include <sys/types.h>

struct tree_usage {
    long long cpu_ticks; /* utime+stime+cutime+cstime of root and every
                            living descendant (threads are in their process) */
    long long rss_kb;    /* VmRSS summed over the tree (shared pages counted
                            once per process) */
    long long pss_kb;    /* Pss summed over the tree (shared pages divided
                            among their sharers); 0 if smaps_rollup is absent */
    long long hwm_kb;    /* VmHWM (peak RSS) summed over the tree */
    int procs;           /* processes in the tree; 0: root is gone */
};

/* Samples the tree rooted at root. with_memory: also read rss_kb, pss_kb and hwm_kb
 * (slower: one more file per process). Returns 0, or -1 if root is gone. */
int tree_usage_read(pid_t root, int with_memory, struct tree_usage *out);

struct machine_usage {
    long long busy_ticks;  /* user+nice+system+irq+softirq over all CPUs */
    long long steal_ticks; /* time the hypervisor gave to someone else */
};

/* Samples the first line of /proc/stat. Returns 0 or -1. */
int machine_usage_read(struct machine_usage *out);

/* This process's own utime+stime (all threads), in clock ticks. */
long long self_cpu_ticks(void);

#endif
