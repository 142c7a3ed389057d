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

static void get_u64(const struct report_column *c, const struct report_input *in, const void *row,
                    struct report_value *v)
{
    (void)in;
    uint64_t x;
    memcpy(&x, (const char *)row + c->offset, sizeof(x));
    report_value_u64(v, x);
}

static void get_unsigned(const struct report_column *c, const struct report_input *in,
                         const void *row, struct report_value *v)
{
    (void)in;
    unsigned x;
    memcpy(&x, (const char *)row + c->offset, sizeof(x));
    report_value_u64(v, x);
}

static void get_size(const struct report_column *c, const struct report_input *in, const void *row,
                     struct report_value *v)
{
    (void)in;
    size_t x;
    memcpy(&x, (const char *)row + c->offset, sizeof(x));
    report_value_u64(v, x);
}

static void get_double(const struct report_column *c, const struct report_input *in,
                       const void *row, struct report_value *v)
{
    (void)in;
    double x;
    memcpy(&x, (const char *)row + c->offset, sizeof(x));
    report_value_number(v, x);
}

static void get_bool(const struct report_column *c, const struct report_input *in, const void *row,
                     struct report_value *v)
{
    (void)in;
    bool x;
    memcpy(&x, (const char *)row + c->offset, sizeof(x));
    v->kind = RV_BOOL;
    snprintf(v->text, sizeof(v->text), "%s", x ? "true" : "false");
}

static void get_text(const struct report_column *c, const struct report_input *in, const void *row,
                     struct report_value *v)
{
    (void)in;
    const char *text = (const char *)row + c->offset;
    if (text[0])
        report_value_string(v, text);
    else
        v->kind = RV_NULL, v->text[0] = '\0';
}

/* ---- run columns ---- */

static const struct run_record *run(const void *row)
{
    return row;
}

static void run_workload(const struct report_column *c, const struct report_input *in,
                         const void *row, struct report_value *v)
{
    (void)c;
    report_value_string(v, in->workloads[run(row)->workload].name);
}

static void run_base_name(const struct report_column *c, const struct report_input *in,
                          const void *row, struct report_value *v)
{
    (void)c;
    report_value_string(v, in->workloads[run(row)->workload].base_name);
}

static void run_backend(const struct report_column *c, const struct report_input *in,
                        const void *row, struct report_value *v)
{
    (void)c;
    (void)in;
    report_value_string(v, backend_get(run(row)->backend)->name);
}

static void run_status(const struct report_column *c, const struct report_input *in,
                       const void *row, struct report_value *v)
{
    (void)c;
    (void)in;
    report_value_string(v, results_status_name(run(row)->status));
}

static void run_flush_call(const struct report_column *c, const struct report_input *in,
                           const void *row, struct report_value *v)
{
    (void)c;
    (void)in;
    report_value_string(v, run(row)->flush_call);
}

static void run_checksum(const struct report_column *c, const struct report_input *in,
                         const void *row, struct report_value *v)
{
    (void)c;
    (void)in;
    v->kind = RV_STRING;
    snprintf(v->text, sizeof(v->text), "%016llx", (unsigned long long)run(row)->checksum);
}

static void run_kc(const struct report_column *c, const struct report_input *in, const void *row,
                   struct report_value *v)
{
    (void)in;
    if (run(row)->kc_have[c->index])
        report_value_u64(v, run(row)->kc[c->index]);
    else
        report_value_number(v, NAN);
}

static void run_perf(const struct report_column *c, const struct report_input *in, const void *row,
                     struct report_value *v)
{
    (void)in;
    if (run(row)->perf_have[c->index])
        report_value_u64(v, run(row)->perf[c->index]);
    else
        report_value_number(v, NAN);
}

static void run_perf_per_op(const struct report_column *c, const struct report_input *in,
                            const void *row, struct report_value *v)
{
    (void)in;
    const struct run_record *r = run(row);
    report_value_number(
        v, r->perf_have[c->index] && r->ops ? (double)r->perf[c->index] / (double)r->ops : NAN);
}

static void run_faults_per_op(const struct report_column *c, const struct report_input *in,
                              const void *row, struct report_value *v)
{
    (void)c;
    (void)in;
    const struct run_record *r = run(row);
    report_value_number(v, r->ops ? (double)(r->minflt + r->majflt) / (double)r->ops : NAN);
}

static void run_dev_read_per_op(const struct report_column *c, const struct report_input *in,
                                const void *row, struct report_value *v)
{
    (void)c;
    (void)in;
    const struct run_record *r = run(row);
    report_value_number(v, r->ops && r->kc_have[KC_DEV_READ_BYTES]
                               ? (double)r->kc[KC_DEV_READ_BYTES] / (double)r->ops
                               : NAN);
}

static void run_fs_type(const struct report_column *c, const struct report_input *in,
                        const void *row, struct report_value *v)
{
    (void)c;
    const struct sysinfo_target *t =
        sysinfo_target_of(in->si, workload_target(&in->workloads[run(row)->workload]));
    report_value_string(v, t ? t->fs_type : "unknown");
}

