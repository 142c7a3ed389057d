/* The console summary on stdout: a few lines of context, a table per workload with the
 * verdict, and where the results went. Diagnostics go to stderr, never here. */
#include "backend.h"
#include "explain.h"
#include "kind.h"
#include "levels.h"
#include "metrics.h"
#include "params.h"
#include "report.h"
#include "units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void report_console_header(FILE *out, const struct report_input *in)
{
    const struct sysinfo_context *si = in->si;
    fprintf(out, "mmbench %s: %s (%s)%s%s\n", si->version, in->config_name, in->config_source,
            in->config_description ? ": " : "",
            in->config_description ? in->config_description : "");
    fprintf(out, "machine: %s%s%s, %d CPUs, %.1f GiB RAM, Linux %s, THP %s, timer %s (%.0f ns)\n",
            si->cpu_brand, strcmp(si->hypervisor, "none") ? " under " : "",
            strcmp(si->hypervisor, "none") ? si->hypervisor : "", si->online_cpus,
            (double)si->ram_bytes / (1ULL << 30), si->kernel_release, sysinfo_setting(si, "thp"),
            in->timer->source, in->timer->cost_ns);
    for (size_t i = 0; i < si->n_targets; i++) {
        const struct sysinfo_target *t = &si->targets[i];
        fprintf(out, "data: %s on %s", t->real_dir, t->fs_type);
        if (t->block_device[0])
            fprintf(out, " (%s, read_ahead_kb %ld)", t->block_device, t->read_ahead_kb);
        if (strncmp(t->large_folios, "n/a", 3) != 0)
            fprintf(out, ", large folios: %.3s", t->large_folios);
        fputc('\n', out);
    }
}

static void workload_line(FILE *out, const struct workload *w)
{
    const struct kind_ops *kind = kind_of(w);
    if (kind->run) {
        char file[32];
        fprintf(out, "\n%s: kind %s, %s file, cache %s, %u repetition%s (+%u warm-up)", w->name,
                kind->name, units_format_size(w->file_size_bytes, file, sizeof(file)),
                cache_names[w->cache], w->repetitions, w->repetitions == 1 ? "" : "s", w->warmup);
        int slot = KIND_FIRST_SLOT + w->kind;
        for (size_t p = 0; p < params_count(); p++) {
            const struct param_def *d = params_at(p);
            if (param_slot(d) == slot) {
                char value[64];
                fprintf(out, ", %s %s", d->name, param_format_config(d, w, value, sizeof(value)));
            }
        }
        fputc('\n', out);
        return;
    }
    char block[32], file[32], dur[32];
    units_format_size(w->block_size_bytes, block, sizeof(block));
    units_format_size(w->file_size_bytes, file, sizeof(file));
    if (w->ops)
        snprintf(dur, sizeof(dur), "%llu ops", (unsigned long long)w->ops);
    else
        units_format_duration(w->duration_ns, dur, sizeof(dur));
    const char *workers = w->workers == WORKERS_PROCESSES
                              ? (w->threads == 1 ? "worker process" : "worker processes")
                              : (w->threads == 1 ? "thread" : "threads");
    fprintf(out, "\n%s: %s %s, %s blocks over %s, cache %s, %u x %s (+%u warm-up), %u %s\n",
            w->name, pattern_names[w->pattern], op_names[w->op], block, file, cache_names[w->cache],
            w->repetitions, dur, w->warmup, w->threads, workers);
}

/* "device wrote 3.46x the bytes written; the workers dirtied 3.46x (whole folios)" */
static const char *write_line(const struct results_summary *s, const struct workload *w, char *buf,
                              size_t len)
{
    double dev = s->metric[METRIC_WRITE_AMPLIFICATION];
    double task = s->metric[METRIC_TASK_WRITE_AMPLIFICATION];
    char dirtied[32];
    units_format_bytes_short(task * (double)w->block_size_bytes, dirtied, sizeof(dirtied));
    int n = isnan(dev)   ? snprintf(buf, len, "device writes n/a (no block device)")
            : dev < 0.01 ? snprintf(buf, len,
                                    "the device wrote %.2g%% of the bytes written during the "
                                    "phase (the page cache held the rest)",
                                    100 * dev)
                         : snprintf(buf, len, "the device wrote %.3gx the bytes written", dev);
    if (!isnan(task) && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "; the workers dirtied %.3gx (%s per %s operation)",
                 task, dirtied, units_format_size(w->block_size_bytes, (char[32]){0}, 32));
    return buf;
}

