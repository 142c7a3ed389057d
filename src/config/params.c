#include "params.h"

#include "backend.h"
#include "kind.h"
#include "units.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(enum pattern) == sizeof(int), "enums are stored as int");

const char *const pattern_names[] = {PATTERN_LIST(WORKLOAD_ENUM_NAME) NULL};
const char *const op_names[] = {OP_LIST(WORKLOAD_ENUM_NAME) NULL};
const char *const access_names[] = {ACCESS_LIST(WORKLOAD_ENUM_NAME) NULL};
const char *const sync_names[] = {SYNC_LIST(WORKLOAD_ENUM_NAME) NULL};
const char *const sync_range_names[] = {SYNC_RANGE_LIST(WORKLOAD_ENUM_NAME) NULL};
const char *const cache_names[] = {CACHE_LIST(WORKLOAD_ENUM_NAME) NULL};
const char *const cold_method_names[] = {COLD_METHOD_LIST(WORKLOAD_ENUM_NAME) NULL};
const char *const fadvise_names[] = {FADVISE_LIST(WORKLOAD_ENUM_NAME) NULL};
const char *const share_names[] = {SHARE_LIST(WORKLOAD_ENUM_NAME) NULL};
const char *const distribution_names[] = {DISTRIBUTION_LIST(WORKLOAD_ENUM_NAME) NULL};
const char *const latency_names[] = {LATENCY_LIST(WORKLOAD_ENUM_NAME) NULL};
const char *const workers_names[] = {WORKERS_LIST(WORKLOAD_ENUM_NAME) NULL};
const char *const warm_fill_names[] = {WARM_FILL_LIST(WORKLOAD_ENUM_NAME) NULL};

#define GROUP_PATTERN "Access pattern"
#define GROUP_LENGTH  "Length and repetitions"
#define GROUP_FLUSH   "Flushing"
#define GROUP_CACHE   "Page cache"
#define GROUP_BACKEND "Backends"
#define GROUP_PLACE   "Placement and measurement"
#define GROUP_KERNEL  "Kernel settings"

/* clang-format off */
#define F(field) offsetof(struct workload, field)
#define SETTING(field) offsetof(struct workload, settings.field)
#define UNSET_OR(text) "`unset`, or " text
#define MAX_SIZE 9.2e18
/* clang-format on */

/* The core keys. Order matters only for output: it is the column order of runs.csv and
 * the order of the documentation within each group. */
