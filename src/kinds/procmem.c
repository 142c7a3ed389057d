#include "procmem.h"

#include "errmsg.h"
#include "kinds.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MINCORE_CHUNK_BYTES (1ULL << 30)

static const struct {
    const char *name; /* with its colon */
    size_t offset;    /* of the field in struct procmem_usage */
} usage_fields[] = {
    {"Size:", offsetof(struct procmem_usage, size_bytes)},
    {"Rss:", offsetof(struct procmem_usage, rss_bytes)},
    {"Pss:", offsetof(struct procmem_usage, pss_bytes)},
    {"Shared_Clean:", offsetof(struct procmem_usage, shared_clean_bytes)},
    {"Shared_Dirty:", offsetof(struct procmem_usage, shared_dirty_bytes)},
    {"Private_Clean:", offsetof(struct procmem_usage, private_clean_bytes)},
    {"Private_Dirty:", offsetof(struct procmem_usage, private_dirty_bytes)},
    {"Anonymous:", offsetof(struct procmem_usage, anonymous_bytes)},
};

static const struct {
    const char *name;
    size_t offset; /* of the field in struct procmem_meminfo */
} meminfo_fields[] = {
    {"MemTotal:", offsetof(struct procmem_meminfo, mem_total_bytes)},
    {"MemFree:", offsetof(struct procmem_meminfo, mem_free_bytes)},
    {"MemAvailable:", offsetof(struct procmem_meminfo, mem_available_bytes)},
    {"Cached:", offsetof(struct procmem_meminfo, cached_bytes)},
    {"AnonPages:", offsetof(struct procmem_meminfo, anon_pages_bytes)},
    {"Dirty:", offsetof(struct procmem_meminfo, dirty_bytes)},
    {"Writeback:", offsetof(struct procmem_meminfo, writeback_bytes)},
};

/* "Name:   1234 kB" -> bytes, when line starts with name. */
static bool kb_field(const char *line, const char *name, uint64_t *bytes)
{
    size_t n = strlen(name);
    if (strncmp(line, name, n) != 0)
        return false;
    char *end;
    unsigned long long kb = strtoull(line + n, &end, 10);
    if (end == line + n)
        return false;
    *bytes = (uint64_t)kb * 1024;
    return true;
}

static void usage_field(const char *line, struct procmem_usage *u)
{
    for (size_t i = 0; i < sizeof(usage_fields) / sizeof(usage_fields[0]); i++) {
        uint64_t v;
        if (kb_field(line, usage_fields[i].name, &v)) {
            *(uint64_t *)((char *)u + usage_fields[i].offset) = v;
            return;
        }
    }
}

/* A mapping's header line, "start-end perms offset dev inode path". Field names contain
 * no '-', so two hex numbers around one never parse from a field line. */
static bool vma_header(const char *line, uintptr_t *start, uintptr_t *end)
{
    unsigned long long s, e;
    if (sscanf(line, "%llx-%llx ", &s, &e) != 2)
        return false;
    *start = (uintptr_t)s;
    *end = (uintptr_t)e;
    return true;
}

static FILE *open_proc(pid_t pid, const char *name, char *path, size_t path_len, char *err,
                       size_t err_len, int *ret)
{
    if (pid)
        snprintf(path, path_len, "/proc/%d/%s", (int)pid, name);
    else
        snprintf(path, path_len, "/proc/self/%s", name);
    FILE *f = fopen(path, "re");
    if (!f)
        *ret = errmsg_errno(err, err_len, -errno, "open %s", path);
    return f;
}

int procmem_rollup(pid_t pid, struct procmem_usage *u, char *err, size_t err_len)
{
    char path[64];
    int ret = 0;
    FILE *f = open_proc(pid, "smaps_rollup", path, sizeof(path), err, err_len, &ret);
    if (!f)
        return ret;
    memset(u, 0, sizeof(*u));
    char *line = NULL;
    size_t cap = 0;
    bool seen = false;
    while (getline(&line, &cap, f) > 0) {
        uint64_t v;
        seen |= kb_field(line, "Rss:", &v);
        usage_field(line, u);
    }
    u->size_bytes = 0;
    if (ferror(f))
        ret = errmsg_errno(err, err_len, -EIO, "read %s", path);
    else if (!seen)
        ret = errmsg_set(err, err_len, -ENODATA, "%s has no Rss line (process gone?)", path);
    free(line);
    fclose(f);
    return ret;
}

