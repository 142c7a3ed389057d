/* What a run measured: one record per workload x backend x repetition, and, per workload,
 * the aggregates per backend, the comparisons with the baseline backend and the checksum
 * verdict.
 *
 * Results flow one way: the runner fills the records of one workload into a
 * workload_result, checks_verify() marks the runs whose checksums disagree,
 * aggregate_workload() adds the summaries, verdict_workload() the comparisons, and the
 * reporters write the finished workload out and forget it. Memory is bounded by one
 * workload, whatever the sweep; struct results keeps only run-wide totals. */
#ifndef MMBENCH_RESULTS_H
#define MMBENCH_RESULTS_H

#include "folios.h"
#include "hist.h"
#include "kcounters.h"
#include "kind.h"
#include "metrics.h"
#include "perf.h"
#include "profile.h"
#include "stats.h"
#include "workload.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUN_STATUS_LIST(X) X(RUN_OK, "ok") X(RUN_FAILED, "failed") X(RUN_INTERRUPTED, "interrupted")
enum run_status { RUN_STATUS_LIST(WORKLOAD_ENUM_VALUE) };
extern const char *const run_status_names[];

/* Why a run was made: measured (the aggregates), a warm-up, or one of the extra runs
 * beside the measured ones that keep the instrument from moving the measured figures:
 * with latency off (what timing every operation costs, with latency: all), or profiled
 * (profile: true). Only measured runs count in the throughput, latency and metrics. */
#define RUN_ROLE_LIST(X)                                                                           \
    X(RUN_MEASURED, "measured")                                                                    \
    X(RUN_WARMUP, "warmup") X(RUN_LATENCY_OFF, "latency_off") X(RUN_PROFILED, "profiled")
enum run_role { RUN_ROLE_LIST(WORKLOAD_ENUM_VALUE) };
extern const char *const run_role_names[];

#define RESULTS_TEXT_MAX         256 /* the error and note of a run; BACKEND_NOTE_MAX fits */
#define RESULTS_SETTINGS_MAX     512 /* the kernel settings a run records */
#define RESULTS_BACKEND_COUNTERS 4   /* BACKEND_COUNTERS_MAX */
#define RESULTS_KIND_METRICS     12  /* KIND_METRICS_MAX */

/* One point of a phase's time series (cumulative since the gate opened, so that any two
 * points give the rates between them). */
struct timeline_point {
    uint64_t t_ns;           /* since the gate opened */
    uint64_t ops;            /* operations the workers completed (whole batches) */
    uint64_t minflt, majflt; /* page faults of the process */
    uint64_t dev_read_bytes; /* of the block device (system-wide) */
    uint64_t dev_write_bytes;
    uint64_t tlb_shootdowns; /* all CPUs */
    double resident_pct;     /* of the file in the page cache; NAN when unknown */
    double dirty_pct;        /* of the file dirty or under writeback; NAN when unknown */
};

/* A level of a phase's throughput: the series split where its mean changes
 * (results/levels.h). */
struct timeline_level {
    double start_s, end_s; /* from the gate */
    double tput_mib_s;     /* mean over the level */
};

#define RESULTS_MAX_LEVELS 4

struct run_record {
    unsigned workload;  /* index into the workloads */
    unsigned backend;   /* index into the backend registry */
    unsigned round;     /* 0-based; warm-up rounds come first */
    unsigned sequence;  /* execution order within the workload */
    enum run_role role; /* only measured runs count in the aggregates */
    enum run_status status;
    char error[RESULTS_TEXT_MAX];
    char note[RESULTS_TEXT_MAX];
    const char *flush_call; /* system call behind sync, static */

    uint64_t ops;
    uint64_t reads;
    uint64_t writes;
    uint64_t bytes;
    uint64_t elapsed_ns; /* first worker start to last worker end */
    double tput_mib_s;   /* bytes / elapsed, MiB = 2^20 bytes */
    double ops_s;

    struct hist_summary latency; /* data path, ns per operation (flushes excluded) */

    struct hist_summary flush; /* ns per flush call; count = flush calls */
    uint64_t flush_total_ns;   /* summed over threads */
    uint64_t end_flush_ns;     /* the final flush (longest over threads) */

    uint64_t setup_ns;    /* backend open: open + mmap + madvise + populate */
    uint64_t teardown_ns; /* backend close: munmap + close */
    uint64_t remaps;      /* window maps */
    uint64_t remap_ns;
    uint64_t prepare_ns; /* cache preparation before the phase */

