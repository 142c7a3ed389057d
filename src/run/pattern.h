/* What mmbench's data files and write buffers contain.
 *
 * Data files are never sparse: the little-endian 64-bit word at byte offset o (a multiple
 * of 8) is pattern_file_word(o). A file is thereby self-identifying (mmbench verifies
 * samples of it before reusing a file) and every read moves real data.
 *
 * Writes copy a block whose word i is pattern_write_word(i), whatever the offset: a
 * written block is recognisable on disk, and no per-operation work is needed to make
 * the data. Both functions are documented in docs/results.md so that other tools can
 * verify a file. */
#ifndef MMBENCH_PATTERN_H
#define MMBENCH_PATTERN_H

#include "prng.h"

#include <stdbool.h>
#include <stdint.h>

#define PATTERN_FILE_KEY  0x6d6d62656e636801ULL /* "mmbench" + version 1 */
#define PATTERN_WRITE_KEY 0x7772697465000001ULL /* "write" + version 1 */

static inline uint64_t pattern_file_word(uint64_t offset_bytes)
{
    return prng_mix64((offset_bytes / 8) ^ PATTERN_FILE_KEY);
}

static inline uint64_t pattern_write_word(uint64_t word_index)
{
    return prng_mix64(word_index ^ PATTERN_WRITE_KEY);
}

/* Inverse of z ^= z >> shift. */
static inline uint64_t pattern_unshift(uint64_t z, int shift)
{
    uint64_t x = z;
    for (int k = shift; k < 64; k += shift)
        x ^= z >> k;
    return x;
}

/* Inverse of prng_mix64 (the multipliers' inverses modulo 2^64). */
static inline uint64_t pattern_unmix64(uint64_t z)
{
    z = pattern_unshift(z, 31) * 0x319642b2d24d8ec3ULL;
    z = pattern_unshift(z, 27) * 0x96de1b173f119089ULL;
    return pattern_unshift(z, 30) - 0x9e3779b97f4a7c15ULL;
}

/* True when word is one of mmbench's: the file pattern at offset_bytes, or a word of a
 * written block (blocks are at most 1 GiB: word indices below 2^27). A data file that
 * write workloads changed is still recognised as mmbench's. */
static inline bool pattern_is_ours(uint64_t word, uint64_t offset_bytes)
{
    return word == pattern_file_word(offset_bytes) ||
           (pattern_unmix64(word) ^ PATTERN_WRITE_KEY) < (1ULL << 27);
}

#endif
