/* Data files: the only files mmbench writes outside its results directory.
 *
 * Safety contract: mmbench creates, writes and deletes only files inside directories it
 * made itself ("<dir>/mmbench-XXXXXX", holding a MMBENCH-DATA marker), and it does so
 * without ever resolving a path under dir again: dir is opened once, the work directory
 * and its files are made with mkdirat/openat(O_CREAT|O_EXCL|O_NOFOLLOW) relative to held
 * descriptors, the data file is used through its descriptor only, and removals are
 * unlinkat relative to those descriptors, of names that still refer to the inode
 * mmbench created (st_dev, st_ino). Renaming or symlinking anything under dir during a
 * run therefore cannot redirect a write or a delete.
 *
 * A data file is "data-<bytes>.bin", filled with pattern_file_word() (never sparse),
 * flushed to disk when created, and locked (flock) while a run uses it. At the end the
 * files and directories created by the run are removed unless --keep-files. A later run
 * reuses a kept file of the right size after verifying samples of its content
 * (datafile_verify); one that fails is rejected, with the reason, and removed only when
 * it is provably mmbench's and unused (else named).
 *
 * The marker names the owner (owner.h: pid, start time, boot) and the state: "in use"
 * while the run lasts (the marker is locked too), "kept" after --keep-files. A work
 * directory "in use" whose owner no longer runs was left by a killed run: the next run in
 * that dir removes it if everything in it is mmbench's, or names it with the command
 * that removes it. */
#ifndef MMBENCH_DATAFILE_H
#define MMBENCH_DATAFILE_H

#include "workload.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct datafile_set;

/* Prepares a workload that reads an existing file or block device (w->file) instead of a
 * data file: refused unless allowed (--read-existing); the file is opened read-only to
 * check what it is, and w->file_size_bytes becomes its size (rounded down to 8 bytes).
 * Nothing is ever written to it. Returns 0 or -errno with the reason in err. */
int datafile_use_existing(struct workload *w, bool allowed, char *err, size_t err_len);

/* Checks every workload's dir (exists, is a directory, writable), opens and holds it,
 * removes what killed runs left there (with reclaim; without, for --dry-run, only says
 * so), finds reusable kept files, and checks with statvfs that the files still to be
 * created fit. Creates nothing. Workloads that read an existing file are skipped.
 * Returns 0, or -errno with the reason in err. */
int datafile_plan(const struct workload *workloads, size_t n, bool reclaim,
                  struct datafile_set **out, char *err, size_t err_len);

/* The data file of workload workload_index, created on first use, and created afresh
 * (saying so) when the file held was deleted, replaced or resized by someone else since
 * the last call, or its work directory deleted. *fd is open O_RDWR and
 * held by the set until datafile_release, datafile_discard or datafile_finish: use it,
 * never close it, and never open the file by *label, which is its path for messages
 * only. Returns 0, or -errno (-EINTR when a stop was requested) with what failed in why
 * (the call, the file, the offset and the error; the caller reports it); a partly
 * written file is removed. */
int datafile_get(struct datafile_set *set, size_t workload_index, int *fd, const char **label,
                 char *why, size_t why_len);

/* Removes the files whose last user is workload index (unless keep): a sweep over file
 * sizes never holds more than it needs. */
void datafile_release(struct datafile_set *set, size_t workload_index, bool keep);

/* Forgets the file held at fd (it was found damaged, e.g. truncated by someone else):
 * removed if this run created it, and created afresh by the next datafile_get. fd is
 * closed. */
void datafile_discard(struct datafile_set *set, int fd);

/* Total bytes of data files this run will create (for --dry-run). */
uint64_t datafile_bytes_to_create(const struct datafile_set *set);

/* Paths of the run's work directories, for messages (one per line). */
void datafile_describe(const struct datafile_set *set, char *buf, size_t len);

/* Removes what the run created, unless keep. Frees set. */
void datafile_finish(struct datafile_set *set, bool keep);

/* Async-signal-safe: unlinks the files and directories the run created (relative to the
 * held directory descriptors, as datafile_finish does). */
void datafile_emergency_cleanup(void);

/* Verifies that the file at fd is an mmbench data file of size_bytes: 65 sampled words
 * must each be the file pattern or a written block's (pattern_is_ours). Returns 0, or
 * -EILSEQ (not mmbench data) or -errno. */
int datafile_verify(int fd, uint64_t size_bytes);

#endif
