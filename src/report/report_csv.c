/* runs.csv (one row per workload x backend x repetition) and summary.csv (one row per
 * workload x backend). Both start with the row's identity (workload, base_name, backend),
 * then every workload parameter, then the measurements. */
#include "params.h"
#include "report.h"
#include "report_columns.h"

#include <errno.h>
#include <stdio.h>

#define IDENTITY_COLUMNS 3 /* workload, base_name, backend: then the parameters */

static void write_header(FILE *f, const struct report_column *cols, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i == IDENTITY_COLUMNS)
            for (size_t p = 0; p < params_count(); p++)
                fprintf(f, ",%s", params_at(p)->column);
        fprintf(f, "%s%s", i ? "," : "", cols[i].name);
    }
    fputc('\n', f);
}

static void write_row(FILE *f, const struct report_input *in, const struct report_column *cols,
                      size_t n, const void *row, unsigned workload)
{
    struct report_value v;
    for (size_t i = 0; i < n; i++) {
        if (i == IDENTITY_COLUMNS) {
            for (size_t p = 0; p < params_count(); p++) {
                char text[256];
                param_format_column(params_at(p), &in->workloads[workload], text, sizeof(text));
                fputc(',', f);
                report_csv_field(f, text);
            }
        }
        if (i)
            fputc(',', f);
        cols[i].get(&cols[i], in, row, &v);
        if (v.kind != RV_NULL)
            report_csv_field(f, v.text);
    }
    fputc('\n', f);
}

static int write_runs(FILE *f, const struct report_input *in)
{
    write_header(f, report_run_columns, report_run_column_count);
    for (size_t i = 0; i < in->res->n_runs; i++)
        write_row(f, in, report_run_columns, report_run_column_count, &in->res->runs[i],
                  in->res->runs[i].workload);
    return ferror(f) ? -EIO : 0;
}

static int write_summary(FILE *f, const struct report_input *in)
{
    write_header(f, report_summary_columns, report_summary_column_count);
    for (size_t i = 0; i < in->res->n_summaries; i++)
        write_row(f, in, report_summary_columns, report_summary_column_count,
                  &in->res->summaries[i], in->res->summaries[i].workload);
    return ferror(f) ? -EIO : 0;
}

const struct report_format report_runs_csv = {.file_name = "runs.csv", .write = write_runs};
const struct report_format report_summary_csv = {.file_name = "summary.csv",
                                                 .write = write_summary};
