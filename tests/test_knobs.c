/* Kernel settings for a phase: validation with its refusals, a round trip of every setting
 * this kernel has, restore from a signal handler, recovery after SIGKILL, journals whose
 * owner lives, and refusal without root. Writes the machine's real settings, briefly; the
 * group teardown checks that every one of them is back as it was. Needs root for all but
 * the syntax cases (exit 77 without it). */
#include "kcounters.h"
#include "knobs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define DATA_DIR     "/var/tmp" /* ext4 on a real disk here */
#define THP          "/sys/kernel/mm/transparent_hugepage"
#define VM           "/proc/sys/vm/"
#define DEBUGFS      "/sys/kernel/debug"
#define DEBUGFS_TYPE 0x64626720
#define STATE_MAX    64

static char err[2048];

/* ---- The machine's settings, read directly --------------------------------------- */

static void read_text(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
}

/* A setting as the module reports it: a choice file's [bracketed] word, else the text. */
static void setting(const char *path, char *buf, size_t len)
{
    char text[512];
    read_text(path, text, sizeof(text));
    const char *lb = strchr(text, '['), *rb = lb ? strchr(lb, ']') : NULL;
    if (lb && rb)
        snprintf(buf, len, "%.*s", (int)(rb - lb - 1), lb + 1);
    else
        snprintf(buf, len, "%s", text);
}

