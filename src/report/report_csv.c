/* runs.csv (one row per workload x backend x repetition) and summary.csv (one row per
 * workload x backend). Both start with the row's identity (workload, base_name, backend),
 * then every workload parameter, then the measurements. */
#include "backend.h"
#include "kind.h"
#include "params.h"
#include "report.h"
#include "report_columns.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void report_csv_field(FILE *f, const char *text)
{
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, f);
        return;
    }
    fputc('"', f);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

/* The backends' own counters follow the runs.csv columns: "<backend>_<counter>" each,
 * filled on that backend's rows. */
static void write_counter_header(FILE *f)
{
    for (size_t b = 0; b < backend_count(); b++)
        for (size_t c = 0; c < backend_get(b)->n_counters; c++)
            fprintf(f, ",%s_%s", backend_get(b)->name, backend_get(b)->counters[c].name);
}

/* Then the kinds' metrics: "<kind>_<metric>" each, filled on that kind's rows (in
 * summary.csv with the medians). */
static void write_kind_header(FILE *f)
{
    for (size_t k = 0; k < kind_count(); k++)
        for (size_t m = 0; m < kind_get(k)->n_metrics; m++)
            fprintf(f, ",%s_%s", kind_get(k)->name, kind_get(k)->metrics[m].name);
}

static void write_kind_cells(FILE *f, const struct workload *w, const double *metric)
{
    for (size_t k = 0; k < kind_count(); k++) {
        for (size_t m = 0; m < kind_get(k)->n_metrics; m++) {
            fputc(',', f);
            if ((size_t)w->kind == k && !isnan(metric[m]))
                fprintf(f, "%.6g", metric[m]);
        }
    }
}

static void write_counter_cells(FILE *f, const struct run_record *rec)
{
    for (size_t b = 0; b < backend_count(); b++) {
        for (size_t c = 0; c < backend_get(b)->n_counters; c++) {
            fputc(',', f);
            if (rec->backend == b)
                fprintf(f, "%llu", (unsigned long long)rec->backend_counter[c]);
        }
    }
}

static void write_header(FILE *f, const struct report_column *cols, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i == REPORT_IDENTITY_COLUMNS)
            for (size_t p = 0; p < params_count(); p++)
                fprintf(f, ",%s", params_at(p)->column);
        fprintf(f, "%s%s", i ? "," : "", cols[i].name);
    }
}

static void write_row(FILE *f, const struct report_column *cols, size_t n,
                      const struct report_row *row)
{
    struct report_value v;
    for (size_t i = 0; i < n; i++) {
        if (i == REPORT_IDENTITY_COLUMNS) {
            for (size_t p = 0; p < params_count(); p++) {
                char text[256];
                param_format_column(params_at(p), row->wr->w, text, sizeof(text));
                fputc(',', f);
                report_csv_field(f, text);
            }
        }
        if (i)
            fputc(',', f);
        cols[i].get(&cols[i], row, &v);
        if (v.kind != RV_NULL)
            report_csv_field(f, v.text);
    }
}

int report_csv_runs_header(FILE *f)
{
    write_header(f, report_run_columns, report_run_column_count);
    write_counter_header(f);
    write_kind_header(f);
    fputc('\n', f);
    return ferror(f) ? -EIO : 0;
}

int report_csv_runs_rows(FILE *f, const struct report_input *in, const struct workload_result *wr)
{
    for (size_t i = 0; i < wr->n_runs; i++) {
        struct report_row row = {in, wr, &wr->runs[i]};
        write_row(f, report_run_columns, report_run_column_count, &row);
        write_counter_cells(f, &wr->runs[i]);
        write_kind_cells(f, wr->w, wr->runs[i].kind_metric);
        fputc('\n', f);
    }
    return ferror(f) ? -EIO : 0;
}

int report_csv_summary_header(FILE *f)
{
    write_header(f, report_summary_columns, report_summary_column_count);
    write_kind_header(f);
    fputc('\n', f);
    return ferror(f) ? -EIO : 0;
}

int report_csv_summary_rows(FILE *f, const struct report_input *in,
                            const struct workload_result *wr)
{
    for (size_t i = 0; i < wr->n_summaries; i++) {
        struct report_row row = {in, wr, &wr->summaries[i]};
        write_row(f, report_summary_columns, report_summary_column_count, &row);
        write_kind_cells(f, wr->w, wr->summaries[i].kind_metric);
        fputc('\n', f);
    }
    return ferror(f) ? -EIO : 0;
}

int report_csv_timeline_header(FILE *f)
{
    for (size_t i = 0; i < report_timeline_column_count; i++)
        fprintf(f, "%s%s", i ? "," : "", report_timeline_columns[i].name);
    fputc('\n', f);
    return ferror(f) ? -EIO : 0;
}

static void number(FILE *f, double x)
{
    fputc(',', f);
    if (!isnan(x))
        fprintf(f, "%.6g", x);
}

int report_csv_timeline_rows(FILE *f, const struct report_input *in,
                             const struct workload_result *wr)
{
    (void)in;
    for (size_t i = 0; i < wr->n_runs; i++) {
        const struct run_record *rec = &wr->runs[i];
        const struct timeline_point *p = &wr->points[rec->timeline_first];
        for (size_t k = 1; k < rec->timeline_points; k++) {
            double dt = (double)(p[k].t_ns - p[k - 1].t_ns) / 1e9;
            uint64_t ops = p[k].ops - p[k - 1].ops;
            report_csv_field(f, wr->w->name);
            fputc(',', f);
            report_csv_field(f, wr->w->base_name);
            fprintf(f, ",%s,%u,%s,%.6g,%.6g,%llu", backend_get(rec->backend)->name, rec->round,
                    run_role_names[rec->role], (double)p[k].t_ns / 1e9, dt,
                    (unsigned long long)ops);
            number(f, dt > 0 ? (double)(ops * wr->w->block_size_bytes) / 1048576.0 / dt : NAN);
            fprintf(f, ",%llu,%llu,%llu,%llu,%llu",
                    (unsigned long long)(p[k].minflt - p[k - 1].minflt),
                    (unsigned long long)(p[k].majflt - p[k - 1].majflt),
                    (unsigned long long)(p[k].dev_read_bytes - p[k - 1].dev_read_bytes),
                    (unsigned long long)(p[k].dev_write_bytes - p[k - 1].dev_write_bytes),
                    (unsigned long long)(p[k].tlb_shootdowns - p[k - 1].tlb_shootdowns));
            number(f, p[k].resident_pct);
            number(f, p[k].dirty_pct);
            fputc('\n', f);
        }
    }
    return ferror(f) ? -EIO : 0;
}
