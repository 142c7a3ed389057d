#include "runner.h"

#include "backend.h"
#include "cache.h"
#include "kcounters.h"
#include "log.h"
#include "phase.h"
#include "prng.h"
#include "progress.h"
#include "signals.h"
#include "sysinfo.h"
#include "timer.h"
#include "warnings.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_BACKENDS 8
#define WARM_MIN_PCT 99.0
#define COLD_MAX_PCT 1.0

/* What the checksum verification needs of each run of the current workload. */
struct run_check {
    unsigned backend;
    unsigned round;
    bool ok;
    bool ops_exact;
    uint64_t ops;
    uint64_t checksum;
    uint64_t checkpoint[PHASE_CHECKPOINTS];
    unsigned n_checkpoints;
};

/* Per backend, the merged histograms of the measured runs of the current workload. */
struct backend_hists {
    struct hist *latency;
    struct hist *flush;
};

struct runner {
    const struct workload *workloads;
    size_t n_workloads;
    struct results *res;
    const struct runner_env *env;
    struct progress progress;
    struct hist *phase_latency; /* scratch for one phase */
    struct hist *phase_flush;
    struct backend_hists hists[MAX_BACKENDS];
    struct run_check *checks;
    size_t n_checks;
};

static unsigned backend_list(uint32_t mask, unsigned *list)
{
    unsigned n = 0;
    for (size_t b = 0; b < backend_count() && n < MAX_BACKENDS; b++)
        if (mask & (1U << b))
            list[n++] = (unsigned)b;
    return n;
}

size_t runner_phase_count(const struct workload *workloads, size_t n)
{
    size_t phases = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned list[MAX_BACKENDS];
        phases += (size_t)backend_list(workloads[i].backend_mask, list) *
                  (workloads[i].warmup + workloads[i].repetitions);
    }
    return phases;
}

uint64_t runner_estimate_ns(const struct workload *workloads, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const struct workload *w = &workloads[i];
        uint64_t phase = w->duration_ns > w->min_time_ns ? w->duration_ns : w->min_time_ns;
        if (w->ops && !w->min_time_ns)
            phase = 1000000000ULL; /* unknown until run: guess a second */
        unsigned list[MAX_BACKENDS];
        total += phase * backend_list(w->backend_mask, list) * (w->warmup + w->repetitions);
    }
    return total;
}

int runner_preflight(const struct workload *workloads, size_t n, char *err, size_t err_len)
{
    for (size_t i = 0; i < n; i++) {
        char why[400];
        int ret = cache_check_support(&workloads[i], why, sizeof(why));
        if (ret < 0) {
            snprintf(err, err_len, "%s: %s", workloads[i].name, why);
            return ret;
        }
    }
    return 0;
}

static bool cache_reached(enum cache_state state, double resident_pct)
{
    switch (state) {
    case CACHE_WARM:
        return resident_pct >= WARM_MIN_PCT;
    case CACHE_COLD:
        return resident_pct <= COLD_MAX_PCT;
    case CACHE_AS_IS:
    default:
        return true;
    }
}

/* One repetition of workload w on backend b: cache state, phase, residency. */
static void run_one(struct runner *r, const struct workload *w, unsigned b, const char *label,
                    int fd, const struct kcounters_source *src, struct run_record *rec,
                    struct phase_output *out)
{
    const struct backend_ops *backend = backend_get(b);
    rec->flush_call = backend->flush_call(w->sync);
    rec->threads = w->threads;
    rec->resident_before_pct = rec->resident_after_pct = NAN;
    rec->readahead_amplification = NAN;
    for (int c = 0; c < PERF_COUNT; c++)
        rec->perf_have[c] = false;

