/* The timed loop, written once and specialised per backend.
 *
 * Each backend's run_batch calls loop_run() with its own read and write operations and
 * a constant latency mode. loop_run is always inlined, so every backend gets its own
 * copy of the loop with the operations inlined into it: no indirect call, allocation,
 * lock or formatted output per operation (bench/ and the disassembly check it).
 *
 * Checksum: every read folds the block into a 64-bit value, and the worker's checksum
 * becomes rotl(checksum, 7) + fold, so both the data and the order of operations count.
 * With access "checksum" the fold is the sum of all 64-bit little-endian words of the
 * block; with "copy" it is the sum of the first and the last word of the copied block.
 * Every backend folds identically (a backend with a loop of its own, such as io_uring's,
 * folds in submission order with loop_checksum_add), so the same offset stream gives the
 * same checksum. */
#ifndef MMBENCH_LOOP_H
#define MMBENCH_LOOP_H

#include "backend.h"
#include "hist.h"
#include "offsets.h"
#include "prng.h"
#include "timer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LOOP_INLINE static inline __attribute__((always_inline))

/* What the operations need, copied out of worker_io so the compiler can keep it in
 * registers (the buffers are char * and would otherwise force reloads). */
struct loop_ctx {
    uint64_t block_size_bytes;
    unsigned char *read_buf;
    const unsigned char *write_buf;
    enum access_mode access;
};

typedef int (*loop_read_fn)(void *state, struct worker_io *io, const struct loop_ctx *ctx,
                            uint64_t offset_bytes, uint64_t *fold);
typedef int (*loop_write_fn)(void *state, struct worker_io *io, const struct loop_ctx *ctx,
                             uint64_t offset_bytes);

LOOP_INLINE uint64_t loop_load_word(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    return w;
}

/* The fold of one block (see above). */
LOOP_INLINE uint64_t loop_fold(const unsigned char *block, uint64_t len, enum access_mode access)
{
    if (access == ACCESS_COPY)
        return loop_load_word(block) + loop_load_word(block + len - 8);
    uint64_t a = 0, b = 0, c = 0, d = 0;
    uint64_t i = 0;
    for (; i + 32 <= len; i += 32) {
        a += loop_load_word(block + i);
        b += loop_load_word(block + i + 8);
        c += loop_load_word(block + i + 16);
        d += loop_load_word(block + i + 24);
    }
    for (; i < len; i += 8)
        a += loop_load_word(block + i);
    return a + b + c + d;
}

/* The operations until the next timed one with latency "sample": uniform in
 * [every/2, every/2 + every), one in every on average, so that a period in the workload
 * (a flush every 64 operations) cannot line up with the samples. Cold path. */
static inline uint64_t loop_sample_gap(uint64_t *rng, uint64_t every)
{
    *rng ^= *rng << 13; /* xorshift64 */
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    uint64_t gap = every / 2 + *rng % every;
    return gap ? gap : 1;
}

/* The checksum after one more read whose block folded to fold. */
LOOP_INLINE uint64_t loop_checksum_add(uint64_t checksum, uint64_t fold)
{
    return prng_rotl(checksum, 7) + fold;
}

/* Widens the range written since the last flush, [*lo, *hi), by a block at offset. */
LOOP_INLINE void loop_dirty_add(uint64_t *lo, uint64_t *hi, uint64_t offset, uint64_t block)
{
    *lo = offset < *lo ? offset : *lo;
    *hi = offset + block > *hi ? offset + block : *hi;
}

/* One operation of a batch: the read (its block folded into *checksum) or the write (its
 * block added to the dirty range). On failure records where and returns the error. */
