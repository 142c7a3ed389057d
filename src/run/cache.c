#include "cache.h"

#include "log.h"
#include "owner.h"
#include "pattern.h"
#include "signals.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RESIDENCY_CHUNK_BYTES (1ULL << 30)
#define WARM_CHUNK_BYTES      (1u << 20)

int cache_residency(int fd, uint64_t size_bytes, double *resident_pct)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t total_pages = (size_bytes + page - 1) / page, resident = 0;
    unsigned char *vec = malloc(RESIDENCY_CHUNK_BYTES / page);
    if (!vec)
        return -ENOMEM;
    int ret = 0;
    for (uint64_t off = 0; off < size_bytes; off += RESIDENCY_CHUNK_BYTES) {
        uint64_t len =
            size_bytes - off < RESIDENCY_CHUNK_BYTES ? size_bytes - off : RESIDENCY_CHUNK_BYTES;
        void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);
        if (p == MAP_FAILED) {
            ret = -errno;
            log_error("mmap for mincore (offset %llu, %llu bytes): %s", (unsigned long long)off,
                      (unsigned long long)len, strerror(-ret));
            break;
        }
        if (mincore(p, len, vec) < 0) {
            ret = -errno;
            log_error("mincore: %s", strerror(-ret));
        } else {
            for (uint64_t i = 0; i < (len + page - 1) / page; i++)
                resident += vec[i] & 1;
        }
        munmap(p, len);
        if (ret < 0)
            break;
    }
    free(vec);
    if (ret == 0)
        *resident_pct = total_pages ? 100.0 * (double)resident / (double)total_pages : 100.0;
    return ret;
}

static int warm_file(int fd, const char *path, uint64_t size_bytes)
{
    char *buf = malloc(WARM_CHUNK_BYTES);
    if (!buf)
        return -ENOMEM;
    int ret = 0;
    for (uint64_t off = 0; off < size_bytes;) {
        ssize_t n = pread(fd, buf, WARM_CHUNK_BYTES, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ret = n < 0 ? -errno : -ENODATA;
            log_error("pread(%s, offset %llu) while warming the cache: %s", path,
                      (unsigned long long)off, n < 0 ? strerror(-ret) : "unexpected end of file");
            break;
        }
        off += (uint64_t)n;
    }
    free(buf);
    return ret;
}

static int drop_all_caches(void)
{
    sync();
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        log_error("open(/proc/sys/vm/drop_caches): %s (cold_method drop_caches needs root)",
                  strerror(e));
        return -e;
    }
    int ret = write(fd, "1\n", 2) == 2 ? 0 : -errno;
    if (ret < 0)
        log_error("write(/proc/sys/vm/drop_caches): %s", strerror(-ret));
    close(fd);
    return ret;
}

/* Drops the file's pages: written back first (DONTNEED leaves dirty pages; only mmbench's
 * own files: someone else's dirty pages are not ours to write), then POSIX_FADV_DONTNEED. */
static int drop_file(int fd, const char *path, bool ours)
{
    if (ours && fsync(fd) < 0) {
        int e = errno;
        log_error("fsync(%s) before dropping its cache: %s", path, strerror(e));
        return -e;
    }
    int e = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (e != 0) {
        log_error("posix_fadvise(%s, DONTNEED): %s", path, strerror(e));
        return -e;
    }
    return 0;
}

/* Reads every page through a shared read-only mapping, in order: one fault per page not
 * yet mapped, each reading what readahead decides (under MADV_RANDOM, the page alone). A
 * file that shrinks meanwhile raises SIGBUS, which ends the fill with -EFAULT. */