    struct stat st;
    bool ours = w->file == NULL;
    if (ours && (fstat(fd, &st) < 0 || (uint64_t)st.st_size != w->file_size_bytes)) {
        snprintf(rec->error, sizeof(rec->error),
                 "the data file is now %lld bytes instead of %llu (truncated by another "
                 "process?); it will be created afresh",
                 (long long)st.st_size, (unsigned long long)w->file_size_bytes);
        rec->status = RUN_FAILED;
        return;
    }
    struct cache_cgroup *cg = NULL;
    if (w->cache_limit_bytes) {
        if (cache_cgroup_enter(w->cache_limit_bytes, &cg) < 0) {
            snprintf(rec->error, sizeof(rec->error),
                     "could not set up the memory cgroup for cache_limit (see above)");
            rec->status = RUN_FAILED;
            return;
        }
        rec->in_cgroup = true;
    }
    uint64_t t0 = timer_monotonic_ns();
    /* Write back what earlier phases left dirty: no phase pays for another's writes. */
    if (ours && fsync(fd) < 0)
        log_warn("fsync(%s) before the phase: %s", label, strerror(errno));
    int ret = 0;
    /* Pages cached earlier stay charged to the cgroup that read them: drop them, so that
     * what this phase caches is charged to (and limited by) the new cgroup. */
    if (cg && w->cache != CACHE_COLD)
        ret = cache_prepare(fd, label, w->file_size_bytes, CACHE_COLD, COLD_FADVISE, ours);
    if (ret == 0)
        ret = cache_prepare(fd, label, w->file_size_bytes, w->cache, w->cold_method, ours);
    rec->prepare_ns = timer_monotonic_ns() - t0;
    if (ret < 0) {
        snprintf(rec->error, sizeof(rec->error), "could not bring the page cache to state %s: %s",
                 w->cache == CACHE_COLD ? "cold" : "warm", strerror(-ret));
        rec->status = RUN_FAILED;
        cache_cgroup_leave(cg);
        return;
    }
    if (cache_residency(fd, w->file_size_bytes, &rec->resident_before_pct) < 0)
        rec->resident_before_pct = NAN;
    rec->cache_state_reached = cache_reached(w->cache, rec->resident_before_pct);

    struct phase_input in = {
        .w = w,
        .backend = backend,
        .fd = fd,
        .label = label,
        .perf = r->env->perf,
        .kc_source = src,
    };
    hist_init(out->latency);
    hist_init(out->flush);
    phase_run(&in, out);
    if (cache_residency(fd, w->file_size_bytes, &rec->resident_after_pct) < 0)
        rec->resident_after_pct = NAN;
    cache_cgroup_leave(cg);
}

/* Fisher-Yates shuffle of the backends of one round, from the workload's seed: the order
 * is random (no backend always goes first) yet reproducible, and recorded. */
static void shuffle(unsigned *list, unsigned n, struct prng *p)
{
    for (unsigned i = n; i > 1; i--) {
        unsigned j = (unsigned)prng_below(p, i);
        unsigned tmp = list[i - 1];
        list[i - 1] = list[j];
        list[j] = tmp;
    }
}

static double median_of(const double *x, size_t n)
{
    return n ? stats_median(x, n) : NAN;
}

/* Median over the measured ok runs of (numerator / ops); NAN when unavailable. */
static double per_op_median(const struct results *res, size_t first, unsigned b,
                            double (*value)(const struct run_record *))
{
    double x[STATS_MAX_SAMPLES];
    size_t n = 0;
    for (size_t i = first; i < res->n_runs && n < STATS_MAX_SAMPLES; i++) {
        const struct run_record *rec = &res->runs[i];
        if (rec->backend != b || rec->warmup || rec->status != RUN_OK)
            continue;
        double v = value(rec);
        if (!isnan(v))
            x[n++] = v;
    }
    return median_of(x, n);
}

static double v_faults(const struct run_record *r)
{
    return r->ops ? (double)(r->minflt + r->majflt) / (double)r->ops : NAN;
}
static double v_majfaults(const struct run_record *r)
{
    return r->ops ? (double)r->majflt / (double)r->ops : NAN;
}
static double v_dev_read(const struct run_record *r)
{
    return r->ops && r->kc_have[KC_DEV_READ_BYTES]
               ? (double)r->kc[KC_DEV_READ_BYTES] / (double)r->ops
               : NAN;
}
static double v_readahead(const struct run_record *r)
{
    return r->readahead_amplification;
}
static double v_cycles(const struct run_record *r)
{
    return r->ops && r->perf_have[PERF_CYCLES] ? (double)r->perf[PERF_CYCLES] / (double)r->ops
                                               : NAN;
}
static double v_instructions(const struct run_record *r)
{
    return r->ops && r->perf_have[PERF_INSTRUCTIONS]
               ? (double)r->perf[PERF_INSTRUCTIONS] / (double)r->ops
               : NAN;
}
static double v_dtlb(const struct run_record *r)
{
    return r->ops && r->perf_have[PERF_DTLB_LOAD_MISSES]
               ? (double)r->perf[PERF_DTLB_LOAD_MISSES] / (double)r->ops
               : NAN;
}
static double v_flush_share(const struct run_record *r)
{
    return r->flush_share_pct;
}
static double v_setup(const struct run_record *r)
{
    return (double)r->setup_ns;
}
static double v_teardown(const struct run_record *r)
{
    return (double)r->teardown_ns;
}
static double v_res_before(const struct run_record *r)
{
    return r->resident_before_pct;
}
static double v_res_after(const struct run_record *r)
{
    return r->resident_after_pct;
}
static double v_ops_s(const struct run_record *r)
{
    return r->ops_s;
}