static const struct param_def core_table[] = {
    {.name = "kind",
     .column = "kind",
     .type = PARAM_ENUM,
     .offset = F(kind),
     .enum_names = kind_names,
     .default_text = "io",
     .group = GROUP_PATTERN,
     .doc = "what the workload measures: `io` (the timed I/O loop on every backend), "
            "`footprint` (the memory of N processes holding the file), `cow` (copy-on-write "
            "faults of MAP_PRIVATE writes), `ipc` (messages between two processes through the "
            "file), `claim` (one classic claim about file mappings, tested); see "
            "docs/file-mappings.md"},
    {.name = "pattern",
     .column = "pattern",
     .type = PARAM_ENUM,
     .offset = F(pattern),
     .enum_names = pattern_names,
     .default_text = "random",
     .group = GROUP_PATTERN,
     .doc = "order of offsets: `sequential` advances by `stride` and wraps at the end of the "
            "file (or of the thread's partition); `random` draws multiples of `stride` from a "
            "seeded xoshiro256** stream"},
    {.name = "file_size",
     .column = "file_size_bytes",
     .type = PARAM_SIZE,
     .offset = F(file_size_bytes),
     .min = 8,
     .max = MAX_SIZE,
     .multiple_of = 8,
     .default_text = "256MiB",
     .group = GROUP_PATTERN,
     .doc = "size of the data file, at least `block_size`"},
    {.name = "block_size",
     .column = "block_size_bytes",
     .type = PARAM_SIZE,
     .offset = F(block_size_bytes),
     .min = 8,
     .max = 1 << 30,
     .multiple_of = 8,
     .default_text = "4KiB",
     .group = GROUP_PATTERN,
     .doc = "bytes moved per operation"},
    {.name = "stride",
     .column = "stride_bytes",
     .type = PARAM_SIZE,
     .offset = F(stride_bytes),
     .min = 8,
     .max = MAX_SIZE,
     .multiple_of = 8,
     .group = GROUP_PATTERN,
     .values = "size (default: `block_size`)",
     .doc = "offsets are multiples of it; `block_size: 8` with `stride: \"4KiB\"` touches one "
            "word per page"},
    {.name = "op",
     .column = "op",
     .type = PARAM_ENUM,
     .offset = F(op),
     .enum_names = op_names,
     .default_text = "read",
     .group = GROUP_PATTERN,
     .doc = "the operation mix (`readwrite`: see `write_fraction`)"},
    {.name = "write_fraction",
     .column = "write_fraction",
     .type = PARAM_FRACTION,
     .offset = F(write_fraction),
     .min = 0,
     .max = 1,
     .default_text = "0.5",
     .group = GROUP_PATTERN,
     .doc = "share of operations that write, for `op: readwrite`"},
    {.name = "access",
     .column = "access",
     .type = PARAM_ENUM,
     .offset = F(access),
     .enum_names = access_names,
     .default_text = "copy",
     .group = GROUP_PATTERN,
     .doc = "`copy` moves each block into or out of a user buffer with every backend (as fio "
            "does); `checksum` folds every byte read (in place in the mapping for mmap, from "
            "its buffer for the others)"},
    {.name = "threads",
     .column = "threads",
     .type = PARAM_COUNT32,
     .offset = F(threads),
     .min = 1,
     .max = 1024,
     .default_text = "1",
     .group = GROUP_PATTERN,
     .doc = "worker threads, started together behind one gate; each has its own offset stream"},
    {.name = "workers",
     .column = "workers",
     .type = PARAM_ENUM,
     .offset = F(workers),
     .enum_names = workers_names,
     .default_text = "threads",
     .group = GROUP_PATTERN,
     .doc = "`threads` of one process, or `processes`: each worker a process of its own that "
            "opens and maps the file itself (after fork, never a mapping inherited from "
            "mmbench), behind the same gate and deadline; each faults its own page tables"},
    {.name = "share",
     .column = "share",
     .type = PARAM_ENUM,
     .offset = F(share),
     .enum_names = share_names,
     .default_text = "file",
     .group = GROUP_PATTERN,
     .doc = "the threads roam the whole file, or each its own slice of it"},
    {.name = "distribution",
     .column = "distribution",
     .type = PARAM_ENUM,
     .offset = F(distribution),
     .enum_names = distribution_names,
     .default_text = "uniform",
     .group = GROUP_PATTERN,
     .doc = "how random offsets are drawn (`pattern: random` only)"},
    {.name = "zipf_theta",
     .column = "zipf_theta",
     .type = PARAM_REAL,
     .offset = F(zipf_theta),
     .min = 0.01,
     .max = 10,
     .default_text = "0.99",
     .group = GROUP_PATTERN,
     .doc = "the zipf exponent; higher is more skewed"},
    {.name = "hotset_fraction",
     .column = "hotset_fraction",
     .type = PARAM_FRACTION,
     .offset = F(hotset_fraction),
     .min = 0,
     .max = 1,
     .default_text = "0.1",
     .group = GROUP_PATTERN,
     .doc = "share of the file that is hot (its first part); above 0 with `distribution: "
            "hotset`"},
    {.name = "hotset_access_fraction",
     .column = "hotset_access_fraction",
     .type = PARAM_FRACTION,
     .offset = F(hotset_access_fraction),
     .min = 0,
     .max = 1,
     .default_text = "0.9",
     .group = GROUP_PATTERN,
     .doc = "share of accesses that go to the hot part; above 0 with `distribution: hotset`"},
    {.name = "seed",
     .column = "seed",
     .type = PARAM_COUNT,
     .offset = F(seed),
     .min = 0,
     .max = 9007199254740991.0,
     .default_text = "1",
     .group = GROUP_PATTERN,
     .values = "0..2^53-1",
     .doc = "seed of the offset streams (thread `t` uses `seed + t`); the same for every "
            "backend and repetition"},

    {.name = "duration",
     .column = "duration_ns",
     .type = PARAM_DURATION,
     .offset = F(duration_ns),
     .min = 1,
     .max = MAX_SIZE,
     .default_text = "1s",
     .group = GROUP_LENGTH,
     .replaces = "ops",
     .doc = "length of each repetition, above zero (or give `ops`: an object must not give "
            "both, and a workload's `ops` replaces the defaults' `duration` and the other way "
            "round)"},
    {.name = "ops",
     .column = "ops_per_repetition",
     .type = PARAM_COUNT,
     .offset = F(ops),
     .min = 1,
     .max = MAX_SIZE,
     .group = GROUP_LENGTH,
     .replaces = "duration",
     .doc = "operations per repetition over all threads, instead of `duration`"},
    {.name = "min_time",
     .column = "min_time_ns",
     .type = PARAM_DURATION,
     .offset = F(min_time_ns),
     .min = 0,
     .max = MAX_SIZE,
     .default_text = "0s",
     .group = GROUP_LENGTH,
     .doc = "a repetition runs at least this long, past `ops` if needed"},
    {.name = "repetitions",
     .column = "repetitions",
     .type = PARAM_COUNT32,
     .offset = F(repetitions),
     .min = 1,
     .max = 1000,
     .default_text = "3",
     .group = GROUP_LENGTH,
     .doc = "measured repetitions per backend"},
    {.name = "warmup",
     .column = "warmup_repetitions",
     .type = PARAM_COUNT32,
     .offset = F(warmup),
     .min = 0,
     .max = 100,
     .default_text = "1",
     .group = GROUP_LENGTH,
     .doc = "repetitions per backend run first and discarded"},

    {.name = "sync",
     .column = "sync",
     .type = PARAM_ENUM,
     .offset = F(sync),
     .enum_names = sync_names,
     .default_text = "none",
     .group = GROUP_FLUSH,
     .doc = "the flush call (see FLUSH MODES in mmbench(1) and the table in README.md for "
            "what each backend calls); when it is not `none` there is always a final flush"},
    {.name = "sync_every",
     .column = "sync_every",
     .type = PARAM_SYNC_EVERY,
     .min = 1,
     .max = MAX_SIZE,
     .default_text = "end",
     .group = GROUP_FLUSH,
     .values = "operations, a size such as `\"1MiB\"` written, or `\"end\"`",
     .doc = "the flush period: a number is operations, a string is a size written (so "
            "`\"64\"` is 64 bytes, not 64 operations), and `end` flushes only at the end"},
    {.name = "sync_range",
     .column = "sync_range",
     .type = PARAM_ENUM,
     .offset = F(sync_range),
     .enum_names = sync_range_names,
     .default_text = "dirty",
     .group = GROUP_FLUSH,
     .doc = "flush only the page-aligned range written since the last flush, or the whole "
            "file (what fio does with its mmap engine)"},
    {.name = "end_sync_in_time",
     .column = "end_sync_in_time",
     .type = PARAM_BOOL,
     .offset = F(end_sync_in_time),
     .default_text = "true",
     .group = GROUP_FLUSH,
     .doc = "the final flush counts in the phase time and the throughput"},

    {.name = "cache",
     .column = "cache",
     .type = PARAM_ENUM,
     .offset = F(cache),
     .enum_names = cache_names,
     .default_text = "warm",
     .group = GROUP_CACHE,
     .doc = "the page-cache state before each phase, verified with mincore(2)"},
    {.name = "cold_method",
     .column = "cold_method",
     .type = PARAM_ENUM,
     .offset = F(cold_method),
     .enum_names = cold_method_names,
     .default_text = "fadvise",
     .group = GROUP_CACHE,
     .doc = "how `cold` is reached: `POSIX_FADV_DONTNEED` on the file, or also "
            "/proc/sys/vm/drop_caches (root), which drops every cache on the machine"},
    {.name = "cache_limit",
     .column = "cache_limit_bytes",
     .type = PARAM_SIZE,
     .offset = F(cache_limit_bytes),
     .min = 0,
     .max = MAX_SIZE,
     .min_nonzero = 32.0 * 1048576,
     .default_text = "0",
     .group = GROUP_CACHE,
     .doc = "run each phase in a memory cgroup with this limit (root; 0 = no limit, else at "
            "least 32MiB, since the cgroup also holds mmbench's own memory)"},
    {.name = "warm_fill",
     .column = "warm_fill",
     .type = PARAM_ENUM,
     .offset = F(warm_fill),
     .enum_names = warm_fill_names,
     .default_text = "keep",
     .group = GROUP_CACHE,
     .doc = "how `cache: warm` fills the cache, which decides the folios the file's pages sit "
            "in: `keep` reads (1 MiB read() calls) only what is not cached, so cached pages keep "
            "their folios (after creation, its writes'); the others drop the file's cache first, "
            "then `read` reads it by 1 MiB read() calls, `fault` touches every page through a "
            "shared mapping in order (readahead sizes the folios), `fault_random` does so under "
            "MADV_RANDOM (one page per fault, single-page folios), and `write` rewrites the "
            "data file's content by 1 MiB write() calls, as its creation did, and writes it back "
            "(not with `file`)"},

    {.name = "backends",
     .column = "backends",
     .type = PARAM_BACKENDS,
     .offset = F(backend_mask),
     .group = GROUP_BACKEND,
     .values = "list of backend names (mmbench --list-backends)",
     .doc = "the backends to compare, each at most once (a single name may be a string); not "
            "a sweep; default: every backend that can run here (`mmbench --list-backends` says "
            "which cannot, and why)"},
    {.name = "baseline",
     .column = "baseline",
     .type = PARAM_BACKEND,
     .offset = F(baseline),
     .default_text = "pread",
     .group = GROUP_BACKEND,
     .doc = "the backend the others are compared with (ratios and verdicts); it must be one of "
            "`backends`"},
    {.name = "fadvise",
     .column = "fadvise",
     .type = PARAM_ENUM,
     .offset = F(fadvise),
     .enum_names = fadvise_names,
     .default_text = "normal",
     .group = GROUP_BACKEND,
     .needs_caps = BACKEND_CAP_DESCRIPTOR,
     .doc = "the posix_fadvise(2) hint of the backends that read through a descriptor (all but "
            "mmap)"},
    {.name = "direct",
     .column = "direct",
     .type = PARAM_BOOL,
     .offset = F(direct),
     .default_text = "false",
     .group = GROUP_BACKEND,
     .needs_caps = BACKEND_CAP_DESCRIPTOR,
     .doc = "open with O_DIRECT, for the backends that read through a descriptor (all but "
            "mmap); `block_size` and `stride` must be multiples of 4 KiB, and tmpfs refuses it"},

    {.name = "dir",
     .column = "dir",
     .type = PARAM_STRING,
     .offset = F(dir),
     .default_text = ".",
     .group = GROUP_PLACE,
     .values = "path",
     .doc = "the directory for the data file; mmbench makes `mmbench-XXXXXX/` inside it"},
    {.name = "file",
     .column = "file",
     .type = PARAM_STRING,
     .offset = F(file),
     .group = GROUP_PLACE,
     .values = "path",
     .doc = "read this existing file or block device instead of a data file mmbench creates: "
            "`op` must be `read` and the command line must say `--read-existing`; mmbench never "
            "writes to it and never fsyncs it, drops only its clean pages for `cache: cold`, "
            "and `file_size` becomes its size"},
    {.name = "pin",
     .column = "pin",
     .type = PARAM_PIN,
     .offset = F(pin),
     .default_text = "false",
     .group = GROUP_PLACE,
     .values = "`false`, `true`, or a CPU list such as `\"0-3,8\"`",
     .doc = "pin worker `i` to the `i`-th CPU of those allowed (`true`) or of the list (CPUs "
            "below 1024, available to the process)"},
    {.name = "latency",
     .column = "latency",
     .type = PARAM_ENUM,
     .offset = F(latency),
     .enum_names = latency_names,
     .default_text = "sample",
     .group = GROUP_PLACE,
     .doc = "time every operation, one in `latency_sample_every`, or none; the throughput "
            "always comes from the whole phase (see bench/overhead for what each costs)"},
    {.name = "latency_sample_every",
     .column = "latency_sample_every",
     .type = PARAM_COUNT32,
     .offset = F(latency_sample_every),
     .min = 1,
     .max = 1e9,
     .default_text = "100",
     .group = GROUP_PLACE,
     .doc = "with `latency: sample`, time one operation in N"},
    {.name = "timeline_interval",
     .column = "timeline_interval_ns",
     .type = PARAM_DURATION,
     .offset = F(timeline_interval_ns),
     .min = 0,
     .max = MAX_SIZE,
     .min_nonzero = 10e6,
     .default_text = "100ms",
     .group = GROUP_PLACE,
     .doc = "record each phase as a time series at this interval (timeline.csv; 0 = none, else "
            "at least 10ms): operations, faults, device traffic, TLB shootdowns, the file's "
            "resident and dirty share"},
    {.name = "profile",
     .column = "profile",
     .type = PARAM_BOOL,
     .offset = F(profile),
     .default_text = "false",
     .group = GROUP_PLACE,
     .doc = "after the measured rounds, run one more round of every backend with its workers' "
            "kernel and user stacks sampled (perf cpu-clock) and their off-CPU waits "
            "recorded: the top symbols, a folded-stack file for flame graphs, and what the "
            "profiler cost; it needs root or kernel.perf_event_paranoid <= 1 (the `--profile` "
            "option sets it everywhere)"},
    {.name = "profile_frequency",
     .column = "profile_frequency_hz",
     .type = PARAM_COUNT32,
     .offset = F(profile_frequency_hz),
     .min = 10,
     .max = 10000,
     .default_text = "999",
     .group = GROUP_PLACE,
     .doc = "with `profile`: stack samples per second of each worker's on-CPU time"},

    {.name = "read_ahead_kb",
     .column = "read_ahead_kb",
     .type = PARAM_KERNEL_SETTING,
     .offset = SETTING(read_ahead_kb),
     .default_text = "unset",
     .group = GROUP_KERNEL,
     .values = UNSET_OR("KiB, a multiple of the page size"),
     .doc = "readahead of the block device behind `dir` (/sys/block/DISK/queue/read_ahead_kb; a "
            "partition's disk, a loop device itself): how much a cold read or mapping fault "
            "reads; refused on tmpfs"},
    {.name = "thp",
     .column = "thp",
     .type = PARAM_KERNEL_SETTING,
     .offset = SETTING(thp),
     .default_text = "unset",
     .group = GROUP_KERNEL,
     .values = UNSET_OR("`always`, `madvise`, `never`"),
     .doc = "transparent huge pages (/sys/kernel/mm/transparent_hugepage/enabled)"},
    {.name = "thp_defrag",
     .column = "thp_defrag",
     .type = PARAM_KERNEL_SETTING,
     .offset = SETTING(thp_defrag),
     .default_text = "unset",
     .group = GROUP_KERNEL,
     .values = UNSET_OR("a choice of transparent_hugepage/defrag"),
     .doc = "how hard a huge page allocation compacts memory"},
    {.name = "thp_shmem",
     .column = "thp_shmem",
     .type = PARAM_KERNEL_SETTING,
     .offset = SETTING(thp_shmem),
     .default_text = "unset",
     .group = GROUP_KERNEL,
     .values = UNSET_OR("a choice of transparent_hugepage/shmem_enabled"),
     .doc = "huge pages for shmem and tmpfs, where the kernel has the setting: the folios of a "
            "data file in a tmpfs `dir`"},
    {.name = "fault_around_bytes",
     .column = "fault_around_bytes",
     .type = PARAM_KERNEL_SETTING,
     .offset = SETTING(fault_around_bytes),
     .default_text = "unset",
     .group = GROUP_KERNEL,
     .values = UNSET_OR("bytes, a power of two from the page size to 512 pages"),
     .doc = "cached pages a read fault maps around itself (debugfs, mounted for each access and "
            "unmounted after when it was not mounted; refused where kernel lockdown restricts "
            "debugfs)"},
    {.name = "lru_gen",
     .column = "lru_gen",
     .type = PARAM_KERNEL_SETTING,
     .offset = SETTING(lru_gen),
     .default_text = "unset",
     .group = GROUP_KERNEL,
     .values = UNSET_OR("`y`, `n` or a capability mask such as `0x0007`"),
     .doc = "the multi-gen LRU (MGLRU, /sys/kernel/mm/lru_gen/enabled): which pages reclaim "
            "takes; refused on kernels without it"},
    {.name = "vm.dirty_ratio",
     .column = "vm.dirty_ratio",
     .type = PARAM_KERNEL_SETTING,
     .offset = SETTING(dirty_ratio),
     .default_text = "unset",
     .group = GROUP_KERNEL,
     .values = UNSET_OR("percent of available memory"),
     .doc = "dirty memory at which writers are throttled into writeback; not with "
            "`vm.dirty_bytes` (writing one zeroes the other; both come back after)"},
    {.name = "vm.dirty_bytes",
     .column = "vm.dirty_bytes",
     .type = PARAM_KERNEL_SETTING,
     .offset = SETTING(dirty_bytes),
     .default_text = "unset",
     .group = GROUP_KERNEL,
     .values = UNSET_OR("bytes, at least two pages"),
     .doc = "the same limit in bytes"},
    {.name = "vm.dirty_background_ratio",
     .column = "vm.dirty_background_ratio",
     .type = PARAM_KERNEL_SETTING,
     .offset = SETTING(dirty_background_ratio),
     .default_text = "unset",
     .group = GROUP_KERNEL,
     .values = UNSET_OR("percent of available memory"),
     .doc = "dirty memory at which the flusher threads start writeback; not with "
            "`vm.dirty_background_bytes`"},
    {.name = "vm.dirty_background_bytes",
     .column = "vm.dirty_background_bytes",
     .type = PARAM_KERNEL_SETTING,
     .offset = SETTING(dirty_background_bytes),
     .default_text = "unset",
     .group = GROUP_KERNEL,
     .values = UNSET_OR("bytes"),
     .doc = "the same threshold in bytes"},
    {.name = "vm.dirty_expire_centisecs",
     .column = "vm.dirty_expire_centisecs",
     .type = PARAM_KERNEL_SETTING,
     .offset = SETTING(dirty_expire_centisecs),
     .default_text = "unset",
     .group = GROUP_KERNEL,
     .values = UNSET_OR("centiseconds"),
     .doc = "age at which dirty data is written back"},
    {.name = "vm.dirty_writeback_centisecs",
     .column = "vm.dirty_writeback_centisecs",
     .type = PARAM_KERNEL_SETTING,
     .offset = SETTING(dirty_writeback_centisecs),
     .default_text = "unset",
     .group = GROUP_KERNEL,
     .values = UNSET_OR("centiseconds"),
     .doc = "how often the flusher threads wake"},
    {.name = "sysctl",
     .column = "sysctl",
     .type = PARAM_KERNEL_SETTINGS,
     .offset = SETTING(sysctl),
     .default_text = "{}",
     .group = GROUP_KERNEL,
     .values = "an object of settings: `{\"vm.swappiness\": 10, \"thp_64kB\": \"always\"}`",
     .doc = "the settings whose names depend on the kernel: any /proc/sys/vm setting "
            "(`vm.NAME`, checked against /proc/sys/vm) and the per-size huge page settings "
            "(`thp_NkB` and `thp_shmem_NkB` for transparent_hugepage/hugepages-NkB/enabled and "
            "shmem_enabled); each value a string or a whole number; a list of objects sweeps; "
            "the keys of their own (`thp`, `vm.dirty_ratio`, ...) do not go here"},
};

