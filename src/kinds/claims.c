#include "claims.h"

#include "cachestat.h"
#include "children.h"
#include "errmsg.h"
#include "footprint.h"
#include "kcounters.h"
#include "kinds.h"
#include "procmem.h"
#include "timer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB                  (1ULL << 20)
#define DEFAULT_RANGE_BYTES  (8 * MIB)
#define DEFAULT_SHARING      10
#define DEFAULT_SHARING_SIZE (64 * MIB)
#define DEFAULT_REPETITIONS  5
#define CHILD_TIMEOUT_NS     30000000000ULL /* a claim's child processes, all of them */
#define UNMAP_WAIT_NS        500000000ULL   /* munmap claim: the window before fsync */
#define ASYNC_WAIT_NS        200000000ULL   /* MS_ASYNC claim: how long I/O may take to show */
#define STEP_POLL_NS         100000000ULL
#define ATTEMPTS             3u /* of an experiment that writeback from elsewhere disturbed */

static const char *const verdict_names[CLAIMS_VERDICT_COUNT] = {
    [CLAIMS_HOLDS] = "holds",
    [CLAIMS_DOES_NOT_HOLD] = "does not hold",
    [CLAIMS_INCONCLUSIVE] = "inconclusive",
};

const char *claims_verdict_name(enum claims_verdict verdict)
{
    return (unsigned)verdict < CLAIMS_VERDICT_COUNT ? verdict_names[verdict] : NULL;
}

/* ---- Helpers ---------------------------------------------------------------------- */

static void start(struct claims_result *res, const char *id, const char *statement)
{
    memset(res, 0, sizeof(*res));
    res->id = id;
    res->statement = statement;
    res->verdict = CLAIMS_INCONCLUSIVE;
}

static void number(struct claims_result *res, const char *name, const char *unit, double value)
{
    if (res->number_count < CLAIMS_MAX_NUMBERS)
        res->numbers[res->number_count++] = (struct claims_number){name, unit, value};
}

static void evidence(struct claims_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void evidence(struct claims_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->evidence, sizeof(res->evidence), fmt, ap);
    va_end(ap);
}

static double mib(double bytes)
{
    return bytes / (double)MIB;
}

static int interrupted(char *err, size_t err_len)
{
    return errmsg_set(err, err_len, -EINTR, "claims: interrupted");
}

/* Sleeps ns in slices, returning -EINTR early when a stop is requested. */
static int sleep_checked(uint64_t ns, char *err, size_t err_len)
{
    uint64_t end = timer_monotonic_ns() + ns;
    for (;;) {
        if (kinds_stop_requested())
            return interrupted(err, err_len);
        uint64_t now = timer_monotonic_ns();
        if (now >= end)
            return 0;
        uint64_t slice = end - now < 10000000ULL ? end - now : 10000000ULL;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)slice};
        nanosleep(&ts, NULL);
    }
}

static uint64_t range_of(const struct claims_config *cfg)
{
    uint64_t page = kinds_page_bytes();
    uint64_t r = cfg->range_bytes ? cfg->range_bytes : DEFAULT_RANGE_BYTES;
    r = r < cfg->file_size_bytes ? r : cfg->file_size_bytes;
    return r / page * page;
}

/* A page in the middle of the file. */
static uint64_t probe_offset(const struct claims_config *cfg)
{
    return cfg->file_size_bytes / 2 / kinds_page_bytes() * kinds_page_bytes();
}

static int check_config(const struct claims_config *cfg, char *err, size_t err_len)
{
    if (cfg->file_size_bytes < MIB)
        return errmsg_set(err, err_len, -EINVAL,
                          "claims: the file (%llu bytes) must be 1 MiB at least",
                          (unsigned long long)cfg->file_size_bytes);
    if (kinds_stop_requested())
        return interrupted(err, err_len);
    return 0;
}

/* The block device behind the file, through its descriptor. */
static void device_of(const struct claims_config *cfg, struct kcounters_source *src)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", cfg->fd);
    kcounters_source_init(src, path);
}

/* Device bytes written (or read) so far; false where there is no device counter. */
static bool device_bytes(const struct kcounters_source *src, enum kcounter which, uint64_t *bytes)
{
    struct kcounters_snapshot s;
    kcounters_read(src, &s);
    *bytes = s.value[which];
    return s.have[which];
}

/* Dirty and writeback pages: of the range with cachestat(2), else of the whole machine
 * from /proc/meminfo (callers compare deltas). */
struct dirty_count {
    uint64_t dirty_pages;
    uint64_t writeback_pages;
};

static const char *const METHOD_CACHESTAT = "cachestat(2) of the file range";
static const char *const METHOD_MEMINFO =
    "/proc/meminfo Dirty and Writeback (system-wide: cachestat(2) is unavailable)";

static int count_dirty(const struct claims_config *cfg, uint64_t len, const char **method,
                       struct dirty_count *d, char *err, size_t err_len)
{
    struct cachestat_pages cs;
    int ret = cachestat_range(cfg->fd, 0, len, &cs);
    if (ret < 0 && ret != -ENOSYS)
        return errmsg_errno(err, err_len, ret, "cachestat(the file's first %llu bytes)",
                            (unsigned long long)len);
    if (ret == 0) {
        *method = METHOD_CACHESTAT;
        d->dirty_pages = cs.dirty_pages;
        d->writeback_pages = cs.writeback_pages;
        return 0;
    }
    if (ret != -ENOSYS)
        return ret;
    struct procmem_meminfo m;
    ret = procmem_meminfo_read(&m, err, err_len);
    if (ret < 0)
        return ret;
    *method = METHOD_MEMINFO;
    d->dirty_pages = m.dirty_bytes / kinds_page_bytes();
    d->writeback_pages = m.writeback_bytes / kinds_page_bytes();
    return 0;
}

static int64_t delta(uint64_t now, uint64_t base)
{
    return (int64_t)now - (int64_t)base;
}

/* Dirties every page of map without changing the file: stores each page's first word
 * back. */
static void dirty_pages(char *map, uint64_t len)
{
    uint64_t page = kinds_page_bytes();
    for (uint64_t off = 0; off < len; off += page) {
        volatile uint64_t *w = (volatile uint64_t *)(map + off);
        uint64_t v = *w;
        *w = v;
    }
}

static uint64_t read_pages(const char *map, uint64_t len)
{
    uint64_t page = kinds_page_bytes(), sum = 0;
    for (uint64_t off = 0; off < len; off += page)
        sum ^= *(const volatile uint64_t *)(map + off);
    return sum;
}

static int map_file(int fd, uint64_t len, int prot, int flags, uint64_t offset, char **map,
                    char *err, size_t err_len)
{
    void *p = mmap(NULL, len, prot, flags, fd, (off_t)offset);
    if (p == MAP_FAILED)
        return errmsg_errno(err, err_len, -errno,
                            "claims: mmap(data file, offset %llu, %llu bytes)",
                            (unsigned long long)offset, (unsigned long long)len);
    *map = p;
    return 0;
}