    uint64_t minflt, majflt;     /* getrusage of the workers */
    uint64_t nvcsw, nivcsw;      /* voluntary and involuntary context switches */
    uint64_t utime_ns, stime_ns; /* user and system CPU time, summed over workers */
    uint64_t oncpu_ns;           /* time on a CPU, summed over workers (schedstat) */
    uint64_t runqueue_ns;        /* time runnable but waiting for a CPU (schedstat) */
    bool have_schedstat;         /* oncpu_ns and runqueue_ns were measured */
    uint64_t worker_wall_ns;     /* wall time summed over workers: the time split's whole */
    uint64_t syscalls;           /* system calls the workers made (data path and flushes) */
    uint64_t backend_counter[RESULTS_BACKEND_COUNTERS]; /* the backend's (its .counters) */
    double kind_metric[RESULTS_KIND_METRICS]; /* the kind's figures (kinds/kind.h); NAN: none */
    uint64_t task_read_bytes;                 /* storage reads the workers caused (/proc/.../io) */
    uint64_t task_write_bytes;                /* bytes they dirtied for writeback */
    uint64_t task_cancelled_bytes; /* dirtied bytes that were truncated before writeback */
    bool have_task_io;             /* the task_* counters were measured */

    uint64_t checksum; /* sum over threads of their checksums */

    double resident_before_pct;
    double resident_after_pct;
    bool cache_state_reached; /* the asked cache state was verified */

    uint64_t kc[KC_COUNT]; /* kernel counter deltas over the phase */
    bool kc_have[KC_COUNT];

    uint64_t perf[PERF_COUNT]; /* summed over threads */
    bool perf_have[PERF_COUNT];

    size_t timeline_first;                            /* its points in workload_result.points */
    size_t timeline_points;                           /* 0 without a time series */
    struct timeline_level levels[RESULTS_MAX_LEVELS]; /* of its throughput series */
    unsigned n_levels;                                /* 1: steady; 0: no series */

    double thread_tput_min_mib_s;
    double thread_tput_max_mib_s;
    double thread_ops_cv; /* spread of operations between threads */
    bool in_cgroup;

    char kernel_settings[RESULTS_SETTINGS_MAX]; /* applied for the phase, as found then and
                                                   as set: "thp: madvise -> never"; "" */
    struct folios_census folios; /* the file's cached pages by folio size, before the phase */
    bool have_folios;            /* folios was taken (it needs root) */
    uint64_t folio_census_ns;    /* the time it took (before the phase, not in it) */
};

#define RESULTS_CHECKPOINTS 48 /* checksums after 2^8 ... 2^55 operations per thread */

/* What the checksum verification needs of a run besides its record. */
struct run_check {
    bool ops_exact; /* ops mode and every thread did exactly its share */
    /* checkpoint[k]: sum over threads of their checksum after 2^(k+8) operations, valid
     * for k < n_checkpoints (every thread got that far). */
    uint64_t checkpoint[RESULTS_CHECKPOINTS];
    unsigned n_checkpoints;
};

/* Aggregate of the measured runs of one workload x backend. */
struct results_summary {
    unsigned backend;
    size_t n_ok; /* measured runs that succeeded */
    size_t n_failed;
    struct stats_summary tput; /* MiB/s over repetitions */
    double ops_s_median;
    struct hist_summary latency; /* from the merged histograms of the measured runs */
    struct hist_summary flush;
    double metric[METRIC_COUNT];     /* medians over the measured ok runs; NAN = unavailable */
    size_t cache_state_missed;       /* runs whose cache state was not reached */
    const struct hist *latency_hist; /* merged, owned by the workload_result */
    const struct hist *flush_hist;
    /* Levels within the phase, of the measured run with the median throughput. */
    struct timeline_level levels[RESULTS_MAX_LEVELS];
    unsigned n_levels;       /* 0: no time series */
    char level_change[256];  /* what changed with the first change of level, measured */
    size_t runs_with_levels; /* measured runs whose throughput changed level */
    /* What the instrument cost this backend, from the extra runs (NAN without them):
     * latency: all against latency off, and the profiled round against the measured ones. */
    double latency_cost_pct, latency_cost_ci_low_pct, latency_cost_ci_high_pct;
    double profile_cost_pct;
    double kind_metric[RESULTS_KIND_METRICS]; /* medians of the kind's figures */
};

/* One backend compared with another (the baseline) over a workload's measured runs. */
struct results_comparison {
    unsigned numerator;     /* backend index */
    unsigned denominator;   /* backend index: the baseline, or pread for the headline */
    bool have_ratio;        /* both ran and succeeded */
    double ratio;           /* median tput numerator / median tput denominator */
    double ci_low, ci_high; /* 95% bootstrap; NAN with fewer than 3 repetitions */
    bool headline;          /* mmap against pread: the verdict the console leads with */
    const char *metric;     /* what is compared: NULL = throughput (higher is better), else a
                               kind's metric (lower is better) */
    char verdict[128];      /* "mmap 2.31x faster than pread [2.20, 2.45]" */
};

