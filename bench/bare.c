/* mmbench-bare: the operations of one mmbench workload, with no instrumentation at all.
 *
 * The same offset stream (src/offsets.c, batches of 256), the same copy and fold
 * (src/loop.h), the same system calls as each backend with short transfers completed (the
 * mapping; pread/pwrite; lseek, skipped where the file offset already is, and read/write;
 * preadv2/pwritev2 with the same RWF_* flag and the same EAGAIN fallback; io_uring with
 * the same depth, submission-order window, registered buffers and files, each batch
 * drained), the same deadline check once per batch, run like mmbench's worker in a
 * thread of its own; no per-operation timing, histogram, counter, checkpoint or indirect
 * call. (The thread
 * matters: once a process has a second thread, glibc's pread and pwrite take their
 * cancellable path, about 50 more instructions per call. mmbench always has one, so the
 * bare loop has one too, and the comparison measures instrumentation only.)
 * bench/overhead compares mmbench against it. Prints one JSON line:
 * {"mib_s": ..., "ops": ..., "seconds": ..., "checksum": "..."}.
 *
 * usage: mmbench-bare --backend mmap|pread|read|preadv2|io_uring --pattern sequential|random
 *                     --op read|write --file PATH --block-size BYTES --duration-ms MS
 *                     [--seed N] [--ops N] [--rwf none|nowait|hipri|dontcache]
 *                     [--iodepth N] [--fixed-buffers] [--fixed-files]
 * --ops stops after N operations (rounded up to a batch) instead of at the deadline. */
#include "build_config.h"
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
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#if MMBENCH_HAVE_LIBURING
#include <liburing.h>
#endif

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif
#ifndef RWF_DONTCACHE
#define RWF_DONTCACHE 0x00000080
#endif

#define BATCH 256 /* as PHASE_BATCH_OPS */

enum bare_backend { BARE_MMAP, BARE_PREAD, BARE_READ, BARE_PREADV2, BARE_IO_URING };
static const char *const backend_names[] = {"mmap", "pread", "read", "preadv2", "io_uring", NULL};

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
    enum bare_backend backend;
    uint64_t position; /* read: the file offset */
    int rwf;           /* preadv2: RWF_* */
#if MMBENCH_HAVE_LIBURING
    struct io_uring ring;
    unsigned iodepth;
    unsigned window;       /* slots: a power of two, 2 x iodepth up to a batch */
    unsigned char *bufs;   /* window x buffer_bytes */
    uint64_t buffer_bytes; /* block rounded up to 4 KiB */
    bool fixed_buffers;
    int file; /* fd, or 0 with registered files */
    unsigned char sqe_flags;
#endif
    uint64_t max_ops;  /* 0: until the deadline */
    uint64_t done;     /* out: operations */
    uint64_t checksum; /* out */
    uint64_t end_ns;   /* out */
};

#if MMBENCH_HAVE_LIBURING
/* Queues the rest of slot i's transfer (bytes done so far: done). */
static inline void uring_queue(struct bare *b, const uint64_t *slot_op, unsigned i, uint64_t done)
{
    struct io_uring_sqe *sqe;
    while (!(sqe = io_uring_get_sqe(&b->ring)))
        ;
    const uint64_t off = (slot_op[i] & ~OFFSETS_WRITE_FLAG) + done;
    const unsigned len = (unsigned)(b->block - done);
    if (slot_op[i] & OFFSETS_WRITE_FLAG) {
        if (b->fixed_buffers)
            io_uring_prep_write_fixed(sqe, b->file, b->wbuf + done, len, off, (int)b->window);
        else
            io_uring_prep_write(sqe, b->file, b->wbuf + done, len, off);
    } else {
        unsigned char *buf = b->bufs + i * b->buffer_bytes + done;
        if (b->fixed_buffers)
            io_uring_prep_read_fixed(sqe, b->file, buf, len, off, (int)i);
        else
            io_uring_prep_read(sqe, b->file, buf, len, off);
    }
    sqe->flags |= b->sqe_flags;
    sqe->user_data = i;
}

/* One operation at a time (iodepth 1), as mmbench runs it: one io_uring_enter each. */
static inline int uring_one(struct bare *b, uint64_t off, bool is_write)
{
    uint64_t slot_op[1] = {off | (is_write ? OFFSETS_WRITE_FLAG : 0)};
    for (uint64_t done = 0; done < b->block;) {
        uring_queue(b, slot_op, 0, done);
        int ret;
        while ((ret = io_uring_submit_and_wait(&b->ring, 1)) == -EINTR)
            ;
        if (ret < 0)
            return -1;
        struct io_uring_cqe *cqe = &b->ring.cq.cqes[*b->ring.cq.khead & b->ring.cq.ring_mask];
        int res = cqe->res;
        io_uring_cq_advance(&b->ring, 1);
        if (res <= 0)
            return -1;
        done += (uint64_t)res;
    }
    return 0;
}