static int fault_file(int fd, const char *path, uint64_t size_bytes, bool random)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    volatile const unsigned char *map = mmap(NULL, size_bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        int e = errno;
        log_error("mmap(%s, %llu bytes) to fill the cache by faults: %s", path,
                  (unsigned long long)size_bytes, strerror(e));
        return -e;
    }
    int ret = 0;
    if (random && madvise((void *)map, size_bytes, MADV_RANDOM) < 0) {
        ret = -errno;
        log_error("madvise(%s, MADV_RANDOM): %s", path, strerror(-ret));
    }
    unsigned sum = 0;
    sigjmp_buf jb;
    if (ret == 0 && sigsetjmp(jb, 1) == 0) {
        signals_bus_arm(&jb);
        for (uint64_t off = 0; off < size_bytes; off += page)
            sum += map[off];
        signals_bus_disarm();
    } else if (ret == 0) {
        ret = -EFAULT;
        log_error("filling the cache of %s by faults: SIGBUS at offset %llu (the file shrank?)",
                  path, (unsigned long long)(signals_bus_address() - (uintptr_t)map));
    }
    (void)sum; /* the loads happened: map is volatile */
    munmap((void *)map, size_bytes);
    return ret;
}

/* Writes the data file's content again (pattern_file_word), by 1 MiB write() calls into
 * pages not cached, as its creation did, and writes it back: the cache then holds the
 * folios writes make, clean. */
static int rewrite_file(int fd, const char *path, uint64_t size_bytes)
{
    uint64_t *chunk = malloc(WARM_CHUNK_BYTES);
    if (!chunk)
        return -ENOMEM;
    int ret = 0;
    for (uint64_t off = 0; off < size_bytes && ret == 0;) {
        uint64_t len = size_bytes - off < WARM_CHUNK_BYTES ? size_bytes - off : WARM_CHUNK_BYTES;
        for (uint64_t i = 0; i < len / 8; i++)
            chunk[i] = pattern_file_word(off + i * 8);
        ssize_t n = pwrite(fd, chunk, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ret = n < 0 ? -errno : -EIO;
            log_error("pwrite(%s, offset %llu, %llu bytes) while filling the cache: %s", path,
                      (unsigned long long)off, (unsigned long long)len,
                      n < 0 ? strerror(-ret) : "nothing written");
        }
        off += n > 0 ? (uint64_t)n / 8 * 8 : 0; /* a short write resumes at a word */
    }
    free(chunk);
    if (ret == 0 && fsync(fd) < 0) {
        ret = -errno;
        log_error("fsync(%s) after filling the cache by writes: %s", path, strerror(-ret));
    }
    return ret;
}

static int warm(int fd, const char *path, uint64_t size_bytes, enum warm_fill fill, bool ours)
{
    if (fill == WARM_FILL_KEEP)
        return warm_file(fd, path, size_bytes);
    if (fill == WARM_FILL_WRITE && !ours) {
        log_error("%s: warm_fill write would write to a file mmbench did not create", path);
        return -EPERM;
    }
    int ret = drop_file(fd, path, ours);
    if (ret < 0)
        return ret;
    switch (fill) {
    case WARM_FILL_READ:
        return warm_file(fd, path, size_bytes);
    case WARM_FILL_FAULT:
    case WARM_FILL_FAULT_RANDOM:
        return fault_file(fd, path, size_bytes, fill == WARM_FILL_FAULT_RANDOM);
    case WARM_FILL_WRITE:
        return rewrite_file(fd, path, size_bytes);
    case WARM_FILL_KEEP:
    default:
        return 0;
    }
}

int cache_prepare(int fd, const char *path, uint64_t size_bytes, enum cache_state state,
                  enum cold_method method, enum warm_fill fill, bool ours)
{
    switch (state) {
    case CACHE_WARM:
        return warm(fd, path, size_bytes, fill, ours);
    case CACHE_COLD: {
        int ret = drop_file(fd, path, ours);
        if (ret < 0)
            return ret;
        return method == COLD_DROP_CACHES ? drop_all_caches() : 0;
    }
    case CACHE_AS_IS:
    default:
        return 0;
    }
}

/* ---- memory cgroups ---- */

struct cgroup_location {
    int version;                /* 2, 1, or 0 when there is no memory controller */
    char mount[PATH_MAX / 2];   /* where the hierarchy is mounted */
    char current[PATH_MAX / 2]; /* this process's cgroup in it, "/..." */
};

