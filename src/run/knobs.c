#include "knobs.h"

#include "errmsg.h"
#include "folios.h"
#include "kcounters.h"
#include "log.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define THP_DIR           "/sys/kernel/mm/transparent_hugepage"
#define LRU_GEN_PATH      "/sys/kernel/mm/lru_gen/enabled"
#define SYSCTL_VM_DIR     "/proc/sys/vm/"
#define DEBUGFS_DIR       "/sys/kernel/debug"
#define DEBUGFS_TYPE      0x64626720 /* DEBUGFS_MAGIC, linux/magic.h */
#define JOURNAL_MAGIC     "mmbench knobs journal 1"
#define JOURNAL_LINES_MAX (2 * KNOBS_MAX) /* a restore write and a check per setting */
#define PATH_BYTES        160
#define LABEL_BYTES       96
#define KEY_BYTES         48
#define CHOICES_MAX       16
#define READ_AHEAD_MAX_KB (1024 * 1024) /* 1 GiB of readahead: more is a typo */
#define PROBE_BYTES       (2u << 20)    /* the large-folio probe: one 2 MiB write() */

enum knob_type {
    KNOB_READ_AHEAD, /* KiB, a multiple of the page size (the kernel keeps pages) */
    KNOB_CHOICE,     /* a sysfs file listing its choices, the current one in [brackets] */
    KNOB_DEBUGFS,    /* fault_around_bytes: a power of two from a page to 512 pages */
    KNOB_LRU_GEN,    /* y, n or a capability mask; reads back as a mask ("0x0007") */
    KNOB_SYSCTL,     /* /proc/sys/vm/<name>: integers or a word, shaped as its value */
};

/* Every key, once: the config layer lists them from here (knobs_key), the plan resolves
 * from here, and the snapshot reads what this table names. A sysctl that the kernel zeroes
 * when its partner is written must be a pair here (vm.<name> would restore it alone). */
static const struct knob_def {
    struct knobs_key_info info; /* first: knobs_key() hands out &def->info */
    enum knob_type type;
    const char *path; /* the file; for a pattern a format taking the <...> part */
    const char *pair; /* a limit pair: the other member's key */
    bool bytes;       /* the absolute (_bytes, _kbytes) member of its pair */
} knob_defs[] = {
    {.info = {"read_ahead_kb", "KiB, a multiple of the page size",
              "readahead of the disk behind the data directory (/sys/block/<disk>/queue)"},
     .type = KNOB_READ_AHEAD},
    {.info = {"thp", "always, madvise, never", "transparent huge pages for anonymous memory"},
     .type = KNOB_CHOICE,
     .path = THP_DIR "/enabled"},
    {.info = {"thp_defrag", "always, defer, defer+madvise, madvise, never",
              "how hard a THP allocation compacts memory"},
     .type = KNOB_CHOICE,
     .path = THP_DIR "/defrag"},
    {.info = {"thp_shmem", "always, within_size, advise, never, deny, force",
              "huge pages for shmem and tmpfs (shmem_enabled)"},
     .type = KNOB_CHOICE,
     .path = THP_DIR "/shmem_enabled"},
    {.info = {"thp_<N>kB", "always, inherit, madvise, never",
              "anonymous mTHP of one size (hugepages-<N>kB/enabled)"},
     .type = KNOB_CHOICE,
     .path = THP_DIR "/hugepages-%skB/enabled"},
    {.info = {"thp_shmem_<N>kB", "always, inherit, within_size, advise, never",
              "shmem mTHP of one size (hugepages-<N>kB/shmem_enabled)"},
     .type = KNOB_CHOICE,
     .path = THP_DIR "/hugepages-%skB/shmem_enabled"},
    {.info = {"fault_around_bytes", "bytes, a power of two from the page size to 512 pages",
              "pages a read fault maps around it from the cache (debugfs)"},
     .type = KNOB_DEBUGFS,
     .path = DEBUGFS_DIR "/fault_around_bytes"},
    {.info = {"lru_gen", "y, n, or a capability mask", "multi-gen LRU (MGLRU)"},
     .type = KNOB_LRU_GEN,
     .path = LRU_GEN_PATH},
    {.info = {"vm.dirty_ratio", "percent of available memory",
              "dirty limit (pairs with dirty_bytes)"},
     .type = KNOB_SYSCTL,
     .path = SYSCTL_VM_DIR "dirty_ratio",
     .pair = "vm.dirty_bytes"},
    {.info = {"vm.dirty_bytes", "bytes, at least two pages",
              "dirty limit (pairs with dirty_ratio)"},
     .type = KNOB_SYSCTL,
     .path = SYSCTL_VM_DIR "dirty_bytes",
     .pair = "vm.dirty_ratio",
     .bytes = true},
    {.info = {"vm.dirty_background_ratio", "percent of available memory",
              "writeback starts here (pairs with dirty_background_bytes)"},
     .type = KNOB_SYSCTL,
     .path = SYSCTL_VM_DIR "dirty_background_ratio",
     .pair = "vm.dirty_background_bytes"},
    {.info = {"vm.dirty_background_bytes", "bytes",
              "writeback starts here (pairs with dirty_background_ratio)"},
     .type = KNOB_SYSCTL,
     .path = SYSCTL_VM_DIR "dirty_background_bytes",
     .pair = "vm.dirty_background_ratio",
     .bytes = true},
    {.info = {"vm.dirty_expire_centisecs", "centiseconds",
              "age at which dirty data is written back"},
     .type = KNOB_SYSCTL,
     .path = SYSCTL_VM_DIR "dirty_expire_centisecs"},
    {.info = {"vm.dirty_writeback_centisecs", "centiseconds", "how often the flusher threads wake"},
     .type = KNOB_SYSCTL,
     .path = SYSCTL_VM_DIR "dirty_writeback_centisecs"},
    {.info = {"vm.overcommit_ratio", "percent of RAM",
              "commit limit under overcommit_memory 2 (pairs with overcommit_kbytes)"},
     .type = KNOB_SYSCTL,
     .path = SYSCTL_VM_DIR "overcommit_ratio",
     .pair = "vm.overcommit_kbytes"},
    {.info = {"vm.overcommit_kbytes", "KiB",
              "commit limit under overcommit_memory 2 (pairs with overcommit_ratio)"},
     .type = KNOB_SYSCTL,
     .path = SYSCTL_VM_DIR "overcommit_kbytes",
     .pair = "vm.overcommit_ratio",
     .bytes = true},
    {.info = {"vm.<name>", "as the setting's current value (integers or a word)",
              "any other /proc/sys/vm setting"},
     .type = KNOB_SYSCTL,
     .path = SYSCTL_VM_DIR "%s"},
};
#define KNOB_DEFS (sizeof(knob_defs) / sizeof(knob_defs[0]))

struct knob_entry {
    const struct knob_def *def;      /* its row in knob_defs */
    char key[KEY_BYTES];             /* as requested: "thp_64kB" */
    char label[LABEL_BYTES];         /* for messages: "read_ahead_kb of vda" */
    char path[PATH_BYTES];           /* the file written */
    char old_value[KNOBS_VALUE_MAX]; /* as found (a choice file: the bracketed word) */
    char new_value[KNOBS_VALUE_MAX]; /* canonical: reads back exactly so */
    char pair_label[LABEL_BYTES];    /* a limit pair: the other member's key, else "" */
    char pair_path[PATH_BYTES];      /* its file */
    char pair_old[KNOBS_VALUE_MAX];  /* its value as found */
};

struct knobs_plan {
    size_t n;                       /* entries in e */
    struct knob_entry e[KNOBS_MAX]; /* in request order; restored in reverse */
    bool applied;                   /* knobs_apply succeeded and nothing restored it yet */
    int journal_fd;                 /* open and locked while applied, else -1 */
    char journal_name[64];          /* in KNOBS_JOURNAL_DIR */
};

