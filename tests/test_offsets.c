/* Offset streams: deterministic, inside their region (every operation ends inside the
 * file: the bound mmapbench got wrong), reaching the last slot, and distributed as
 * documented. */
#include "offsets.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define N_OPS 200000

struct bounds_case {
    enum pattern pattern;
    enum distribution distribution;
    uint64_t region_offset, region_size, block, stride;
};

static const struct bounds_case bounds_cases[] = {
    {PATTERN_RANDOM, DIST_UNIFORM, 0, 1 << 20, 4096, 4096},
    {PATTERN_RANDOM, DIST_UNIFORM, 0, 40960, 4096, 4096}, /* 10 slots: all reached */
    {PATTERN_RANDOM, DIST_UNIFORM, 0, 40968, 4096, 8},    /* odd tail */
    {PATTERN_RANDOM, DIST_UNIFORM, 0, 4096, 4096, 4096},  /* exactly one block */
    {PATTERN_RANDOM, DIST_UNIFORM, 8192, 16384, 8, 4096}, /* a partition */
    {PATTERN_RANDOM, DIST_ZIPF, 0, 1 << 20, 4096, 4096},
    {PATTERN_RANDOM, DIST_HOTSET, 0, 1 << 20, 4096, 4096},
    {PATTERN_SEQUENTIAL, DIST_UNIFORM, 0, 1 << 20, 4096, 4096},
    {PATTERN_SEQUENTIAL, DIST_UNIFORM, 4096, 65536, 16384, 4096}, /* overlapping blocks */
    {PATTERN_SEQUENTIAL, DIST_UNIFORM, 0, 100000, 8, 8},
};

static struct offsets_params params_of(const struct bounds_case *c, uint64_t seed)
{
    struct offsets_params p = {
        .pattern = c->pattern,
        .distribution = c->distribution,
        .region_offset_bytes = c->region_offset,
        .region_size_bytes = c->region_size,
        .block_size_bytes = c->block,
        .stride_bytes = c->stride,
        .op = OP_READ,
        .zipf_theta = 0.99,
        .hotset_fraction = 0.1,
        .hotset_access_fraction = 0.9,
        .seed = seed,
    };
    return p;
}

static void test_bounds(void **state)
{
    (void)state;
    uint64_t *ops = malloc(N_OPS * sizeof(*ops));
    assert_non_null(ops);
    for (size_t i = 0; i < sizeof(bounds_cases) / sizeof(bounds_cases[0]); i++) {
        const struct bounds_case *c = &bounds_cases[i];
        struct offsets_params p = params_of(c, 42);
        struct offsets o;
        assert_int_equal(offsets_init(&o, &p), 0);
        uint64_t slots = offsets_slot_count(&o);
        assert_int_equal(slots, (c->region_size - c->block) / c->stride + 1);
        offsets_fill(&o, ops, N_OPS);
        uint64_t max_seen = 0, min_seen = UINT64_MAX;
        for (size_t j = 0; j < N_OPS; j++) {
            uint64_t off = ops[j];
            if (off < c->region_offset || off + c->block > c->region_offset + c->region_size)
                fail_msg("case %zu op %zu: offset %llu + %llu outside [%llu, %llu)", i, j,
                         (unsigned long long)off, (unsigned long long)c->block,
                         (unsigned long long)c->region_offset,
                         (unsigned long long)(c->region_offset + c->region_size));
            if ((off - c->region_offset) % c->stride != 0)
                fail_msg("case %zu: offset %llu not on the stride", i, (unsigned long long)off);
            max_seen = off > max_seen ? off : max_seen;
            min_seen = off < min_seen ? off : min_seen;
        }
        /* Uniform and sequential streams reach both ends of the region. */
        if (c->distribution == DIST_UNIFORM && slots <= N_OPS / 4) {
            assert_int_equal(min_seen, c->region_offset);
            assert_int_equal(max_seen, c->region_offset + (slots - 1) * c->stride);
        }
    }
    free(ops);
}

static void test_determinism(void **state)
{
    (void)state;
    uint64_t a[1000], b[1000], c[1000];
    for (size_t i = 0; i < sizeof(bounds_cases) / sizeof(bounds_cases[0]); i++) {
        struct offsets_params p = params_of(&bounds_cases[i], 7);
        struct offsets o1, o2, o3;
        offsets_init(&o1, &p);
        offsets_init(&o2, &p);
        offsets_fill(&o1, a, 1000);
        /* Batches of any size give the same stream. */
        offsets_fill(&o2, b, 300);
        offsets_fill(&o2, b + 300, 700);
        assert_memory_equal(a, b, sizeof(a));
        p.seed = 8;
        offsets_init(&o3, &p);
        offsets_fill(&o3, c, 1000);
        if (bounds_cases[i].pattern == PATTERN_RANDOM && offsets_slot_count(&o1) > 1)
            assert_memory_not_equal(a, c, sizeof(a));
    }
}

