/* Reporters: the results of a run as files (runs.csv, summary.csv, results.json) and on
 * the console.
 *
 * Files grow as the run goes, at a cost proportional to what each workload adds: the CSV
 * files get the workload's rows appended (one write each), and the workload's results.json
 * block is appended, also with one write, to workloads.json-seq: a JSON text sequence
 * (RFC 7464), one record (RS, the block, LF) per finished workload. While the run lasts,
 * results.json holds the context and the config and names that file ("workload_files");
 * at the end (also after Ctrl-C, SIGTERM or SIGHUP) it is rewritten once with every block
 * inline and the file removed. A run killed with SIGKILL leaves a valid results.json that
 * names the block file, whose records are the blocks of the finished workloads (only the
 * last can be incomplete, when the kill came during its write; readers drop it). Every file
 * is created new (O_EXCL, never through a symlink) in the results directory. */
#ifndef MMBENCH_REPORT_H
#define MMBENCH_REPORT_H

#include "perf.h"
#include "results.h"
#include "sysinfo.h"
#include "timer.h"
#include "workload.h"

#include <stdbool.h>
#include <stdio.h>

#define REPORT_SCHEMA_VERSION   2           /* results.json */
#define REPORT_WORKLOAD_FILE    "workloads" /* the blocks of finished workloads, while running */
#define REPORT_WORKLOAD_SUFFIX  ".json-seq"
#define REPORT_RECORD_SEPARATOR '\x1e' /* RS, before each record of a JSON text sequence */

struct report_input {
    const char *config_name;
    const char *config_description; /* may be NULL */
    const char *config_source;      /* file path or "<built-in>" */
    const char *command_line;
    const struct workload *workloads;
    size_t n_workloads;
    const struct results *res; /* run-wide totals and warnings */
    const struct sysinfo_context *si;
    const struct timer_info *timer;
    const struct perf_probe *perf;
    bool complete; /* every workload ran */
};

struct report_files;
struct outdir;

/* Creates the result files in od (held open, empty): the CSV headers and a results.json
 * that holds the context and config. od must outlive the files. Returns 0 or -errno after
 * logging. */
int report_files_open(const struct outdir *od, const struct report_input *in,
                      struct report_files **out);

/* Adds a finished workload to every file. Returns 0 or -errno after logging (the files
 * written so far stay valid). */
int report_files_add(struct report_files *f, const struct report_input *in,
                     const struct workload_result *wr);

/* Writes the final results.json (every block inline, the totals and warnings) and removes
 * the workload directory. Frees f. Returns 0 or -errno after logging. */
int report_files_finish(struct report_files *f, const struct report_input *in);

/* Async-signal-safe: removes the temporary file being written, if any (for an exit in
 * the middle of writing; the finished files are left as they are). */
void report_emergency_cleanup(void);

/* Console: the context in a few lines, one table per workload, the closing lines. */
void report_console_header(FILE *out, const struct report_input *in);
void report_console_workload(FILE *out, const struct report_input *in,
                             const struct workload_result *wr);
/* Prints warnings to err after flushing out, so that both streams read in order on a
 * terminal or in a log: the run-wide ones (wr NULL) or the workload's. */
void report_console_warnings(FILE *out, FILE *err, const struct report_input *in,
                             const struct workload_result *wr);
void report_console_footer(FILE *out, const struct report_input *in, const char *results_dir);

/* The file a profiled round's folded stacks go to, relative to the results directory:
 * "profiles/000003-mmap.folded". */
void report_profile_name(const struct workload_result *wr, unsigned backend, char *buf, size_t len);

/* Writes text as one CSV field (RFC 4180: quoted when it holds , " CR or LF). */
void report_csv_field(FILE *f, const char *text);

/* The formats, each a small module: the CSV files' header and rows, and the JSON document's
 * parts. Each writes to f and returns 0 or -errno. */
int report_csv_runs_header(FILE *f);
int report_csv_runs_rows(FILE *f, const struct report_input *in, const struct workload_result *wr);
int report_csv_summary_header(FILE *f);
int report_csv_timeline_header(FILE *f);
int report_csv_timeline_rows(FILE *f, const struct report_input *in,
                             const struct workload_result *wr);
int report_csv_summary_rows(FILE *f, const struct report_input *in,
                            const struct workload_result *wr);
/* results.json: everything before the workloads ("workload_files" names the block file
 * when the blocks are not inline), one workload's block (an element of the "workloads"
 * array, and a JSON document of its own), and everything after (after_blocks: the array
 * holds blocks, so the tail starts with a separator's worth of context). */
int report_json_head(FILE *f, const struct report_input *in, const char *workload_files);
int report_json_workload(FILE *f, const struct report_input *in, const struct workload_result *wr);
/* What writing the results cost the harness, for results.json's "harness" object. */
struct report_timing {
    uint64_t run_ns;             /* the results' opening to the writing of this object */
    uint64_t workload_writes_ns; /* writing each finished workload: CSV rows, its block */
    uint64_t final_ns;           /* the final results.json up to this object */
};

/* timing may be NULL (results.json while the run lasts). */
int report_json_tail(FILE *f, const struct report_input *in, bool after_blocks,
                     const struct report_timing *timing);

#endif