/* What a signal handler restores: the applied plan, flattened at apply time. */
static struct {
    char path[PATH_BYTES];       /* the file to write */
    char value[KNOBS_VALUE_MAX]; /* the value that restores it */
    bool debugfs;                /* mount debugfs around the write */
} emergency[KNOBS_MAX];
static size_t emergency_count;             /* entries in emergency */
static char emergency_journal[PATH_BYTES]; /* removed after the writes */
static int emergency_armed; /* 1 while a plan is applied; taken with an atomic exchange */
static const struct knobs_plan *active_plan; /* the applied plan, or NULL */

/* A journal as read back. */
struct journal_line {
    char op[8];                  /* "write", "debugfs" (mount it first) or "check" */
    char path[PATH_BYTES];       /* a file trusted_path() accepts */
    char value[KNOBS_VALUE_MAX]; /* the original value */
    char label[LABEL_BYTES];     /* for the report: "read_ahead_kb of vda" */
};
struct journal {
    char boot_id[40];               /* /proc/sys/kernel/random/boot_id when written */
    long pid;                       /* the owner */
    unsigned long long start_ticks; /* its start, /proc/<pid>/stat field 22 */
    bool complete;                  /* ends with "end": written in full before any change */
    size_t n;                       /* lines in l */
    struct journal_line l[JOURNAL_LINES_MAX]; /* in the order written */
};

size_t knobs_key_count(void)
{
    return KNOB_DEFS;
}

const struct knobs_key_info *knobs_key(size_t i)
{
    return i < KNOB_DEFS ? &knob_defs[i].info : NULL;
}

/* ---- Reading and writing one file ------------------------------------------------ */

/* Reads path into buf, trailing whitespace dropped and runs of whitespace made one space
 * (a sysctl list reads with tabs and is written with spaces). Returns 0 or -errno. */