enum checksum_status {
    CHECKSUM_MATCH,
    CHECKSUM_MISMATCH,
    CHECKSUM_NOT_APPLICABLE,
    CHECKSUM_UNVERIFIED
};

struct results_checksum {
    enum checksum_status status;
    char text[128]; /* "match (12 runs, first 1048576 operations per thread)", ... */
};

struct results_warning {
    int workload; /* index, or -1 for the whole run */
    char *text;   /* says what to do about it */
};

#define RESULTS_MAX_BACKENDS 8

/* Everything about one workload, from its runs to its verdict. */
struct workload_result {
    unsigned workload;
    const struct workload *w;
    struct run_record *runs;  /* in execution order */
    struct run_check *checks; /* runs[i]'s checksums */
    size_t n_runs, cap_runs;
    struct timeline_point *points; /* every run's time series, one after another */
    size_t n_points, cap_points;
    struct results_summary summaries[RESULTS_MAX_BACKENDS]; /* one per backend that ran */
    size_t n_summaries;
    struct results_comparison comparisons[RESULTS_MAX_BACKENDS + 1];
    size_t n_comparisons;
    struct results_checksum checksum;
    struct hist *latency[RESULTS_MAX_BACKENDS]; /* merged over measured runs, by backend */
    struct hist *flush[RESULTS_MAX_BACKENDS];
    struct profile *profiles[RESULTS_MAX_BACKENDS]; /* of the profiled round, by backend */
    /* A claim (kind claim): the verdicts of its runs, and the last run's evidence. */
    unsigned claim_verdicts[3]; /* holds, does not hold, inconclusive */
    char claim_evidence[1024];
    struct kind_figure claim_figures[KIND_FIGURES_MAX]; /* the last run's, by name */
    unsigned n_claim_figures;
    struct results_warning *warnings; /* about this workload */
    size_t n_warnings;
    bool interrupted;
};

/* Run-wide totals and warnings: what is left of a workload once it is reported. */
struct results {
    size_t n_workloads;               /* planned */
    size_t workloads_done;            /* reported so far */
    size_t runs, failed_runs;         /* counted over reported workloads */
    struct results_warning *warnings; /* about the whole run */
    size_t n_warnings;
    size_t n_warnings_dropped; /* beyond RESULTS_MAX_WARNINGS, run-wide and per workload */
    size_t workload_warnings;  /* counted over reported workloads */
    bool interrupted;
    bool any_failed;
    long rss_anon_max_kib; /* the harness's own memory, sampled after each run */
};

#define RESULTS_MAX_WARNINGS 500

void results_init(struct results *r, size_t n_workloads);
void results_free(struct results *r);

/* Records a warning about the whole run. */
void results_warn(struct results *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepares wr for workload index w (histograms allocated lazily, zero-page backed).
 * Returns 0 or -ENOMEM. */
int workload_result_init(struct workload_result *wr, unsigned index, const struct workload *w);
/* Forgets the runs, summaries and warnings for the next workload; keeps the memory. */
void workload_result_reset(struct workload_result *wr, unsigned index, const struct workload *w);
void workload_result_free(struct workload_result *wr);

/* Appends a copy of rec and its checksums (check may be NULL: none). Returns 0 or -ENOMEM. */
int workload_result_add_run(struct workload_result *wr, const struct run_record *rec,
                            const struct run_check *check);

/* Room for n more time-series points (they are appended by the phase, then counted in
 * the run's record). Returns the first free point, or NULL (-ENOMEM). */
struct timeline_point *workload_result_reserve_points(struct workload_result *wr, size_t n);

/* Records a warning about the workload (res counts it against RESULTS_MAX_WARNINGS). */
void workload_result_warn(struct workload_result *wr, struct results *res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The summary of backend in wr, or NULL; the headline comparison, or the first, or NULL. */
const struct results_summary *workload_result_summary(const struct workload_result *wr,
                                                      unsigned backend);
const struct results_comparison *workload_result_headline(const struct workload_result *wr);

/* Adds wr's runs and warnings to the run-wide totals, once it is reported. */
void results_account(struct results *r, const struct workload_result *wr);

/* Allocates a histogram lazily backed by zero pages: only touched buckets use memory. */
struct hist *results_hist_alloc(void);
void results_hist_free(struct hist *h);

#endif