/* Aggregates of one backend of the workload, and the warnings they call for. */
static void summarize_backend(struct runner *r, const struct workload *w, unsigned wi, unsigned b,
                              size_t first)
{
    struct results *res = r->res;
    const char *bname = backend_get(b)->name;
    struct results_summary s;
    memset(&s, 0, sizeof(s));
    s.workload = wi;
    s.backend = b;
    double tput[STATS_MAX_SAMPLES];
    size_t n = 0;
    for (size_t i = first; i < res->n_runs; i++) {
        const struct run_record *rec = &res->runs[i];
        if (rec->backend != b || rec->warmup)
            continue;
        if (rec->status == RUN_OK && n < STATS_MAX_SAMPLES)
            tput[n++] = rec->tput_mib_s;
        else if (rec->status == RUN_FAILED)
            s.n_failed++;
        if (rec->status == RUN_OK && !rec->cache_state_reached)
            s.cache_state_missed++;
    }
    s.n_ok = n;
    stats_summarize(tput, n, w->seed ^ (0x51a7ULL + b), &s.tput);
    s.ops_s_median = per_op_median(res, first, b, v_ops_s);
    struct hist *lat = r->hists[b].latency, *fl = r->hists[b].flush;
    hist_summarize(lat, &s.latency);
    hist_summarize(fl, &s.flush);
    s.flush_share_pct = per_op_median(res, first, b, v_flush_share);
    s.faults_per_op = per_op_median(res, first, b, v_faults);
    s.major_faults_per_op = per_op_median(res, first, b, v_majfaults);
    s.dev_read_bytes_per_op = per_op_median(res, first, b, v_dev_read);
    s.readahead_amplification = per_op_median(res, first, b, v_readahead);
    s.cycles_per_op = per_op_median(res, first, b, v_cycles);
    s.instructions_per_op = per_op_median(res, first, b, v_instructions);
    s.dtlb_misses_per_op = per_op_median(res, first, b, v_dtlb);
    s.setup_ns = per_op_median(res, first, b, v_setup);
    s.teardown_ns = per_op_median(res, first, b, v_teardown);
    s.resident_before_pct = per_op_median(res, first, b, v_res_before);
    s.resident_after_pct = per_op_median(res, first, b, v_res_after);
    if (results_hist_save(res, lat, &s.latency_hist) < 0 ||
        results_hist_save(res, fl, &s.flush_hist) < 0)
        log_warn("could not store the histograms of %s/%s", w->name, bname);
    results_add_summary(res, &s);

    warnings_check_series(res, (int)wi, w, bname, tput, n, &s);
}

static uint64_t final_or_checkpoint(const struct run_check *c, unsigned k)
{
    return k == PHASE_CHECKPOINTS ? c->checksum : c->checkpoint[k];
}

/* Compares the checksums of every successful run of a read-only workload: the same
 * offset stream must read the same data, whatever the backend. */
