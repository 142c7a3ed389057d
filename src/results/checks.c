#include "checks.h"

#include "backend.h"
#include "kind.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

#define CHECK_BATCH_OPS 256 /* the first checkpoint, after 2^8 operations per thread */

static uint64_t final_or_checkpoint(const struct workload_result *wr, size_t i, unsigned k)
{
    return k == RESULTS_CHECKPOINTS ? wr->runs[i].checksum : wr->checks[i].checkpoint[k];
}

size_t checks_verify(struct workload_result *wr)
{
    const struct workload *w = wr->w;
    struct results_checksum *out = &wr->checksum;
    size_t ref = SIZE_MAX;
    for (size_t i = 0; i < wr->n_runs && ref == SIZE_MAX; i++)
        if (wr->runs[i].status == RUN_OK)
            ref = i;
    if (kind_of(w)->run) {
        out->status = CHECKSUM_NOT_APPLICABLE;
        snprintf(out->text, sizeof(out->text), "n/a (kind %s checks its own figures)",
                 kind_of(w)->name);
        return 0;
    }
    if (workload_writes(w)) {
        out->status = CHECKSUM_NOT_APPLICABLE;
        snprintf(out->text, sizeof(out->text), "n/a (writes change the data read)");
        return 0;
    }
    if (ref == SIZE_MAX) {
        out->status = CHECKSUM_NOT_APPLICABLE;
        snprintf(out->text, sizeof(out->text), "n/a (no successful run)");
        return 0;
    }
    bool all_final = true;
    unsigned common = RESULTS_CHECKPOINTS; /* smallest checkpoint count */
    for (size_t i = 0; i < wr->n_runs; i++) {
        if (wr->runs[i].status != RUN_OK)
            continue;
        all_final = all_final && wr->checks[i].ops_exact && wr->runs[i].ops == wr->runs[ref].ops;
        if (wr->checks[i].n_checkpoints < common)
            common = wr->checks[i].n_checkpoints;
    }
    unsigned k;
    char scope[64];
    if (all_final) {
        k = RESULTS_CHECKPOINTS;
        snprintf(scope, sizeof(scope), "all %llu operations",
                 (unsigned long long)wr->runs[ref].ops);
    } else if (common > 0) {
        k = common - 1;
        snprintf(scope, sizeof(scope), "first %llu operations per thread",
                 (unsigned long long)CHECK_BATCH_OPS << k);
    } else {
        out->status = CHECKSUM_UNVERIFIED;
        snprintf(out->text, sizeof(out->text), "unverified (fewer than %d operations per thread)",
                 CHECK_BATCH_OPS);
        return 0;
    }
    size_t compared = 0, failed = 0;
    uint64_t expected = final_or_checkpoint(wr, ref, k);
    const char *ref_backend = backend_get(wr->runs[ref].backend)->name;
    for (size_t i = 0; i < wr->n_runs; i++) {
        struct run_record *rec = &wr->runs[i];
        if (rec->status != RUN_OK)
            continue;
        compared++;
        uint64_t got = final_or_checkpoint(wr, i, k);
        if (got == expected)
            continue;
        /* Fail loudly: the backends did not read the same data. */
        rec->status = RUN_FAILED;
        snprintf(rec->error, sizeof(rec->error),
                 "checksum %016llx differs from the %s run's %016llx over the %s",
                 (unsigned long long)got, ref_backend, (unsigned long long)expected, scope);
        if (failed++ == 0)
            log_error("%s: checksum mismatch between %s and %s over the %s: the backends did "
                      "not read the same data",
                      w->name, ref_backend, backend_get(rec->backend)->name, scope);
    }
    if (failed) {
        out->status = CHECKSUM_MISMATCH;
        snprintf(out->text, sizeof(out->text), "MISMATCH in %zu of %zu runs over the %s", failed,
                 compared, scope);
    } else {
        out->status = CHECKSUM_MATCH;
        snprintf(out->text, sizeof(out->text), "match (%zu runs, %s)", compared, scope);
    }
    return failed;
}