static void write_text(const char *path, const char *value)
{
    FILE *f = fopen(path, "we");
    assert_non_null(f);
    assert_true(fputs(value, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static char disk_read_ahead[128]; /* /sys/block/<disk>/queue/read_ahead_kb of DATA_DIR */

static struct {
    char path[160];
    char value[256];
} state[STATE_MAX];
static size_t state_n;
static bool debugfs_was_mounted;

static bool debugfs_mounted(void)
{
    struct statfs fs;
    return statfs(DEBUGFS, &fs) == 0 && (unsigned long)fs.f_type == DEBUGFS_TYPE;
}

static void state_add(const char *path)
{
    if (state_n < STATE_MAX && access(path, R_OK) == 0) {
        snprintf(state[state_n].path, sizeof(state[state_n].path), "%s", path);
        setting(path, state[state_n].value, sizeof(state[state_n].value));
        state_n++;
    }
}

static bool put_back(const char *path, const char *value)
{
    FILE *f = fopen(path, "we");
    bool ok = f && fputs(value, f) >= 0;
    return f ? fclose(f) == 0 && ok : false;
}

/* The safety net when a test failed with settings changed: the recorded values written
 * back directly, a dirty pair through the member that was in force (writing one zeroes
 * the other). */
static void state_put_back(void)
{
    static const char *const pairs[][2] = {
        {VM "dirty_ratio", VM "dirty_bytes"},
        {VM "dirty_background_ratio", VM "dirty_background_bytes"},
        {VM "overcommit_ratio", VM "overcommit_kbytes"},
    };
    for (size_t i = 0; i < state_n; i++) {
        bool pair = false;
        for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++)
            pair =
                pair || !strcmp(state[i].path, pairs[k][0]) || !strcmp(state[i].path, pairs[k][1]);
        if (!pair && !put_back(state[i].path, state[i].value))
            fprintf(stderr, "could not put back %s = %s\n", state[i].path, state[i].value);
    }
    for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
        const char *ratio = NULL, *bytes = NULL;
        for (size_t i = 0; i < state_n; i++) {
            if (!strcmp(state[i].path, pairs[k][0]))
                ratio = state[i].value;
            if (!strcmp(state[i].path, pairs[k][1]))
                bytes = state[i].value;
        }
        if (ratio && bytes &&
            !put_back(strcmp(bytes, "0") ? pairs[k][1] : pairs[k][0],
                      strcmp(bytes, "0") ? bytes : ratio))
            fprintf(stderr, "could not put back %s\n", pairs[k][0]);
    }
}

static int count_journals(long pid)
{
    DIR *d = opendir(KNOBS_JOURNAL_DIR);
    int n = 0;
    struct dirent *de;
    char prefix[48];
    snprintf(prefix, sizeof(prefix), "knobs-%ld-", pid);
    while (d && (de = readdir(d)))
        n += pid ? strncmp(de->d_name, prefix, strlen(prefix)) == 0
                 : strncmp(de->d_name, "knobs-", 6) == 0;
    if (d)
        closedir(d);
    return n;
}

static int record_state(void **unused)
{
    (void)unused;
    if (geteuid() == 0) {
        /* As mmbench does at start: a test run that died left its journal. */
        char report[4096];
        if (knobs_recover_dead_runs(report, sizeof(report)) > 0)
            fprintf(stderr, "%s", report);
    }
    struct kcounters_source src;
    kcounters_source_init(&src, DATA_DIR);
    if (src.disk[0])
        snprintf(disk_read_ahead, sizeof(disk_read_ahead), "/sys/block/%s/queue/read_ahead_kb",
                 src.disk);
    state_add(disk_read_ahead);
    static const char *const files[] = {
        THP "/enabled",
        THP "/defrag",
        THP "/shmem_enabled",
        VM "dirty_ratio",
        VM "dirty_bytes",
        VM "dirty_background_ratio",
        VM "dirty_background_bytes",
        VM "dirty_expire_centisecs",
        VM "dirty_writeback_centisecs",
        VM "swappiness",
        VM "vfs_cache_pressure",
        VM "overcommit_ratio",
        VM "overcommit_kbytes",
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        state_add(files[i]);
    DIR *d = opendir(THP);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char path[160];
        if (strncmp(de->d_name, "hugepages-", 10) != 0)
            continue;
        snprintf(path, sizeof(path), THP "/%s/enabled", de->d_name);
        state_add(path);
        snprintf(path, sizeof(path), THP "/%s/shmem_enabled", de->d_name);
        state_add(path);
    }
    if (d)
        closedir(d);
    debugfs_was_mounted = debugfs_mounted();
    return 0;
}

/* Every test leaves the machine as it found it. */
static int check_state(void **unused)
{
    (void)unused;
    int bad = 0;
    for (size_t i = 0; i < state_n; i++) {
        char now[256];
        setting(state[i].path, now, sizeof(now));
        if (strcmp(now, state[i].value) != 0) {
            fprintf(stderr, "NOT RESTORED: %s was \"%s\", is \"%s\"\n", state[i].path,
                    state[i].value, now);
            bad++;
        }
    }
    if (bad)
        state_put_back();
    if (debugfs_mounted() != debugfs_was_mounted) {
        fprintf(stderr, "debugfs mount state changed\n");
        bad++;
    }
    if (count_journals(getpid())) {
        fprintf(stderr, "a journal of this process is left in %s\n", KNOBS_JOURNAL_DIR);
        bad++;
    }
    fprintf(stderr, "checked %zu settings: %s\n", state_n, bad ? "CHANGED" : "all as found");
    return bad ? -1 : 0;
}

static void need_root(void)
{
    if (geteuid() != 0)
        skip();
}

/* A choice of the file at path other than its current one (not "inherit" unless asked). */
static void other_choice(const char *path, char *buf, size_t len)
{
    char text[512], cur[64];
    read_text(path, text, sizeof(text));
    setting(path, cur, sizeof(cur));
    buf[0] = '\0';
    for (char *save = NULL, *w = strtok_r(text, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (w[0] == '[')
            continue;
        snprintf(buf, len, "%s", w);
        if (strcmp(w, "always") != 0) /* "always" for THP would fault huge pages everywhere */
            break;
    }
    assert_true(buf[0] && strcmp(buf, cur) != 0);
}

/* ---- Tests -------------------------------------------------------------------------- */

static void test_key_table(void **unused)
{
    (void)unused;
    static const char *const wanted[] = {
        "read_ahead_kb",
        "thp",
        "thp_shmem",
        "fault_around_bytes",
        "lru_gen",
        "vm.dirty_ratio",
        "vm.dirty_bytes",
        "vm.dirty_background_ratio",
        "vm.dirty_background_bytes",
        "vm.dirty_expire_centisecs",
        "vm.dirty_writeback_centisecs",
        "vm.overcommit_ratio",
        "vm.overcommit_kbytes",
        "vm.<name>",
    };
    for (size_t w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++) {
        bool found = false;
        for (size_t i = 0; i < knobs_key_count(); i++) {
            const struct knobs_key_info *k = knobs_key(i);
            assert_true(k->key[0] && k->values[0] && k->help[0]);
            found = found || strcmp(k->key, wanted[w]) == 0;
        }
        assert_true(found);
    }
    assert_null(knobs_key(knobs_key_count()));
}

struct validation_case {
    const char *key;
    const char *value;
    const char *dir;
    int ret;            /* expected: 0 or a negative errno */
    const char *reason; /* substring of the refusal */
};

static void check_cases(const struct validation_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct validation_case *c = &cases[i];
        struct knobs_request r = {c->key, c->value};
        struct knobs_plan *p = NULL;
        err[0] = '\0';
        int ret = knobs_plan_create(&r, 1, c->dir, &p, err, sizeof(err));
        if (ret != c->ret || (c->reason && !strstr(err, c->reason)))
            fail_msg("%s=%s: got %d \"%s\", want %d \"%s\"", c->key, c->value, ret, err, c->ret,
                     c->reason ? c->reason : "");
        assert_true(ret == 0 ? p != NULL : p == NULL);
        knobs_plan_free(p);
    }
}

/* Refusals decided by the key or value alone: the same for any user. */
static void test_validation_syntax(void **unused)
{
    (void)unused;
    static const struct validation_case cases[] = {
        {"no_such_knob", "1", DATA_DIR, -EINVAL, "unknown kernel setting"},
        {"kernel.pid_max", "4096", DATA_DIR, -EINVAL, "only vm.* sysctls"},
        {"net.core.somaxconn", "1", DATA_DIR, -EINVAL, "only vm.* sysctls"},
        {"vm../../etc/passwd", "1", DATA_DIR, -EINVAL, "not a sysctl name"},
        {"vm.a/b", "1", DATA_DIR, -EINVAL, "not a sysctl name"},
        {"vm.", "1", DATA_DIR, -EINVAL, "not a sysctl name"},
        {"vm.Swappiness", "1", DATA_DIR, -EINVAL, "not a sysctl name"},
        {"thp_x64kB", "never", DATA_DIR, -EINVAL, "unknown kernel setting"},
        {"read_ahead_kb", "128", NULL, -EINVAL, "needs the data directory"},
        {"read_ahead_kb", "128", "/dev/shm", -ENODEV, "tmpfs"},
        {"read_ahead_kb", "128", "/no/such/dir", -ENODEV, "cannot stat"},
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
    struct knobs_plan *p;
    struct knobs_request many[KNOBS_MAX + 1];
    for (size_t i = 0; i <= KNOBS_MAX; i++)
        many[i] = (struct knobs_request){"vm.swappiness", "60"};
    assert_int_equal(knobs_plan_create(many, KNOBS_MAX + 1, DATA_DIR, &p, err, sizeof(err)),
                     -E2BIG);
}

static void test_validation_kernel(void **unused)
{
    (void)unused;
    need_root();
    bool lru = access("/sys/kernel/mm/lru_gen/enabled", F_OK) == 0;
    char swappiness[32];
    read_text(VM "swappiness", swappiness, sizeof(swappiness));
    const struct validation_case cases[] = {
        {"read_ahead_kb", "128", DATA_DIR, 0, NULL},
        {"read_ahead_kb", "0", DATA_DIR, 0, NULL},
        {"read_ahead_kb", "10", DATA_DIR, -EINVAL, "multiple of 4"},
        {"read_ahead_kb", "-4", DATA_DIR, -EINVAL, "not a readahead size"},
        {"read_ahead_kb", "4194304", DATA_DIR, -EINVAL, "not a readahead size"},
        {"read_ahead_kb", "12k", DATA_DIR, -EINVAL, "not a readahead size"},
        {"thp", "never", NULL, 0, NULL},
        {"thp", "madvise", NULL, 0, NULL},
        {"thp", "sometimes", NULL, -EINVAL, "not one of always, madvise, never"},
        {"thp", "[never]", NULL, -EINVAL, "not one of"},
        {"thp", "", NULL, -EINVAL, "not one of"},
        {"thp_shmem", "advise", NULL, 0, NULL},
        {"thp_shmem", "inherit", NULL, -EINVAL, "not one of"},
        {"thp_defrag", "defer+madvise", NULL, 0, NULL},
        {"thp_2048kB", "inherit", NULL, 0, NULL},
        {"thp_shmem_64kB", "within_size", NULL, 0, NULL},
        {"thp_8kB", "never", NULL, -ENOENT, "no such setting"}, /* no order-1 anonymous THP */
        {"thp_3kB", "never", NULL, -ENOENT, "does not exist"},
        {"lru_gen", "y", NULL, lru ? 0 : -ENOENT, lru ? NULL : "no multi-gen LRU"},
        {"lru_gen", "maybe", NULL, lru ? -EINVAL : -ENOENT, NULL},
        {"vm.dirty_ratio", "10", NULL, 0, NULL},
        {"vm.dirty_ratio", "010", NULL, 0, NULL},
        {"vm.dirty_ratio", "ten", NULL, -EINVAL, "does not look like its value"},
        {"vm.dirty_bytes", "268435456", NULL, 0, NULL},
        {"vm.dirty_background_ratio", "5", NULL, 0, NULL},
        {"vm.dirty_background_bytes", "67108864", NULL, 0, NULL},
        {"vm.dirty_expire_centisecs", "1000", NULL, 0, NULL},
        {"vm.dirty_writeback_centisecs", "100", NULL, 0, NULL},
        {"vm.dirty_writeback_centisecs", "1 2", NULL, -EINVAL, "does not look like"},
        {"vm.swappiness", swappiness, NULL, 0, NULL},
        {"vm.vfs_cache_pressure", "200", NULL, 0, NULL},
        {"vm.lowmem_reserve_ratio", "256 256 32 0 0", NULL, 0, NULL},
        {"vm.lowmem_reserve_ratio", "256", NULL, -EINVAL, "does not look like"},
        {"vm.swappiness", "6\n0", NULL, -EINVAL, "control character"},
        {"vm.drop_caches", "3", NULL, -EINVAL, "write-only"},
        {"vm.compact_memory", "1", NULL, -EINVAL, "write-only"},
        {"vm.stat_refresh", "1", NULL, -EINVAL, "not a value mmbench can restore"},
        {"vm.no_such_sysctl", "1", NULL, -ENOENT, "does not exist"},
        {"fault_around_bytes", "65537", NULL, -EINVAL, "power of two"},
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));

    static const struct {
        struct knobs_request r[3];
        size_t n;
        const char *reason;
    } multi[] = {
        {{{"vm.swappiness", "10"}, {"vm.swappiness", "20"}}, 2, "set twice"},
        {{{"vm.dirty_ratio", "10"}, {"vm.dirty_bytes", "268435456"}}, 2, "cannot both be set"},
        {{{"vm.dirty_background_bytes", "67108864"},
          {"thp", "never"},
          {"vm.dirty_background_ratio", "5"}},
         3,
         "cannot both be set"},
        {{{"thp", "never"}, {"thp", "never"}}, 2, "set twice"},
        {{{"vm.overcommit_kbytes", "1048576"}, {"vm.overcommit_ratio", "40"}},
         2,
         "cannot both be set"},
    };
    for (size_t i = 0; i < sizeof(multi) / sizeof(multi[0]); i++) {
        struct knobs_plan *p = NULL;
        assert_int_equal(knobs_plan_create(multi[i].r, multi[i].n, DATA_DIR, &p, err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, multi[i].reason));
        assert_null(p);
    }
    assert_int_equal(count_journals(getpid()), 0); /* validation creates nothing */
}

/* fault_around_bytes: where debugfs can be mounted but lockdown forbids its writable files
 * (as here), a refusal that says so; elsewhere a round trip. Either way debugfs is left
 * mounted or not as it was, with it mounted by the test and without. */
static void test_fault_around_bytes(void **unused)
{
    (void)unused;
    need_root();
    bool was = debugfs_mounted();
    for (int premounted = 0; premounted < 2; premounted++) {
        bool mounted_here = false;
        if (premounted && !debugfs_mounted()) {
            assert_int_equal(system("mount -t debugfs debugfs " DEBUGFS), 0);
            mounted_here = true;
        } else if (!premounted && debugfs_mounted()) {
            continue; /* someone else's debugfs: leave it */
        }
        bool before = debugfs_mounted();
        struct knobs_request r = {"fault_around_bytes", "16384"};
        struct knobs_plan *p = NULL;
        int ret = knobs_plan_create(&r, 1, NULL, &p, err, sizeof(err));
        assert_int_equal(debugfs_mounted(), before);
        if (ret < 0) {
            print_message("fault_around_bytes (debugfs %s): refused: %s\n",
                          premounted ? "mounted" : "not mounted", err);
            assert_int_equal(ret, -EPERM);
            assert_non_null(strstr(err, "lockdown"));
        } else {
            char desc[256], now[64];
            knobs_plan_describe(p, desc, sizeof(desc));
            print_message("%s", desc);
            assert_int_equal(knobs_apply(p, err, sizeof(err)), 0);
            assert_int_equal(debugfs_mounted(), before);
            if (!premounted)
                assert_int_equal(system("mount -t debugfs debugfs " DEBUGFS), 0);
            read_text(DEBUGFS "/fault_around_bytes", now, sizeof(now));
            if (!premounted)
                assert_int_equal(system("umount " DEBUGFS), 0);
            assert_string_equal(now, "16384");
            assert_int_equal(knobs_restore(p, err, sizeof(err)), 0);
            assert_int_equal(debugfs_mounted(), before);
            knobs_plan_free(p);
        }
        if (mounted_here)
            assert_int_equal(system("umount " DEBUGFS), 0);
    }
    assert_int_equal(debugfs_mounted(), was);
}

struct trip {
    char key[48];
    char path[160];
    char value[64];
};

/* Applies one plan of all trips, checks each file, restores, checks each is back; then
 * the same one setting at a time. */
static void round_trip(const struct trip *t, size_t n)
{
    struct knobs_request req[KNOBS_MAX];
    char before[KNOBS_MAX][256];
    for (size_t i = 0; i < n; i++) {
        req[i] = (struct knobs_request){t[i].key, t[i].value};
        setting(t[i].path, before[i], sizeof(before[i]));
    }
    for (size_t one = 0; one <= n; one++) {
        size_t first = one == n ? 0 : one, count = one == n ? n : 1;
        struct knobs_plan *p;
        assert_int_equal(knobs_plan_create(req + first, count, DATA_DIR, &p, err, sizeof(err)), 0);
        if (one == n) {
            char desc[4096];
            knobs_plan_describe(p, desc, sizeof(desc));
            print_message("all at once:\n%s", desc);
        }
        if (knobs_apply(p, err, sizeof(err)) != 0)
            fail_msg("apply: %s", err);
        assert_int_equal(count_journals(getpid()), 1);
        for (size_t i = first; i < first + count; i++) {
            char now[256];
            setting(t[i].path, now, sizeof(now));
            if (strcmp(now, t[i].value) != 0)
                fail_msg("%s: %s holds \"%s\", want \"%s\"", t[i].key, t[i].path, now, t[i].value);
        }
        assert_int_equal(knobs_restore(p, err, sizeof(err)), 0);
        assert_int_equal(count_journals(getpid()), 0);
        for (size_t i = first; i < first + count; i++) {
            char now[256];
            setting(t[i].path, now, sizeof(now));
            assert_string_equal(now, before[i]);
        }
        knobs_plan_free(p);
    }
}

static void add_trip(struct trip *t, size_t *n, const char *key, const char *path,
                     const char *value)
{
    snprintf(t[*n].key, sizeof(t[*n].key), "%s", key);
    snprintf(t[*n].path, sizeof(t[*n].path), "%s", path);
    snprintf(t[*n].value, sizeof(t[*n].value), "%s", value);
    (*n)++;
}

/* Every setting this kernel has, each to a value other than its own. */
static void test_round_trip(void **unused)
{
    (void)unused;
    need_root();
    struct trip t[KNOBS_MAX];
    size_t n = 0;
    char v[64], cur[64];
    if (disk_read_ahead[0]) {
        setting(disk_read_ahead, cur, sizeof(cur));
        add_trip(t, &n, "read_ahead_kb", disk_read_ahead, strcmp(cur, "128") == 0 ? "256" : "128");
    }
    static const struct {
        const char *key;
        const char *path;
    } choices[] = {
        {"thp", THP "/enabled"},
        {"thp_defrag", THP "/defrag"},
        {"thp_shmem", THP "/shmem_enabled"},
        {"thp_64kB", THP "/hugepages-64kB/enabled"},
        {"thp_shmem_2048kB", THP "/hugepages-2048kB/shmem_enabled"},
    };
    for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
        if (access(choices[i].path, W_OK) != 0)
            continue;
        other_choice(choices[i].path, v, sizeof(v));
        add_trip(t, &n, choices[i].key, choices[i].path, v);
    }
    static const char *const ints[] = {"dirty_ratio",
                                       "dirty_background_ratio",
                                       "dirty_expire_centisecs",
                                       "dirty_writeback_centisecs",
                                       "swappiness",
                                       "vfs_cache_pressure"};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        char path[160], key[48];
        snprintf(path, sizeof(path), VM "%s", ints[i]);
        snprintf(key, sizeof(key), "vm.%s", ints[i]);
        setting(path, cur, sizeof(cur));
        snprintf(v, sizeof(v), "%ld",
                 strtol(cur, NULL, 10) > 10 ? strtol(cur, NULL, 10) - 1
                                            : strtol(cur, NULL, 10) + 1);
        add_trip(t, &n, key, path, v);
    }
    round_trip(t, n);
}

