#include "metrics.h"

#include "results.h"

#include <math.h>

static double per(double numerator, double denominator)
{
    return denominator > 0 ? numerator / denominator : NAN;
}

static double per_op(double numerator, const struct run_record *r)
{
    return per(numerator, (double)r->ops);
}

static double kc_per_op(const struct run_record *r, enum kcounter c)
{
    return r->kc_have[c] ? per_op((double)r->kc[c], r) : NAN;
}

static double perf_per_op(const struct run_record *r, enum perf_counter c)
{
    return r->perf_have[c] ? per_op((double)r->perf[c], r) : NAN;
}

static double faults(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return per_op((double)(r->minflt + r->majflt), r);
}

static double major_faults(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return per_op((double)r->majflt, r);
}

static double syscalls(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return per_op((double)r->syscalls, r);
}

static double user_share(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return per((double)r->utime_ns, (double)r->worker_wall_ns);
}

static double system_share(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return per((double)r->stime_ns, (double)r->worker_wall_ns);
}

/* Off the CPU: the wall time not spent on one. schedstat's on-CPU time is exact; without
 * it, user + system time from getrusage (tick-sampled) stands in. */
static double offcpu_share(const struct run_record *r, const struct workload *w)
{
    (void)w;
    double on = r->have_schedstat ? (double)r->oncpu_ns : (double)(r->utime_ns + r->stime_ns);
    double share = per((double)r->worker_wall_ns - on, (double)r->worker_wall_ns);
    return isnan(share) ? NAN : share < 0 ? 0 : share;
}

static double runqueue_share(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return r->have_schedstat ? per((double)r->runqueue_ns, (double)r->worker_wall_ns) : NAN;
}

static double dev_read(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return kc_per_op(r, KC_DEV_READ_BYTES);
}

static double dev_write(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return kc_per_op(r, KC_DEV_WRITE_BYTES);
}

static double read_amplification(const struct run_record *r, const struct workload *w)
{
    return r->kc_have[KC_DEV_READ_BYTES]
               ? per((double)r->kc[KC_DEV_READ_BYTES], (double)(r->reads * w->block_size_bytes))
               : NAN;
}

static double write_amplification(const struct run_record *r, const struct workload *w)
{
    return r->kc_have[KC_DEV_WRITE_BYTES]
               ? per((double)r->kc[KC_DEV_WRITE_BYTES], (double)(r->writes * w->block_size_bytes))
               : NAN;
}

static double task_read_amplification(const struct run_record *r, const struct workload *w)
{
    return r->have_task_io
               ? per((double)r->task_read_bytes, (double)(r->reads * w->block_size_bytes))
               : NAN;
}

static double task_write_amplification(const struct run_record *r, const struct workload *w)
{
    return r->have_task_io
               ? per((double)r->task_write_bytes, (double)(r->writes * w->block_size_bytes))
               : NAN;
}

static double flush_share(const struct run_record *r, const struct workload *w)
{
    return w->sync == SYNC_NONE
               ? NAN
               : 100.0 * per((double)r->flush_total_ns, (double)r->elapsed_ns * w->threads);
}

static double tlb_shootdowns(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return kc_per_op(r, KC_TLB_SHOOTDOWNS);
}

static double cycles(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return perf_per_op(r, PERF_CYCLES);
}

static double instructions(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return perf_per_op(r, PERF_INSTRUCTIONS);
}

static double dtlb_misses(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return perf_per_op(r, PERF_DTLB_LOAD_MISSES);
}

static double setup(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return (double)r->setup_ns;
}

static double teardown(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return (double)r->teardown_ns;
}

static double resident_before(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return r->resident_before_pct;
}

static double resident_after(const struct run_record *r, const struct workload *w)
{
    (void)w;
    return r->resident_after_pct;
}

static double large_folio_share(const struct run_record *r, const struct workload *w)
{
    (void)w;
    if (!r->have_folios)
        return NAN;
    uint64_t all = 0;
    for (int order = 0; order < FOLIOS_ORDERS; order++)
        all += r->folios.bytes[order];
    return all ? (double)(all - r->folios.bytes[0]) / (double)all : NAN;
}

#define METRIC_ROW(id, column, unit, fn, doc) [id] = {column, unit, doc, fn},
const struct metric_def metric_table[METRIC_COUNT] = {METRIC_LIST(METRIC_ROW)};
#undef METRIC_ROW
