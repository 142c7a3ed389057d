/* The columns of runs.csv and summary.csv, and the fields of the run and summary objects
 * in results.json: one table each, so the CSV and JSON formats cannot drift apart.
 * Units are in the names (_ns, _bytes, _mib_s, _pct); an unavailable value is null in
 * JSON and an empty cell in CSV, never 0. docs/results.md documents every column. */
#ifndef MMBENCH_REPORT_COLUMNS_H
#define MMBENCH_REPORT_COLUMNS_H

#include "report.h"

#include <stddef.h>

enum report_value_kind { RV_NULL, RV_NUMBER, RV_STRING, RV_BOOL };

struct report_value {
    enum report_value_kind kind;
    char text[320]; /* the number or string, as written */
};

struct report_column {
    const char *name;
    void (*get)(const struct report_column *c, const struct report_input *in, const void *row,
                struct report_value *v);
    size_t offset; /* of the field in the row struct, for the generic getters */
    int index;     /* counter index, for counter columns */
};

/* Rows are struct run_record. */
extern const struct report_column report_run_columns[];
extern const size_t report_run_column_count;

/* Rows are struct results_summary. */
extern const struct report_column report_summary_columns[];
extern const size_t report_summary_column_count;

void report_value_number(struct report_value *v, double x);
void report_value_u64(struct report_value *v, uint64_t x);
void report_value_string(struct report_value *v, const char *s);

#endif