static int sync_data(int fd, const char *when, char *err, size_t err_len)
{
    if (fdatasync(fd) < 0)
        return errmsg_errno(err, err_len, -errno, "claims: fdatasync(data file) %s", when);
    return 0;
}

static int read_word(int fd, uint64_t offset, uint64_t *word, char *err, size_t err_len)
{
    return kinds_pread_full(fd, word, sizeof(*word), offset, "data file", err, err_len);
}

/* ---- Two processes taking turns: a step counter in shared memory -------------------- */

static void step_wait(uint32_t *step, uint32_t want)
{
    uint32_t v;
    while ((v = __atomic_load_n(step, __ATOMIC_ACQUIRE)) < want)
        kinds_futex_wait(step, v, STEP_POLL_NS);
}

static void step_post(uint32_t *step, uint32_t value)
{
    __atomic_store_n(step, value, __ATOMIC_RELEASE);
    kinds_futex_wake(step);
}

/* What two children (0 and 1) taking turns share. */
struct pair_common {
    uint32_t step;      /* turn counter */
    uint64_t value[16]; /* what they stored and saw, by the claim's own indices */
};

/* Runs body in two children, each looking at the page at probe_offset. */
static int run_pair(const struct claims_config *cfg, children_body body, struct pair_common *out,
                    char *err, size_t err_len)
{
    struct children *g = NULL;
    int ret = children_start(&g, 2, 0, sizeof(struct pair_common), body, (void *)cfg, err, err_len);
    if (ret == 0)
        ret = children_open_gate(g, CHILD_TIMEOUT_NS, err, err_len);
    if (ret == 0)
        ret = children_finish(g, false, CHILD_TIMEOUT_NS, err, err_len);
    if (ret == 0)
        *out = *(struct pair_common *)children_common(g);
    children_free(g);
    return ret;
}

/* Reopens the data file in a child and maps the page at probe_offset. */
static int child_map_page(const struct claims_config *cfg, struct children_member *m, int flags,
                          int prot, int *fd, char **map)
{
    int ret = children_reopen(cfg->fd, (prot & PROT_WRITE) ? O_RDWR : O_RDONLY, fd, m->err,
                              CHILDREN_ERR_BYTES);
    if (ret < 0)
        return ret;
    close(cfg->fd);
    return map_file(*fd, kinds_page_bytes(), prot, flags, probe_offset(cfg), map, m->err,
                    CHILDREN_ERR_BYTES);
}

/* ---- MAP_PRIVATE writes never reach the file -------------------------------------- */

enum {
    PV_ORIGINAL,      /* A: the word before (pread) */
    PV_OWN,           /* A: its private mapping after its store */
    PV_PREAD_MSYNC,   /* A: pread after msync(MS_SYNC) of its private mapping */
    PV_PREAD_MUNMAP,  /* A: pread after munmap */
    PV_B_MAP_AT_ONCE, /* B: its MAP_SHARED mapping right after A's store */
    PV_B_PREAD,       /* B: pread then */
    PV_B_MAP_MSYNC,   /* B: its mapping after A's msync */
    PV_B_MAP_MUNMAP,  /* B: its mapping after A's munmap */
    PV_B_PREAD_END,   /* B: pread at the end */
    PV_COUNT,
};

static int private_body(struct children_member *m, void *arg)
{
    const struct claims_config *cfg = arg;
    struct pair_common *c = m->common;
    uint64_t page = kinds_page_bytes(), off = probe_offset(cfg);
    int fd, ret;
    char *map = NULL;
    if (m->index == 0) {
        ret = child_map_page(cfg, m, MAP_PRIVATE, PROT_READ | PROT_WRITE, &fd, &map);
        if (ret == 0)
            ret = read_word(fd, off, &c->value[PV_ORIGINAL], m->err, CHILDREN_ERR_BYTES);
        if (ret == 0)
            ret = children_wait_gate(m);
        if (ret < 0)
            return ret;
        *(volatile uint64_t *)map = ~c->value[PV_ORIGINAL];
        c->value[PV_OWN] = *(volatile uint64_t *)map;
        step_post(&c->step, 1);
        step_wait(&c->step, 2);
        if (msync(map, page, MS_SYNC) < 0)
            return errmsg_errno(m->err, CHILDREN_ERR_BYTES, -errno, "msync of a private mapping");
        ret = read_word(fd, off, &c->value[PV_PREAD_MSYNC], m->err, CHILDREN_ERR_BYTES);
        step_post(&c->step, 3);
        step_wait(&c->step, 4);
        munmap(map, page);
        if (ret == 0)
            ret = read_word(fd, off, &c->value[PV_PREAD_MUNMAP], m->err, CHILDREN_ERR_BYTES);
        step_post(&c->step, 5);
        return ret;
    }
    ret = child_map_page(cfg, m, MAP_SHARED, PROT_READ, &fd, &map);
    if (ret == 0) {
        (void)*(volatile uint64_t *)map; /* mapped before A stores */
        ret = children_wait_gate(m);
    }
    if (ret < 0)
        return ret;
    step_wait(&c->step, 1);
    c->value[PV_B_MAP_AT_ONCE] = *(volatile uint64_t *)map;
    ret = read_word(fd, off, &c->value[PV_B_PREAD], m->err, CHILDREN_ERR_BYTES);
    step_post(&c->step, 2);
    step_wait(&c->step, 3);
    c->value[PV_B_MAP_MSYNC] = *(volatile uint64_t *)map;
    step_post(&c->step, 4);
    step_wait(&c->step, 5);
    c->value[PV_B_MAP_MUNMAP] = *(volatile uint64_t *)map;
    if (ret == 0)
        ret = read_word(fd, off, &c->value[PV_B_PREAD_END], m->err, CHILDREN_ERR_BYTES);
    return ret;
}

int claims_private_write_invisible(const struct claims_config *cfg, struct claims_result *res,
                                   char *err, size_t err_len)
{
    start(res, "private_write_invisible",
          "A MAP_PRIVATE write never reaches the file: another process that maps the file "
          "MAP_SHARED, and pread, see the original, also after msync and after munmap");
    res->method = "the word at one offset, read by a second process through MAP_SHARED and "
                  "by pread";
    int ret = check_config(cfg, err, err_len);
    struct pair_common c;
    if (ret == 0)
        ret = run_pair(cfg, private_body, &c, err, err_len);
    if (ret < 0)
        return ret;
    static const int looks[] = {PV_B_MAP_AT_ONCE, PV_B_PREAD,      PV_PREAD_MSYNC, PV_B_MAP_MSYNC,
                                PV_PREAD_MUNMAP,  PV_B_MAP_MUNMAP, PV_B_PREAD_END};
    const size_t n = sizeof(looks) / sizeof(looks[0]);
    uint64_t orig = c.value[PV_ORIGINAL], stored = ~orig;
    unsigned saw_orig = 0, saw_stored = 0;
    for (size_t i = 0; i < n; i++) {
        saw_orig += c.value[looks[i]] == orig;
        saw_stored += c.value[looks[i]] == stored;
    }
    bool own = c.value[PV_OWN] == stored;
    number(res, "looks", "reads", (double)n);
    number(res, "looks_original", "reads", saw_orig);
    number(res, "looks_private_value", "reads", saw_stored);
    number(res, "writer_sees_own_store", "bool", own);
    if (own && saw_orig == n)
        res->verdict = CLAIMS_HOLDS;
    else if (saw_stored > 0)
        res->verdict = CLAIMS_DOES_NOT_HOLD;
    evidence(res,
             "process A stored 0x%016llx over 0x%016llx in its MAP_PRIVATE mapping (it reads "
             "back %s); of %zu looks by process B's MAP_SHARED mapping and pread (at once, "
             "after A's msync(MS_SYNC), after A's munmap) and A's preads, %u saw the original "
             "and %u the private value (holds: A sees its store and every look the original; "
             "does not hold: any look sees the private value)",
             (unsigned long long)stored, (unsigned long long)orig,
             own ? "its store" : "another value", n, saw_orig, saw_stored);
    return 0;
}

