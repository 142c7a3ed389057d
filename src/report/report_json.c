/* results.json: schema_version, the context, the expanded config, every run, the
 * aggregates with their latency histograms, the comparisons and the warnings.
 * docs/results.md documents every field. */
#include "backend.h"
#include "explain.h"
#include "json_writer.h"
#include "kcounters.h"
#include "kind.h"
#include "params.h"
#include "report.h"
#include "report_columns.h"
#include "stats.h"
#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void write_value(struct json_writer *jw, const char *key, const struct report_value *v)
{
    switch (v->kind) {
    case RV_NULL:
        jw_null(jw, key);
        break;
    case RV_NUMBER:
    case RV_BOOL:
        jw_raw(jw, key, v->text);
        break;
    case RV_STRING:
        jw_string(jw, key, v->text);
        break;
    }
}

static void write_row(struct json_writer *jw, const struct report_column *cols, size_t n,
                      const struct report_row *row)
{
    struct report_value v;
    for (size_t i = 0; i < n; i++) {
        if (i < REPORT_IDENTITY_COLUMNS && i != REPORT_IDENTITY_COLUMNS - 1)
            continue; /* the workload's name is the block's; the backend stays */
        cols[i].get(&cols[i], row, &v);
        write_value(jw, cols[i].name, &v);
    }
}

static void write_int_or_null(struct json_writer *jw, const char *key, long long x)
{
    if (x < 0)
        jw_null(jw, key);
    else
        jw_int(jw, key, x);
}

static void write_context(struct json_writer *jw, const struct report_input *in)
{
    const struct sysinfo_context *si = in->si;
    jw_object_begin(jw, "context");
    jw_string(jw, "mmbench_version", si->version);
    jw_string(jw, "date_utc", si->date_utc);
    jw_string(jw, "hostname", si->hostname);
    jw_string(jw, "command_line", in->command_line);
    jw_object_begin(jw, "build");
    jw_string(jw, "type", si->build_type);
    jw_bool(jw, "debug", si->debug_build);
    jw_string(jw, "compiler", si->compiler);
    jw_object_end(jw);
    jw_object_begin(jw, "kernel");
    jw_string(jw, "release", si->kernel_release);
    jw_string(jw, "version", si->kernel_version);
    jw_string(jw, "machine", si->machine);
    jw_string(jw, "clocksource", si->clocksource);
    jw_string(jw, "thp_enabled", sysinfo_setting(si, "thp"));
    jw_string(jw, "thp_defrag", sysinfo_setting(si, "thp_defrag"));
    jw_string(jw, "thp_shmem_enabled", sysinfo_setting(si, "thp_shmem"));
    jw_string(jw, "cgroup_memory", si->cgroup_memory);
    jw_int(jw, "perf_event_paranoid", in->perf->paranoid);
    jw_object_end(jw);
    jw_object_begin(jw, "cpu");
    jw_bool(jw, "identified", si->cpu_known);
    jw_string(jw, "vendor", si->cpu_vendor);
    jw_string(jw, "brand", si->cpu_brand);
    jw_int(jw, "family", si->cpu_family);
    jw_int(jw, "model", si->cpu_model);
    jw_int(jw, "stepping", si->cpu_stepping);
    jw_int(jw, "cores", si->cpu_cores);
    jw_int(jw, "logical_cpus", si->cpu_logical);
    jw_int(jw, "total_logical_cpus", si->cpu_total_logical);
    jw_int(jw, "online_cpus", si->online_cpus);
    write_int_or_null(jw, "l1d_cache_kib", si->l1d_kib);
    write_int_or_null(jw, "l2_cache_kib", si->l2_kib);
    write_int_or_null(jw, "l3_cache_kib", si->l3_kib);
    write_int_or_null(jw, "cacheline_bytes", si->cacheline_bytes);
    jw_string(jw, "hypervisor", si->hypervisor);
    jw_bool(jw, "invariant_tsc", si->cpu_invariant_tsc);
    jw_string(jw, "governor", si->governor);
    jw_string(jw, "libcpuid_version", si->libcpuid_version);
    jw_object_end(jw);
    jw_object_begin(jw, "memory");
    jw_u64(jw, "ram_bytes", si->ram_bytes);
    jw_int(jw, "page_size_bytes", si->page_size_bytes);
    jw_object_end(jw);
    /* Every kernel setting at start; those of a directory are its target's. */
    jw_object_begin(jw, "kernel_settings");
    for (size_t i = 0; i < si->settings.n; i++)
        if (strcmp(si->settings.s[i].key, "read_ahead_kb") != 0 &&
            strcmp(si->settings.s[i].key, "large_folios") != 0)
            jw_string(jw, si->settings.s[i].key, si->settings.s[i].value);
    jw_object_end(jw);
    jw_number(jw, "loadavg_1m", si->loadavg_1m);
    jw_bool(jw, "root", si->is_root);
    jw_object_begin(jw, "timer");
    jw_string(jw, "source", in->timer->source);
    jw_number(jw, "tsc_hz", in->timer->use_tsc ? in->timer->tsc_hz : NAN);
    jw_number(jw, "cost_ns", in->timer->cost_ns);
    jw_string(jw, "reason", in->timer->reason);
    jw_object_end(jw);
    jw_object_begin(jw, "perf_counters");
    jw_bool(jw, "kernel_included", !in->perf->user_only);
    for (int c = 0; c < PERF_COUNT; c++)
        jw_string(jw, perf_name((enum perf_counter)c),
                  in->perf->available[c] ? "available" : in->perf->reason[c]);
    jw_object_end(jw);
    jw_array_begin(jw, "targets");
    for (size_t i = 0; i < si->n_targets; i++) {
        const struct sysinfo_target *t = &si->targets[i];
        jw_object_begin(jw, NULL);
        jw_string(jw, "dir", t->dir);
        jw_string(jw, "real_dir", t->real_dir);
        jw_string(jw, "fs_type", t->fs_type);
        jw_string(jw, "mount_point", t->mount_point);
        jw_string(jw, "mount_source", t->mount_source);
        jw_string(jw, "mount_options", t->mount_options);
        jw_string(jw, "block_device", t->block_device[0] ? t->block_device : NULL);
        jw_string(jw, "block_device_note", t->block_device_note[0] ? t->block_device_note : NULL);
        write_int_or_null(jw, "read_ahead_kb", t->read_ahead_kb);
        write_int_or_null(jw, "rotational", t->rotational);
        jw_string(jw, "large_folios", t->large_folios);
        jw_object_end(jw);
    }
    jw_array_end(jw);
    jw_string(jw, "kernel_counters_scope",
              "system-wide: /proc/vmstat, /proc/interrupts and the block device count every "
              "process on the machine");
    jw_object_end(jw);
}

