/* A process's and the machine's memory, as the kernel reports it: /proc/PID/smaps_rollup
 * (the whole process), /proc/PID/smaps (one mapping), VmPTE from /proc/PID/status,
 * /proc/meminfo and the page-cache residency of a file range (mincore); a range's folios
 * and its dirty pages are measure/folios.h's and measure/cachestat.h's. Reading another
 * process's files needs the same user (or root) and a dumpable process. None of this is
 * for timed loops: each call opens and parses a file. */
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

#endif
