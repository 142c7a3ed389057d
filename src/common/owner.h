/* Owners: the process that made something (a work directory, a memory cgroup), recorded
 * so that a later run can tell whether that process still runs, and clean up after one
 * that was killed. A pid alone cannot say so (pids are reused), so an owner is the pid,
 * the process's start time and the boot it ran in: a live process with the same pid but
 * another start time is not the owner. */
#ifndef MMBENCH_OWNER_H
#define MMBENCH_OWNER_H

#include <stddef.h>
#include <sys/types.h>

#define OWNER_BOOT_ID_LEN 36 /* a UUID, as /proc/sys/kernel/random/boot_id gives it */
#define OWNER_TEXT_MAX    96 /* owner_format's longest text, with its NUL */

struct owner {
    pid_t pid;
    unsigned long long start_ticks;      /* /proc/PID/stat field 22: clock ticks after boot */
    char boot_id[OWNER_BOOT_ID_LEN + 1]; /* "" when unknown (then: this boot) */
};

enum owner_state {
    OWNER_ALIVE,   /* that very process still runs */
    OWNER_DEAD,    /* no process has that pid and start time (in this boot): it is gone */
    OWNER_UNKNOWN, /* /proc could not say */
};

/* The owner of the calling process. Returns 0 or -errno. */
int owner_self(struct owner *o);

/* "pid=1234 start=5678 boot=<uuid>" (boot left out when unknown). */
void owner_format(const struct owner *o, char *buf, size_t len);

/* Parses owner_format's text (surrounding text, e.g. a label before it, is not allowed;
 * boot is optional). Returns 0 or -EINVAL. */
int owner_parse(const char *text, struct owner *o);

/* Whether o still runs: a pid whose /proc/PID/stat shows another start time (a reused
 * pid), a zombie, or an owner of another boot is dead. */
enum owner_state owner_state(const struct owner *o);

#endif