static void run_block_device(const struct report_column *c, const struct report_input *in,
                             const void *row, struct report_value *v)
{
    (void)c;
    const struct sysinfo_target *t =
        sysinfo_target_of(in->si, workload_target(&in->workloads[run(row)->workload]));
    report_value_string(v, t ? t->block_device : "");
}

/* Table macros, one line each. */
/* clang-format off */
#define R_U64(name, field) {name, get_u64, offsetof(struct run_record, field), 0}
#define R_UNS(name, field) {name, get_unsigned, offsetof(struct run_record, field), 0}
#define R_DBL(name, field) {name, get_double, offsetof(struct run_record, field), 0}
#define R_BOOL(name, field) {name, get_bool, offsetof(struct run_record, field), 0}
#define R_TEXT(name, field) {name, get_text, offsetof(struct run_record, field), 0}
#define R_FN(name, fn) {name, fn, 0, 0}
#define R_KC(name, id) {name, run_kc, 0, id}
#define R_PERF(name, id) {name, run_perf, 0, id}
/* clang-format on */

const struct report_column report_run_columns[] = {
    R_FN("workload", run_workload),
    R_FN("base_name", run_base_name),
    R_FN("backend", run_backend),
    R_UNS("round", round),
    R_UNS("sequence", sequence),
    R_BOOL("warmup", warmup),
    R_FN("status", run_status),
    R_TEXT("error", error),
    R_U64("ops", ops),
    R_U64("reads", reads),
    R_U64("writes", writes),
    R_U64("bytes", bytes),
    R_U64("elapsed_ns", elapsed_ns),
    R_DBL("tput_mib_s", tput_mib_s),
    R_DBL("ops_s", ops_s),
    R_U64("latency_samples", latency.count),
    R_DBL("latency_mean_ns", latency.mean_ns),
    R_DBL("latency_p50_ns", latency.p50_ns),
    R_DBL("latency_p90_ns", latency.p90_ns),
    R_DBL("latency_p99_ns", latency.p99_ns),
    R_DBL("latency_p999_ns", latency.p999_ns),
    R_DBL("latency_max_ns", latency.max_ns),
    R_FN("flush_call", run_flush_call),
    R_U64("flushes", flush.count),
    R_U64("flush_total_ns", flush_total_ns),
    R_U64("end_flush_ns", end_flush_ns),
    R_DBL("flush_p50_ns", flush.p50_ns),
    R_DBL("flush_p99_ns", flush.p99_ns),
    R_DBL("flush_max_ns", flush.max_ns),
    R_DBL("flush_share_pct", flush_share_pct),
    R_U64("setup_ns", setup_ns),
    R_U64("teardown_ns", teardown_ns),
    R_U64("remaps", remaps),
    R_U64("remap_ns", remap_ns),
    R_U64("prepare_ns", prepare_ns),
    R_U64("minor_faults", minflt),
    R_U64("major_faults", majflt),
    R_FN("faults_per_op", run_faults_per_op),
    R_U64("voluntary_ctxsw", nvcsw),
    R_U64("involuntary_ctxsw", nivcsw),
    R_U64("user_ns", utime_ns),
    R_U64("system_ns", stime_ns),
    R_FN("checksum", run_checksum),
    R_DBL("resident_before_pct", resident_before_pct),
    R_DBL("resident_after_pct", resident_after_pct),
    R_BOOL("cache_state_reached", cache_state_reached),
    R_BOOL("in_cgroup", in_cgroup),
    R_KC("vm_pgfault", KC_PGFAULT),
    R_KC("vm_pgmajfault", KC_PGMAJFAULT),
    R_KC("vm_pgpgin_kib", KC_PGPGIN_KIB),
    R_KC("vm_pgpgout_kib", KC_PGPGOUT_KIB),
    R_KC("vm_workingset_refault_file", KC_REFAULT_FILE),
    R_KC("vm_nr_dirtied", KC_NR_DIRTIED),
    R_KC("vm_nr_written", KC_NR_WRITTEN),
    R_KC("tlb_shootdowns", KC_TLB_SHOOTDOWNS),
    R_KC("dev_read_ios", KC_DEV_READ_IOS),
    R_KC("dev_read_bytes", KC_DEV_READ_BYTES),
    R_KC("dev_write_ios", KC_DEV_WRITE_IOS),
    R_KC("dev_write_bytes", KC_DEV_WRITE_BYTES),
    R_FN("dev_read_bytes_per_op", run_dev_read_per_op),
    R_DBL("readahead_amplification", readahead_amplification),
    R_PERF("cycles", PERF_CYCLES),
    R_PERF("instructions", PERF_INSTRUCTIONS),
    R_PERF("dtlb_load_misses", PERF_DTLB_LOAD_MISSES),
    R_PERF("perf_page_faults", PERF_PAGE_FAULTS),
    {"cycles_per_op", run_perf_per_op, 0, PERF_CYCLES},
    {"instructions_per_op", run_perf_per_op, 0, PERF_INSTRUCTIONS},
    {"dtlb_load_misses_per_op", run_perf_per_op, 0, PERF_DTLB_LOAD_MISSES},
    R_UNS("threads", threads),
    R_DBL("thread_tput_min_mib_s", thread_tput_min_mib_s),
    R_DBL("thread_tput_max_mib_s", thread_tput_max_mib_s),
    R_DBL("thread_ops_cv", thread_ops_cv),
    R_FN("fs_type", run_fs_type),
    R_FN("block_device", run_block_device),
    R_TEXT("note", note),
};

