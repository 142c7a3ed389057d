/* Folio census: how a file's cached pages are grouped into folios (1, 2, 4, ..., 512
 * pages), which decides how much one mapping fault maps and one store dirties. Linux
 * exposes no per-file folio sizes, so the census asks the page tables and the page flags:
 * it maps the file read-only, finds the resident pages with mincore(), maps just those
 * (MADV_POPULATE_READ under MADV_RANDOM, so no readahead starts and no page is read in),
 * reads their page frames from /proc/self/pagemap and groups them with the compound-page
 * flags of /proc/kpageflags. Needs CAP_SYS_ADMIN (root): without it pagemap hides the
 * frame numbers and kpageflags cannot be opened.
 *
 * The census leaves the file's residency as it found it (it only adds mappings, removed
 * before it returns); it marks the pages it maps as referenced, which can change which of
 * them reclaim picks first. */
#ifndef MMBENCH_FOLIOS_H
#define MMBENCH_FOLIOS_H

#include <stddef.h>
#include <stdint.h>

#define FOLIOS_ORDERS 11 /* folio sizes 2^0 .. 2^10 pages; x86 page cache stops at 2^9 */

struct folios_census {
    uint64_t page_bytes;            /* the base page size */
    uint64_t pages_total;           /* pages the file's size spans */
    uint64_t pages_resident;        /* pages in the page cache before the census (mincore) */
    uint64_t pages_resident_after;  /* the same after it; differs only if something else
                                       read or evicted pages meanwhile */
    uint64_t pages_unknown;         /* resident pages whose folio could not be told (evicted
                                       or split during the census) */
    uint64_t folios[FOLIOS_ORDERS]; /* folios of 2^order pages holding the file's pages */
    uint64_t bytes[FOLIOS_ORDERS];  /* the file's cached bytes held in folios of 2^order
                                       pages (sums to resident bytes less unknown) */
};

/* Takes the census of the file open (readable) at fd, size_bytes long. Returns 0, or a
 * negative errno with what failed, where and why in err: -EPERM without root. */
int folios_census(int fd, uint64_t size_bytes, struct folios_census *c, char *err, size_t err_len);

/* The same for the part [offset, offset + length) of the file (offset page-aligned); the
 * folios counted are those holding its pages, also where one reaches past its ends. */
int folios_census_range(int fd, uint64_t offset, uint64_t length, struct folios_census *c,
                        char *err, size_t err_len);

/* The largest folio order holding any of the file's pages, or -1 when none is cached. */
int folios_largest_order(const struct folios_census *c);

/* Writes the mix as text, "1p 12.0 KiB in 3, 512p 4.0 MiB in 2": per folio size (pages),
 * the file's bytes held in folios of that size and how many folios. Returns the length
 * snprintf would give. */
int folios_format(const struct folios_census *c, char *buf, size_t len);

#endif
