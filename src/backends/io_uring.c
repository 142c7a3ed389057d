/* The io_uring backend: reads and writes through an io_uring of each worker's own
 * (liburing), up to iodepth at a time, optionally with registered buffers and files
 * (fixed_buffers, fixed_files) and a kernel thread polling the submission queue (sqpoll).
 * With iodepth 1 it does what pread does, one operation per io_uring_enter.
 *
 * Order. Completions arrive in any order; the checksum is folded in submission order, as
 * every backend folds it. A worker keeps a window of slots over the batch (2 x iodepth,
 * a power of two, at most the batch), each with a buffer of its own: an operation is
 * queued while fewer than iodepth are in flight and the window has room, and the oldest
 * is retired (folded) once it completed. When the oldest is slow, the window fills and
 * fewer than iodepth may be in flight: counted (window_waits).
 *
 * Batches. run_batch returns only when every operation it was given completed: nothing
 * is in flight when the runner flushes (so a flush comes after every earlier write
 * completed), takes a checkpoint, checks the deadline or stops, and the phase time covers
 * every operation it counts. The price is that the queue drains at the end of each batch
 * (PHASE_BATCH_OPS operations), which is why iodepth is at most one batch. After an
 * error, what is in flight is still waited for before run_batch returns.
 *
 * Transfers. res < 0 is the error; a short transfer is completed by submitting the rest
 * (counted: resubmits); a read that returns 0 before the end is an error (the file shrank).
 *
 * System calls, all counted. Without sqpoll, each io_uring_enter submits what is queued
 * and waits for one completion unless one is already posted; posted completions are
 * reaped without a call. With sqpoll the kernel thread submits, and the worker polls the
 * completion queue without system calls (as fio's sqthread_poll): a call is made only to
 * wake the thread after it slept (sq_thread_idle, 1 s), counted when the worker saw the
 * thread asleep. The kernel thread's CPU time is not in the workers' times.
 *
 * Latency: from the io_uring_enter (sqpoll: the publication) that submitted an operation
 * to the reaping of its completion; operations submitted by one call share its start,
 * operations reaped together share their end.
 *
 * Built only with liburing; without it the backend is listed but cannot run (its keys
 * are still known, so configs and docs do not depend on the build). */
#include "backend.h"
#include "build_config.h"
#include "log.h"
#include "loop.h"
#include "phase.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if MMBENCH_HAVE_LIBURING
#include <liburing.h>
#include <sys/uio.h>
#endif

#define URING_DEPTH_MAX PHASE_BATCH_OPS /* every batch completes before run_batch returns */

/* The keys only this backend has (its slot of workload.options). */
struct uring_options {
    uint32_t iodepth;
    bool fixed_buffers;
    bool fixed_files;
    bool sqpoll;
};
BACKEND_OPTIONS_FIT(struct uring_options);

#define O(field) offsetof(struct uring_options, field)
static const struct param_def uring_params[] = {
    {.name = "iodepth",
     .column = "iodepth",
     .type = PARAM_COUNT32,
     .offset = O(iodepth),
     .min = 1,
     .max = URING_DEPTH_MAX,
     .default_text = "1",
     .group = "Backends",
     .doc = "operations each worker keeps in flight (1: one at a time, as pread); at most 256, "
            "the runner's batch, since each batch completes before the next starts"},
    {.name = "fixed_buffers",
     .column = "fixed_buffers",
     .type = PARAM_BOOL,
     .offset = O(fixed_buffers),
     .default_text = "false",
     .group = "Backends",
     .doc = "register the buffers (IORING_OP_READ_FIXED, _WRITE_FIXED), as fio's "
            "`fixedbufs`; they count against RLIMIT_MEMLOCK where the kernel charges it"},
    {.name = "fixed_files",
     .column = "fixed_files",
     .type = PARAM_BOOL,
     .offset = O(fixed_files),
     .default_text = "false",
     .group = "Backends",
     .doc = "register the file (IOSQE_FIXED_FILE), as fio's `registerfiles`"},
    {.name = "sqpoll",
     .column = "sqpoll",
     .type = PARAM_BOOL,
     .offset = O(sqpoll),
     .default_text = "false",
     .group = "Backends",
     .doc = "a kernel thread per worker polls the submission queue "
            "(IORING_SETUP_SQPOLL; Linux 5.11+ without CAP_SYS_ADMIN) and the worker polls "
            "the completions, as fio's `sqthread_poll`: two CPUs busy per worker"},
};
#undef O

