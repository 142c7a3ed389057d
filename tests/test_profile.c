/* The profiler on a real program with known hot spots (tests/profile_target.c, its path
 * is argv[1]): a user-space checksum loop, a pread() loop and a nanosleep() loop, each in
 * a thread of its own, profiled for 0.4 s. Needs root or kernel.perf_event_paranoid <= 1:
 * skipped (77) otherwise. */
#include "profile.h"

#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static const char *target_path;

struct target {
    pid_t pid;
    int stdin_fd; /* closing it ends the target */
    pid_t burn, syscall, sleeper;
};

static void start_target(struct target *t)
{
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    t->pid = fork();
    assert_true(t->pid >= 0);
    if (t->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execl(target_path, target_path, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    t->stdin_fd = in[1];
    FILE *f = fdopen(out[0], "r");
    assert_non_null(f);
    char name[16];
    int tid;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fscanf(f, "%15s %d", name, &tid), 2);
        if (strcmp(name, "burn") == 0)
            t->burn = tid;
        else if (strcmp(name, "syscall") == 0)
            t->syscall = tid;
        else
            t->sleeper = tid;
    }
    fclose(f);
}

static void stop_target(struct target *t)
{
    close(t->stdin_fd);
    int status;
    assert_int_equal(waitpid(t->pid, &status, 0), t->pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static bool top_has(const struct profile_symbol *top, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(top[i].name, name) == 0)
            return true;
    return false;
}

/* Every line "frame;...;frame count": no empty frame, a positive count. Returns the
 * lines; *offcpu_sleep: a line of blocked time in do_nanosleep was seen. */
static size_t check_folded(const char *text, bool *offcpu_sleep, bool *pread_path)
{
    size_t lines = 0;
    *offcpu_sleep = *pread_path = false;
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        assert_non_null(nl);
        const char *space = nl;
        while (space > line && space[-1] != ' ')
            space--;
        assert_true(space > line + 1); /* a stack, a space, a count */
        char *end;
        unsigned long long count = strtoull(space, &end, 10);
        assert_ptr_equal(end, nl);
        assert_true(count > 0);
        size_t stack_len = (size_t)(space - 1 - line);
        char stack[8192];
        assert_true(stack_len < sizeof(stack));
        memcpy(stack, line, stack_len);
        stack[stack_len] = '\0';
        assert_true(stack[0] != ';' && stack[stack_len - 1] != ';');
        assert_null(strstr(stack, ";;"));
        if (strncmp(stack, "[off-cpu];", 10) == 0 && strstr(stack, ";do_nanosleep"))
            *offcpu_sleep = true;
        if (strstr(stack, ";__x64_sys_pread64;"))
            *pread_path = true;
        lines++;
        line = nl + 1;
    }
    return lines;
}

static double share_sum(const struct profile_symbol *top, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(top[i].share >= 0 && top[i].share <= 1);
        sum += top[i].share;
    }
    return sum;
}

static void test_target(void **state)
{
    (void)state;
    struct target t;
    start_target(&t);
    struct profile_options o = {.frequency_hz = 999, .offcpu = true};
    struct profile *p = profile_create(&o);
    assert_non_null(p);
    assert_int_equal(profile_attach(p, t.burn), 0);
    assert_int_equal(profile_attach(p, t.syscall), 0);
    assert_int_equal(profile_attach(p, t.sleeper), 0);
    profile_enable(p);
    sleep_ms(400);
    assert_int_equal(profile_finish(p), 0);
    stop_target(&t);

    struct profile_stats st;
    profile_get_stats(p, &st);
    printf("samples %llu (kernel %llu, user %llu), lost %llu, off-CPU %.3f s, preempted %.3f s, "
           "frames %llu (unknown %llu), stacks %llu\n",
           (unsigned long long)st.samples, (unsigned long long)st.kernel_samples,
           (unsigned long long)st.user_samples, (unsigned long long)st.lost, st.offcpu_ns / 1e9,
           st.preempted_ns / 1e9, (unsigned long long)st.frames,
           (unsigned long long)st.unknown_frames, (unsigned long long)st.stacks);
    assert_int_equal(st.threads, 3);
    assert_int_equal(st.period_ns, 1000000000 / 999);
    assert_int_equal(st.kernel_samples + st.user_samples, st.samples);
    /* Two busy threads for 0.4 s at 999 Hz: 800 samples on an idle machine, 266 seen
     * with a load of 5 on 2 CPUs; ask for an eighth. */
    assert_true(st.samples > 100);
    assert_true(st.kernel_samples > 25 && st.user_samples > 25);
    assert_int_equal(st.lost, 0); /* the ring holds 1 s, and the reader drains it */
    assert_int_equal(st.dropped, 0);
    assert_true(st.unknown_frames * 4 < st.frames);
    /* The sleeper blocked nearly all the time: at least half of it. */
    assert_true(st.offcpu_ns > 200000000 && st.offcpu_ns < 1000000000);

    static struct profile_symbol top[4096];
    size_t n = profile_top(p, PROFILE_USER, top, 4096);
    assert_true(n > 0);
    printf("user:   %5.1f%% %s\n", 100 * top[0].share, top[0].name);
    assert_string_equal(top[0].name, "profile_target_checksum");
    assert_true(top[0].share > 0.15);
    double user_sum = share_sum(top, n);
    assert_true(user_sum <= 1 + 1e-9);
    assert_true(user_sum > (double)st.user_samples / (double)st.samples - 1e-9);

    n = profile_top(p, PROFILE_KERNEL, top, 4096);
    for (size_t i = 0; i < n && i < 8; i++)
        printf("kernel: %5.1f%% %s\n", 100 * top[i].share, top[i].name);
    /* The read path of this kernel (6.18): filemap_read copies out of the page cache. */
    assert_true(top_has(top, n < 15 ? n : 15, "filemap_read") ||
                top_has(top, n < 15 ? n : 15, "_copy_to_iter") ||
                top_has(top, n < 15 ? n : 15, "filemap_get_read_batch"));
    double kernel_sum = share_sum(top, n);
    assert_true(kernel_sum + user_sum <= 1 + 1e-9);

    n = profile_top(p, PROFILE_OFFCPU, top, 4096);
    assert_true(n > 0);
    printf("off-CPU: %5.1f%% %s\n", 100 * top[0].share, top[0].name);
    assert_string_equal(top[0].name, "do_nanosleep");
    assert_true(share_sum(top, n) <= 1 + 1e-9);
    assert_true(profile_top(p, PROFILE_OFFCPU, top, 0) == 0);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(profile_write_folded(p, f), 0);
    assert_int_equal(fclose(f), 0);
    bool offcpu_sleep, pread_path;
    size_t lines = check_folded(text, &offcpu_sleep, &pread_path);
    printf("folded: %zu lines\n", lines);
    assert_true(lines > 3);
    assert_true(offcpu_sleep);
    assert_true(pread_path);
    assert_non_null(strstr(text, "profile_target_checksum "));
    free(text);
    assert_int_equal(profile_attach(p, getpid()), -EINVAL); /* finished */
    profile_free(p);
}