LOOP_INLINE int loop_one(void *state, struct worker_io *io, const struct loop_ctx *ctx, uint64_t op,
                         uint64_t *checksum, uint64_t *dirty_lo, uint64_t *dirty_hi,
                         loop_read_fn read_op, loop_write_fn write_op)
{
    const uint64_t offset = op & ~OFFSETS_WRITE_FLAG;
    int ret;
    if (op & OFFSETS_WRITE_FLAG) {
        ret = write_op(state, io, ctx, offset);
        loop_dirty_add(dirty_lo, dirty_hi, offset, ctx->block_size_bytes);
    } else {
        uint64_t fold = 0;
        ret = read_op(state, io, ctx, offset, &fold);
        *checksum = loop_checksum_add(*checksum, fold);
    }
    if (__builtin_expect(ret != 0, 0)) {
        io->failed_offset_bytes = offset;
        io->failed_length_bytes = ctx->block_size_bytes;
    }
    return ret;
}

LOOP_INLINE int loop_run(void *state, struct worker_io *io, const uint64_t *ops, size_t n,
                         const enum latency_mode latency, loop_read_fn read_op,
                         loop_write_fn write_op)
{
    const struct loop_ctx ctx = {
        .block_size_bytes = io->block_size_bytes,
        .read_buf = io->read_buf,
        .write_buf = io->write_buf,
        .access = io->access,
    };
    struct hist *hist = io->latency_hist;
    uint64_t checksum = io->checksum;
    uint64_t dirty_lo = io->dirty_lo_bytes, dirty_hi = io->dirty_hi_bytes;
    uint64_t countdown = io->sample_countdown; /* >= 1: the countdown-th next op is timed */
    int ret = 0;

    if (latency == LATENCY_ALL) {
        uint64_t t_prev = timer_now();
        for (size_t i = 0; i < n; i++) {
            ret = loop_one(state, io, &ctx, ops[i], &checksum, &dirty_lo, &dirty_hi, read_op,
                           write_op);
            if (__builtin_expect(ret != 0, 0))
                break;
            /* One reading per operation: its end is the next one's start. */
            uint64_t t = timer_now();
            hist_add(hist, timer_to_ns(t - t_prev));
            t_prev = t;
        }
    } else {
        /* latency off, or sample: runs of untimed operations exactly as with latency off
         * (nothing per operation but the operation), each ended by one timed operation. */
        for (size_t i = 0; i < n && ret == 0;) {
            size_t stop = n;
            if (latency == LATENCY_SAMPLE && countdown - 1 < n - i)
                stop = i + (size_t)(countdown - 1);
            if (latency == LATENCY_SAMPLE)
                countdown -= stop - i;
            for (; i < stop; i++) {
                ret = loop_one(state, io, &ctx, ops[i], &checksum, &dirty_lo, &dirty_hi, read_op,
                               write_op);
                if (__builtin_expect(ret != 0, 0))
                    break;
            }
            if (latency != LATENCY_SAMPLE || ret != 0 || i == n)
                break;
            uint64_t t_start = timer_now();
            ret = loop_one(state, io, &ctx, ops[i++], &checksum, &dirty_lo, &dirty_hi, read_op,
                           write_op);
            hist_add(hist, timer_to_ns(timer_now() - t_start));
            countdown = loop_sample_gap(&io->sample_rng, io->latency_sample_every);
        }
    }
    io->checksum = checksum;
    io->dirty_lo_bytes = dirty_lo;
    io->dirty_hi_bytes = dirty_hi;
    io->sample_countdown = countdown;
    return ret;
}

/* The run_batch of a backend: one specialised loop per latency mode. */
#define LOOP_DEFINE_RUN_BATCH(fn_name, read_op, write_op)                                          \
    static int fn_name(void *state, struct worker_io *io, const uint64_t *ops, size_t n)           \
    {                                                                                              \
        switch (io->latency) {                                                                     \
        case LATENCY_OFF:                                                                          \
            return loop_run(state, io, ops, n, LATENCY_OFF, read_op, write_op);                    \
        case LATENCY_SAMPLE:                                                                       \
            return loop_run(state, io, ops, n, LATENCY_SAMPLE, read_op, write_op);                 \
        case LATENCY_ALL:                                                                          \
        default:                                                                                   \
            return loop_run(state, io, ops, n, LATENCY_ALL, read_op, write_op);                    \
        }                                                                                          \
    }

#endif
