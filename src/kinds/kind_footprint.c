/* The footprint kind: N processes hold the file, by backend. mmap loads it through a
 * mapping (its key map: shared or private), pread into a heap buffer of each process's
 * own (footprint.c). The backends are compared on PSS per process. */
#include "footprint.h"

#include "errmsg.h"
#include "kind.h"
#include "results.h"
#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define SETTLE_NS  1100000000ULL /* /proc/meminfo folds per-CPU counters every second */
#define TIMEOUT_NS 600000000000ULL

struct footprint_options {
    uint32_t processes;
    uint64_t offset_bytes;
    uint64_t length_bytes; /* 0: to the end of the file */
};
BACKEND_OPTIONS_FIT(struct footprint_options);

#define O(field) offsetof(struct footprint_options, field)
static const struct param_def footprint_params[] = {
    {.name = "processes",
     .column = "footprint_processes",
     .type = PARAM_COUNT32,
     .offset = O(processes),
     .min = 1,
     .max = FOOTPRINT_MAX_PROCESSES,
     .default_text = "10",
     .group = "Kinds",
     .doc = "processes that each load the file (or its part) and hold it while their memory "
            "is read"},
    {.name = "footprint_offset",
     .column = "footprint_offset_bytes",
     .type = PARAM_SIZE,
     .offset = O(offset_bytes),
     .min = 0,
     .max = 9.2e18,
     .multiple_of = 4096,
     .default_text = "0",
     .group = "Kinds",
     .doc = "where the part each process loads starts"},
    {.name = "footprint_length",
     .column = "footprint_length_bytes",
     .type = PARAM_SIZE,
     .offset = O(length_bytes),
     .min = 0,
     .max = 9.2e18,
     .multiple_of = 4096,
     .default_text = "0",
     .group = "Kinds",
     .doc = "its length (0: to the end of the file)"},
};
#undef O

enum {
    M_PSS,
    M_RSS,
    M_SHARED,
    M_PRIVATE,
    M_ANON,
    M_VMA_PSS,
    M_PTE,
    M_AVAILABLE,
    M_LOAD,
    M_CACHED,
    M_BASELINE_PSS,
};

static const struct kind_metric footprint_metrics[] = {
    [M_PSS] = {"pss_per_process_bytes", "bytes",
               "proportional set size of each process (smaps_rollup), median over them"},
    [M_RSS] = {"rss_per_process_bytes", "bytes", "resident set size of each process, median"},
    [M_SHARED] = {"shared_per_process_bytes", "bytes", "of it shared with another process"},
    [M_PRIVATE] = {"private_per_process_bytes", "bytes", "of it the process's alone"},
    [M_ANON] = {"anonymous_per_process_bytes", "bytes", "of it anonymous (not the file's)"},
    [M_VMA_PSS] = {"vma_pss_per_process_bytes", "bytes",
                   "PSS of the mapping or buffer alone (smaps), median"},
    [M_PTE] = {"page_tables_per_process_bytes", "bytes", "VmPTE of each process, median"},
    [M_AVAILABLE] = {"mem_available_used_per_process_bytes", "bytes",
                     "MemAvailable before the processes started minus while they held the file, "
                     "per process (system-wide: other activity counts too)"},
    [M_LOAD] = {"load_ns", "ns", "time to load the part, median over the processes"},
    [M_CACHED] = {"cached_pct", "percent", "of the part in the page cache while they held it"},
    [M_BASELINE_PSS] = {"baseline_pss_bytes", "bytes",
                        "PSS of a process of the harness that loads nothing"},
};

static const char *const footprint_backends[] = {"mmap", "pread", NULL};

/* The method a backend stands for: mmap's key map says which mapping. */
static enum footprint_method method_of(const struct workload *w, unsigned backend)
{
    if (strcmp(backend_get(backend)->name, "pread") == 0)
        return FOOTPRINT_HEAP_BUFFER;
    const struct param_def *map = param_find("map");
    char value[32] = "shared";
    if (map)
        param_format_column(map, w, value, sizeof(value));
    return strcmp(value, "private") == 0 ? FOOTPRINT_PRIVATE_MAP : FOOTPRINT_SHARED_MAP;
}

static int footprint_check(const struct workload *w, const void *opts, char *err, size_t len)
{
    const struct footprint_options *o = opts;
    if (o->offset_bytes >= w->file_size_bytes) {
        return errmsg_set(err, len, -EINVAL, "footprint_offset is past the end of the file");
    }
    if (w->op != OP_READ) {
        return errmsg_set(err, len, -EINVAL, "kind footprint reads the file: op must be read");
    }
    return 0;
}

static int footprint_kind_run(const struct kind_input *in, struct kind_output *out)
{
    const struct footprint_options *o = in->opts;
    struct run_record *rec = out->rec;
    struct footprint_config cfg = {
        .fd = in->fd,
        .file_size_bytes = in->w->file_size_bytes,
        .offset_bytes = o->offset_bytes,
        .length_bytes = o->length_bytes,
        .processes = o->processes,
        .method = method_of(in->w, in->backend),
        .timeout_ns = TIMEOUT_NS,
        .settle_ns = SETTLE_NS,
    };
    struct footprint_result r;
    char err[KINDS_ERR_BYTES];
    int ret = footprint_run(&cfg, &r, err, sizeof(err));
    if (ret < 0) {
        rec->status = ret == -EINTR ? RUN_INTERRUPTED : RUN_FAILED;
        snprintf(rec->error, sizeof(rec->error), "%s", ret == -EINTR ? "interrupted" : err);
        return 0;
    }
    double *m = out->metric;
    m[M_PSS] = (double)r.process.pss_bytes.median;
    m[M_RSS] = (double)r.process.rss_bytes.median;
    m[M_SHARED] = (double)r.process.shared_bytes.median;
    m[M_PRIVATE] = (double)r.process.private_bytes.median;
    m[M_ANON] = (double)r.process.anonymous_bytes.median;
    m[M_VMA_PSS] = (double)r.vma.pss_bytes.median;
    m[M_PTE] = (double)r.pte_bytes.median;
    m[M_AVAILABLE] = (double)r.mem_available_used_per_process_bytes;
    m[M_LOAD] = (double)r.load_ns.median;
    m[M_CACHED] = r.file_pages ? 100.0 * (double)r.cached_pages_during / (double)r.file_pages : NAN;
    m[M_BASELINE_PSS] = (double)r.baseline.pss_bytes;
    rec->ops = r.processes;
    rec->reads = r.processes;
    rec->bytes = r.length_bytes * r.processes;
    rec->elapsed_ns = r.load_ns.max;
    rec->checksum = r.checksum;
    snprintf(rec->note, sizeof(rec->note), "%s, %u processes of %s each",
             footprint_method_name(r.method), r.processes,
             units_format_size(r.length_bytes, (char[32]){0}, 32));
    rec->status = RUN_OK;
    return 0;
}

const struct kind_ops kind_footprint = {
    .name = "footprint",
    .description = "the memory of N processes holding the file: a mapping (mmap, map shared or "
                   "private) or a heap buffer (pread)",
    .params = footprint_params,
    .n_params = sizeof(footprint_params) / sizeof(footprint_params[0]),
    .metrics = footprint_metrics,
    .n_metrics = sizeof(footprint_metrics) / sizeof(footprint_metrics[0]),
    .backends = footprint_backends,
    .compare_metric = M_PSS,
    .lower_is_better = true,
    .check = footprint_check,
    .run = footprint_kind_run,
};
