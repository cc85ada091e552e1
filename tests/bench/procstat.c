/* procstat.c — see procstat.h. */
#include "procstat.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct proc_entry {
    pid_t pid, ppid;
    long long cpu_ticks;
    int in_tree;
};

/* Reads ppid and utime+stime+cutime+cstime from /proc/PID/stat. The command
 * name may hold spaces and parentheses, so fields are counted from the last
 * ')'. Returns 0 or -1. */
static int read_stat(pid_t pid, pid_t *ppid, long long *cpu_ticks)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    /* fields 3.. after ')': state ppid pgrp session tty tpgid flags minflt
     * cminflt majflt cmajflt utime stime cutime cstime */
    long long ppid_v, utime, stime, cutime, cstime;
    if (sscanf(p + 1, " %*c %lld %*s %*s %*s %*s %*s %*s %*s %*s %*s %lld %lld %lld %lld",
               &ppid_v, &utime, &stime, &cutime, &cstime) != 5)
        return -1;
    *ppid = (pid_t)ppid_v;
    *cpu_ticks = utime + stime + cutime + cstime;
    return 0;
}

/* The value of the "key:" line of a /proc file in kB, or 0. */
static long long read_kb(pid_t pid, const char *file, const char *key)
{
    char path[64], line[256];
    size_t key_len = strlen(key);
    long long kb = 0;
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, key_len) == 0 && line[key_len] == ':') {
            kb = atoll(line + key_len + 1);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* Every process on the machine; *count set. NULL on failure. */
static struct proc_entry *list_processes(size_t *count)
{
    DIR *dir = opendir("/proc");
    if (!dir)
        return NULL;
    size_t n = 0, cap = 512;
    struct proc_entry *list = malloc(cap * sizeof *list);
    struct dirent *de;
    while (list && (de = readdir(dir)) != NULL) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        if (n == cap) {
            struct proc_entry *grown = realloc(list, 2 * cap * sizeof *list);
            if (!grown) {
                free(list);
                list = NULL;
                break;
            }
            list = grown;
            cap *= 2;
        }
        struct proc_entry *e = &list[n];
        e->pid = (pid_t)atoi(de->d_name);
        e->in_tree = 0;
        if (read_stat(e->pid, &e->ppid, &e->cpu_ticks) == 0)
            n++;
    }
    closedir(dir);
    *count = n;
    return list;
}

/* Marks root and its descendants; returns how many are marked. */
static int mark_tree(struct proc_entry *list, size_t n, pid_t root)
{
    int marked = 0;
    for (size_t i = 0; i < n; i++)
        if (list[i].pid == root) {
            list[i].in_tree = 1;
            marked = 1;
        }
    /* Each pass marks the children of marked processes: at most n passes. */
    for (int changed = marked; changed;) {
        changed = 0;
        for (size_t i = 0; i < n; i++) {
            if (list[i].in_tree)
                continue;
            for (size_t j = 0; j < n; j++) {
                if (list[j].in_tree && list[j].pid == list[i].ppid) {
                    list[i].in_tree = 1;
                    marked++;
                    changed = 1;
                    break;
                }
            }
        }
    }
    return marked;
}

int tree_usage_read(pid_t root, int with_memory, struct tree_usage *out)
{
    memset(out, 0, sizeof *out);
    size_t n;
    struct proc_entry *list = list_processes(&n);
    if (!list)
        return -1;
    out->procs = mark_tree(list, n, root);
    for (size_t i = 0; i < n; i++) {
        if (!list[i].in_tree)
            continue;
        out->cpu_ticks += list[i].cpu_ticks;
        if (with_memory) {
            out->rss_kb += read_kb(list[i].pid, "status", "VmRSS");
            out->hwm_kb += read_kb(list[i].pid, "status", "VmHWM");
            out->pss_kb += read_kb(list[i].pid, "smaps_rollup", "Pss");
        }
    }
    free(list);
    return out->procs ? 0 : -1;
}

int machine_usage_read(struct machine_usage *out)
{
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return -1;
    long long user, nice, system, idle, iowait, irq, softirq, steal;
    int got = fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &user, &nice,
                     &system, &idle, &iowait, &irq, &softirq, &steal);
    fclose(f);
    if (got != 8)
        return -1;
    out->busy_ticks = user + nice + system + irq + softirq;
    out->steal_ticks = steal;
    return 0;
}

long long self_cpu_ticks(void)
{
    pid_t ppid;
    long long ticks;
    return read_stat(getpid(), &ppid, &ticks) == 0 ? ticks : 0;
}