static void write_config(struct json_writer *jw, const struct report_input *in)
{
    jw_object_begin(jw, "config");
    jw_string(jw, "name", in->config_name);
    jw_string(jw, "description", in->config_description);
    jw_string(jw, "source", in->config_source);
    jw_array_begin(jw, "workloads");
    for (size_t i = 0; i < in->n_workloads; i++) {
        const struct workload *w = &in->workloads[i];
        jw_object_begin(jw, NULL);
        jw_string(jw, "name", w->name);
        jw_string(jw, "base_name", w->base_name);
        jw_string(jw, "description", w->description);
        jw_object_begin(jw, "params");
        for (size_t p = 0; p < params_count(); p++) {
            const struct param_def *d = params_at(p);
            char text[256];
            param_format_column(d, w, text, sizeof(text));
            if (param_column_is_number(d) || param_column_is_bool(d))
                jw_raw(jw, d->column, text);
            else
                jw_string(jw, d->column, text);
        }
        jw_object_end(jw);
        jw_object_end(jw);
    }
    jw_array_end(jw);
    jw_object_end(jw);
}

static void write_hist(struct json_writer *jw, const char *key, const struct hist *h)
{
    jw_object_begin(jw, key);
    jw_string(jw, "unit", "ns");
    jw_u64(jw, "count", h->count);
    jw_number(jw, "mean_ns", hist_mean(h));
    jw_number(jw, "min_ns", h->count ? (double)h->min_ns : NAN);
    jw_number(jw, "max_ns", h->count ? (double)h->max_ns : NAN);
    jw_int(jw, "sub_buckets_bits", HIST_BITS);
    /* Non-empty buckets as [lower_ns, upper_ns, count]: values v with lower <= v < upper. */
    jw_array_begin(jw, "buckets");
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        if (!h->buckets[i])
            continue;
        char text[96];
        snprintf(text, sizeof(text), "[%llu, %llu, %llu]",
                 (unsigned long long)hist_bucket_lower_ns(i),
                 (unsigned long long)hist_bucket_upper_ns(i), (unsigned long long)h->buckets[i]);
        jw_raw(jw, NULL, text);
    }
    jw_array_end(jw);
    jw_object_end(jw);
}