/* One batch, as mmbench's io_uring backend runs it: at most iodepth in flight, a window
 * of 2 x iodepth slots, folded in submission order, drained before it returns. */
static inline int uring_batch(struct bare *b, const uint64_t *ops, size_t n, uint64_t *checksum)
{
    uint64_t slot_op[BATCH], slot_done[BATCH];
    bool slot_complete[BATCH];
    const unsigned mask = b->window - 1;
    size_t head = 0, tail = 0;
    unsigned in_flight = 0, queued = 0;
    while (head < n) {
        while (tail < n && in_flight < b->iodepth && tail - head <= mask) {
            unsigned i = (unsigned)(tail & mask);
            slot_op[i] = ops[tail];
            slot_done[i] = 0;
            slot_complete[i] = false;
            uring_queue(b, slot_op, i, 0);
            queued++;
            in_flight++;
            tail++;
        }
        bool wait = io_uring_cq_ready(&b->ring) == 0;
        if (queued || wait) {
            int ret = io_uring_submit_and_wait(&b->ring, wait ? 1 : 0);
            if (ret < 0 && ret != -EINTR)
                return -1;
            if (ret > 0)
                queued -= (unsigned)ret < queued ? (unsigned)ret : queued;
        }
        unsigned reaped = 0, cq_head;
        struct io_uring_cqe *cqe;
        io_uring_for_each_cqe(&b->ring, cq_head, cqe)
        {
            reaped++;
            unsigned i = (unsigned)cqe->user_data;
            if (cqe->res <= 0)
                return -1;
            slot_done[i] += (uint64_t)cqe->res;
            if (slot_done[i] < b->block) {
                uring_queue(b, slot_op, i, slot_done[i]);
                queued++;
                continue;
            }
            slot_complete[i] = true;
            in_flight--;
        }
        io_uring_cq_advance(&b->ring, reaped);
        while (head < tail && slot_complete[head & mask]) {
            if (!(slot_op[head & mask] & OFFSETS_WRITE_FLAG))
                *checksum =
                    prng_rotl(*checksum, 7) +
                    loop_fold(b->bufs + (head & mask) * b->buffer_bytes, b->block, ACCESS_COPY);
            head++;
        }
    }
    return 0;
}
#endif

/* One transfer through a descriptor, completed across short ones. */
static inline int transfer(struct bare *b, unsigned char *buf, uint64_t off, bool is_write)
{
    const uint64_t block = b->block;
    int flags = b->rwf;
    if (b->backend == BARE_READ && b->position != off) {
        if (lseek(b->fd, (off_t)off, SEEK_SET) < 0)
            return -1;
    }
    for (uint64_t d = 0; d < block;) {
        ssize_t n;
        struct iovec iov = {buf + d, block - d};
        switch (b->backend) {
        case BARE_READ:
            n = is_write ? write(b->fd, buf + d, block - d) : read(b->fd, buf + d, block - d);
            break;
        case BARE_PREADV2:
            n = is_write ? pwritev2(b->fd, &iov, 1, (off_t)(off + d), flags)
                         : preadv2(b->fd, &iov, 1, (off_t)(off + d), flags);
            if (n < 0 && errno == EAGAIN && (flags & RWF_NOWAIT)) {
                flags &= ~RWF_NOWAIT;
                continue;
            }
            break;
#if MMBENCH_HAVE_LIBURING
        case BARE_IO_URING:
            return uring_one(b, off, is_write);
#endif
        default:
            n = is_write ? pwrite(b->fd, buf + d, block - d, (off_t)(off + d))
                         : pread(b->fd, buf + d, block - d, (off_t)(off + d));
            break;
        }
        if (n <= 0)
            return -1;
        d += (uint64_t)n;
    }
    b->position = off + block;
    return 0;
}

