/* Symbol tables: lookups at, inside and just past symbols, aliases, kallsyms files, and
 * this very process's executable and libc through /proc/self/maps. */
#include "symbols.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void test_lookup(void **state)
{
    (void)state;
    /* Added out of order: symtab_sort must sort them. */
    static const struct {
        uint64_t start, size;
        const char *name;
        bool global;
    } syms[] = {
        {0x2000, 0, "last", true},      /* unsized, the last: SYMTAB_UNSIZED_BYTES */
        {0x1300, 0x10, "delta", true},  /* an alias below declares a larger size */
        {0x1100, 0x80, "beta", false},  /* a gap after it */
        {0x1000, 0x100, "alpha", true}, /* beta starts where it ends */
        {0x1200, 0, "gamma", true},     /* unsized: up to delta */
        {0x1300, 0x40, "__delta_alias", false},
    };
    static const struct {
        uint64_t addr;
        const char *name; /* NULL: no symbol */
    } cases[] = {
        {0x0fff, NULL},    {0x1000, "alpha"},  {0x1080, "alpha"}, {0x10ff, "alpha"},
        {0x1100, "beta"},  {0x117f, "beta"},   {0x1180, NULL},    {0x11ff, NULL},
        {0x1200, "gamma"}, {0x12ff, "gamma"},  {0x1300, "delta"}, {0x133f, "delta"},
        {0x1340, NULL},    {0x1fff, NULL},     {0x2000, "last"},  {0x2fff, "last"},
        {0x3000, NULL},    {UINT64_MAX, NULL},
    };
    struct symtab *t = symtab_new();
    assert_non_null(t);
    assert_null(symtab_lookup(t, 0x1000)); /* empty */
    for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
        assert_int_equal(symtab_add(t, syms[i].start, syms[i].size, syms[i].name, syms[i].global),
                         0);
    symtab_sort(t);
    assert_int_equal(symtab_count(t), 5);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = symtab_lookup(t, cases[i].addr);
        if (!cases[i].name) {
            if (got)
                fail_msg("0x%llx: expected no symbol, got %s", (unsigned long long)cases[i].addr,
                         got);
            continue;
        }
        if (!got || strcmp(got, cases[i].name) != 0)
            fail_msg("0x%llx: expected %s, got %s", (unsigned long long)cases[i].addr,
                     cases[i].name, got ? got : "nothing");
    }
    symtab_free(t);
}

