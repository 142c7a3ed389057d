/* Sizes and durations as people write them. */
#include "errmsg.h"
#include "units.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

struct size_case {
    const char *text;
    int ret;
    uint64_t bytes;
};

static void test_parse_size(void **state)
{
    (void)state;
    static const struct size_case cases[] = {
        {"4096", 0, 4096},
        {"4k", 0, 4096},
        {"4K", 0, 4096},
        {"4KiB", 0, 4096},
        {"4 KiB", 0, 4096},
        {"4kb", 0, 4096},
        {"1MiB", 0, 1ULL << 20},
        {"1GiB", 0, 1ULL << 30},
        {"1.5GiB", 0, 3ULL << 29},
        {"2T", 0, 2ULL << 40},
        {"0", 0, 0},
        {"8B", 0, 8},
        {" 16 k ", 0, 16384},
        {"1.5", -EINVAL, 0}, /* not a whole number of bytes */
        {"-4k", -EINVAL, 0},
        {"4x", -EINVAL, 0},
        {"", -EINVAL, 0},
        {"k", -EINVAL, 0},
        {"4.k", -EINVAL, 0},
        {"99999999999999999999", -EINVAL, 0},
        {"16777216TiB", -EINVAL, 0}, /* overflows */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t bytes = 12345;
        const char *why = NULL;
        int ret = units_parse_size(cases[i].text, &bytes, &why);
        if (ret != cases[i].ret)
            fail_msg("\"%s\": returned %d, expected %d", cases[i].text, ret, cases[i].ret);
        if (ret == 0)
            assert_int_equal(bytes, cases[i].bytes);
        else
            assert_non_null(why);
    }
}

struct duration_case {
    const char *text;
    int ret;
    uint64_t ns;
};

static void test_parse_duration(void **state)
{
    (void)state;
    static const struct duration_case cases[] = {
        {"500ms", 0, 500000000ULL}, {"5s", 0, 5000000000ULL},   {"5", 0, 5000000000ULL},
        {"1.5s", 0, 1500000000ULL}, {"2m", 0, 120000000000ULL}, {"1h", 0, 3600000000000ULL},
        {"100us", 0, 100000ULL},    {"10ns", 0, 10ULL},         {"0.5ns", -EINVAL, 0},
        {"5 parsecs", -EINVAL, 0},  {"-1s", -EINVAL, 0},        {"s", -EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t ns = 0;
        const char *why = NULL;
        int ret = units_parse_duration(cases[i].text, &ns, &why);
        if (ret != cases[i].ret)
            fail_msg("\"%s\": returned %d, expected %d", cases[i].text, ret, cases[i].ret);
        if (ret == 0)
            assert_int_equal(ns, cases[i].ns);
    }
}

static void test_format(void **state)
{
    (void)state;
    static const struct {
        uint64_t bytes;
        const char *text;
    } sizes[] = {{4096, "4KiB"}, {1ULL << 30, "1GiB"}, {1000, "1000B"}, {0, "0B"}, {6144, "6KiB"}};
    char buf[32];
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        assert_string_equal(units_format_size(sizes[i].bytes, buf, sizeof(buf)), sizes[i].text);
    static const struct {
        uint64_t ns;
        const char *text;
    } durations[] = {{500000000ULL, "500ms"},
                     {2000000000ULL, "2s"},
                     {1500ULL, "1500ns"},
                     {120000000000ULL, "2m"}};
    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++)
        assert_string_equal(units_format_duration(durations[i].ns, buf, sizeof(buf)),
                            durations[i].text);
    assert_string_equal(units_format_latency(812, buf, sizeof(buf)), "812ns");
    assert_string_equal(units_format_latency(2310, buf, sizeof(buf)), "2.31us");
    assert_string_equal(units_format_latency(14.2e6, buf, sizeof(buf)), "14.2ms");
    static const struct {
        double bytes;
        const char *text;
    } short_bytes[] = {
        {0, "0 B"}, {1000, "1000 B"}, {1536, "1.5 KiB"}, {-2444288, "-2.33 MiB"}, {-12, "-12 B"},
    };
    for (size_t i = 0; i < sizeof(short_bytes) / sizeof(short_bytes[0]); i++)
        assert_string_equal(units_format_bytes_short(short_bytes[i].bytes, buf, sizeof(buf)),
                            short_bytes[i].text);
}

static void test_errmsg(void **state)
{
    (void)state;
    char err[64];
    assert_int_equal(errmsg_set(err, sizeof(err), -EINVAL, "block_size %d", 3), -EINVAL);
    assert_string_equal(err, "block_size 3");
    assert_int_equal(errmsg_errno(err, sizeof(err), -ENOSPC, "pwrite(%s)", "f"), -ENOSPC);
    assert_string_equal(err, "pwrite(f): No space left on device");
    assert_int_equal(errmsg_errno(err, 8, -ENOSPC, "pwrite(%s)", "data"), -ENOSPC);
    assert_string_equal(err, "pwrite("); /* cut, never overrun */
    assert_int_equal(errmsg_set(NULL, 0, -EIO, "nowhere"), -EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_errmsg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