static void test_sequential_order(void **state)
{
    (void)state;
    struct bounds_case c = {PATTERN_SEQUENTIAL, DIST_UNIFORM, 0, 5 * 4096, 4096, 4096};
    struct offsets_params p = params_of(&c, 1);
    p.start_slot = 3;
    struct offsets o;
    offsets_init(&o, &p);
    uint64_t ops[7];
    offsets_fill(&o, ops, 7);
    const uint64_t expected[7] = {3 * 4096, 4 * 4096, 0, 4096, 2 * 4096, 3 * 4096, 4 * 4096};
    assert_memory_equal(ops, expected, sizeof(ops));
}

static void test_write_fraction(void **state)
{
    (void)state;
    static const double fractions[] = {0, 0.1, 0.5, 0.9, 1};
    uint64_t *ops = malloc(N_OPS * sizeof(*ops));
    for (size_t i = 0; i < sizeof(fractions) / sizeof(fractions[0]); i++) {
        struct bounds_case c = {PATTERN_RANDOM, DIST_UNIFORM, 0, 1 << 20, 4096, 4096};
        struct offsets_params p = params_of(&c, 3);
        p.op = OP_READWRITE;
        p.write_fraction = fractions[i];
        struct offsets o;
        offsets_init(&o, &p);
        offsets_fill(&o, ops, N_OPS);
        size_t writes = 0;
        for (size_t j = 0; j < N_OPS; j++)
            writes += ops[j] & OFFSETS_WRITE_FLAG;
        double share = (double)writes / N_OPS;
        if (fabs(share - fractions[i]) > 0.01)
            fail_msg("write_fraction %.2f gave %.4f", fractions[i], share);
    }
    free(ops);
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void test_distributions(void **state)
{
    (void)state;
    uint64_t *ops = malloc(N_OPS * sizeof(*ops));
    const uint64_t slots = 1000;
    struct bounds_case c = {PATTERN_RANDOM, DIST_HOTSET, 0, slots * 4096, 4096, 4096};
    struct offsets_params p = params_of(&c, 5);
    struct offsets o;
    offsets_init(&o, &p);
    offsets_fill(&o, ops, N_OPS);
    size_t hot = 0;
    for (size_t j = 0; j < N_OPS; j++)
        hot += ops[j] / 4096 < slots / 10;
    assert_in_range(hot * 1000 / N_OPS, 890, 910); /* 90% of accesses to the first 10% */

    /* Zipf(0.99) over 1000 items: the top item takes 1/H(1000,0.99) ~ 13%. */
    c.distribution = DIST_ZIPF;
    p = params_of(&c, 5);
    offsets_init(&o, &p);
    offsets_fill(&o, ops, N_OPS);
    uint64_t *counts = calloc(slots, sizeof(*counts));
    for (size_t j = 0; j < N_OPS; j++)
        counts[ops[j] / 4096]++;
    qsort(counts, slots, sizeof(*counts), compare_u64);
    double h = 0;
    for (uint64_t k = 1; k <= slots; k++)
        h += pow((double)k, -0.99);
    double expected_top = 1 / h, expected_second = pow(2, -0.99) / h;
    double top = (double)counts[slots - 1] / N_OPS, second = (double)counts[slots - 2] / N_OPS;
    if (fabs(top - expected_top) > 0.01 || fabs(second - expected_second) > 0.01)
        fail_msg("zipf: top %.4f second %.4f, expected %.4f %.4f", top, second, expected_top,
                 expected_second);
    free(counts);
    free(ops);
}

static void test_region_too_small(void **state)
{
    (void)state;
    struct bounds_case c = {PATTERN_RANDOM, DIST_UNIFORM, 0, 4000, 4096, 4096};
    struct offsets_params p = params_of(&c, 1);
    struct offsets o;
    assert_int_equal(offsets_init(&o, &p), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds),           cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_sequential_order), cmocka_unit_test(test_write_fraction),
        cmocka_unit_test(test_distributions),    cmocka_unit_test(test_region_too_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
