/* The folio census on real files in /var/tmp (ext4 on a disk here), cached three ways (by
 * large write() calls, by large read() calls, by faults through a mapping) and two more
 * (faults one page at a time, a few small reads): each census must leave the residency as
 * mincore() saw it. Then what the folios decide: 100 random 4 KiB stores through a
 * mapping and msync(MS_SYNC), with the disk's written bytes from /sys/block/<disk>/stat.
 * Needs root (exit 77 without it). */
#include "folios.h"
#include "kcounters.h"
#include "knobs.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define DATA_DIR   "/var/tmp"
#define MIB        (1024ULL * 1024)
#define CHUNK      (8 * MIB) /* one write() or read() call */
#define STORES     100
#define STORE_REPS 3 /* the disk is shared: the least of three is the store's own traffic */

static uint64_t page_bytes;

/* An empty data file, already unlinked so nothing is left behind. */
static int make_file(void)
{
    char path[] = DATA_DIR "/mmbench-folios-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(unlink(path), 0);
    return fd;
}

static uint64_t resident_pages(int fd, uint64_t size)
{
    uint64_t pages = (size + page_bytes - 1) / page_bytes, n = 0;
    if (!size)
        return 0;
    unsigned char *vec = malloc(pages);
    void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    assert_true(vec && map != MAP_FAILED);
    assert_int_equal(mincore(map, size, vec), 0);
    for (uint64_t i = 0; i < pages; i++)
        n += vec[i] & 1;
    munmap(map, size);
    free(vec);
    return n;
}

/* Page cache that left by other means than ours: drop_caches or reclaim anywhere on the
 * machine (the machine is shared; other tests drop caches). */
static uint64_t cache_losses(void)
{
    FILE *f = fopen("/proc/vmstat", "re");
    assert_non_null(f);
    char name[64];
    unsigned long long v, sum = 0;
    while (fscanf(f, "%63s %llu", name, &v) == 2)
        if (!strcmp(name, "drop_pagecache") || !strcmp(name, "pgsteal_file"))
            sum += v;
    fclose(f);
    return sum;
}

enum fill {
    FILL_WRITE_1M,     /* truncated, then written by 1 MiB write() calls */
    FILL_WRITE_8M,     /* the same with 8 MiB calls */
    FILL_READ,         /* dropped, then read by 8 MiB read() calls */
    FILL_FAULT,        /* dropped, then every page touched through a mapping, in order */
    FILL_FAULT_RANDOM, /* the same under MADV_RANDOM: each fault reads just its page */
    FILL_SMALL_READS,  /* dropped, then 4 KiB read() at the start and in the middle */
};
static const char *const fill_names[] = {
    "1 MiB write() calls",      "8 MiB write() calls",         "8 MiB read() calls",
    "mapping faults, in order", "mapping faults, MADV_RANDOM", "two 4 KiB read() calls",
};

/* Cold: written back first (DONTNEED leaves dirty pages), then dropped, then checked. */
static void drop_cache(int fd, uint64_t size)
{
    assert_int_equal(fsync(fd), 0);
    assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    assert_int_equal(resident_pages(fd, size), 0);
}

static void fill(int fd, uint64_t size, enum fill how)
{
    char *buf = malloc(CHUNK);
    assert_non_null(buf);
    uint64_t chunk = how == FILL_WRITE_1M ? 1 * MIB : CHUNK;
    if (how == FILL_WRITE_1M || how == FILL_WRITE_8M) {
        assert_int_equal(ftruncate(fd, 0), 0);
        for (uint64_t i = 0; i < chunk; i++)
            buf[i] = (char)(i * 131 + 7); /* real data: a hole caches nothing */
        for (uint64_t off = 0; off < size; off += chunk)
            assert_int_equal(pwrite(fd, buf, chunk, (off_t)off), (ssize_t)chunk);
    } else if (how == FILL_READ) {
        drop_cache(fd, size);
        for (uint64_t off = 0; off < size; off += CHUNK)
            assert_int_equal(pread(fd, buf, CHUNK, (off_t)off), (ssize_t)CHUNK);
    } else if (how == FILL_FAULT || how == FILL_FAULT_RANDOM) {
        drop_cache(fd, size);
        volatile const char *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
        assert_true(map != MAP_FAILED);
        if (how == FILL_FAULT_RANDOM)
            assert_int_equal(madvise((void *)map, size, MADV_RANDOM), 0);
        unsigned sum = 0;
        for (uint64_t off = 0; off < size; off += page_bytes)
            sum += (unsigned char)map[off];
        assert_true(sum > 0); /* real data was read */
        munmap((void *)map, size);
    } else {
        drop_cache(fd, size);
        assert_int_equal(pread(fd, buf, 4096, 0), 4096);
        assert_int_equal(pread(fd, buf, 4096, (off_t)(size / 2)), 4096);
    }
    free(buf);
}

