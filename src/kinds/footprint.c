#include "footprint.h"

#include "children.h"
#include "errmsg.h"
#include "timer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static const char *const method_names[FOOTPRINT_METHOD_COUNT] = {
    [FOOTPRINT_SHARED_MAP] = "shared_map",
    [FOOTPRINT_PRIVATE_MAP] = "private_map",
    [FOOTPRINT_HEAP_BUFFER] = "heap_buffer",
};

/* What a loading child reports. */
struct load_slot {
    uint64_t load_ns;  /* gate open to part loaded */
    uint64_t checksum; /* xor of one word per page */
    uint64_t address;  /* start of its mapping or buffer, for smaps */
};

struct load_args {
    const struct footprint_config *cfg;
    uint64_t length_bytes;
    unsigned loaders; /* children with index >= loaders are the baseline */
};

/* Per-process values the parent collects, one array of processes entries each. */
enum sample {
    S_RSS,
    S_PSS,
    S_SHARED,
    S_PRIVATE,
    S_ANON,
    S_VMA_RSS,
    S_VMA_PSS,
    S_VMA_SHARED,
    S_VMA_PRIVATE,
    S_VMA_ANON,
    S_VMA_SIZE,
    S_PTE,
    S_LOAD,
    S_COUNT,
};

const char *footprint_method_name(enum footprint_method method)
{
    return (unsigned)method < FOOTPRINT_METHOD_COUNT ? method_names[method] : NULL;
}

