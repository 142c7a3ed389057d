#include "outdir.h"

#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int outdir_create(const char *output, const char *prefix, char *path, size_t len)
{
    if (output) {
        snprintf(path, len, "%s", output);
        if (mkdir(path, 0755) == 0)
            return 0;
        int e = errno;
        if (e == EEXIST) {
            char results[PATH_MAX + 16], comparison[PATH_MAX + 16];
            snprintf(results, sizeof(results), "%s/results.json", path);
            snprintf(comparison, sizeof(comparison), "%s/compare.json", path);
            if (access(results, F_OK) == 0 || access(comparison, F_OK) == 0) {
                log_error("--output %s already holds results; choose a new directory", path);
                return -EEXIST;
            }
            return 0;
        }
        log_error("mkdir(%s): %s", path, strerror(e));
        return -e;
    }
    if (mkdir("results", 0755) < 0 && errno != EEXIST) {
        int e = errno;
        log_error("mkdir(results): %s", strerror(e));
        return -e;
    }
    char name[64];
    size_t n = 0;
    for (const char *p = prefix; *p && n < 40; p++)
        name[n++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'
                               ? *p
                               : '_');
    name[n] = '\0';
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    for (int attempt = 1; attempt < 1000; attempt++) {
        if (attempt == 1)
            snprintf(path, len, "results/%s-%s", name, stamp);
        else
            snprintf(path, len, "results/%s-%s-%d", name, stamp, attempt);
        if (mkdir(path, 0755) == 0)
            return 0;
        if (errno != EEXIST) {
            int e = errno;
            log_error("mkdir(%s): %s", path, strerror(e));
            return -e;
        }
    }
    return -EEXIST;
}