static void verify_checksums(struct runner *r, const struct workload *w,
                             struct results_comparison *cmp, size_t first_run)
{
    const struct run_check *ref = NULL;
    for (size_t i = 0; i < r->n_checks && !ref; i++)
        if (r->checks[i].ok)
            ref = &r->checks[i];
    if (workload_writes(w)) {
        snprintf(cmp->checksum, sizeof(cmp->checksum), "n/a (writes change the data read)");
        return;
    }
    if (!ref) {
        snprintf(cmp->checksum, sizeof(cmp->checksum), "n/a (no successful run)");
        return;
    }
    bool all_final = true;
    unsigned common = PHASE_CHECKPOINTS; /* smallest checkpoint count */
    size_t compared = 0;
    for (size_t i = 0; i < r->n_checks; i++) {
        const struct run_check *c = &r->checks[i];
        if (!c->ok)
            continue;
        all_final = all_final && c->ops_exact && c->ops == ref->ops;
        common = c->n_checkpoints < common ? c->n_checkpoints : common;
    }
    unsigned k;
    char scope[64];
    if (all_final) {
        k = PHASE_CHECKPOINTS;
        snprintf(scope, sizeof(scope), "all %llu operations", (unsigned long long)ref->ops);
    } else if (common > 0) {
        k = common - 1;
        snprintf(scope, sizeof(scope), "first %llu operations per thread",
                 (unsigned long long)PHASE_BATCH_OPS << k);
    } else {
        snprintf(cmp->checksum, sizeof(cmp->checksum),
                 "unverified (fewer than %d operations per thread)", PHASE_BATCH_OPS);
        return;
    }
    for (size_t i = 0; i < r->n_checks; i++) {
        const struct run_check *c = &r->checks[i];
        if (!c->ok)
            continue;
        compared++;
        if (final_or_checkpoint(c, k) == final_or_checkpoint(ref, k))
            continue;
        cmp->checksum_mismatch = true;
        snprintf(cmp->checksum, sizeof(cmp->checksum), "MISMATCH over the %s", scope);
        /* Fail loudly: the backends did not read the same data. */
        for (size_t j = first_run; j < r->res->n_runs; j++) {
            struct run_record *rec = &r->res->runs[j];
            if (rec->backend == c->backend && rec->round == c->round && rec->status == RUN_OK) {
                rec->status = RUN_FAILED;
                snprintf(rec->error, sizeof(rec->error),
                         "checksum %016llx differs from the %s run's %016llx over the %s",
                         (unsigned long long)final_or_checkpoint(c, k),
                         backend_get(ref->backend)->name,
                         (unsigned long long)final_or_checkpoint(ref, k), scope);
                r->res->any_failed = true;
            }
        }
        log_error("%s: checksum mismatch between %s and %s over the %s: the backends did not "
                  "read the same data",
                  w->name, backend_get(ref->backend)->name, backend_get(c->backend)->name, scope);
        return;
    }
    snprintf(cmp->checksum, sizeof(cmp->checksum), "match (%zu runs, %s)", compared, scope);
}

static void compare_backends(struct runner *r, const struct workload *w, unsigned wi,
                             size_t first_run)
{
    struct results *res = r->res;
    struct results_comparison cmp;
    memset(&cmp, 0, sizeof(cmp));
    cmp.workload = wi;
    cmp.ratio = cmp.ci_low = cmp.ci_high = NAN;
    int mmap_b = backend_find("mmap"), pread_b = backend_find("pread");
    double a[STATS_MAX_SAMPLES], b[STATS_MAX_SAMPLES];
    size_t na = 0, nb = 0;
    for (size_t i = first_run; i < res->n_runs; i++) {
        const struct run_record *rec = &res->runs[i];
        if (rec->warmup || rec->status != RUN_OK)
            continue;
        if ((int)rec->backend == mmap_b && na < STATS_MAX_SAMPLES)
            a[na++] = rec->tput_mib_s;
        if ((int)rec->backend == pread_b && nb < STATS_MAX_SAMPLES)
            b[nb++] = rec->tput_mib_s;
    }
    if (na && nb) {
        cmp.ratio = stats_ratio_ci(a, na, b, nb, w->seed ^ 0xc0ffeeULL, &cmp.ci_low, &cmp.ci_high);
        cmp.have_ratio = !isnan(cmp.ratio);
    }
    if (!cmp.have_ratio) {
        snprintf(cmp.verdict, sizeof(cmp.verdict), "n/a (needs successful mmap and pread runs)");
    } else if (isnan(cmp.ci_low)) {
        snprintf(cmp.verdict, sizeof(cmp.verdict),
                 "%s %.2fx faster (no interval: fewer than %d "
                 "repetitions)",
                 cmp.ratio >= 1 ? "mmap" : "pread", cmp.ratio >= 1 ? cmp.ratio : 1 / cmp.ratio,
                 STATS_MIN_CI_SAMPLES);
    } else if (cmp.ci_low > 1) {
        snprintf(cmp.verdict, sizeof(cmp.verdict), "mmap %.2fx faster [%.2f, %.2f]", cmp.ratio,
                 cmp.ci_low, cmp.ci_high);
    } else if (cmp.ci_high < 1) {
        snprintf(cmp.verdict, sizeof(cmp.verdict), "pread %.2fx faster [%.2f, %.2f]", 1 / cmp.ratio,
                 1 / cmp.ci_high, 1 / cmp.ci_low);
    } else {
        snprintf(cmp.verdict, sizeof(cmp.verdict),
                 "no significant difference (mmap/pread %.2f [%.2f, %.2f])", cmp.ratio, cmp.ci_low,
                 cmp.ci_high);
    }
    verify_checksums(r, w, &cmp, first_run);
    results_add_comparison(res, &cmp);
}

