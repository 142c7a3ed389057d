/* The data pattern: mix64 is inverted exactly, and files changed by write workloads are
 * still recognised as mmbench's while other data is not. */
#include "pattern.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void test_unmix(void **state)
{
    (void)state;
    struct prng p;
    prng_seed(&p, 3);
    for (int i = 0; i < 100000; i++) {
        uint64_t x = prng_next(&p);
        assert_int_equal(pattern_unmix64(prng_mix64(x)), x);
    }
    static const uint64_t edges[] = {0, 1, UINT64_MAX, 0x8000000000000000ULL};
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        assert_int_equal(pattern_unmix64(prng_mix64(edges[i])), edges[i]);
}

static void test_recognition(void **state)
{
    (void)state;
    static const struct {
        uint64_t word, offset;
        bool ours;
    } cases[] = {
        {0, 0, false},                        /* a hole, or zeroed data */
        {0x4141414141414141ULL, 4096, false}, /* someone's text */
        {UINT64_MAX, 8, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(pattern_is_ours(cases[i].word, cases[i].offset), cases[i].ours);
    for (uint64_t off = 0; off < 1 << 20; off += 8)
        assert_true(pattern_is_ours(pattern_file_word(off), off));
    for (uint64_t i = 0; i < (1 << 27); i += 4099)
        assert_true(pattern_is_ours(pattern_write_word(i), 12345 * 8));
    /* The pattern of another offset is not ours: a file shifted or spliced is caught. */
    size_t wrong = 0;
    for (uint64_t off = 8; off < 1 << 20; off += 8)
        wrong += pattern_is_ours(pattern_file_word(off - 8), off);
    assert_int_equal(wrong, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unmix),
        cmocka_unit_test(test_recognition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