/* The paired limits: writing one member zeroes the other; a restore must bring back
 * exactly the original pair, whichever member was in force. */
static void test_paired_limits(void **unused)
{
    (void)unused;
    need_root();
    static const struct {
        const char *ratio;
        const char *bytes;
        const char *set_ratio;
        const char *set_bytes;
        const char *by_hand; /* the _bytes value put in force by hand for the second form */
    } pairs[] = {
        {"dirty_ratio", "dirty_bytes", "15", "268435456", "134217728"},
        {"dirty_background_ratio", "dirty_background_bytes", "7", "67108864", "134217728"},
        {"overcommit_ratio", "overcommit_kbytes", "40", "1048576", "2097152"},
    };
    char overcommit[8];
    read_text(VM "overcommit_memory", overcommit, sizeof(overcommit));
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        if (!strncmp(pairs[i].ratio, "overcommit", 10) && !strcmp(overcommit, "2"))
            continue; /* strict overcommit: the limit is live, not ours to move */
        char rpath[160], bpath[160], r0[32], b0[32];
        snprintf(rpath, sizeof(rpath), VM "%s", pairs[i].ratio);
        snprintf(bpath, sizeof(bpath), VM "%s", pairs[i].bytes);
        read_text(rpath, r0, sizeof(r0));
        read_text(bpath, b0, sizeof(b0));
        /* Both forms of the original: as found, and with the _bytes member in force (set
         * here by hand, and put back by hand below). */
        for (int form = 0; form < 2; form++) {
            if (form == 1)
                write_text(bpath, pairs[i].by_hand);
            char ro[32], bo[32];
            read_text(rpath, ro, sizeof(ro));
            read_text(bpath, bo, sizeof(bo));
            for (int member = 0; member < 2; member++) {
                char key[48], r[32], b[32];
                snprintf(key, sizeof(key), "vm.%s", member ? pairs[i].bytes : pairs[i].ratio);
                struct knobs_request req = {key, member ? pairs[i].set_bytes : pairs[i].set_ratio};
                struct knobs_plan *p;
                assert_int_equal(knobs_plan_create(&req, 1, NULL, &p, err, sizeof(err)), 0);
                assert_int_equal(knobs_apply(p, err, sizeof(err)), 0);
                read_text(rpath, r, sizeof(r));
                read_text(bpath, b, sizeof(b));
                assert_string_equal(member ? b : r, req.value);
                assert_string_equal(member ? r : b, "0"); /* the kernel zeroed the other */
                assert_int_equal(knobs_restore(p, err, sizeof(err)), 0);
                knobs_plan_free(p);
                read_text(rpath, r, sizeof(r));
                read_text(bpath, b, sizeof(b));
                print_message("%s=%s %s=%s: set %s=%s, restored to %s=%s %s=%s\n", pairs[i].ratio,
                              ro, pairs[i].bytes, bo, key, req.value, pairs[i].ratio, r,
                              pairs[i].bytes, b);
                assert_string_equal(r, ro);
                assert_string_equal(b, bo);
            }
        }
        write_text(strcmp(b0, "0") != 0 ? bpath : rpath, strcmp(b0, "0") != 0 ? b0 : r0);
        char r[32], b[32];
        read_text(rpath, r, sizeof(r));
        read_text(bpath, b, sizeof(b));
        assert_string_equal(r, r0);
        assert_string_equal(b, b0);
    }
}