/* Fills the cache as asked and takes a census, checked against mincore before and after.
 * Tried again (up to three times) when page cache left the machine meanwhile. */
static void census(int fd, uint64_t size, enum fill how, struct folios_census *c)
{
    char err[256], mix[512];
    for (int attempt = 1;; attempt++) {
        uint64_t lost = cache_losses();
        fill(fd, size, how);
        uint64_t before = resident_pages(fd, size);
        int ret = folios_census(fd, size, c, err, sizeof(err));
        if (ret < 0)
            fail_msg("census: %s", err);
        uint64_t after = resident_pages(fd, size);
        if (cache_losses() != lost && attempt < 3) {
            print_message("%s: page cache was dropped or reclaimed meanwhile; again\n",
                          fill_names[how]);
            continue;
        }
        folios_format(c, mix, sizeof(mix));
        print_message("%-28s resident %6llu of %llu pages: %s\n", fill_names[how],
                      (unsigned long long)c->pages_resident, (unsigned long long)c->pages_total,
                      mix);
        assert_int_equal(c->pages_resident, before);
        assert_int_equal(c->pages_resident_after, before);
        assert_int_equal(after, before); /* the census changed no residency */
        assert_int_equal(c->pages_unknown, 0);
        uint64_t bytes = 0, pages_in_folios = 0;
        for (int o = 0; o < FOLIOS_ORDERS; o++) {
            bytes += c->bytes[o];
            pages_in_folios += c->folios[o] << o;
            assert_true(c->bytes[o] <= (c->folios[o] << o) * c->page_bytes);
        }
        assert_int_equal(bytes, before * c->page_bytes);
        assert_true(pages_in_folios >= before); /* a folio may reach past the end of the file */
        return;
    }
}

static uint64_t bytes_in_orders_from(const struct folios_census *c, int min_order)
{
    uint64_t b = 0;
    for (int o = min_order; o < FOLIOS_ORDERS; o++)
        b += c->bytes[o];
    return b;
}

static void test_fill_ways(void **unused)
{
    (void)unused;
    const uint64_t size = 64 * MIB, pages = size / page_bytes;
    struct folios_census c;
    int fd = make_file();

    census(fd, size, FILL_WRITE_1M, &c);
    assert_int_equal(c.pages_resident, pages);
    assert_true(folios_largest_order(&c) >= 4);
    assert_true(bytes_in_orders_from(&c, 4) >= size * 95 / 100);

    drop_cache(fd, size);
    char err[256];
    assert_int_equal(folios_census(fd, size, &c, err, sizeof(err)), 0);
    assert_int_equal(c.pages_resident, 0);
    assert_int_equal(folios_largest_order(&c), -1);

    census(fd, size, FILL_READ, &c);
    assert_int_equal(c.pages_resident, pages);
    assert_true(bytes_in_orders_from(&c, 4) >= size / 2);

    census(fd, size, FILL_FAULT, &c);
    assert_int_equal(c.pages_resident, pages);

    census(fd, size, FILL_FAULT_RANDOM, &c);
    assert_int_equal(c.pages_resident, pages);
    assert_int_equal(c.bytes[0], size); /* one page read per fault, one page per folio */

    /* A few small reads leave readahead marks on pages the census must map: a fault on
     * one of them would start readahead (more pages resident after) unless the census
     * keeps it from doing so. */
    census(fd, size, FILL_SMALL_READS, &c);
    assert_true(c.pages_resident > 0 && c.pages_resident < pages / 4);

    close(fd);
}

