#include "report_columns.h"

#include "backend.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

void report_value_number(struct report_value *v, double x)
{
    if (isnan(x) || isinf(x)) {
        v->kind = RV_NULL;
        v->text[0] = '\0';
        return;
    }
    v->kind = RV_NUMBER;
    if (x == floor(x) && fabs(x) < 1e15)
        snprintf(v->text, sizeof(v->text), "%.0f", x);
    else
        snprintf(v->text, sizeof(v->text), "%.6g", x);
}

void report_value_u64(struct report_value *v, uint64_t x)
{
    v->kind = RV_NUMBER;
    snprintf(v->text, sizeof(v->text), "%llu", (unsigned long long)x);
}

void report_value_string(struct report_value *v, const char *s)
{
    v->kind = RV_STRING;
    snprintf(v->text, sizeof(v->text), "%s", s ? s : "");
}

static const char *field(const struct report_column *c, const struct report_row *r)
{
    return (const char *)r->row + c->offset;
}

static void get_u64(const struct report_column *c, const struct report_row *r,
                    struct report_value *v)
{
    uint64_t x;
    memcpy(&x, field(c, r), sizeof(x));
    report_value_u64(v, x);
}

static void get_unsigned(const struct report_column *c, const struct report_row *r,
                         struct report_value *v)
{
    unsigned x;
    memcpy(&x, field(c, r), sizeof(x));
    report_value_u64(v, x);
}

static void get_size(const struct report_column *c, const struct report_row *r,
                     struct report_value *v)
{
    size_t x;
    memcpy(&x, field(c, r), sizeof(x));
    report_value_u64(v, x);
}

static void get_double(const struct report_column *c, const struct report_row *r,
                       struct report_value *v)
{
    double x;
    memcpy(&x, field(c, r), sizeof(x));
    report_value_number(v, x);
}

static void get_bool(const struct report_column *c, const struct report_row *r,
                     struct report_value *v)
{
    bool x;
    memcpy(&x, field(c, r), sizeof(x));
    v->kind = RV_BOOL;
    snprintf(v->text, sizeof(v->text), "%s", x ? "true" : "false");
}

static void get_text(const struct report_column *c, const struct report_row *r,
                     struct report_value *v)
{
    const char *text = field(c, r);
    if (text[0])
        report_value_string(v, text);
    else
        v->kind = RV_NULL, v->text[0] = '\0';
}

static void get_workload(const struct report_column *c, const struct report_row *r,
                         struct report_value *v)
{
    (void)c;
    report_value_string(v, r->wr->w->name);
}

static void get_base_name(const struct report_column *c, const struct report_row *r,
                          struct report_value *v)
{
    (void)c;
    report_value_string(v, r->wr->w->base_name);
}

/* ---- run columns ---- */

static const struct run_record *run(const struct report_row *r)
{
    return r->row;
}

static void run_backend(const struct report_column *c, const struct report_row *r,
                        struct report_value *v)
{
    (void)c;
    report_value_string(v, backend_get(run(r)->backend)->name);
}

static void run_role(const struct report_column *c, const struct report_row *r,
                     struct report_value *v)
{
    (void)c;
    report_value_string(v, run_role_names[run(r)->role]);
}

static void run_status(const struct report_column *c, const struct report_row *r,
                       struct report_value *v)
{
    (void)c;
    report_value_string(v, run_status_names[run(r)->status]);
}

static void run_flush_call(const struct report_column *c, const struct report_row *r,
                           struct report_value *v)
{
    (void)c;
    report_value_string(v, run(r)->flush_call);
}

static void run_checksum(const struct report_column *c, const struct report_row *r,
                         struct report_value *v)
{
    (void)c;
    v->kind = RV_STRING;
    snprintf(v->text, sizeof(v->text), "%016llx", (unsigned long long)run(r)->checksum);
}

static void run_kc(const struct report_column *c, const struct report_row *r,
                   struct report_value *v)
{
    if (run(r)->kc_have[c->index])
        report_value_u64(v, run(r)->kc[c->index]);
    else
        report_value_number(v, NAN);
}

static void run_perf(const struct report_column *c, const struct report_row *r,
                     struct report_value *v)
{
    if (run(r)->perf_have[c->index])
        report_value_u64(v, run(r)->perf[c->index]);
    else
        report_value_number(v, NAN);
}

