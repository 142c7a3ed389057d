/* CSV escaping and the JSON writer. */
#include "json_writer.h"
#include "report.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *capture(void (*fn)(FILE *f, const void *arg), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, arg);
    fclose(f);
    return buf;
}

static void csv_one(FILE *f, const void *arg)
{
    report_csv_field(f, arg);
}

static void test_csv_escaping(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"cr\r", "\"cr\r\""},
        {"randread/block_size=4KiB,threads=2", "\"randread/block_size=4KiB,threads=2\""},
        {"semi;colon", "semi;colon"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = capture(csv_one, cases[i].in);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

static void json_doc(FILE *f, const void *arg)
{
    (void)arg;
    struct json_writer jw;
    jw_init(&jw, f);
    jw_object_begin(&jw, NULL);
    jw_string(&jw, "s", "quote\" backslash\\ newline\n tab\t bell\a");
    jw_number(&jw, "nan", NAN);
    jw_number(&jw, "x", 1.5);
    jw_u64(&jw, "big", UINT64_MAX);
    jw_bool(&jw, "t", true);
    jw_string(&jw, "null", NULL);
    jw_array_begin(&jw, "empty");
    jw_array_end(&jw);
    jw_array_begin(&jw, "list");
    jw_int(&jw, NULL, -1);
    jw_object_begin(&jw, NULL);
    jw_object_end(&jw);
    jw_array_end(&jw);
    jw_object_end(&jw);
}

static void test_json_writer(void **state)
{
    (void)state;
    char *got = capture(json_doc, NULL);
    const char *expected = "{\n"
                           "  \"s\": \"quote\\\" backslash\\\\ newline\\n tab\\t bell\\u0007\",\n"
                           "  \"nan\": null,\n"
                           "  \"x\": 1.5,\n"
                           "  \"big\": 18446744073709551615,\n"
                           "  \"t\": true,\n"
                           "  \"null\": null,\n"
                           "  \"empty\": [],\n"
                           "  \"list\": [\n"
                           "    -1,\n"
                           "    {}\n"
                           "  ]\n"
                           "}\n";
    assert_string_equal(got, expected);
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_escaping),
        cmocka_unit_test(test_json_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
