/* One fully expanded workload: every parameter has its final, validated value.
 *
 * Produced by expand.c from a parsed config; read by the runner, the backends and the
 * reporters. The meaning and default of each field is documented once, in the key table
 * (params.c for these fields, each backend's own rows for its options), which also drives
 * parsing, the CSV/JSON columns and the generated documentation.
 *
 * Each enum is declared once, as a list of (value, config name) pairs: the enum and the
 * array of its names (params.c) are both made from the list, so they cannot disagree. */
#ifndef MMBENCH_WORKLOAD_H
#define MMBENCH_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#define WORKLOAD_ENUM_VALUE(value, name) value,
#define WORKLOAD_ENUM_NAME(value, name)  name,

#define PATTERN_LIST(X) X(PATTERN_SEQUENTIAL, "sequential") X(PATTERN_RANDOM, "random")
#define OP_LIST(X)      X(OP_READ, "read") X(OP_WRITE, "write") X(OP_READWRITE, "readwrite")
#define ACCESS_LIST(X)  X(ACCESS_COPY, "copy") X(ACCESS_CHECKSUM, "checksum")
#define SYNC_LIST(X)                                                                               \
    X(SYNC_NONE, "none")                                                                           \
    X(SYNC_MS_ASYNC, "ms_async")                                                                   \
    X(SYNC_MS_SYNC, "ms_sync")                                                                     \
    X(SYNC_FSYNC, "fsync")                                                                         \
    X(SYNC_FDATASYNC, "fdatasync")                                                                 \
    X(SYNC_FILE_RANGE, "sync_file_range")
#define SYNC_RANGE_LIST(X)  X(SYNC_RANGE_DIRTY, "dirty") X(SYNC_RANGE_ALL, "all")
#define CACHE_LIST(X)       X(CACHE_WARM, "warm") X(CACHE_COLD, "cold") X(CACHE_AS_IS, "as_is")
#define COLD_METHOD_LIST(X) X(COLD_FADVISE, "fadvise") X(COLD_DROP_CACHES, "drop_caches")
#define FADVISE_LIST(X)                                                                            \
    X(FADVISE_NORMAL, "normal")                                                                    \
    X(FADVISE_RANDOM, "random")                                                                    \
    X(FADVISE_SEQUENTIAL, "sequential")                                                            \
    X(FADVISE_NOREUSE, "noreuse")
#define SHARE_LIST(X) X(SHARE_FILE, "file") X(SHARE_PARTITION, "partition")
#define DISTRIBUTION_LIST(X)                                                                       \
    X(DIST_UNIFORM, "uniform") X(DIST_ZIPF, "zipf") X(DIST_HOTSET, "hotset")
#define LATENCY_LIST(X) X(LATENCY_ALL, "all") X(LATENCY_SAMPLE, "sample") X(LATENCY_OFF, "off")
#define WORKERS_LIST(X) X(WORKERS_THREADS, "threads") X(WORKERS_PROCESSES, "processes")
#define WARM_FILL_LIST(X)                                                                          \
    X(WARM_FILL_KEEP, "keep")                                                                      \
    X(WARM_FILL_READ, "read")                                                                      \
    X(WARM_FILL_FAULT, "fault")                                                                    \
    X(WARM_FILL_FAULT_RANDOM, "fault_random")                                                      \
    X(WARM_FILL_WRITE, "write")

enum pattern { PATTERN_LIST(WORKLOAD_ENUM_VALUE) };
enum op_mix { OP_LIST(WORKLOAD_ENUM_VALUE) };
enum access_mode { ACCESS_LIST(WORKLOAD_ENUM_VALUE) };
enum sync_mode { SYNC_LIST(WORKLOAD_ENUM_VALUE) };
enum sync_range { SYNC_RANGE_LIST(WORKLOAD_ENUM_VALUE) };
enum cache_state { CACHE_LIST(WORKLOAD_ENUM_VALUE) };
enum cold_method { COLD_METHOD_LIST(WORKLOAD_ENUM_VALUE) };
enum fadvise_hint { FADVISE_LIST(WORKLOAD_ENUM_VALUE) };
enum share { SHARE_LIST(WORKLOAD_ENUM_VALUE) };
enum distribution { DISTRIBUTION_LIST(WORKLOAD_ENUM_VALUE) };
enum latency_mode { LATENCY_LIST(WORKLOAD_ENUM_VALUE) };
enum workers_kind { WORKERS_LIST(WORKLOAD_ENUM_VALUE) };
enum warm_fill { WARM_FILL_LIST(WORKLOAD_ENUM_VALUE) };

