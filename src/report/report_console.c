/* The console summary on stdout: a few lines of context, a table per workload with the
 * verdict, and where the results went. Diagnostics go to stderr, never here. */
#include "backend.h"
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
            (double)si->ram_bytes / (1ULL << 30), si->kernel_release, si->thp_enabled,
            in->timer->source, in->timer->cost_ns);
    for (size_t i = 0; i < si->n_targets; i++) {
        const struct sysinfo_target *t = &si->targets[i];
        fprintf(out, "data: %s on %s", t->real_dir, t->fs_type);
        if (t->block_device[0])
            fprintf(out, " (%s, read_ahead_kb %ld)", t->block_device, t->read_ahead_kb);
        fputc('\n', out);
    }
}

static void workload_line(FILE *out, const struct workload *w)
{
    char block[32], file[32], dur[32];
    units_format_size(w->block_size_bytes, block, sizeof(block));
    units_format_size(w->file_size_bytes, file, sizeof(file));
    if (w->ops)
        snprintf(dur, sizeof(dur), "%llu ops", (unsigned long long)w->ops);
    else
        units_format_duration(w->duration_ns, dur, sizeof(dur));
    fprintf(out, "\n%s: %s %s, %s blocks over %s, cache %s, %u x %s (+%u warm-up), %u thread%s\n",
            w->name, pattern_names[w->pattern], op_names[w->op], block, file, cache_names[w->cache],
            w->repetitions, dur, w->warmup, w->threads, w->threads == 1 ? "" : "s");
}

void report_console_workload(FILE *out, const struct report_input *in, unsigned wi)
{
    const struct workload *w = &in->workloads[wi];
    const struct results *res = in->res;
    workload_line(out, w);
    fprintf(out, "  %-7s %10s  %-21s %10s %9s %9s %10s %6s\n", "backend", "MiB/s",
            "95% CI of median", "ops/s", "p50", "p99", "faults/op", "cv");
    for (size_t b = 0; b < backend_count(); b++) {
        if (!(w->backend_mask & (1U << b)))
            continue;
        const struct results_summary *s = report_find_summary(res, wi, (unsigned)b);
        const char *name = backend_get(b)->name;
        if (!s || s->n_ok == 0) {
            const char *why = "no successful repetition";
            for (size_t i = 0; i < res->n_runs; i++)
                if (res->runs[i].workload == wi && res->runs[i].backend == b &&
                    res->runs[i].status == RUN_FAILED) {
                    why = res->runs[i].error;
                    break;
                }
            fprintf(out, "  %-7s FAILED: %s\n", name, why);
            continue;
        }
        char ci[48] = "n/a (< 3 reps)", p50[16], p99[16], cv[16] = "n/a";
        if (!isnan(s->tput.ci_low))
            snprintf(ci, sizeof(ci), "[%.1f, %.1f]", s->tput.ci_low, s->tput.ci_high);
        if (!isnan(s->tput.cv))
            snprintf(cv, sizeof(cv), "%.1f%%", 100 * s->tput.cv);
        units_format_latency(s->latency.p50_ns, p50, sizeof(p50));
        units_format_latency(s->latency.p99_ns, p99, sizeof(p99));
        fprintf(out, "  %-7s %10.1f  %-21s %10.0f %9s %9s %10.3g %6s\n", name, s->tput.median, ci,
                s->ops_s_median, p50, p99, s->faults_per_op, cv);
        if (w->sync != SYNC_NONE && !isnan(s->flush.p50_ns)) {
            char f50[16], f99[16];
            units_format_latency(s->flush.p50_ns, f50, sizeof(f50));
            units_format_latency(s->flush.p99_ns, f99, sizeof(f99));
            const char *call = "flush";
            for (size_t i = 0; i < res->n_runs; i++)
                if (res->runs[i].workload == wi && res->runs[i].backend == b) {
                    call = res->runs[i].flush_call;
                    break;
                }
            fprintf(out, "  %-7s flush %s: p50 %s, p99 %s, %.1f%% of the phase\n", "", call, f50,
                    f99, s->flush_share_pct);
        }
    }
    const struct results_comparison *cmp = report_find_comparison(res, wi);
    if (cmp)
        fprintf(out, "  verdict: %s; checksums %s\n", cmp->verdict, cmp->checksum);
    fflush(out);
}

void report_console_warnings(FILE *out, FILE *err, const struct report_input *in, int workload)
{
    fflush(out);
    for (size_t i = 0; i < in->res->n_warnings; i++)
        if (in->res->warnings[i].workload == workload)
            fprintf(err, "mmbench: warning: %s\n", in->res->warnings[i].text);
    fflush(err);
}

void report_console_footer(FILE *out, const struct report_input *in, const char *results_dir)
{
    const struct results *res = in->res;
    size_t failed = 0;
    for (size_t i = 0; i < res->n_runs; i++)
        failed += res->runs[i].status == RUN_FAILED;
    fprintf(out, "\nresults: %s/ (runs.csv, summary.csv, results.json)\n", results_dir);
    if (res->interrupted)
        fprintf(out, "interrupted: the results hold the runs completed so far\n");
    if (failed || res->n_warnings)
        fprintf(out, "%zu failed run%s, %zu warning%s (see above and results.json)\n", failed,
                failed == 1 ? "" : "s", res->n_warnings + res->n_warnings_dropped,
                res->n_warnings + res->n_warnings_dropped == 1 ? "" : "s");
    fflush(out);
}
