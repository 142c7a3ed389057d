/* Kernel settings for the duration of a phase ("knobs"), always restored.
 *
 * Keys (knobs_key() lists them with their values):
 *   read_ahead_kb         /sys/block/<disk>/queue/read_ahead_kb of the disk behind the data
 *                         directory (resolved as kcounters does: partition -> disk, loop
 *                         device -> itself, btrfs -> mount source); none on tmpfs
 *   thp, thp_defrag,      /sys/kernel/mm/transparent_hugepage/{enabled,defrag,shmem_enabled}
 *   thp_shmem
 *   thp_<N>kB,            the per-size hugepages-<N>kB/{enabled,shmem_enabled} (mTHP)
 *   thp_shmem_<N>kB
 *   fault_around_bytes    debugfs; mounted for each access and unmounted after when it was
 *                         not mounted
 *   lru_gen               /sys/kernel/mm/lru_gen/enabled (MGLRU) where the kernel has it
 *   vm.<name>             any /proc/sys/vm setting: vm.dirty_ratio, vm.dirty_bytes, ...
 * Values are checked against what the kernel offers (a THP file's own list of choices, the
 * shape of a sysctl's current value) and must read back as written, so a run that did not
 * reach the state it asked for fails instead of measuring something else.
 *
 * Some limits come in pairs (vm.dirty_ratio/vm.dirty_bytes, vm.dirty_background_ratio/
 * vm.dirty_background_bytes, vm.overcommit_ratio/vm.overcommit_kbytes): writing one member
 * zeroes the other, so a plan records both and restores the member that was in force,
 * which brings back the original pair; a plan may not set both.
 *
 * Crash safety: knobs_apply writes the original values to a journal,
 * /run/mmbench/knobs-<pid>-<start time>.journal, and fsyncs it before changing anything;
 * knobs_restore removes it. The owner holds a lock on its journal while it lives; a
 * journal whose owner is gone (SIGKILL, a crash) is restored by the next mmbench at start
 * (knobs_recover_dead_runs). The start time (/proc/<pid>/stat field 22) keeps a reused
 * pid from passing for the owner, and the boot id keeps a journal that survived a reboot
 * (the settings are back to the boot's values then) from being replayed.
 *
 * One plan is applied at a time per process. Changing settings needs root; without it,
 * or where a setting does not exist on this kernel, knobs_plan_create refuses with the
 * reason. */
#ifndef MMBENCH_KNOBS_H
#define MMBENCH_KNOBS_H

#include <stddef.h>

#define KNOBS_MAX          32  /* settings per plan */
#define KNOBS_SNAPSHOT_MAX 48  /* settings in a snapshot */
#define KNOBS_VALUE_MAX    128 /* bytes of a value, with its terminating NUL */
#define KNOBS_JOURNAL_DIR  "/run/mmbench"

struct knobs_request {
    const char *key;   /* "read_ahead_kb", "thp", "vm.dirty_ratio", "thp_64kB" */
    const char *value; /* "128", "never", "10", "inherit" */
};

/* One key as the config layer shows it (--list-keys, the docs). */
struct knobs_key_info {
    const char *key;    /* "thp", or a pattern: "thp_<N>kB", "vm.<name>" */
    const char *values; /* what it takes: "always, madvise, never" */
    const char *help;   /* one line */
};

struct knobs_plan; /* the resolved settings: paths, original and new values */

/* One setting's current value, for the results' context block. */
struct knobs_setting {
    char key[48];                /* as in a config: "read_ahead_kb", "vm.dirty_ratio" */
    char value[KNOBS_VALUE_MAX]; /* "8192", "madvise", or "n/a (why)" */
    char source[160];            /* where it was read: a path, or how it was measured */
};

struct knobs_snapshot {
    size_t n;                                   /* settings in s */
    struct knobs_setting s[KNOBS_SNAPSHOT_MAX]; /* in knobs_key() order */
};

/* The keys, from the one table the plans resolve from: knobs_key(i) for i below
 * knobs_key_count(), NULL beyond. */
size_t knobs_key_count(void);
const struct knobs_key_info *knobs_key(size_t i);

/* Resolves and checks n requests for a run whose data lives in data_dir (read_ahead_kb
 * needs it; may be NULL otherwise): every key must exist on this kernel, be writable by
 * this process and get a plausible value, and no key may come twice. Changes nothing and
 * creates nothing (debugfs is mounted for a moment to read fault_around_bytes when it is
 * not mounted). Returns 0 with *out set (free with knobs_plan_free), or -EINVAL, -ENOENT,
 * -EPERM, -EACCES with the key and the reason in err. */
int knobs_plan_create(const struct knobs_request *req, size_t n, const char *data_dir,
                      struct knobs_plan **out, char *err, size_t err_len);

/* Number of settings in the plan. */
size_t knobs_plan_count(const struct knobs_plan *p);

/* Writes what applying p changes, one line per setting ("read_ahead_kb of vda: 8192 ->
 * 128"). Returns the length snprintf would give. */
int knobs_plan_describe(const struct knobs_plan *p, char *buf, size_t len);

/* Journals the current values (fsynced), then writes the new ones and reads each back.
 * On any failure restores what it wrote and removes the journal. Refuses (-EBUSY) while
 * another plan of this process is applied, while a dead run's journal has not been
 * recovered, or while a live run's journal holds one of the same settings. Returns 0 or
 * a negative errno with the reason in err. */
int knobs_apply(struct knobs_plan *p, char *err, size_t err_len);

/* Writes the original values back (in reverse order), checks each reads back as it was,
 * and removes the journal. Does nothing for a plan that is not applied. Returns 0, or
 * -EIO with every value that did not come back in err (the journal is then kept, so the
 * next start tries again). */
int knobs_restore(struct knobs_plan *p, char *err, size_t err_len);

/* Restores the applied plan from a signal handler: async-signal-safe, no checks, runs at
 * most once per apply (a restore in progress or done makes it return at once). */
void knobs_emergency_restore(void);

/* Restores p if it is still applied, then frees it. */
void knobs_plan_free(struct knobs_plan *p);

/* At start-up: restores the settings recorded in the journals of runs that died, says in
 * report which values it wrote (one line per journal), and removes those journals.
 * Journals whose owner is alive are left alone; a journal from an earlier boot is removed
 * unreplayed. Returns the number of dead runs restored, or a negative errno. */
int knobs_recover_dead_runs(char *report, size_t len);

/* What knobs_recover_dead_runs would restore, for a dry run: one line per dead run's
 * journal, with the values it would write; changes nothing. Returns the number of dead
 * runs with settings to restore, or a negative errno (-EACCES without root). */
int knobs_dead_runs(char *report, size_t len);

/* Reads every known setting (whether a plan sets it or not) and measures whether the
 * filesystem of data_dir caches a file written at once in large folios (it writes a 2 MiB
 * unnamed O_TMPFILE there, takes its folio census, and closes it). Absent settings read
 * "n/a (why)". */
void knobs_snapshot(const char *data_dir, struct knobs_snapshot *s);

#endif