/* The figures of the workload's kind (kinds/kind.h), by name; null for io, which has none. */
static void write_kind_metrics(struct json_writer *jw, const struct workload *w,
                               const double *metric)
{
    const struct kind_ops *k = kind_of(w);
    if (!k->n_metrics) {
        jw_null(jw, "kind_metrics");
        return;
    }
    jw_object_begin(jw, "kind_metrics");
    for (size_t m = 0; m < k->n_metrics; m++)
        jw_number(jw, k->metrics[m].name, metric[m]);
    jw_object_end(jw);
}

/* A claim workload's verdict: how its measured runs came out, and the last one's evidence. */
static void write_claim(struct json_writer *jw, const struct workload_result *wr)
{
    if (strcmp(kind_of(wr->w)->name, "claim") != 0)
        return;
    const unsigned *v = wr->claim_verdicts;
    jw_object_begin(jw, "claim");
    const struct param_def *d = param_find("claim");
    char id[64] = "";
    if (d)
        param_format_column(d, wr->w, id, sizeof(id));
    jw_string(jw, "id", id);
    jw_string(jw, "verdict", v[1] ? "does not hold" : v[0] && !v[2] ? "holds" : "inconclusive");
    jw_u64(jw, "runs_holding", v[0]);
    jw_u64(jw, "runs_not_holding", v[1]);
    jw_u64(jw, "runs_inconclusive", v[2]);
    jw_string(jw, "evidence", wr->claim_evidence[0] ? wr->claim_evidence : NULL);
    jw_array_begin(jw, "figures");
    for (unsigned i = 0; i < wr->n_claim_figures; i++) {
        const struct kind_figure *f = &wr->claim_figures[i];
        jw_object_begin(jw, NULL);
        jw_string(jw, "name", f->name);
        jw_number(jw, "value", f->value);
        jw_string(jw, "unit", f->unit);
        jw_object_end(jw);
    }
    jw_array_end(jw);
    jw_object_end(jw);
}

/* The console's "why:" line of an io workload's headline verdict, without "why: "; null
 * when there is none (no headline comparison, or a kind with figures of its own). */
static void write_explanation(struct json_writer *jw, const struct workload_result *wr)
{
    static const char prefix[] = "why: ";
    char why[768] = "";
    if (!kind_of(wr->w)->run)
        explain_workload(wr, why, sizeof(why));
    bool have = strncmp(why, prefix, sizeof(prefix) - 1) == 0;
    jw_string(jw, "explanation", have ? why + sizeof(prefix) - 1 : NULL);
}

/* The levels of a throughput series: [{"start_s", "end_s", "tput_mib_s"}]. */
static void write_levels(struct json_writer *jw, const struct timeline_level *levels, unsigned n)
{
    jw_array_begin(jw, "levels");
    for (unsigned i = 0; i < n; i++) {
        char text[128];
        snprintf(text, sizeof(text), "{\"start_s\": %.6g, \"end_s\": %.6g, \"tput_mib_s\": %.6g}",
                 levels[i].start_s, levels[i].end_s, levels[i].tput_mib_s);
        jw_raw(jw, NULL, text);
    }
    jw_array_end(jw);
}

/* A run's time series, compactly: the column names once, then one array per point, with the
 * counters cumulative since the start (timeline.csv has the per-interval differences). */
static void write_timeline(struct json_writer *jw, const struct timeline_point *p, size_t n)
{
    if (n == 0) {
        jw_null(jw, "timeline");
        return;
    }
    jw_object_begin(jw, "timeline");
    jw_raw(jw, "columns",
           "[\"t_s\", \"ops\", \"minor_faults\", \"major_faults\", \"dev_read_bytes\", "
           "\"dev_write_bytes\", \"tlb_shootdowns\", \"resident_pct\", \"dirty_pct\"]");
    jw_array_begin(jw, "points");
    for (size_t i = 0; i < n; i++) {
        char resident[32] = "null", dirty[32] = "null", text[320];
        if (!isnan(p[i].resident_pct))
            snprintf(resident, sizeof(resident), "%.4g", p[i].resident_pct);
        if (!isnan(p[i].dirty_pct))
            snprintf(dirty, sizeof(dirty), "%.4g", p[i].dirty_pct);
        snprintf(text, sizeof(text), "[%.6g, %llu, %llu, %llu, %llu, %llu, %llu, %s, %s]",
                 (double)p[i].t_ns / 1e9, (unsigned long long)p[i].ops,
                 (unsigned long long)p[i].minflt, (unsigned long long)p[i].majflt,
                 (unsigned long long)p[i].dev_read_bytes, (unsigned long long)p[i].dev_write_bytes,
                 (unsigned long long)p[i].tlb_shootdowns, resident, dirty);
        jw_raw(jw, NULL, text);
    }
    jw_array_end(jw);
    jw_object_end(jw);
}

