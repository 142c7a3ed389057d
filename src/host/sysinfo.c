#include "sysinfo.h"

#include "build_info.h"
#include "cache.h"
#include "kcounters.h"
#include "mountinfo.h"

#include <errno.h>
#include <libcpuid/libcpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

/* Reads the first line of a file, without its newline. Returns 0 or -1. */
static int read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int ret = fgets(buf, (int)len, f) ? 0 : -1;
    fclose(f);
    if (ret == 0)
        buf[strcspn(buf, "\n")] = '\0';
    return ret;
}

static bool file_contains_word(const char *path, const char *word)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    char token[256];
    bool found = false;
    while (!found && fscanf(f, "%255s", token) == 1)
        found = strcmp(token, word) == 0;
    fclose(f);
    return found;
}

static void quiet_warning(const char *msg)
{
    (void)msg; /* libcpuid's warnings would clutter stderr; unknown fields say so */
}

static void collect_cpu(struct sysinfo_context *si)
{
    static const char *const hypervisors[] = {
        [HYPERVISOR_NONE] = "none",
        [HYPERVISOR_BHYVE] = "bhyve",
        [HYPERVISOR_HYPERV] = "hyper-v",
        [HYPERVISOR_KVM] = "kvm",
        [HYPERVISOR_PARALLELS] = "parallels",
        [HYPERVISOR_QEMU] = "qemu",
        [HYPERVISOR_VIRTUALBOX] = "virtualbox",
        [HYPERVISOR_VMWARE] = "vmware",
        [HYPERVISOR_XEN] = "xen",
    };
    snprintf(si->libcpuid_version, sizeof(si->libcpuid_version), "%s", cpuid_lib_version());
    snprintf(si->hypervisor, sizeof(si->hypervisor), "unknown");
    si->l1d_kib = si->l2_kib = si->l3_kib = si->cacheline_bytes = -1;
    cpuid_set_warn_function(quiet_warning);
    struct cpu_raw_data_t raw;
    struct cpu_id_t id;
    if (!cpuid_present() || cpuid_get_raw_data(&raw) < 0 || cpu_identify(&raw, &id) < 0) {
        snprintf(si->cpu_brand, sizeof(si->cpu_brand), "unknown (libcpuid: %s)", cpuid_error());
        return;
    }
    si->cpu_known = true;
    snprintf(si->cpu_vendor, sizeof(si->cpu_vendor), "%s", id.vendor_str);
    snprintf(si->cpu_brand, sizeof(si->cpu_brand), "%s", id.brand_str);
    si->cpu_family = id.ext_family;
    si->cpu_model = id.ext_model;
    si->cpu_stepping = id.stepping;
    si->cpu_cores = id.num_cores;
    si->cpu_logical = id.num_logical_cpus;
    si->cpu_total_logical = id.total_logical_cpus;
    si->l1d_kib = id.l1_data_cache;
    si->l2_kib = id.l2_cache;
    si->l3_kib = id.l3_cache;
    si->cacheline_bytes = id.l1_data_cacheline;
    si->cpu_invariant_tsc = id.flags[CPU_FEATURE_CONSTANT_TSC] != 0;
    hypervisor_vendor_t hv = cpuid_get_hypervisor(&raw, &id);
    if (hv >= 0 && (size_t)hv < sizeof(hypervisors) / sizeof(hypervisors[0]) && hypervisors[hv])
        snprintf(si->hypervisor, sizeof(si->hypervisor), "%s", hypervisors[hv]);
    else if (id.flags[CPU_FEATURE_HYPERVISOR])
        snprintf(si->hypervisor, sizeof(si->hypervisor), "unknown hypervisor");
    else
        snprintf(si->hypervisor, sizeof(si->hypervisor), "none");
}