/* ---- A MAP_SHARED write is visible at once ---------------------------------------- */

enum {
    SV_ORIGINAL,    /* A: the word through its mapping before */
    SV_STORE_TICK,  /* A: timer_now at its store */
    SV_B_BEFORE,    /* B: its mapping before A's store */
    SV_B_MAP,       /* B: its mapping at its first look after A's store */
    SV_B_SEEN_TICK, /* B: timer_now at that look */
    SV_B_PREAD,     /* B: pread right after */
};

static int shared_body(struct children_member *m, void *arg)
{
    const struct claims_config *cfg = arg;
    struct pair_common *c = m->common;
    int fd, ret;
    char *map = NULL;
    if (m->index == 0) {
        ret = child_map_page(cfg, m, MAP_SHARED, PROT_READ | PROT_WRITE, &fd, &map);
        if (ret == 0) {
            c->value[SV_ORIGINAL] = *(volatile uint64_t *)map;
            ret = children_wait_gate(m);
        }
        if (ret < 0)
            return ret;
        step_wait(&c->step, 1);
        c->value[SV_STORE_TICK] = timer_now();
        *(volatile uint64_t *)map = ~c->value[SV_ORIGINAL];
        step_post(&c->step, 2);
        step_wait(&c->step, 3);
        *(volatile uint64_t *)map = c->value[SV_ORIGINAL]; /* the file as it was */
        munmap(map, kinds_page_bytes());
        return 0;
    }
    ret = child_map_page(cfg, m, MAP_SHARED, PROT_READ, &fd, &map);
    if (ret == 0) {
        c->value[SV_B_BEFORE] = *(volatile uint64_t *)map;
        ret = children_wait_gate(m);
    }
    if (ret < 0)
        return ret;
    step_post(&c->step, 1);
    step_wait(&c->step, 2);
    c->value[SV_B_MAP] = *(volatile uint64_t *)map;
    c->value[SV_B_SEEN_TICK] = timer_now();
    ret = read_word(fd, probe_offset(cfg), &c->value[SV_B_PREAD], m->err, CHILDREN_ERR_BYTES);
    step_post(&c->step, 3);
    return ret;
}

int claims_shared_write_visible(const struct claims_config *cfg, struct claims_result *res,
                                char *err, size_t err_len)
{
    start(res, "shared_write_visible",
          "A MAP_SHARED write is visible at once to another process that maps the file, "
          "without msync, and to pread");
    res->method = "the word at one offset, stored by one process, read by a second through "
                  "its own MAP_SHARED mapping (made before the store) and by pread";
    int ret = check_config(cfg, err, err_len);
    struct pair_common c;
    uint64_t after;
    if (ret == 0)
        ret = run_pair(cfg, shared_body, &c, err, err_len);
    if (ret == 0)
        ret = read_word(cfg->fd, probe_offset(cfg), &after, err, err_len);
    if (ret == 0)
        ret = sync_data(cfg->fd, "after the shared-write claim", err, err_len);
    if (ret < 0)
        return ret;
    uint64_t orig = c.value[SV_ORIGINAL], stored = ~orig;
    bool map_sees = c.value[SV_B_MAP] == stored, pread_sees = c.value[SV_B_PREAD] == stored;
    bool before_ok = c.value[SV_B_BEFORE] == orig;
    double seen_ns = (double)timer_to_ns(c.value[SV_B_SEEN_TICK] - c.value[SV_STORE_TICK]);
    number(res, "reader_mapping_sees_store", "bool", map_sees);
    number(res, "reader_pread_sees_store", "bool", pread_sees);
    number(res, "reader_saw_original_before", "bool", before_ok);
    number(res, "store_to_look_ns", "ns", seen_ns);
    number(res, "file_restored", "bool", after == orig);
    if (before_ok && map_sees && pread_sees)
        res->verdict = CLAIMS_HOLDS;
    else if (c.value[SV_B_MAP] == orig || c.value[SV_B_PREAD] == orig)
        res->verdict = CLAIMS_DOES_NOT_HOLD;
    evidence(res,
             "process A stored 0x%016llx over 0x%016llx through MAP_SHARED, no msync; process "
             "B, whose mapping read the original before, read 0x%016llx through it at its "
             "first look %.0f ns after the store (futex wake-up included) and 0x%016llx by "
             "pread; the original was put back (%s) (holds: B saw the original before and the "
             "store in both reads; does not hold: either read saw the original)",
             (unsigned long long)stored, (unsigned long long)orig,
             (unsigned long long)c.value[SV_B_MAP], seen_ns,
             (unsigned long long)c.value[SV_B_PREAD], after == orig ? "checked" : "NOT restored");
    return 0;
}

/* ---- munmap and close do not write dirty pages ------------------------------------ */

static uint64_t dirty_expire_ns(void)
{
    FILE *f = fopen("/proc/sys/vm/dirty_expire_centisecs", "re");
    unsigned long long cs = 3000; /* the kernel's default, if the file cannot be read */
    if (f) {
        if (fscanf(f, "%llu", &cs) != 1)
            cs = 3000;
        fclose(f);
    }
    return (uint64_t)cs * 10000000ULL;
}