/* The config names of the enums' values, indexed by value (params.c). */
extern const char *const pattern_names[];
extern const char *const op_names[];
extern const char *const access_names[];
extern const char *const sync_names[];
extern const char *const sync_range_names[];
extern const char *const cache_names[];
extern const char *const cold_method_names[];
extern const char *const fadvise_names[];
extern const char *const share_names[];
extern const char *const distribution_names[];
extern const char *const latency_names[];
extern const char *const workers_names[];
extern const char *const warm_fill_names[];

#define WORKLOAD_NAME_MAX 256

/* Options of the parts that bring keys of their own (a backend: mmap's map, populate,
 * ...): one slot each, in registry order, that the part casts to its own options struct
 * (checked at compile time to fit). */
#define WORKLOAD_OPTION_SLOTS  16 /* the backends', then the kinds' (kinds/kind.h) */
#define WORKLOAD_BACKEND_SLOTS 8  /* slots 0..7: backends; from 8: kinds */
#define WORKLOAD_OPTION_WORDS  6

/* Kernel settings of a workload's phases (src/run/settings.h applies them): each value as
 * the config wrote it (a number becomes its decimal text), NULL to leave the kernel's
 * value ("unset"). The field names follow the keys; the kernel checks the values. */
struct workload_settings {
    const char *read_ahead_kb;             /* KiB of the disk behind dir */
    const char *thp;                       /* "always", "madvise", "never" */
    const char *thp_defrag;                /* a choice of THP_DIR/defrag */
    const char *thp_shmem;                 /* a choice of THP_DIR/shmem_enabled */
    const char *fault_around_bytes;        /* bytes (debugfs) */
    const char *lru_gen;                   /* "y", "n" or a capability mask */
    const char *dirty_ratio;               /* percent of available memory */
    const char *dirty_bytes;               /* bytes */
    const char *dirty_background_ratio;    /* percent of available memory */
    const char *dirty_background_bytes;    /* bytes */
    const char *dirty_expire_centisecs;    /* centiseconds */
    const char *dirty_writeback_centisecs; /* centiseconds */
    const char *sysctl; /* the "sysctl" object, "vm.swappiness=10+thp_64kB=always" sorted by
                           key; NULL when empty */
};

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
    int kind;              /* index in the kinds registry (kinds/kind.h): what is measured */
    int baseline;          /* registry index of the backend the others are compared with */

    enum cache_state cache;
    enum cold_method cold_method;
    uint64_t cache_limit_bytes; /* memory cgroup limit for the phase; 0 = none */
    enum warm_fill warm_fill;   /* how cache warm fills the page cache */

    enum fadvise_hint fadvise; /* posix_fadvise() of descriptor backends */
    bool direct;               /* O_DIRECT for descriptor backends */

    uint32_t threads;          /* workers */
    enum workers_kind workers; /* threads of mmbench, or processes of their own */
    enum share share;
    enum distribution distribution;
    double zipf_theta;
    double hotset_fraction;        /* share of the file that is hot, 0..1 */
    double hotset_access_fraction; /* share of accesses that go to it, 0..1 */
    const char *pin;               /* NULL = no pinning, "all" = round robin, or a CPU list */

    enum latency_mode latency;
    uint32_t latency_sample_every; /* with latency "sample": time every Nth operation */
    uint64_t timeline_interval_ns; /* time series of each phase at this interval; 0 = none */
    bool profile;                  /* an extra, profiled round of every backend */
    uint32_t profile_frequency_hz; /* its stack samples per second of on-CPU time */

    struct workload_settings settings; /* kernel settings for its phases */

    /* Keys owned by a backend, in its slot (see WORKLOAD_OPTION_SLOTS). */
    uint64_t options[WORKLOAD_OPTION_SLOTS][WORKLOAD_OPTION_WORDS];
};

/* The options of the part in slot (its registry index). */
static inline const void *workload_options(const struct workload *w, unsigned slot)
{
    return w->options[slot];
}

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