enum {
    COUNTER_ENTER_CALLS,
    COUNTER_COMPLETIONS,
    COUNTER_RESUBMITS,
    COUNTER_WINDOW_WAITS,
};

static const struct backend_counter uring_counters[] = {
    [COUNTER_ENTER_CALLS] = {"enter_calls", "io_uring_enter() calls (submissions, waits and "
                                            "sqpoll wake-ups); completions per call is "
                                            "completions / enter_calls"},
    [COUNTER_COMPLETIONS] = {"completions", "completions reaped (operations and resubmits)"},
    [COUNTER_RESUBMITS] = {"resubmits", "short transfers whose rest was submitted again"},
    [COUNTER_WINDOW_WAITS] = {"window_waits",
                              "times fewer than iodepth operations could be in flight because "
                              "the oldest had not completed and the window was full"},
};

#if MMBENCH_HAVE_LIBURING

static const struct uring_options *options_of(const struct workload *w)
{
    return workload_options(w, (unsigned)backend_index(&backend_io_uring));
}

static int uring_available(char *err, size_t len)
{
    struct io_uring ring;
    int ret = io_uring_queue_init(1, &ring, 0);
    if (ret < 0) {
        char disabled[32] = "";
        FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "re");
        if (f) {
            int value = 0;
            if (fscanf(f, "%d", &value) == 1 && value != 0)
                snprintf(disabled, sizeof(disabled), "%d", value);
            fclose(f);
        }
        snprintf(err, len, "io_uring_setup: %s%s%s%s", strerror(-ret),
                 ret == -ENOSYS ? " (this kernel has no io_uring)" : "",
                 ret == -EPERM && disabled[0] ? " (sysctl kernel.io_uring_disabled is " : "",
                 ret == -EPERM && disabled[0] ? disabled : "");
        if (ret == -EPERM && disabled[0])
            snprintf(err + strlen(err), len - strlen(err), ")");
        else if (ret == -EPERM)
            snprintf(err + strlen(err), len - strlen(err),
                     " (a seccomp filter, as in many containers, refuses it)");
        return -ENOTSUP;
    }
    struct io_uring_probe *probe = io_uring_get_probe_ring(&ring);
    bool ok = probe && io_uring_opcode_supported(probe, IORING_OP_READ) &&
              io_uring_opcode_supported(probe, IORING_OP_WRITE) &&
              io_uring_opcode_supported(probe, IORING_OP_READ_FIXED) &&
              io_uring_opcode_supported(probe, IORING_OP_WRITE_FIXED);
    if (probe)
        io_uring_free_probe(probe);
    io_uring_queue_exit(&ring);
    if (!ok) {
        snprintf(err, len, "this kernel's io_uring lacks IORING_OP_READ and _WRITE (Linux 5.6+)");
        return -ENOTSUP;
    }
    return 0;
}

/* Whether this process may create an SQPOLL ring (asked once). */
static int sqpoll_allowed(char *err, size_t len)
{
    static int result = 1; /* 1: not asked yet */
    static char why[160];
    if (result == 1) {
        struct io_uring ring;
        result = io_uring_queue_init(1, &ring, IORING_SETUP_SQPOLL);
        if (result == 0)
            io_uring_queue_exit(&ring);
        else
            snprintf(why, sizeof(why), "sqpoll: io_uring_setup(IORING_SETUP_SQPOLL): %s%s",
                     strerror(-result),
                     result == -EPERM ? " (before Linux 5.11 it needs CAP_SYS_ADMIN)" : "");
    }
    if (result < 0) {
        snprintf(err, len, "%s", why);
        return -ENOTSUP;
    }
    return 0;
}

static int uring_check(const struct workload *w, const void *opts, char *err, size_t len)
{
    (void)w;
    const struct uring_options *o = opts;
    return o->sqpoll ? sqpoll_allowed(err, len) : 0;
}

struct uring_state {
    int fd;                /* the backend's descriptor (backend_open_fd), shared by the rings */
    unsigned iodepth;      /* operations in flight per worker, at most */
    unsigned window;       /* slots per worker: a power of two, 2 x iodepth up to a batch */
    uint64_t buffer_bytes; /* per slot: block_size rounded up to 4 KiB (O_DIRECT) */
    bool fixed_buffers;    /* registered buffers */
    bool fixed_files;      /* the descriptor registered */
    bool sqpoll;           /* a kernel thread submits */
};

