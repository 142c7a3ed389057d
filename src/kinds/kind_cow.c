/* The cow kind: copy-on-write fault by fault (cow.c), on the mmap backend. One run
 * measures the three passes: the first write to each page of a MAP_PRIVATE mapping, a
 * repeated write to it, the first write to each page of a MAP_SHARED mapping. */
#include "cow.h"

#include "errmsg.h"
#include "kind.h"
#include "kinds.h"
#include "results.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define COW_ORDER_LIST(X) X(COW_SEQUENTIAL, "sequential") X(COW_RANDOM, "random")
static const char *const order_names[] = {COW_ORDER_LIST(WORKLOAD_ENUM_NAME) NULL};

struct cow_options {
    int order;            /* enum cow_order */
    uint64_t write_bytes; /* per page */
    bool read_first;
    uint64_t length_bytes; /* 0: the whole file */
};
BACKEND_OPTIONS_FIT(struct cow_options);

#define O(field) offsetof(struct cow_options, field)
static const struct param_def cow_params[] = {
    {.name = "cow_order",
     .column = "cow_order",
     .type = PARAM_ENUM,
     .offset = O(order),
     .enum_names = order_names,
     .default_text = "random",
     .group = "Kinds",
     .doc = "the order the pages are written in, in every pass"},
    {.name = "cow_write_bytes",
     .column = "cow_write_bytes",
     .type = PARAM_SIZE,
     .offset = O(write_bytes),
     .min = 8,
     .max = 4096,
     .multiple_of = 8,
     .default_text = "8",
     .group = "Kinds",
     .doc = "bytes written to each page: one 8-byte store, or a memcpy of this many"},
    {.name = "cow_read_first",
     .column = "cow_read_first",
     .type = PARAM_BOOL,
     .offset = O(read_first),
     .default_text = "false",
     .group = "Kinds",
     .doc = "read every page of a mapping before its first writes (a first write is then a "
            "write-protect fault on a page already mapped)"},
    {.name = "cow_length",
     .column = "cow_length_bytes",
     .type = PARAM_SIZE,
     .offset = O(length_bytes),
     .min = 0,
     .max = 9.2e18,
     .multiple_of = 4096,
     .default_text = "0",
     .group = "Kinds",
     .doc = "bytes of the file written, from its start (0: all of it)"},
};
#undef O

enum {
    M_PRIVATE_FIRST_P50,
    M_PRIVATE_FIRST_P99,
    M_PRIVATE_REPEAT_P50,
    M_PRIVATE_REPEAT_P99,
    M_SHARED_FIRST_P50,
    M_SHARED_FIRST_P99,
    M_PRIVATE_FAULTS,
    M_SHARED_FAULTS,
    M_ANON,
    M_ANON_DELTA,
    M_CHANGED,
    M_LARGEST_FOLIO,
};

static const struct kind_metric cow_metrics[] = {
    [M_PRIVATE_FIRST_P50] = {"private_first_p50_ns", "ns",
                             "first write to a page of the MAP_PRIVATE mapping: median"},
    [M_PRIVATE_FIRST_P99] = {"private_first_p99_ns", "ns", "its 99th percentile"},
    [M_PRIVATE_REPEAT_P50] = {"private_repeat_p50_ns", "ns",
                              "a second write to the same page: median"},
    [M_PRIVATE_REPEAT_P99] = {"private_repeat_p99_ns", "ns", "its 99th percentile"},
    [M_SHARED_FIRST_P50] = {"shared_first_p50_ns", "ns",
                            "first write to a page of a MAP_SHARED mapping: median"},
    [M_SHARED_FIRST_P99] = {"shared_first_p99_ns", "ns", "its 99th percentile"},
    [M_PRIVATE_FAULTS] = {"private_first_faults_per_page", "faults/page",
                          "minor faults of the first private writes per page"},
    [M_SHARED_FAULTS] = {"shared_first_faults_per_page", "faults/page",
                         "minor faults of the first shared writes per page (one write fault "
                         "may map a whole large folio)"},
    [M_ANON] = {"private_anonymous_bytes", "bytes",
                "anonymous memory of the private mapping afterwards (smaps): the copies"},
    [M_ANON_DELTA] = {"anon_pages_delta_bytes", "bytes",
                      "AnonPages of /proc/meminfo after - before (system-wide)"},
    [M_CHANGED] = {"file_pages_changed", "pages",
                   "pages of the file that differ after the private writes: 0, or they "
                   "reached it"},
    [M_LARGEST_FOLIO] = {"largest_folio_bytes", "bytes",
                         "the largest page-cache folio holding the region before the writes "
                         "(pagemap and kpageflags: root only, else empty)"},
};

