#include "cow.h"

#include "errmsg.h"
#include "kinds.h"
#include "pattern.h"
#include "prng.h"
#include "procmem.h"
#include "timer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define SCAN_CHUNK_BYTES (1u << 20)

struct cow_state {
    const struct cow_config *cfg;
    uint64_t page_bytes;
    uint64_t pages;
    uint64_t *order;    /* page indices in the order of every pass */
    uint64_t *page_buf; /* one page, read before each timed write */
    struct hist *hist;  /* the pass being timed */
    uint64_t checksum;
};

/* Keeps the compiler from moving the timed store across the timer readings (rdtscp is
 * not a compiler barrier). */
static inline void compiler_barrier(void)
{
    __asm__ volatile("" ::: "memory");
}

static uint64_t thread_minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return (uint64_t)ru.ru_minflt;
}

static void make_order(struct cow_state *s)
{
    for (uint64_t i = 0; i < s->pages; i++)
        s->order[i] = i;
    if (s->cfg->order != COW_RANDOM)
        return;
    struct prng p;
    prng_seed(&p, s->cfg->seed);
    for (uint64_t i = s->pages - 1; i > 0; i--) { /* Fisher-Yates */
        uint64_t j = prng_below(&p, i + 1), t = s->order[i];
        s->order[i] = s->order[j];
        s->order[j] = t;
    }
}

/* Reads one word of every page through the mapping, in pass order. */
static int read_pass(struct cow_state *s, const char *map, uint64_t *faults, char *err,
                     size_t err_len)
{
    uint64_t f0 = thread_minor_faults();
    for (uint64_t k = 0; k < s->pages; k++) {
        if (kinds_stop_requested())
            return errmsg_set(err, err_len, -EINTR, "cow: interrupted while reading");
        s->checksum ^= *(const volatile uint64_t *)(map + s->order[k] * s->page_bytes);
    }
    *faults = thread_minor_faults() - f0;
    return 0;
}

/* One timed write to every page of map. complement: store the page's words inverted. */
static int write_pass(struct cow_state *s, char *map, bool complement, struct hist *full,
                      struct cow_pass *out, char *err, size_t err_len)
{
    const struct cow_config *cfg = s->cfg;
    const size_t words = cfg->write_bytes / 8;
    hist_init(s->hist);
    uint64_t f0 = thread_minor_faults(), start = timer_monotonic_ns();
    for (uint64_t k = 0; k < s->pages; k++) {
        if (kinds_stop_requested())
            return errmsg_set(err, err_len, -EINTR, "cow: interrupted while writing");
        uint64_t off = s->order[k] * s->page_bytes;
        int ret = kinds_pread_full(cfg->fd, s->page_buf, s->page_bytes, cfg->offset_bytes + off,
                                   "data file", err, err_len);
        if (ret < 0)
            return ret;
        if (complement)
            for (size_t w = 0; w < words; w++)
                s->page_buf[w] = ~s->page_buf[w];
        char *dst = map + off;
        uint64_t t0, t1;
        if (words == 1) {
            uint64_t v = s->page_buf[0];
            t0 = timer_now();
            compiler_barrier();
            *(volatile uint64_t *)dst = v;
            compiler_barrier();
            t1 = timer_now();
        } else {
            t0 = timer_now();
            compiler_barrier();
            memcpy(dst, s->page_buf, cfg->write_bytes);
            compiler_barrier();
            t1 = timer_now();
        }
        hist_add(s->hist, timer_to_ns(t1 - t0));
    }
    out->elapsed_ns = timer_monotonic_ns() - start;
    out->minor_faults = thread_minor_faults() - f0;
    out->writes = s->pages;
    hist_summarize(s->hist, &out->latency);
    if (full)
        hist_merge(full, s->hist);
    return 0;
}

/* Hashes every page of the region (pread), into hashes; counts words that are not the
 * file pattern. */
