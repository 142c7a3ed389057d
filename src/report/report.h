/* Reporters: the results of a run as files (runs.csv, summary.csv, results.json) and on
 * the console. Each file format is a small module behind one interface; the files are
 * written to a temporary name and renamed, so a reader never sees a partial file. */
#ifndef MMBENCH_REPORT_H
#define MMBENCH_REPORT_H

#include "outdir.h"
#include "perf.h"
#include "results.h"
#include "sysinfo.h"
#include "timer.h"
#include "workload.h"

#include <stdbool.h>
#include <stdio.h>

#define REPORT_SCHEMA_VERSION 1

struct report_input {
    const char *config_name;
    const char *config_description; /* may be NULL */
    const char *config_source;      /* file path or "<built-in>" */
    const char *command_line;
    const struct workload *workloads;
    size_t n_workloads;
    const struct results *res;
    const struct sysinfo_context *si;
    const struct timer_info *timer;
    const struct perf_probe *perf;
    bool complete; /* false for a checkpoint written mid-run */
};

struct report_format {
    const char *file_name;
    int (*write)(FILE *f, const struct report_input *in);
};

extern const struct report_format report_runs_csv;
extern const struct report_format report_summary_csv;
extern const struct report_format report_results_json;

/* Writes every file format into dir, each atomically. Returns 0 or -errno after
 * logging. */
int report_write_files(const struct outdir *dir, const struct report_input *in);

/* Async-signal-safe: removes the temporary file being written, if any (for an exit in the
 * middle of report_write_files; the finished files are left as they are). */
void report_emergency_cleanup(void);

/* Console: the context in a few lines, one table per workload, the closing lines. */
void report_console_header(FILE *out, const struct report_input *in);
void report_console_workload(FILE *out, const struct report_input *in, unsigned workload);
/* Prints the warnings about workload (-1: about the whole run) to err, after flushing out
 * so that both streams read in order on a terminal or in a log. */
void report_console_warnings(FILE *out, FILE *err, const struct report_input *in, int workload);
void report_console_footer(FILE *out, const struct report_input *in, const char *results_dir);

/* The summary and comparison of a workload x backend, or NULL. */
const struct results_summary *report_find_summary(const struct results *res, unsigned workload,
                                                  unsigned backend);
const struct results_comparison *report_find_comparison(const struct results *res,
                                                        unsigned workload);

/* Writes text as one CSV field (RFC 4180: quoted when it holds , " CR or LF). */
void report_csv_field(FILE *f, const char *text);

#endif