static int read_value(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char raw[512];
    size_t got = 0;
    int ret = 0;
    while (got < sizeof(raw) - 1) {
        ssize_t n = read(fd, raw + got, sizeof(raw) - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = -errno;
            break;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (ret < 0)
        return ret;
    raw[got] = '\0';
    size_t o = 0;
    bool space = false;
    for (const char *p = raw; *p && o + 1 < len; p++) {
        if (isspace((unsigned char)*p)) {
            space = o > 0;
            continue;
        }
        if (space && o + 2 < len)
            buf[o++] = ' ';
        space = false;
        buf[o++] = *p;
    }
    buf[o] = '\0';
    return 0;
}

/* Mounts debugfs on DEBUGFS_DIR unless it is mounted there; *mounted says whether this
 * call did. Async-signal-safe (statfs and mount are plain system calls). */
static int debugfs_enter(bool *mounted)
{
    struct statfs fs;
    *mounted = false;
    if (statfs(DEBUGFS_DIR, &fs) == 0 && (unsigned long)fs.f_type == DEBUGFS_TYPE)
        return 0;
    if (mount("debugfs", DEBUGFS_DIR, "debugfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return -errno;
    *mounted = true;
    return 0;
}

static void debugfs_leave(bool mounted)
{
    if (mounted)
        umount2(DEBUGFS_DIR, UMOUNT_NOFOLLOW);
}

/* Writes value to path (mounting debugfs around it when debugfs is set). The one write
 * path for apply, restore, recovery and the signal handler, so it is async-signal-safe:
 * system calls and strlen only. Returns 0 or -errno. */
static int raw_write(const char *path, const char *value, bool debugfs)
{
    bool mounted = false;
    if (debugfs) {
        int ret = debugfs_enter(&mounted);
        if (ret < 0)
            return ret;
    }
    int ret = 0;
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        ret = -errno;
    } else {
        size_t len = strlen(value);
        ssize_t n;
        do
            n = write(fd, value, len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            ret = -errno;
        else if ((size_t)n != len)
            ret = -EIO;
        if (close(fd) < 0 && ret == 0 && errno != EINTR)
            ret = -errno;
    }
    debugfs_leave(mounted);
    return ret;
}

static int read_setting_raw(const char *path, bool debugfs, char *buf, size_t len)
{
    bool mounted = false;
    if (debugfs) {
        int ret = debugfs_enter(&mounted);
        if (ret < 0)
            return ret;
    }
    int ret = read_value(path, buf, len);
    debugfs_leave(mounted);
    return ret;
}

/* Splits a choice file's text ("always [madvise] never") into its choices; current gets
 * the bracketed one. Returns the number of choices. */
static size_t parse_choices(const char *text, char choices[][32], char *current, size_t cur_len)
{
    size_t n = 0;
    current[0] = '\0';
    const char *p = text;
    while (*p && n < CHOICES_MAX) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, " ");
        bool bracketed = len >= 2 && p[0] == '[' && p[len - 1] == ']';
        const char *w = bracketed ? p + 1 : p;
        size_t wlen = bracketed ? len - 2 : len;
        snprintf(choices[n], 32, "%.*s", (int)wlen, w);
        if (bracketed)
            snprintf(current, cur_len, "%s", choices[n]);
        n++;
        p += len;
    }
    return n;
}

/* The setting's current value as a plan records it: a choice file's bracketed word, the
 * text of anything else. Returns 0 or -errno. */
static int read_setting(enum knob_type type, const char *path, char *buf, size_t len)
{
    char text[512];
    int ret = read_setting_raw(path, type == KNOB_DEBUGFS, text, sizeof(text));
    if (ret < 0)
        return ret;
    if (type == KNOB_CHOICE) {
        char choices[CHOICES_MAX][32];
        parse_choices(text, choices, buf, len);
        return buf[0] ? 0 : -EPROTO;
    }
    snprintf(buf, len, "%s", text);
    return 0;
}

/* ---- Validation --------------------------------------------------------------------- */

static bool parse_u64(const char *s, unsigned long long *v)
{
    if (!*s || strlen(s) > 20)
        return false;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    errno = 0;
    *v = strtoull(s, NULL, 10);
    return errno == 0;
}

/* Matches key against a pattern key ("thp_<N>kB", "vm.<name>"): the text around <...>
 * must match and the part in it must be digits (<N>) or a sysctl name ([a-z0-9_-]).
 * Copies that part to middle. */
static bool match_pattern(const char *pattern, const char *key, char *middle, size_t len)
{
    const char *lt = strchr(pattern, '<'), *gt = strchr(pattern, '>');
    size_t pre = (size_t)(lt - pattern), post = strlen(gt + 1), klen = strlen(key);
    if (klen <= pre + post || strncmp(key, pattern, pre) != 0 ||
        strcmp(key + klen - post, gt + 1) != 0 || klen - pre - post >= len)
        return false;
    bool digits = strncmp(lt, "<N>", 3) == 0;
    for (size_t i = pre; i < klen - post; i++) {
        unsigned char c = (unsigned char)key[i];
        bool ok = digits ? isdigit(c) : (islower(c) || isdigit(c) || c == '_' || c == '-');
        if (!ok)
            return false;
    }
    snprintf(middle, len, "%.*s", (int)(klen - pre - post), key + pre);
    return true;
}

static const struct knob_def *find_def(const char *key, char *middle, size_t len)
{
    for (size_t i = 0; i < KNOB_DEFS; i++)
        if (!strchr(knob_defs[i].info.key, '<') && strcmp(knob_defs[i].info.key, key) == 0)
            return &knob_defs[i];
    for (size_t i = 0; i < KNOB_DEFS; i++)
        if (strchr(knob_defs[i].info.key, '<') &&
            match_pattern(knob_defs[i].info.key, key, middle, len))
            return &knob_defs[i];
    return NULL;
}

/* Checks that the file exists, is a setting and can be written by this process. */
static int check_file(const struct knob_entry *e, char *err, size_t len)
{
    struct stat st;
    if (stat(e->path, &st) < 0) {
        int ret = -errno;
        if (ret == -ENOENT)
            return errmsg_set(err, len, ret,
                              "%s: %s does not exist: this kernel has no such setting", e->key,
                              e->path);
        return errmsg_set(err, len, ret, "%s: stat %s: %s", e->key, e->path, strerror(-ret));
    }
    if (!S_ISREG(st.st_mode))
        return errmsg_set(err, len, -EINVAL, "%s: %s is not a setting file", e->key, e->path);
    if (!(st.st_mode & 0444))
        return errmsg_set(
            err, len, -EINVAL,
            "%s: %s is write-only, an action rather than a setting: nothing to restore", e->key,
            e->path);
    if (!(st.st_mode & 0222))
        return errmsg_set(err, len, -EACCES, "%s: %s is read-only", e->key, e->path);
    if (faccessat(AT_FDCWD, e->path, W_OK, AT_EACCESS) < 0) {
        int ret = -errno;
        return errmsg_set(err, len, ret, "%s: %s is not writable by uid %u: %s%s", e->key, e->path,
                          (unsigned)geteuid(), strerror(-ret),
                          geteuid() != 0 ? " (changing kernel settings needs root)" : "");
    }
    return 0;
}

/* The shape of a sysctl value: how many integers, or 0 for a word. -1 for neither. */
static int value_shape(const char *v)
{
    if (!*v)
        return -1;
    int ints = 0;
    for (const char *p = v; *p;) {
        char *end;
        errno = 0;
        (void)strtoll(p, &end, 10);
        if (end == p || errno || (*end && *end != ' ')) {
            ints = -1;
            break;
        }
        ints++;
        p = *end ? end + 1 : end;
    }
    if (ints > 0)
        return ints;
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
            return -1;
    return 0;
}

/* Rewrites a list of integers canonically ("010  5" -> "10 5"), as the kernel prints it. */
static void canonical_ints(const char *v, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (const char *p = v; *p && o < len;) {
        char *end;
        long long x = strtoll(p, &end, 10);
        o += (size_t)snprintf(out + o, len - o, "%s%lld", o ? " " : "", x);
        p = *end ? end + 1 : end;
    }
}

static int validate_value(struct knob_entry *e, const char *value, char *err, size_t len)
{
    const char *key = e->key;
    unsigned long long v;
    long page = sysconf(_SC_PAGESIZE);
    switch (e->def->type) {
    case KNOB_READ_AHEAD:
        if (!parse_u64(value, &v) || v > READ_AHEAD_MAX_KB || v % (unsigned long long)(page / 1024))
            return errmsg_set(
                err, len, -EINVAL,
                "%s: \"%s\" is not a readahead size: KiB from 0 to %d, a multiple of %ld", key,
                value, READ_AHEAD_MAX_KB, page / 1024);
        snprintf(e->new_value, sizeof(e->new_value), "%llu", v);
        return 0;
    case KNOB_CHOICE: {
        char text[512], choices[CHOICES_MAX][32], cur[32], list[CHOICES_MAX * 34] = "";
        int ret = read_value(e->path, text, sizeof(text));
        if (ret < 0)
            return errmsg_set(err, len, ret, "%s: read %s: %s", key, e->path, strerror(-ret));
        size_t n = parse_choices(text, choices, cur, sizeof(cur));
        for (size_t i = 0; i < n; i++) {
            if (strcmp(choices[i], value) == 0) {
                snprintf(e->new_value, sizeof(e->new_value), "%s", value);
                return 0;
            }
            size_t l = strlen(list);
            snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", choices[i]);
        }
        return errmsg_set(err, len, -EINVAL, "%s: \"%s\" is not one of %s (%s)", key, value, list,
                          e->path);
    }
    case KNOB_DEBUGFS:
        if (!parse_u64(value, &v) || v < (unsigned long long)page ||
            v > 512ULL * (unsigned long long)page || (v & (v - 1)))
            return errmsg_set(err, len, -EINVAL,
                              "%s: \"%s\" is not a power of two from %ld to %lld bytes (the kernel "
                              "would round it)",
                              key, value, page, 512LL * page);
        snprintf(e->new_value, sizeof(e->new_value), "%llu", v);
        return 0;
    case KNOB_LRU_GEN: {
        char *end;
        errno = 0;
        unsigned long mask = strtoul(value, &end, 0);
        bool number = isdigit((unsigned char)value[0]) && !*end && !errno && mask <= 0xffff;
        if (strcmp(value, "y") != 0 && strcmp(value, "n") != 0 && !number)
            return errmsg_set(err, len, -EINVAL,
                              "%s: \"%s\" is not y, n or a capability mask (0x0007)", key, value);
        snprintf(e->new_value, sizeof(e->new_value), "%s", value);
        return 0;
    }
    case KNOB_SYSCTL: {
        int want = value_shape(e->old_value), got = value_shape(value);
        if (want < 0)
            return errmsg_set(err, len, -EINVAL,
                              "%s: %s reads \"%s\", not a value mmbench can restore", key, e->path,
                              e->old_value);
        if (got != want)
            return errmsg_set(err, len, -EINVAL,
                              "%s: \"%s\" does not look like its value (now \"%s\")", key, value,
                              e->old_value);
        if (want > 0)
            canonical_ints(value, e->new_value, sizeof(e->new_value));
        else
            snprintf(e->new_value, sizeof(e->new_value), "%s", value);
        return 0;
    }
    }
    return -EINVAL;
}

/* Resolves key to a file: the disk of data_dir for read_ahead_kb, a THP size, a sysctl. */
static int resolve(struct knob_entry *e, const char *key, const char *data_dir, char *err,
                   size_t len)
{
    char middle[64] = "";
    e->def = find_def(key, middle, sizeof(middle));
    snprintf(e->key, sizeof(e->key), "%s", key);
    snprintf(e->label, sizeof(e->label), "%s", key);
    if (!e->def) {
        if (strncmp(key, "vm.", 3) == 0)
            return errmsg_set(err, len, -EINVAL,
                              "%s: not a sysctl name (vm. then lower-case letters, digits, _ or -)",
                              key);
        if (strchr(key, '.'))
            return errmsg_set(err, len, -EINVAL, "%s: only vm.* sysctls can be set", key);
        return errmsg_set(err, len, -EINVAL, "%s: unknown kernel setting", key);
    }
    if (e->def->type == KNOB_READ_AHEAD) {
        if (!data_dir)
            return errmsg_set(err, len, -EINVAL, "%s: needs the data directory", key);
        struct kcounters_source src;
        kcounters_source_init(&src, data_dir);
        if (!src.disk[0]) {
            const char *why = src.why_no_disk;
            if (strncmp(why, "n/a: ", 5) == 0)
                why += 5;
            return errmsg_set(err, len, -ENODEV, "%s: %s: no device readahead to set", key, why);
        }
        snprintf(e->path, sizeof(e->path), "/sys/block/%s/queue/read_ahead_kb", src.disk);
        snprintf(e->label, sizeof(e->label), "%s of %s", key, src.disk);
    } else if (strchr(e->def->path, '%')) {
        snprintf(e->path, sizeof(e->path), e->def->path, middle);
    } else {
        snprintf(e->path, sizeof(e->path), "%s", e->def->path);
    }
    if (e->def->type == KNOB_LRU_GEN && access(e->path, F_OK) < 0)
        return errmsg_set(err, len, -ENOENT,
                          "%s: this kernel has no multi-gen LRU (%s does not exist: built without "
                          "CONFIG_LRU_GEN)",
                          key, e->path);
    return 0;
}

/* Checks a debugfs setting: debugfs must mount (root) and the kernel must let us read the
 * file (lockdown forbids debugfs files that are writable). */
static int check_debugfs(struct knob_entry *e, char *err, size_t len)
{
    bool mounted;
    int ret = debugfs_enter(&mounted);
    if (ret < 0)
        return errmsg_set(err, len, ret, "%s: mount debugfs on %s: %s%s", e->key, DEBUGFS_DIR,
                          strerror(-ret), geteuid() != 0 ? " (needs root)" : "");
    ret = read_value(e->path, e->old_value, sizeof(e->old_value));
    if (ret == -EPERM)
        errmsg_set(err, len, ret,
                   "%s: reading %s: %s (kernel lockdown restricts debugfs; see dmesg and "
                   "/sys/kernel/security/lockdown)",
                   e->key, e->path, strerror(-ret));
    else if (ret == -ENOENT)
        errmsg_set(err, len, ret, "%s: %s does not exist: this kernel has no such setting", e->key,
                   e->path);
    else if (ret < 0)
        errmsg_set(err, len, ret, "%s: read %s: %s", e->key, e->path, strerror(-ret));
    else
        ret = check_file(e, err, len);
    debugfs_leave(mounted);
    return ret;
}

/* Fills the pair fields: the other member of a dirty-limit pair and its value now. */
static int resolve_pair(struct knob_entry *e, char *err, size_t len)
{
    char middle[8];
    const struct knob_def *other = find_def(e->def->pair, middle, sizeof(middle));
    snprintf(e->pair_label, sizeof(e->pair_label), "%s", other->info.key);
    snprintf(e->pair_path, sizeof(e->pair_path), "%s", other->path);
    int ret = read_value(e->pair_path, e->pair_old, sizeof(e->pair_old));
    if (ret < 0)
        return errmsg_set(err, len, ret, "%s: read %s: %s", e->key, e->pair_path, strerror(-ret));
    return 0;
}

static int check_journal_dir(char *err, size_t len)
{
    const char *dir = access(KNOBS_JOURNAL_DIR, F_OK) == 0 ? KNOBS_JOURNAL_DIR : "/run";
    if (faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) < 0) {
        int ret = -errno;
        return errmsg_set(
            err, len, ret,
            "kernel settings: the journal that restores them after a crash goes in %s, "
            "and %s is not writable by uid %u: %s",
            KNOBS_JOURNAL_DIR, dir, (unsigned)geteuid(), strerror(-ret));
    }
    return 0;
}

static int plan_entry(struct knob_entry *e, const struct knobs_request *r, const char *data_dir,
                      char *err, size_t len)
{
    if (!r->key || !r->value)
        return errmsg_set(err, len, -EINVAL, "kernel setting without a key or a value");
    if (strlen(r->key) >= KEY_BYTES)
        return errmsg_set(err, len, -EINVAL, "%.40s...: unknown kernel setting (name too long)",
                          r->key);
    int ret = resolve(e, r->key, data_dir, err, len);
    if (ret < 0)
        return ret;
    if (strlen(r->value) >= KNOBS_VALUE_MAX)
        return errmsg_set(err, len, -EINVAL, "%s: value longer than %d bytes", e->key,
                          KNOBS_VALUE_MAX - 1);
    for (const char *p = r->value; *p; p++)
        if (!isgraph((unsigned char)*p) && *p != ' ')
            return errmsg_set(err, len, -EINVAL, "%s: value holds a control character", e->key);
    /* Values whose syntax needs nothing from the kernel are checked before asking it. */
    bool needs_current = e->def->type == KNOB_CHOICE || e->def->type == KNOB_SYSCTL;
    if (!needs_current && (ret = validate_value(e, r->value, err, len)) < 0)
        return ret;
    if (e->def->type == KNOB_DEBUGFS) {
        ret = check_debugfs(e, err, len);
    } else {
        ret = check_file(e, err, len);
        if (ret == 0) {
            ret = read_setting(e->def->type, e->path, e->old_value, sizeof(e->old_value));
            if (ret < 0)
                errmsg_set(err, len, ret, "%s: read %s: %s", e->key, e->path, strerror(-ret));
        }
    }
    if (ret == 0 && e->def->pair)
        ret = resolve_pair(e, err, len);
    if (ret == 0 && needs_current)
        ret = validate_value(e, r->value, err, len);
    return ret;
}

int knobs_plan_create(const struct knobs_request *req, size_t n, const char *data_dir,
                      struct knobs_plan **out, char *err, size_t err_len)
{
    *out = NULL;
    if (n > KNOBS_MAX)
        return errmsg_set(err, err_len, -E2BIG, "%zu kernel settings: at most %d", n, KNOBS_MAX);
    struct knobs_plan *p = calloc(1, sizeof(*p));
    if (!p)
        return errmsg_set(err, err_len, -ENOMEM, "kernel settings: out of memory");
    p->journal_fd = -1;
    int ret = 0;
    for (size_t i = 0; i < n && ret == 0; i++) {
        struct knob_entry *e = &p->e[i];
        ret = plan_entry(e, &req[i], data_dir, err, err_len);
        for (size_t j = 0; j < i && ret == 0; j++) {
            if (strcmp(p->e[j].path, e->path) == 0)
                ret = errmsg_set(err, err_len, -EINVAL, "%s: set twice", e->key);
            else if (e->pair_path[0] && strcmp(p->e[j].path, e->pair_path) == 0)
                ret = errmsg_set(err, err_len, -EINVAL,
                                 "%s and %s cannot both be set: writing one zeroes the other",
                                 p->e[j].key, e->key);
        }
        p->n = i + 1;
    }
    if (ret == 0 && n > 0)
        ret = check_journal_dir(err, err_len);
    if (ret < 0) {
        free(p);
        return ret;
    }
    *out = p;
    return 0;
}

size_t knobs_plan_count(const struct knobs_plan *p)
{
    return p ? p->n : 0;
}

int knobs_plan_describe(const struct knobs_plan *p, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < p->n; i++) {
        const struct knob_entry *e = &p->e[i];
        char note[2 * LABEL_BYTES + KNOBS_VALUE_MAX] = "";
        if (strcmp(e->old_value, e->new_value) == 0)
            snprintf(note, sizeof(note), " (unchanged)");
        else if (e->pair_label[0] && strcmp(e->pair_old, "0") != 0)
            snprintf(note, sizeof(note), " (the kernel zeroes %s, %s now; both come back after)",
                     e->pair_label, e->pair_old);
        int n = snprintf(used < len ? buf + used : NULL, used < len ? len - used : 0,
                         "%s: %s -> %s%s\n", e->label, e->old_value, e->new_value, note);
        used += (size_t)n;
    }
    return (int)used;
}