const size_t report_run_column_count = sizeof(report_run_columns) / sizeof(report_run_columns[0]);

/* ---- summary columns ---- */

static const struct results_summary *sum(const void *row)
{
    return row;
}

static void sum_workload(const struct report_column *c, const struct report_input *in,
                         const void *row, struct report_value *v)
{
    (void)c;
    report_value_string(v, in->workloads[sum(row)->workload].name);
}

static void sum_base_name(const struct report_column *c, const struct report_input *in,
                          const void *row, struct report_value *v)
{
    (void)c;
    report_value_string(v, in->workloads[sum(row)->workload].base_name);
}

static void sum_backend(const struct report_column *c, const struct report_input *in,
                        const void *row, struct report_value *v)
{
    (void)c;
    (void)in;
    report_value_string(v, backend_get(sum(row)->backend)->name);
}

/* The comparison columns repeat on both backends' rows of a workload. */
static void sum_comparison(const struct report_column *c, const struct report_input *in,
                           const void *row, struct report_value *v)
{
    const struct results_comparison *cmp = report_find_comparison(in->res, sum(row)->workload);
    if (!cmp) {
        report_value_number(v, NAN);
        return;
    }
    switch (c->index) {
    case 0:
        report_value_number(v, cmp->ratio);
        break;
    case 1:
        report_value_number(v, cmp->ci_low);
        break;
    case 2:
        report_value_number(v, cmp->ci_high);
        break;
    case 3:
        report_value_string(v, cmp->verdict);
        break;
    default:
        report_value_string(v, cmp->checksum);
        break;
    }
}

/* clang-format off */
#define S_DBL(name, field) {name, get_double, offsetof(struct results_summary, field), 0}
#define S_SIZE(name, field) {name, get_size, offsetof(struct results_summary, field), 0}
/* clang-format on */

const struct report_column report_summary_columns[] = {
    {"workload", sum_workload, 0, 0},
    {"base_name", sum_base_name, 0, 0},
    {"backend", sum_backend, 0, 0},
    S_SIZE("repetitions_ok", n_ok),
    S_SIZE("repetitions_failed", n_failed),
    S_DBL("tput_median_mib_s", tput.median),
    S_DBL("tput_mean_mib_s", tput.mean),
    S_DBL("tput_stddev_mib_s", tput.stddev),
    S_DBL("tput_cv", tput.cv),
    S_DBL("tput_min_mib_s", tput.min),
    S_DBL("tput_max_mib_s", tput.max),
    S_DBL("tput_ci_low_mib_s", tput.ci_low),
    S_DBL("tput_ci_high_mib_s", tput.ci_high),
    S_SIZE("tput_outliers", tput.outliers),
    S_DBL("ops_s_median", ops_s_median),
    S_DBL("latency_mean_ns", latency.mean_ns),
    S_DBL("latency_p50_ns", latency.p50_ns),
    S_DBL("latency_p90_ns", latency.p90_ns),
    S_DBL("latency_p99_ns", latency.p99_ns),
    S_DBL("latency_p999_ns", latency.p999_ns),
    S_DBL("latency_max_ns", latency.max_ns),
    S_DBL("flush_p50_ns", flush.p50_ns),
    S_DBL("flush_p99_ns", flush.p99_ns),
    S_DBL("flush_max_ns", flush.max_ns),
    S_DBL("flush_share_pct", flush_share_pct),
    S_DBL("faults_per_op", faults_per_op),
    S_DBL("major_faults_per_op", major_faults_per_op),
    S_DBL("dev_read_bytes_per_op", dev_read_bytes_per_op),
    S_DBL("readahead_amplification", readahead_amplification),
    S_DBL("cycles_per_op", cycles_per_op),
    S_DBL("instructions_per_op", instructions_per_op),
    S_DBL("dtlb_load_misses_per_op", dtlb_misses_per_op),
    S_DBL("setup_ns", setup_ns),
    S_DBL("teardown_ns", teardown_ns),
    S_DBL("resident_before_pct", resident_before_pct),
    S_DBL("resident_after_pct", resident_after_pct),
    S_SIZE("cache_state_missed", cache_state_missed),
    {"ratio_mmap_pread", sum_comparison, 0, 0},
    {"ratio_ci_low", sum_comparison, 0, 1},
    {"ratio_ci_high", sum_comparison, 0, 2},
    {"verdict", sum_comparison, 0, 3},
    {"checksum", sum_comparison, 0, 4},
};

const size_t report_summary_column_count =
    sizeof(report_summary_columns) / sizeof(report_summary_columns[0]);
