/* Copy-on-write, fault by fault: the latency of the first write to each page of a
 * MAP_PRIVATE writable mapping of a cached file (a copy-on-write fault: allocate a page,
 * copy the file's page into it), of a later write to the same page (no fault), and of the
 * first write to each page of a MAP_SHARED mapping (a write fault on a clean shared page:
 * ->page_mkwrite, the folio is dirtied), each operation timed on its own with timer_now
 * into its own histogram. Also the anonymous memory the private writes allocated (smaps
 * Anonymous of the mapping, AnonPages of /proc/meminfo before and after: system-wide), the
 * minor faults of each pass (getrusage of the thread), and a check afterwards, by pread,
 * that the private writes changed nothing in the file.
 *
 * Runs in the calling process, single-threaded, on the file's cache state as the caller
 * left it (warm, for the faults described here; on a cold file first writes also read). Every timed
 * write is preceded, untimed, by a pread of its page into a small buffer: the private writes store
 * that page's words complemented (so a write that leaked into the file would show), the shared
 * writes store them unchanged (the file's content stays as it was; its pages become dirty and are
 * written back by an fdatasync at the end). The same pread precedes every pass, so the
 * CPU caches hold the file's page before each timed write alike. The file is fdatasync'd
 * first, so the shared mapping's pages are clean. With read_first, each mapping is read
 * page by page first: a first write is then a write-protect fault on a page already
 * mapped read-only (fault-around maps many per read fault) instead of a fault on an
 * unmapped page. */
#ifndef MMBENCH_COW_H
#define MMBENCH_COW_H

#include "folios.h"
#include "hist.h"
#include "procmem.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cow_order {
    COW_SEQUENTIAL, /* pages in file order */
    COW_RANDOM,     /* a seeded shuffle of the pages */
};

struct cow_config {
    int fd;                   /* the data file, open O_RDWR */
    uint64_t file_size_bytes; /* its size */
    uint64_t offset_bytes;    /* start of the region written; page-aligned */
    uint64_t length_bytes;    /* bytes of it (whole pages); 0: to the end of the file */
    enum cow_order order;     /* the order pages are written in, in every pass */
    uint64_t seed;            /* of the shuffle (COW_RANDOM) */
    uint32_t write_bytes;     /* per page: 8 (one 8-byte store) or a memcpy of this many
                                 bytes, a multiple of 8 up to the page size */
    bool read_first;          /* read each page of a mapping before its first writes */
};

/* One pass over the pages: one timed write per page. */
struct cow_pass {
    struct hist_summary latency; /* per write */
    uint64_t writes;             /* pages written */
    uint64_t minor_faults;       /* of the thread during the pass */
    uint64_t elapsed_ns;         /* of the pass, preads included */
};

struct cow_result {
    uint64_t pages;                   /* in the region */
    struct cow_pass private_first;    /* first write to each page, MAP_PRIVATE */
    struct cow_pass private_repeat;   /* a second write to each page, MAP_PRIVATE */
    struct cow_pass shared_first;     /* first write to each page, MAP_SHARED */
    uint64_t private_read_faults;     /* minor faults of the read_first pass, private */
    uint64_t shared_read_faults;      /* ... shared */
    uint64_t vma_anonymous_bytes;     /* smaps Anonymous of the private mapping, after */
    uint64_t vma_private_dirty_bytes; /* smaps Private_Dirty of it, after */
    int64_t anon_pages_delta_bytes;   /* /proc/meminfo AnonPages after - before */
    uint64_t pages_changed;           /* pages of the file that differ after the private
                                         writes (pread before and after): must be 0 */
    uint64_t words_not_pattern;       /* words of the region that are not mmbench's
                                         pattern after the private writes (0 on a data
                                         file no write workload has changed) */
    struct folios_census folios;      /* the region's page-cache folios, before */
    bool have_folios;                 /* false without CAP_SYS_ADMIN (then folios is 0) */
    uint64_t checksum;                /* of the pages read (keeps the loads) */
};

/* Optional full histograms (each may be NULL): merged into, not reset. */
struct cow_hists {
    struct hist *private_first;  /* per first private write, ns */
    struct hist *private_repeat; /* per repeated private write, ns */
    struct hist *shared_first;   /* per first shared write, ns */
};

/* Runs the three passes on the region. The caller holds no mapping of it. Returns 0,
 * -EINTR when stopped (kinds_request_stop, checked per page), or -errno with a message. */
int cow_run(const struct cow_config *cfg, struct cow_result *res, const struct cow_hists *hists,
            char *err, size_t err_len);

#endif