/* A value the kernel refuses at apply time (dirty_bytes below two pages) undoes the
 * settings written before it and leaves no journal. */
static void test_apply_failure_undoes(void **unused)
{
    (void)unused;
    need_root();
    char swap0[32], now[32];
    read_text(VM "swappiness", swap0, sizeof(swap0));
    struct knobs_request req[] = {{"vm.swappiness", strcmp(swap0, "61") ? "61" : "62"},
                                  {"vm.dirty_bytes", "4096"}};
    struct knobs_plan *p;
    assert_int_equal(knobs_plan_create(req, 2, NULL, &p, err, sizeof(err)), 0);
    int ret = knobs_apply(p, err, sizeof(err));
    print_message("apply refused: %s\n", err);
    assert_int_equal(ret, -EINVAL);
    assert_non_null(strstr(err, "vm.dirty_bytes"));
    read_text(VM "swappiness", now, sizeof(now));
    assert_string_equal(now, swap0);
    assert_int_equal(count_journals(getpid()), 0);
    assert_int_equal(knobs_restore(p, err, sizeof(err)), 0); /* not applied: nothing */
    knobs_plan_free(p);
}

/* The plan the child processes apply: several kinds of setting at once. */
static const struct knobs_request child_plan[] = {
    {"read_ahead_kb", "128"},
    {"thp", "never"},
    {"thp_shmem", "advise"},
    {"vm.dirty_bytes", "268435456"},
    {"vm.dirty_expire_centisecs", "1500"},
    {"vm.swappiness", "59"},
};
#define CHILD_PLAN_N (sizeof(child_plan) / sizeof(child_plan[0]))
static const char *const child_paths[] = {
    disk_read_ahead,
    THP "/enabled",
    THP "/shmem_enabled",
    VM "dirty_bytes",
    VM "dirty_expire_centisecs",
    VM "swappiness",
};