#define PROFILE_TOP 10 /* symbols per list in results.json */

static void write_symbols(struct json_writer *jw, const char *key, const struct profile *p,
                          enum profile_space space)
{
    struct profile_symbol top[PROFILE_TOP];
    size_t n = profile_top(p, space, top, PROFILE_TOP);
    jw_array_begin(jw, key);
    for (size_t i = 0; i < n; i++) {
        jw_object_begin(jw, NULL);
        jw_string(jw, "name", top[i].name);
        jw_number(jw, "share", top[i].share);
        jw_u64(jw, space == PROFILE_OFFCPU ? "ns" : "samples", top[i].count);
        jw_object_end(jw);
    }
    jw_array_end(jw);
}

/* The profiled round of backend b: its sampling figures and top symbols; the folded stacks
 * are in profiles/ (report.c). null without a profile. */
static void write_profile(struct json_writer *jw, const struct workload_result *wr, unsigned b)
{
    const struct profile *p = wr->profiles[b];
    if (!p) {
        jw_null(jw, "profile");
        return;
    }
    struct profile_stats st;
    profile_get_stats(p, &st);
    jw_object_begin(jw, "profile");
    char folded[64];
    report_profile_name(wr, b, folded, sizeof(folded));
    jw_string(jw, "folded", folded);
    jw_u64(jw, "samples", st.samples);
    jw_number(jw, "kernel_share",
              st.samples ? (double)st.kernel_samples / (double)st.samples : NAN);
    jw_number(jw, "user_share", st.samples ? (double)st.user_samples / (double)st.samples : NAN);
    jw_u64(jw, "sample_period_ns", st.period_ns);
    jw_u64(jw, "offcpu_ns", st.offcpu_ns);
    jw_u64(jw, "preempted_ns", st.preempted_ns);
    jw_u64(jw, "lost_records", st.lost);
    jw_u64(jw, "unknown_frames", st.unknown_frames);
    jw_u64(jw, "frames", st.frames);
    write_symbols(jw, "top_kernel", p, PROFILE_KERNEL);
    write_symbols(jw, "top_user", p, PROFILE_USER);
    write_symbols(jw, "top_offcpu", p, PROFILE_OFFCPU);
    jw_object_end(jw);
}

static const char *const checksum_status_names[] = {
    [CHECKSUM_MATCH] = "match",
    [CHECKSUM_MISMATCH] = "mismatch",
    [CHECKSUM_NOT_APPLICABLE] = "not_applicable",
    [CHECKSUM_UNVERIFIED] = "unverified",
};

/* Depth of a workload block in results.json: the document, its "workloads" array. */
#define BLOCK_DEPTH 2

int report_json_head(FILE *f, const struct report_input *in, const char *workload_files)
{
    struct json_writer jw;
    jw_init(&jw, f);
    jw_object_begin(&jw, NULL);
    jw_int(&jw, "schema_version", REPORT_SCHEMA_VERSION);
    jw_string(&jw, "tool", "mmbench");
    write_context(&jw, in);
    write_config(&jw, in);
    if (workload_files)
        jw_string(&jw, "workload_files", workload_files);
    jw_array_begin(&jw, "workloads");
    return ferror(f) ? -EIO : 0;
}

