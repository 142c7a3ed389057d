/* Config validation: every error names the JSON path and the reason. */
#include "backend.h"
#include "config.h"
#include "expand.h"
#include "knobs.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

struct error_case {
    const char *json;
    const char *override; /* a --set, or NULL */
    const char *message;  /* expected substring of the error */
};

#define W(body) "{\"workloads\": [{\"name\": \"w\", " body "}]}"

static const struct error_case parse_errors[] = {
    {"{\"workloads\": [", NULL, "test:1:16: malformed JSON"},
    {"{\n  \"workloads\": [\n    {\"name\": \"a\",}\n  ]\n}", NULL,
     "test:3:19: malformed JSON\n      {\"name\": \"a\",}\n                    ^"},
    {"[]", NULL, "expected a JSON object"},
    {"{}", NULL, "missing key \"workloads\""},
    {"{\"workloads\": []}", NULL, "workloads: expected a non-empty list"},
    {"{\"workload\": []}", NULL, "workload: unknown key"},
    {"{\"block_size\": 4096, \"workloads\": [{\"name\": \"w\"}]}", NULL,
     "workload keys go in \"defaults\""},
    {"{\"workloads\": [{\"name\": \"a\"}, {\"name\": \"b\", \"blok_size\": 4096}]}", NULL,
     "workloads[1].blok_size: unknown key (did you mean block_size?)"},
    {"{\"workloads\": [{\"nmae\": \"a\"}]}", NULL,
     "workloads[0].nmae: unknown key (did you mean name?)"},
    {"{\"workloads\": [{\"pattern\": \"random\"}]}", NULL, "workloads[0]: missing key \"name\""},
    {"{\"workloads\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}", NULL,
     "workloads[1].name: \"a\" is already the name of workloads[0]"},
    {W("\"block_size\": true"), NULL, "workloads[0].block_size: expected a size"},
    {W("\"block_size\": \"4 parsecs\""), NULL,
     "workloads[0].block_size: \"4 parsecs\": unknown size unit"},
    {W("\"block_size\": -4096"), NULL, "workloads[0].block_size: -4096: negative values"},
    {W("\"block_size\": 0"), NULL, "workloads[0].block_size: 0: too small: must be at least 8B"},
    {W("\"file_size\": 0"), NULL, "workloads[0].file_size: 0: too small: must be at least 8B"},
    {W("\"pattern\": \"randm\""), NULL,
     "workloads[0].pattern: unknown value \"randm\" (expected sequential or random)"},
    {W("\"pattern\": []"), NULL, "workloads[0].pattern: empty list"},
    {W("\"pattern\": [[\"random\"]]"), NULL,
     "workloads[0].pattern[0]: expected a string, got a list"},
    {W("\"block_size\": [4096, \"8x\"]"), NULL, "workloads[0].block_size[1]: \"8x\""},
    {W("\"write_fraction\": 1.5"), NULL,
     "workloads[0].write_fraction: 1.5: must be between 0 and 1"},
    {W("\"threads\": 2000"), NULL, "workloads[0].threads: 2000: too large"},
    {W("\"block_size\": 12"), NULL, "workloads[0].block_size: 12: must be a multiple of 8 bytes"},
    {W("\"stride\": \"4100\""), NULL, "workloads[0].stride: \"4100\": must be a multiple of 8"},
    {W("\"file_size\": 4100"), NULL, "workloads[0].file_size: 4100: must be a multiple of 8"},
    {W("\"cache_limit\": \"1MiB\""), NULL,
     "workloads[0].cache_limit: \"1MiB\": 0 (none) or at least 32MiB"},
    {W("\"window\": 5000"), NULL, "workloads[0].window: 5000: must be a multiple of 4096 bytes"},
    {W("\"baseline\": \"aio\""), NULL, "workloads[0].baseline: \"aio\": unknown backend"},
    {W("\"baseline\": [\"mmap\", \"pread\"]"), NULL,
     "workloads[0].baseline: expected a backend name, got a list (not a sweep"},
    {W("\"threads\": 1.5"), NULL, "workloads[0].threads: 1.5: expected a whole number"},
    {W("\"duration\": \"1s\", \"ops\": 10"), NULL, "workloads[0]: give either duration or ops"},
    {W("\"backends\": [\"mmap\", \"mmap\"]"), NULL,
     "backends[1]: backend \"mmap\" is listed twice"},
    {W("\"backends\": [\"aio\"]"), NULL, "workloads[0].backends[0]: \"aio\": unknown backend"},
    {W("\"backends\": []"), NULL, "backends: empty list"},
    {W("\"sync_every\": \"sometimes\""), NULL, "workloads[0].sync_every: \"sometimes\""},
    {W("\"sync_every\": 0"), NULL, "workloads[0].sync_every: 0: must be at least 1 operation"},
    {W("\"pin\": \"0-x\""), NULL, "workloads[0].pin: \"0-x\""},
    {W("\"direct\": \"yes\""), NULL, "workloads[0].direct: expected true or false, got a string"},
    {W("\"threads\": \"4\""), NULL, "workloads[0].threads: expected a whole number, got a string"},
    {W("\"pin\": \"true\""), NULL, "workloads[0].pin: expected true, false or a CPU list"},
    {W("\"pin\": \"0,\""), NULL, "workloads[0].pin: \"0,\": CPU list must look like"},
    {W("\"sync_every\": 1e20"), NULL, "workloads[0].sync_every: 1e+20: too large"},
    {"{\"name\": \"\", \"workloads\": [{\"name\": \"w\"}]}", NULL, "name: must not be empty"},
    {"{\"$schema\": 1, \"workloads\": [{\"name\": \"w\"}]}", NULL, "$schema: expected a string"},
    {"{\"workloads\": [{\"name\": \"a\\u0001b\"}]}", NULL, "without / \" or control characters"},
    {W("\"op\": \"read\""), "threads=0x10", "--set threads: \"0x10\": expected a number"},
    {W("\"block_size\": 4096, \"block_size\": 8192"), NULL,
     "workloads[0].block_size: key given twice"},
    {"{\"defaults\": {\"name\": \"x\"}, \"workloads\": [{\"name\": \"w\"}]}", NULL,
     "defaults.name: unknown key"},
    {W("\"op\": \"read\""), "blok_size=4k",
     "--set blok_size: unknown key (did you mean block_size?)"},
    {W("\"op\": \"read\""), "block_size", "--set block_size: expected key=value"},
    {W("\"op\": \"read\""), "op=delete", "--set op: unknown value \"delete\""},
    /* Every string and key valid UTF-8, named by its JSON path. */
    {"{\"workloads\": [{\"name\": \"a\xff\"}]}", NULL,
     "workloads[0].name: \"a\\xff\": not valid UTF-8 (byte 0xff at offset 1)"},
    {"{\"workloads\": [{\"name\": \"w\", \"dir\": \"/tmp/\xc0\xaf\"}]}", NULL,
     "workloads[0].dir: \"/tmp/\\xc0\\xaf\": not valid UTF-8 (byte 0xc0 at offset 5)"},
    {"{\"workloads\": [{\"name\": \"\xed\xa0\x80\"}]}", NULL,
     "workloads[0].name: \"\\xed\\xa0\\x80\": not valid UTF-8"},
    {"{\"workloads\": [{\"name\": \"\xf4\x90\x80\x80\"}]}", NULL, "not valid UTF-8 (byte 0xf4"},
    {"{\"workloads\": [{\"name\": \"w\", \"bl\xfe"
     "ck\": 1}]}",
     NULL, "workloads[0]: key \"bl\\xfeck\": not valid UTF-8 (byte 0xfe at offset 2)"},
    {"{\"n\x80me\": \"x\", \"workloads\": [{\"name\": \"w\"}]}", NULL,
     "key \"n\\x80me\": not valid UTF-8"},
    {"{\"description\": [\"\xff\"], \"workloads\": [{\"name\": \"w\"}]}", NULL,
     "description[0]: \"\\xff\": not valid UTF-8"},
    {"{\"workloads\": [{\"name\": \"w\"}]}\xff", NULL, "test:1:31: not valid UTF-8 (byte 0xff)"},
    {W("\"op\": \"read\""), "dir=/tmp/\xff", "--set dir=/tmp/\\xff: not valid UTF-8"},
    {W("\"op\": \"read\""), "\xffop=read", "--set \\xffop=read: not valid UTF-8"},
    {"{\"workloads\": [{\"name\": \"a\\u0000b\"}]}", NULL,
     "test:1:27: \\u0000 in a string (a config's strings cannot hold NUL)"},
    /* Keys given twice, at every level. */
    {"{\"defaults\": {}, \"defaults\": {}, \"workloads\": [{\"name\": \"w\"}]}", NULL,
     "defaults: key given twice"},
    {"{\"defaults\": {\"op\": \"read\", \"op\": \"write\"}, \"workloads\": [{\"name\": \"w\"}]}",
     NULL, "defaults.op: key given twice"},
    {"{\"workloads\": [{\"name\": \"w\"}], \"workloads\": [{\"name\": \"v\"}]}", NULL,
     "workloads: key given twice"},
    {"{\"workloads\": [{\"name\": \"w\"}, {\"name\": \"v\", \"name\": \"u\"}]}", NULL,
     "workloads[1].name: key given twice"},
    {"{\"$schema\": {\"a\": {\"b\": 1, \"b\": 2}}, \"workloads\": [{\"name\": \"w\"}]}", NULL,
     "$schema.a.b: key given twice"},
    /* Kernel settings: the syntax here, the kernel's own checks before the run. */
    {W("\"thp\": true"), NULL, "workloads[0].thp: expected a word or a whole number, got true"},
    {W("\"read_ahead_kb\": -4"), NULL, "workloads[0].read_ahead_kb: -4: expected a whole number"},
    {W("\"read_ahead_kb\": 1.5"), NULL, "read_ahead_kb: 1.5: expected a whole number"},
    {W("\"thp\": \"\""), NULL, "workloads[0].thp: \"\": a kernel setting's value must not be"},
    {W("\"thp\": \" never\""), NULL, "must not be empty or begin or end with a space"},
    {W("\"thp\": \"a=b\""), NULL, "must not hold '=' or '+'"},
    {W("\"thp\": \"n\\u0001\""), NULL, "printable ASCII only"},
    {W("\"thp\": [[\"never\"]]"), NULL, "workloads[0].thp[0]: expected a word or a whole number"},
    {W("\"thp\": {\"a\": 1}"), NULL, "workloads[0].thp: expected a word or a whole number"},
    {W("\"sysctl\": 5"), NULL, "workloads[0].sysctl: expected an object of kernel settings"},
    {W("\"sysctl\": [{}, 5]"), NULL, "workloads[0].sysctl[1]: expected an object"},
    {W("\"sysctl\": {\"vm swappiness\": 1}"), NULL,
     "workloads[0].sysctl: \"vm swappiness\" is not the name of a kernel setting"},
    {W("\"sysctl\": {\"vm.swappiness\": [1]}"), NULL,
     "workloads[0].sysctl.vm.swappiness: expected a word or a whole number, got a list"},
    {W("\"sysctl\": {\"vm.swappiness\": \"unset\"}"), NULL,
     "leave the key out to keep the kernel's value"},
    {W("\"sysctl\": {\"vm.x\": \"1+2\"}"), NULL, "sysctl.vm.x: \"1+2\": a kernel setting's"},
    {W("\"sysctl\": {\"vm.min_free_kbytes\": 1.5}"), NULL, "1.5: expected a whole number"},
    {W("\"warm_fill\": \"mmap\""), NULL,
     "workloads[0].warm_fill: unknown value \"mmap\" (expected keep, read, fault, fault_random or "
     "write)"},
    {W("\"op\": \"read\""), "sysctl=vm.swappiness",
     "--set sysctl: expected an object of kernel settings"},
    /* Nesting: refused with the limit, not as malformed JSON. */
    {"{\"workloads\": [{\"name\": \"w\", \"seed\": "
     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]"
     "]]]]]]]]]]]]]]]}]}",
     NULL, "test:1:67: nested more than 32 levels deep (the limit for a config)"},
};