const struct structure_key structure_keys[] = {
    {"$schema", STRUCTURE_CONFIG, "string", false,
     "the schema of this file, `\"./schema.json\"` in configs/"},
    {"name", STRUCTURE_CONFIG, "string", false,
     "the config's name, used in the results directory name (default: the file name without "
     "`.json`); at most 100 characters, without `/`, `\"` or control characters"},
    {"description", STRUCTURE_CONFIG, "string", false, "what this config measures"},
    {"defaults", STRUCTURE_CONFIG, "object", false,
     "keys every workload inherits (and may override)"},
    {"workloads", STRUCTURE_CONFIG, "array", true, "the workloads, run in order"},
    {"name", STRUCTURE_WORKLOAD, "string", true,
     "the workload's name, unique in the config; sweep points are named after it and the "
     "values that vary (`randread/block_size=16KiB`); at most 100 characters, without `/`, "
     "`\"` or control characters"},
    {"description", STRUCTURE_WORKLOAD, "string", false, "what this workload measures"},
};

const size_t structure_key_count = sizeof(structure_keys) / sizeof(structure_keys[0]);

bool structure_key_known(const char *name, enum structure_place place)
{
    for (size_t i = 0; i < structure_key_count; i++)
        if (structure_keys[i].place == place && strcmp(structure_keys[i].name, name) == 0)
            return true;
    return false;
}

