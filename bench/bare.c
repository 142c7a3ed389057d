/* mmbench-bare: the operations of one mmbench workload, with no instrumentation at all.
 *
 * The same offset stream (src/offsets.c, batches of 256), the same copy and fold
 * (src/loop.h), the same mapping or pread/pwrite with short transfers completed, the same
 * deadline check once per batch; no per-operation timing, histogram, counter, checkpoint
 * or indirect call. bench/overhead compares mmbench against it. Prints one JSON line:
 * {"mib_s": ..., "ops": ..., "seconds": ..., "checksum": "..."}.
 *
 * usage: mmbench-bare --backend mmap|pread --pattern sequential|random --op read|write
 *                     --file PATH --block-size BYTES --duration-ms MS [--seed N] */
#include "loop.h"
#include "offsets.h"
#include "pattern.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256 /* as PHASE_BATCH_OPS */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int fail(const char *what)
{
    fprintf(stderr, "mmbench-bare: %s: %s\n", what, strerror(errno));
    return 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: mmbench-bare --backend mmap|pread --pattern sequential|random "
                    "--op read|write --file PATH --block-size BYTES --duration-ms MS "
                    "[--seed N]\n");
    return 2;
}

static void warm(int fd, uint64_t size)
{
    static char buf[1 << 20];
    for (uint64_t off = 0; off < size;) {
        ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);
        if (n <= 0)
            break;
        off += (uint64_t)n;
    }
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"backend", required_argument, NULL, 'b'}, {"pattern", required_argument, NULL, 'p'},
        {"op", required_argument, NULL, 'o'},      {"file", required_argument, NULL, 'f'},
        {"block-size", required_argument, NULL, 's'},
        {"duration-ms", required_argument, NULL, 'd'},
        {"seed", required_argument, NULL, 'S'},    {NULL, 0, NULL, 0},
    };
    const char *backend = NULL, *path = NULL;
    bool random = true, write = false;
    uint64_t block = 4096, duration_ms = 1000, seed = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'b':
            backend = optarg;
            break;
        case 'p':
            random = strcmp(optarg, "random") == 0;
            break;
        case 'o':
            write = strcmp(optarg, "write") == 0;
            break;
        case 'f':
            path = optarg;
            break;
        case 's':
            block = strtoull(optarg, NULL, 10);
            break;
        case 'd':
            duration_ms = strtoull(optarg, NULL, 10);
            break;
        case 'S':
            seed = strtoull(optarg, NULL, 10);
            break;
        default:
            return usage();
        }
    }
    if (!backend || !path || block < 8 || block % 8)
        return usage();
    bool use_mmap = strcmp(backend, "mmap") == 0;
    int fd = open(path, write ? O_RDWR : O_RDONLY);
    if (fd < 0)
        return fail(path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return fail("fstat");
    uint64_t size = (uint64_t)st.st_size;
    warm(fd, size);

    unsigned char *map = NULL;
    if (use_mmap) {
        map = mmap(NULL, size, PROT_READ | (write ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
        if (map == MAP_FAILED)
            return fail("mmap");
    }
    unsigned char *buf = aligned_alloc(4096, (block + 4095) / 4096 * 4096);
    unsigned char *wbuf = aligned_alloc(4096, (block + 4095) / 4096 * 4096);
    if (!buf || !wbuf)
        return fail("aligned_alloc");
    for (uint64_t i = 0; i < block / 8; i++) {
        uint64_t w = pattern_write_word(i);
        memcpy(wbuf + i * 8, &w, 8);
    }
    struct offsets_params p = {
        .pattern = random ? PATTERN_RANDOM : PATTERN_SEQUENTIAL,
        .distribution = DIST_UNIFORM,
        .region_size_bytes = size,
        .block_size_bytes = block,
        .stride_bytes = block,
        .op = write ? OP_WRITE : OP_READ,
        .seed = seed,
    };
    struct offsets o;
    if (offsets_init(&o, &p) < 0) {
        fprintf(stderr, "mmbench-bare: block larger than the file\n");
        return 2;
    }

    uint64_t ops[BATCH], checksum = 0, done = 0;
    uint64_t start = now_ns(), deadline = start + duration_ms * 1000000ULL, end;
    for (;;) {
        offsets_fill(&o, ops, BATCH);
        for (size_t i = 0; i < BATCH; i++) {
            uint64_t off = ops[i] & ~OFFSETS_WRITE_FLAG;
            if (write) {
                if (use_mmap) {
                    memcpy(map + off, wbuf, block);
                } else {
                    for (uint64_t d = 0; d < block;) {
                        ssize_t n = pwrite(fd, wbuf + d, block - d, (off_t)(off + d));
                        if (n <= 0)
                            return fail("pwrite");
                        d += (uint64_t)n;
                    }
                }
            } else {
                if (use_mmap) {
                    memcpy(buf, map + off, block);
                } else {
                    for (uint64_t d = 0; d < block;) {
                        ssize_t n = pread(fd, buf + d, block - d, (off_t)(off + d));
                        if (n <= 0)
                            return fail("pread");
                        d += (uint64_t)n;
                    }
                }
                checksum = prng_rotl(checksum, 7) + loop_fold(buf, block, ACCESS_COPY);
            }
        }
        done += BATCH;
        end = now_ns();
        if (end >= deadline)
            break;
    }
    double seconds = (double)(end - start) / 1e9;
    printf("{\"mib_s\": %.3f, \"ops\": %llu, \"seconds\": %.6f, \"checksum\": \"%016llx\"}\n",
           (double)(done * block) / 1048576.0 / seconds, (unsigned long long)done, seconds,
           (unsigned long long)checksum);
    return 0;
}
