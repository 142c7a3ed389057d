/* One fully expanded workload: every parameter has its final, validated value.
 *
 * Produced by expand.c from a parsed config; read by the runner, the backends and the
 * reporters. The meaning and default of each field is documented once, in the parameter
 * table of params.c (which also drives parsing and the CSV/JSON columns). */
#ifndef MMBENCH_WORKLOAD_H
#define MMBENCH_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

enum pattern { PATTERN_SEQUENTIAL, PATTERN_RANDOM };
enum op_mix { OP_READ, OP_WRITE, OP_READWRITE };
enum access_mode { ACCESS_COPY, ACCESS_CHECKSUM };
enum sync_mode {
    SYNC_NONE,
    SYNC_MS_ASYNC,
    SYNC_MS_SYNC,
    SYNC_FSYNC,
    SYNC_FDATASYNC,
    SYNC_FILE_RANGE,
};
enum sync_range { SYNC_RANGE_DIRTY, SYNC_RANGE_ALL };
enum cache_state { CACHE_WARM, CACHE_COLD, CACHE_AS_IS };
enum cold_method { COLD_FADVISE, COLD_DROP_CACHES };
enum map_kind { MAP_KIND_SHARED, MAP_KIND_PRIVATE };
enum populate {
    POPULATE_NONE,
    POPULATE_MAP_POPULATE,
    POPULATE_MADV_READ,
    POPULATE_MADV_WRITE,
};
enum madvise_hint {
    MADVISE_NORMAL,
    MADVISE_RANDOM,
    MADVISE_SEQUENTIAL,
    MADVISE_WILLNEED,
    MADVISE_HUGEPAGE,
    MADVISE_NOHUGEPAGE,
};
enum fadvise_hint { FADVISE_NORMAL, FADVISE_RANDOM, FADVISE_SEQUENTIAL, FADVISE_NOREUSE };
enum share { SHARE_FILE, SHARE_PARTITION };
enum distribution { DIST_UNIFORM, DIST_ZIPF, DIST_HOTSET };
enum latency_mode { LATENCY_ALL, LATENCY_SAMPLE, LATENCY_OFF };

#define WORKLOAD_NAME_MAX 256

struct workload {
    char name[WORKLOAD_NAME_MAX]; /* "randread/block_size=16KiB" */
    const char *base_name;        /* name in the config, before sweep labels */
    const char *description;      /* may be NULL */

    enum pattern pattern;
    uint64_t file_size_bytes;
    uint64_t block_size_bytes; /* bytes moved per operation */
    uint64_t stride_bytes;     /* offsets are multiples of this */
    enum op_mix op;
    double write_fraction; /* share of writes, 0..1 (readwrite) */
    enum access_mode access;

    enum sync_mode sync;
    uint64_t sync_every_ops;   /* flush every N operations; 0 = not by count */
    uint64_t sync_every_bytes; /* flush every N bytes written; 0 = not by bytes */
    enum sync_range sync_range;
    bool end_sync_in_time; /* the final flush counts in the phase time */

    uint64_t duration_ns; /* 0 when ops is used */
    uint64_t ops;         /* total operations over all threads; 0 when duration */
    uint64_t min_time_ns; /* a repetition runs at least this long */
    uint32_t repetitions;
    uint32_t warmup; /* extra repetitions run first and discarded */
    uint64_t seed;
    const char *dir;       /* where the data file lives */
    const char *file;      /* an existing file or block device to read instead; NULL */
    uint32_t backend_mask; /* bit i = backend i of the registry */

    enum cache_state cache;
    enum cold_method cold_method;
    uint64_t cache_limit_bytes; /* memory cgroup limit for the phase; 0 = none */

    enum map_kind map;
    enum populate populate;
    enum madvise_hint madvise;
    enum fadvise_hint fadvise;
    uint64_t window_bytes; /* sliding mapping window; 0 = map the whole file */
    bool direct;           /* O_DIRECT for pread */

    uint32_t threads;
    enum share share;
    enum distribution distribution;
    double zipf_theta;
    double hotset_fraction;        /* share of the file that is hot, 0..1 */
    double hotset_access_fraction; /* share of accesses that go to it, 0..1 */
    const char *pin;               /* NULL = no pinning, "all" = round robin, or a CPU list */

    enum latency_mode latency;
    uint32_t latency_sample_every; /* with latency "sample": time every Nth operation */
};

static inline bool workload_reads(const struct workload *w)
{
    return w->op != OP_WRITE;
}

static inline bool workload_writes(const struct workload *w)
{
    return w->op != OP_READ;
}

/* The path the workload's storage is described by: the existing file it reads, or the
 * directory its data file goes to. */
static inline const char *workload_target(const struct workload *w)
{
    return w->file ? w->file : w->dir;
}

#endif