/* A counter that only some machines have: empty where it was not measured. */
static void run_u64_if(const struct report_column *c, const struct report_row *r,
                       struct report_value *v, bool have)
{
    if (have)
        get_u64(c, r, v);
    else
        report_value_number(v, NAN);
}

static void run_schedstat(const struct report_column *c, const struct report_row *r,
                          struct report_value *v)
{
    run_u64_if(c, r, v, run(r)->have_schedstat);
}

static void run_task_io(const struct report_column *c, const struct report_row *r,
                        struct report_value *v)
{
    run_u64_if(c, r, v, run(r)->have_task_io);
}

static void run_metric(const struct report_column *c, const struct report_row *r,
                       struct report_value *v)
{
    report_value_number(v, metric_value((enum metric_id)c->index, run(r), r->wr->w));
}

static void run_fs_type(const struct report_column *c, const struct report_row *r,
                        struct report_value *v)
{
    (void)c;
    const struct sysinfo_target *t = sysinfo_target_of(r->in->si, workload_target(r->wr->w));
    report_value_string(v, t ? t->fs_type : "unknown");
}

static void run_block_device(const struct report_column *c, const struct report_row *r,
                             struct report_value *v)
{
    (void)c;
    const struct sysinfo_target *t = sysinfo_target_of(r->in->si, workload_target(r->wr->w));
    report_value_string(v, t ? t->block_device : "");
}

/* The file's cached bytes in folios of orders [lo, hi] (index: lo * 16 + hi), before the
 * phase; empty without a census. */
static void run_folio_bytes(const struct report_column *c, const struct report_row *r,
                            struct report_value *v)
{
    if (!run(r)->have_folios) {
        report_value_number(v, NAN);
        return;
    }
    uint64_t bytes = 0;
    for (int order = c->index / 16; order <= c->index % 16 && order < FOLIOS_ORDERS; order++)
        bytes += run(r)->folios.bytes[order];
    report_value_u64(v, bytes);
}

static void run_folio_largest(const struct report_column *c, const struct report_row *r,
                              struct report_value *v)
{
    (void)c;
    int order = run(r)->have_folios ? folios_largest_order(&run(r)->folios) : -1;
    if (order < 0)
        report_value_number(v, NAN);
    else
        report_value_u64(v, run(r)->folios.page_bytes << order);
}

static void run_folio_mix(const struct report_column *c, const struct report_row *r,
                          struct report_value *v)
{
    (void)c;
    if (!run(r)->have_folios) {
        v->kind = RV_NULL;
        v->text[0] = '\0';
        return;
    }
    v->kind = RV_STRING;
    folios_format(&run(r)->folios, v->text, sizeof(v->text));
}

static void run_folio_census_ns(const struct report_column *c, const struct report_row *r,
                                struct report_value *v)
{
    run_u64_if(c, r, v, run(r)->have_folios);
}

/* Table macros, one line each. */
/* clang-format off */
#define R_U64(name, field, doc) {name, get_u64, offsetof(struct run_record, field), 0, doc}
#define R_UNS(name, field, doc) {name, get_unsigned, offsetof(struct run_record, field), 0, doc}
#define R_DBL(name, field, doc) {name, get_double, offsetof(struct run_record, field), 0, doc}
#define R_BOOL(name, field, doc) {name, get_bool, offsetof(struct run_record, field), 0, doc}
#define R_TEXT(name, field, doc) {name, get_text, offsetof(struct run_record, field), 0, doc}
#define R_FN(name, fn, doc) {name, fn, 0, 0, doc}
#define R_KC(name, id, doc) {name, run_kc, 0, id, doc}
#define R_PERF(name, id, doc) {name, run_perf, 0, id, doc}
#define R_SCHED(name, field, doc) {name, run_schedstat, offsetof(struct run_record, field), 0, doc}
#define R_TASK(name, field, doc) {name, run_task_io, offsetof(struct run_record, field), 0, doc}
#define R_METRIC(id, column, unit, fn, doc) {column, run_metric, 0, id, doc},
#define R_FOLIOS(name, lo, hi, doc) {name, run_folio_bytes, 0, (lo) * 16 + (hi), doc}
/* clang-format on */