/* One operation of the window. */
struct uring_slot {
    uint64_t offset_bytes; /* where the operation starts in the file */
    uint64_t done_bytes;   /* transferred so far */
    uint64_t submit_tick;  /* timer ticks when it was submitted, if timed */
    bool write;            /* a write of the runner's write buffer, else a read into the slot's */
    bool complete;         /* done: may be retired */
    bool timed;            /* its latency goes into the histogram */
};

struct uring_worker {
    struct io_uring ring;
    bool ring_ready;          /* ring set up: exit it on close */
    bool buffers_busy;        /* an operation may still be in flight: never free the buffers */
    struct uring_slot *slots; /* the window, indexed by operation number & (window - 1) */
    unsigned char *buffers;   /* window x buffer_bytes, page-aligned */
    int file;                 /* the descriptor, or 0 in the registered files */
    unsigned sqe_flags;       /* IOSQE_FIXED_FILE with fixed_files */
};

static int uring_open(const struct workload *w, int fd, const char *label, void **state, char *note)
{
    const struct uring_options *o = options_of(w);
    struct uring_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    st->fd = backend_open_fd(w, fd, label);
    if (st->fd < 0) {
        int ret = st->fd;
        free(st);
        return ret;
    }
    st->iodepth = o->iodepth;
    st->window = 1;
    while (st->window < 2 * o->iodepth && st->window < URING_DEPTH_MAX)
        st->window <<= 1;
    st->buffer_bytes = (w->block_size_bytes + 4095) / 4096 * 4096;
    st->fixed_buffers = o->fixed_buffers;
    st->fixed_files = o->fixed_files;
    st->sqpoll = o->sqpoll;
    if (o->sqpoll)
        snprintf(note, BACKEND_NOTE_MAX,
                 "sqpoll: the kernel submission threads' CPU time is "
                 "not in the workers' user and system times");
    *state = st;
    return 0;
}

static void uring_worker_close(void *state, struct worker_io *io)
{
    (void)state;
    struct uring_worker *uw = io->backend_worker;
    if (!uw)
        return;
    if (uw->ring_ready)
        io_uring_queue_exit(&uw->ring);
    if (!uw->buffers_busy)
        free(uw->buffers); /* else leaked: the kernel may still write into them */
    free(uw->slots);
    free(uw);
    io->backend_worker = NULL;
}

/* Registers the slots' buffers (indexes 0..window-1) and the runner's write buffer
 * (index window). */
static int register_buffers(struct uring_state *st, struct uring_worker *uw, struct worker_io *io)
{
    struct iovec *iov = calloc(st->window + 1, sizeof(*iov));
    if (!iov)
        return -ENOMEM;
    for (unsigned i = 0; i < st->window; i++)
        iov[i] = (struct iovec){uw->buffers + i * st->buffer_bytes, st->buffer_bytes};
    /* The kernel only reads the write buffer; iovec has no const. */
    iov[st->window] = (struct iovec){(void *)io->write_buf, io->block_size_bytes};
    int ret = io_uring_register_buffers(&uw->ring, iov, st->window + 1);
    free(iov);
    if (ret < 0)
        log_error("io_uring_register_buffers(%u buffers of %llu bytes): %s%s", st->window + 1,
                  (unsigned long long)st->buffer_bytes, strerror(-ret),
                  ret == -ENOMEM ? " (registered buffers count against RLIMIT_MEMLOCK: raise "
                                   "it with ulimit -l, or set fixed_buffers: false)"
                                 : "");
    return ret;
}