static pid_t children[16]; /* started by this test; the teardown ends any left */
static size_t children_n;
static char fake_journals[8][96]; /* written by this test; the teardown removes any left */
static size_t fake_n;

/* After each test, also a failed one: no child of it lives on and no journal it wrote
 * stays. A child killed here leaves its journal, which the recovery replays. */
static int end_children(void **unused)
{
    (void)unused;
    bool killed = false;
    for (size_t i = 0; i < children_n; i++) {
        if (waitpid(children[i], NULL, WNOHANG) == 0) {
            kill(children[i], SIGKILL);
            waitpid(children[i], NULL, 0);
            killed = true;
        }
    }
    children_n = 0;
    for (size_t i = 0; i < fake_n; i++) {
        char path[160];
        snprintf(path, sizeof(path), "%s/%s", KNOBS_JOURNAL_DIR, fake_journals[i]);
        unlink(path);
    }
    fake_n = 0;
    if (killed) {
        char report[4096];
        knobs_recover_dead_runs(report, sizeof(report));
        fprintf(stderr, "teardown: %s", report);
    }
    return 0;
}

static void on_signal(int sig)
{
    (void)sig;
    knobs_emergency_restore();
    _exit(42);
}

/* Forks a child that applies plan (installing on_signal for sig when sig is not 0),
 * reports on the pipe and waits to be killed or told to restore. */
