/* A process's and the machine's memory, as the kernel reports it: /proc/PID/smaps_rollup
 * (the whole process), /proc/PID/smaps (one mapping), VmPTE from /proc/PID/status,
 * /proc/meminfo, the page-cache residency of a file range (mincore), its folios
 * (pagemap and kpageflags, root only) and its dirty pages (cachestat(2), Linux 6.5+). Reading
 * another process's files needs the same user (or root) and a dumpable process. None of this is for
 * timed loops: each call opens and parses a file. */
#ifndef MMBENCH_PROCMEM_H
#define MMBENCH_PROCMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Fields of smaps or smaps_rollup (the kernel counts kB; these are bytes). */
struct procmem_usage {
    uint64_t size_bytes;          /* the mapping's virtual size; 0 for a whole process */
    uint64_t rss_bytes;           /* resident */
    uint64_t pss_bytes;           /* proportional: each page divided by its mappers */
    uint64_t shared_clean_bytes;  /* resident pages mapped by other processes too */
    uint64_t shared_dirty_bytes;  /* ... that are dirty */
    uint64_t private_clean_bytes; /* resident pages mapped by this process only */
    uint64_t private_dirty_bytes; /* ... that are dirty (a copy-on-write copy is one) */
    uint64_t anonymous_bytes;     /* pages not backed by a file (COW copies, heap) */
};

/* /proc/PID/smaps_rollup. pid 0 is the calling process. Returns 0 or -errno. */
int procmem_rollup(pid_t pid, struct procmem_usage *u, char *err, size_t err_len);

/* The mapping of /proc/PID/smaps that contains addr. Returns 0, -ENOENT when no mapping
 * contains it, or -errno. */
int procmem_vma(pid_t pid, uintptr_t addr, struct procmem_usage *u, char *err, size_t err_len);

/* VmPTE of /proc/PID/status: the process's page-table memory. Returns 0 or -errno. */
int procmem_pte_bytes(pid_t pid, uint64_t *pte_bytes, char *err, size_t err_len);

/* Fields of /proc/meminfo, in bytes. */
struct procmem_meminfo {
    uint64_t mem_total_bytes;     /* MemTotal */
    uint64_t mem_free_bytes;      /* MemFree: in no use at all (page cache is not free) */
    uint64_t mem_available_bytes; /* the kernel's estimate of what can be allocated */
    uint64_t cached_bytes;        /* page cache */
    uint64_t anon_pages_bytes;    /* anonymous memory mapped by processes */
    uint64_t dirty_bytes;         /* dirty page cache, waiting for writeback */
    uint64_t writeback_bytes;     /* being written back now */
};

int procmem_meminfo_read(struct procmem_meminfo *m, char *err, size_t err_len);

/* Pages of [offset, offset + length) of the file at fd that are in the page cache
 * (mincore on a read-only mapping made just to ask, in 1 GiB pieces, and unmapped at
 * once: mapping faults nothing in). offset must be page-aligned. Returns 0 or -errno. */
int procmem_resident_pages(int fd, uint64_t offset, uint64_t length, uint64_t *pages, char *err,
                           size_t err_len);

/* The page-cache folios behind a file range (large folios: Linux 6.x on ext4, xfs). */
struct procmem_folios {
    uint64_t resident_pages; /* pages of the range in the page cache: those inspected */
    uint64_t folios;         /* folios they belong to */
    uint64_t largest_bytes;  /* the largest of those folios */
};

/* Inspects the resident pages of [offset, offset + length) (page-aligned offset): maps
 * them read-only just to ask (touching only pages already cached, so the cache state does
 * not change), reads their page frames from /proc/self/pagemap and the frames' flags from
 * /proc/kpageflags. Needs CAP_SYS_ADMIN: returns -EPERM without it (the kernel hides page
 * frame numbers), else 0 or -errno. */
int procmem_folios(int fd, uint64_t offset, uint64_t length, struct procmem_folios *f, char *err,
                   size_t err_len);

/* cachestat(2) of a file range: pages, in the kernel's own counting. */
struct procmem_cachestat {
    uint64_t cached_pages;           /* in the page cache */
    uint64_t dirty_pages;            /* dirty, not yet written back */
    uint64_t writeback_pages;        /* being written back */
    uint64_t evicted_pages;          /* evicted (shadow entries) */
    uint64_t recently_evicted_pages; /* evicted recently (would refault as active) */
};

/* cachestat(2) of [offset, offset + length) (length 0: to the end of the file). Returns 0,
 * -ENOSYS where the kernel has no cachestat (before Linux 6.5), or -errno. */
int procmem_cachestat(int fd, uint64_t offset, uint64_t length, struct procmem_cachestat *cs,
                      char *err, size_t err_len);

#endif
