/* Offset streams: the sequence of operations a worker performs, identical for every
 * backend given the same parameters and seed.
 *
 * An operation is encoded in one uint64_t: the byte offset (a multiple of 8) with bit 0
 * set for a write. Offsets come from "slots": slot k is at region_offset + k * stride,
 * and there are (region_size - block_size) / stride + 1 of them, so that every operation
 * [offset, offset + block_size) lies inside the region.
 *
 *   sequential: slots start_slot, start_slot + 1, ... wrapping to 0 after the last.
 *   random uniform: prng_below(n_slots) (unbiased).
 *   random zipf: rank r ~ Zipf(zipf_theta) over n_slots by rejection-inversion (Hoermann
 *     and Derflinger 1996), scattered over the file by slot = (r * P) mod n_slots with
 *     P = 2^61 - 1 (a prime, so the scatter is a bijection): popular slots are spread out
 *     rather than packed at the start of the file.
 *   random hotset: with probability hotset_access_fraction a uniform slot among the first
 *     ceil(n_slots * hotset_fraction) slots (the hot set), otherwise one among the rest.
 * For readwrite, each operation draws once more from the generator and writes when the
 * draw is below write_fraction * 2^64. */
#ifndef MMBENCH_OFFSETS_H
#define MMBENCH_OFFSETS_H

#include "prng.h"
#include "workload.h"

#include <stddef.h>
#include <stdint.h>

#define OFFSETS_WRITE_FLAG 1ULL

struct offsets_params {
    enum pattern pattern;
    enum distribution distribution;
    uint64_t region_offset_bytes; /* first byte the stream may touch */
    uint64_t region_size_bytes;
    uint64_t block_size_bytes;
    uint64_t stride_bytes;
    enum op_mix op;
    double write_fraction; /* readwrite only */
    double zipf_theta;
    double hotset_fraction;
    double hotset_access_fraction;
    uint64_t start_slot; /* sequential: first slot (taken modulo n_slots) */
    uint64_t seed;
};

struct offsets {
    struct prng prng;
    enum pattern pattern;
    enum distribution distribution;
    enum op_mix op;
    uint64_t base_bytes;
    uint64_t stride_bytes;
    uint64_t n_slots;
    uint64_t next_slot;       /* sequential */
    uint64_t write_threshold; /* readwrite: write when a draw is below it */
    uint64_t hot_slots;       /* hotset */
    uint64_t hot_threshold;   /* hotset: pick the hot set when a draw is below it */
    /* zipf (rejection-inversion) constants */
    double zipf_s;
    double zipf_h_x1;
    double zipf_h_n;
    double zipf_sd;
};

/* Prepares a stream. Returns 0, or -EINVAL if the region cannot hold one block. */
int offsets_init(struct offsets *o, const struct offsets_params *p);

/* Number of distinct slots of the stream. */
uint64_t offsets_slot_count(const struct offsets *o);

/* Writes the next n operations to ops. */
void offsets_fill(struct offsets *o, uint64_t *ops, size_t n);

#endif