static __attribute__((noinline)) int bare_loop(struct bare *b, uint64_t deadline_ns)
{
    uint64_t ops[BATCH], checksum = 0, done = 0, end;
    const uint64_t block = b->block;
    for (;;) {
        offsets_fill(b->offsets, ops, BATCH);
#if MMBENCH_HAVE_LIBURING
        if (b->backend == BARE_IO_URING && b->iodepth > 1) {
            if (uring_batch(b, ops, BATCH, &checksum) < 0)
                return -1;
        } else
#endif
            for (size_t i = 0; i < BATCH; i++) {
                uint64_t off = ops[i] & ~OFFSETS_WRITE_FLAG;
                if (b->write) {
                    if (b->backend == BARE_MMAP)
                        memcpy(b->map + off, b->wbuf, block);
                    else if (transfer(b, (unsigned char *)b->wbuf, off, true) < 0)
                        return -1;
                } else {
                    if (b->backend == BARE_MMAP)
                        memcpy(b->buf, b->map + off, block);
                    else if (transfer(b, b->buf, off, false) < 0)
                        return -1;
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
    fprintf(stderr, "usage: mmbench-bare --backend mmap|pread|read|preadv2|io_uring "
                    "--pattern sequential|random --op read|write --file PATH --block-size BYTES "
                    "--duration-ms MS [--seed N] [--ops N] [--rwf none|nowait|hipri|dontcache] "
                    "[--iodepth N] [--fixed-buffers] [--fixed-files]\n");
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
        {"rwf", required_argument, NULL, 'r'},
        {"iodepth", required_argument, NULL, 'q'},
        {"fixed-buffers", no_argument, NULL, 'B'},
        {"fixed-files", no_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    const char *backend = NULL, *path = NULL, *rwf = "none";
    bool random = true, write = false, fixed_buffers = false, fixed_files = false;
    uint64_t block = 4096, duration_ms = 1000, seed = 1, max_ops = 0, iodepth = 1;
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
        case 'r':
            rwf = optarg;
            break;
        case 'q':
            iodepth = strtoull(optarg, NULL, 10);
            break;
        case 'B':
            fixed_buffers = true;
            break;
        case 'F':
            fixed_files = true;
            break;
        default:
            return usage();
        }
    }
    int kind = -1;
    for (int i = 0; backend && backend_names[i]; i++)
        if (strcmp(backend, backend_names[i]) == 0)
            kind = i;
    int flags = strcmp(rwf, "nowait") == 0      ? RWF_NOWAIT
                : strcmp(rwf, "hipri") == 0     ? RWF_HIPRI
                : strcmp(rwf, "dontcache") == 0 ? RWF_DONTCACHE
                : strcmp(rwf, "none") == 0      ? 0
                                                : -1;
    if (kind < 0 || !path || block < 8 || block % 8 || flags < 0 || iodepth < 1 || iodepth > BATCH)
        return usage();
#if !MMBENCH_HAVE_LIBURING
    if (kind == BARE_IO_URING) {
        fprintf(stderr, "mmbench-bare: built without liburing\n");
        return 2;
    }
#endif
    bool use_mmap = kind == BARE_MMAP;
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
        .backend = (enum bare_backend)kind,
        .rwf = flags,
        .max_ops = max_ops,
    };
#if MMBENCH_HAVE_LIBURING
    if (kind == BARE_IO_URING) {
        /* As mmbench: set up by the main thread, used by the loop's. */
        struct io_uring_params params;
        memset(&params, 0, sizeof(params));
#ifdef IORING_SETUP_COOP_TASKRUN
        params.flags = IORING_SETUP_COOP_TASKRUN;
#endif
        int ret = io_uring_queue_init_params((unsigned)iodepth, &bare.ring, &params);
        if (ret < 0) {
            errno = -ret;
            return fail("io_uring_queue_init");
        }
        bare.iodepth = (unsigned)iodepth;
        bare.window = 1;
        while (bare.window < 2 * iodepth && bare.window < BATCH)
            bare.window <<= 1;
        bare.buffer_bytes = (block + 4095) / 4096 * 4096;
        bare.bufs = aligned_alloc(4096, bare.window * bare.buffer_bytes);
        if (!bare.bufs)
            return fail("aligned_alloc");
        memset(bare.bufs, 0, bare.window * bare.buffer_bytes);
        bare.buf = bare.bufs; /* iodepth 1 reads into slot 0 and folds it */
        bare.file = fd;
        if (fixed_files) {
            if ((ret = io_uring_register_files(&bare.ring, &fd, 1)) < 0) {
                errno = -ret;
                return fail("io_uring_register_files");
            }
            bare.file = 0;
            bare.sqe_flags = IOSQE_FIXED_FILE;
        }
        if (fixed_buffers) {
            struct iovec iov[BATCH + 1];
            for (unsigned i = 0; i < bare.window; i++)
                iov[i] = (struct iovec){bare.bufs + i * bare.buffer_bytes, bare.buffer_bytes};
            iov[bare.window] = (struct iovec){wbuf, block};
            if ((ret = io_uring_register_buffers(&bare.ring, iov, bare.window + 1)) < 0) {
                errno = -ret;
                return fail("io_uring_register_buffers");
            }
            bare.fixed_buffers = true;
        }
    }
#else
    (void)fixed_buffers, (void)fixed_files;
#endif
    uint64_t start = now_ns();
    struct bare_thread thread = {.bare = &bare, .deadline_ns = start + duration_ms * 1000000ULL};
    pthread_t tid;
    if (pthread_create(&tid, NULL, bare_thread_main, &thread) != 0)
        return fail("pthread_create");
    pthread_join(tid, NULL);
    if (thread.ret < 0)
        return fail(backend);
    uint64_t end = bare.end_ns, done = bare.done, checksum = bare.checksum;
    double seconds = (double)(end - start) / 1e9;
    printf("{\"mib_s\": %.3f, \"ops\": %llu, \"seconds\": %.6f, \"checksum\": \"%016llx\"}\n",
           (double)(done * block) / 1048576.0 / seconds, (unsigned long long)done, seconds,
           (unsigned long long)checksum);
    return 0;
}