int procmem_vma(pid_t pid, uintptr_t addr, struct procmem_usage *u, char *err, size_t err_len)
{
    char path[64];
    int ret = 0;
    FILE *f = open_proc(pid, "smaps", path, sizeof(path), err, err_len, &ret);
    if (!f)
        return ret;
    memset(u, 0, sizeof(*u));
    char *line = NULL;
    size_t cap = 0;
    bool inside = false, found = false;
    while (getline(&line, &cap, f) > 0) {
        uintptr_t start, end;
        if (vma_header(line, &start, &end)) {
            if (found)
                break;
            inside = found = addr >= start && addr < end;
        } else if (inside) {
            usage_field(line, u);
        }
    }
    if (ferror(f))
        ret = errmsg_errno(err, err_len, -EIO, "read %s", path);
    else if (!found)
        ret = errmsg_set(err, err_len, -ENOENT, "%s: no mapping contains address 0x%" PRIxPTR, path,
                         addr);
    free(line);
    fclose(f);
    return ret;
}

int procmem_pte_bytes(pid_t pid, uint64_t *pte_bytes, char *err, size_t err_len)
{
    char path[64];
    int ret = 0;
    FILE *f = open_proc(pid, "status", path, sizeof(path), err, err_len, &ret);
    if (!f)
        return ret;
    char line[256];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f))
        found = kb_field(line, "VmPTE:", pte_bytes);
    fclose(f);
    if (!found)
        return errmsg_set(err, err_len, -ENODATA, "%s has no VmPTE line (a kernel thread?)", path);
    return 0;
}

int procmem_meminfo_read(struct procmem_meminfo *m, char *err, size_t err_len)
{
    FILE *f = fopen("/proc/meminfo", "re");
    if (!f)
        return errmsg_errno(err, err_len, -errno, "open /proc/meminfo");
    memset(m, 0, sizeof(*m));
    char line[256];
    unsigned found = 0;
    while (fgets(line, sizeof(line), f)) {
        for (size_t i = 0; i < sizeof(meminfo_fields) / sizeof(meminfo_fields[0]); i++) {
            uint64_t v;
            if (kb_field(line, meminfo_fields[i].name, &v)) {
                *(uint64_t *)((char *)m + meminfo_fields[i].offset) = v;
                found++;
            }
        }
    }
    fclose(f);
    if (found < sizeof(meminfo_fields) / sizeof(meminfo_fields[0]))
        return errmsg_set(err, err_len, -ENODATA,
                          "/proc/meminfo lacks some of MemTotal, MemFree, MemAvailable, Cached, "
                          "AnonPages, Dirty, Writeback");
    return 0;
}

int procmem_resident_pages(int fd, uint64_t offset, uint64_t length, uint64_t *pages, char *err,
                           size_t err_len)
{
    uint64_t page = kinds_page_bytes();
    if (offset % page)
        return errmsg_set(err, err_len, -EINVAL, "mincore range: offset %llu is not page-aligned",
                          (unsigned long long)offset);
    unsigned char *vec = malloc(MINCORE_CHUNK_BYTES / page);
    if (!vec)
        return errmsg_errno(err, err_len, -ENOMEM, "mincore vector");
    int ret = 0;
    *pages = 0;
    for (uint64_t done = 0; done < length;) {
        uint64_t len = length - done < MINCORE_CHUNK_BYTES ? length - done : MINCORE_CHUNK_BYTES;
        void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)(offset + done));
        if (p == MAP_FAILED) {
            ret = errmsg_errno(err, err_len, -errno, "mmap for mincore (offset %llu, %llu bytes)",
                               (unsigned long long)(offset + done), (unsigned long long)len);
            break;
        }
        if (mincore(p, len, vec) < 0)
            ret = errmsg_errno(err, err_len, -errno, "mincore (offset %llu, %llu bytes)",
                               (unsigned long long)(offset + done), (unsigned long long)len);
        else
            for (uint64_t i = 0; i < (len + page - 1) / page; i++)
                *pages += vec[i] & 1;
        munmap(p, len);
        if (ret < 0)
            break;
        done += len;
    }
    free(vec);
    return ret;
}
