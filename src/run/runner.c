#include "runner.h"

#include "aggregate.h"
#include "backend.h"
#include "cache.h"
#include "checks.h"
#include "errmsg.h"
#include "folios.h"
#include "kcounters.h"
#include "kind.h"
#include "log.h"
#include "phase.h"
#include "prng.h"
#include "progress.h"
#include "settings.h"
#include "signals.h"
#include "sysinfo.h"
#include "timer.h"
#include "verdict.h"

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

struct runner {
    const struct workload *workloads;
    size_t n_workloads;
    struct results *res;
    const struct runner_env *env;
    struct progress progress;
    struct hist *phase_latency; /* scratch for one phase */
    struct hist *phase_flush;
    struct workload_result wr; /* the workload being run */
    struct settings *settings; /* its kernel settings, NULL for none */
};

/* Rounds of a workload, in order: warm-ups, the measured ones, then the extra runs beside
 * them (results.h, enum run_role): with latency: all, LATENCY_OFF_ROUNDS with latency off,
 * to measure what timing every operation costs; with profile, one profiled round. */
#define LATENCY_OFF_ROUNDS 3

static unsigned latency_off_rounds(const struct workload *w)
{
    if (w->latency != LATENCY_ALL || kind_of(w)->run) /* the io kind only */
        return 0;
    return w->repetitions < LATENCY_OFF_ROUNDS ? w->repetitions : LATENCY_OFF_ROUNDS;
}

static unsigned rounds_of(const struct workload *w)
{
    return w->warmup + w->repetitions + latency_off_rounds(w) +
           (w->profile && !kind_of(w)->run ? 1 : 0);
}

/* The role of round, and its number among the rounds of that role (from 1) and their count,
 * for the progress line. */
static enum run_role role_of(const struct workload *w, unsigned round, unsigned *nth, unsigned *of)
{
    unsigned first = 0;
    const struct {
        enum run_role role;
        unsigned count;
    } parts[] = {
        {RUN_WARMUP, w->warmup},
        {RUN_MEASURED, w->repetitions},
        {RUN_LATENCY_OFF, latency_off_rounds(w)},
        {RUN_PROFILED, w->profile && !kind_of(w)->run ? 1u : 0u},
    };
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (round < first + parts[i].count) {
            *nth = round - first + 1;
            *of = parts[i].count;
            return parts[i].role;
        }
        first += parts[i].count;
    }
    *nth = *of = 1;
    return RUN_MEASURED;
}

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
        phases += (size_t)backend_list(workloads[i].backend_mask, list) * rounds_of(&workloads[i]);
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
        total += phase * backend_list(w->backend_mask, list) * rounds_of(w);
    }
    return total;
}

