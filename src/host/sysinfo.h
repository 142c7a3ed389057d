/* The context of a run: what machine, kernel, CPU, filesystem and build the numbers come
 * from. The only module that knows libcpuid. */
#ifndef MMBENCH_SYSINFO_H
#define MMBENCH_SYSINFO_H

#include "knobs.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A directory holding data files, and the storage under it. */
struct sysinfo_target {
    char dir[PATH_MAX]; /* as given in the config */
    char real_dir[PATH_MAX];
    char fs_type[32];
    char mount_point[PATH_MAX];
    char mount_source[256];
    char mount_options[512];            /* per-mount options, then superblock options */
    char block_device[64];              /* "vda", "loop3", or "" */
    char block_device_note[160];        /* why there is none */
    long read_ahead_kb;                 /* -1 when not applicable */
    int rotational;                     /* 1, 0, or -1 when unknown */
    char large_folios[KNOBS_VALUE_MAX]; /* the filesystem caches a large write() in large
                                           folios: "yes (512p 2.0 MiB in 1)", "no (...)" or
                                           "n/a (why)" (knobs_snapshot measures it) */
};

struct sysinfo_context {
    char version[64];    /* git describe of the build */
    char build_type[32]; /* meson buildtype */
    bool debug_build;    /* unoptimised or assertions on */
    char compiler[64];
    char date_utc[32]; /* ISO 8601 */
    char hostname[256];
    char kernel_release[128];
    char kernel_version[256];
    char machine[32];

    bool cpu_known; /* libcpuid could identify the CPU */
    char cpu_vendor[32];
    char cpu_brand[128];
    int cpu_family, cpu_model, cpu_stepping;
    int cpu_cores;   /* per package, from libcpuid */
    int cpu_logical; /* per package */
    int cpu_total_logical;
    int l1d_kib, l2_kib, l3_kib; /* -1 unknown */
    int cacheline_bytes;
    char hypervisor[32]; /* "none" when bare metal (or hidden) */
    bool cpu_invariant_tsc;
    char libcpuid_version[32];

    int online_cpus;
    uint64_t ram_bytes;
    long page_size_bytes;
    struct knobs_snapshot settings; /* every kernel setting mmbench knows, at start (before any
                                       workload set one); read_ahead_kb and large_folios
                                       are the targets' */
    char governor[64];              /* cpufreq governor of CPU 0, or "n/a (...)" */
    double loadavg_1m;
    char clocksource[32];
    bool tsc_invariant; /* the CPU and the kernel agree */
    char tsc_why_not[128];
    bool is_root;
    char cgroup_memory[8]; /* "v2", "v1" or "none" */

    struct sysinfo_target *targets;
    size_t n_targets;
};

/* Gathers everything except targets. Never fails: unknown fields say so. */
void sysinfo_collect(struct sysinfo_context *si);

/* Adds the storage of dir to si->targets unless already there. Returns its index or
 * -ENOMEM. */
int sysinfo_add_target(struct sysinfo_context *si, const char *dir);

/* The value of kernel setting key ("thp", "vm.dirty_ratio") at start, or "n/a". */
const char *sysinfo_setting(const struct sysinfo_context *si, const char *key);

/* The target of dir (added before). */
const struct sysinfo_target *sysinfo_target_of(const struct sysinfo_context *si, const char *dir);

void sysinfo_free(struct sysinfo_context *si);

/* Anonymous resident memory of this process (the harness's own, not file pages), KiB. */
long sysinfo_rss_anon_kib(void);

#endif