static void test_parse_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
        const struct error_case *c = &parse_errors[i];
        char err[CONFIG_ERROR_MAX];
        struct config *config = NULL;
        const char *sets[1] = {c->override};
        int ret = config_parse(c->json, "test", sets, c->override ? 1 : 0, &config, err);
        if (ret != -EINVAL)
            fail_msg("case %zu (%s): returned %d, expected -EINVAL", i, c->json, ret);
        if (!strstr(err, c->message))
            fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err, c->message);
        assert_null(config);
    }
}

/* Errors found when the values are combined (expand.c). */
static const struct error_case check_errors[] = {
    {W("\"block_size\": \"16KiB\", \"file_size\": \"8KiB\""), NULL,
     "workloads[0] (w): block_size 16KiB is larger than file_size 8KiB"},
    {W("\"direct\": true, \"block_size\": 512"), NULL, "O_DIRECT needs block_size and stride"},
    {W("\"window\": \"4KiB\""), NULL, "window 4KiB: must be at least block_size + one page"},
    {W("\"window\": \"1MiB\", \"sync\": \"ms_sync\""), NULL, "msync needs the dirty range mapped"},
    {W("\"pattern\": \"sequential\", \"distribution\": \"zipf\""), NULL,
     "distribution zipf applies to pattern random only"},
    {W("\"threads\": 8, \"share\": \"partition\", \"file_size\": \"16KiB\""), NULL,
     "share partition: 8 threads leave 0B per thread"},
    {W("\"backends\": [\"mmap\"], \"direct\": true"), NULL,
     "direct applies only to backends that read through a file descriptor"},
    {W("\"backends\": [\"mmap\"], \"baseline\": \"pread\""), NULL,
     "baseline pread is not one of the workload's backends"},
    {W("\"backends\": [\"pread\"], \"populate\": \"map_populate\""), NULL,
     "populate applies only to the mmap backend"},
    {W("\"pin\": \"1000\""), NULL, "CPU 1000 is not available"},
    {W("\"distribution\": \"hotset\", \"hotset_fraction\": 0"), NULL,
     "hotset_fraction and hotset_access_fraction must be above 0"},
    {"{\"workloads\": [{\"name\": \"w\", \"block_size\": [4096, 4096]}]}", NULL,
     "two workloads are named \"w/block_size=4KiB\""},
    {W("\"cache\": \"cold\", \"warm_fill\": \"read\""), NULL,
     "warm_fill read applies to cache warm only (cache is cold)"},
    {W("\"file\": \"/etc/hostname\", \"warm_fill\": \"write\""), NULL,
     "warm_fill write rewrites the file"},
    {W("\"sysctl\": [{\"vm.a\": 1, \"vm.b\": 2}, {\"vm.b\": 2, \"vm.a\": 1}]"), NULL,
     "two workloads are named \"w/sysctl=vm.a=1+vm.b=2\""},
};

