/* The pseudo-random generator behind every offset stream and every bootstrap.
 *
 * xoshiro256** (Blackman and Vigna, 2018), seeded through splitmix64 so that any 64-bit
 * seed, 0 included, gives a well-mixed state. Same seed, same sequence, on every
 * machine: that is what lets both backends consume the same offset stream. */
#ifndef MMBENCH_PRNG_H
#define MMBENCH_PRNG_H

#include <stdint.h>

#include "int128.h"

struct prng {
    uint64_t s[4];
};

/* The splitmix64 finaliser: a bijective 64-bit mix, also used for the data pattern. */
static inline uint64_t prng_mix64(uint64_t x)
{
    uint64_t z = x + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void prng_seed(struct prng *p, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        p->s[i] = prng_mix64(seed);
        seed += 0x9e3779b97f4a7c15ULL;
    }
}

static inline uint64_t prng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t prng_next(struct prng *p)
{
    uint64_t *s = p->s;
    uint64_t result = prng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = prng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n), n > 0, without modulo bias (Lemire's multiply-and-reject). */
static inline uint64_t prng_below(struct prng *p, uint64_t n)
{
    uint128_t m = (uint128_t)prng_next(p) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        /* (2^64 - n) mod n in 64-bit arithmetic, not 0 as cppcheck thinks */
        /* cppcheck-suppress oppositeExpression */
        uint64_t threshold = -n % n;
        while (low < threshold) {
            m = (uint128_t)prng_next(p) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double prng_unit(struct prng *p)
{
    return (double)(prng_next(p) >> 11) * 0x1.0p-53;
}

#endif