static void collect_tsc_verdict(struct sysinfo_context *si)
{
    /* The CPU says invariant; the kernel must also trust it: it drops "tsc" from the
     * available clocksources once it finds it unstable. */
    bool kernel_flags = file_contains_word("/proc/cpuinfo", "nonstop_tsc") &&
                        file_contains_word("/proc/cpuinfo", "constant_tsc");
    bool kernel_clocksource = file_contains_word(
        "/sys/devices/system/clocksource/clocksource0/available_clocksource", "tsc");
    si->tsc_invariant = si->cpu_invariant_tsc && kernel_flags && kernel_clocksource;
    if (!si->cpu_invariant_tsc)
        snprintf(si->tsc_why_not, sizeof(si->tsc_why_not), "libcpuid reports no invariant TSC");
    else if (!kernel_flags)
        snprintf(si->tsc_why_not, sizeof(si->tsc_why_not),
                 "the kernel does not list constant_tsc and nonstop_tsc");
    else if (!kernel_clocksource)
        snprintf(si->tsc_why_not, sizeof(si->tsc_why_not),
                 "the kernel does not offer tsc as a clocksource (found unstable?)");
}

void sysinfo_collect(struct sysinfo_context *si)
{
    memset(si, 0, sizeof(*si));
    snprintf(si->version, sizeof(si->version), "%s", MMBENCH_VERSION);
    snprintf(si->build_type, sizeof(si->build_type), "%s", MMBENCH_BUILDTYPE);
#if defined(__OPTIMIZE__) && defined(NDEBUG)
    si->debug_build = strcmp(MMBENCH_BUILDTYPE, "debug") == 0;
#else
    si->debug_build = true;
#endif
#if defined(__clang__)
    snprintf(si->compiler, sizeof(si->compiler), "clang %s", __clang_version__);
#elif defined(__GNUC__)
    snprintf(si->compiler, sizeof(si->compiler), "gcc %s", __VERSION__);
#endif
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(si->date_utc, sizeof(si->date_utc), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (gethostname(si->hostname, sizeof(si->hostname) - 1) < 0)
        snprintf(si->hostname, sizeof(si->hostname), "unknown");
    struct utsname un;
    if (uname(&un) == 0) {
        snprintf(si->kernel_release, sizeof(si->kernel_release), "%s", un.release);
        snprintf(si->kernel_version, sizeof(si->kernel_version), "%s", un.version);
        snprintf(si->machine, sizeof(si->machine), "%s", un.machine);
    }
    collect_cpu(si);
    collect_tsc_verdict(si);
    si->online_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    si->page_size_bytes = sysconf(_SC_PAGESIZE);
    struct sysinfo kernel_info;
    if (sysinfo(&kernel_info) == 0) {
        si->ram_bytes = (uint64_t)kernel_info.totalram * kernel_info.mem_unit;
        si->loadavg_1m = (double)kernel_info.loads[0] / (double)(1 << SI_LOAD_SHIFT);
    }
    knobs_snapshot(NULL, &si->settings); /* the targets add what depends on a directory */
    if (read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", si->governor,
                  sizeof(si->governor)) < 0)
        snprintf(si->governor, sizeof(si->governor), "n/a (no cpufreq driver)");
    if (read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                  si->clocksource, sizeof(si->clocksource)) < 0)
        snprintf(si->clocksource, sizeof(si->clocksource), "unknown");
    si->is_root = geteuid() == 0;
    const char *cg = cache_cgroup_version();
    snprintf(si->cgroup_memory, sizeof(si->cgroup_memory), "%s", cg ? cg : "none");
}

/* The filesystem type from statfs's magic number, for when mountinfo cannot say. */
static void fs_type_from_statfs(const char *path, char *out, size_t len)
{
    static const struct {
        unsigned long magic;
        const char *name;
    } types[] = {
        {0xEF53, "ext2/3/4"},  {0x58465342, "xfs"},  {0x9123683E, "btrfs"},
        {0x01021994, "tmpfs"}, {0x6969, "nfs"},      {0x794c7630, "overlay"},
        {0x2FC12FC1, "zfs"},   {0xF2F52010, "f2fs"}, {0x65735546, "fuse"},
    };
    struct statfs fs;
    if (statfs(path, &fs) < 0)
        return;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if ((unsigned long)fs.f_type == types[i].magic) {
            snprintf(out, len, "%s", types[i].name);
            return;
        }
    }
    snprintf(out, len, "unknown (magic %#lx)", (unsigned long)fs.f_type);
}

