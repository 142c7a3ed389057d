/* Kernel counters around a timed phase: /proc/vmstat, TLB shootdowns from
 * /proc/interrupts, and the traffic of the block device behind the data directory
 * (/sys/block/<disk>/stat). All are system-wide: other activity on the machine is
 * counted too, which the results say. Counters the kernel does not have are recorded
 * as unavailable, never as zero. Mainline Linux has no readahead counter in /proc/vmstat:
 * readahead shows as device bytes read per byte the workload read. */
#ifndef MMBENCH_KCOUNTERS_H
#define MMBENCH_KCOUNTERS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

enum kcounter {
    KC_PGFAULT,        /* page faults, all kinds */
    KC_PGMAJFAULT,     /* faults that needed I/O */
    KC_PGPGIN_KIB,     /* KiB paged in from block devices */
    KC_PGPGOUT_KIB,    /* KiB paged out */
    KC_REFAULT_FILE,   /* file pages faulted back in after eviction (workingset_refault) */
    KC_NR_DIRTIED,     /* pages dirtied */
    KC_NR_WRITTEN,     /* pages written back */
    KC_TLB_SHOOTDOWNS, /* TLB shootdown interrupts, summed over CPUs */
    KC_DEV_READ_IOS,   /* completed reads on the device */
    KC_DEV_READ_BYTES,
    KC_DEV_WRITE_IOS,
    KC_DEV_WRITE_BYTES,
    KC_COUNT,
};

struct kcounters_snapshot {
    uint64_t value[KC_COUNT];
    bool have[KC_COUNT];
};

/* Where the counters for one data directory come from. */
struct kcounters_source {
    char disk[64];            /* "vda", "loop3", or "" */
    char stat_path[PATH_MAX]; /* /sys/block/<disk>/stat, or "" */
    char why_no_disk[160];    /* when disk is "": tmpfs, unknown device, ... */
};

/* Resolves the block device behind path (a directory or file on a filesystem, or a block
 * device read directly): partitions to their disk, loop devices to the loop device,
 * filesystems without a device of their own (btrfs, overlay) through the mount source
 * in /proc/self/mountinfo; no device (tmpfs) gives an empty disk. */
void kcounters_source_init(struct kcounters_source *src, const char *path);

void kcounters_read(const struct kcounters_source *src, struct kcounters_snapshot *s);

/* Only the cheap counters, for a time series: the device's traffic and TLB shootdowns (not
 * /proc/vmstat). */
void kcounters_read_quick(const struct kcounters_source *src, struct kcounters_snapshot *s);

#endif