/* One run of the munmap experiment: numbers, evidence and verdict into res. */
static int munmap_once(const struct claims_config *cfg, struct claims_result *res, char *err,
                       size_t err_len)
{
    res->number_count = 0;
    res->verdict = CLAIMS_INCONCLUSIVE;
    uint64_t len = range_of(cfg), page = kinds_page_bytes(), pages = len / page;
    struct kcounters_source src;
    device_of(cfg, &src);
    struct dirty_count base = {0}, stored = {0}, closed = {0}, waited = {0}, synced = {0};
    uint64_t w0 = 0, w1 = 0, w2 = 0, t_store, t_fsync0, t_fsync1;
    bool have_dev = true;
    int fd2 = -1;
    char *map = NULL;
    int ret = sync_data(cfg->fd, "before the munmap claim", err, err_len);
    if (ret == 0)
        ret = count_dirty(cfg, len, &res->method, &base, err, err_len);
    if (ret == 0)
        ret = children_reopen(cfg->fd, O_RDWR, &fd2, err, err_len);
    if (ret == 0)
        ret = map_file(fd2, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0, &map, err, err_len);
    if (ret < 0) {
        if (fd2 >= 0)
            close(fd2);
        return ret;
    }
    t_store = timer_monotonic_ns();
    dirty_pages(map, len);
    ret = count_dirty(cfg, len, &res->method, &stored, err, err_len);
    have_dev &= device_bytes(&src, KC_DEV_WRITE_BYTES, &w0);
    munmap(map, len);
    close(fd2);
    if (ret == 0)
        ret = count_dirty(cfg, len, &res->method, &closed, err, err_len);
    if (ret == 0)
        ret = sleep_checked(UNMAP_WAIT_NS, err, err_len);
    if (ret == 0)
        ret = count_dirty(cfg, len, &res->method, &waited, err, err_len);
    have_dev &= device_bytes(&src, KC_DEV_WRITE_BYTES, &w1);
    t_fsync0 = timer_monotonic_ns();
    if (ret == 0 && fsync(cfg->fd) < 0)
        ret = errmsg_errno(err, err_len, -errno, "claims: fsync(data file)");
    t_fsync1 = timer_monotonic_ns();
    have_dev &= device_bytes(&src, KC_DEV_WRITE_BYTES, &w2);
    if (ret == 0)
        ret = count_dirty(cfg, len, &res->method, &synced, err, err_len);
    if (ret < 0)
        return ret;

    int64_t dirtied = delta(stored.dirty_pages, base.dirty_pages);
    int64_t after_close = delta(closed.dirty_pages, base.dirty_pages);
    int64_t writeback_after_close = delta(closed.writeback_pages, base.writeback_pages);
    int64_t after_wait = delta(waited.dirty_pages, base.dirty_pages);
    int64_t after_fsync =
        delta(synced.dirty_pages + synced.writeback_pages, base.dirty_pages + base.writeback_pages);
    uint64_t window_bytes = w1 - w0, fsync_bytes = w2 - w1;
    uint64_t expire = dirty_expire_ns(), span = t_fsync0 - t_store;
    number(res, "pages_stored", "pages", (double)pages);
    number(res, "dirty_after_stores", "pages", (double)dirtied);
    number(res, "dirty_after_munmap_close", "pages", (double)after_close);
    number(res, "writeback_after_munmap_close", "pages", (double)writeback_after_close);
    number(res, "dirty_after_wait", "pages", (double)after_wait);
    number(res, "dirty_or_writeback_after_fsync", "pages", (double)after_fsync);
    number(res, "device_write_bytes_munmap_to_fsync", "bytes", (double)window_bytes);
    number(res, "device_write_bytes_fsync", "bytes", (double)fsync_bytes);
    number(res, "fsync_ns", "ns", (double)(t_fsync1 - t_fsync0));
    number(res, "store_to_fsync_ns", "ns", (double)span);
    number(res, "dirty_expire_ns", "ns", (double)expire);
    double d = (double)dirtied;
    if (span >= expire || dirtied < (int64_t)(pages * 9 / 10))
        res->verdict = CLAIMS_INCONCLUSIVE;
    else if ((double)after_close < d * 0.5 || (double)writeback_after_close > d * 0.1)
        res->verdict = CLAIMS_DOES_NOT_HOLD;
    else if ((double)after_wait < d * 0.9)
        res->verdict = CLAIMS_INCONCLUSIVE; /* written meanwhile by writeback they did not start */
    else if ((double)after_fsync <= d * 0.1 &&
             (!have_dev || (double)fsync_bytes >= 0.9 * d * (double)page))
        res->verdict = CLAIMS_HOLDS;
    evidence(res,
             "%.1f MiB of stores through MAP_SHARED left %lld pages dirty; right after munmap "
             "and close %lld were dirty and %lld under writeback, %.1f s later %lld dirty "
             "(the device wrote %.2f MiB meanwhile, system-wide); fsync then wrote %.2f MiB in "
             "%.1f ms and left %lld dirty or under writeback; %.1f s from the first store to "
             "the fsync, dirty_expire %.0f s (holds: >= 90%% still dirty and <= 10%% under "
             "writeback right after munmap/close, >= 90%% still dirty after the wait, <= 10%% "
             "after fsync, which wrote >= 90%% of them; does not hold: < 50%% still dirty or > "
             "10%% under writeback right after munmap/close; inconclusive: cleaned during the "
             "wait by writeback they did not start (the flusher, a sync elsewhere), or past "
             "dirty_expire)",
             mib((double)len), (long long)dirtied, (long long)after_close,
             (long long)writeback_after_close, (double)UNMAP_WAIT_NS / 1e9, (long long)after_wait,
             mib((double)window_bytes), mib((double)fsync_bytes),
             (double)(t_fsync1 - t_fsync0) / 1e6, (long long)after_fsync, (double)span / 1e9,
             (double)expire / 1e9);
    return 0;
}

/* Repeats an experiment that came out inconclusive (writeback from elsewhere can clean
 * the pages it watches), at most ATTEMPTS times, and says how many it took. */
static int attempt(const struct claims_config *cfg, struct claims_result *res,
                   int (*once)(const struct claims_config *, struct claims_result *, char *,
                               size_t),
                   char *err, size_t err_len)
{
    int ret = check_config(cfg, err, err_len);
    unsigned n = 0;
    while (ret == 0 && n < ATTEMPTS) {
        n++;
        ret = once(cfg, res, err, err_len);
        if (res->verdict != CLAIMS_INCONCLUSIVE)
            break;
    }
    if (ret < 0)
        return ret;
    number(res, "attempts", "runs", n);
    size_t used = strlen(res->evidence);
    snprintf(res->evidence + used, sizeof(res->evidence) - used, "; attempt %u of at most %u", n,
             ATTEMPTS);
    return 0;
}

int claims_munmap_no_writeback(const struct claims_config *cfg, struct claims_result *res,
                               char *err, size_t err_len)
{
    start(res, "munmap_no_writeback",
          "munmap and close do not write dirty pages to disk; an explicit fsync does");
    return attempt(cfg, res, munmap_once, err, err_len);
}

/* ---- msync(MS_SYNC) waits, and costs like fdatasync -------------------------------- */

struct flush_sample {
    double ns;          /* the call's duration */
    double write_bytes; /* device writes during it */
    double left_pages;  /* dirty or under writeback right after it */
};

/* Dirties the mapping, then flushes it: msync(MS_SYNC) of the range, or fdatasync. */
static int flush_once(const struct claims_config *cfg, char *map, uint64_t len, bool use_msync,
                      const struct kcounters_source *src, bool *have_dev, struct flush_sample *out,
                      char *err, size_t err_len)
{
    struct dirty_count base = {0}, after = {0};
    const char *method;
    uint64_t w0 = 0, w1 = 0;
    int ret = sync_data(cfg->fd, "before a flush sample", err, err_len);
    if (ret == 0)
        ret = count_dirty(cfg, len, &method, &base, err, err_len);
    if (ret < 0)
        return ret;
    dirty_pages(map, len);
    *have_dev &= device_bytes(src, KC_DEV_WRITE_BYTES, &w0);
    uint64_t t0 = timer_monotonic_ns();
    int r = use_msync ? msync(map, len, MS_SYNC) : fdatasync(cfg->fd);
    uint64_t t1 = timer_monotonic_ns();
    if (r < 0)
        return errmsg_errno(err, err_len, -errno, "claims: %s",
                            use_msync ? "msync(MS_SYNC)" : "fdatasync");
    *have_dev &= device_bytes(src, KC_DEV_WRITE_BYTES, &w1);
    ret = count_dirty(cfg, len, &method, &after, err, err_len);
    out->ns = (double)(t1 - t0);
    out->write_bytes = (double)(w1 - w0);
    out->left_pages = (double)delta(after.dirty_pages + after.writeback_pages,
                                    base.dirty_pages + base.writeback_pages);
    return ret;
}