/* A full ring buffer: the reader cannot run while this whole process is stopped, and the
 * target fills a one-page ring meanwhile. The loss must be counted. */
static void test_lost(void **state)
{
    (void)state;
    struct target t;
    start_target(&t);
    struct profile_options o = {.frequency_hz = 999, .offcpu = true, .ring_bytes = 4096};
    struct profile *p = profile_create(&o);
    assert_non_null(p);
    assert_int_equal(profile_attach(p, t.burn), 0);
    assert_int_equal(profile_attach(p, t.sleeper), 0);
    profile_enable(p);
    pid_t stopper = fork();
    assert_true(stopper >= 0);
    if (stopper == 0) {
        pid_t parent = getppid();
        kill(parent, SIGSTOP);
        sleep_ms(300);
        kill(parent, SIGCONT);
        _exit(0);
    }
    int status;
    while (waitpid(stopper, &status, 0) < 0 && errno == EINTR)
        ;
    sleep_ms(100);
    assert_int_equal(profile_finish(p), 0);
    stop_target(&t);
    struct profile_stats st;
    profile_get_stats(p, &st);
    printf("ring %llu bytes: samples %llu, lost %llu\n", (unsigned long long)st.ring_bytes,
           (unsigned long long)st.samples, (unsigned long long)st.lost);
    assert_int_equal(st.ring_bytes, 4096);
    assert_true(st.lost > 0);
    assert_true(st.samples > 0);
    profile_free(p);
}

/* An unprivileged user on a kernel with perf_event_paranoid >= 2 gets the reason. */
static void test_unprivileged(void **state)
{
    (void)state;
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    int paranoid = 2;
    if (f) {
        if (fscanf(f, "%d", &paranoid) != 1)
            paranoid = 2;
        fclose(f);
    }
    if (geteuid() != 0 || paranoid < 2)
        skip(); /* cannot drop to a user that lacks the permission */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
            setresuid(65534, 65534, 65534) < 0)
            _exit(3);
        char why[512] = "";
        int ret = profile_check_support(why, sizeof(why));
        fprintf(stderr, "unprivileged: %d: %s\n", ret, why);
        _exit(ret == -EPERM && strstr(why, "perf_event_paranoid") ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_bad_options(void **state)
{
    (void)state;
    struct profile_options o = {.frequency_hz = 200000};
    assert_null(profile_create(&o));
    o.frequency_hz = 0; /* the default */
    struct profile *p = profile_create(&o);
    assert_non_null(p);
    struct profile_stats st;
    profile_get_stats(p, &st);
    assert_int_equal(st.period_ns, 1000000000 / PROFILE_DEFAULT_HZ);
    assert_true(st.ring_bytes >= (uint64_t)PROFILE_DEFAULT_HZ * 8 * PROFILE_MAX_FRAMES);
    assert_int_equal(profile_attach(p, 0x7ffffff0), -ESRCH);
    assert_int_equal(profile_finish(p), 0); /* nothing attached: an empty profile */
    struct profile_symbol top[4];
    assert_int_equal(profile_top(p, PROFILE_KERNEL, top, 4), 0);
    profile_free(p);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PROFILE_TARGET\n", argv[0]);
        return 2;
    }
    target_path = argv[1];
    char why[512];
    if (profile_check_support(why, sizeof(why)) < 0) {
        printf("skipped: %s\n", why);
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target),
        cmocka_unit_test(test_lost),
        cmocka_unit_test(test_unprivileged),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