/* Every key: the core rows and each backend's, with their owner and slot. Built once,
 * before the first lookup (the registry is static, so the result never changes). */
struct param_entry {
    const struct param_def *def;
    const char *owner; /* NULL: core */
    int slot;          /* -1: core */
};

static struct param_entry *entries;
static size_t n_entries;
static pthread_once_t entries_once = PTHREAD_ONCE_INIT;

static void build_entries(void)
{
    size_t n = sizeof(core_table) / sizeof(core_table[0]);
    for (size_t b = 0; b < backend_count(); b++)
        n += backend_get(b)->n_params;
    for (size_t k = 0; k < kind_count(); k++)
        n += kind_get(k)->n_params;
    entries = calloc(n, sizeof(*entries));
    if (!entries)
        abort(); /* a few hundred bytes at start-up */
    for (size_t i = 0; i < sizeof(core_table) / sizeof(core_table[0]); i++)
        entries[n_entries++] = (struct param_entry){&core_table[i], NULL, -1};
    for (size_t b = 0; b < backend_count(); b++) {
        const struct backend_ops *ops = backend_get(b);
        for (size_t i = 0; i < ops->n_params; i++)
            entries[n_entries++] = (struct param_entry){&ops->params[i], ops->name, (int)b};
    }
    for (size_t k = 0; k < kind_count(); k++) {
        const struct kind_ops *ops = kind_get(k);
        for (size_t i = 0; i < ops->n_params; i++)
            entries[n_entries++] =
                (struct param_entry){&ops->params[i], ops->name, KIND_FIRST_SLOT + (int)k};
    }
}