static int scan_region(struct cow_state *s, uint64_t *hashes, uint64_t *not_pattern, char *err,
                       size_t err_len)
{
    const struct cow_config *cfg = s->cfg;
    uint64_t *buf = malloc(SCAN_CHUNK_BYTES);
    if (!buf)
        return errmsg_errno(err, err_len, -ENOMEM, "cow: scan buffer");
    uint64_t total = s->pages * s->page_bytes, odd = 0;
    int ret = 0;
    for (uint64_t done = 0; done < total && ret == 0; done += SCAN_CHUNK_BYTES) {
        size_t len = total - done < SCAN_CHUNK_BYTES ? total - done : SCAN_CHUNK_BYTES;
        ret = kinds_pread_full(cfg->fd, buf, len, cfg->offset_bytes + done, "data file", err,
                               err_len);
        for (size_t w = 0; ret == 0 && w < len / 8; w++) {
            uint64_t off = cfg->offset_bytes + done + w * 8;
            uint64_t page = (done + w * 8) / s->page_bytes;
            if (w * 8 % s->page_bytes == 0)
                hashes[page] = 0;
            hashes[page] = prng_mix64(hashes[page] ^ buf[w]);
            odd += buf[w] != pattern_file_word(off);
        }
    }
    free(buf);
    *not_pattern = odd;
    return ret;
}

static int check_config(const struct cow_config *cfg, uint64_t page, uint64_t *pages, char *err,
                        size_t err_len)
{
    if (cfg->offset_bytes % page || cfg->offset_bytes >= cfg->file_size_bytes)
        return errmsg_set(err, err_len, -EINVAL,
                          "cow: offset %llu must be page-aligned and inside the file (%llu bytes)",
                          (unsigned long long)cfg->offset_bytes,
                          (unsigned long long)cfg->file_size_bytes);
    uint64_t length =
        cfg->length_bytes ? cfg->length_bytes : cfg->file_size_bytes - cfg->offset_bytes;
    if (length > cfg->file_size_bytes - cfg->offset_bytes || length < page)
        return errmsg_set(err, err_len, -EINVAL,
                          "cow: length %llu at offset %llu is not one page or more inside the "
                          "file (%llu bytes)",
                          (unsigned long long)length, (unsigned long long)cfg->offset_bytes,
                          (unsigned long long)cfg->file_size_bytes);
    if (cfg->write_bytes < 8 || cfg->write_bytes % 8 || cfg->write_bytes > page)
        return errmsg_set(err, err_len, -EINVAL,
                          "cow: write_bytes %u must be a multiple of 8 from 8 to %llu",
                          cfg->write_bytes, (unsigned long long)page);
    *pages = length / page;
    return 0;
}

static int map_region(const struct cow_config *cfg, uint64_t bytes, int flags, char **map,
                      char *err, size_t err_len)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, cfg->fd, (off_t)cfg->offset_bytes);
    if (p == MAP_FAILED)
        return errmsg_errno(err, err_len, -errno, "cow: mmap(%s, offset %llu, %llu bytes)",
                            flags == MAP_SHARED ? "MAP_SHARED" : "MAP_PRIVATE",
                            (unsigned long long)cfg->offset_bytes, (unsigned long long)bytes);
    *map = p;
    return 0;
}

static int sync_file(const struct cow_config *cfg, const char *when, char *err, size_t err_len)
{
    if (fdatasync(cfg->fd) < 0)
        return errmsg_errno(err, err_len, -errno, "cow: fdatasync(data file) %s", when);
    return 0;
}