/* Keeps what the checksum verification of the workload needs of a run. */
static void remember_check(struct runner *r, const struct run_record *rec,
                           const struct phase_output *out)
{
    if (!r->checks)
        return;
    struct run_check *c = &r->checks[r->n_checks++];
    c->backend = rec->backend;
    c->round = rec->round;
    c->ok = rec->status == RUN_OK;
    c->ops_exact = out->ops_exact;
    c->ops = rec->ops;
    c->checksum = rec->checksum;
    c->n_checkpoints = out->n_checkpoints;
    memcpy(c->checkpoint, out->checkpoint, sizeof(c->checkpoint));
}

/* Records a run that could not happen (no data file), so the results say why: failed, or
 * interrupted when a stop came while the file was being created. */
static void record_failure(struct runner *r, unsigned wi, unsigned b, unsigned round,
                           const struct workload *w, enum run_status status, const char *why)
{
    struct run_record rec;
    memset(&rec, 0, sizeof(rec));
    rec.workload = wi;
    rec.backend = b;
    rec.round = round;
    rec.warmup = round < w->warmup;
    rec.status = status;
    rec.threads = w->threads;
    rec.flush_call = backend_get(b)->flush_call(w->sync);
    rec.resident_before_pct = rec.resident_after_pct = rec.readahead_amplification = NAN;
    snprintf(rec.error, sizeof(rec.error), "%s", why);
    results_add_run(r->res, &rec);
}

