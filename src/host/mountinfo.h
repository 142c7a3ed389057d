/* The mount a directory lives on, from /proc/self/mountinfo. */
#ifndef MMBENCH_MOUNTINFO_H
#define MMBENCH_MOUNTINFO_H

#include <limits.h>
#include <sys/types.h>

struct mountinfo_entry {
    dev_t dev; /* the mount's device number as mountinfo shows it */
    char mount_point[PATH_MAX];
    char fs_type[32];
    char source[256];  /* "/dev/vda", "/dev/loop3", "tmpfs" */
    char options[512]; /* per-mount options, then superblock options */
};

/* Finds the mount holding real_dir (an absolute, resolved path) whose device is dev; when
 * no entry has that device (btrfs subvolumes report their own anonymous device), the
 * mount with the longest mount point that contains real_dir. Returns 0 or -ENOENT. */
int mountinfo_find(const char *real_dir, dev_t dev, struct mountinfo_entry *out);

#endif
