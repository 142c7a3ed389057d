/* The classic claims about file mappings, measured on the running kernel. Each claim is
 * a function that runs an experiment (in child processes where another process must
 * look) and returns the claim's statement, the numbers it measured, a line of evidence
 * built from them, and a verdict that follows from those numbers by the rule stated in
 * the evidence, never from a constant.
 *
 * The experiments leave the data file's content as it was: writes through MAP_SHARED
 * store the words already there (or put the original back), MAP_PRIVATE writes never
 * reach the file, and the file is fdatasync'd afterwards. The truncation experiment
 * uses a file of its own, unnamed (O_TMPFILE) in a directory the caller gives, which
 * vanishes with its last descriptor. Nothing changes the machine's settings. Device
 * counters (kcounters.h) are the whole device's: other activity shows too, so verdicts
 * rest on per-file counts (cachestat, mincore, fault counts) where the kernel has them,
 * and the device counts are evidence beside them. */
#ifndef MMBENCH_CLAIMS_H
#define MMBENCH_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

#define CLAIMS_MAX_NUMBERS    16
#define CLAIMS_EVIDENCE_BYTES 1024

enum claims_verdict {
    CLAIMS_HOLDS,
    CLAIMS_DOES_NOT_HOLD,
    CLAIMS_INCONCLUSIVE,
    CLAIMS_VERDICT_COUNT,
};

/* "holds", "does not hold", "inconclusive". */
const char *claims_verdict_name(enum claims_verdict verdict);

/* One measured number. */
struct claims_number {
    const char *name; /* e.g. "dirty_pages_after_munmap" */
    const char *unit; /* "pages", "bytes", "ns", "signal", ... */
    double value;     /* in unit */
};

struct claims_result {
    const char *id;                       /* the claim's short name */
    const char *statement;                /* the claim, as a sentence */
    enum claims_verdict verdict;          /* from the numbers below */
    const char *method;                   /* which counters the verdict rests on */
    char evidence[CLAIMS_EVIDENCE_BYTES]; /* the numbers in a line, and the rule applied */
    unsigned number_count;                /* entries of numbers in use */
    struct claims_number numbers[CLAIMS_MAX_NUMBERS]; /* what was measured */
};

struct claims_config {
    int fd;                     /* the data file, open O_RDWR; the caller holds no mapping */
    uint64_t file_size_bytes;   /* its size: 1 MiB at least */
    int dir_fd;                 /* a directory (O_PATH or O_RDONLY) for the truncation
                                   claim's unnamed file; -1: that claim cannot run */
    uint64_t range_bytes;       /* the range the flush claims dirty; 0: min(file, 8 MiB) */
    unsigned repetitions;       /* of the msync/fdatasync comparison; 0: 5 */
    unsigned sharing_processes; /* for the sharing claim (2 or more); 0: 10 */
    uint64_t sharing_bytes;     /* the part they map; 0: min(file, 64 MiB) */
};

/* A claim's experiment. Returns 0 when it ran (the verdict is in res, whatever it is),
 * -EINTR when stopped (kinds_request_stop), or -errno with a message when it could not
 * run. */
typedef int (*claims_fn)(const struct claims_config *cfg, struct claims_result *res, char *err,
                         size_t err_len);

/* MAP_PRIVATE writes never reach the file: another process's MAP_SHARED mapping and
 * pread see the original, also after msync and after munmap. */
int claims_private_write_invisible(const struct claims_config *cfg, struct claims_result *res,
                                   char *err, size_t err_len);

/* A MAP_SHARED write is visible at once to another process's mapping and to pread,
 * without msync. */
int claims_shared_write_visible(const struct claims_config *cfg, struct claims_result *res,
                                char *err, size_t err_len);

/* munmap and close write no dirty page to disk; an explicit fsync does. */
int claims_munmap_no_writeback(const struct claims_config *cfg, struct claims_result *res,
                               char *err, size_t err_len);

/* msync(MS_SYNC) waits until the range is on the device, and costs like fdatasync. */
int claims_msync_sync_like_fdatasync(const struct claims_config *cfg, struct claims_result *res,
                                     char *err, size_t err_len);

/* msync(MS_ASYNC) starts no I/O (against sync_file_range(WRITE), which does). */
int claims_msync_async_no_io(const struct claims_config *cfg, struct claims_result *res, char *err,
                             size_t err_len);

/* msync(MS_INVALIDATE) does not make a later read come from the device. */
int claims_msync_invalidate_no_reread(const struct claims_config *cfg, struct claims_result *res,
                                      char *err, size_t err_len);

/* Past the end of a file truncated under the mapping: SIGBUS; outside any mapping:
 * SIGSEGV. */
int claims_sigbus_past_eof(const struct claims_config *cfg, struct claims_result *res, char *err,
                           size_t err_len);

/* N processes mapping one file share its physical pages. */
int claims_sharing_pages(const struct claims_config *cfg, struct claims_result *res, char *err,
                         size_t err_len);

struct claims_entry {
    const char *id; /* the same as the result's id */
    claims_fn run;
};

/* Every claim, in the order above. */
extern const struct claims_entry claims_table[];
extern const size_t claims_count;

#endif
