#include "report.h"

#include "log.h"
#include "outdir.h"

#include <stdio.h>
#include <string.h>

static const struct report_format *const formats[] = {
    &report_runs_csv,
    &report_summary_csv,
    &report_results_json,
};

/* Created next to its final name, renamed over it (outdir: never through a symlink,
 * never an existing file); the errno of a failed write is kept. */
static int write_atomically(const struct outdir *dir, const struct report_format *fmt,
                            const struct report_input *in)
{
    struct outdir_file of;
    int ret = outdir_file_begin(&of, dir, fmt->file_name);
    return ret < 0 ? ret : outdir_file_commit(&of, fmt->write(of.f, in));
}

void report_emergency_cleanup(void)
{
    outdir_emergency_cleanup();
}

int report_write_files(const struct outdir *dir, const struct report_input *in)
{
    int ret = 0;
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        int r = write_atomically(dir, formats[i], in);
        ret = ret ? ret : r;
    }
    return ret;
}

/* Summaries and comparisons are added in workload order (two and one per workload when
 * nothing failed to start), so look where they should be first, then search: writing
 * the files after every workload of a long sweep stays linear. */
const struct results_summary *report_find_summary(const struct results *res, unsigned workload,
                                                  unsigned backend)
{
    for (size_t i = 0; i < res->n_summaries; i++) {
        size_t k = (2 * (size_t)workload + i) % res->n_summaries;
        if (res->summaries[k].workload == workload && res->summaries[k].backend == backend)
            return &res->summaries[k];
    }
    return NULL;
}

const struct results_comparison *report_find_comparison(const struct results *res,
                                                        unsigned workload)
{
    for (size_t i = 0; i < res->n_comparisons; i++) {
        size_t k = ((size_t)workload + i) % res->n_comparisons;
        if (res->comparisons[k].workload == workload)
            return &res->comparisons[k];
    }
    return NULL;
}

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
