/* mmbench-bare: the operations of one mmbench workload, with no instrumentation at all.
 *
 * The same offset stream (src/offsets.c, batches of 256), the same copy and fold
 * (src/loop.h), the same mapping or pread/pwrite with short transfers completed, the same
 * deadline check once per batch, run like mmbench's worker in a thread of its own; no
 * per-operation timing, histogram, counter, checkpoint or indirect call. (The thread
 * matters: once a process has a second thread, glibc's pread and pwrite take their
 * cancellable path, about 50 more instructions per call. mmbench always has one, so the
 * bare loop has one too, and the comparison measures instrumentation only.)
 * bench/overhead compares mmbench against it. Prints one JSON line:
 * {"mib_s": ..., "ops": ..., "seconds": ..., "checksum": "..."}.
 *
 * usage: mmbench-bare --backend mmap|pread --pattern sequential|random --op read|write
 *                     --file PATH --block-size BYTES --duration-ms MS [--seed N] [--ops N]
 * --ops stops after N operations (rounded up to a batch) instead of at the deadline. */
#include "loop.h"
#include "offsets.h"
#include "pattern.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
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

/* The loop and what it needs; kept out of line so that an instruction counter
 * (bench/overhead --instructions) can measure exactly it. */
struct bare {
    struct offsets *offsets;
    int fd;
    unsigned char *map;
    unsigned char *buf;
    const unsigned char *wbuf;
    uint64_t block;
    bool write;
    bool use_mmap;
    uint64_t max_ops;  /* 0: until the deadline */
    uint64_t done;     /* out: operations */
    uint64_t checksum; /* out */
    uint64_t end_ns;   /* out */
};

static __attribute__((noinline)) int bare_loop(struct bare *b, uint64_t deadline_ns)
{
    uint64_t ops[BATCH], checksum = 0, done = 0, end;
    const uint64_t block = b->block;
    for (;;) {
        offsets_fill(b->offsets, ops, BATCH);
        for (size_t i = 0; i < BATCH; i++) {
            uint64_t off = ops[i] & ~OFFSETS_WRITE_FLAG;
            if (b->write) {
                if (b->use_mmap) {
                    memcpy(b->map + off, b->wbuf, block);
                } else {
                    for (uint64_t d = 0; d < block;) {
                        ssize_t n = pwrite(b->fd, b->wbuf + d, block - d, (off_t)(off + d));
                        if (n <= 0)
                            return -1;
                        d += (uint64_t)n;
                    }
                }
            } else {
                if (b->use_mmap) {
                    memcpy(b->buf, b->map + off, block);
                } else {
                    for (uint64_t d = 0; d < block;) {
                        ssize_t n = pread(b->fd, b->buf + d, block - d, (off_t)(off + d));
                        if (n <= 0)
                            return -1;
                        d += (uint64_t)n;
                    }
                }
                checksum = prng_rotl(checksum, 7) + loop_fold(b->buf, block, ACCESS_COPY);
            }
        }
        done += BATCH;
        end = now_ns();
        if (b->max_ops ? done >= b->max_ops : end >= deadline_ns)
            break;
    }
    b->done = done;
    b->checksum = checksum;
    b->end_ns = end;
    return 0;
}

struct bare_thread {
    struct bare *bare;
    uint64_t deadline_ns;
    int ret;
};

static void *bare_thread_main(void *arg)
{
    struct bare_thread *t = arg;
    t->ret = bare_loop(t->bare, t->deadline_ns);
    return NULL;
}

static int usage(void)
{
    fprintf(stderr, "usage: mmbench-bare --backend mmap|pread --pattern sequential|random "
                    "--op read|write --file PATH --block-size BYTES --duration-ms MS "
                    "[--seed N] [--ops N]\n");
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
        {"backend", required_argument, NULL, 'b'},
        {"pattern", required_argument, NULL, 'p'},
        {"op", required_argument, NULL, 'o'},
        {"file", required_argument, NULL, 'f'},
        {"block-size", required_argument, NULL, 's'},
        {"duration-ms", required_argument, NULL, 'd'},
        {"seed", required_argument, NULL, 'S'},
        {"ops", required_argument, NULL, 'O'},
        {NULL, 0, NULL, 0},
    };
    const char *backend = NULL, *path = NULL;
    bool random = true, write = false;
    uint64_t block = 4096, duration_ms = 1000, seed = 1, max_ops = 0;
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
        case 'O':
            max_ops = strtoull(optarg, NULL, 10);
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
    /* As mmbench before every phase: write back what earlier runs left dirty, then warm. */
    if (fsync(fd) < 0)
        return fail("fsync");
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

    struct bare bare = {
        .offsets = &o,
        .fd = fd,
        .map = map,
        .buf = buf,
        .wbuf = wbuf,
        .block = block,
        .write = write,
        .use_mmap = use_mmap,
        .max_ops = max_ops,
    };
    uint64_t start = now_ns();
    struct bare_thread thread = {.bare = &bare, .deadline_ns = start + duration_ms * 1000000ULL};
    pthread_t tid;
    if (pthread_create(&tid, NULL, bare_thread_main, &thread) != 0)
        return fail("pthread_create");
    pthread_join(tid, NULL);
    if (thread.ret < 0)
        return fail(write ? (use_mmap ? "memcpy" : "pwrite") : (use_mmap ? "memcpy" : "pread"));
    uint64_t end = bare.end_ns, done = bare.done, checksum = bare.checksum;
    double seconds = (double)(end - start) / 1e9;
    printf("{\"mib_s\": %.3f, \"ops\": %llu, \"seconds\": %.6f, \"checksum\": \"%016llx\"}\n",
           (double)(done * block) / 1048576.0 / seconds, (unsigned long long)done, seconds,
           (unsigned long long)checksum);
    return 0;
}