static void test_check_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(check_errors) / sizeof(check_errors[0]); i++) {
        const struct error_case *c = &check_errors[i];
        char err[CONFIG_ERROR_MAX];
        struct config *config = NULL;
        if (config_parse(c->json, "test", NULL, 0, &config, err) < 0)
            fail_msg("case %zu: parse failed: %s", i, err);
        struct workload *list = NULL;
        size_t n = 0;
        int ret = expand_workloads(config, &list, &n, err);
        config_free(config);
        if (ret != -EINVAL)
            fail_msg("case %zu (%s): returned %d, expected -EINVAL", i, c->json, ret);
        if (!strstr(err, c->message))
            fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err, c->message);
    }
}

static void test_inheritance(void **state)
{
    (void)state;
    const char *json = "{\"name\": \"inh\", \"defaults\": {\"block_size\": \"8k\", "
                       "\"duration\": \"2s\", \"op\": \"write\"},"
                       "\"workloads\": [{\"name\": \"a\"}, {\"name\": \"b\", \"ops\": 100, "
                       "\"block_size\": 512}]}";
    const char *sets[] = {"op=read", "seed=7", "file_size=64MiB"};
    char err[CONFIG_ERROR_MAX];
    struct config *config = NULL;
    assert_int_equal(config_parse(json, "test", sets, 3, &config, err), 0);
    struct workload *list = NULL;
    size_t n = 0;
    assert_int_equal(expand_workloads(config, &list, &n, err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(config->name, "inh");
    assert_int_equal(list[0].block_size_bytes, 8192);
    assert_int_equal(list[0].duration_ns, 2000000000ULL);
    assert_int_equal(list[0].op, OP_READ); /* --set wins over defaults */
    assert_int_equal(list[0].seed, 7);
    assert_int_equal(list[0].file_size_bytes, 64 << 20); /* not the JSON number 64 */
    assert_int_equal(list[0].stride_bytes, 8192);        /* stride defaults to block_size */
    assert_int_equal(list[1].block_size_bytes, 512);
    assert_int_equal(list[1].ops, 100);
    assert_int_equal(list[1].duration_ns, 0); /* ops replaces the inherited duration */
    assert_int_equal(list[1].backend_mask, backend_default_mask()); /* every one available */
    assert_true(backend_runs(&list[1], (size_t)backend_find("mmap")));
    assert_true(backend_runs(&list[1], (size_t)backend_find("pread")));
    free(list);
    config_free(config);
}

/* The kernel-setting keys as the runner gets them: text (numbers in decimal), NULL for
 * "unset", the sysctl object sorted by key, sweeps of objects, --set of an object. */
static void test_kernel_settings(void **state)
{
    (void)state;
    const char *json = "{\"defaults\": {\"read_ahead_kb\": 128, \"thp\": \"never\"},"
                       "\"workloads\": [{\"name\": \"a\", \"thp\": \"unset\", "
                       "\"sysctl\": [{}, {\"vm.swappiness\": 10, \"thp_64kB\": \"always\", "
                       "\"vm.lowmem_reserve_ratio\": \"256 256 32 0 0\"}]}, {\"name\": \"b\"}]}";
    const char *sets[] = {"vm.dirty_ratio=15", "warm_fill=fault_random"};
    char err[CONFIG_ERROR_MAX];
    struct config *config = NULL;
    if (config_parse(json, "test", sets, 2, &config, err) < 0)
        fail_msg("%s", err);
    struct workload *list = NULL;
    size_t n = 0;
    if (expand_workloads(config, &list, &n, err) < 0)
        fail_msg("%s", err);
    assert_int_equal(n, 3);
    assert_string_equal(list[0].name, "a/sysctl={}");
    assert_string_equal(list[0].settings.read_ahead_kb, "128");
    assert_null(list[0].settings.thp);
    assert_null(list[0].settings.sysctl);
    assert_string_equal(list[0].settings.dirty_ratio, "15");
    assert_int_equal(list[0].warm_fill, WARM_FILL_FAULT_RANDOM);
    assert_string_equal(list[1].settings.sysctl,
                        "thp_64kB=always+vm.lowmem_reserve_ratio=256 256 32 0 0+vm.swappiness=10");
    assert_string_equal(list[2].settings.thp, "never");
    assert_null(list[2].settings.lru_gen);
    char text[256];
    assert_string_equal(param_format_column(param_find("thp"), &list[0], text, sizeof(text)),
                        "unset");
    assert_string_equal(param_format_column(param_find("sysctl"), &list[0], text, sizeof(text)),
                        "");
    assert_false(param_is_set(param_find("sysctl"), &list[0]));
    assert_true(param_is_set(param_find("sysctl"), &list[1]));
    free(list);
    config_free(config);

    const char *object_set[] = {"sysctl=[{\"vm.swappiness\": 5}, {\"vm.swappiness\": 6}]"};
    assert_int_equal(
        config_parse("{\"workloads\": [{\"name\": \"w\"}]}", "test", object_set, 1, &config, err),
        0);
    assert_int_equal(expand_workloads(config, &list, &n, err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[1].name, "w/sysctl=vm.swappiness=6");
    free(list);
    config_free(config);
}

/* Each kernel-setting key is a setting of the knobs table, under the same name. */
static void test_setting_rows_are_knobs(void **state)
{
    (void)state;
    size_t rows = 0;
    for (size_t i = 0; i < params_count(); i++) {
        const struct param_def *d = params_at(i);
        if (d->type != PARAM_KERNEL_SETTING)
            continue;
        bool found = false;
        for (size_t k = 0; k < knobs_key_count() && !found; k++)
            found = strcmp(knobs_key(k)->key, d->name) == 0;
        if (!found)
            fail_msg("key %s is not a kernel setting knobs.c knows", d->name);
        assert_string_equal(d->column, d->name); /* compare tells them by their names */
        rows++;
    }
    assert_true(rows >= 12);
}

static void test_name_from_file(void **state)
{
    (void)state;
    char err[CONFIG_ERROR_MAX];
    struct config *config = NULL;
    assert_int_equal(
        config_parse(W("\"op\": \"read\""), "configs/some_thing.json", NULL, 0, &config, err), 0);
    assert_string_equal(config->name, "some_thing");
    config_free(config);
}

static void test_missing_file(void **state)
{
    (void)state;
    char err[CONFIG_ERROR_MAX];
    struct config *config = NULL;
    assert_int_equal(config_load("/nonexistent/x.json", NULL, 0, &config, err), -ENOENT);
    assert_non_null(strstr(err, "cannot read config /nonexistent/x.json: No such file"));
}

/* A valid config padded with spaces to exactly size bytes. */
static char *padded_config(size_t size)
{
    static const char head[] = "{\"workloads\": [{\"name\": \"w\"}]";
    char *text = malloc(size + 1);
    assert_non_null(text);
    memset(text, ' ', size);
    memcpy(text, head, sizeof(head) - 1);
    text[size - 1] = '}';
    text[size] = '\0';
    return text;
}

struct pipe_writer {
    int fd;
    size_t bytes;
};

static void *write_pipe(void *arg)
{
    struct pipe_writer *pw = arg;
    char *text = padded_config(pw->bytes);
    for (size_t done = 0; done < pw->bytes;) {
        ssize_t n = write(pw->fd, text + done, pw->bytes - done);
        if (n <= 0)
            break; /* EPIPE: the reader stopped at the limit */
        done += (size_t)n;
    }
    close(pw->fd);
    free(text);
    return NULL;
}

/* One limit for every kind of file: a regular file of exactly CONFIG_MAX_BYTES is read,
 * one byte more is refused, and a pipe is cut off after CONFIG_MAX_BYTES + 1 bytes
 * whatever it would go on to deliver. */
static void test_load_limits(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    static const size_t sizes[] = {CONFIG_MAX_BYTES, CONFIG_MAX_BYTES + 1};
    for (size_t i = 0; i < 2; i++) {
        char path[] = "/tmp/mmbench-test-config-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        char *text = padded_config(sizes[i]);
        assert_int_equal(write(fd, text, sizes[i]), (ssize_t)sizes[i]);
        close(fd);
        free(text);
        char err[CONFIG_ERROR_MAX];
        struct config *config = NULL;
        int ret = config_load(path, NULL, 0, &config, err);
        unlink(path);
        if (i == 0) {
            assert_int_equal(ret, 0);
            config_free(config);
        } else {
            assert_int_equal(ret, -EFBIG);
            assert_non_null(strstr(err, "larger than 1 MiB (the limit for a config)"));
        }
    }
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    struct pipe_writer pw = {.fd = fds[1], .bytes = 3 * CONFIG_MAX_BYTES};
    pthread_t writer;
    assert_int_equal(pthread_create(&writer, NULL, write_pipe, &pw), 0);
    char path[64], err[CONFIG_ERROR_MAX];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
    struct config *config = NULL;
    assert_int_equal(config_load(path, NULL, 0, &config, err), -EFBIG);
    close(fds[0]);
    pthread_join(writer, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),    cmocka_unit_test(test_check_errors),
        cmocka_unit_test(test_inheritance),     cmocka_unit_test(test_name_from_file),
        cmocka_unit_test(test_missing_file),    cmocka_unit_test(test_load_limits),
        cmocka_unit_test(test_kernel_settings), cmocka_unit_test(test_setting_rows_are_knobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
