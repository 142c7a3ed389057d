/* Sweep expansion: the cartesian product, its order and its names. */
#include "config.h"
#include "expand.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct sweep_case {
    const char *json;
    size_t count;
    const char *names[8]; /* expected names, in order */
};

static const struct sweep_case cases[] = {
    {"{\"workloads\": [{\"name\": \"r\"}]}", 1, {"r"}},
    {"{\"workloads\": [{\"name\": \"r\", \"block_size\": [\"4k\", \"16KiB\", 65536]}]}",
     3,
     {"r/block_size=4KiB", "r/block_size=16KiB", "r/block_size=64KiB"}},
    {"{\"workloads\": [{\"name\": \"r\", \"pattern\": [\"sequential\", \"random\"], "
     "\"threads\": [1, 2]}]}",
     4,
     {"r/pattern=sequential,threads=1", "r/pattern=sequential,threads=2",
      "r/pattern=random,threads=1", "r/pattern=random,threads=2"}},
    /* A list of one value is not a sweep point label. */
    {"{\"workloads\": [{\"name\": \"r\", \"block_size\": [\"8k\"]}, {\"name\": \"s\"}]}",
     2,
     {"r", "s"}},
    /* Defaults sweep every workload; a workload's own list replaces it. */
    {"{\"defaults\": {\"duration\": [\"1s\", \"500ms\"]}, \"workloads\": [{\"name\": \"a\"}, "
     "{\"name\": \"b\", \"duration\": \"2s\"}]}",
     3,
     {"a/duration=1s", "a/duration=500ms", "b"}},
    {"{\"workloads\": [{\"name\": \"s\", \"sync\": [\"ms_sync\", \"none\"], "
     "\"sync_every\": [1, \"1MiB\", \"end\"], \"op\": \"write\"}]}",
     6,
     {"s/sync=ms_sync,sync_every=1", "s/sync=ms_sync,sync_every=1MiB",
      "s/sync=ms_sync,sync_every=end", "s/sync=none,sync_every=1", "s/sync=none,sync_every=1MiB",
      "s/sync=none,sync_every=end"}},
};

static void test_sweeps(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[CONFIG_ERROR_MAX];
        struct config *config = NULL;
        if (config_parse(cases[i].json, "test", NULL, 0, &config, err) < 0)
            fail_msg("case %zu: %s", i, err);
        assert_int_equal(expand_count(config), cases[i].count);
        struct workload *list = NULL;
        size_t n = 0;
        if (expand_workloads(config, &list, &n, err) < 0)
            fail_msg("case %zu: %s", i, err);
        assert_int_equal(n, cases[i].count);
        for (size_t j = 0; j < n; j++) {
            if (strcmp(list[j].name, cases[i].names[j]) != 0)
                fail_msg("case %zu point %zu: \"%s\", expected \"%s\"", i, j, list[j].name,
                         cases[i].names[j]);
        }
        free(list);
        config_free(config);
    }
}

static void test_sweep_values(void **state)
{
    (void)state;
    char err[CONFIG_ERROR_MAX];
    struct config *config = NULL;
    assert_int_equal(config_parse("{\"workloads\": [{\"name\": \"s\", \"op\": \"write\", "
                                  "\"sync_every\": [8, \"64KiB\", \"end\"]}]}",
                                  "test", NULL, 0, &config, err),
                     0);
    struct workload *list = NULL;
    size_t n = 0;
    assert_int_equal(expand_workloads(config, &list, &n, err), 0);
    assert_int_equal(list[0].sync_every_ops, 8);
    assert_int_equal(list[0].sync_every_bytes, 0);
    assert_int_equal(list[1].sync_every_ops, 0);
    assert_int_equal(list[1].sync_every_bytes, 65536);
    assert_int_equal(list[2].sync_every_ops, 0);
    assert_int_equal(list[2].sync_every_bytes, 0);
    assert_int_equal(list[0].write_fraction * 100, 100); /* op write: every op writes */
    free(list);
    config_free(config);
}

static void test_count_saturates(void **state)
{
    (void)state;
    /* 8 keys of 1000 values: 10^24 points must not overflow or be allocated. */
    char *json = malloc(200000);
    assert_non_null(json);
    strcpy(json, "{\"workloads\": [{\"name\": \"huge\"");
    const char *keys[] = {
        "seed",     "ops",        "repetitions",   "threads", "latency_sample_every",
        "min_time", "zipf_theta", "write_fraction"};
    for (size_t k = 0; k < 8; k++) {
        strcat(json, ", \"");
        strcat(json, keys[k]);
        strcat(json, "\": [");
        for (int v = 1; v <= 1000; v++) {
            char num[16];
            if (k >= 6) /* fractions */
                snprintf(num, sizeof(num), "%s%.4f", v > 1 ? "," : "", (v + 10) / 1011.0);
            else
                snprintf(num, sizeof(num), "%s%d", v > 1 ? "," : "", v);
            strcat(json, num);
        }
        strcat(json, "]");
    }
    strcat(json, "}]}");
    char err[CONFIG_ERROR_MAX];
    struct config *config = NULL;
    int ret = config_parse(json, "test", NULL, 0, &config, err);
    free(json);
    if (ret < 0)
        fail_msg("%s", err);
    assert_true(expand_count(config) == SIZE_MAX || expand_count(config) > 1000000000000ULL);
    config_free(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweeps),
        cmocka_unit_test(test_sweep_values),
        cmocka_unit_test(test_count_saturates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
