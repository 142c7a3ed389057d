/* The memory footprint of sharing a file: N processes each load the same part of a file
 * and keep it, and the kernel's accounting is read while all of them hold it.
 *
 * Methods of loading:
 *   shared_map   mmap(PROT_READ, MAP_SHARED), one load per page (every page mapped)
 *   private_map  mmap(PROT_READ, MAP_PRIVATE), one load per page (no page is written,
 *                so none is copied)
 *   heap_buffer  pread into an anonymous buffer of the process's own (what a program that
 *                loads a file into memory does), one load per page afterwards
 * Each child reopens the file (children_reopen) and maps it after fork; all start loading
 * together behind a gate and, once loaded, wait at a barrier while the parent reads their
 * /proc/PID/smaps_rollup, the smaps of the mapping or buffer, VmPTE, the file's page-cache
 * residency (mincore) and /proc/meminfo. One more child loads nothing, so the harness's
 * own per-process footprint shows. The physics to expect: a mapping adds page tables per
 * process and nothing else (PSS per process about length / N); a private buffer adds the
 * length per process. MemAvailable counts page cache as available, so loading a cached
 * file through a mapping hardly moves it, and buffers move it by about N x length; the
 * machine's other activity is counted too. */
#ifndef MMBENCH_FOOTPRINT_H
#define MMBENCH_FOOTPRINT_H

#include "kinds.h"
#include "procmem.h"

#include <stdint.h>

#define FOOTPRINT_MAX_PROCESSES 1024

enum footprint_method {
    FOOTPRINT_SHARED_MAP,
    FOOTPRINT_PRIVATE_MAP,
    FOOTPRINT_HEAP_BUFFER,
    FOOTPRINT_METHOD_COUNT,
};

/* "shared_map", "private_map", "heap_buffer"; NULL for a value out of range. */
const char *footprint_method_name(enum footprint_method method);

/* The method named name. Returns 0 or -EINVAL. */
int footprint_method_parse(const char *name, enum footprint_method *method);

struct footprint_config {
    int fd;                       /* the data file, open O_RDWR (only read here) */
    uint64_t file_size_bytes;     /* its size */
    uint64_t offset_bytes;        /* start of the part each process loads; page-aligned */
    uint64_t length_bytes;        /* bytes of it; 0: to the end of the file */
    unsigned processes;           /* 1 .. FOOTPRINT_MAX_PROCESSES loading processes */
    enum footprint_method method; /* how each loads it */
    uint64_t timeout_ns;          /* for loading and for exiting; 0: no limit */
    uint64_t settle_ns;           /* wait this long before each /proc/meminfo reading, so
                                     that the per-CPU counter deltas are folded in (every
                                     vm.stat_interval, 1 s by default); 0: read at once */
};

/* smaps fields over the loading processes: median, min and max of each. */
struct footprint_usage {
    struct kinds_stat rss_bytes;       /* resident */
    struct kinds_stat pss_bytes;       /* proportional share */
    struct kinds_stat shared_bytes;    /* Shared_Clean + Shared_Dirty */
    struct kinds_stat private_bytes;   /* Private_Clean + Private_Dirty */
    struct kinds_stat anonymous_bytes; /* not file-backed */
};

struct footprint_result {
    enum footprint_method method;                 /* as configured */
    unsigned processes;                           /* loading processes (the baseline not counted) */
    uint64_t length_bytes;                        /* what each loaded */
    struct footprint_usage process;               /* smaps_rollup: the whole process */
    struct footprint_usage vma;                   /* the mapping or buffer only */
    struct kinds_stat vma_size_bytes;             /* its size as smaps says (a neighbour merged?) */
    struct kinds_stat pte_bytes;                  /* VmPTE: page tables */
    struct kinds_stat load_ns;                    /* from the gate until its part was loaded */
    struct procmem_usage baseline;                /* smaps_rollup of the child that loads nothing */
    uint64_t baseline_pte_bytes;                  /* its VmPTE */
    uint64_t file_pages;                          /* pages in the part */
    uint64_t cached_pages_before;                 /* of those, in the page cache before the fork */
    uint64_t cached_pages_during;                 /* ... while all processes held it */
    uint64_t mem_available_before_bytes;          /* MemAvailable before the fork */
    uint64_t mem_available_during_bytes;          /* MemAvailable while all held it */
    int64_t mem_available_used_bytes;             /* before - during (negative: memory was freed) */
    int64_t mem_available_used_per_process_bytes; /* that / processes */
    uint64_t mem_free_before_bytes;               /* MemFree before the fork */
    uint64_t mem_free_during_bytes;               /* MemFree while all held it */
    uint64_t checksum;                            /* xor of the loaded words (keeps the loads) */
};

/* Runs the experiment. The caller holds no mapping of the file (its pages would count as
 * shared). A heap_buffer run that needs more than three quarters of MemAvailable is
 * refused with -ENOMEM before anything starts. Returns 0, -EINTR when stopped
 * (kinds_request_stop), or -errno with a message; no child survives the call. */
int footprint_run(const struct footprint_config *cfg, struct footprint_result *res, char *err,
                  size_t err_len);

#endif