static const struct param_entry *entry_at(size_t index)
{
    pthread_once(&entries_once, build_entries);
    return index < n_entries ? &entries[index] : NULL;
}

static const struct param_entry *entry_of(const struct param_def *d)
{
    for (size_t i = 0; entry_at(i); i++)
        if (entries[i].def == d)
            return &entries[i];
    return NULL;
}

size_t params_count(void)
{
    pthread_once(&entries_once, build_entries);
    return n_entries;
}

const struct param_def *params_at(size_t index)
{
    const struct param_entry *e = entry_at(index);
    return e ? e->def : NULL;
}

const char *param_owner(const struct param_def *d)
{
    const struct param_entry *e = entry_of(d);
    return e ? e->owner : NULL;
}

int param_slot(const struct param_def *d)
{
    const struct param_entry *e = entry_of(d);
    return e ? e->slot : -1;
}

/* Where d's value lives in w. */
static char *field_of(const struct param_def *d, struct workload *w)
{
    int slot = param_slot(d);
    return slot < 0 ? (char *)w + d->offset : (char *)w->options[slot] + d->offset;
}

static const char *cfield_of(const struct param_def *d, const struct workload *w)
{
    return field_of(d, (struct workload *)w);
}

const struct param_def *param_find(const char *name)
{
    for (size_t i = 0; i < params_count(); i++) {
        if (strcmp(entries[i].def->name, name) == 0)
            return entries[i].def;
    }
    return NULL;
}

/* Edit distance counting a swap of adjacent letters as one edit ("nmae" -> "name"):
 * the optimal string alignment distance. Names are short. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    size_t d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *param_suggest(const char *name, const char *const *extra)
{
    const char *best = NULL;
    size_t best_distance = 4;
    for (size_t i = 0; i < params_count(); i++) {
        size_t d = edit_distance(name, params_at(i)->name);
        if (d < best_distance) {
            best_distance = d;
            best = params_at(i)->name;
        }
    }
    for (size_t i = 0; extra && extra[i]; i++) {
        size_t d = edit_distance(name, extra[i]);
        if (d < best_distance) {
            best_distance = d;
            best = extra[i];
        }
    }
    return best;
}

const char *param_enum_name(const struct param_def *d, int e)
{
    return d->enum_names[e];
}

/* A bound of d as a user writes it: "8 bytes" -> "8B", "4KiB", "100ms", "64". */
static void format_bound(const struct param_def *d, double bound, char *buf, size_t len)
{
    if (d->type == PARAM_SIZE)
        units_format_size((uint64_t)bound, buf, len);
    else if (d->type == PARAM_DURATION)
        units_format_duration((uint64_t)bound, buf, len);
    else
        snprintf(buf, len, "%.15g", bound);
}