struct cache_cgroup {
    char dir[PATH_MAX];        /* the cgroup made for the phase */
    char home_procs[PATH_MAX]; /* cgroup.procs of the cgroup to return to */
};

/* Read by the emergency exit: prepared while entering, so the handler only writes. */
static char emergency_dir[PATH_MAX];
static char emergency_home_procs[PATH_MAX];
static char emergency_pid[24];
static volatile sig_atomic_t emergency_active;

static bool file_has_word(const char *path, const char *word)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    char buf[1024];
    bool found = false;
    while (!found && fscanf(f, "%1023s", buf) == 1)
        found = strcmp(buf, word) == 0;
    fclose(f);
    return found;
}

/* Finds the memory controller: cgroup v2 if it has it, else a v1 memory hierarchy. */
static void find_memory_cgroup(struct cgroup_location *loc)
{
    memset(loc, 0, sizeof(*loc));
    char v1_mount[PATH_MAX / 2] = "", v2_mount[PATH_MAX / 2] = "";
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return;
    char line[4096];
    while (fgets(line, sizeof(line), f)) {
        /* ... mount-point ... - fstype source super-options */
        char mount[PATH_MAX / 2], fstype[64], options[1024];
        const char *sep = strstr(line, " - ");
        if (!sep || sscanf(line, "%*s %*s %*s %*s %2047s", mount) != 1 ||
            sscanf(sep + 3, "%63s %*s %1023s", fstype, options) != 2)
            continue;
        if (strcmp(fstype, "cgroup2") == 0 && !v2_mount[0])
            snprintf(v2_mount, sizeof(v2_mount), "%s", mount);
        if (strcmp(fstype, "cgroup") == 0 && !v1_mount[0]) {
            for (char *opt = strtok(options, ","); opt; opt = strtok(NULL, ","))
                if (strcmp(opt, "memory") == 0)
                    snprintf(v1_mount, sizeof(v1_mount), "%s", mount);
        }
    }
    fclose(f);

    char controllers[PATH_MAX];
    snprintf(controllers, sizeof(controllers), "%s/cgroup.controllers", v2_mount);
    if (v2_mount[0] && file_has_word(controllers, "memory")) {
        loc->version = 2;
        snprintf(loc->mount, sizeof(loc->mount), "%s", v2_mount);
    } else if (v1_mount[0]) {
        loc->version = 1;
        snprintf(loc->mount, sizeof(loc->mount), "%s", v1_mount);
    } else {
        return;
    }
    /* This process's cgroup: "0::/path" (v2) or "N:...memory...:/path" (v1). */
    f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *first = strchr(line, ':');
        char *second = first ? strchr(first + 1, ':') : NULL;
        if (!second)
            continue;
        *second = '\0';
        const char *controllers_field = first + 1;
        bool match = false;
        if (loc->version == 2)
            match = strcmp(line, "0") == 0 && controllers_field[0] == '\0';
        else
            for (char *c = strtok(first + 1, ","); c && !match; c = strtok(NULL, ","))
                match = strcmp(c, "memory") == 0;
        if (match)
            snprintf(loc->current, sizeof(loc->current), "%s", second + 1);
    }
    fclose(f);
}

const char *cache_cgroup_version(void)
{
    struct cgroup_location loc;
    find_memory_cgroup(&loc);
    return loc.version == 2 ? "v2" : loc.version == 1 ? "v1" : NULL;
}

