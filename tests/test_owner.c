/* Owners: the text form round-trips, bad texts are refused, and liveness is decided by
 * pid and start time together (a reused pid, a zombie, another boot: dead). */
#include "owner.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static const char *const bad_texts[] = {
    "",
    "pid=",
    "pid=0 start=1",
    "pid=-5 start=1",
    "pid=12",
    "pid=12 start=",
    "pid=12 start=x",
    "pid=12 start=5 ",
    "pid=12 start=5 boot=",
    "pid=12 start=5 boot=not-a-uuid",
    "pid=12 start=5 boot=0123456789abcdef0123456789abcdef0123x",
    "pid=99999999999999999999 start=5",
    " pid=12 start=5",
    "owner: pid=12 start=5",
};

static void test_parse(void **state)
{
    (void)state;
    struct owner o;
    for (size_t i = 0; i < sizeof(bad_texts) / sizeof(bad_texts[0]); i++)
        if (owner_parse(bad_texts[i], &o) != -EINVAL)
            fail_msg("\"%s\" was accepted", bad_texts[i]);
    assert_int_equal(owner_parse("pid=12 start=345", &o), 0);
    assert_int_equal(o.pid, 12);
    assert_true(o.start_ticks == 345);
    assert_string_equal(o.boot_id, "");
    assert_int_equal(owner_parse("pid=7 start=9 boot=0f0e0d0c-0b0a-0908-0706-050403020100", &o), 0);
    assert_string_equal(o.boot_id, "0f0e0d0c-0b0a-0908-0706-050403020100");
}

static void test_round_trip(void **state)
{
    (void)state;
    struct owner self, back;
    assert_int_equal(owner_self(&self), 0);
    assert_int_equal(self.pid, getpid());
    assert_true(self.start_ticks > 0);
    char text[OWNER_TEXT_MAX];
    owner_format(&self, text, sizeof(text));
    assert_int_equal(owner_parse(text, &back), 0);
    assert_memory_equal(&self, &back, sizeof(self));
}

static void test_state(void **state)
{
    (void)state;
    struct owner self;
    assert_int_equal(owner_self(&self), 0);
    assert_int_equal(owner_state(&self), OWNER_ALIVE);

    struct owner reused = self; /* this pid, another start time: not the owner */
    reused.start_ticks++;
    assert_int_equal(owner_state(&reused), OWNER_DEAD);

    struct owner other_boot = self;
    memcpy(other_boot.boot_id, "00000000-0000-0000-0000-000000000000", OWNER_BOOT_ID_LEN + 1);
    assert_int_equal(owner_state(&other_boot), self.boot_id[0] ? OWNER_DEAD : OWNER_ALIVE);

    struct owner no_boot = self; /* a cgroup name records no boot: this one's */
    no_boot.boot_id[0] = '\0';
    assert_int_equal(owner_state(&no_boot), OWNER_ALIVE);

    /* A child that exited: a zombie until reaped, then no process at all. */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    char path[32], text[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)child);
    struct owner zombie = {.pid = child};
    for (int tries = 0; tries < 1000; tries++) {
        FILE *f = fopen(path, "re");
        size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
        if (f)
            fclose(f);
        text[n] = '\0';
        const char *p = strrchr(text, ')');
        if (p && p[1] == ' ' && p[2] == 'Z') {
            unsigned long long start = 0;
            for (int field = 3; field <= 22 && p; field++) /* to the space before starttime */
                p = strchr(p + 1, ' ');
            assert_non_null(p);
            assert_int_equal(sscanf(p, " %llu", &start), 1);
            zombie.start_ticks = start;
            break;
        }
        usleep(1000);
    }
    assert_true(zombie.start_ticks > 0);
    assert_int_equal(owner_state(&zombie), OWNER_DEAD);
    assert_int_equal(waitpid(child, NULL, 0), child);
    assert_int_equal(owner_state(&zombie), OWNER_DEAD);

    struct owner nobody = {.pid = 0};
    assert_int_equal(owner_state(&nobody), OWNER_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