static void test_empty_and_unprivileged(void **unused)
{
    (void)unused;
    struct folios_census c;
    char err[256];
    int fd = make_file();
    assert_int_equal(folios_census(fd, 0, &c, err, sizeof(err)), 0);
    assert_int_equal(c.pages_total + c.pages_resident, 0);
    assert_int_equal(folios_largest_order(&c), -1);
    char mix[64];
    folios_format(&c, mix, sizeof(mix));
    assert_string_equal(mix, "none cached");
    fill(fd, 1 * MIB, FILL_WRITE_1M);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(3);
        int ret = folios_census(fd, 1 * MIB, &c, err, sizeof(err));
        dprintf(fds[1], "%d %s", ret, err);
        _exit(0);
    }
    close(fds[1]);
    char line[300] = "";
    assert_true(read(fds[0], line, sizeof(line) - 1) > 0);
    close(fds[0]);
    waitpid(pid, NULL, 0);
    print_message("uid 65534: %s\n", line);
    assert_int_equal(strtol(line, NULL, 10), -EACCES);
    assert_non_null(strstr(line, "needs root"));
    close(fd);
}

static uint64_t device_written(const struct kcounters_source *src)
{
    struct kcounters_snapshot s;
    kcounters_read(src, &s);
    assert_true(s.have[KC_DEV_WRITE_BYTES]);
    return s.value[KC_DEV_WRITE_BYTES];
}

/* STORES random 4 KiB stores through a shared mapping, then msync(MS_SYNC): the disk's
 * written bytes, and what the folio sizes predict when the file has one size only (the
 * distinct folios the stores hit). */
static uint64_t store_and_sync(int fd, uint64_t size, uint64_t seed, int order,
                               const struct kcounters_source *src, uint64_t *predicted)
{
    char *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(map != MAP_FAILED);
    uint64_t pages = size / page_bytes, folio_pages = 1ULL << (order < 0 ? 0 : order);
    uint64_t hit[STORES];
    size_t distinct = 0;
    uint64_t x = seed;
    uint64_t w0 = device_written(src);
    for (int i = 0; i < STORES; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t page = (x >> 17) % pages;
        map[page * page_bytes + 8] ^= 1;
        uint64_t folio = page / folio_pages;
        bool seen = false;
        for (size_t k = 0; k < distinct && !seen; k++)
            seen = hit[k] == folio;
        if (!seen)
            hit[distinct++] = folio;
    }
    assert_int_equal(msync(map, size, MS_SYNC), 0);
    uint64_t written = device_written(src) - w0;
    munmap(map, size);
    *predicted = order < 0 ? 0 : distinct * folio_pages * page_bytes;
    return written;
}

/* The one folio order holding every cached byte, or -1 for a mix. */
static int single_order(const struct folios_census *c)
{
    int order = folios_largest_order(c);
    return order >= 0 && c->bytes[order] == c->pages_resident * c->page_bytes ? order : -1;
}

static void test_store_amplification(void **unused)
{
    (void)unused;
    const uint64_t size = 256 * MIB;
    struct kcounters_source src;
    kcounters_source_init(&src, DATA_DIR);
    if (!src.stat_path[0])
        skip(); /* no disk to count writes on */
    int fd = make_file();
    static const enum fill ways[] = {FILL_WRITE_8M, FILL_READ, FILL_FAULT, FILL_FAULT_RANDOM};
    uint64_t least[4];
    for (int w = 0; w < 4; w++) {
        struct folios_census c;
        census(fd, size, ways[w], &c);
        assert_int_equal(fsync(fd), 0); /* the stores' writeback only */
        assert_int_equal(c.pages_resident, size / page_bytes);
        int order = single_order(&c);
        least[w] = UINT64_MAX;
        uint64_t predicted = 0;
        for (int rep = 0; rep < STORE_REPS; rep++) {
            uint64_t pred;
            uint64_t written = store_and_sync(fd, size, 1000 * (uint64_t)w + (uint64_t)rep + 1,
                                              order, &src, &pred);
            print_message("    %d stores + msync(MS_SYNC): %s wrote %llu bytes%s", STORES, src.disk,
                          (unsigned long long)written, order >= 0 ? "" : "\n");
            if (order >= 0)
                print_message(" (the folios the stores hit: %llu bytes)\n",
                              (unsigned long long)pred);
            if (written < least[w]) {
                least[w] = written;
                predicted = pred;
            }
            /* Nothing can write less than the dirty folios. */
            assert_true(written >= pred);
        }
        /* ...and, on the quietest of the tries, not much more (other users of the disk
         * and the filesystem journal add a little). */
        if (order >= 0)
            assert_true(least[w] <= predicted + predicted / 4 + 1 * MIB);
    }
    print_message("write()-cached / MADV_RANDOM-fault-cached: %.0fx\n",
                  (double)least[0] / (double)least[3]);
    assert_true(least[0] >= 16 * least[3]);
    close(fd);
}

