#include "report.h"

#include "log.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct report_format *const formats[] = {
    &report_runs_csv,
    &report_summary_csv,
    &report_results_json,
};

/* The temporary file being written, for the emergency exit (valid while emergency_armed). */
static char emergency_tmp[PATH_MAX + 16];
static volatile sig_atomic_t emergency_armed;

static int write_atomically(const char *dir, const struct report_format *fmt,
                            const struct report_input *in)
{
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/%s", dir, fmt->file_name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    emergency_armed = 0;
    memcpy(emergency_tmp, tmp, sizeof(tmp));
    emergency_armed = 1; /* before the file exists: it is never left behind */
    FILE *f = fopen(tmp, "we");
    if (!f) {
        int e = errno;
        log_error("creating %s: %s", tmp, strerror(e));
        return -e;
    }
    int ret = fmt->write(f, in);
    if (fflush(f) != 0 || ferror(f))
        ret = ret ? ret : -(errno ? errno : EIO);
    if (ret == 0 && fsync(fileno(f)) < 0)
        ret = -errno;
    if (fclose(f) != 0 && ret == 0)
        ret = -errno;
    if (ret == 0 && rename(tmp, path) < 0)
        ret = -errno;
    if (ret < 0) {
        log_error("writing %s: %s", path, strerror(-ret));
        unlink(tmp);
    }
    emergency_armed = 0;
    return ret;
}

void report_emergency_cleanup(void)
{
    if (emergency_armed)
        unlink(emergency_tmp);
}

int report_write_files(const char *dir, const struct report_input *in)
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
