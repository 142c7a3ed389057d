#include "kcounters.h"

#include "mountinfo.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define SECTOR_BYTES 512 /* /sys/block/.../stat counts 512-byte sectors, whatever the device */

/* /proc/vmstat names, with older names tried second. */
static const struct {
    enum kcounter id;
    const char *name;
} vmstat_keys[] = {
    {KC_PGFAULT, "pgfault"},
    {KC_PGMAJFAULT, "pgmajfault"},
    {KC_PGPGIN_KIB, "pgpgin"},
    {KC_PGPGOUT_KIB, "pgpgout"},
    {KC_REFAULT_FILE, "workingset_refault_file"},
    {KC_REFAULT_FILE, "workingset_refault"}, /* before Linux 5.9 */
    {KC_NR_DIRTIED, "nr_dirtied"},
    {KC_NR_WRITTEN, "nr_written"},
};

/* Finds the whole disk for block device dev: "vda" for vda1, itself for a disk or loop. */
static int disk_of(dev_t dev, char *disk, size_t len)
{
    char link[PATH_MAX], target[PATH_MAX];
    snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(dev), minor(dev));
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
        return -1;
    target[n] = '\0';
    char partition[PATH_MAX + 16];
    snprintf(partition, sizeof(partition), "%s/partition", link);
    if (access(partition, F_OK) == 0) {
        char *slash = strrchr(target, '/'); /* .../vda/vda1 -> .../vda */
        if (slash)
            *slash = '\0';
    }
    const char *base = strrchr(target, '/');
    snprintf(disk, len, "%s", base ? base + 1 : target);
    return 0;
}

void kcounters_source_init(struct kcounters_source *src, const char *dir)
{
    memset(src, 0, sizeof(*src));
    struct stat st;
    if (stat(dir, &st) < 0) {
        snprintf(src->why_no_disk, sizeof(src->why_no_disk), "cannot stat %s", dir);
        return;
    }
    dev_t dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev; /* a device read directly */
    if (major(dev) == 0) {
        /* No device of its own (btrfs, overlay, tmpfs): look at the mount's source. */
        char real[PATH_MAX];
        struct mountinfo_entry m;
        struct stat sst;
        bool have_mount = realpath(dir, real) && mountinfo_find(real, dev, &m) == 0;
        if (!have_mount || stat(m.source, &sst) < 0 || !S_ISBLK(sst.st_mode)) {
            snprintf(src->why_no_disk, sizeof(src->why_no_disk),
                     "n/a: %s has no block device (filesystem %s)", dir,
                     have_mount ? m.fs_type : "unknown");
            return;
        }
        dev = sst.st_rdev;
    }
    if (disk_of(dev, src->disk, sizeof(src->disk)) < 0) {
        snprintf(src->why_no_disk, sizeof(src->why_no_disk),
                 "n/a: no /sys/dev/block entry for device %u:%u", major(dev), minor(dev));
        src->disk[0] = '\0';
        return;
    }
    snprintf(src->stat_path, sizeof(src->stat_path), "/sys/block/%s/stat", src->disk);
    if (access(src->stat_path, R_OK) < 0) {
        snprintf(src->why_no_disk, sizeof(src->why_no_disk), "n/a: %s not readable",
                 src->stat_path);
        src->stat_path[0] = '\0';
    }
}

static void read_vmstat(struct kcounters_snapshot *s)
{
    FILE *f = fopen("/proc/vmstat", "re");
    if (!f)
        return;
    char name[64];
    unsigned long long value;
    while (fscanf(f, "%63s %llu", name, &value) == 2) {
        for (size_t i = 0; i < sizeof(vmstat_keys) / sizeof(vmstat_keys[0]); i++) {
            if (!s->have[vmstat_keys[i].id] && strcmp(name, vmstat_keys[i].name) == 0) {
                s->value[vmstat_keys[i].id] = value;
                s->have[vmstat_keys[i].id] = true;
            }
        }
    }
    fclose(f);
}

static void read_tlb(struct kcounters_snapshot *s)
{
    FILE *f = fopen("/proc/interrupts", "re");
    if (!f)
        return;
    char line[8192];
    while (fgets(line, sizeof(line), f)) {
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (strncmp(p, "TLB:", 4) != 0)
            continue;
        p += 4;
        uint64_t sum = 0;
        for (;;) {
            char *end;
            unsigned long long v = strtoull(p, &end, 10);
            if (end == p)
                break;
            sum += v;
            p = end;
        }
        s->value[KC_TLB_SHOOTDOWNS] = sum;
        s->have[KC_TLB_SHOOTDOWNS] = true;
    }
    fclose(f);
}

static void read_disk(const struct kcounters_source *src, struct kcounters_snapshot *s)
{
    if (!src->stat_path[0])
        return;
    FILE *f = fopen(src->stat_path, "re");
    if (!f)
        return;
    unsigned long long rd_ios, rd_merges, rd_sectors, rd_ticks, wr_ios, wr_merges, wr_sectors;
    if (fscanf(f, "%llu %llu %llu %llu %llu %llu %llu", &rd_ios, &rd_merges, &rd_sectors, &rd_ticks,
               &wr_ios, &wr_merges, &wr_sectors) == 7) {
        s->value[KC_DEV_READ_IOS] = rd_ios;
        s->value[KC_DEV_READ_BYTES] = rd_sectors * SECTOR_BYTES;
        s->value[KC_DEV_WRITE_IOS] = wr_ios;
        s->value[KC_DEV_WRITE_BYTES] = wr_sectors * SECTOR_BYTES;
        s->have[KC_DEV_READ_IOS] = s->have[KC_DEV_READ_BYTES] = true;
        s->have[KC_DEV_WRITE_IOS] = s->have[KC_DEV_WRITE_BYTES] = true;
    }
    fclose(f);
}

void kcounters_read(const struct kcounters_source *src, struct kcounters_snapshot *s)
{
    memset(s, 0, sizeof(*s));
    read_vmstat(s);
    read_tlb(s);
    read_disk(src, s);
}

void kcounters_read_quick(const struct kcounters_source *src, struct kcounters_snapshot *s)
{
    memset(s, 0, sizeof(*s));
    read_tlb(s);
    read_disk(src, s);
}