const struct report_column report_run_columns[] = {
    R_FN("workload", get_workload,
         "workload name, with sweep labels (`randread/block_size=16KiB`)"),
    R_FN("base_name", get_base_name, "the workload's name in the config, without sweep labels"),
    R_FN("backend", run_backend, "the backend (`mmbench --list-backends`)"),
    R_UNS("round", round, "0-based round; warm-up rounds come first"),
    R_UNS("sequence", sequence,
          "execution order within the workload (backends are interleaved, shuffled per round)"),
    R_FN("role", run_role,
         "`measured` (counted in the aggregates), `warmup` (discarded), `latency_off` (an extra "
         "run with latency off, to measure what `latency: all` costs) or `profiled` (an extra "
         "run with the stack profiler, `profile: true`)"),
    R_FN("status", run_status, "`ok`, `failed` or `interrupted`"),
    R_TEXT("error", error, "why the run failed: the call, the file, the offset and the error"),
    R_U64("ops", ops, "operations performed (all threads)"),
    R_U64("reads", reads, "of which reads"),
    R_U64("writes", writes, "of which writes"),
    R_U64("bytes", bytes, "bytes moved (`ops` × `block_size`)"),
    R_U64("elapsed_ns", elapsed_ns,
          "phase time: first worker start to last worker end (the final flush included when "
          "`end_sync_in_time`)"),
    R_DBL("tput_mib_s", tput_mib_s, "`bytes / elapsed` in MiB/s"),
    R_DBL("ops_s", ops_s, "operations per second"),
    R_U64("latency_samples", latency.count, "operations timed"),
    R_DBL("latency_mean_ns", latency.mean_ns,
          "mean operation latency (data path only, flushes excluded)"),
    R_DBL("latency_p50_ns", latency.p50_ns,
          "median latency (histogram bucket midpoint, relative error ≤ 0.8%)"),
    R_DBL("latency_p90_ns", latency.p90_ns, "90th percentile"),
    R_DBL("latency_p99_ns", latency.p99_ns, "99th percentile"),
    R_DBL("latency_p999_ns", latency.p999_ns, "99.9th percentile"),
    R_DBL("latency_max_ns", latency.max_ns, "largest latency timed"),
    R_FN("flush_call", run_flush_call,
         "the system call behind `sync` in this backend (`msync(MS_SYNC)`, `fdatasync`, …)"),
    R_U64("flushes", flush.count, "flush calls made (periodic and final)"),
    R_U64("flush_total_ns", flush_total_ns, "time in flush calls, summed over threads"),
    R_U64("end_flush_ns", end_flush_ns, "the final flush (longest over threads)"),
    R_DBL("flush_p50_ns", flush.p50_ns, "median flush latency"),
    R_DBL("flush_p99_ns", flush.p99_ns, "99th percentile flush latency"),
    R_DBL("flush_max_ns", flush.max_ns, "longest flush"),
    R_U64("remaps", remaps, "window mappings made in the phase (`window` only)"),
    R_U64("remap_ns", remap_ns, "time spent in them (inside the phase)"),
    R_U64("prepare_ns", prepare_ns,
          "page-cache preparation before the phase (write-back, warm read or drop)"),
    R_U64("minor_faults", minflt, "minor page faults of the workers during the phase (getrusage)"),
    R_U64("major_faults", majflt, "major page faults of the workers"),
    R_U64("voluntary_ctxsw", nvcsw, "voluntary context switches of the workers"),
    R_U64("involuntary_ctxsw", nivcsw, "involuntary context switches"),
    R_U64("user_ns", utime_ns, "user CPU time of the workers (getrusage)"),
    R_U64("system_ns", stime_ns, "system CPU time of the workers"),
    R_SCHED("oncpu_ns", oncpu_ns,
            "time the workers ran on a CPU (/proc/PID/task/TID/schedstat; empty without it)"),
    R_SCHED("runqueue_ns", runqueue_ns, "time they were runnable but waiting for a CPU"),
    R_U64("worker_wall_ns", worker_wall_ns,
          "wall time of the workers' loops, summed over workers: the whole the time split's "
          "shares are of"),
    R_U64("syscalls", syscalls, "system calls the workers made (data path and flushes)"),
    R_TASK("task_read_bytes", task_read_bytes,
           "storage bytes the workers' reads caused (/proc/PID/task/TID/io `read_bytes`): the "
           "workload's own device reads"),
    R_TASK("task_write_bytes", task_write_bytes,
           "bytes the workers dirtied for writeback (`write_bytes`, counted in whole pages or "
           "folios)"),
    R_TASK("task_cancelled_write_bytes", task_cancelled_bytes,
           "dirtied bytes that were truncated before writeback"),
    R_FN("checksum", run_checksum,
         "fold of the data read (hex; see `src/backends/loop.h`); equal across backends for the "
         "same read workload"),
    R_BOOL("cache_state_reached", cache_state_reached,
           "false when `cache: cold` started above 1% resident or `warm` below 99%"),
    R_BOOL("in_cgroup", in_cgroup, "the phase ran in a memory cgroup (`cache_limit`)"),
    R_TEXT("kernel_settings", kernel_settings,
           "the kernel settings the workload set, as the phase ran under them: each as found "
           "before and as written (`read_ahead_kb of vda: 8192 -> 128; thp: madvise -> "
           "never`), applied before the cache was prepared and restored after the phase; "
           "empty when it sets none (the others are in the context)"),
    R_FOLIOS("folio_1p_bytes", 0, 0,
             "the file's cached bytes held in single-page folios just before the phase (folio "
             "census of /proc/self/pagemap and /proc/kpageflags; empty without root)"),
    R_FOLIOS("folio_2_16p_bytes", 1, 4,
             "in folios of 2 to 16 pages (8 to 64 KiB with 4 KiB pages)"),
    R_FOLIOS("folio_32_256p_bytes", 5, 8, "in folios of 32 to 256 pages (128 KiB to 1 MiB)"),
    R_FOLIOS("folio_512p_bytes", 9, 15, "in folios of 512 pages and more (2 MiB: PMD-sized)"),
    R_FN("folio_largest_bytes", run_folio_largest,
         "the largest folio holding any of the file's cached pages (empty: none cached)"),
    R_FN("folio_mix", run_folio_mix,
         "the whole mix: per folio size in pages, the bytes and the folios (`1p 12.0 KiB in 3, "
         "512p 4.0 MiB in 2`)"),
    {"folio_census_ns", run_folio_census_ns, offsetof(struct run_record, folio_census_ns), 0,
     "the time the census took, before the phase (not in it)"},
    R_KC("vm_pgfault", KC_PGFAULT, "/proc/vmstat `pgfault` delta (system-wide)"),
    R_KC("vm_pgmajfault", KC_PGMAJFAULT, "`pgmajfault` delta"),
    R_KC("vm_pgpgin_kib", KC_PGPGIN_KIB, "`pgpgin` delta: KiB read from block devices"),
    R_KC("vm_pgpgout_kib", KC_PGPGOUT_KIB, "`pgpgout` delta: KiB written"),
    R_KC("vm_workingset_refault_file", KC_REFAULT_FILE,
         "`workingset_refault_file` delta: evicted file pages read again"),
    R_KC("vm_nr_dirtied", KC_NR_DIRTIED, "`nr_dirtied` delta: pages dirtied"),
    R_KC("vm_nr_written", KC_NR_WRITTEN, "`nr_written` delta: pages written back"),
    R_KC("tlb_shootdowns", KC_TLB_SHOOTDOWNS,
         "TLB shootdown interrupts, all CPUs (/proc/interrupts)"),
    R_KC("dev_read_ios", KC_DEV_READ_IOS,
         "reads completed by the block device behind `dir` (empty on tmpfs; system-wide)"),
    R_KC("dev_read_bytes", KC_DEV_READ_BYTES, "bytes it read"),
    R_KC("dev_write_ios", KC_DEV_WRITE_IOS, "writes it completed"),
    R_KC("dev_write_bytes", KC_DEV_WRITE_BYTES, "bytes it wrote (the final flush included)"),
    R_PERF("cycles", PERF_CYCLES,
           "CPU cycles of the workers (perf_event_open; empty where unavailable, see context)"),
    R_PERF("instructions", PERF_INSTRUCTIONS, "instructions retired"),
    R_PERF("dtlb_load_misses", PERF_DTLB_LOAD_MISSES, "data TLB load misses"),
    R_PERF("perf_page_faults", PERF_PAGE_FAULTS, "page faults counted by perf"),
    /* clang-format off */
    METRIC_LIST(R_METRIC) /* every derived metric */
    /* clang-format on */
    R_DBL("thread_tput_min_mib_s", thread_tput_min_mib_s, "slowest worker's own throughput"),
    R_DBL("thread_tput_max_mib_s", thread_tput_max_mib_s, "fastest worker's"),
    R_DBL("thread_ops_cv", thread_ops_cv,
          "coefficient of variation of operations per worker (fairness; 0 = even)"),
    R_FN("fs_type", run_fs_type, "filesystem of `dir`"),
    R_FN("block_device", run_block_device, "block device behind it (empty when none)"),
    R_TEXT("note", note, "remarks: fallbacks used, MAP_PRIVATE writes not reaching the file, …"),
};