int claims_msync_sync_like_fdatasync(const struct claims_config *cfg, struct claims_result *res,
                                     char *err, size_t err_len)
{
    start(res, "msync_sync_like_fdatasync",
          "msync(MS_SYNC) waits until the range is on the device, and costs like fdatasync "
          "after the same stores");
    unsigned reps = cfg->repetitions ? cfg->repetitions : DEFAULT_REPETITIONS;
    uint64_t len = range_of(cfg);
    struct kcounters_source src;
    device_of(cfg, &src);
    bool have_dev = true;
    char *map = NULL;
    struct dirty_count probe = {0};
    int ret = check_config(cfg, err, err_len);
    if (ret == 0)
        ret = count_dirty(cfg, len, &res->method, &probe, err, err_len);
    if (ret == 0)
        ret = map_file(cfg->fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0, &map, err, err_len);
    if (ret < 0)
        return ret;
    double *v = calloc((size_t)reps * 6, sizeof(double));
    if (!v) {
        munmap(map, len);
        return errmsg_errno(err, err_len, -ENOMEM, "claims: %u samples", reps);
    }
    double *ms_ns = v, *ms_bytes = v + reps, *ms_left = v + 2 * reps;
    double *fd_ns = v + 3 * reps, *fd_bytes = v + 4 * reps, *fd_left = v + 5 * reps;
    for (unsigned r = 0; r < reps && ret == 0; r++) {
        if (kinds_stop_requested()) {
            ret = interrupted(err, err_len);
            break;
        }
        struct flush_sample a = {0}, b = {0};
        bool msync_first = r % 2 == 0; /* alternate, so that order does not favour one */
        ret = flush_once(cfg, map, len, msync_first, &src, &have_dev, &a, err, err_len);
        if (ret == 0)
            ret = flush_once(cfg, map, len, !msync_first, &src, &have_dev, &b, err, err_len);
        const struct flush_sample *ms = msync_first ? &a : &b, *fs = msync_first ? &b : &a;
        ms_ns[r] = ms->ns;
        ms_bytes[r] = ms->write_bytes;
        ms_left[r] = ms->left_pages;
        fd_ns[r] = fs->ns;
        fd_bytes[r] = fs->write_bytes;
        fd_left[r] = fs->left_pages;
    }
    munmap(map, len);
    if (ret < 0) {
        free(v);
        return ret;
    }
    double max_left = 0;
    for (unsigned r = 0; r < reps; r++)
        max_left = ms_left[r] > max_left ? ms_left[r] : max_left;
    double m_ns = kinds_median(ms_ns, reps), m_bytes = kinds_median(ms_bytes, reps);
    double f_ns = kinds_median(fd_ns, reps), f_bytes = kinds_median(fd_bytes, reps);
    double f_left = kinds_median(fd_left, reps);
    free(v);
    double ns_ratio = f_ns > 0 ? m_ns / f_ns : 0;
    double bytes_ratio = f_bytes > 0 ? m_bytes / f_bytes : 0;
    number(res, "range_bytes", "bytes", (double)len);
    number(res, "repetitions", "runs", reps);
    number(res, "msync_ns_median", "ns", m_ns);
    number(res, "fdatasync_ns_median", "ns", f_ns);
    number(res, "msync_write_bytes_median", "bytes", m_bytes);
    number(res, "fdatasync_write_bytes_median", "bytes", f_bytes);
    number(res, "max_pages_left_after_msync", "pages", max_left);
    number(res, "pages_left_after_fdatasync_median", "pages", f_left);
    number(res, "msync_over_fdatasync_time", "ratio", ns_ratio);
    number(res, "msync_over_fdatasync_bytes", "ratio", bytes_ratio);
    if (max_left > 0 || (have_dev && m_bytes < 0.5 * (double)len))
        res->verdict = CLAIMS_DOES_NOT_HOLD; /* returned before its pages were written */
    else if (!have_dev)
        res->verdict = CLAIMS_INCONCLUSIVE;
    else if (m_bytes >= 0.9 * (double)len && ns_ratio >= 1.0 / 3 && ns_ratio <= 3 &&
             bytes_ratio >= 0.5 && bytes_ratio <= 2)
        res->verdict = CLAIMS_HOLDS;
    else if (ns_ratio < 0.2 || ns_ratio > 5)
        res->verdict = CLAIMS_DOES_NOT_HOLD;
    evidence(res,
             "after stores to %.1f MiB through MAP_SHARED, %u times each: msync(MS_SYNC) took "
             "%.2f ms (median), the device wrote %.2f MiB during it and at most %.0f pages "
             "were dirty or under writeback when it returned; fdatasync after the same "
             "stores took %.2f ms and wrote %.2f MiB: time ratio %.2f, bytes ratio %.2f "
             "(holds: none left, msync writing >= 90%% of the range, time within 1/3..3x and "
             "bytes within 0.5..2x of fdatasync's; does not hold: pages left, < 50%% written, "
             "or time outside 1/5..5x)",
             mib((double)len), reps, m_ns / 1e6, mib(m_bytes), max_left, f_ns / 1e6, mib(f_bytes),
             ns_ratio, bytes_ratio);
    return 0;
}

/* ---- msync(MS_ASYNC) starts no I/O ------------------------------------------------- */

struct async_sample {
    double dirtied_pages;       /* by the stores */
    double dirty_at_return;     /* still dirty right after the call */
    double writeback_at_return; /* under writeback right after the call */
    double left_pages;          /* still dirty after the wait */
    double write_bytes;         /* device writes from the call to the end of the wait */
    double call_ns;             /* the call */
};

