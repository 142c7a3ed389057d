/* The claim kind: one classic claim about file mappings put to the test (claims.c), once
 * per repetition: its statement, the evidence measured, and a verdict from it. The runs
 * stand on the mmap backend. */
#include "claims.h"

#include "errmsg.h"
#include "kind.h"
#include "kinds.h"
#include "results.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* In claims_table order (checked by kind_claim_check_names in the tests). */
static const char *const claim_names[] = {
    "private_write_invisible",   "shared_write_visible", "munmap_no_writeback",
    "msync_sync_like_fdatasync", "msync_async_no_io",    "msync_invalidate_no_reread",
    "sigbus_past_eof",           "sharing_pages",        NULL,
};

struct claim_options {
    int claim; /* index in claims_table */
};
BACKEND_OPTIONS_FIT(struct claim_options);

static const struct param_def claim_params[] = {
    {.name = "claim",
     .column = "claim",
     .type = PARAM_ENUM,
     .offset = offsetof(struct claim_options, claim),
     .enum_names = claim_names,
     .default_text = "private_write_invisible",
     .group = "Kinds",
     .doc = "the claim put to the test (each is stated, with its rule, in docs/file-mappings.md)"},
};

enum { M_HOLDS };

static const struct kind_metric claim_metrics[] = {
    [M_HOLDS] = {"holds", "1/0",
                 "1 when the claim held in this run, 0 when it did not, empty "
                 "when inconclusive"},
};

static const char *const claim_backends[] = {"mmap", NULL};

static int claim_check(const struct workload *w, const void *opts, char *err, size_t len)
{
    (void)opts;
    if (w->file) {
        return errmsg_set(err, len, -EINVAL, "kind claim writes to the data file: not with file");
    }
    if (w->file_size_bytes < (1u << 20)) {
        return errmsg_set(err, len, -EINVAL, "kind claim needs file_size 1MiB at least");
    }
    return 0;
}

static int claim_kind_run(const struct kind_input *in, struct kind_output *out)
{
    const struct claim_options *o = in->opts;
    struct run_record *rec = out->rec;
    struct claims_config cfg = {
        .fd = in->fd,
        .file_size_bytes = in->w->file_size_bytes,
        .dir_fd = in->dir_fd,
    };
    struct claims_result r;
    memset(&r, 0, sizeof(r));
    char err[KINDS_ERR_BYTES];
    int ret = claims_table[o->claim].run(&cfg, &r, err, sizeof(err));
    if (ret < 0) {
        rec->status = ret == -EINTR ? RUN_INTERRUPTED : RUN_FAILED;
        snprintf(rec->error, sizeof(rec->error), "%s", ret == -EINTR ? "interrupted" : err);
        return 0;
    }
    out->verdict = (int)r.verdict;
    out->metric[M_HOLDS] = r.verdict == CLAIMS_HOLDS           ? 1
                           : r.verdict == CLAIMS_DOES_NOT_HOLD ? 0
                                                               : NAN;
    snprintf(out->text, sizeof(out->text), "%s: %s", r.statement, r.evidence);
    for (unsigned i = 0; i < r.number_count && i < KIND_FIGURES_MAX; i++)
        out->figures[out->n_figures++] =
            (struct kind_figure){r.numbers[i].name, r.numbers[i].unit, r.numbers[i].value};
    snprintf(rec->note, sizeof(rec->note), "%s: %s", claims_verdict_name(r.verdict), r.method);
    rec->ops = 1;
    rec->status = RUN_OK;
    return 0;
}

const struct kind_ops kind_claim = {
    .name = "claim",
    .description = "a classic claim about file mappings, tested: statement, evidence, verdict",
    .params = claim_params,
    .n_params = sizeof(claim_params) / sizeof(claim_params[0]),
    .metrics = claim_metrics,
    .n_metrics = sizeof(claim_metrics) / sizeof(claim_metrics[0]),
    .backends = claim_backends,
    .compare_metric = -1,
    .check = claim_check,
    .run = claim_kind_run,
};