const size_t report_run_column_count = sizeof(report_run_columns) / sizeof(report_run_columns[0]);

/* ---- summary columns ---- */

static const struct results_summary *sum(const struct report_row *r)
{
    return r->row;
}

static void sum_backend(const struct report_column *c, const struct report_row *r,
                        struct report_value *v)
{
    (void)c;
    report_value_string(v, backend_get(sum(r)->backend)->name);
}

static void sum_metric(const struct report_column *c, const struct report_row *r,
                       struct report_value *v)
{
    report_value_number(v, sum(r)->metric[c->index]);
}

/* This backend's comparison with the baseline; NULL for the baseline itself. */
static const struct results_comparison *against_baseline(const struct report_row *r)
{
    for (size_t i = 0; i < r->wr->n_comparisons; i++) {
        const struct results_comparison *cmp = &r->wr->comparisons[i];
        if (cmp->numerator == sum(r)->backend && (int)cmp->denominator == r->wr->w->baseline)
            return cmp;
    }
    return NULL;
}

static bool is_baseline(const struct report_row *r)
{
    return (int)sum(r)->backend == r->wr->w->baseline;
}

static void sum_ratio(const struct report_column *c, const struct report_row *r,
                      struct report_value *v)
{
    const struct results_comparison *cmp = against_baseline(r);
    double x = NAN;
    if (is_baseline(r))
        x = sum(r)->n_ok ? 1 : NAN;
    else if (cmp)
        x = c->index == 0 ? cmp->ratio : c->index == 1 ? cmp->ci_low : cmp->ci_high;
    report_value_number(v, x);
}