static int async_sample_once(const struct claims_config *cfg, char *map, uint64_t len,
                             bool use_msync, const struct kcounters_source *src,
                             struct async_sample *out, char *err, size_t err_len)
{
    struct dirty_count base = {0}, stored = {0}, returned = {0}, after = {0};
    const char *method;
    uint64_t w0 = 0, w1 = 0;
    int ret = sync_data(cfg->fd, "before an MS_ASYNC sample", err, err_len);
    if (ret == 0)
        ret = count_dirty(cfg, len, &method, &base, err, err_len);
    if (ret < 0)
        return ret;
    dirty_pages(map, len);
    ret = count_dirty(cfg, len, &method, &stored, err, err_len);
    if (ret < 0)
        return ret;
    device_bytes(src, KC_DEV_WRITE_BYTES, &w0);
    uint64_t t0 = timer_monotonic_ns();
    int r = use_msync ? msync(map, len, MS_ASYNC)
                      : sync_file_range(cfg->fd, 0, (off_t)len, SYNC_FILE_RANGE_WRITE);
    uint64_t t1 = timer_monotonic_ns();
    if (r < 0)
        return errmsg_errno(err, err_len, -errno, "claims: %s",
                            use_msync ? "msync(MS_ASYNC)" : "sync_file_range(WRITE)");
    ret = count_dirty(cfg, len, &method, &returned, err, err_len);
    if (ret == 0)
        ret = sleep_checked(ASYNC_WAIT_NS, err, err_len);
    device_bytes(src, KC_DEV_WRITE_BYTES, &w1);
    if (ret == 0)
        ret = count_dirty(cfg, len, &method, &after, err, err_len);
    out->dirtied_pages = (double)delta(stored.dirty_pages, base.dirty_pages);
    out->dirty_at_return = (double)delta(returned.dirty_pages, base.dirty_pages);
    out->writeback_at_return = (double)delta(returned.writeback_pages, base.writeback_pages);
    out->left_pages = (double)delta(after.dirty_pages, base.dirty_pages);
    out->write_bytes = (double)(w1 - w0);
    out->call_ns = (double)(t1 - t0);
    return ret;
}

static int async_once(const struct claims_config *cfg, struct claims_result *res, char *err,
                      size_t err_len)
{
    res->number_count = 0;
    res->verdict = CLAIMS_INCONCLUSIVE;
    uint64_t len = range_of(cfg);
    struct kcounters_source src;
    device_of(cfg, &src);
    struct async_sample a = {0}, s = {0};
    struct dirty_count probe = {0};
    char *map = NULL;
    int ret = count_dirty(cfg, len, &res->method, &probe, err, err_len);
    if (ret == 0)
        ret = map_file(cfg->fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0, &map, err, err_len);
    if (ret < 0)
        return ret;
    ret = async_sample_once(cfg, map, len, true, &src, &a, err, err_len);
    if (ret == 0)
        ret = async_sample_once(cfg, map, len, false, &src, &s, err, err_len);
    munmap(map, len);
    int sret = sync_data(cfg->fd, "after the MS_ASYNC claim", err, err_len);
    if (ret < 0 || sret < 0)
        return ret < 0 ? ret : sret;
    number(res, "range_bytes", "bytes", (double)len);
    number(res, "ms_async_dirtied", "pages", a.dirtied_pages);
    number(res, "ms_async_dirty_at_return", "pages", a.dirty_at_return);
    number(res, "ms_async_writeback_at_return", "pages", a.writeback_at_return);
    number(res, "ms_async_still_dirty_after_wait", "pages", a.left_pages);
    number(res, "ms_async_device_write_bytes", "bytes", a.write_bytes);
    number(res, "ms_async_call_ns", "ns", a.call_ns);
    number(res, "sync_file_range_dirtied", "pages", s.dirtied_pages);
    number(res, "sync_file_range_dirty_at_return", "pages", s.dirty_at_return);
    number(res, "sync_file_range_device_write_bytes", "bytes", s.write_bytes);
    number(res, "sync_file_range_call_ns", "ns", s.call_ns);
    number(res, "wait_ns", "ns", (double)ASYNC_WAIT_NS);
    double d = a.dirtied_pages;
    if (d <= 0 || s.dirtied_pages <= 0)
        res->verdict = CLAIMS_INCONCLUSIVE;
    else if (a.dirty_at_return < 0.5 * d || a.writeback_at_return > 0.1 * d)
        res->verdict = CLAIMS_DOES_NOT_HOLD; /* MS_ASYNC submitted writeback itself */
    else if (s.dirty_at_return > 0.1 * s.dirtied_pages || a.left_pages < 0.9 * d)
        res->verdict = CLAIMS_INCONCLUSIVE; /* the probe saw no I/O, or others wrote meanwhile */
    else
        res->verdict = CLAIMS_HOLDS;
    evidence(res,
             "stores to %.1f MiB dirtied %.0f pages; msync(MS_ASYNC) returned in %.1f us with "
             "%.0f pages still dirty and %.0f under writeback, and %.1f s later %.0f were "
             "still dirty, the device having written %.2f MiB (system-wide); after the same "
             "stores sync_file_range(WRITE) returned in %.1f us with %.0f pages dirty (the "
             "rest submitted), the device writing %.2f MiB in the %.1f s after it (holds: >= "
             "90%% still dirty after MS_ASYNC, at its return and after the wait, while "
             "sync_file_range left <= 10%%; does not hold: < 50%% dirty or > 10%% under "
             "writeback when MS_ASYNC returned; inconclusive: cleaned during the wait by "
             "writeback from elsewhere)",
             mib((double)len), d, a.call_ns / 1e3, a.dirty_at_return, a.writeback_at_return,
             (double)ASYNC_WAIT_NS / 1e9, a.left_pages, mib(a.write_bytes), s.call_ns / 1e3,
             s.dirty_at_return, mib(s.write_bytes), (double)ASYNC_WAIT_NS / 1e9);
    return 0;
}

int claims_msync_async_no_io(const struct claims_config *cfg, struct claims_result *res, char *err,
                             size_t err_len)
{
    start(res, "msync_async_no_io",
          "msync(MS_ASYNC) starts no I/O on Linux (sync_file_range(SYNC_FILE_RANGE_WRITE) "
          "does)");
    return attempt(cfg, res, async_once, err, err_len);
}

/* ---- msync(MS_INVALIDATE) does not make reads come from the device ----------------- */

static void fault_counts(uint64_t *major, uint64_t *minor)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *major = (uint64_t)ru.ru_majflt;
    *minor = (uint64_t)ru.ru_minflt;
}

static int pread_range(int fd, uint64_t len, char *err, size_t err_len)
{
    char *buf = malloc(MIB);
    if (!buf)
        return errmsg_errno(err, err_len, -ENOMEM, "claims: read buffer");
    int ret = 0;
    for (uint64_t off = 0; off < len && ret == 0; off += MIB)
        ret = kinds_pread_full(fd, buf, len - off < MIB ? len - off : MIB, off, "data file", err,
                               err_len);
    free(buf);
    return ret;
}