int cache_check_support(const struct workload *w, char *err, size_t err_len)
{
    if (w->cache == CACHE_COLD && w->cold_method == COLD_DROP_CACHES && geteuid() != 0) {
        snprintf(err, err_len,
                 "cold_method drop_caches writes /proc/sys/vm/drop_caches, which needs root: "
                 "run as root, or use cold_method fadvise");
        return -EPERM;
    }
    if (w->cache_limit_bytes == 0)
        return 0;
    if (geteuid() != 0) {
        snprintf(err, err_len,
                 "cache_limit creates a memory cgroup, which needs root: run as root, or "
                 "remove cache_limit");
        return -EPERM;
    }
    struct cgroup_location loc;
    find_memory_cgroup(&loc);
    if (loc.version == 0) {
        snprintf(err, err_len,
                 "cache_limit needs a memory cgroup controller, and none is mounted (cgroup v2 "
                 "with memory in cgroup.controllers, or a v1 memory hierarchy)");
        return -ENOTSUP;
    }
    return 0;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int ret = n == (ssize_t)strlen(text) ? 0 : n < 0 ? -errno : -EIO;
    close(fd);
    return ret;
}

/* Where this process makes its cgroups: v2 forbids controllers in a non-root cgroup that
 * holds processes, so at the root of the hierarchy; v1 nests freely, so under the current
 * cgroup, whose limits then still apply. */
static void cgroup_parent(const struct cgroup_location *loc, char *buf, size_t len)
{
    const char *current = strcmp(loc->current, "/") == 0 ? "" : loc->current;
    snprintf(buf, len, "%s%s", loc->mount, loc->version == 2 ? "" : current);
}

/* Removes an empty cgroup; the page cache charged to it moves to the parent, which may
 * take a moment (EBUSY meanwhile). Returns 0 or -errno. */
static int remove_cgroup(const char *dir)
{
    for (int tries = 0; rmdir(dir) < 0; tries++) {
        if (errno != EBUSY || tries == 50)
            return -errno;
        usleep(10000);
    }
    return 0;
}

/* True when the cgroup at dir has a process in it. */
static bool cgroup_has_processes(const char *dir)
{
    char path[PATH_MAX + 16], pid[32];
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    FILE *f = fopen(path, "re");
    bool any = f && fscanf(f, "%31s", pid) == 1;
    if (f)
        fclose(f);
    return any;
}

void cache_cgroup_reclaim(void)
{
    struct cgroup_location loc;
    find_memory_cgroup(&loc);
    if (loc.version == 0)
        return;
    char parent[PATH_MAX];
    cgroup_parent(&loc, parent, sizeof(parent));
    DIR *d = opendir(parent);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct owner o = {0};
        long pid;
        unsigned counter;
        int used = 0;
        enum owner_state state;
        if (sscanf(e->d_name, "mmbench-%ld-%llu-%u%n", &pid, &o.start_ticks, &counter, &used) ==
                3 &&
            e->d_name[used] == '\0') {
            o.pid = (pid_t)pid;
            state = owner_state(&o); /* no boot id: a cgroup does not outlive its boot */
        } else if (sscanf(e->d_name, "mmbench-%ld%n", &pid, &used) == 1 &&
                   e->d_name[used] == '\0') {
            /* An older name, without the start time: only a pid that no process has is
             * certainly not its owner. */
            char proc[32];
            snprintf(proc, sizeof(proc), "/proc/%ld", pid);
            state = access(proc, F_OK) < 0 && errno == ENOENT ? OWNER_DEAD : OWNER_UNKNOWN;
        } else {
            continue;
        }
        if (state != OWNER_DEAD)
            continue;
        char dir[PATH_MAX + NAME_MAX + 2];
        snprintf(dir, sizeof(dir), "%s/%s", parent, e->d_name);
        /* A dead owner has no processes: any there now are someone else's. */
        int ret = cgroup_has_processes(dir) ? -EBUSY : remove_cgroup(dir);
        if (ret == 0)
            log_warn("removed the memory cgroup %s, left by process %ld, which no longer runs "
                     "(killed?)",
                     dir, pid);
        else
            log_warn("the memory cgroup %s was left by process %ld, which no longer runs, and "
                     "could not be removed (%s); remove it with: rmdir %s (as root, once no "
                     "process is in it)",
                     dir, pid, ret == -EBUSY ? "processes are in it" : strerror(-ret), dir);
    }
    closedir(d);
}