static int check_range(const struct param_def *d, double value, const char **why)
{
    static char text[96];
    char bound[32];
    if (d->type == PARAM_FRACTION && (value < d->min || value > d->max)) {
        *why = "must be between 0 and 1";
        return -EINVAL;
    }
    if (value < d->min) {
        format_bound(d, d->min, bound, sizeof(bound));
        snprintf(text, sizeof(text), "too small: must be at least %s", bound);
        *why = text;
        return -EINVAL;
    }
    if (value > d->max) {
        format_bound(d, d->max, bound, sizeof(bound));
        snprintf(text, sizeof(text), "too large: must be at most %s", bound);
        *why = text;
        return -EINVAL;
    }
    if (d->multiple_of && fmod(value, (double)d->multiple_of) != 0) {
        snprintf(text, sizeof(text), "must be a multiple of %llu bytes",
                 (unsigned long long)d->multiple_of);
        *why = d->multiple_of == 8 ? "must be a multiple of 8 bytes" : text;
        return -EINVAL;
    }
    if (value != 0 && value < d->min_nonzero) {
        char least[32];
        if (d->type == PARAM_DURATION)
            units_format_duration((uint64_t)d->min_nonzero, least, sizeof(least));
        else
            units_format_size((uint64_t)d->min_nonzero, least, sizeof(least));
        snprintf(text, sizeof(text), "0 (none) or at least %s", least);
        *why = text;
        return -EINVAL;
    }
    return 0;
}

int param_parse_cpulist(const char *text, uint64_t mask[16], const char **why)
{
    memset(mask, 0, 16 * sizeof(uint64_t));
    const char *p = text;
    if (*p == '\0') {
        *why = "empty CPU list";
        return -EINVAL;
    }
    while (*p) {
        char *end;
        if (*p < '0' || *p > '9') {
            *why = "CPU list must look like \"0-3,8\"";
            return -EINVAL;
        }
        unsigned long lo = strtoul(p, &end, 10), hi = lo;
        p = end;
        if (*p == '-') {
            p++;
            if (*p < '0' || *p > '9') {
                *why = "CPU list must look like \"0-3,8\"";
                return -EINVAL;
            }
            hi = strtoul(p, &end, 10);
            p = end;
        }
        if (hi < lo || hi >= 1024) {
            *why = "CPU numbers must be below 1024, ranges low-high";
            return -EINVAL;
        }
        for (unsigned long c = lo; c <= hi; c++)
            mask[c / 64] |= 1ULL << (c % 64);
        if (*p == ',' && p[1] != '\0')
            p++;
        else if (*p) {
            *why = "CPU list must look like \"0-3,8\"";
            return -EINVAL;
        }
    }
    return 0;
}

/* A kernel setting's value as text: printable, no space at either end, and short enough
 * for a results column. In an object's "key=value+key=value" text every pair needs a key
 * and a value, and neither may hold '=' or '+' (they join the pairs). What the kernel
 * accepts is checked later, against the kernel (src/run/settings.c). */
static int parse_setting_text(const char *text, bool object, struct param_value *v,
                              const char **why)
{
    size_t len = strlen(text);
    if (len == 0 || text[0] == ' ' || text[len - 1] == ' ') {
        *why = "a kernel setting's value must not be empty or begin or end with a space";
        return -EINVAL;
    }
    if (len > PARAM_SETTINGS_TEXT_MAX) {
        *why = "too long for a kernel setting (at most 240 characters)";
        return -EINVAL;
    }
    for (const char *p = text; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f || (unsigned char)*p >= 0x80) {
            *why = "a kernel setting holds printable ASCII only";
            return -EINVAL;
        }
        if (!object && (*p == '+' || *p == '=')) {
            *why = "a kernel setting's value must not hold '=' or '+'";
            return -EINVAL;
        }
    }
    for (const char *pair = text; object && *pair;) {
        size_t pair_len = strcspn(pair, "+");
        const char *eq = memchr(pair, '=', pair_len);
        if (!eq || eq == pair || eq + 1 == pair + pair_len ||
            memchr(eq + 1, '=', (size_t)(pair + pair_len - eq - 1))) {
            *why = "expected key=value pairs joined by '+'";
            return -EINVAL;
        }
        pair += pair_len + (pair[pair_len] == '+');
    }
    v->s = text;
    return 0;
}

int param_check_setting(const char *text, const char **why)
{
    struct param_value v;
    return parse_setting_text(text, false, &v, why);
}

int param_parse_text(const struct param_def *d, const char *text, struct param_value *v,
                     const char **why)
{
    memset(v, 0, sizeof(*v));
    switch (d->type) {
    case PARAM_STRING:
        if (text[0] == '\0') {
            *why = "must not be empty";
            return -EINVAL;
        }
        v->s = text;
        return 0;
    case PARAM_SIZE: {
        int ret = units_parse_size(text, &v->u, why);
        return ret < 0 ? ret : check_range(d, (double)v->u, why);
    }
    case PARAM_DURATION: {
        int ret = units_parse_duration(text, &v->u, why);
        return ret < 0 ? ret : check_range(d, (double)v->u, why);
    }
    case PARAM_COUNT:
    case PARAM_COUNT32:
    case PARAM_FRACTION:
    case PARAM_REAL: {
        /* Plain decimal only (strtod would also take hex, infinities and spaces). */
        char *end;
        bool plain = text[strspn(text, "0123456789.eE+-")] == '\0' && text[0] != '\0';
        double number = plain ? strtod(text, &end) : 0;
        if (!plain || *end != '\0') {
            *why = "expected a number";
            return -EINVAL;
        }
        return param_parse_number(d, number, v, why);
    }
    case PARAM_ENUM:
        for (int i = 0; d->enum_names[i]; i++) {
            if (strcmp(d->enum_names[i], text) == 0) {
                v->e = i;
                return 0;
            }
        }
        *why = "unknown value (see the list of accepted values with --list-keys)";
        return -EINVAL;
    case PARAM_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0)
            return param_parse_bool(d, text[0] == 't', v, why);
        *why = "expected true or false";
        return -EINVAL;
    case PARAM_SYNC_EVERY:
        if (strcmp(text, "end") == 0)
            return 0; /* neither operations nor bytes: only the final flush */
        if (units_parse_size(text, &v->u2, why) < 0) {
            *why = "expected a number of operations, a size such as \"1MiB\", or \"end\"";
            return -EINVAL;
        }
        if (v->u2 == 0) {
            *why = "must be at least 1 byte (or \"end\")";
            return -EINVAL;
        }
        return 0;
    case PARAM_BACKENDS:
    case PARAM_BACKEND: {
        int b = backend_find(text);
        if (b < 0) {
            *why = "unknown backend (see --list-backends)";
            return -EINVAL;
        }
        if (d->type == PARAM_BACKEND)
            v->e = b;
        else
            v->u = 1ULL << b;
        return 0;
    }
    case PARAM_PIN: {
        if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0)
            return param_parse_bool(d, text[0] == 't', v, why);
        uint64_t mask[16];
        int ret = param_parse_cpulist(text, mask, why);
        if (ret < 0)
            return ret;
        v->s = text;
        return 0;
    }
    case PARAM_KERNEL_SETTING:
        if (strcmp(text, "unset") == 0)
            return 0; /* NULL: the kernel's own value */
        return parse_setting_text(text, false, v, why);
    case PARAM_KERNEL_SETTINGS:
        if (strcmp(text, "{}") == 0 || text[0] == '\0')
            return 0;
        return parse_setting_text(text, true, v, why);
    }
    *why = "internal error: unknown parameter type";
    return -EINVAL;
}

