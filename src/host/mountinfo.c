#include "mountinfo.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

/* True when path lies under the mount point. */
static bool contains(const char *point, const char *path)
{
    size_t len = strlen(point);
    return strncmp(path, point, len) == 0 && (len == 1 || path[len] == '/' || path[len] == '\0');
}

int mountinfo_find(const char *real_dir, dev_t dev, struct mountinfo_entry *out)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return -errno;
    char line[4096];
    size_t best_len = 0;
    bool best_dev_match = false, found = false;
    while (fgets(line, sizeof(line), f)) {
        /* id parent major:minor root mount-point options ... - fstype source super */
        unsigned ma, mi;
        char point[PATH_MAX], options[256], type[32], source[256], super[256];
        const char *sep = strstr(line, " - ");
        if (!sep || sscanf(line, "%*s %*s %u:%u %*s %4095s %255s", &ma, &mi, point, options) != 4 ||
            sscanf(sep + 3, "%31s %255s %255s", type, source, super) != 3)
            continue;
        if (!contains(point, real_dir))
            continue;
        bool dev_match = makedev(ma, mi) == dev;
        size_t len = strlen(point);
        /* A device match beats any prefix; among equals, the deepest mount wins (later
         * lines stack over earlier ones at the same point). */
        if ((dev_match && !best_dev_match) || (dev_match == best_dev_match && len >= best_len)) {
            best_dev_match = dev_match;
            best_len = len;
            found = true;
            out->dev = makedev(ma, mi);
            snprintf(out->mount_point, sizeof(out->mount_point), "%s", point);
            snprintf(out->fs_type, sizeof(out->fs_type), "%s", type);
            snprintf(out->source, sizeof(out->source), "%s", source);
            snprintf(out->options, sizeof(out->options), "%s,%s", options, super);
        }
    }
    fclose(f);
    return found ? 0 : -ENOENT;
}
