/* Workload kinds: what a workload measures. The default, io, is the timed I/O loop of
 * run/phase.c on every backend; the others measure what file mappings do beyond one
 * process's throughput, each with an engine of this folder:
 *   footprint  N processes load the same file and keep it: their memory (smaps), the page
 *              cache and MemAvailable, by backend (mmap with map shared or private: a
 *              mapping; pread: a heap buffer of each process's own)
 *   cow        the first write to each page of a MAP_PRIVATE mapping (a copy-on-write fault)
 *              against a repeated write and against the first write of a MAP_SHARED one
 *   ipc        two unrelated processes exchange messages through the file: through a
 *              MAP_SHARED mapping (mmap) or pwrite/pread (pread), the same futex handshake
 *   claim      one classic claim about file mappings put to the test, with its evidence
 *              and a verdict from what was measured
 * A kind, like a backend, brings its own keys (rows stored in its option slot), says which
 * backends it runs, and reports its figures as metrics of its own: one value per run
 * (a column "<kind>_<metric>" in runs.csv and summary.csv, a "kind_metrics" object in
 * results.json), medians in the summary, and, where it names one, the metric the backends
 * are compared on instead of throughput. */
#ifndef MMBENCH_KIND_H
#define MMBENCH_KIND_H

#include "backend.h"
#include "hist.h"
#include "kcounters.h"
#include "params.h"
#include "workload.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KIND_METRICS_MAX 12
#define KIND_TEXT_MAX    1024
#define KIND_FIGURES_MAX 16

/* One figure behind a claim's verdict; name and unit have static storage. */
struct kind_figure {
    const char *name;
    const char *unit;
    double value;
};

struct run_record;

/* One figure a kind measures per run. */
struct kind_metric {
    const char *name; /* column suffix: "pss_per_process_bytes" */
    const char *unit; /* "bytes", "ns", "count", "ratio", ... (bytes and ns are shown scaled) */
    const char *doc;  /* for the documentation */
};

struct kind_input {
    const struct workload *w;
    const void *opts;  /* the kind's options (its slot of workload.options) */
    unsigned backend;  /* the registry index of the backend this run stands for */
    int fd;            /* the data file (O_RDWR unless an existing file was given) */
    const char *label; /* its name in messages */
    int dir_fd;        /* the directory it is in, for files of the kind's own */
    const struct kcounters_source *kc; /* its block device */
};

struct kind_output {
    struct run_record *rec;          /* ops, bytes, elapsed_ns, status, error, note */
    struct hist *latency;            /* the run's distribution (round trips, first writes) */
    double metric[KIND_METRICS_MAX]; /* in the kind's metric order; NAN: not measured */
    char text[KIND_TEXT_MAX];        /* the claim's evidence; empty otherwise */
    struct kind_figure figures[KIND_FIGURES_MAX]; /* the claim's measured figures */
    unsigned n_figures;
    int verdict; /* a claim's: 0 holds, 1 does not hold, 2 inconclusive */
};

struct kind_ops {
    const char *name;
    const char *description;

    /* Optional: the keys only this kind has (rows into its options struct). */
    const struct param_def *params;
    size_t n_params;

    const struct kind_metric *metrics;
    size_t n_metrics;

    /* The backends it runs, by name (NULL-terminated); NULL: every backend (io). A
     * workload that leaves backends at its default runs these; one that names another is
     * refused. */
    const char *const *backends;

    /* Its runs have a throughput and a latency worth the console's table (io, ipc); else
     * the console shows the kind's metrics instead. */
    bool io_table;

    /* The metric the backends are compared on (lower is better when lower_is_better), or
     * -1: throughput, or none when the kind runs one backend. */
    int compare_metric;
    bool lower_is_better;

    /* Optional: checks of a workload of this kind. Returns 0 or -EINVAL with err. */
    int (*check)(const struct workload *w, const void *opts, char *err, size_t err_len);

    /* One repetition. NULL for io, whose repetitions are run/phase.c's. Returns 0 when it
     * ran (out->rec->status says how it ended), or -errno with out->rec->error set. */
    int (*run)(const struct kind_input *in, struct kind_output *out);
};

/* The registry, in a fixed order: kind i takes option slot KIND_FIRST_SLOT + i. */
#define KIND_FIRST_SLOT WORKLOAD_BACKEND_SLOTS
size_t kind_count(void);
const struct kind_ops *kind_get(size_t index);
int kind_find(const char *name);

/* The names of the kinds, in registry order, NULL-terminated: the values of the key
 * "kind". */
extern const char *const kind_names[];

/* True when the kind runs backend b (its list, or every one). */
bool kind_runs_backend(const struct kind_ops *k, size_t backend);

/* The kind of w. */
const struct kind_ops *kind_of(const struct workload *w);

#endif
