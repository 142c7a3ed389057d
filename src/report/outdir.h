/* Output directories: every run writes into a directory that is new, empty, or (with
 * --replace) one whose mmbench result files it may replace; results never overwrite an
 * earlier run's by accident.
 *
 * The directory is opened once and held; every file in it is created with
 * openat(O_CREAT|O_EXCL|O_NOFOLLOW) relative to that descriptor, and replaced with
 * renameat, which replaces a symlink of the final name instead of following it. Nothing
 * is ever opened for writing through an existing name, so a symlink or a file someone
 * put in the directory is never written through or truncated. */
#ifndef MMBENCH_OUTDIR_H
#define MMBENCH_OUTDIR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define OUTDIR_NAME_MAX 80 /* longest file name mmbench writes, with its temporary suffix */

struct outdir {
    int fd;              /* the directory, held open; -1 when closed */
    char path[PATH_MAX]; /* as given or made, for messages only */
};

/* Opens the output directory and holds it: output (made when missing; an existing one
 * must be an empty directory, or with replace any directory) or, when output is NULL, a
 * new results/<prefix>-<UTC time>[-N] under the current directory. Returns 0, or -errno
 * after logging why: every failure is the user's to fix (an empty name, a file, a
 * directory that holds something, no permission), so the caller exits with status 2. */
int outdir_open(struct outdir *od, const char *output, const char *prefix, bool replace);

void outdir_close(struct outdir *od);

/* Creates name in od with openat(O_CREAT|O_EXCL|O_NOFOLLOW): never an existing file,
 * never through a symlink. flags: O_WRONLY or O_RDWR (O_CLOEXEC is added). Returns the
 * descriptor or -errno. */
int outdir_create_file(const struct outdir *od, const char *name, int flags, mode_t mode);

/* Renames from to to within od, atomically replacing to (a symlink named to is replaced
 * itself, its target untouched). Returns 0 or -errno. */
int outdir_rename(const struct outdir *od, const char *from, const char *to);

/* Removes name from od (a symlink itself, never its target). Returns 0 or -errno. */
int outdir_unlink(const struct outdir *od, const char *name);

/* A result file written atomically: a temporary file of its own, renamed over the final
 * name when complete, so a reader never sees a partial file. */
struct outdir_file {
    FILE *f;                             /* write the content here */
    const struct outdir *od;             /* the directory it goes to */
    int fd;                              /* the temporary file */
    int error;                           /* first errno a write through f hit; 0 if none */
    bool durable;                        /* fsync before the rename (begin sets it) */
    char name[OUTDIR_NAME_MAX];          /* the final name */
    char tmp_name[OUTDIR_NAME_MAX + 16]; /* the temporary file's name in od */
};

/* Creates the temporary file for name ("<name>.tmp", or another free name when that one
 * is taken) and opens of->f on it. Returns 0 or -errno after logging. */
int outdir_file_begin(struct outdir_file *of, const struct outdir *od, const char *name);

/* Ends the file begun with outdir_file_begin: ret is the writer's result. On success
 * (ret 0 and no write error) flushes, fsyncs (unless durable was cleared: a file that
 * must survive the process, not the machine) and renames it over the final name; else
 * removes it. Returns 0 or -errno: the error the kernel reported for a failed write
 * (ENOSPC, EDQUOT, EIO...), not stdio's generic one; failures are logged. */
int outdir_file_commit(struct outdir_file *of, int ret);

/* Async-signal-safe: removes the temporary file being written, if any. */
void outdir_emergency_cleanup(void);

#endif