int cache_cgroup_enter(uint64_t limit_bytes, struct cache_cgroup **out)
{
    struct cgroup_location loc;
    find_memory_cgroup(&loc);
    if (loc.version == 0) {
        log_error("cache_limit: no memory cgroup controller found");
        return -ENOTSUP;
    }
    struct cache_cgroup *cg = calloc(1, sizeof(*cg));
    if (!cg)
        return -ENOMEM;
    int ret;
    const char *current = strcmp(loc.current, "/") == 0 ? "" : loc.current;
    snprintf(cg->home_procs, sizeof(cg->home_procs), "%s%s/cgroup.procs", loc.mount, current);
    if (loc.version == 2) {
        char subtree[PATH_MAX];
        snprintf(subtree, sizeof(subtree), "%s/cgroup.subtree_control", loc.mount);
        if (!file_has_word(subtree, "memory") && (ret = write_file(subtree, "+memory")) < 0) {
            log_error("enabling the memory controller in %s: %s", subtree, strerror(-ret));
            free(cg);
            return ret;
        }
    }
    /* pid and start time (cache_cgroup_reclaim tells a dead owner's by them) and a counter:
     * a name that a stale cgroup of a killed run, or this run's previous one, cannot hold. */
    static unsigned counter;
    struct owner self;
    if (owner_self(&self) < 0)
        self.start_ticks = 0;
    char parent[PATH_MAX];
    cgroup_parent(&loc, parent, sizeof(parent));
    ret = -EEXIST;
    for (int attempt = 0; attempt < 100 && ret == -EEXIST; attempt++) {
        snprintf(cg->dir, sizeof(cg->dir), "%s/mmbench-%ld-%llu-%u", parent, (long)getpid(),
                 self.start_ticks, counter++);
        ret = mkdir(cg->dir, 0755) < 0 ? -errno : 0;
    }
    if (ret < 0) {
        log_error("mkdir(%s): %s", cg->dir, strerror(-ret));
        free(cg);
        return ret;
    }
    char path[PATH_MAX + 32], value[32];
    snprintf(path, sizeof(path), "%s/%s", cg->dir,
             loc.version == 2 ? "memory.max" : "memory.limit_in_bytes");
    snprintf(value, sizeof(value), "%llu", (unsigned long long)limit_bytes);
    ret = write_file(path, value);
    if (ret < 0) {
        log_error("write(%s, %s): %s", path, value, strerror(-ret));
        goto fail;
    }
    snprintf(emergency_dir, sizeof(emergency_dir), "%s", cg->dir);
    snprintf(emergency_home_procs, sizeof(emergency_home_procs), "%s", cg->home_procs);
    snprintf(emergency_pid, sizeof(emergency_pid), "%ld", (long)getpid());
    emergency_active = 1;
    snprintf(path, sizeof(path), "%s/cgroup.procs", cg->dir);
    ret = write_file(path, emergency_pid);
    if (ret < 0) {
        emergency_active = 0;
        log_error("moving mmbench into %s: %s", cg->dir, strerror(-ret));
        goto fail;
    }
    *out = cg;
    return 0;
fail:
    rmdir(cg->dir);
    free(cg);
    return ret;
}

void cache_cgroup_leave(struct cache_cgroup *cg)
{
    if (!cg)
        return;
    char pid[24];
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    int ret = write_file(cg->home_procs, pid);
    if (ret < 0)
        log_warn("moving mmbench back to %s: %s", cg->home_procs, strerror(-ret));
    emergency_active = 0;
    ret = remove_cgroup(cg->dir);
    if (ret < 0)
        log_warn("could not remove cgroup %s: %s", cg->dir, strerror(-ret));
    free(cg);
}

void cache_cgroup_emergency_leave(void)
{
    if (!emergency_active)
        return;
    int fd = open(emergency_home_procs, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t ignored = write(fd, emergency_pid, strlen(emergency_pid));
        (void)ignored;
        close(fd);
    }
    rmdir(emergency_dir);
}