static struct knobs_plan *plan; /* restored by the teardown, also when a test fails */

static int restore_plan(void **unused)
{
    (void)unused;
    knobs_plan_free(plan);
    plan = NULL;
    return 0;
}

/* Device readahead decides the folios of a cold mapping fault: with read_ahead_kb 128, a
 * fault reads (and maps) folios of at most 128 KiB, and a store dirties that much. A file
 * takes the disk's readahead when it is opened (file->f_ra), so a descriptor opened
 * before the change keeps the old one: a phase must open its file after the settings. */
static void test_readahead_decides_fault_folios(void **unused)
{
    (void)unused;
    const uint64_t size = 64 * MIB;
    struct kcounters_source src;
    kcounters_source_init(&src, DATA_DIR);
    if (!src.stat_path[0])
        skip();
    char err[1024], desc[256], path[160], ra0[32] = "";
    snprintf(path, sizeof(path), "/sys/block/%s/queue/read_ahead_kb", src.disk);
    FILE *f = fopen(path, "re");
    assert_non_null(f);
    assert_non_null(fgets(ra0, sizeof(ra0), f));
    fclose(f);
    struct knobs_request req = {"read_ahead_kb", "128"};
    if (knobs_plan_create(&req, 1, DATA_DIR, &plan, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    knobs_plan_describe(plan, desc, sizeof(desc));
    print_message("%s", desc);
    int old_fd = make_file();
    fill(old_fd, size, FILL_WRITE_8M);
    struct folios_census before, after;
    assert_int_equal(knobs_apply(plan, err, sizeof(err)), 0);
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/fd/%d", old_fd);
    int fd = open(self, O_RDWR | O_CLOEXEC); /* the same file, opened anew */
    assert_true(fd >= 0);
    print_message("descriptor opened before the change:\n");
    census(old_fd, size, FILL_FAULT, &before);
    print_message("descriptor opened after it:\n");
    census(fd, size, FILL_FAULT, &after);
    assert_int_equal(knobs_restore(plan, err, sizeof(err)), 0); /* the folios stay */
    int order = folios_largest_order(&after);
    assert_true(order >= 0 && (page_bytes << order) <= 128 * 1024);
    assert_true(after.bytes[order] >= size * 9 / 10);
    if (strtoul(ra0, NULL, 10) >= 1024) /* the old readahead made larger folios */
        assert_true((page_bytes << folios_largest_order(&before)) > 128 * 1024);
    int single = single_order(&after);
    uint64_t least = UINT64_MAX, predicted = 0;
    for (int rep = 0; rep < STORE_REPS; rep++) {
        uint64_t pred, written = store_and_sync(fd, size, 77 + (uint64_t)rep, single, &src, &pred);
        print_message("    %d stores + msync(MS_SYNC): %s wrote %llu bytes\n", STORES, src.disk,
                      (unsigned long long)written);
        assert_true(written >= pred);
        if (written < least) {
            least = written;
            predicted = pred;
        }
    }
    if (single >= 0)
        assert_true(least <= predicted + predicted / 4 + 1 * MIB);
    close(fd);
    close(old_fd);
}

int main(void)
{
    page_bytes = (uint64_t)sysconf(_SC_PAGESIZE);
    if (geteuid() != 0) {
        fprintf(stderr, "the folio census needs root: skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_ways),
        cmocka_unit_test(test_empty_and_unprivileged),
        cmocka_unit_test(test_store_amplification),
        cmocka_unit_test_teardown(test_readahead_decides_fault_folios, restore_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