/* The top three kernel symbols, the kernel's share, and the top wait. */
static void profile_line(const struct profile *p, char *buf, size_t len)
{
    struct profile_symbol top[3], wait[1];
    size_t n = profile_top(p, PROFILE_KERNEL, top, 3);
    struct profile_stats st;
    profile_get_stats(p, &st);
    int used = snprintf(buf, len, "%.0f%% of samples in the kernel",
                        st.samples ? 100.0 * (double)st.kernel_samples / (double)st.samples : 0);
    for (size_t i = 0; i < n && used > 0 && (size_t)used < len; i++)
        used += snprintf(buf + used, len - (size_t)used, "%s%s %.0f%%", i ? ", " : ": ",
                         top[i].name, 100 * top[i].share);
    if (used > 0 && (size_t)used < len && profile_top(p, PROFILE_OFFCPU, wait, 1))
        snprintf(buf + used, len - (size_t)used, "; off CPU mostly in %s (%.0f%%)", wait[0].name,
                 100 * wait[0].share);
}

/* Why the backend has no summary: the first failed run's error. */
static const char *failure_of(const struct workload_result *wr, unsigned b)
{
    for (size_t i = 0; i < wr->n_runs; i++)
        if (wr->runs[i].backend == b && wr->runs[i].status == RUN_FAILED)
            return wr->runs[i].error;
    return "no successful repetition";
}

/* A kind's figures of summary s, scaled by unit, as "name value" pairs over lines of at most
 * about 100 characters. */
static void kind_metrics_lines(FILE *out, const struct kind_ops *k, const struct results_summary *s)
{
    int col = 0;
    for (size_t m = 0; m < k->n_metrics; m++) {
        const struct kind_metric *km = &k->metrics[m];
        double v = s->kind_metric[m];
        char value[48];
        if (isnan(v))
            snprintf(value, sizeof(value), "n/a");
        else if (strcmp(km->unit, "bytes") == 0)
            units_format_bytes_short(v, value, sizeof(value));
        else if (strcmp(km->unit, "ns") == 0)
            units_format_latency(v, value, sizeof(value));
        else if (strcmp(km->unit, "1/0") == 0)
            snprintf(value, sizeof(value), "%s", v ? "yes" : "no");
        else
            snprintf(value, sizeof(value), "%.4g %s", v, km->unit);
        char item[128];
        int n = snprintf(item, sizeof(item), "%s %s", km->name, value);
        if (col && col + n > 100) {
            fputc('\n', out);
            col = 0;
        }
        col += fprintf(out, "%s%s",
                       col ? ", "
                           : "  "
                             "          ",
                       item);
    }
    if (col)
        fputc('\n', out);
}

/* The console for kinds without the io table: each backend's figures. */
static void kind_workload(FILE *out, const struct workload_result *wr)
{
    const struct kind_ops *k = kind_of(wr->w);
    for (size_t i = 0; i < wr->n_summaries; i++) {
        const struct results_summary *s = &wr->summaries[i];
        const char *name = backend_get(s->backend)->name;
        if (s->n_ok == 0) {
            fprintf(out, "  %-8s FAILED: %s\n", name, failure_of(wr, s->backend));
            continue;
        }
        fprintf(out, "  %-8s %zu repetition%s:\n", name, s->n_ok, s->n_ok == 1 ? "" : "s");
        kind_metrics_lines(out, k, s);
    }
    if (wr->claim_evidence[0]) {
        const unsigned *v = wr->claim_verdicts;
        unsigned runs = v[0] + v[1] + v[2];
        fprintf(out, "  claim: %s\n", wr->claim_evidence);
        fprintf(out, "  verdict: %s (%u of %u repetitions hold, %u do not, %u inconclusive)\n",
                v[1]            ? "does not hold"
                : v[0] && !v[2] ? "holds"
                                : "inconclusive",
                v[0], runs, v[1], v[2]);
    }
    const struct results_comparison *head = workload_result_headline(wr);
    for (size_t i = 0; i < wr->n_comparisons; i++)
        fprintf(out, "  %s %s\n", &wr->comparisons[i] == head ? "verdict:" : "        ",
                wr->comparisons[i].verdict);
}