/* ---- Journal ------------------------------------------------------------------------ */

static int read_boot_id(char *buf, size_t len)
{
    return read_value("/proc/sys/kernel/random/boot_id", buf, len);
}

/* Start time of pid in clock ticks after boot (/proc/<pid>/stat field 22). Returns 0,
 * -ESRCH when there is no such process or it is a zombie (it can restore nothing), or
 * another negative errno when it cannot tell. */
static int process_start(long pid, unsigned long long *start)
{
    char path[64], text[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ESRCH : -errno;
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return n == 0 ? -ESRCH : -EIO;
    text[n] = '\0';
    const char *p = strrchr(text, ')'); /* the command name may hold spaces and ')' */
    if (!p)
        return -EPROTO;
    p++;
    char state = 0;
    for (int field = 3; field <= 22; field++) {
        while (*p == ' ')
            p++;
        if (!*p)
            return -EPROTO;
        if (field == 3)
            state = *p;
        if (field == 22) {
            *start = strtoull(p, NULL, 10);
            return state == 'Z' || state == 'X' ? -ESRCH : 0;
        }
        p += strcspn(p, " ");
    }
    return -EPROTO;
}

static bool owner_alive(long pid, unsigned long long start)
{
    unsigned long long now;
    int ret = process_start(pid, &now);
    if (ret == -ESRCH)
        return false;
    return ret < 0 || now == start; /* cannot tell: leave it alone */
}

/* Opens the journal directory, creating it when create is set; it must be a directory
 * owned by this user that nobody else can write (a journal names files to write as root).
 * Returns the descriptor or -errno with the reason in err. */
static int open_journal_dir(bool create, char *err, size_t len)
{
    if (create && mkdir(KNOBS_JOURNAL_DIR, 0700) < 0 && errno != EEXIST)
        return errmsg_set(err, len, -errno, "mkdir %s: %s", KNOBS_JOURNAL_DIR, strerror(errno));
    int fd = open(KNOBS_JOURNAL_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int ret = -errno;
        return errmsg_set(err, len, ret, "open %s: %s%s", KNOBS_JOURNAL_DIR, strerror(-ret),
                          ret == -EACCES ? " (kernel settings and their journals need root)" : "");
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
        close(fd);
        return errmsg_set(err, len, -EPERM,
                          "%s is not a directory of uid %u that only it can write: not trusted",
                          KNOBS_JOURNAL_DIR, (unsigned)geteuid());
    }
    if (flock(fd, LOCK_EX) < 0) {
        int ret = -errno;
        close(fd);
        return errmsg_set(err, len, ret, "flock %s: %s", KNOBS_JOURNAL_DIR, strerror(-ret));
    }
    return fd;
}

/* A path a journal may name: the settings this module writes, nothing else. */
static bool trusted_path(const char *path)
{
    static const char *const prefixes[] = {SYSCTL_VM_DIR, "/sys/block/", THP_DIR "/", LRU_GEN_PATH,
                                           DEBUGFS_DIR "/fault_around_bytes"};
    if (strstr(path, "..") || strstr(path, "//"))
        return false;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

static bool journal_name_parse(const char *name, long *pid, unsigned long long *start)
{
    int end = 0;
    if (sscanf(name, "knobs-%ld-%llu.journal%n", pid, start, &end) != 2 || name[end] != '\0')
        return false;
    return *pid > 0;
}

/* Parses a journal's text. Returns 0, or -EPROTO when a line is not a journal line or
 * names a file this module never writes (nothing of that journal is replayed then). */
static int journal_parse(char *text, struct journal *j)
{
    memset(j, 0, sizeof(*j));
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    if (!line || strcmp(line, JOURNAL_MAGIC) != 0)
        return -EPROTO;
    while ((line = strtok_r(NULL, "\n", &save))) {
        if (j->complete)
            return -EPROTO;
        if (strncmp(line, "boot ", 5) == 0) {
            snprintf(j->boot_id, sizeof(j->boot_id), "%s", line + 5);
        } else if (sscanf(line, "pid %ld", &j->pid) == 1) {
            continue;
        } else if (sscanf(line, "start %llu", &j->start_ticks) == 1) {
            continue;
        } else if (strcmp(line, "end") == 0) {
            j->complete = true;
        } else {
            if (j->n == JOURNAL_LINES_MAX)
                return -EPROTO;
            struct journal_line *l = &j->l[j->n];
            char *f[4];
            char *fsave = NULL;
            f[0] = strtok_r(line, "\t", &fsave);
            for (int i = 1; i < 4; i++)
                f[i] = f[i - 1] ? strtok_r(NULL, "\t", &fsave) : NULL;
            if (!f[3] || strtok_r(NULL, "\t", &fsave))
                return -EPROTO;
            if (strcmp(f[0], "write") != 0 && strcmp(f[0], "debugfs") != 0 &&
                strcmp(f[0], "check") != 0)
                return -EPROTO;
            if (strlen(f[1]) >= sizeof(l->path) || strlen(f[2]) >= sizeof(l->value) ||
                !trusted_path(f[1]))
                return -EPROTO;
            snprintf(l->op, sizeof(l->op), "%s", f[0]);
            snprintf(l->path, sizeof(l->path), "%s", f[1]);
            snprintf(l->value, sizeof(l->value), "%s", f[2]);
            snprintf(l->label, sizeof(l->label), "%s", f[3]);
            j->n++;
        }
    }
    return 0;
}

static int journal_read(int fd, struct journal *j)
{
    size_t cap = 64 * 1024, got = 0;
    char *text = malloc(cap);
    if (!text)
        return -ENOMEM;
    int ret = 0;
    for (;;) {
        ssize_t n = pread(fd, text + got, cap - 1 - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = -errno;
            break;
        }
        if (n == 0 || got + (size_t)n == cap - 1) {
            got += (size_t)n;
            break;
        }
        got += (size_t)n;
    }
    if (ret == 0) {
        text[got] = '\0';
        ret = journal_parse(text, j);
    }
    free(text);
    return ret;
}

/* The write that brings entry e back, and whether it goes through debugfs. For a dirty
 * pair it is the member that was in force: the _bytes one when it was not 0 (writing it
 * zeroes the ratio, as before), else the ratio (which zeroes the bytes). */
static void restore_op(const struct knob_entry *e, const char **path, const char **value)
{
    *path = e->path;
    *value = e->old_value;
    if (e->pair_label[0]) {
        bool bytes_in_force =
            e->def->bytes ? strcmp(e->old_value, "0") != 0 : strcmp(e->pair_old, "0") != 0;
        if (bytes_in_force != e->def->bytes) {
            *path = e->pair_path;
            *value = e->pair_old;
        }
    }
}

static int journal_format(const struct knobs_plan *p, char *buf, size_t len)
{
    char boot[40] = "";
    unsigned long long start = 0;
    int ret = read_boot_id(boot, sizeof(boot));
    if (ret == 0)
        ret = process_start(getpid(), &start);
    if (ret < 0)
        return ret;
    size_t o = (size_t)snprintf(buf, len, "%s\nboot %s\npid %ld\nstart %llu\n", JOURNAL_MAGIC, boot,
                                (long)getpid(), start);
    for (size_t i = 0; i < p->n && o < len; i++) {
        const struct knob_entry *e = &p->e[i];
        const char *path, *value;
        restore_op(e, &path, &value);
        const char *check_path = path == e->path ? e->pair_path : e->path;
        const char *check_value = path == e->path ? e->pair_old : e->old_value;
        const char *check_label = path == e->path ? e->pair_label : e->label;
        o += (size_t)snprintf(buf + o, len - o, "%s\t%s\t%s\t%s\n",
                              e->def->type == KNOB_DEBUGFS ? "debugfs" : "write", path, value,
                              path == e->path ? e->label : e->pair_label);
        if (e->pair_label[0] && o < len)
            o += (size_t)snprintf(buf + o, len - o, "check\t%s\t%s\t%s\n", check_path, check_value,
                                  check_label);
    }
    if (o < len)
        o += (size_t)snprintf(buf + o, len - o, "end\n");
    return o < len ? (int)o : -ENAMETOOLONG;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Whether the live or dead journal j (named name) stands in the way of plan p: a dead
 * run's settings must be recovered first, and a live run's may not be changed under it. */
static int journal_conflict(const struct knobs_plan *p, const char *name, const struct journal *j,
                            bool alive, char *err, size_t len)
{
    if (!alive)
        return errmsg_set(err, len, -EBUSY,
                          "kernel settings: %s/%s belongs to a run that died and has not been "
                          "recovered (mmbench restores it at start)",
                          KNOBS_JOURNAL_DIR, name);
    for (size_t i = 0; i < j->n; i++)
        for (size_t k = 0; k < p->n; k++)
            if (strcmp(j->l[i].path, p->e[k].path) == 0 ||
                strcmp(j->l[i].path, p->e[k].pair_path) == 0)
                return errmsg_set(
                    err, len, -EBUSY,
                    "%s: mmbench pid %ld holds it for its run (%s/%s); not changing it "
                    "under that run",
                    p->e[k].label, j->pid, KNOBS_JOURNAL_DIR, name);
    return 0;
}

/* Looks at every other journal: a lock held on one means its owner is alive. */
static int check_other_journals(const struct knobs_plan *p, int dirfd, char *err, size_t len)
{
    int dup_fd = dup(dirfd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        int ret = -errno;
        if (dup_fd >= 0)
            close(dup_fd);
        return errmsg_set(err, len, ret, "opendir %s: %s", KNOBS_JOURNAL_DIR, strerror(-ret));
    }
    struct journal *j = malloc(sizeof(*j));
    char boot[40] = "";
    read_boot_id(boot, sizeof(boot));
    int ret = j ? 0 : -ENOMEM;
    struct dirent *de;
    while (ret == 0 && (de = readdir(d))) {
        long pid;
        unsigned long long start;
        if (!journal_name_parse(de->d_name, &pid, &start) || pid == (long)getpid())
            continue;
        int fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        bool locked = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
        int pr = journal_read(fd, j);
        close(fd);
        if (pr < 0 || strcmp(j->boot_id, boot) != 0)
            continue; /* recovery reports those; they restore nothing */
        ret = journal_conflict(p, de->d_name, j, locked || owner_alive(pid, start), err, len);
    }
    free(j);
    closedir(d);
    return ret;
}

static void remove_journal(struct knobs_plan *p, int dirfd)
{
    if (!p->journal_name[0])
        return;
    unlinkat(dirfd, p->journal_name, 0);
    fsync(dirfd);
    if (p->journal_fd >= 0)
        close(p->journal_fd);
    p->journal_fd = -1;
    p->journal_name[0] = '\0';
}

static int create_journal(struct knobs_plan *p, int dirfd, char *err, size_t len)
{
    unsigned long long start = 0;
    int ret = process_start(getpid(), &start);
    if (ret < 0)
        return errmsg_set(err, len, ret, "read /proc/self/stat: %s", strerror(-ret));
    snprintf(p->journal_name, sizeof(p->journal_name), "knobs-%ld-%llu.journal", (long)getpid(),
             start);
    size_t cap = 2 * KNOBS_MAX * (PATH_BYTES + KNOBS_VALUE_MAX + LABEL_BYTES + 16) + 256;
    char *text = malloc(cap);
    if (!text)
        return errmsg_set(err, len, -ENOMEM, "journal: out of memory");
    int n = journal_format(p, text, cap);
    if (n < 0) {
        free(text);
        p->journal_name[0] = '\0';
        return errmsg_set(err, len, n, "journal: %s", strerror(-n));
    }
    int fd =
        openat(dirfd, p->journal_name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        ret = -errno;
        errmsg_set(err, len, ret, "create %s/%s: %s%s", KNOBS_JOURNAL_DIR, p->journal_name,
                   strerror(-ret),
                   ret == -EEXIST ? " (left by a restore of this process that failed)" : "");
        p->journal_name[0] = '\0';
        free(text);
        return ret;
    }
    p->journal_fd = fd;
    if (flock(fd, LOCK_EX) < 0 || (ret = write_all(fd, text, (size_t)n)) < 0 || fsync(fd) < 0 ||
        fsync(dirfd) < 0) {
        if (ret == 0)
            ret = -errno;
        errmsg_set(err, len, ret, "write %s/%s: %s", KNOBS_JOURNAL_DIR, p->journal_name,
                   strerror(-ret));
        remove_journal(p, dirfd);
    }
    free(text);
    return ret;
}

static void arm_emergency(const struct knobs_plan *p)
{
    emergency_count = 0;
    for (size_t i = 0; i < p->n; i++) {
        const char *path, *value;
        restore_op(&p->e[i], &path, &value);
        snprintf(emergency[i].path, sizeof(emergency[i].path), "%s", path);
        snprintf(emergency[i].value, sizeof(emergency[i].value), "%s", value);
        emergency[i].debugfs = p->e[i].def->type == KNOB_DEBUGFS;
        emergency_count = i + 1;
    }
    snprintf(emergency_journal, sizeof(emergency_journal), "%s/%s", KNOBS_JOURNAL_DIR,
             p->journal_name);
    active_plan = p;
    __atomic_store_n(&emergency_armed, 1, __ATOMIC_SEQ_CST);
}

/* Whether got is what writing want to a setting of this type leaves there. */
static bool reads_as_written(enum knob_type type, const char *want, const char *got)
{
    if (type != KNOB_LRU_GEN)
        return strcmp(want, got) == 0;
    unsigned long mask = strtoul(got, NULL, 0);
    if (strcmp(want, "y") == 0)
        return mask != 0;
    if (strcmp(want, "n") == 0)
        return mask == 0;
    return mask == strtoul(want, NULL, 0);
}

static int write_entry(const struct knob_entry *e, char *err, size_t len)
{
    int ret = raw_write(e->path, e->new_value, e->def->type == KNOB_DEBUGFS);
    if (ret < 0)
        return errmsg_set(err, len, ret, "%s: write \"%s\" to %s: %s", e->label, e->new_value,
                          e->path, strerror(-ret));
    char now[KNOBS_VALUE_MAX];
    ret = read_setting(e->def->type, e->path, now, sizeof(now));
    if (ret < 0)
        return errmsg_set(err, len, ret, "%s: read back %s: %s", e->label, e->path, strerror(-ret));
    if (!reads_as_written(e->def->type, e->new_value, now))
        return errmsg_set(err, len, -EIO, "%s: wrote \"%s\" to %s, the kernel holds \"%s\"",
                          e->label, e->new_value, e->path, now);
    return 0;
}

/* Writes each entry's restore value in reverse order and checks every original value
 * (both members of a pair). Returns 0 or -EIO with each value that did not come back. */
static int restore_entries(const struct knobs_plan *p, size_t n, char *err, size_t len)
{
    int ret = 0;
    size_t used = 0;
    if (err && len)
        err[0] = '\0';
    for (size_t i = n; i-- > 0;) {
        const char *path, *value;
        restore_op(&p->e[i], &path, &value);
        raw_write(path, value, p->e[i].def->type == KNOB_DEBUGFS);
    }
    for (size_t i = 0; i < n; i++) {
        const struct knob_entry *e = &p->e[i];
        for (int member = 0; member < (e->pair_label[0] ? 2 : 1); member++) {
            const char *path = member ? e->pair_path : e->path;
            const char *want = member ? e->pair_old : e->old_value;
            char now[KNOBS_VALUE_MAX] = "";
            int r = read_setting(e->def->type, path, now, sizeof(now));
            if (r == 0 && strcmp(now, want) == 0)
                continue;
            ret = -EIO;
            if (err && used < len)
                used += (size_t)snprintf(err + used, len - used,
                                         "%s%s: could not restore \"%s\" (%s holds \"%s\")",
                                         used ? "; " : "", member ? e->pair_label : e->label, want,
                                         path, r < 0 ? strerror(-r) : now);
        }
    }
    return ret;
}

int knobs_apply(struct knobs_plan *p, char *err, size_t err_len)
{
    if (p->applied || active_plan)
        return errmsg_set(err, err_len, -EBUSY, "kernel settings: another plan is applied");
    if (p->n == 0)
        return 0;
    int dirfd = open_journal_dir(true, err, err_len);
    if (dirfd < 0)
        return dirfd;
    int ret = check_other_journals(p, dirfd, err, err_len);
    /* The values to restore are the ones found now, not at planning time. */
    for (size_t i = 0; i < p->n && ret == 0; i++) {
        struct knob_entry *e = &p->e[i];
        ret = read_setting(e->def->type, e->path, e->old_value, sizeof(e->old_value));
        if (ret == 0 && e->pair_label[0])
            ret = read_value(e->pair_path, e->pair_old, sizeof(e->pair_old));
        if (ret < 0)
            errmsg_set(err, err_len, ret, "%s: read %s: %s", e->label, e->path, strerror(-ret));
    }
    if (ret == 0)
        ret = create_journal(p, dirfd, err, err_len);
    if (ret < 0) {
        close(dirfd);
        return ret;
    }
    arm_emergency(p);
    size_t i;
    for (i = 0; i < p->n && ret == 0; i++)
        ret = write_entry(&p->e[i], err, err_len);
    if (ret < 0) {
        /* Entry i-1 failed, but may have changed its setting: restore it too. */
        __atomic_store_n(&emergency_armed, 0, __ATOMIC_SEQ_CST);
        active_plan = NULL;
        char why[512];
        if (restore_entries(p, i, why, sizeof(why)) < 0) {
            log_error("%s", why);
        } else {
            remove_journal(p, dirfd);
        }
        if (p->journal_fd >= 0)
            close(p->journal_fd);
        p->journal_fd = -1;
        close(dirfd);
        return ret;
    }
    p->applied = true;
    close(dirfd);
    return 0;
}

int knobs_restore(struct knobs_plan *p, char *err, size_t err_len)
{
    if (!p->applied)
        return 0;
    p->applied = false;
    active_plan = NULL;
    /* A signal handler that got here first restored everything and removed the journal. */
    bool ours = __atomic_exchange_n(&emergency_armed, 0, __ATOMIC_SEQ_CST);
    char dir_err[256];
    int dirfd = open_journal_dir(false, dir_err, sizeof(dir_err));
    int ret = ours ? restore_entries(p, p->n, err, err_len) : 0;
    if (ret == 0 && dirfd >= 0)
        remove_journal(p, dirfd);
    if (p->journal_fd >= 0)
        close(p->journal_fd); /* a journal kept after a failure: the next start retries */
    p->journal_fd = -1;
    if (dirfd >= 0)
        close(dirfd);
    else if (ret == 0)
        ret = errmsg_set(err, err_len, dirfd, "%s", dir_err);
    return ret;
}

void knobs_emergency_restore(void)
{
    if (!__atomic_exchange_n(&emergency_armed, 0, __ATOMIC_SEQ_CST))
        return;
    for (size_t i = emergency_count; i-- > 0;)
        raw_write(emergency[i].path, emergency[i].value, emergency[i].debugfs);
    unlink(emergency_journal);
}

void knobs_plan_free(struct knobs_plan *p)
{
    if (!p)
        return;
    char err[1024];
    if (knobs_restore(p, err, sizeof(err)) < 0)
        log_error("%s", err);
    free(p);
}

/* ---- Recovery ----------------------------------------------------------------------- */

static size_t append(char *buf, size_t len, size_t used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t append(char *buf, size_t len, size_t used, const char *fmt, ...)
{
    if (!buf || used >= len)
        return used;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
    return n < 0 ? used : used + (size_t)n;
}

/* How to read back a file a journal names: the journals hold paths, not keys. */
static enum knob_type type_of_path(const char *path)
{
    if (strncmp(path, THP_DIR "/", strlen(THP_DIR) + 1) == 0)
        return KNOB_CHOICE;
    if (strncmp(path, DEBUGFS_DIR "/", strlen(DEBUGFS_DIR) + 1) == 0)
        return KNOB_DEBUGFS;
    return KNOB_SYSCTL; /* plain text, compared as written */
}

/* Replays a dead run's journal: writes in reverse order, then checks every value. */
static size_t replay(const struct journal *j, const char *name, char *report, size_t len,
                     size_t used, bool *ok)
{
    used =
        append(report, len, used, "restored kernel settings of dead run pid %ld (%s/%s):", j->pid,
               KNOBS_JOURNAL_DIR, name);
    for (size_t i = j->n; i-- > 0;)
        if (strcmp(j->l[i].op, "check") != 0)
            raw_write(j->l[i].path, j->l[i].value, strcmp(j->l[i].op, "debugfs") == 0);
    *ok = true;
    for (size_t i = 0; i < j->n; i++) {
        const struct journal_line *l = &j->l[i];
        char now[KNOBS_VALUE_MAX] = "";
        int r = read_setting(type_of_path(l->path), l->path, now, sizeof(now));
        bool same = r == 0 && strcmp(now, l->value) == 0;
        *ok = *ok && same;
        used = append(report, len, used, "%s %s = %s%s%s%s", i ? "," : "", l->label, l->value,
                      same ? "" : " FAILED (holds ", same ? "" : (r < 0 ? strerror(-r) : now),
                      same ? "" : ")");
    }
    return append(report, len, used, "\n");
}

/* What a dry run says of a dead run's journal: the values recovery would write. */
static size_t describe_dead(const struct journal *j, const char *name, char *report, size_t len,
                            size_t used)
{
    used = append(report, len, used,
                  "kernel settings of dead run pid %ld (%s/%s) are still in force; a run (not "
                  "--dry-run) restores:",
                  j->pid, KNOBS_JOURNAL_DIR, name);
    for (size_t i = 0; i < j->n; i++)
        used = append(report, len, used, "%s %s = %s", i ? "," : "", j->l[i].label, j->l[i].value);
    return append(report, len, used, "\n");
}

/* knobs_recover_dead_runs, or with dry only what it would do (nothing written, nothing
 * removed). */
static int recover(bool dry, char *report, size_t len)
{
    if (report && len)
        report[0] = '\0';
    if (access(KNOBS_JOURNAL_DIR, F_OK) < 0)
        return 0;
    char err[256];
    int dirfd = open_journal_dir(false, err, sizeof(err));
    if (dirfd < 0) {
        append(report, len, 0, "%s\n", err);
        return dirfd;
    }
    int dup_fd = dup(dirfd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    struct journal *j = malloc(sizeof(*j));
    if (!d || !j) {
        int ret = -errno;
        if (d)
            closedir(d);
        else if (dup_fd >= 0)
            close(dup_fd);
        free(j);
        close(dirfd);
        return d ? -ENOMEM : ret;
    }
    char boot[40] = "";
    read_boot_id(boot, sizeof(boot));
    int restored = 0;
    size_t used = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        long pid;
        unsigned long long start;
        if (!journal_name_parse(de->d_name, &pid, &start))
            continue;
        int fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_nlink == 0) {
            close(fd); /* another start recovered it meanwhile */
            continue;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) < 0 || owner_alive(pid, start)) {
            used = append(report, len, used, "left %s/%s alone: its run (pid %ld) is alive\n",
                          KNOBS_JOURNAL_DIR, de->d_name, pid);
            close(fd);
            continue;
        }
        int pr = journal_read(fd, j);
        bool ok = true;
        if (pr < 0 || j->pid != pid || j->start_ticks != start) {
            used = append(report, len, used,
                          "ignored %s/%s: not a journal mmbench wrote; remove it by hand\n",
                          KNOBS_JOURNAL_DIR, de->d_name);
            close(fd);
            continue;
        }
        if (dry) {
            if (strcmp(j->boot_id, boot) == 0 && j->complete) {
                used = describe_dead(j, de->d_name, report, len, used);
                restored++;
            }
            close(fd);
            continue;
        }
        if (strcmp(j->boot_id, boot) != 0)
            used = append(report, len, used,
                          "removed %s/%s unreplayed: it is from an earlier boot, which reset "
                          "those settings\n",
                          KNOBS_JOURNAL_DIR, de->d_name);
        else if (!j->complete)
            used = append(report, len, used,
                          "removed %s/%s: written only in part, so its run changed nothing\n",
                          KNOBS_JOURNAL_DIR, de->d_name);
        else {
            used = replay(j, de->d_name, report, len, used, &ok);
            restored++;
        }
        if (!ok)
            used = append(report, len, used, "  (values marked FAILED need setting by hand)\n");
        unlinkat(dirfd, de->d_name, 0);
        close(fd);
    }
    if (!dry)
        fsync(dirfd);
    free(j);
    closedir(d);
    close(dirfd);
    return restored;
}

int knobs_recover_dead_runs(char *report, size_t len)
{
    return recover(false, report, len);
}

int knobs_dead_runs(char *report, size_t len)
{
    return recover(true, report, len);
}

/* ---- Snapshot ----------------------------------------------------------------------- */

static struct knobs_setting *snapshot_add(struct knobs_snapshot *s, const char *key,
                                          const char *source)
{
    if (s->n == KNOBS_SNAPSHOT_MAX)
        return NULL;
    struct knobs_setting *k = &s->s[s->n++];
    snprintf(k->key, sizeof(k->key), "%s", key);
    snprintf(k->source, sizeof(k->source), "%s", source);
    k->value[0] = '\0';
    return k;
}

static void snapshot_read(struct knobs_snapshot *s, const char *key, enum knob_type type,
                          const char *path)
{
    struct knobs_setting *k = snapshot_add(s, key, path);
    if (!k)
        return;
    int ret = read_setting(type, path, k->value, sizeof(k->value));
    if (ret == -ENOENT)
        snprintf(k->value, sizeof(k->value), "n/a (not on this kernel)");
    else if (ret < 0)
        snprintf(k->value, sizeof(k->value), "n/a (%s)", strerror(-ret));
}

static int compare_sizes(const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return x < y ? -1 : x > y;
}

/* The per-size THP settings: every hugepages-<N>kB directory, smallest first. */
static void snapshot_thp_sizes(struct knobs_snapshot *s, const struct knob_def *def)
{
    unsigned long sizes[64];
    size_t n = 0;
    DIR *d = opendir(THP_DIR);
    struct dirent *de;
    while (d && (de = readdir(d)) && n < 64) {
        int end = 0;
        if (sscanf(de->d_name, "hugepages-%lukB%n", &sizes[n], &end) == 1 && !de->d_name[end])
            n++;
    }
    if (d)
        closedir(d);
    qsort(sizes, n, sizeof(sizes[0]), compare_sizes);
    for (size_t i = 0; i < n; i++) {
        char middle[24], key[KEY_BYTES], path[PATH_BYTES];
        snprintf(middle, sizeof(middle), "%lu", sizes[i]);
        snprintf(path, sizeof(path), def->path, middle);
        if (access(path, F_OK) < 0)
            continue; /* hugepages-8kB has shmem_enabled only: no order-1 anonymous THP */
        const char *lt = strchr(def->info.key, '<');
        snprintf(key, sizeof(key), "%.*s%s%s", (int)(lt - def->info.key), def->info.key, middle,
                 strchr(lt, '>') + 1);
        snapshot_read(s, key, KNOB_CHOICE, path);
    }
}

static void snapshot_debugfs(struct knobs_snapshot *s, const struct knob_def *def)
{
    struct knobs_setting *k = snapshot_add(s, def->info.key, def->path);
    if (!k)
        return;
    if (geteuid() != 0) {
        snprintf(k->value, sizeof(k->value), "n/a (reading debugfs needs root)");
        return;
    }
    bool mounted;
    int ret = debugfs_enter(&mounted);
    if (ret == 0) {
        ret = read_value(def->path, k->value, sizeof(k->value));
        debugfs_leave(mounted);
    }
    if (ret == -EPERM)
        snprintf(k->value, sizeof(k->value), "n/a (kernel lockdown restricts debugfs)");
    else if (ret < 0)
        snprintf(k->value, sizeof(k->value), "n/a (%s)", strerror(-ret));
}

static void snapshot_read_ahead(struct knobs_snapshot *s, const struct knob_def *def,
                                const char *data_dir)
{
    struct kcounters_source src = {.why_no_disk = "no data directory"};
    if (data_dir)
        kcounters_source_init(&src, data_dir);
    if (src.disk[0]) {
        char path[PATH_BYTES];
        snprintf(path, sizeof(path), "/sys/block/%s/queue/read_ahead_kb", src.disk);
        snapshot_read(s, def->info.key, KNOB_READ_AHEAD, path);
        return;
    }
    struct knobs_setting *k = snapshot_add(s, def->info.key, data_dir ? data_dir : "");
    if (k)
        snprintf(k->value, sizeof(k->value), "n/a (%s)",
                 strncmp(src.why_no_disk, "n/a: ", 5) == 0 ? src.why_no_disk + 5 : src.why_no_disk);
}

/* Measures whether the filesystem of data_dir caches in large folios: nothing exposes it
 * (ext4 gained them in 6.16 with no flag to show), so write 2 MiB at once to a file with
 * no name and look at its folios. */
static void snapshot_large_folios(struct knobs_snapshot *s, const char *data_dir)
{
    char source[160];
    snprintf(source, sizeof(source), "folio census of a 2 MiB write() to an O_TMPFILE in %s",
             data_dir ? data_dir : "(no directory)");
    struct knobs_setting *k = snapshot_add(s, "large_folios", source);
    if (!k)
        return;
    if (!data_dir) {
        snprintf(k->value, sizeof(k->value), "n/a (no data directory)");
        return;
    }
    int fd = open(data_dir, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(k->value, sizeof(k->value), "n/a (O_TMPFILE in %s: %s)", data_dir,
                 strerror(errno));
        return;
    }
    char *buf = aligned_alloc(PROBE_BYTES, PROBE_BYTES);
    ssize_t n = -1;
    if (buf) {
        memset(buf, 0x5a, PROBE_BYTES); /* real data: a hole would cache nothing */
        n = write(fd, buf, PROBE_BYTES);
    }
    struct folios_census c;
    char err[256], mix[96];
    if (!buf)
        snprintf(k->value, sizeof(k->value), "n/a (out of memory)");
    else if (n != (ssize_t)PROBE_BYTES)
        snprintf(k->value, sizeof(k->value), "n/a (write to an O_TMPFILE in %s: %s)", data_dir,
                 n < 0 ? strerror(errno) : "short write");
    else if (folios_census(fd, PROBE_BYTES, &c, err, sizeof(err)) < 0)
        snprintf(k->value, sizeof(k->value), "n/a (%s)", err);
    else if (folios_format(&c, mix, sizeof(mix)) >= 0)
        snprintf(k->value, sizeof(k->value), "%s (%s)", folios_largest_order(&c) > 0 ? "yes" : "no",
                 mix);
    free(buf);
    close(fd); /* the unnamed file and its dirty pages go with it, unwritten */
}

void knobs_snapshot(const char *data_dir, struct knobs_snapshot *s)
{
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < KNOB_DEFS; i++) {
        const struct knob_def *def = &knob_defs[i];
        if (def->type == KNOB_READ_AHEAD) {
            snapshot_read_ahead(s, def, data_dir);
        } else if (def->type == KNOB_DEBUGFS) {
            snapshot_debugfs(s, def);
        } else if (def->type == KNOB_LRU_GEN && access(def->path, F_OK) < 0) {
            struct knobs_setting *k = snapshot_add(s, def->info.key, def->path);
            if (k)
                snprintf(k->value, sizeof(k->value), "n/a (no multi-gen LRU on this kernel)");
        } else if (strstr(def->info.key, "<N>")) {
            snapshot_thp_sizes(s, def);
        } else if (!strchr(def->info.key, '<')) {
            snapshot_read(s, def->info.key, def->type, def->path);
        }
    }
    snapshot_large_folios(s, data_dir);
}