int footprint_method_parse(const char *name, enum footprint_method *method)
{
    for (unsigned i = 0; i < FOOTPRINT_METHOD_COUNT; i++) {
        if (strcmp(name, method_names[i]) == 0) {
            *method = (enum footprint_method)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* One load per page, folded into a checksum so that no load can be dropped. */
static uint64_t touch_pages(const char *p, uint64_t length_bytes)
{
    uint64_t page = kinds_page_bytes(), sum = 0;
    for (uint64_t off = 0; off < length_bytes; off += page)
        sum ^= *(const volatile uint64_t *)(p + off);
    return sum;
}

static int load_body(struct children_member *m, void *arg)
{
    const struct load_args *a = arg;
    const struct footprint_config *cfg = a->cfg;
    struct load_slot *slot = m->slot;
    int fd, ret = children_reopen(cfg->fd, O_RDONLY, &fd, m->err, CHILDREN_ERR_BYTES);
    if (ret < 0)
        return ret;
    close(cfg->fd); /* the parent's file description is not ours */
    if (m->index >= a->loaders) {
        ret = children_wait_gate(m);
        return ret < 0 ? ret : children_arrive(m);
    }
    ret = children_wait_gate(m);
    if (ret < 0)
        return ret;
    uint64_t t0 = timer_monotonic_ns();
    void *p;
    if (cfg->method == FOOTPRINT_HEAP_BUFFER) {
        p = mmap(NULL, a->length_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return errmsg_errno(m->err, CHILDREN_ERR_BYTES, -errno,
                                "child %u: buffer of %llu bytes", m->index,
                                (unsigned long long)a->length_bytes);
        ret = kinds_pread_full(fd, p, a->length_bytes, cfg->offset_bytes, "data file", m->err,
                               CHILDREN_ERR_BYTES);
        if (ret < 0)
            return ret;
    } else {
        int flags = cfg->method == FOOTPRINT_SHARED_MAP ? MAP_SHARED : MAP_PRIVATE;
        p = mmap(NULL, a->length_bytes, PROT_READ, flags, fd, (off_t)cfg->offset_bytes);
        if (p == MAP_FAILED)
            return errmsg_errno(m->err, CHILDREN_ERR_BYTES, -errno,
                                "child %u: mmap(%s, offset %llu, %llu bytes)", m->index,
                                method_names[cfg->method], (unsigned long long)cfg->offset_bytes,
                                (unsigned long long)a->length_bytes);
    }
    slot->checksum = touch_pages(p, a->length_bytes);
    slot->load_ns = timer_monotonic_ns() - t0;
    slot->address = (uint64_t)(uintptr_t)p;
    return children_arrive(m); /* exiting unmaps */
}

static int check_config(const struct footprint_config *cfg, uint64_t *length, char *err,
                        size_t err_len)
{
    uint64_t page = kinds_page_bytes();
    if (cfg->processes < 1 || cfg->processes > FOOTPRINT_MAX_PROCESSES)
        return errmsg_set(err, err_len, -EINVAL, "footprint: processes %u is not in 1..%u",
                          cfg->processes, FOOTPRINT_MAX_PROCESSES);
    if ((unsigned)cfg->method >= FOOTPRINT_METHOD_COUNT)
        return errmsg_set(err, err_len, -EINVAL, "footprint: unknown method %d", cfg->method);
    if (cfg->offset_bytes % page || cfg->offset_bytes >= cfg->file_size_bytes)
        return errmsg_set(err, err_len, -EINVAL,
                          "footprint: offset %llu must be page-aligned and inside the file "
                          "(%llu bytes)",
                          (unsigned long long)cfg->offset_bytes,
                          (unsigned long long)cfg->file_size_bytes);
    *length = cfg->length_bytes ? cfg->length_bytes : cfg->file_size_bytes - cfg->offset_bytes;
    if (*length > cfg->file_size_bytes - cfg->offset_bytes)
        return errmsg_set(err, err_len, -EINVAL,
                          "footprint: offset %llu + length %llu is past the end of the file "
                          "(%llu bytes)",
                          (unsigned long long)cfg->offset_bytes, (unsigned long long)*length,
                          (unsigned long long)cfg->file_size_bytes);
    return 0;
}

static void usage_stats(uint64_t *samples[S_COUNT], unsigned n, unsigned first,
                        struct footprint_usage *u)
{
    kinds_stat_of(samples[first + 0], n, &u->rss_bytes);
    kinds_stat_of(samples[first + 1], n, &u->pss_bytes);
    kinds_stat_of(samples[first + 2], n, &u->shared_bytes);
    kinds_stat_of(samples[first + 3], n, &u->private_bytes);
    kinds_stat_of(samples[first + 4], n, &u->anonymous_bytes);
}

static void store_usage(uint64_t *samples[S_COUNT], unsigned i, unsigned first,
                        const struct procmem_usage *u)
{
    samples[first + 0][i] = u->rss_bytes;
    samples[first + 1][i] = u->pss_bytes;
    samples[first + 2][i] = u->shared_clean_bytes + u->shared_dirty_bytes;
    samples[first + 3][i] = u->private_clean_bytes + u->private_dirty_bytes;
    samples[first + 4][i] = u->anonymous_bytes;
}

/* Reads the /proc files of every child of g while they are held at the barrier. */
static int measure_children(struct children *g, const struct load_args *a,
                            uint64_t *samples[S_COUNT], struct footprint_result *res, char *err,
                            size_t err_len)
{
    int ret = 0;
    res->checksum = 0;
    for (unsigned i = 0; i < a->loaders && ret == 0; i++) {
        if (kinds_stop_requested())
            return errmsg_set(err, err_len, -EINTR, "footprint: interrupted while measuring");
        pid_t pid = children_pid(g, i);
        const struct load_slot *slot = children_slot(g, i);
        struct procmem_usage whole, vma;
        ret = procmem_rollup(pid, &whole, err, err_len);
        if (ret == 0)
            ret = procmem_vma(pid, (uintptr_t)slot->address, &vma, err, err_len);
        if (ret == 0)
            ret = procmem_pte_bytes(pid, &samples[S_PTE][i], err, err_len);
        if (ret == 0) {
            store_usage(samples, i, S_RSS, &whole);
            store_usage(samples, i, S_VMA_RSS, &vma);
            samples[S_VMA_SIZE][i] = vma.size_bytes;
            samples[S_LOAD][i] = slot->load_ns;
            res->checksum ^= slot->checksum;
        }
    }
    pid_t baseline = children_pid(g, a->loaders);
    if (ret == 0)
        ret = procmem_rollup(baseline, &res->baseline, err, err_len);
    if (ret == 0)
        ret = procmem_pte_bytes(baseline, &res->baseline_pte_bytes, err, err_len);
    return ret;
}

/* Sleeps settle_ns (in slices, so a stop request is noticed). */
static int settle(const struct footprint_config *cfg, char *err, size_t err_len)
{
    uint64_t end = timer_monotonic_ns() + cfg->settle_ns;
    while (timer_monotonic_ns() < end) {
        if (kinds_stop_requested())
            return errmsg_set(err, err_len, -EINTR, "footprint: interrupted");
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 10000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

int footprint_run(const struct footprint_config *cfg, struct footprint_result *res, char *err,
                  size_t err_len)
{
    memset(res, 0, sizeof(*res));
    struct load_args a = {.cfg = cfg, .loaders = cfg->processes};
    int ret = check_config(cfg, &a.length_bytes, err, err_len);
    if (ret < 0)
        return ret;
    if (kinds_stop_requested())
        return errmsg_set(err, err_len, -EINTR, "footprint: interrupted before the start");
    res->method = cfg->method;
    res->processes = cfg->processes;
    res->length_bytes = a.length_bytes;
    res->file_pages = (a.length_bytes + kinds_page_bytes() - 1) / kinds_page_bytes();

    struct procmem_meminfo before, during;
    ret = settle(cfg, err, err_len);
    if (ret == 0)
        ret = procmem_meminfo_read(&before, err, err_len);
    if (ret < 0)
        return ret;
    if (cfg->method == FOOTPRINT_HEAP_BUFFER &&
        (double)a.length_bytes * cfg->processes > 0.75 * (double)before.mem_available_bytes)
        return errmsg_set(err, err_len, -ENOMEM,
                          "footprint: %u heap buffers of %llu MiB need %.0f MiB, more than "
                          "three quarters of MemAvailable (%llu MiB)",
                          cfg->processes, (unsigned long long)(a.length_bytes >> 20),
                          (double)a.length_bytes * cfg->processes / 1048576.0,
                          (unsigned long long)(before.mem_available_bytes >> 20));
    ret = procmem_resident_pages(cfg->fd, cfg->offset_bytes, a.length_bytes,
                                 &res->cached_pages_before, err, err_len);
    if (ret < 0)
        return ret;

    uint64_t *block = calloc((size_t)S_COUNT * cfg->processes, sizeof(uint64_t));
    if (!block)
        return errmsg_errno(err, err_len, -ENOMEM, "footprint: samples of %u processes",
                            cfg->processes);
    uint64_t *samples[S_COUNT];
    for (unsigned s = 0; s < S_COUNT; s++)
        samples[s] = block + (size_t)s * cfg->processes;

    struct children *g = NULL;
    ret = children_start(&g, cfg->processes + 1, sizeof(struct load_slot), 0, load_body, &a, err,
                         err_len);
    if (ret == 0)
        ret = children_open_gate(g, cfg->timeout_ns, err, err_len);
    if (ret == 0)
        ret = children_wait_arrived(g, cfg->timeout_ns, err, err_len);
    if (ret == 0)
        ret = settle(cfg, err, err_len);
    if (ret == 0)
        ret = procmem_meminfo_read(&during, err, err_len);
    if (ret == 0)
        ret = procmem_resident_pages(cfg->fd, cfg->offset_bytes, a.length_bytes,
                                     &res->cached_pages_during, err, err_len);
    if (ret == 0)
        ret = measure_children(g, &a, samples, res, err, err_len);
    if (ret == 0) {
        children_release(g);
        ret = children_finish(g, false, cfg->timeout_ns, err, err_len);
    }
    children_free(g);
    if (ret == 0) {
        unsigned n = cfg->processes;
        usage_stats(samples, n, S_RSS, &res->process);
        usage_stats(samples, n, S_VMA_RSS, &res->vma);
        kinds_stat_of(samples[S_VMA_SIZE], n, &res->vma_size_bytes);
        kinds_stat_of(samples[S_PTE], n, &res->pte_bytes);
        kinds_stat_of(samples[S_LOAD], n, &res->load_ns);
        res->mem_available_before_bytes = before.mem_available_bytes;
        res->mem_available_during_bytes = during.mem_available_bytes;
        res->mem_available_used_bytes =
            (int64_t)before.mem_available_bytes - (int64_t)during.mem_available_bytes;
        res->mem_available_used_per_process_bytes = res->mem_available_used_bytes / (int64_t)n;
        res->mem_free_before_bytes = before.mem_free_bytes;
        res->mem_free_during_bytes = during.mem_free_bytes;
    }
    free(block);
    return ret;
}
