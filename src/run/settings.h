/* A workload's kernel settings: its kernel-setting keys (read_ahead_kb, thp, ...,
 * vm.dirty_ratio, the sysctl object; params.c, group "Kernel settings") made into a knobs
 * plan (knobs.h), which checks them against this kernel, journals the values it changes
 * and always restores them.
 *
 * The runner applies a workload's settings before each phase, before the page cache is
 * prepared (so both backends of the workload, and the preparation, run under them), and
 * restores them after the phase; the run records what was applied. main checks every
 * workload's settings before anything is created (without root, or for a setting this
 * kernel lacks, the config is refused with the reason), restores what a dead run left
 * at start, and restores from its emergency exit (knobs_emergency_restore). */
#ifndef MMBENCH_SETTINGS_H
#define MMBENCH_SETTINGS_H

#include "workload.h"

#include <stdbool.h>
#include <stddef.h>

#define SETTINGS_TEXT_MAX 512 /* bytes of what a run records as applied */

struct settings; /* one workload's plan */

/* The plan of w's settings, checked against this kernel: *out is NULL when w sets none.
 * Creates nothing. Returns 0, or a negative errno with the key and the reason in err. */
int settings_create(const struct workload *w, struct settings **out, char *err, size_t err_len);

/* Checks the settings of every workload (settings_create on each). Returns 0, or a
 * negative errno with "workload: key: reason" in err. */
int settings_check(const struct workload *workloads, size_t n, char *err, size_t err_len);

/* What applying w's settings would change, one line per setting ("read_ahead_kb of vda:
 * 8192 -> 128"), or why they cannot be applied; "" when w sets none. */
void settings_describe(const struct workload *w, char *buf, size_t len);

/* Applies s (NULL: nothing to do) and writes what it applied to applied ("read_ahead_kb of
 * vda: 8192 -> 128; thp: madvise -> never", "" for none). Returns 0 or a negative errno
 * with the reason in err; nothing stays changed on failure. */
int settings_apply(struct settings *s, char *applied, size_t applied_len, char *err,
                   size_t err_len);

/* Restores what settings_apply changed (NULL or not applied: nothing). Returns 0, or -EIO
 * with every value that did not come back in err; the journal is then kept for the next
 * start, and settings_restore_failed() turns true. */
int settings_restore(struct settings *s, char *err, size_t err_len);

/* True once a restore failed in this process: the run must not report success. */
bool settings_restore_failed(void);

/* Restores s if applied, then frees it. */
void settings_free(struct settings *s);

/* At start: restores the settings that runs killed while they had them applied left in
 * their journals, saying so on stderr; with dry (--dry-run) only says what it would
 * restore. Silent without root (nothing to read or restore). Returns the number of dead
 * runs whose settings were (or would be) restored. */
int settings_recover_dead_runs(bool dry);

#endif