static void sum_verdict(const struct report_column *c, const struct report_row *r,
                        struct report_value *v)
{
    (void)c;
    const struct results_comparison *cmp = against_baseline(r);
    report_value_string(v, is_baseline(r) ? "baseline" : cmp ? cmp->verdict : "");
}

static void sum_checksum(const struct report_column *c, const struct report_row *r,
                         struct report_value *v)
{
    (void)c;
    report_value_string(v, r->wr->checksum.text);
}

/* clang-format off */
#define S_DBL(name, field, doc) {name, get_double, offsetof(struct results_summary, field), 0, doc}
#define S_SIZE(name, field, doc) {name, get_size, offsetof(struct results_summary, field), 0, doc}
#define S_METRIC(id, column, unit, fn, doc) {column, sum_metric, 0, id, "median: " doc},
/* clang-format on */

const struct report_column report_summary_columns[] = {
    {"workload", get_workload, 0, 0, "as in runs.csv"},
    {"base_name", get_base_name, 0, 0, "as in runs.csv"},
    {"backend", sum_backend, 0, 0, "as in runs.csv"},
    S_SIZE("repetitions_ok", n_ok, "measured repetitions that succeeded"),
    S_SIZE("repetitions_failed", n_failed, "measured repetitions that failed"),
    S_DBL("tput_median_mib_s", tput.median, "median throughput"),
    S_DBL("tput_mean_mib_s", tput.mean, "mean"),
    S_DBL("tput_stddev_mib_s", tput.stddev, "sample standard deviation"),
    S_DBL("tput_cv", tput.cv, "coefficient of variation (stddev / mean)"),
    S_DBL("tput_min_mib_s", tput.min, "slowest repetition"),
    S_DBL("tput_max_mib_s", tput.max, "fastest"),
    S_DBL("tput_ci_low_mib_s", tput.ci_low,
          "95% bootstrap confidence interval of the median, low end (empty with fewer than 3 "
          "repetitions)"),
    S_DBL("tput_ci_high_mib_s", tput.ci_high, "high end"),
    S_SIZE("tput_outliers", tput.outliers,
           "repetitions with a modified z-score above 3.5 (kept, not dropped)"),
    S_DBL("ops_s_median", ops_s_median, "median operations per second"),
    S_DBL("latency_mean_ns", latency.mean_ns, "mean operation latency"),
    S_DBL("latency_p50_ns", latency.p50_ns, "median latency"),
    S_DBL("latency_p90_ns", latency.p90_ns, "90th percentile"),
    S_DBL("latency_p99_ns", latency.p99_ns, "99th percentile"),
    S_DBL("latency_p999_ns", latency.p999_ns, "99.9th percentile"),
    S_DBL("latency_max_ns", latency.max_ns, "maximum"),
    S_DBL("flush_p50_ns", flush.p50_ns, "median flush latency"),
    S_DBL("flush_p99_ns", flush.p99_ns, "99th percentile flush latency"),
    S_DBL("flush_max_ns", flush.max_ns, "longest flush"),
    /* clang-format off */
    METRIC_LIST(S_METRIC) /* every derived metric, as a median */
    /* clang-format on */
    S_SIZE("cache_state_missed", cache_state_missed,
           "repetitions whose asked cache state was not reached"),
    S_DBL("latency_cost_pct", latency_cost_pct,
          "with `latency: all`: the throughput it cost, 1 - median(measured) / median(the extra "
          "runs with latency off), in percent (empty otherwise)"),
    S_DBL("latency_cost_ci_low_pct", latency_cost_ci_low_pct, "95% bootstrap interval, low end"),
    S_DBL("latency_cost_ci_high_pct", latency_cost_ci_high_pct, "high end"),
    S_DBL("profile_cost_pct", profile_cost_pct,
          "with `profile`: 1 - throughput of the profiled round / median measured, in percent"),
    {"ratio_to_baseline", sum_ratio, 0, 0,
     "median throughput of this backend / median throughput of the workload's `baseline` "
     "(1 on the baseline's row)"},
    {"ratio_ci_low", sum_ratio, 0, 1, "95% bootstrap interval of the ratio, low end"},
    {"ratio_ci_high", sum_ratio, 0, 2, "high end"},
    {"verdict", sum_verdict, 0, 0,
     "`mmap 2.31x faster than pread [2.20, 2.45]`, `pread 1.40x faster than mmap [...]`, `no "
     "significant difference between ... (...)`, or `baseline`"},
    {"checksum", sum_checksum, 0, 0,
     "cross-backend checksum verification of the workload: `match (...)`, `MISMATCH ...`, or "
     "why not applicable"},
};