int report_json_workload(FILE *f, const struct report_input *in, const struct workload_result *wr)
{
    struct json_writer jw;
    jw_init_at(&jw, f, BLOCK_DEPTH, true);
    jw_object_begin(&jw, NULL);
    jw_int(&jw, "index", wr->workload);
    jw_string(&jw, "name", wr->w->name);
    jw_string(&jw, "base_name", wr->w->base_name);
    jw_bool(&jw, "interrupted", wr->interrupted);
    jw_array_begin(&jw, "runs");
    for (size_t i = 0; i < wr->n_runs; i++) {
        struct report_row row = {in, wr, &wr->runs[i]};
        jw_object_begin(&jw, NULL);
        write_row(&jw, report_run_columns, report_run_column_count, &row);
        const struct backend_ops *b = backend_get(wr->runs[i].backend);
        jw_object_begin(&jw, "counters");
        for (size_t c = 0; c < b->n_counters; c++)
            jw_u64(&jw, b->counters[c].name, wr->runs[i].backend_counter[c]);
        jw_object_end(&jw);
        write_kind_metrics(&jw, wr->w, wr->runs[i].kind_metric);
        write_levels(&jw, wr->runs[i].levels, wr->runs[i].n_levels);
        write_timeline(&jw, &wr->points[wr->runs[i].timeline_first], wr->runs[i].timeline_points);
        jw_object_end(&jw);
    }
    jw_array_end(&jw);
    jw_array_begin(&jw, "summaries");
    for (size_t i = 0; i < wr->n_summaries; i++) {
        const struct results_summary *s = &wr->summaries[i];
        struct report_row row = {in, wr, s};
        jw_object_begin(&jw, NULL);
        write_row(&jw, report_summary_columns, report_summary_column_count, &row);
        write_hist(&jw, "latency_histogram", s->latency_hist);
        write_hist(&jw, "flush_histogram", s->flush_hist);
        write_levels(&jw, s->levels, s->n_levels);
        jw_string(&jw, "level_change", s->level_change[0] ? s->level_change : NULL);
        jw_u64(&jw, "runs_with_levels", s->runs_with_levels);
        write_profile(&jw, wr, s->backend);
        write_kind_metrics(&jw, wr->w, s->kind_metric);
        jw_object_end(&jw);
    }
    jw_array_end(&jw);
    jw_array_begin(&jw, "comparisons");
    for (size_t i = 0; i < wr->n_comparisons; i++) {
        const struct results_comparison *c = &wr->comparisons[i];
        jw_object_begin(&jw, NULL);
        jw_string(&jw, "numerator", backend_get(c->numerator)->name);
        jw_string(&jw, "denominator", backend_get(c->denominator)->name);
        jw_bool(&jw, "headline", c->headline);
        jw_number(&jw, "ratio", c->ratio);
        jw_number(&jw, "ci_low", c->ci_low);
        jw_number(&jw, "ci_high", c->ci_high);
        jw_string(&jw, "verdict", c->verdict);
        jw_object_end(&jw);
    }
    jw_array_end(&jw);
    write_explanation(&jw, wr);
    write_claim(&jw, wr);
    jw_object_begin(&jw, "checksum");
    jw_string(&jw, "status", checksum_status_names[wr->checksum.status]);
    jw_string(&jw, "text", wr->checksum.text);
    jw_object_end(&jw);
    jw_array_begin(&jw, "warnings");
    for (size_t i = 0; i < wr->n_warnings; i++)
        jw_string(&jw, NULL, wr->warnings[i].text);
    jw_array_end(&jw);
    jw_object_end(&jw);
    return ferror(f) ? -EIO : 0;
}

int report_json_tail(FILE *f, const struct report_input *in, bool after_blocks,
                     const struct report_timing *timing)
{
    const struct results *res = in->res;
    struct json_writer jw;
    /* After the blocks: inside the document and its "workloads" array. */
    jw_init_at(&jw, f, BLOCK_DEPTH, !after_blocks);
    jw_array_end(&jw);
    jw_bool(&jw, "complete", in->complete);
    jw_bool(&jw, "interrupted", res->interrupted);
    jw_u64(&jw, "workloads_run", res->workloads_done);
    jw_u64(&jw, "failed_runs", res->failed_runs);
    jw_array_begin(&jw, "warnings");
    for (size_t i = 0; i < res->n_warnings; i++)
        jw_string(&jw, NULL, res->warnings[i].text);
    jw_array_end(&jw);
    jw_u64(&jw, "warnings_dropped", res->n_warnings_dropped);
    jw_object_begin(&jw, "harness");
    jw_int(&jw, "rss_anon_max_kib", res->rss_anon_max_kib);
    jw_int(&jw, "bootstrap_resamples", STATS_BOOTSTRAP_RESAMPLES);
    if (timing) {
        jw_u64(&jw, "run_ns", timing->run_ns);
        jw_u64(&jw, "result_write_ns", timing->workload_writes_ns + timing->final_ns);
        jw_u64(&jw, "final_write_ns", timing->final_ns);
    }
    jw_object_end(&jw);
    jw_object_end(&jw);
    return ferror(f) ? -EIO : 0;
}