int claims_msync_invalidate_no_reread(const struct claims_config *cfg, struct claims_result *res,
                                      char *err, size_t err_len)
{
    start(res, "msync_invalidate_no_reread",
          "msync(MS_INVALIDATE) on a shared mapping does not make a later read come from the "
          "device: Linux's page cache is unified, so there is no other copy to invalidate");
    res->method = "major faults of the process (getrusage), the range's cached pages (mincore), "
                  "device reads (system-wide)";
    uint64_t len = range_of(cfg), page = kinds_page_bytes(), pages = len / page;
    struct kcounters_source src;
    device_of(cfg, &src);
    uint64_t cached_before = 0, cached_after = 0, r0 = 0, r1 = 0;
    uint64_t maj0 = 0, maj1 = 0, min0 = 0, min1 = 0;
    char *map = NULL;
    int ret = check_config(cfg, err, err_len);
    if (ret == 0)
        ret = pread_range(cfg->fd, len, err, err_len); /* cached before */
    if (ret == 0)
        ret = procmem_resident_pages(cfg->fd, 0, len, &cached_before, err, err_len);
    if (ret == 0)
        ret = map_file(cfg->fd, len, PROT_READ, MAP_SHARED, 0, &map, err, err_len);
    if (ret < 0)
        return ret;
    uint64_t sum = read_pages(map, len);
    bool have_dev = device_bytes(&src, KC_DEV_READ_BYTES, &r0);
    fault_counts(&maj0, &min0);
    if (msync(map, len, MS_INVALIDATE) < 0)
        ret = errmsg_errno(err, err_len, -errno, "claims: msync(MS_INVALIDATE)");
    if (ret == 0) {
        sum ^= read_pages(map, len);
        fault_counts(&maj1, &min1);
        ret = pread_range(cfg->fd, len, err, err_len);
    }
    have_dev &= device_bytes(&src, KC_DEV_READ_BYTES, &r1);
    munmap(map, len);
    if (ret == 0)
        ret = procmem_resident_pages(cfg->fd, 0, len, &cached_after, err, err_len);
    if (ret < 0)
        return ret;
    __asm__ volatile("" : : "r"(sum));
    double read_bytes = (double)(r1 - r0);
    number(res, "range_pages", "pages", (double)pages);
    number(res, "cached_before", "pages", (double)cached_before);
    number(res, "cached_after", "pages", (double)cached_after);
    number(res, "major_faults_rereading", "faults", (double)(maj1 - maj0));
    number(res, "minor_faults_rereading", "faults", (double)(min1 - min0));
    number(res, "device_read_bytes", "bytes", read_bytes);
    bool reread =
        maj1 > maj0 || cached_after < pages / 2 || (have_dev && read_bytes >= 0.5 * (double)len);
    if (cached_before < pages * 9 / 10)
        res->verdict = CLAIMS_INCONCLUSIVE; /* the range could not be made resident */
    else if (reread)
        res->verdict = CLAIMS_DOES_NOT_HOLD;
    else if (cached_after >= cached_before && (!have_dev || read_bytes < 0.1 * (double)len))
        res->verdict = CLAIMS_HOLDS;
    evidence(res,
             "%.1f MiB cached (%llu of %llu pages) and mapped MAP_SHARED; after "
             "msync(MS_INVALIDATE), reading it again through the mapping and by pread took "
             "%llu major and %llu minor faults, the device read %.2f MiB (system-wide), and "
             "%llu pages were still cached (holds: no major fault, all still cached, device "
             "reads < 10%% of the range; does not hold: a major fault, half the range gone, "
             "or reads >= 50%% of it)",
             mib((double)len), (unsigned long long)cached_before, (unsigned long long)pages,
             (unsigned long long)(maj1 - maj0), (unsigned long long)(min1 - min0), mib(read_bytes),
             (unsigned long long)cached_after);
    return 0;
}

/* ---- SIGBUS past the end of a truncated file, SIGSEGV outside any mapping ---------- */

/* What a faulting child saw. */
struct fault_report {
    int32_t signo;     /* the signal its handler got; 0: none */
    int32_t code;      /* its si_code */
    uint64_t address;  /* its si_addr */
    uint64_t expected; /* the address the child touched */
    uint32_t survived; /* 1: the access raised nothing */
};

static struct fault_report *volatile fault_slot; /* the child's own report, for its handler */

/* Records the signal and returns; SA_RESETHAND has restored the default action, so the
 * access faults again and the default action ends the child: its wait status shows it. */
static void fault_handler(int signo, siginfo_t *si, void *context)
{
    (void)context;
    fault_slot->signo = signo;
    fault_slot->code = si->si_code;
    fault_slot->address = (uint64_t)(uintptr_t)si->si_addr;
}

static void arm_fault_handler(struct fault_report *r)
{
    /* No core file: the default action of both signals dumps core. */
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    prctl(PR_SET_DUMPABLE, 0);
    fault_slot = r;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
}