int param_parse_number(const struct param_def *d, double number, struct param_value *v,
                       const char **why)
{
    memset(v, 0, sizeof(*v));
    if (!isfinite(number)) {
        *why = "not a finite number";
        return -EINVAL;
    }
    switch (d->type) {
    case PARAM_SIZE:
    case PARAM_COUNT:
    case PARAM_COUNT32:
    case PARAM_SYNC_EVERY:
        if (number < 0) {
            *why = "negative values are not allowed";
            return -EINVAL;
        }
        if (number != floor(number)) {
            *why = "expected a whole number";
            return -EINVAL;
        }
        if (d->type == PARAM_SYNC_EVERY) {
            if (number < 1) {
                *why = "must be at least 1 operation (or \"end\")";
                return -EINVAL;
            }
            if (check_range(d, number, why) < 0)
                return -EINVAL;
            v->u = (uint64_t)number;
            return 0;
        }
        if (check_range(d, number, why) < 0)
            return -EINVAL;
        v->u = (uint64_t)number;
        return 0;
    case PARAM_DURATION:
        if (number < 0) {
            *why = "negative values are not allowed";
            return -EINVAL;
        }
        if (number * 1e9 > 9.2e18) {
            *why = "too large";
            return -EINVAL;
        }
        v->u = (uint64_t)llround(number * 1e9); /* a bare number is seconds */
        return check_range(d, (double)v->u, why);
    case PARAM_FRACTION:
    case PARAM_REAL:
        if (check_range(d, number, why) < 0)
            return -EINVAL;
        v->d = number;
        return 0;
    default:
        *why = d->type == PARAM_ENUM       ? "expected a string"
               : d->type == PARAM_BOOL     ? "expected true or false"
               : d->type == PARAM_PIN      ? "expected true, false or a CPU list string"
               : d->type == PARAM_BACKENDS ? "expected a list of backend names"
               : d->type == PARAM_BACKEND  ? "expected a backend name"
                                           : "expected a string";
        return -EINVAL;
    }
}

int param_parse_bool(const struct param_def *d, bool value, struct param_value *v, const char **why)
{
    memset(v, 0, sizeof(*v));
    if (d->type == PARAM_BOOL) {
        v->b = value;
        return 0;
    }
    if (d->type == PARAM_PIN) {
        v->s = value ? "all" : NULL;
        return 0;
    }
    *why = "did not expect true or false here";
    return -EINVAL;
}

void param_apply(const struct param_def *d, const struct param_value *v, struct workload *w)
{
    char *field = field_of(d, w);
    switch (d->type) {
    case PARAM_STRING:
    case PARAM_PIN:
    case PARAM_KERNEL_SETTING:
    case PARAM_KERNEL_SETTINGS:
        memcpy(field, &v->s, sizeof(v->s));
        break;
    case PARAM_SIZE:
    case PARAM_DURATION:
    case PARAM_COUNT:
        memcpy(field, &v->u, sizeof(uint64_t));
        break;
    case PARAM_COUNT32: {
        uint32_t u32 = (uint32_t)v->u;
        memcpy(field, &u32, sizeof(u32));
        break;
    }
    case PARAM_FRACTION:
    case PARAM_REAL:
        memcpy(field, &v->d, sizeof(double));
        break;
    case PARAM_ENUM:
    case PARAM_BACKEND:
        memcpy(field, &v->e, sizeof(int));
        break;
    case PARAM_BOOL:
        memcpy(field, &v->b, sizeof(bool));
        break;
    case PARAM_SYNC_EVERY:
        w->sync_every_ops = v->u;
        w->sync_every_bytes = v->u2;
        break;
    case PARAM_BACKENDS: {
        uint32_t mask = (uint32_t)v->u;
        memcpy(field, &mask, sizeof(mask));
        break;
    }
    }
}

void param_clear(const struct param_def *d, struct workload *w)
{
    struct param_value zero;
    memset(&zero, 0, sizeof(zero));
    param_apply(d, &zero, w);
}

void params_set_defaults(struct workload *w)
{
    memset(w, 0, sizeof(*w));
    for (size_t i = 0; i < params_count(); i++) {
        const struct param_def *d = params_at(i);
        if (!d->default_text)
            continue;
        struct param_value v;
        const char *why;
        if (param_parse_text(d, d->default_text, &v, &why) == 0)
            param_apply(d, &v, w);
    }
    w->backend_mask = backend_default_mask();
    w->baseline = -1; /* chosen by expand.c once the backends are known */
}

static uint64_t get_u64(const struct workload *w, const struct param_def *d)
{
    uint64_t u;
    memcpy(&u, cfield_of(d, w), sizeof(u));
    return u;
}

static uint32_t get_u32(const struct workload *w, const struct param_def *d)
{
    uint32_t u;
    memcpy(&u, cfield_of(d, w), sizeof(u));
    return u;
}

static double get_double(const struct workload *w, const struct param_def *d)
{
    double x;
    memcpy(&x, cfield_of(d, w), sizeof(x));
    return x;
}

static const char *get_string(const struct workload *w, const struct param_def *d)
{
    const char *s;
    memcpy(&s, cfield_of(d, w), sizeof(s));
    return s;
}

static int get_int(const struct workload *w, const struct param_def *d)
{
    int e;
    memcpy(&e, cfield_of(d, w), sizeof(e));
    return e;
}