static int run_workload(struct runner *r, unsigned wi)
{
    const struct workload *w = &r->workloads[wi];
    struct results *res = r->res;
    size_t first_run = res->n_runs;
    unsigned list[MAX_BACKENDS];
    unsigned nb = backend_list(w->backend_mask, list);
    unsigned rounds = w->warmup + w->repetitions;

    /* An existing file (key file) is only read: opened here, never created or removed.
     * A data file's descriptor is the set's, held for the run: never reopened by path. */
    const char *label = w->file;
    int fd = -1;
    char failed[RESULTS_TEXT_MAX];
    int ret = 0;
    if (!w->file) {
        ret = datafile_get(r->env->files, wi, &fd, &label, failed, sizeof(failed));
    } else if ((fd = open(w->file, O_RDONLY | O_CLOEXEC)) < 0) {
        ret = -errno;
        snprintf(failed, sizeof(failed), "open(%s): %s", w->file, strerror(-ret));
    }
    if (ret < 0) {
        bool stop = ret == -EINTR || signals_stop_requested();
        char why[RESULTS_TEXT_MAX];
        snprintf(why, sizeof(why), "no data file in %s: %s", workload_target(w), failed);
        if (!stop)
            log_error("%s: %s", w->name, why);
        for (unsigned round = 0; round < rounds; round++)
            for (unsigned i = 0; i < nb; i++)
                record_failure(r, wi, list[i], round, w, stop ? RUN_INTERRUPTED : RUN_FAILED, why);
        return stop ? -EINTR : 0;
    }
    struct kcounters_source src;
    kcounters_source_init(&src, workload_target(w));

    free(r->checks);
    r->checks = calloc((size_t)rounds * nb, sizeof(*r->checks));
    r->n_checks = 0;
    for (unsigned i = 0; i < nb; i++) {
        hist_init(r->hists[list[i]].latency);
        hist_init(r->hists[list[i]].flush);
    }
    struct prng order;
    prng_seed(&order, w->seed ^ 0x6f72646572ULL ^ wi);
    unsigned sequence = 0;
    bool interrupted = false, discarded = false;
    for (unsigned round = 0; round < rounds && !interrupted; round++) {
        unsigned perm[MAX_BACKENDS];
        memcpy(perm, list, nb * sizeof(*perm));
        shuffle(perm, nb, &order);
        for (unsigned i = 0; i < nb && !interrupted; i++) {
            unsigned b = perm[i];
            bool warmup = round < w->warmup;
            progress_show(&r->progress, wi, r->n_workloads, w->name, backend_get(b)->name,
                          warmup ? round + 1 : round - w->warmup + 1,
                          warmup ? w->warmup : w->repetitions, warmup);
            struct run_record rec;
            memset(&rec, 0, sizeof(rec));
            rec.workload = wi;
            rec.backend = b;
            rec.round = round;
            rec.sequence = sequence++;
            rec.warmup = warmup;
            struct phase_output out = {
                .rec = &rec, .latency = r->phase_latency, .flush = r->phase_flush};
            run_one(r, w, b, label, fd, &src, &rec, &out);
            progress_phase_done(&r->progress);
            if (rec.status == RUN_FAILED && !discarded) {
                struct stat st;
                /* A data file of ours that shrank is gone for good: make a new one. */
                if (!w->file && fstat(fd, &st) == 0 && (uint64_t)st.st_size != w->file_size_bytes) {
                    datafile_discard(r->env->files, fd);
                    discarded = true;
                }
                progress_clear(&r->progress);
                log_error("%s/%s: %s", w->name, backend_get(b)->name, rec.error);
            }
            if (rec.status == RUN_OK && !warmup) {
                hist_merge(r->hists[b].latency, out.latency);
                hist_merge(r->hists[b].flush, out.flush);
            }
            remember_check(r, &rec, &out);
            if (results_add_run(res, &rec) < 0)
                log_error("out of memory storing a run");
            long rss = sysinfo_rss_anon_kib();
            res->rss_anon_max_kib = rss > res->rss_anon_max_kib ? rss : res->rss_anon_max_kib;
            interrupted = rec.status == RUN_INTERRUPTED || signals_stop_requested();
            if (discarded)
                break;
        }
        if (discarded)
            break;
    }
    if (w->file)
        close(fd);
    progress_clear(&r->progress);
    for (unsigned i = 0; i < nb; i++)
        summarize_backend(r, w, wi, list[i], first_run);
    compare_backends(r, w, wi, first_run);
    return interrupted ? -EINTR : 0;
}

int runner_run(const struct workload *workloads, size_t n, struct results *res,
               const struct runner_env *env)
{
    struct runner r = {.workloads = workloads, .n_workloads = n, .res = res, .env = env};
    int ret = 0;
    progress_init(&r.progress, env->progress, runner_phase_count(workloads, n));
    log_set_erase_line(env->progress);
    r.phase_latency = results_hist_alloc();
    r.phase_flush = results_hist_alloc();
    bool ok = r.phase_latency && r.phase_flush;
    for (size_t b = 0; b < backend_count() && b < MAX_BACKENDS && ok; b++) {
        r.hists[b].latency = results_hist_alloc();
        r.hists[b].flush = results_hist_alloc();
        ok = r.hists[b].latency && r.hists[b].flush;
    }
    if (!ok) {
        log_error("out of memory for histograms");
        ret = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        ret = run_workload(&r, (unsigned)i);
        datafile_release(env->files, i, env->keep_files);
        if (ret == -EINTR)
            res->interrupted = true;
        if (env->workload_done)
            env->workload_done(env->workload_done_arg, i);
        if (ret == -EINTR)
            break;
    }
out:
    progress_clear(&r.progress);
    log_set_erase_line(false);
    free(r.checks);
    results_hist_free(r.phase_latency);
    results_hist_free(r.phase_flush);
    for (size_t b = 0; b < MAX_BACKENDS; b++) {
        results_hist_free(r.hists[b].latency);
        results_hist_free(r.hists[b].flush);
    }
    return ret;
}