static int truncated_body(struct children_member *m, const struct claims_config *cfg)
{
    struct fault_report *r = m->slot;
    uint64_t page = kinds_page_bytes();
    int fd = openat(cfg->dir_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return errmsg_errno(m->err, CHILDREN_ERR_BYTES, -errno,
                            "open an unnamed file (O_TMPFILE) in the scratch directory");
    uint64_t *data = malloc(2 * page);
    if (!data)
        return errmsg_errno(m->err, CHILDREN_ERR_BYTES, -ENOMEM, "two pages");
    for (uint64_t w = 0; w < 2 * page / 8; w++)
        data[w] = w + 1; /* real data: no hole */
    int ret = kinds_pwrite_full(fd, data, 2 * page, 0, "unnamed file", m->err, CHILDREN_ERR_BYTES);
    free(data);
    char *map = NULL;
    if (ret == 0)
        ret = map_file(fd, 2 * page, PROT_READ, MAP_SHARED, 0, &map, m->err, CHILDREN_ERR_BYTES);
    if (ret == 0)
        ret = children_wait_gate(m);
    if (ret < 0)
        return ret;
    (void)*(volatile uint64_t *)(map + page); /* readable before the truncation */
    if (ftruncate(fd, (off_t)page) < 0)
        return errmsg_errno(m->err, CHILDREN_ERR_BYTES, -errno, "ftruncate to one page");
    r->expected = (uint64_t)(uintptr_t)(map + page);
    arm_fault_handler(r);
    (void)*(volatile uint64_t *)(map + page);
    r->survived = 1;
    return 0;
}

static int unmapped_body(struct children_member *m)
{
    struct fault_report *r = m->slot;
    uint64_t page = kinds_page_bytes();
    char *p = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return errmsg_errno(m->err, CHILDREN_ERR_BYTES, -errno, "mmap of one anonymous page");
    munmap(p, page); /* an address that was mapped a moment ago and is not now */
    int ret = children_wait_gate(m);
    if (ret < 0)
        return ret;
    r->expected = (uint64_t)(uintptr_t)p;
    arm_fault_handler(r);
    (void)*(volatile uint64_t *)p;
    r->survived = 1;
    return 0;
}

static int fault_body(struct children_member *m, void *arg)
{
    return m->index == 0 ? truncated_body(m, arg) : unmapped_body(m);
}

static bool fault_is(const struct fault_report *r, int status, int signo, int code)
{
    return r->signo == signo && r->code == code && r->address == r->expected &&
           WIFSIGNALED(status) && WTERMSIG(status) == signo;
}

int claims_sigbus_past_eof(const struct claims_config *cfg, struct claims_result *res, char *err,
                           size_t err_len)
{
    start(res, "sigbus_past_eof",
          "An access to a mapping past the end of a file that was truncated under it raises "
          "SIGBUS, not SIGSEGV; an access outside any mapping raises SIGSEGV");
    res->method = "a signal handler in each child records the signal, si_code and si_addr, "
                  "then the default action ends the child (its wait status)";
    if (cfg->dir_fd < 0)
        return errmsg_set(err, err_len, -EINVAL,
                          "claims: the truncation claim needs a scratch directory (dir_fd)");
    int ret = check_config(cfg, err, err_len);
    struct children *g = NULL;
    if (ret == 0)
        ret = children_start(&g, 2, sizeof(struct fault_report), 0, fault_body, (void *)cfg, err,
                             err_len);
    if (ret == 0)
        ret = children_open_gate(g, CHILD_TIMEOUT_NS, err, err_len);
    if (ret == 0)
        ret = children_finish(g, true, CHILD_TIMEOUT_NS, err, err_len);
    if (ret < 0) {
        children_free(g);
        return ret;
    }
    struct fault_report bus = *(struct fault_report *)children_slot(g, 0);
    struct fault_report segv = *(struct fault_report *)children_slot(g, 1);
    int bus_status = children_wait_status(g, 0), segv_status = children_wait_status(g, 1);
    children_free(g);
    bool bus_ok = fault_is(&bus, bus_status, SIGBUS, BUS_ADRERR);
    bool segv_ok = fault_is(&segv, segv_status, SIGSEGV, SEGV_MAPERR);
    int bus_term = WIFSIGNALED(bus_status) ? WTERMSIG(bus_status) : 0;
    int segv_term = WIFSIGNALED(segv_status) ? WTERMSIG(segv_status) : 0;
    number(res, "truncated_signal", "signal", bus.signo);
    number(res, "truncated_si_code", "code", bus.code);
    number(res, "truncated_si_addr_matches", "bool", bus.address == bus.expected);
    number(res, "truncated_killed_by", "signal", bus_term);
    number(res, "unmapped_signal", "signal", segv.signo);
    number(res, "unmapped_si_code", "code", segv.code);
    number(res, "unmapped_si_addr_matches", "bool", segv.address == segv.expected);
    number(res, "unmapped_killed_by", "signal", segv_term);
    if (bus_ok && segv_ok)
        res->verdict = CLAIMS_HOLDS;
    else if (bus.signo == SIGSEGV || bus.survived || segv.signo == SIGBUS)
        res->verdict = CLAIMS_DOES_NOT_HOLD;
    evidence(res,
             "past the end of the truncated file: signal %d (%s), si_code %d (BUS_ADRERR is "
             "%d), si_addr %s the page touched, the child ended by signal %d; outside any "
             "mapping: signal %d (%s), si_code %d (SEGV_MAPERR is %d), si_addr %s, ended by "
             "signal %d (holds: SIGBUS/BUS_ADRERR then SIGSEGV/SEGV_MAPERR at the addresses "
             "touched, each child ended by its signal; does not hold: SIGSEGV past the end, "
             "no signal, or SIGBUS outside any mapping)",
             bus.signo, bus.signo ? strsignal(bus.signo) : "none", bus.code, BUS_ADRERR,
             bus.address == bus.expected ? "is" : "is not", bus_term, segv.signo,
             segv.signo ? strsignal(segv.signo) : "none", segv.code, SEGV_MAPERR,
             segv.address == segv.expected ? "is the address" : "is not the address", segv_term);
    return 0;
}

/* ---- N processes mapping one file share its pages --------------------------------- */

int claims_sharing_pages(const struct claims_config *cfg, struct claims_result *res, char *err,
                         size_t err_len)
{
    start(res, "sharing_pages",
          "N processes that map one file MAP_SHARED share its physical pages: PSS per process "
          "is about the file's size / N, and MemAvailable drops by far less than N copies of "
          "the file (a cached file's pages already count as available)");
    res->method = "the footprint engine: smaps of each process's mapping, /proc/meminfo "
                  "MemAvailable (system-wide)";
    unsigned n = cfg->sharing_processes ? cfg->sharing_processes : DEFAULT_SHARING;
    uint64_t len = cfg->sharing_bytes ? cfg->sharing_bytes : DEFAULT_SHARING_SIZE;
    len = len < cfg->file_size_bytes ? len : cfg->file_size_bytes;
    int ret = check_config(cfg, err, err_len);
    if (ret < 0)
        return ret;
    struct footprint_config fc = {
        .fd = cfg->fd,
        .file_size_bytes = cfg->file_size_bytes,
        .length_bytes = len,
        .processes = n,
        .method = FOOTPRINT_SHARED_MAP,
        .timeout_ns = CHILD_TIMEOUT_NS,
    };
    struct footprint_result f;
    ret = footprint_run(&fc, &f, err, err_len);
    if (ret < 0)
        return ret;
    double share = (double)len / n, pss = (double)f.vma.pss_bytes.median;
    double rss = (double)f.vma.rss_bytes.median, used = (double)f.mem_available_used_bytes;
    number(res, "processes", "processes", n);
    number(res, "mapped_bytes", "bytes", (double)len);
    number(res, "vma_pss_median_bytes", "bytes", pss);
    number(res, "vma_rss_median_bytes", "bytes", rss);
    number(res, "length_over_processes_bytes", "bytes", share);
    number(res, "mem_available_used_bytes", "bytes", used);
    number(res, "pte_median_bytes", "bytes", (double)f.pte_bytes.median);
    number(res, "cached_pages_during", "pages", (double)f.cached_pages_during);
    if (n < 2 || rss < 0.9 * (double)len)
        res->verdict = CLAIMS_INCONCLUSIVE; /* nothing to share, or not all mapped */
    else if (pss >= 0.9 * (double)len || used >= 0.9 * n * (double)len)
        res->verdict = CLAIMS_DOES_NOT_HOLD;
    else if (pss >= 0.5 * share && pss <= 1.5 * share && used < 0.5 * n * (double)len)
        res->verdict = CLAIMS_HOLDS;
    evidence(res,
             "%u processes each mapped %.1f MiB MAP_SHARED and read every page: per process "
             "RSS %.1f MiB, PSS %.2f MiB (size / N = %.2f MiB), page tables %.0f KiB; "
             "MemAvailable fell by %.1f MiB while all held it (N x size = %.1f MiB) "
             "(holds: PSS within 0.5..1.5x of size / N and MemAvailable down by less than "
             "half of N x size; does not hold: PSS >= 90%% of the size or MemAvailable down "
             "by >= 90%% of N x size)",
             n, mib((double)len), mib(rss), mib(pss), mib(share), (double)f.pte_bytes.median / 1024,
             mib(used), mib(n * (double)len));
    return 0;
}

const struct claims_entry claims_table[] = {
    {"private_write_invisible", claims_private_write_invisible},
    {"shared_write_visible", claims_shared_write_visible},
    {"munmap_no_writeback", claims_munmap_no_writeback},
    {"msync_sync_like_fdatasync", claims_msync_sync_like_fdatasync},
    {"msync_async_no_io", claims_msync_async_no_io},
    {"msync_invalidate_no_reread", claims_msync_invalidate_no_reread},
    {"sigbus_past_eof", claims_sigbus_past_eof},
    {"sharing_pages", claims_sharing_pages},
};
const size_t claims_count = sizeof(claims_table) / sizeof(claims_table[0]);