static int uring_worker_open(void *state, struct worker_io *io)
{
    struct uring_state *st = state;
    struct uring_worker *uw = calloc(1, sizeof(*uw));
    if (!uw)
        return -ENOMEM;
    io->backend_worker = uw;
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = st->sqpoll ? IORING_SETUP_SQPOLL : 0;
#ifdef IORING_SETUP_COOP_TASKRUN
    /* Completions need no interrupt of the worker: it reaps them when it enters. */
    p.flags |= IORING_SETUP_COOP_TASKRUN;
#endif
    const unsigned entries = st->sqpoll ? 2 * st->iodepth : st->iodepth; /* see get_entry */
    int ret = io_uring_queue_init_params(entries, &uw->ring, &p);
#ifdef IORING_SETUP_COOP_TASKRUN
    if (ret == -EINVAL) { /* before Linux 5.19 */
        p.flags &= ~(unsigned)IORING_SETUP_COOP_TASKRUN;
        ret = io_uring_queue_init_params(entries, &uw->ring, &p);
    }
#endif
    if (ret < 0) {
        log_error("io_uring_queue_init(%u entries%s): %s", entries,
                  st->sqpoll ? ", IORING_SETUP_SQPOLL" : "", strerror(-ret));
        goto fail;
    }
    uw->ring_ready = true;
    uw->slots = calloc(st->window, sizeof(*uw->slots));
    uw->buffers = aligned_alloc(4096, st->window * st->buffer_bytes);
    if (!uw->slots || !uw->buffers) {
        ret = -ENOMEM;
        log_error("io_uring worker buffers (%u of %llu bytes): %s", st->window,
                  (unsigned long long)st->buffer_bytes, strerror(ENOMEM));
        goto fail;
    }
    memset(uw->buffers, 0, st->window * st->buffer_bytes); /* faulted in now, not in the loop */
    uw->file = st->fd;
    if (st->fixed_files) {
        ret = io_uring_register_files(&uw->ring, &st->fd, 1);
        if (ret < 0) {
            log_error("io_uring_register_files: %s", strerror(-ret));
            goto fail;
        }
        uw->file = 0;
        uw->sqe_flags = IOSQE_FIXED_FILE;
    }
    if (st->fixed_buffers && (ret = register_buffers(st, uw, io)) < 0)
        goto fail;
    return 0;
fail:
    uring_worker_close(state, io);
    return ret;
}

/* What the data path needs, copied out of the state into locals so that the compiler
 * keeps them in registers (as loop.h's loop_ctx): the buffers are char * and would
 * otherwise force reloads after every store. */
struct uring_ctx {
    struct io_uring *ring;
    struct uring_slot *slots;
    unsigned char *buffers;         /* the slots' */
    const unsigned char *write_buf; /* the runner's */
    uint64_t block_bytes;
    uint64_t buffer_bytes;
    unsigned write_index; /* registered index of the write buffer */
    int file;
    unsigned char sqe_flags;
    bool fixed_buffers;
    bool sqpoll;
};

LOOP_INLINE struct uring_ctx uring_ctx_of(const struct uring_state *st, struct worker_io *io)
{
    struct uring_worker *uw = io->backend_worker;
    return (struct uring_ctx){
        .ring = &uw->ring,
        .slots = uw->slots,
        .buffers = uw->buffers,
        .write_buf = io->write_buf,
        .block_bytes = io->block_size_bytes,
        .buffer_bytes = st->buffer_bytes,
        .write_index = st->window,
        .file = uw->file,
        .sqe_flags = (unsigned char)uw->sqe_flags,
        .fixed_buffers = st->fixed_buffers,
        .sqpoll = st->sqpoll,
    };
}

LOOP_INLINE void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Queues a transfer of len bytes at offset, from the write buffer or into buf (buffer
 * index registered as index), tagged tag. The submission queue has room: each operation
 * in flight has at most one entry there, and it has iodepth entries; with sqpoll twice as
 * many, since the kernel thread may post an operation's completion before it moves the
 * queue's head past the entry (and the wait for that, below, is short). */
LOOP_INLINE void queue_transfer(const struct uring_ctx *c, bool write, unsigned char *buf,
                                unsigned index, uint64_t done, uint64_t offset, uint64_t tag)
{
    struct io_uring_sqe *sqe;
    while (__builtin_expect((sqe = io_uring_get_sqe(c->ring)) == NULL, 0))
        cpu_relax();
    const unsigned len = (unsigned)(c->block_bytes - done);
    if (write) {
        if (c->fixed_buffers)
            io_uring_prep_write_fixed(sqe, c->file, c->write_buf + done, len, offset + done,
                                      (int)c->write_index);
        else
            io_uring_prep_write(sqe, c->file, c->write_buf + done, len, offset + done);
    } else {
        if (c->fixed_buffers)
            io_uring_prep_read_fixed(sqe, c->file, buf + done, len, offset + done, (int)index);
        else
            io_uring_prep_read(sqe, c->file, buf + done, len, offset + done);
    }
    sqe->flags |= c->sqe_flags;
    sqe->user_data = tag;
}

