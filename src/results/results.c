#include "results.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

const char *const run_status_names[] = {RUN_STATUS_LIST(WORKLOAD_ENUM_NAME) NULL};
const char *const run_role_names[] = {RUN_ROLE_LIST(WORKLOAD_ENUM_NAME) NULL};

void results_init(struct results *r, size_t n_workloads)
{
    memset(r, 0, sizeof(*r));
    r->n_workloads = n_workloads;
}

static void free_warnings(struct results_warning *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i].text);
    free(list);
}

void results_free(struct results *r)
{
    free_warnings(r->warnings, r->n_warnings);
    memset(r, 0, sizeof(*r));
}

/* Appends a warning to *list unless the run already holds RESULTS_MAX_WARNINGS. */
static void add_warning(struct results *res, struct results_warning **list, size_t *n, int workload,
                        const char *fmt, va_list ap)
{
    char text[512];
    vsnprintf(text, sizeof(text), fmt, ap);
    if (res->n_warnings + res->workload_warnings + *n >= RESULTS_MAX_WARNINGS) {
        res->n_warnings_dropped++;
        return;
    }
    struct results_warning *grown = realloc(*list, (*n + 1) * sizeof(*grown));
    char *copy = strdup(text);
    if (!grown || !copy) {
        free(copy);
        if (grown)
            *list = grown;
        res->n_warnings_dropped++;
        return;
    }
    *list = grown;
    grown[*n].workload = workload;
    grown[*n].text = copy;
    (*n)++;
}

void results_warn(struct results *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_warning(r, &r->warnings, &r->n_warnings, -1, fmt, ap);
    va_end(ap);
}

void workload_result_warn(struct workload_result *wr, struct results *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_warning(res, &wr->warnings, &wr->n_warnings, (int)wr->workload, fmt, ap);
    va_end(ap);
}

int workload_result_init(struct workload_result *wr, unsigned index, const struct workload *w)
{
    memset(wr, 0, sizeof(*wr));
    for (size_t b = 0; b < RESULTS_MAX_BACKENDS; b++) {
        wr->latency[b] = results_hist_alloc();
        wr->flush[b] = results_hist_alloc();
        if (!wr->latency[b] || !wr->flush[b]) {
            workload_result_free(wr);
            return -ENOMEM;
        }
    }
    workload_result_reset(wr, index, w);
    return 0;
}

void workload_result_reset(struct workload_result *wr, unsigned index, const struct workload *w)
{
    free_warnings(wr->warnings, wr->n_warnings);
    wr->warnings = NULL;
    wr->n_warnings = 0;
    wr->workload = index;
    wr->w = w;
    wr->n_runs = 0;
    wr->n_points = 0;
    wr->n_summaries = 0;
    wr->n_comparisons = 0;
    wr->interrupted = false;
    memset(wr->claim_verdicts, 0, sizeof(wr->claim_verdicts));
    wr->claim_evidence[0] = '\0';
    wr->n_claim_figures = 0;
    memset(&wr->checksum, 0, sizeof(wr->checksum));
    for (size_t b = 0; b < RESULTS_MAX_BACKENDS; b++) {
        hist_init(wr->latency[b]);
        hist_init(wr->flush[b]);
        profile_free(wr->profiles[b]);
        wr->profiles[b] = NULL;
    }
}

void workload_result_free(struct workload_result *wr)
{
    free_warnings(wr->warnings, wr->n_warnings);
    free(wr->runs);
    free(wr->checks);
    free(wr->points);
    for (size_t b = 0; b < RESULTS_MAX_BACKENDS; b++) {
        results_hist_free(wr->latency[b]);
        results_hist_free(wr->flush[b]);
        profile_free(wr->profiles[b]);
    }
    memset(wr, 0, sizeof(*wr));
}

int workload_result_add_run(struct workload_result *wr, const struct run_record *rec,
                            const struct run_check *check)
{
    if (wr->n_runs == wr->cap_runs) {
        size_t cap = wr->cap_runs ? wr->cap_runs * 2 : 16;
        struct run_record *runs = realloc(wr->runs, cap * sizeof(*runs));
        if (runs)
            wr->runs = runs;
        struct run_check *checks = runs ? realloc(wr->checks, cap * sizeof(*checks)) : NULL;
        if (!checks)
            return -ENOMEM;
        wr->checks = checks;
        wr->cap_runs = cap;
    }
    wr->runs[wr->n_runs] = *rec;
    if (check)
        wr->checks[wr->n_runs] = *check;
    else
        memset(&wr->checks[wr->n_runs], 0, sizeof(*check));
    wr->n_runs++;
    return 0;
}

struct timeline_point *workload_result_reserve_points(struct workload_result *wr, size_t n)
{
    if (wr->n_points + n > wr->cap_points) {
        size_t cap = wr->cap_points ? wr->cap_points : 64;
        while (cap < wr->n_points + n)
            cap *= 2;
        struct timeline_point *grown = realloc(wr->points, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        wr->points = grown;
        wr->cap_points = cap;
    }
    return &wr->points[wr->n_points];
}

const struct results_summary *workload_result_summary(const struct workload_result *wr,
                                                      unsigned backend)
{
    for (size_t i = 0; i < wr->n_summaries; i++)
        if (wr->summaries[i].backend == backend)
            return &wr->summaries[i];
    return NULL;
}

const struct results_comparison *workload_result_headline(const struct workload_result *wr)
{
    for (size_t i = 0; i < wr->n_comparisons; i++)
        if (wr->comparisons[i].headline)
            return &wr->comparisons[i];
    return wr->n_comparisons ? &wr->comparisons[0] : NULL;
}

void results_account(struct results *r, const struct workload_result *wr)
{
    r->workloads_done++;
    r->runs += wr->n_runs;
    for (size_t i = 0; i < wr->n_runs; i++) {
        if (wr->runs[i].status == RUN_FAILED) {
            r->failed_runs++;
            r->any_failed = true;
        }
    }
    r->workload_warnings += wr->n_warnings;
    r->interrupted = r->interrupted || wr->interrupted;
}

struct hist *results_hist_alloc(void)
{
    void *p =
        mmap(NULL, sizeof(struct hist), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    struct hist *h = p;
    h->min_ns = UINT64_MAX; /* the rest is already zero */
    return h;
}

void results_hist_free(struct hist *h)
{
    if (h)
        munmap(h, sizeof(*h));
}