static bool get_bool(const struct workload *w, const struct param_def *d)
{
    bool b;
    memcpy(&b, cfield_of(d, w), sizeof(b));
    return b;
}

static char *format_backends(uint32_t mask, char *buf, size_t len, const char *sep)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < backend_count(); i++) {
        if (!(mask & (1U << i)))
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? sep : "", backend_get(i)->name);
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
    return buf;
}

char *param_format_config(const struct param_def *d, const struct workload *w, char *buf,
                          size_t len)
{
    switch (d->type) {
    case PARAM_SIZE:
        return units_format_size(get_u64(w, d), buf, len);
    case PARAM_DURATION:
        return units_format_duration(get_u64(w, d), buf, len);
    case PARAM_SYNC_EVERY:
        if (w->sync_every_bytes)
            return units_format_size(w->sync_every_bytes, buf, len);
        if (w->sync_every_ops) {
            snprintf(buf, len, "%llu", (unsigned long long)w->sync_every_ops);
            return buf;
        }
        snprintf(buf, len, "end");
        return buf;
    case PARAM_BACKENDS:
        return format_backends(w->backend_mask, buf, len, "+");
    case PARAM_KERNEL_SETTINGS:
        snprintf(buf, len, "%s", get_string(w, d) ? get_string(w, d) : "{}");
        return buf;
    default:
        return param_format_column(d, w, buf, len);
    }
}

char *param_format_column(const struct param_def *d, const struct workload *w, char *buf,
                          size_t len)
{
    switch (d->type) {
    case PARAM_STRING:
        snprintf(buf, len, "%s", get_string(w, d) ? get_string(w, d) : "");
        break;
    case PARAM_PIN:
        snprintf(buf, len, "%s", get_string(w, d) ? get_string(w, d) : "false");
        break;
    case PARAM_KERNEL_SETTING:
        snprintf(buf, len, "%s", get_string(w, d) ? get_string(w, d) : "unset");
        break;
    case PARAM_KERNEL_SETTINGS:
        snprintf(buf, len, "%s", get_string(w, d) ? get_string(w, d) : "");
        break;
    case PARAM_SIZE:
    case PARAM_DURATION:
    case PARAM_COUNT:
        snprintf(buf, len, "%llu", (unsigned long long)get_u64(w, d));
        break;
    case PARAM_COUNT32:
        snprintf(buf, len, "%u", get_u32(w, d));
        break;
    case PARAM_FRACTION:
    case PARAM_REAL:
        snprintf(buf, len, "%.6g", get_double(w, d));
        break;
    case PARAM_ENUM:
        snprintf(buf, len, "%s", param_enum_name(d, get_int(w, d)));
        break;
    case PARAM_BOOL:
        snprintf(buf, len, "%s", get_bool(w, d) ? "true" : "false");
        break;
    case PARAM_SYNC_EVERY:
        /* ops, or bytes with a "B" suffix, or "end": one column that round-trips. */
        if (w->sync_every_bytes)
            snprintf(buf, len, "%lluB", (unsigned long long)w->sync_every_bytes);
        else if (w->sync_every_ops)
            snprintf(buf, len, "%llu", (unsigned long long)w->sync_every_ops);
        else
            snprintf(buf, len, "end");
        break;
    case PARAM_BACKENDS:
        format_backends(w->backend_mask, buf, len, "+");
        break;
    case PARAM_BACKEND: {
        const struct backend_ops *b =
            get_int(w, d) >= 0 ? backend_get((size_t)get_int(w, d)) : NULL;
        snprintf(buf, len, "%s", b ? b->name : "");
        break;
    }
    }
    return buf;
}

static struct workload default_workload;
static pthread_once_t defaults_once = PTHREAD_ONCE_INIT;

static void init_defaults(void)
{
    params_set_defaults(&default_workload);
}

bool param_is_set(const struct param_def *d, const struct workload *w)
{
    pthread_once(&defaults_once, init_defaults);
    char mine[320], plain[320];
    param_format_column(d, w, mine, sizeof(mine));
    param_format_column(d, &default_workload, plain, sizeof(plain));
    return strcmp(mine, plain) != 0;
}

bool param_column_is_bool(const struct param_def *d)
{
    return d->type == PARAM_BOOL;
}

bool param_column_is_number(const struct param_def *d)
{
    switch (d->type) {
    case PARAM_SIZE:
    case PARAM_DURATION:
    case PARAM_COUNT:
    case PARAM_COUNT32:
    case PARAM_FRACTION:
    case PARAM_REAL:
        return true;
    default:
        return false;
    }
}

void params_print(FILE *out)
{
    for (size_t i = 0; i < params_count(); i++) {
        const struct param_def *d = params_at(i);
        fprintf(out, "%-22s %s", d->name, d->doc);
        if (d->default_text)
            fprintf(out, " [default %s]", d->default_text);
        if (param_owner(d))
            fprintf(out, " (%s only)", param_owner(d));
        if (d->enum_names) {
            fprintf(out, "\n%22s  values:", "");
            for (int e = 0; d->enum_names[e]; e++)
                fprintf(out, " %s", d->enum_names[e]);
        }
        fputc('\n', out);
    }
}

static const char *const type_names[] = {
    [PARAM_STRING] = "string",
    [PARAM_SIZE] = "size",
    [PARAM_DURATION] = "duration",
    [PARAM_COUNT] = "count",
    [PARAM_COUNT32] = "count",
    [PARAM_FRACTION] = "fraction",
    [PARAM_REAL] = "real",
    [PARAM_ENUM] = "enum",
    [PARAM_BOOL] = "bool",
    [PARAM_SYNC_EVERY] = "sync_every",
    [PARAM_BACKENDS] = "backend_list",
    [PARAM_BACKEND] = "backend",
    [PARAM_PIN] = "pin",
    [PARAM_KERNEL_SETTING] = "kernel_setting",
    [PARAM_KERNEL_SETTINGS] = "kernel_settings",
};

const char *param_type_name(const struct param_def *d)
{
    return type_names[d->type];
}