/* System calls and counts of one batch, kept in registers and added to io at its end. */
struct uring_counts {
    uint64_t enter_calls;
    uint64_t completions;
    uint64_t resubmits;
    uint64_t window_waits;
};

LOOP_INLINE void uring_counts_add(struct worker_io *io, const struct uring_counts *n)
{
    io->syscalls += n->enter_calls;
    io->counters[COUNTER_ENTER_CALLS] += n->enter_calls;
    io->counters[COUNTER_COMPLETIONS] += n->completions;
    io->counters[COUNTER_RESUBMITS] += n->resubmits;
    io->counters[COUNTER_WINDOW_WAITS] += n->window_waits;
}

/* Hands the queued entries to the kernel and, when wait, waits for a completion. Returns
 * 0, or -errno with io->failed_call set. */
LOOP_INLINE int submit(const struct uring_ctx *c, struct worker_io *io, struct uring_counts *n,
                       unsigned *queued, bool wait)
{
    struct io_uring *ring = c->ring;
    if (c->sqpoll) {
        if (*queued) {
            /* liburing enters (to wake the thread) when it finds it asleep. */
            if (IO_URING_READ_ONCE(*ring->sq.kflags) & IORING_SQ_NEED_WAKEUP)
                n->enter_calls++;
            int ret = io_uring_submit(ring);
            if (ret < 0) {
                io->failed_call = "io_uring_enter(IORING_ENTER_SQ_WAKEUP)";
                return ret;
            }
            *queued = 0;
        }
        while (wait && !io_uring_cq_ready(ring))
            cpu_relax();
        return 0;
    }
    for (;;) {
        /* One io_uring_enter, whatever liburing 2.x version: something is queued or
         * waited for. */
        int ret = io_uring_submit_and_wait(ring, wait ? 1 : 0);
        n->enter_calls++;
        if (ret >= 0) {
            *queued -= (unsigned)ret < *queued ? (unsigned)ret : *queued;
            return 0;
        }
        if (ret == -EINTR)
            continue;
        if ((ret == -EAGAIN || ret == -EBUSY) && io_uring_cq_ready(ring))
            return 0; /* reap, then submit again */
        io->failed_call = "io_uring_enter";
        return ret;
    }
}

/* iodepth 1: one operation at a time in loop.h's loop, as pread (one io_uring_enter each,
 * which submits it and waits for it). */
LOOP_INLINE int transfer_one(struct uring_state *st, struct worker_io *io, unsigned char *buf,
                             uint64_t offset, bool write)
{
    const struct uring_ctx c = uring_ctx_of(st, io);
    struct uring_counts n = {0, 0, 0, 0};
    uint64_t done = 0;
    int ret = 0;
    while (done < c.block_bytes) {
        queue_transfer(&c, write, buf, 0, done, offset, 0);
        unsigned queued = 1;
        ret = submit(&c, io, &n, &queued, true);
        if (__builtin_expect(ret < 0, 0)) {
            /* Not taken by the kernel, or taken and not waited for. */
            ((struct uring_worker *)io->backend_worker)->buffers_busy = true;
            break;
        }
        struct io_uring_cqe *cqe = &c.ring->cq.cqes[*c.ring->cq.khead & c.ring->cq.ring_mask];
        const int res = cqe->res;
        io_uring_cq_advance(c.ring, 1);
        n.completions++;
        if (__builtin_expect(res <= 0, 0)) {
            ret = res < 0 ? res : write ? -EIO : -ENODATA;
            io->failed_call = write ? "io_uring write" : "io_uring read";
            break;
        }
        done += (uint64_t)res;
        if (__builtin_expect(done < c.block_bytes, 0))
            n.resubmits++;
    }
    /* Fewer stores than uring_counts_add: this runs once per operation. */
    io->syscalls += n.enter_calls;
    io->counters[COUNTER_ENTER_CALLS] += n.enter_calls;
    io->counters[COUNTER_COMPLETIONS] += n.completions;
    if (__builtin_expect(n.resubmits != 0, 0))
        io->counters[COUNTER_RESUBMITS] += n.resubmits;
    return ret;
}