int runner_preflight(const struct workload *workloads, size_t n, char *err, size_t err_len)
{
    for (size_t i = 0; i < n; i++) {
        char why[400];
        if (workloads[i].profile && profile_check_support(why, sizeof(why)) < 0) {
            return errmsg_set(err, err_len, -EPERM, "%s: profile: %s", workloads[i].name, why);
        }
    }
    for (size_t i = 0; i < n; i++) {
        char why[400];
        int ret = cache_check_support(&workloads[i], why, sizeof(why));
        if (ret < 0) {
            return errmsg_set(err, err_len, ret, "%s: %s", workloads[i].name, why);
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

static void run_kind(struct runner *r, const struct kind_ops *kind, const struct workload *w,
                     unsigned b, const char *label, int fd, const struct kcounters_source *src,
                     struct phase_output *out);

/* One repetition of workload w on backend b: cache state, phase, residency. */
static void run_one(struct runner *r, const struct workload *w, unsigned b, const char *label,
                    int fd, const struct kcounters_source *src, struct run_record *rec,
                    struct phase_output *out)
{
    const struct profile_options profile = {.frequency_hz = w->profile_frequency_hz,
                                            .offcpu = true};
    const struct backend_ops *backend = backend_get(b);
    rec->flush_call = backend->flush_call(w->sync);
    rec->resident_before_pct = rec->resident_after_pct = NAN;
    for (int c = 0; c < PERF_COUNT; c++)
        rec->perf_have[c] = false;

    struct stat st;
    bool ours = w->file == NULL;
    if (ours && fstat(fd, &st) < 0) {
        snprintf(rec->error, sizeof(rec->error), "fstat(%s): %s", label, strerror(errno));
        rec->status = RUN_FAILED;
        return;
    }
    if (ours && (uint64_t)st.st_size != w->file_size_bytes) {
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
    /* The workload's kernel settings hold from before the cache preparation to the end of
     * the phase, on a file description opened after they were applied (readahead is taken
     * when a file is opened): the runner's own and the backend's. */
    char why[1024];
    if (settings_apply(r->settings, rec->kernel_settings, sizeof(rec->kernel_settings), why,
                       sizeof(why)) < 0) {
        snprintf(rec->error, sizeof(rec->error), "kernel settings not applied: %s", why);
        rec->status = RUN_FAILED;
        cache_cgroup_leave(cg);
        return;
    }
    int held_fd = fd;
    fd = backend_reopen(held_fd, label, ours ? O_RDWR : O_RDONLY);
    if (fd < 0) {
        snprintf(rec->error, sizeof(rec->error), "reopen %s: %s", label, strerror(-fd));
        rec->status = RUN_FAILED;
        goto out;
    }
    uint64_t t0 = timer_monotonic_ns();
    /* Write back what earlier phases left dirty: no phase pays for another's writes. */
    if (ours && fsync(fd) < 0)
        log_warn("fsync(%s) before the phase: %s", label, strerror(errno));
    int ret = 0;
    /* Pages cached earlier stay charged to the cgroup that read them: drop them, so that
     * what this phase caches is charged to (and limited by) the new cgroup. */
    if (cg && w->cache != CACHE_COLD)
        ret = cache_prepare(fd, label, w->file_size_bytes, CACHE_COLD, COLD_FADVISE, WARM_FILL_KEEP,
                            ours);
    if (ret == 0)
        ret = cache_prepare(fd, label, w->file_size_bytes, w->cache, w->cold_method, w->warm_fill,
                            ours);
    rec->prepare_ns = timer_monotonic_ns() - t0;
    if (ret < 0) {
        snprintf(rec->error, sizeof(rec->error), "could not bring the page cache to state %s: %s",
                 cache_names[w->cache], strerror(-ret));
        rec->status = RUN_FAILED;
        goto out;
    }
    t0 = timer_monotonic_ns();
    ret = folios_census(fd, w->file_size_bytes, &rec->folios, why, sizeof(why));
    rec->folio_census_ns = timer_monotonic_ns() - t0;
    rec->have_folios = ret == 0;
    if (ret < 0 && ret != -EPERM && ret != -EACCES) /* without root: empty columns, no noise */
        log_warn("%s/%s: no folio census: %s", w->name, backend->name, why);
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
        .latency = rec->role == RUN_LATENCY_OFF ? LATENCY_OFF : w->latency,
        .profile = rec->role == RUN_PROFILED ? &profile : NULL,
        .timeline_interval_ns = w->timeline_interval_ns,
        .timeline = &r->wr,
    };
    hist_init(out->latency);
    hist_init(out->flush);
    const struct kind_ops *kind = kind_of(w);
    if (kind->run)
        run_kind(r, kind, w, b, label, fd, src, out);
    else
        phase_run(&in, out);
    if (cache_residency(fd, w->file_size_bytes, &rec->resident_after_pct) < 0)
        rec->resident_after_pct = NAN;
out:
    if (fd >= 0 && fd != held_fd)
        close(fd);
    if (settings_restore(r->settings, why, sizeof(why)) < 0) {
        log_error("kernel settings not restored after %s/%s: %s", w->name, backend->name, why);
        snprintf(rec->note + strlen(rec->note), sizeof(rec->note) - strlen(rec->note),
                 "%skernel settings not restored (see the log)", rec->note[0] ? "; " : "");
    }
    cache_cgroup_leave(cg);
}

/* One repetition of a kind other than io (kinds/kind.h): its figures into the record,
 * a claim's verdict and evidence into the workload's result. */
static void run_kind(struct runner *r, const struct kind_ops *kind, const struct workload *w,
                     unsigned b, const char *label, int fd, const struct kcounters_source *src,
                     struct phase_output *out)
{
    struct run_record *rec = out->rec;
    int dir_fd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct kind_input in = {
        .w = w,
        .opts = workload_options(w, KIND_FIRST_SLOT + (unsigned)w->kind),
        .backend = b,
        .fd = fd,
        .label = label,
        .dir_fd = dir_fd,
        .kc = src,
    };
    struct kind_output ko;
    memset(&ko, 0, sizeof(ko));
    ko.rec = rec;
    ko.latency = out->latency;
    for (int m = 0; m < KIND_METRICS_MAX; m++)
        ko.metric[m] = NAN;
    if (kind->run(&in, &ko) < 0 && rec->status == RUN_OK)
        rec->status = RUN_FAILED;
    if (dir_fd >= 0)
        close(dir_fd);
    memcpy(rec->kind_metric, ko.metric, sizeof(rec->kind_metric));
    hist_summarize(out->latency, &rec->latency);
    double seconds = (double)rec->elapsed_ns / 1e9;
    rec->tput_mib_s = seconds > 0 ? (double)rec->bytes / 1048576.0 / seconds : NAN;
    rec->ops_s = seconds > 0 ? (double)rec->ops / seconds : NAN;
    if (rec->status == RUN_OK && rec->role == RUN_MEASURED && ko.text[0]) {
        r->wr.claim_verdicts[ko.verdict < 3 ? ko.verdict : 2]++;
        snprintf(r->wr.claim_evidence, sizeof(r->wr.claim_evidence), "%s", ko.text);
        memcpy(r->wr.claim_figures, ko.figures, sizeof(ko.figures));
        r->wr.n_claim_figures = ko.n_figures;
    }
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

/* Records a run that could not happen (no data file), so the results say why: failed, or
 * interrupted when a stop came while the file was being created. */
static void record_failure(struct runner *r, unsigned b, unsigned round, const struct workload *w,
                           enum run_status status, const char *why)
{
    struct run_record rec;
    memset(&rec, 0, sizeof(rec));
    rec.workload = r->wr.workload;
    rec.backend = b;
    rec.round = round;
    unsigned nth, of;
    rec.role = role_of(w, round, &nth, &of);
    rec.status = status;
    rec.flush_call = backend_get(b)->flush_call(w->sync);
    rec.resident_before_pct = rec.resident_after_pct = NAN;
    snprintf(rec.error, sizeof(rec.error), "%s", why);
    if (workload_result_add_run(&r->wr, &rec, NULL) < 0)
        log_error("out of memory storing a run");
}

/* Runs the rounds of workload wi into r->wr. Returns -EINTR when a stop was requested. */
static int run_rounds(struct runner *r, unsigned wi)
{
    const struct workload *w = &r->workloads[wi];
    unsigned list[MAX_BACKENDS];
    unsigned nb = backend_list(w->backend_mask, list);
    unsigned rounds = rounds_of(w);

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
    /* Checked before the run, so this fails only if the kernel changed since. */
    char settings_failed[RESULTS_TEXT_MAX];
    int settings_ret =
        ret == 0 ? settings_create(w, &r->settings, settings_failed, sizeof(settings_failed)) : 0;
    if (ret < 0 || settings_ret < 0) {
        bool stop = ret == -EINTR || signals_stop_requested();
        char why[RESULTS_TEXT_MAX];
        if (ret < 0)
            snprintf(why, sizeof(why), "no data file in %s: %s", workload_target(w), failed);
        else
            snprintf(why, sizeof(why), "kernel settings refused: %s", settings_failed);
        if (w->file && fd >= 0)
            close(fd);
        if (!stop)
            log_error("%s: %s", w->name, why);
        for (unsigned round = 0; round < rounds; round++)
            for (unsigned i = 0; i < nb; i++)
                record_failure(r, list[i], round, w, stop ? RUN_INTERRUPTED : RUN_FAILED, why);
        return stop ? -EINTR : 0;
    }
    struct kcounters_source src;
    kcounters_source_init(&src, workload_target(w));

    struct prng order;
    prng_seed(&order, w->seed ^ 0x6f72646572ULL ^ wi);
    unsigned sequence = 0;
    bool interrupted = false, discarded = false;
    for (unsigned round = 0; round < rounds && !interrupted && !discarded; round++) {
        unsigned perm[MAX_BACKENDS];
        memcpy(perm, list, nb * sizeof(*perm));
        shuffle(perm, nb, &order);
        for (unsigned i = 0; i < nb && !interrupted && !discarded; i++) {
            unsigned b = perm[i], nth, of;
            enum run_role role = role_of(w, round, &nth, &of);
            progress_show(&r->progress, wi, r->n_workloads, w->name, backend_get(b)->name, nth, of,
                          run_role_names[role]);
            struct run_record rec;
            memset(&rec, 0, sizeof(rec));
            rec.workload = wi;
            rec.backend = b;
            rec.round = round;
            rec.sequence = sequence++;
            rec.role = role;
            struct phase_output out = {
                .rec = &rec, .latency = r->phase_latency, .flush = r->phase_flush};
            run_one(r, w, b, label, fd, &src, &rec, &out);
            progress_phase_done(&r->progress);
            if (rec.status == RUN_FAILED) {
                struct stat st;
                /* A data file of ours that shrank is gone for good: make a new one. */
                if (!w->file && fstat(fd, &st) == 0 && (uint64_t)st.st_size != w->file_size_bytes) {
                    datafile_discard(r->env->files, fd);
                    discarded = true;
                }
                progress_clear(&r->progress);
                log_error("%s/%s: %s", w->name, backend_get(b)->name, rec.error);
            }
            if (rec.status == RUN_OK && role == RUN_MEASURED) {
                hist_merge(r->wr.latency[b], out.latency);
                hist_merge(r->wr.flush[b], out.flush);
            }
            if (out.profile) {
                profile_free(r->wr.profiles[b]); /* one profiled round: only if retried */
                r->wr.profiles[b] = out.profile;
            }
            if (workload_result_add_run(&r->wr, &rec, &out.check) < 0)
                log_error("out of memory storing a run");
            long rss = sysinfo_rss_anon_kib();
            r->res->rss_anon_max_kib =
                rss > r->res->rss_anon_max_kib ? rss : r->res->rss_anon_max_kib;
            interrupted = rec.status == RUN_INTERRUPTED || signals_stop_requested();
        }
    }
    settings_free(r->settings);
    r->settings = NULL;
    if (w->file)
        close(fd);
    progress_clear(&r->progress);
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
    if (!r.phase_latency || !r.phase_flush || workload_result_init(&r.wr, 0, workloads) < 0) {
        log_error("out of memory for histograms");
        ret = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        workload_result_reset(&r.wr, (unsigned)i, &workloads[i]);
        ret = run_rounds(&r, (unsigned)i);
        datafile_release(env->files, i, env->keep_files);
        r.wr.interrupted = ret == -EINTR;
        /* Verified before anything is stored: a mismatching run is failed, not counted. */
        checks_verify(&r.wr);
        aggregate_workload(&r.wr, res);
        verdict_workload(&r.wr);
        if (env->workload_done)
            env->workload_done(env->workload_done_arg, &r.wr);
        results_account(res, &r.wr);
        if (ret == -EINTR)
            break;
    }
out:
    progress_clear(&r.progress);
    log_set_erase_line(false);
    workload_result_free(&r.wr);
    results_hist_free(r.phase_latency);
    results_hist_free(r.phase_flush);
    return ret;
}
