/* The columns of runs.csv and summary.csv, and the fields of the run and summary objects
 * in results.json: one table each, so the CSV and JSON formats cannot drift apart, and
 * docs/results.md documents them from the same rows (scripts/gen-docs). The derived metrics
 * (metrics.h) are columns of both tables. Units are in the names (_ns, _bytes, _mib_s,
 * _pct); an unavailable value is null in JSON and an empty cell in CSV, never 0. */
#ifndef MMBENCH_REPORT_COLUMNS_H
#define MMBENCH_REPORT_COLUMNS_H

#include "report.h"

#include <stddef.h>

enum report_value_kind { RV_NULL, RV_NUMBER, RV_STRING, RV_BOOL };

struct report_value {
    enum report_value_kind kind;
    char text[640]; /* the number or string, as written */
};

/* What a column reads: a run or a summary, with its workload's result. */
struct report_row {
    const struct report_input *in;
    const struct workload_result *wr;
    const void *row; /* struct run_record or struct results_summary */
};

struct report_column {
    const char *name;
    void (*get)(const struct report_column *c, const struct report_row *r, struct report_value *v);
    size_t offset;   /* of the field in the row struct, for the generic getters */
    int index;       /* counter or metric index */
    const char *doc; /* for docs/results.md; `code` in backquotes */
};

/* Rows are struct run_record. */
extern const struct report_column report_run_columns[];
extern const size_t report_run_column_count;

/* Rows are struct results_summary. */
extern const struct report_column report_summary_columns[];
extern const size_t report_summary_column_count;

/* The columns of timeline.csv (names and docs; one row per run x interval, written by
 * report_csv.c in this order). */
extern const struct report_column report_timeline_columns[];
extern const size_t report_timeline_column_count;

/* The columns before the parameters: workload, base_name, backend. */
#define REPORT_IDENTITY_COLUMNS 3

void report_value_number(struct report_value *v, double x);
void report_value_u64(struct report_value *v, uint64_t x);
void report_value_string(struct report_value *v, const char *s);

#endif