static pid_t start_child(const struct knobs_request *plan, size_t n, int sig, int *to_child)
{
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        if (sig)
            signal(sig, on_signal);
        struct knobs_plan *p;
        char e[1024];
        char ok = 'y';
        if (knobs_plan_create(plan, n, DATA_DIR, &p, e, sizeof(e)) < 0 ||
            knobs_apply(p, e, sizeof(e)) < 0) {
            fprintf(stderr, "child: %s\n", e);
            ok = 'n';
        }
        if (write(ready[1], &ok, 1) != 1 || ok != 'y')
            _exit(1);
        char c;
        ssize_t told = read(go[0], &c, 1); /* 0: the parent went away; restore anyway */
        int ret = knobs_restore(p, e, sizeof(e));
        _exit(ret < 0 ? 1 : told == 1 ? 0 : 2);
    }
    children[children_n++] = pid;
    close(ready[1]);
    close(go[0]);
    char ok = 0;
    assert_int_equal(read(ready[0], &ok, 1), 1);
    close(ready[0]);
    assert_int_equal(ok, 'y');
    *to_child = go[1];
    return pid;
}

static void values_of(const char *const *paths, size_t n, char out[][256])
{
    for (size_t i = 0; i < n; i++)
        setting(paths[i], out[i], 256);
}

/* A child applies settings and dies by SIGKILL: its journal stays, and the recovery at the
 * next start (here, the parent) writes every value back, and says so. The second time the
 * child is left a zombie (not reaped yet): a zombie can restore nothing, so it counts as
 * dead. */
static void test_recover_after_sigkill(void **unused)
{
    (void)unused;
    need_root();
    for (int zombie = 0; zombie < 2; zombie++) {
        char before[CHILD_PLAN_N][256], during[CHILD_PLAN_N][256], after[CHILD_PLAN_N][256];
        char ratio0[32], ratio[32];
        values_of(child_paths, CHILD_PLAN_N, before);
        read_text(VM "dirty_ratio", ratio0, sizeof(ratio0));
        int go;
        pid_t pid = start_child(child_plan, CHILD_PLAN_N, 0, &go);
        values_of(child_paths, CHILD_PLAN_N, during);
        for (size_t i = 0; i < CHILD_PLAN_N; i++)
            assert_string_equal(during[i], child_plan[i].value);
        kill(pid, SIGKILL);
        siginfo_t si;
        assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | (zombie ? WNOWAIT : 0)), 0);
        assert_int_equal(si.si_status, SIGKILL);
        assert_int_equal(count_journals(pid), 1);
        char report[4096];
        int n = knobs_recover_dead_runs(report, sizeof(report));
        print_message("%s", report);
        assert_int_equal(n, 1);
        char who[64];
        snprintf(who, sizeof(who), "dead run pid %ld", (long)pid);
        assert_non_null(strstr(report, who));
        assert_null(strstr(report, "FAILED"));
        assert_int_equal(count_journals(pid), 0);
        values_of(child_paths, CHILD_PLAN_N, after);
        for (size_t i = 0; i < CHILD_PLAN_N; i++) {
            assert_string_equal(after[i], before[i]);
            char line[300];
            snprintf(line, sizeof(line), "%s = %s", child_plan[i].key, before[i]);
            if (strncmp(child_plan[i].key, "read_ahead_kb", 13) == 0)
                snprintf(line, sizeof(line), "= %s", before[i]);
            if (strcmp(child_plan[i].key, "vm.dirty_bytes") != 0) /* restored via the ratio */
                assert_non_null(strstr(report, line));
        }
        read_text(VM "dirty_ratio", ratio, sizeof(ratio));
        assert_string_equal(ratio, ratio0);
        if (zombie)
            waitpid(pid, NULL, 0);
        close(go);
    }
}

/* Ctrl-C, SIGTERM and SIGHUP: a handler that calls knobs_emergency_restore puts every
 * value back and removes the journal before the process exits. */
static void test_emergency_restore(void **unused)
{
    (void)unused;
    need_root();
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t s = 0; s < sizeof(sigs) / sizeof(sigs[0]); s++) {
        char before[CHILD_PLAN_N][256], after[CHILD_PLAN_N][256];
        values_of(child_paths, CHILD_PLAN_N, before);
        int go;
        pid_t pid = start_child(child_plan, CHILD_PLAN_N, sigs[s], &go);
        kill(pid, sigs[s]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 42);
        assert_int_equal(count_journals(pid), 0);
        values_of(child_paths, CHILD_PLAN_N, after);
        for (size_t i = 0; i < CHILD_PLAN_N; i++)
            assert_string_equal(after[i], before[i]);
        close(go);
    }
}