/* The private passes: first writes, repeats, the memory they allocated. */
static int private_phase(struct cow_state *s, struct cow_result *res, const struct cow_hists *hists,
                         char *err, size_t err_len)
{
    uint64_t bytes = s->pages * s->page_bytes;
    struct procmem_meminfo before, after;
    struct procmem_usage vma;
    char *map = NULL;
    int ret = procmem_meminfo_read(&before, err, err_len);
    if (ret == 0)
        ret = map_region(s->cfg, bytes, MAP_PRIVATE, &map, err, err_len);
    if (ret < 0)
        return ret;
    if (s->cfg->read_first)
        ret = read_pass(s, map, &res->private_read_faults, err, err_len);
    if (ret == 0)
        ret = write_pass(s, map, true, hists ? hists->private_first : NULL, &res->private_first,
                         err, err_len);
    if (ret == 0)
        ret = write_pass(s, map, true, hists ? hists->private_repeat : NULL, &res->private_repeat,
                         err, err_len);
    if (ret == 0)
        ret = procmem_vma(0, (uintptr_t)map, &vma, err, err_len);
    if (ret == 0)
        ret = procmem_meminfo_read(&after, err, err_len);
    if (ret == 0) {
        res->vma_anonymous_bytes = vma.anonymous_bytes;
        res->vma_private_dirty_bytes = vma.private_dirty_bytes;
        res->anon_pages_delta_bytes =
            (int64_t)after.anon_pages_bytes - (int64_t)before.anon_pages_bytes;
    }
    munmap(map, bytes);
    return ret;
}

static int shared_phase(struct cow_state *s, struct cow_result *res, const struct cow_hists *hists,
                        char *err, size_t err_len)
{
    uint64_t bytes = s->pages * s->page_bytes;
    char *map = NULL;
    int ret = sync_file(s->cfg, "before the shared writes", err, err_len);
    if (ret == 0)
        ret = map_region(s->cfg, bytes, MAP_SHARED, &map, err, err_len);
    if (ret < 0)
        return ret;
    if (s->cfg->read_first)
        ret = read_pass(s, map, &res->shared_read_faults, err, err_len);
    if (ret == 0)
        ret = write_pass(s, map, false, hists ? hists->shared_first : NULL, &res->shared_first, err,
                         err_len);
    munmap(map, bytes);
    int sret = sync_file(s->cfg, "after the shared writes", err, err_len);
    return ret < 0 ? ret : sret;
}

int cow_run(const struct cow_config *cfg, struct cow_result *res, const struct cow_hists *hists,
            char *err, size_t err_len)
{
    memset(res, 0, sizeof(*res));
    struct cow_state s = {.cfg = cfg, .page_bytes = kinds_page_bytes()};
    int ret = check_config(cfg, s.page_bytes, &s.pages, err, err_len);
    if (ret < 0)
        return ret;
    if (kinds_stop_requested())
        return errmsg_set(err, err_len, -EINTR, "cow: interrupted before the start");
    res->pages = s.pages;
    s.order = malloc(s.pages * sizeof(*s.order));
    s.page_buf = aligned_alloc(s.page_bytes, s.page_bytes);
    s.hist = malloc(sizeof(*s.hist));
    uint64_t *before = malloc(s.pages * sizeof(uint64_t));
    uint64_t *after = malloc(s.pages * sizeof(uint64_t));
    if (!s.order || !s.page_buf || !s.hist || !before || !after) {
        ret = errmsg_errno(err, err_len, -ENOMEM, "cow: state for %llu pages",
                           (unsigned long long)s.pages);
        goto out;
    }
    make_order(&s);
    uint64_t odd_before;
    ret = sync_file(cfg, "before the private writes", err, err_len);
    if (ret == 0)
        ret = scan_region(&s, before, &odd_before, err, err_len);
    if (ret == 0) {
        char ferr[KINDS_ERR_BYTES];
        res->have_folios = folios_census_range(cfg->fd, cfg->offset_bytes, s.pages * s.page_bytes,
                                               &res->folios, ferr, sizeof(ferr)) == 0;
        if (!res->have_folios)
            memset(&res->folios, 0, sizeof(res->folios));
        ret = private_phase(&s, res, hists, err, err_len);
    }
    if (ret == 0)
        ret = scan_region(&s, after, &res->words_not_pattern, err, err_len);
    if (ret == 0) {
        for (uint64_t i = 0; i < s.pages; i++)
            res->pages_changed += before[i] != after[i];
        ret = shared_phase(&s, res, hists, err, err_len);
    }
    res->checksum = s.checksum;
out:
    free(s.order);
    free(s.page_buf);
    free(s.hist);
    free(before);
    free(after);
    return ret;
}
