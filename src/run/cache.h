/* Page-cache state: bringing a data file into the state a workload asks for, verifying
 * it with mincore(), and limiting the page cache with a memory cgroup.
 *
 *   warm:  every page cached, as warm_fill says: keep reads (1 MiB preads) what is not
 *          cached; read, fault and fault_random drop the file's pages first and read it
 *          again by 1 MiB preads, by faults through a mapping in order, or by those faults
 *          under MADV_RANDOM; write (mmbench's own files) drops them and writes the file's
 *          content again by 1 MiB pwrites, then fsyncs. The folios the pages end up in
 *          follow how they were filled.
 *   cold:  fsync (DONTNEED does not drop dirty pages), posix_fadvise(DONTNEED); with
 *          cold_method drop_caches also sync and write 1 to /proc/sys/vm/drop_caches.
 *          The caller must hold no mapping of the file (DONTNEED skips mapped pages).
 *   as_is: nothing.
 * Whatever was asked, the residency is measured before and after each phase. */
#ifndef MMBENCH_CACHE_H
#define MMBENCH_CACHE_H

#include "workload.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Percentage of the file's pages resident in the page cache. Maps the file read-only in
 * 1 GiB pieces just to ask, so its memory use is bounded. Returns 0 or -errno. */
int cache_residency(int fd, uint64_t size_bytes, double *resident_pct);

/* Brings the file open at fd into state (warm: filled as fill says). ours: mmbench
 * created the file, so it may fsync it first and rewrite it; for someone else's file only
 * its clean pages can be dropped. The caller must hold no mapping of the file. Returns 0
 * or -errno after logging. */
int cache_prepare(int fd, const char *path, uint64_t size_bytes, enum cache_state state,
                  enum cold_method method, enum warm_fill fill, bool ours);

/* Whether the cache_limit and cold_method of w can work here (root, a memory cgroup
 * controller). Returns 0 or -EPERM/-ENOTSUP with the reason and the remedy in err. */
int cache_check_support(const struct workload *w, char *err, size_t err_len);

/* The cgroup version cache_limit would use: "v2", "v1" or NULL if none. */
const char *cache_cgroup_version(void);

struct cache_cgroup;

/* Moves the process into a new memory cgroup limited to limit_bytes (memory.max on
 * cgroup v2, memory.limit_in_bytes on v1), named mmbench-<pid>-<start time>-<n> (see
 * owner.h): no name of a live process's cgroup, or a dead one's, is ever reused. Returns
 * 0 or -errno after logging; nothing is left behind on failure. */
int cache_cgroup_enter(uint64_t limit_bytes, struct cache_cgroup **out);

/* Moves the process back and removes the cgroup. Frees cg. */
void cache_cgroup_leave(struct cache_cgroup *cg);

/* Async-signal-safe version of cache_cgroup_leave for an exit on a second Ctrl-C. */
void cache_cgroup_emergency_leave(void);

/* Removes the memory cgroups that killed runs left where this process would make its own
 * (named by cache_cgroup_enter, owner no longer running, no process in them), saying so
 * on stderr; names those it cannot remove with the command that does. Old names
 * (mmbench-<pid>) are removed when no process has that pid. */
void cache_cgroup_reclaim(void);

#endif
