/* runs.csv (one row per workload x backend x repetition) and summary.csv (one row per
 * workload x backend). Both start with the row's identity (workload, base_name, backend),
 * then every workload parameter, then the measurements. */
#include "params.h"
#include "report.h"
#include "report_columns.h"

#include <errno.h>
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

static int write_header(FILE *f, const struct report_column *cols, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i == REPORT_IDENTITY_COLUMNS)
            for (size_t p = 0; p < params_count(); p++)
                fprintf(f, ",%s", params_at(p)->column);
        fprintf(f, "%s%s", i ? "," : "", cols[i].name);
    }
    fputc('\n', f);
    return ferror(f) ? -EIO : 0;
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
    fputc('\n', f);
}

int report_csv_runs_header(FILE *f)
{
    return write_header(f, report_run_columns, report_run_column_count);
}

int report_csv_runs_rows(FILE *f, const struct report_input *in, const struct workload_result *wr)
{
    for (size_t i = 0; i < wr->n_runs; i++) {
        struct report_row row = {in, wr, &wr->runs[i]};
        write_row(f, report_run_columns, report_run_column_count, &row);
    }
    return ferror(f) ? -EIO : 0;
}

int report_csv_summary_header(FILE *f)
{
    return write_header(f, report_summary_columns, report_summary_column_count);
}

int report_csv_summary_rows(FILE *f, const struct report_input *in,
                            const struct workload_result *wr)
{
    for (size_t i = 0; i < wr->n_summaries; i++) {
        struct report_row row = {in, wr, &wr->summaries[i]};
        write_row(f, report_summary_columns, report_summary_column_count, &row);
    }
    return ferror(f) ? -EIO : 0;
}