static void test_aliases(void **state)
{
    (void)state;
    static const struct {
        const char *names[4];
        bool global[4];
        const char *expected;
    } cases[] = {
        /* glibc: __libc_pwrite global, the others weak (exported: "global" here) */
        {{"__libc_pwrite", "pwrite64", "pwrite", "__pwrite64"}, {true, true, true, true}, "pwrite"},
        {{"_stext", "_text", "srso_alias_untrain_ret", NULL},
         {true, true, true},
         "srso_alias_untrain_ret"},
        {{"local_fn", "global_fn", NULL, NULL}, {false, true}, "global_fn"},
        {{"bbb", "aaa", NULL, NULL}, {true, true}, "aaa"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct symtab *t = symtab_new();
        assert_non_null(t);
        for (size_t k = 0; k < 4 && cases[i].names[k]; k++)
            assert_int_equal(symtab_add(t, 0x4000, 0x10, cases[i].names[k], cases[i].global[k]), 0);
        symtab_sort(t);
        assert_int_equal(symtab_count(t), 1);
        assert_string_equal(symtab_lookup(t, 0x4008), cases[i].expected);
        symtab_free(t);
    }
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void test_kallsyms_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/mmbench-test-symbols-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/kallsyms", dir);
    write_file(path, "ffffffff81000000 T _stext\n"
                     "ffffffff81000000 T startup_64\n"
                     "ffffffff81000100 t helper\n"
                     "ffffffff81000200 D some_data\n"
                     "ffffffff81000300 W weak_fn\n"
                     "ffffffffc0001000 t mod_fn\t[ext4]\n"
                     "garbage line\n");
    struct symtab *t = symtab_new();
    assert_int_equal(symtab_read_kallsyms(t, path), 0);
    static const struct {
        uint64_t addr;
        const char *name;
    } cases[] = {
        {0xffffffff81000000, "startup_64"},
        {0xffffffff810000ff, "startup_64"},
        {0xffffffff81000100, "helper"},
        {0xffffffff81000250, "helper"}, /* data skipped */
        {0xffffffff81000300, "weak_fn"},
        {0xffffffffc0001000, "mod_fn [ext4]"},
        {0xffffffffc0001fff, "mod_fn [ext4]"},
        {0xffffffffc0002000, NULL},
        {0xffffffff80ffffff, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = symtab_lookup(t, cases[i].addr);
        if (cases[i].name)
            assert_string_equal(got ? got : "(none)", cases[i].name);
        else
            assert_null(got);
    }
    symtab_free(t);

    /* What an unprivileged reader sees with kernel.kptr_restrict: all zeros. */
    write_file(path, "0000000000000000 T _stext\n0000000000000000 t helper\n");
    t = symtab_new();
    assert_int_equal(symtab_read_kallsyms(t, path), -EPERM);
    symtab_free(t);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* The kernel's own table, where this process may read its addresses. */
static void test_kallsyms_real(void **state)
{
    (void)state;
    FILE *f = fopen("/proc/kallsyms", "r");
    assert_non_null(f);
    char line[512];
    unsigned long long addr = 0;
    while (fgets(line, sizeof(line), f)) {
        char name[256], type;
        unsigned long long a;
        if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3 &&
            strcmp(name, "do_nanosleep") == 0) {
            addr = a;
            break;
        }
    }
    fclose(f);
    if (addr == 0)
        skip(); /* hidden (kptr_restrict, not root), or a kernel without it */
    struct symbols *s = symbols_new();
    assert_int_equal(symbols_load_kernel(s), 0);
    assert_string_equal(symbols_kernel(s, addr), "do_nanosleep");
    assert_string_equal(symbols_kernel(s, addr + 1), "do_nanosleep");
    assert_ptr_equal(symbols_kernel(s, addr), symbols_kernel(s, addr + 2)); /* interned */
    symbols_free(s);
}

__attribute__((noinline)) int test_symbols_known_function(int x);
__attribute__((noinline)) int test_symbols_known_function(int x)
{
    return x * 3 + 1;
}

__attribute__((noinline)) static int known_static_function(int x)
{
    return x * 5 + 2;
}

static int heap_word;

static void test_user(void **state)
{
    (void)state;
    struct symbols *s = symbols_new();
    assert_non_null(s);
    assert_int_equal(symbols_add_process(s, getpid()), 0);
    assert_int_equal(symbols_add_process(s, getpid()), 0); /* again: nothing new */
    int (*volatile fn)(int) = known_static_function;
    pid_t (*volatile libc_fn)(void) = getppid;
    assert_int_equal(fn(1), 7);
    void *heap = malloc(64);
    static const struct {
        int which; /* 0 global, 1 static, 2 libc, 3 data, 4 heap */
        uint64_t offset;
        const char *name; /* NULL: not in an executable mapping */
        bool known;
    } cases[] = {
        {0, 0, "test_symbols_known_function", true},
        {0, 1, "test_symbols_known_function", true},
        {1, 0, "known_static_function", true},
        {2, 0, "getppid [libc.so.6]", true},
        {2, 3, "getppid [libc.so.6]", true},
        {3, 0, NULL, false},
        {4, 0, NULL, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t base = cases[i].which == 0   ? (uint64_t)(uintptr_t)test_symbols_known_function
                        : cases[i].which == 1 ? (uint64_t)(uintptr_t)fn
                        : cases[i].which == 2 ? (uint64_t)(uintptr_t)libc_fn
                        : cases[i].which == 3 ? (uint64_t)(uintptr_t)&heap_word
                                              : (uint64_t)(uintptr_t)heap;
        bool known = true;
        const char *got = symbols_user(s, getpid(), base + cases[i].offset, &known);
        if (cases[i].name) {
            assert_string_equal(got ? got : "(none)", cases[i].name);
        } else {
            assert_null(got);
        }
        assert_int_equal(known, cases[i].known);
    }
    bool known;
    assert_null(symbols_user(s, getpid() + 100000, (uint64_t)(uintptr_t)libc_fn, &known));
    free(heap);
    symbols_free(s);
}

static void test_intern(void **state)
{
    (void)state;
    struct symbols *s = symbols_new();
    const char *a = symbols_intern(s, "frame;with\nnewline");
    assert_string_equal(a, "frame?with?newline");
    assert_ptr_equal(symbols_intern(s, "frame;with\nnewline"), a);
    assert_ptr_equal(symbols_intern(s, "frame?with?newline"), a);
    char name[32];
    const char *first = NULL;
    for (int i = 0; i < 20000; i++) { /* grows the table */
        snprintf(name, sizeof(name), "name%d", i);
        const char *p = symbols_intern(s, name);
        assert_string_equal(p, name);
        if (i == 0)
            first = p;
    }
    assert_ptr_equal(symbols_intern(s, "name0"), first);
    symbols_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),        cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_kallsyms_file), cmocka_unit_test(test_kallsyms_real),
        cmocka_unit_test(test_user),          cmocka_unit_test(test_intern),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