const size_t report_summary_column_count =
    sizeof(report_summary_columns) / sizeof(report_summary_columns[0]);

const struct report_column report_timeline_columns[] = {
    {"workload", NULL, 0, 0, "as in runs.csv"},
    {"base_name", NULL, 0, 0, "as in runs.csv"},
    {"backend", NULL, 0, 0, "as in runs.csv"},
    {"round", NULL, 0, 0, "as in runs.csv"},
    {"role", NULL, 0, 0, "as in runs.csv"},
    {"t_s", NULL, 0, 0, "end of the interval, seconds since the workers started"},
    {"interval_s", NULL, 0, 0, "its length (the last one may be shorter)"},
    {"ops", NULL, 0, 0, "operations completed in the interval (whole batches of 256)"},
    {"tput_mib_s", NULL, 0, 0, "their throughput"},
    {"minor_faults", NULL, 0, 0, "minor page faults of the process in the interval"},
    {"major_faults", NULL, 0, 0, "major page faults"},
    {"dev_read_bytes", NULL, 0, 0, "bytes the block device read (system-wide)"},
    {"dev_write_bytes", NULL, 0, 0, "bytes it wrote"},
    {"tlb_shootdowns", NULL, 0, 0, "TLB shootdown interrupts (system-wide)"},
    {"resident_pct", NULL, 0, 0,
     "share of the file in the page cache at the end of the interval (cachestat(2), else "
     "mincore)"},
    {"dirty_pct", NULL, 0, 0,
     "share of the file dirty or under writeback (cachestat(2); empty without it)"},
};

const size_t report_timeline_column_count =
    sizeof(report_timeline_columns) / sizeof(report_timeline_columns[0]);