int sysinfo_add_target(struct sysinfo_context *si, const char *dir)
{
    for (size_t i = 0; i < si->n_targets; i++)
        if (strcmp(si->targets[i].dir, dir) == 0)
            return (int)i;
    struct sysinfo_target *grown = realloc(si->targets, (si->n_targets + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    si->targets = grown;
    struct sysinfo_target *t = &si->targets[si->n_targets];
    memset(t, 0, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "%s", dir);
    if (!realpath(dir, t->real_dir))
        snprintf(t->real_dir, sizeof(t->real_dir), "%s", dir);
    t->read_ahead_kb = -1;
    t->rotational = -1;
    snprintf(t->fs_type, sizeof(t->fs_type), "unknown");
    struct stat st;
    struct mountinfo_entry m;
    if (stat(t->real_dir, &st) == 0 && mountinfo_find(t->real_dir, st.st_dev, &m) == 0) {
        snprintf(t->mount_point, sizeof(t->mount_point), "%s", m.mount_point);
        snprintf(t->fs_type, sizeof(t->fs_type), "%s", m.fs_type);
        snprintf(t->mount_source, sizeof(t->mount_source), "%s", m.source);
        snprintf(t->mount_options, sizeof(t->mount_options), "%s", m.options);
    } else {
        /* No visible mount (a chroot hides them): the filesystem still tells its type. */
        fs_type_from_statfs(t->real_dir, t->fs_type, sizeof(t->fs_type));
    }

    struct kcounters_source src;
    kcounters_source_init(&src, t->real_dir);
    snprintf(t->block_device, sizeof(t->block_device), "%s", src.disk);
    snprintf(t->block_device_note, sizeof(t->block_device_note), "%s", src.why_no_disk);
    char path[PATH_MAX], value[64];
    /* The readahead the filesystem really uses is its bdi's; fall back to the disk's. */
    snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb", major(st.st_dev),
             minor(st.st_dev));
    if (read_line(path, value, sizeof(value)) == 0 ||
        (src.disk[0] &&
         (snprintf(path, sizeof(path), "/sys/block/%s/queue/read_ahead_kb", src.disk),
          read_line(path, value, sizeof(value)) == 0)))
        t->read_ahead_kb = strtol(value, NULL, 10);
    if (src.disk[0]) {
        snprintf(path, sizeof(path), "/sys/block/%s/queue/rotational", src.disk);
        if (read_line(path, value, sizeof(value)) == 0)
            t->rotational = (int)strtol(value, NULL, 10);
    }
    /* The settings that depend on the directory: its disk's readahead (read above, from
     * the filesystem's own bdi) and whether its filesystem caches in large folios. */
    struct knobs_snapshot *snap = malloc(sizeof(*snap));
    snprintf(t->large_folios, sizeof(t->large_folios), "n/a (out of memory)");
    if (snap) {
        knobs_snapshot(t->real_dir, snap);
        for (size_t i = 0; i < snap->n; i++)
            if (strcmp(snap->s[i].key, "large_folios") == 0)
                snprintf(t->large_folios, sizeof(t->large_folios), "%s", snap->s[i].value);
        free(snap);
    }
    return (int)si->n_targets++;
}

const char *sysinfo_setting(const struct sysinfo_context *si, const char *key)
{
    for (size_t i = 0; i < si->settings.n; i++)
        if (strcmp(si->settings.s[i].key, key) == 0)
            return si->settings.s[i].value;
    return "n/a";
}

const struct sysinfo_target *sysinfo_target_of(const struct sysinfo_context *si, const char *dir)
{
    for (size_t i = 0; i < si->n_targets; i++)
        if (strcmp(si->targets[i].dir, dir) == 0)
            return &si->targets[i];
    return NULL;
}

void sysinfo_free(struct sysinfo_context *si)
{
    free(si->targets);
    si->targets = NULL;
    si->n_targets = 0;
}

long sysinfo_rss_anon_kib(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}