static void write_journal(const char *name, const char *text)
{
    snprintf(fake_journals[fake_n++], sizeof(fake_journals[0]), "%s", name);
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", KNOBS_JOURNAL_DIR, name);
    FILE *f = fopen(path, "wxe");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static unsigned long long start_ticks(pid_t pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    read_text(path, text, sizeof(text));
    char *p = strrchr(text, ')');
    assert_non_null(p);
    for (int field = 3; field <= 22; field++) /* to the space before field 22 */
        p = strchr(p + 1, ' ');
    return strtoull(p + 1, NULL, 10);
}

/* A live run's journal is left alone and its settings are not changed under it; a journal
 * that only looks alive (the pid exists, with another start time: a reused pid) is
 * replayed; one from an earlier boot or written in part is removed unreplayed; one naming
 * a file this module never writes is not replayed at all. A dead run's journal blocks a
 * new apply until it is recovered. */
static void test_journals_of_others(void **unused)
{
    (void)unused;
    need_root();
    char swap0[32], vfs0[32], now[32];
    read_text(VM "swappiness", swap0, sizeof(swap0));
    read_text(VM "vfs_cache_pressure", vfs0, sizeof(vfs0));
    static const struct knobs_request live[] = {{"vm.swappiness", "58"}};
    int go;
    pid_t pid = start_child(live, 1, 0, &go);
    char report[4096], text[1024], name[96], boot[64];
    read_text("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));

    /* The live owner: left alone, value untouched, and another plan may not take it. */
    assert_int_equal(knobs_recover_dead_runs(report, sizeof(report)), 0);
    print_message("%s", report);
    assert_non_null(strstr(report, "alone"));
    read_text(VM "swappiness", now, sizeof(now));
    assert_string_equal(now, "58");
    assert_int_equal(count_journals(pid), 1);
    struct knobs_plan *p;
    struct knobs_request mine = {"vm.swappiness", "57"};
    assert_int_equal(knobs_plan_create(&mine, 1, NULL, &p, err, sizeof(err)), 0);
    assert_int_equal(knobs_apply(p, err, sizeof(err)), -EBUSY);
    print_message("apply refused: %s\n", err);
    assert_non_null(strstr(err, "holds it"));
    knobs_plan_free(p);

    /* The same pid with another start time: a reused pid, so the journal's run is dead. */
    write_text(VM "vfs_cache_pressure", strcmp(vfs0, "101") ? "101" : "102");
    snprintf(name, sizeof(name), "knobs-%ld-%llu.journal", (long)pid, start_ticks(pid) + 1);
    snprintf(text, sizeof(text),
             "mmbench knobs journal 1\nboot %s\npid %ld\nstart %llu\n"
             "write\t" VM "vfs_cache_pressure\t%s\tvm.vfs_cache_pressure\nend\n",
             boot, (long)pid, start_ticks(pid) + 1, vfs0);
    write_journal(name, text);
    /* An earlier boot's journal, one written in part, and one naming another file: none of
     * them may write anything. */
    static const char *const inert[] = {
        "boot 00000000-0000-0000-0000-000000000000\npid 999999\nstart 5\n"
        "write\t" VM "swappiness\t1\tvm.swappiness\nend\n",
        "boot %s\npid 999998\nstart 6\nwrite\t" VM "swappiness\t2\tvm.swappiness\n",
        "boot %s\npid 999997\nstart 7\nwrite\t/etc/mmbench-test\t3\tx\nend\n",
    };
    static const long inert_pid[] = {999999, 999998, 999997};
    for (size_t i = 0; i < 3; i++) {
        char body[512], full[600], n2[64];
        snprintf(body, sizeof(body), inert[i], boot);
        snprintf(full, sizeof(full), "mmbench knobs journal 1\n%s", body);
        snprintf(n2, sizeof(n2), "knobs-%ld-%d.journal", inert_pid[i], (int)(5 + i));
        write_journal(n2, full);
    }
    /* A dead run not yet recovered blocks a new apply. */
    struct knobs_request other = {"vm.dirty_expire_centisecs", "2000"};
    assert_int_equal(knobs_plan_create(&other, 1, NULL, &p, err, sizeof(err)), 0);
    assert_int_equal(knobs_apply(p, err, sizeof(err)), -EBUSY);
    assert_non_null(strstr(err, "died"));
    knobs_plan_free(p);

    assert_int_equal(knobs_recover_dead_runs(report, sizeof(report)), 1);
    print_message("%s", report);
    read_text(VM "vfs_cache_pressure", now, sizeof(now));
    assert_string_equal(now, vfs0);
    read_text(VM "swappiness", now, sizeof(now));
    assert_string_equal(now, "58"); /* the live run's value; no inert journal wrote it */
    assert_non_null(strstr(report, "earlier boot"));
    assert_non_null(strstr(report, "written only in part"));
    assert_non_null(strstr(report, "not a journal mmbench wrote"));
    assert_int_equal(count_journals(999999) + count_journals(999998), 0);
    assert_int_equal(count_journals(999997), 1); /* left for a human to look at */
    char path[128];
    snprintf(path, sizeof(path), "%s/knobs-999997-7.journal", KNOBS_JOURNAL_DIR);
    assert_int_equal(unlink(path), 0);

    /* The live run finishes normally. */
    assert_int_equal(write(go, "x", 1), 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    read_text(VM "swappiness", now, sizeof(now));
    assert_string_equal(now, swap0);
    assert_int_equal(count_journals(pid), 0);
    close(go);
}

/* Without root every setting is refused at validation, with the reason, and nothing is
 * created; the snapshot says what it cannot read. Runs as uid 65534 in a child. */
static void test_refused_without_root(void **unused)
{
    (void)unused;
    need_root();
    static const struct knobs_request reqs[] = {
        {"read_ahead_kb", "128"},        {"thp", "never"},        {"thp_shmem", "advise"},
        {"vm.dirty_ratio", "10"},        {"vm.swappiness", "10"}, {"thp_64kB", "inherit"},
        {"fault_around_bytes", "16384"},
    };
    static const char *const reasons[] = {
        "needs root", "needs root", "needs root", "needs root",
        "needs root", "needs root", "needs root",
    };
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    bool journal_dir_existed = access(KNOBS_JOURNAL_DIR, F_OK) == 0;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(3);
        FILE *out = fdopen(fds[1], "w");
        for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
            struct knobs_plan *p = NULL;
            char e[512] = "";
            int ret = knobs_plan_create(&reqs[i], 1, DATA_DIR, &p, e, sizeof(e));
            fprintf(out, "%d\t%s\n", ret, e);
        }
        struct knobs_snapshot s;
        knobs_snapshot(DATA_DIR, &s);
        for (size_t i = 0; i < s.n; i++)
            if (!strcmp(s.s[i].key, "large_folios") || !strcmp(s.s[i].key, "fault_around_bytes"))
                fprintf(out, "%s\t%s\n", s.s[i].key, s.s[i].value);
        fclose(out);
        _exit(0);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    char line[1024];
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        assert_non_null(fgets(line, sizeof(line), in));
        print_message("uid 65534, %s=%s: %s", reqs[i].key, reqs[i].value, line);
        assert_true(strtol(line, NULL, 10) < 0);
        assert_non_null(strstr(line, reasons[i]));
    }
    while (fgets(line, sizeof(line), in)) {
        print_message("uid 65534 snapshot: %s", line);
        assert_non_null(strstr(line, "n/a"));
        assert_non_null(strstr(line, "root"));
    }
    fclose(in);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(access(KNOBS_JOURNAL_DIR, F_OK) == 0, journal_dir_existed);
}

/* The snapshot: every fixed key and every per-size THP file that exists, each value as
 * the file reads; the large-folio probe cached its whole 2 MiB. */
static void test_snapshot(void **unused)
{
    (void)unused;
    need_root();
    struct knobs_snapshot s;
    knobs_snapshot(DATA_DIR, &s);
    size_t thp_sizes = 0;
    bool have_large = false;
    for (size_t i = 0; i < s.n; i++) {
        const struct knobs_setting *k = &s.s[i];
        print_message("%-28s %-44s %s\n", k->key, k->value, k->source);
        assert_true(k->value[0]);
        if (strcmp(k->key, "large_folios") == 0) {
            have_large = true;
            assert_true(strncmp(k->value, "yes (", 5) == 0 || strncmp(k->value, "no (", 4) == 0);
            continue;
        }
        if (strncmp(k->value, "n/a", 3) == 0)
            continue;
        char direct[256];
        setting(k->source, direct, sizeof(direct));
        assert_string_equal(k->value, direct);
        thp_sizes += strncmp(k->source, THP "/hugepages-", strlen(THP) + 11) == 0;
    }
    assert_true(have_large);
    for (size_t i = 0; i < knobs_key_count(); i++) {
        const char *key = knobs_key(i)->key;
        bool found = strchr(key, '<') != NULL;
        for (size_t j = 0; j < s.n && !found; j++)
            found = strcmp(s.s[j].key, key) == 0;
        if (!found)
            fail_msg("snapshot lacks %s", key);
    }
    size_t files = 0;
    DIR *d = opendir(THP);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char path[300];
        for (int shmem = 0; shmem < 2 && !strncmp(de->d_name, "hugepages-", 10); shmem++) {
            snprintf(path, sizeof(path), THP "/%s/%s", de->d_name,
                     shmem ? "shmem_enabled" : "enabled");
            files += access(path, F_OK) == 0;
        }
    }
    if (d)
        closedir(d);
    assert_int_equal(thp_sizes, files);

    /* On tmpfs, no device readahead; the probe still works there. */
    knobs_snapshot("/dev/shm", &s);
    for (size_t i = 0; i < s.n; i++) {
        if (strcmp(s.s[i].key, "read_ahead_kb") == 0)
            assert_non_null(strstr(s.s[i].value, "n/a (/dev/shm has no block device"));
        if (strcmp(s.s[i].key, "large_folios") == 0)
            print_message("large_folios on /dev/shm: %s\n", s.s[i].value);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_table),
        cmocka_unit_test(test_validation_syntax),
        cmocka_unit_test(test_validation_kernel),
        cmocka_unit_test(test_fault_around_bytes),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_paired_limits),
        cmocka_unit_test(test_apply_failure_undoes),
        cmocka_unit_test_teardown(test_recover_after_sigkill, end_children),
        cmocka_unit_test_teardown(test_emergency_restore, end_children),
        cmocka_unit_test_teardown(test_journals_of_others, end_children),
        cmocka_unit_test(test_refused_without_root),
        cmocka_unit_test(test_snapshot),
    };
    int failed = cmocka_run_group_tests(tests, record_state, check_state);
    if (failed)
        return failed;
    return geteuid() == 0 ? 0 : 77; /* most of it needs root */
}