static const char *const cow_backends[] = {"mmap", NULL};

static int cow_kind_run(const struct kind_input *in, struct kind_output *out)
{
    const struct cow_options *o = in->opts;
    struct run_record *rec = out->rec;
    struct cow_config cfg = {
        .fd = in->fd,
        .file_size_bytes = in->w->file_size_bytes,
        .length_bytes = o->length_bytes,
        .order = (enum cow_order)o->order,
        .seed = in->w->seed,
        .write_bytes = (uint32_t)o->write_bytes,
        .read_first = o->read_first,
    };
    struct cow_result r;
    struct cow_hists hists = {.private_first = out->latency};
    char err[KINDS_ERR_BYTES];
    int ret = cow_run(&cfg, &r, &hists, err, sizeof(err));
    if (ret < 0) {
        rec->status = ret == -EINTR ? RUN_INTERRUPTED : RUN_FAILED;
        snprintf(rec->error, sizeof(rec->error), "%s", ret == -EINTR ? "interrupted" : err);
        return 0;
    }
    double *m = out->metric, pages = (double)r.pages;
    m[M_PRIVATE_FIRST_P50] = r.private_first.latency.p50_ns;
    m[M_PRIVATE_FIRST_P99] = r.private_first.latency.p99_ns;
    m[M_PRIVATE_REPEAT_P50] = r.private_repeat.latency.p50_ns;
    m[M_PRIVATE_REPEAT_P99] = r.private_repeat.latency.p99_ns;
    m[M_SHARED_FIRST_P50] = r.shared_first.latency.p50_ns;
    m[M_SHARED_FIRST_P99] = r.shared_first.latency.p99_ns;
    m[M_PRIVATE_FAULTS] = pages ? (double)r.private_first.minor_faults / pages : NAN;
    m[M_SHARED_FAULTS] = pages ? (double)r.shared_first.minor_faults / pages : NAN;
    m[M_ANON] = (double)r.vma_anonymous_bytes;
    m[M_ANON_DELTA] = (double)r.anon_pages_delta_bytes;
    m[M_CHANGED] = (double)r.pages_changed;
    int order = r.have_folios ? folios_largest_order(&r.folios) : -1;
    m[M_LARGEST_FOLIO] = order >= 0 ? (double)(r.folios.page_bytes << order) : NAN;
    rec->ops = rec->writes = r.private_first.writes;
    rec->bytes = r.private_first.writes * o->write_bytes;
    rec->elapsed_ns = r.private_first.elapsed_ns;
    rec->checksum = r.checksum;
    rec->status = RUN_OK;
    if (r.pages_changed || r.words_not_pattern) {
        rec->status = RUN_FAILED;
        snprintf(rec->error, sizeof(rec->error),
                 "MAP_PRIVATE writes changed %llu pages of the file (%llu words are not the "
                 "pattern): copy-on-write did not keep them private",
                 (unsigned long long)r.pages_changed, (unsigned long long)r.words_not_pattern);
    }
    return 0;
}

static int cow_check(const struct workload *w, const void *opts, char *err, size_t len)
{
    (void)opts;
    if (w->file) {
        return errmsg_set(err, len, -EINVAL,
                          "kind cow writes through a MAP_SHARED mapping: not with file");
    }
    return 0;
}

const struct kind_ops kind_cow = {
    .name = "cow",
    .description = "copy-on-write: the first write to a MAP_PRIVATE page against a repeated "
                   "write and against a MAP_SHARED write fault",
    .params = cow_params,
    .n_params = sizeof(cow_params) / sizeof(cow_params[0]),
    .metrics = cow_metrics,
    .n_metrics = sizeof(cow_metrics) / sizeof(cow_metrics[0]),
    .backends = cow_backends,
    .compare_metric = -1,
    .check = cow_check,
    .run = cow_kind_run,
};