LOOP_INLINE int uring_read_one(void *state, struct worker_io *io, const struct loop_ctx *ctx,
                               uint64_t offset, uint64_t *fold)
{
    struct uring_worker *uw = io->backend_worker;
    int ret = transfer_one(state, io, uw->buffers, offset, false);
    if (ret)
        return ret;
    *fold = loop_fold(uw->buffers, ctx->block_size_bytes, ctx->access);
    return 0;
}

LOOP_INLINE int uring_write_one(void *state, struct worker_io *io, const struct loop_ctx *ctx,
                                uint64_t offset)
{
    (void)ctx;
    return transfer_one(state, io, NULL, offset, true);
}

LOOP_DEFINE_RUN_BATCH(uring_run_batch_one, uring_read_one, uring_write_one)

/* iodepth > 1: the window (see the top of the file). */
LOOP_INLINE int uring_run(struct uring_state *st, struct worker_io *io, const uint64_t *ops,
                          size_t n, const enum latency_mode latency)
{
    const struct uring_ctx c = uring_ctx_of(st, io);
    struct uring_slot *slots = c.slots;
    const uint64_t block = c.block_bytes;
    const enum access_mode access = io->access;
    const unsigned depth = st->iodepth, mask = st->window - 1;
    struct uring_counts counts = {0, 0, 0, 0};
    uint64_t checksum = io->checksum;
    uint64_t dirty_lo = io->dirty_lo_bytes, dirty_hi = io->dirty_hi_bytes;
    uint64_t countdown = io->sample_countdown;
    size_t head = 0, tail = 0; /* ops[head, tail) are in the window, oldest first */
    unsigned in_flight = 0;    /* of those, not complete yet */
    unsigned queued = 0;       /* entries not yet handed to the kernel */
    int ret = 0;

    while (ret == 0 ? head < n : in_flight > 0) {
        const size_t first_new = tail;
        bool stamp = false;
        while (ret == 0 && tail < n && in_flight < depth && tail - head <= mask) {
            const unsigned i = (unsigned)(tail & mask);
            struct uring_slot *s = &slots[i];
            const uint64_t op = ops[tail];
            s->offset_bytes = op & ~OFFSETS_WRITE_FLAG;
            s->write = (op & OFFSETS_WRITE_FLAG) != 0;
            s->done_bytes = 0;
            s->complete = false;
            if (latency == LATENCY_ALL) {
                s->timed = stamp = true;
            } else if (latency == LATENCY_SAMPLE) {
                s->timed = --countdown == 0;
                if (s->timed) {
                    countdown = io->latency_sample_every;
                    stamp = true;
                }
            }
            if (s->write)
                loop_dirty_add(&dirty_lo, &dirty_hi, s->offset_bytes, block);
            queue_transfer(&c, s->write, c.buffers + i * c.buffer_bytes, i, 0, s->offset_bytes, i);
            queued++;
            in_flight++;
            tail++;
        }
        if (ret == 0 && tail < n && in_flight < depth)
            counts.window_waits++;
        if (latency != LATENCY_OFF && stamp) {
            const uint64_t t = timer_now();
            for (size_t k = first_new; k < tail; k++)
                slots[k & mask].submit_tick = t;
        }
        int e = submit(&c, io, &counts, &queued, io_uring_cq_ready(c.ring) == 0);
        if (__builtin_expect(e < 0, 0)) {
            /* What is in flight cannot be waited for. */
            ((struct uring_worker *)io->backend_worker)->buffers_busy = in_flight > 0;
            if (ret == 0) {
                ret = e;
                io->failed_offset_bytes = slots[head & mask].offset_bytes;
                io->failed_length_bytes = block;
            }
            break;
        }

        uint64_t t_reaped = 0;
        unsigned reaped = 0, cq_head;
        struct io_uring_cqe *cqe;
        io_uring_for_each_cqe(c.ring, cq_head, cqe)
        {
            reaped++;
            const unsigned i = (unsigned)cqe->user_data;
            struct uring_slot *s = &slots[i];
            const uint64_t left = block - s->done_bytes;
            if (__builtin_expect(cqe->res <= 0 || (uint64_t)cqe->res > left, 0)) {
                if (ret == 0) {
                    ret = cqe->res < 0 ? cqe->res : s->write ? -EIO : -ENODATA;
                    io->failed_call = s->write ? "io_uring write" : "io_uring read";
                    io->failed_offset_bytes = s->offset_bytes + s->done_bytes;
                    io->failed_length_bytes = left;
                }
                s->complete = true;
                in_flight--;
                continue;
            }
            if (__builtin_expect((uint64_t)cqe->res < left, 0)) {
                s->done_bytes += (uint64_t)cqe->res;
                counts.resubmits++;
                queue_transfer(&c, s->write, c.buffers + i * c.buffer_bytes, i, s->done_bytes,
                               s->offset_bytes, i);
                queued++;
                continue;
            }
            s->complete = true;
            in_flight--;
            if (latency != LATENCY_OFF && s->timed) {
                if (!t_reaped)
                    t_reaped = timer_now();
                hist_add(io->latency_hist, timer_to_ns(t_reaped - s->submit_tick));
            }
        }
        io_uring_cq_advance(c.ring, reaped);
        counts.completions += reaped;

        for (; head < tail && slots[head & mask].complete; head++)
            if (!slots[head & mask].write)
                checksum = loop_checksum_add(
                    checksum, loop_fold(c.buffers + (head & mask) * c.buffer_bytes, block, access));
    }
    uring_counts_add(io, &counts);
    io->checksum = checksum;
    io->dirty_lo_bytes = dirty_lo;
    io->dirty_hi_bytes = dirty_hi;
    io->sample_countdown = countdown;
    return ret;
}