void report_console_workload(FILE *out, const struct report_input *in,
                             const struct workload_result *wr)
{
    const struct workload *w = wr->w;
    (void)in;
    workload_line(out, w);
    if (!kind_of(w)->io_table) {
        kind_workload(out, wr);
        fflush(out);
        return;
    }
    fprintf(out, "  %-8s %10s  %-21s %10s %9s %9s %10s %6s\n", "backend", "MiB/s",
            "95% CI of median", "ops/s", "p50", "p99", "faults/op", "cv");
    for (size_t i = 0; i < wr->n_summaries; i++) {
        const struct results_summary *s = &wr->summaries[i];
        const char *name = backend_get(s->backend)->name;
        if (s->n_ok == 0) {
            fprintf(out, "  %-8s FAILED: %s\n", name, failure_of(wr, s->backend));
            continue;
        }
        char ci[48] = "n/a (< 3 reps)", p50[16], p99[16], cv[16] = "n/a", faults[16] = "n/a";
        if (!isnan(s->metric[METRIC_FAULTS_PER_OP]))
            snprintf(faults, sizeof(faults), "%.3g", s->metric[METRIC_FAULTS_PER_OP]);
        if (!isnan(s->tput.ci_low))
            snprintf(ci, sizeof(ci), "[%.1f, %.1f]", s->tput.ci_low, s->tput.ci_high);
        if (!isnan(s->tput.cv))
            snprintf(cv, sizeof(cv), "%.1f%%", 100 * s->tput.cv);
        units_format_latency(s->latency.p50_ns, p50, sizeof(p50));
        units_format_latency(s->latency.p99_ns, p99, sizeof(p99));
        fprintf(out, "  %-8s %10.1f  %-21s %10.0f %9s %9s %10s %6s\n", name, s->tput.median, ci,
                s->ops_s_median, p50, p99, faults, cv);
        if (w->sync != SYNC_NONE && !isnan(s->flush.p50_ns)) {
            char f50[16], f99[16];
            units_format_latency(s->flush.p50_ns, f50, sizeof(f50));
            units_format_latency(s->flush.p99_ns, f99, sizeof(f99));
            fprintf(out, "  %-8s flush %s: p50 %s, p99 %s, %.1f%% of the phase\n", "",
                    backend_get(s->backend)->flush_call(w->sync), f50, f99,
                    s->metric[METRIC_FLUSH_SHARE_PCT]);
        }
        char text[512];
        explain_time_split(s, text, sizeof(text));
        if (!kind_of(w)->run)
            fprintf(out, "  %-8s time: %s\n", "", text);
        if (workload_writes(w))
            fprintf(out, "  %-8s writes: %s\n", "", write_line(s, w, text, sizeof(text)));
        if (!isnan(s->latency_cost_pct))
            fprintf(out,
                    "  %-8s latency: all cost %.1f%% [%.1f%%, %.1f%%] of its throughput here "
                    "(against the runs with latency off)\n",
                    "", s->latency_cost_pct, s->latency_cost_ci_low_pct,
                    s->latency_cost_ci_high_pct);
        if (wr->profiles[s->backend]) {
            profile_line(wr->profiles[s->backend], text, sizeof(text));
            fprintf(out, "  %-8s profile: %s", "", text);
            if (!isnan(s->profile_cost_pct))
                fprintf(out, " (the profiled round ran %.1f%% %s than the median)",
                        fabs(s->profile_cost_pct), s->profile_cost_pct >= 0 ? "slower" : "faster");
            fputc('\n', out);
        }
        if (s->n_levels > 1) {
            levels_describe(s->levels, s->n_levels, text, sizeof(text));
            fprintf(out, "  %-8s levels: %s (%zu of %zu repetitions changed level; %s)\n", "", text,
                    s->runs_with_levels, s->n_ok, s->level_change);
        }
    }
    const struct results_comparison *head = workload_result_headline(wr);
    if (head) {
        fprintf(out, "  verdict: %s; checksums %s\n", head->verdict, wr->checksum.text);
        /* The other comparisons with the baseline, one line each below the headline. */
        for (size_t i = 0; i < wr->n_comparisons; i++) {
            const struct results_comparison *c = &wr->comparisons[i];
            if (c != head &&
                !(c->numerator == head->denominator && c->denominator == head->numerator))
                fprintf(out, "  %-8s %s\n", "", c->verdict);
        }
        char why[768] = "";
        if (!kind_of(w)->run)
            explain_workload(wr, why, sizeof(why));
        if (why[0])
            fprintf(out, "  %s\n", why);
    } else {
        fprintf(out, "  checksums %s\n", wr->checksum.text);
    }
    fflush(out);
}

void report_console_warnings(FILE *out, FILE *err, const struct report_input *in,
                             const struct workload_result *wr)
{
    fflush(out);
    const struct results_warning *list = wr ? wr->warnings : in->res->warnings;
    size_t n = wr ? wr->n_warnings : in->res->n_warnings;
    for (size_t i = 0; i < n; i++)
        fprintf(err, "mmbench: warning: %s\n", list[i].text);
    fflush(err);
}

void report_console_footer(FILE *out, const struct report_input *in, const char *results_dir)
{
    const struct results *res = in->res;
    size_t warnings = res->n_warnings + res->workload_warnings + res->n_warnings_dropped;
    fprintf(out, "\nresults: %s/ (runs.csv, summary.csv, results.json)\n", results_dir);
    if (res->interrupted)
        fprintf(out, "interrupted: the results hold the runs completed so far\n");
    if (res->failed_runs || warnings)
        fprintf(out, "%zu failed run%s, %zu warning%s (see above and results.json)\n",
                res->failed_runs, res->failed_runs == 1 ? "" : "s", warnings,
                warnings == 1 ? "" : "s");
    fflush(out);
}