/* One specialised loop per latency mode and depth, as loop.h makes them. */
static int uring_run_batch(void *state, struct worker_io *io, const uint64_t *ops, size_t n)
{
    struct uring_state *st = state;
    if (st->iodepth == 1)
        return uring_run_batch_one(state, io, ops, n);
    switch (io->latency) {
    case LATENCY_OFF:
        return uring_run(state, io, ops, n, LATENCY_OFF);
    case LATENCY_SAMPLE:
        return uring_run(state, io, ops, n, LATENCY_SAMPLE);
    case LATENCY_ALL:
    default:
        return uring_run(state, io, ops, n, LATENCY_ALL);
    }
}

static int uring_flush(void *state, struct worker_io *io, enum sync_mode mode, uint64_t offset,
                       uint64_t length)
{
    struct uring_state *st = state;
    return backend_flush_fd(st->fd, io, mode, offset, length);
}

static void uring_close(void *state)
{
    struct uring_state *st = state;
    close(st->fd);
    free(st);
}

#else /* without liburing: listed, documented, refused */

static int uring_available(char *err, size_t len)
{
    snprintf(err, len,
             "this mmbench was built without liburing (install liburing-dev, e.g. "
             "with scripts/install-deps, and build again)");
    return -ENOTSUP;
}

static int uring_check(const struct workload *w, const void *opts, char *err, size_t len)
{
    (void)w;
    (void)opts;
    return uring_available(err, len);
}

static int uring_open(const struct workload *w, int fd, const char *label, void **state, char *note)
{
    (void)w, (void)fd, (void)label, (void)state, (void)note;
    return -ENOTSUP;
}

static int uring_run_batch(void *state, struct worker_io *io, const uint64_t *ops, size_t n)
{
    (void)state, (void)io, (void)ops, (void)n;
    return -ENOTSUP;
}

static int uring_flush(void *state, struct worker_io *io, enum sync_mode mode, uint64_t offset,
                       uint64_t length)
{
    (void)state, (void)io, (void)mode, (void)offset, (void)length;
    return -ENOTSUP;
}

static void uring_close(void *state)
{
    (void)state;
}

#define uring_worker_open  NULL
#define uring_worker_close NULL

#endif

const struct backend_ops backend_io_uring = {
    .name = "io_uring",
    .caps = BACKEND_CAP_DESCRIPTOR,
    .description = "io_uring reads and writes (liburing), iodepth in flight, optionally "
                   "registered buffers and files and SQPOLL; fdatasync or sync_file_range to "
                   "flush",
    .params = uring_params,
    .n_params = sizeof(uring_params) / sizeof(uring_params[0]),
    .counters = uring_counters,
    .n_counters = sizeof(uring_counters) / sizeof(uring_counters[0]),
    .available = uring_available,
    .check = uring_check,
    .open = uring_open,
    .worker_open = uring_worker_open,
    .worker_close = uring_worker_close,
    .run_batch = uring_run_batch,
    .flush = uring_flush,
    .close = uring_close,
    .flush_call = backend_flush_fd_call,
};
