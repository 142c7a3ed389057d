/* The ipc kind: two unrelated processes exchange messages through the data file (ipc.c),
 * through a MAP_SHARED mapping (mmap) or pwrite/pread (pread), with the same futex
 * handshake in the file's first page, so that the comparison is of the data path alone.
 * An operation is a round trip (a message there, its reply back), its latency is the
 * round trip's, and the throughput counts both messages. */
#include "ipc.h"

#include "errmsg.h"
#include "kind.h"
#include "kinds.h"
#include "results.h"
#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

struct ipc_options {
    uint64_t message_bytes;
    uint64_t messages; /* round trips per repetition; 0: for the duration */
    bool durable;
};
BACKEND_OPTIONS_FIT(struct ipc_options);

#define O(field) offsetof(struct ipc_options, field)
static const struct param_def ipc_params[] = {
    {.name = "message_size",
     .column = "ipc_message_bytes",
     .type = PARAM_SIZE,
     .offset = O(message_bytes),
     .min = IPC_MIN_MESSAGE_BYTES,
     .max = IPC_MAX_MESSAGE_BYTES,
     .multiple_of = 8,
     .default_text = "4KiB",
     .group = "Kinds",
     .doc = "bytes of each message and of each reply"},
    {.name = "messages",
     .column = "ipc_round_trips",
     .type = PARAM_COUNT,
     .offset = O(messages),
     .min = 0,
     .max = 4294967294.0,
     .default_text = "0",
     .group = "Kinds",
     .doc = "round trips per repetition (0: as many as `duration` allows)"},
    {.name = "durable",
     .column = "ipc_durable",
     .type = PARAM_BOOL,
     .offset = O(durable),
     .default_text = "false",
     .group = "Kinds",
     .doc = "make every message durable before it is signalled: msync(MS_SYNC) of its range "
            "(mmap) or fdatasync (pread)"},
};
#undef O

enum {
    M_RTT_P50,
    M_RTT_P99,
    M_RTT_P999,
    M_ROUND_TRIPS_S,
    M_FAILURES,
    M_DEVICE_WRITES,
    M_LARGEST_FOLIO,
};

static const struct kind_metric ipc_metrics[] = {
    [M_RTT_P50] = {"rtt_p50_ns", "ns", "round-trip latency, median"},
    [M_RTT_P99] = {"rtt_p99_ns", "ns", "its 99th percentile"},
    [M_RTT_P999] = {"rtt_p999_ns", "ns", "its 99.9th percentile"},
    [M_ROUND_TRIPS_S] = {"round_trips_per_s", "1/s", "round trips per second"},
    [M_FAILURES] = {"verify_failures", "messages",
                    "messages (either way) that were not exactly as sent: 0, or the run fails"},
    [M_DEVICE_WRITES] = {"device_write_bytes_per_round_trip", "bytes",
                         "bytes the block device wrote per round trip (durable messages)"},
    [M_LARGEST_FOLIO] = {"largest_folio_bytes", "bytes",
                         "the largest page-cache folio holding the message area before the "
                         "exchange: what one durable message may have to write back "
                         "(pagemap and kpageflags: root only, else empty)"},
};

static const char *const ipc_backends[] = {"mmap", "pread", NULL};

static int ipc_check(const struct workload *w, const void *opts, char *err, size_t len)
{
    const struct ipc_options *o = opts;
    uint64_t need = ipc_required_file_bytes((uint32_t)o->message_bytes);
    if (w->file_size_bytes < need) {
        char a[32], b[32];
        snprintf(err, len,
                 "kind ipc with message_size %s needs file_size %s at least (a control page, "
                 "then the message and the reply areas, each on a 2MiB boundary); it is %s",
                 units_format_size(o->message_bytes, a, sizeof(a)),
                 units_format_size(need, b, sizeof(b)),
                 units_format_size(w->file_size_bytes, (char[32]){0}, 32));
        return -EINVAL;
    }
    if (w->file) {
        return errmsg_set(err, len, -EINVAL,
                          "kind ipc writes messages into the file: not with file");
    }
    return 0;
}

static int ipc_kind_run(const struct kind_input *in, struct kind_output *out)
{
    const struct ipc_options *o = in->opts;
    struct run_record *rec = out->rec;
    bool map = strcmp(backend_get(in->backend)->name, "mmap") == 0;
    struct ipc_config cfg = {
        .fd = in->fd,
        .file_size_bytes = in->w->file_size_bytes,
        .path = map ? IPC_PATH_MAP : IPC_PATH_PREAD,
        .message_bytes = (uint32_t)o->message_bytes,
        .messages = o->messages,
        .duration_ns = o->messages ? 0 : in->w->duration_ns,
        .durable = o->durable,
        .timeout_ns = 60000000000ULL,
    };
    if (!cfg.messages && !cfg.duration_ns)
        cfg.messages = in->w->ops;
    struct ipc_result r;
    char err[KINDS_ERR_BYTES];
    int ret = ipc_run(&cfg, &r, out->latency, err, sizeof(err));
    if (ret < 0) {
        rec->status = ret == -EINTR ? RUN_INTERRUPTED : RUN_FAILED;
        snprintf(rec->error, sizeof(rec->error), "%s", ret == -EINTR ? "interrupted" : err);
        return 0;
    }
    double *m = out->metric;
    m[M_RTT_P50] = r.rtt.p50_ns;
    m[M_RTT_P99] = r.rtt.p99_ns;
    m[M_RTT_P999] = r.rtt.p999_ns;
    m[M_ROUND_TRIPS_S] = r.round_trips_per_s;
    m[M_FAILURES] = (double)r.verify_failures;
    m[M_DEVICE_WRITES] = r.have_device_bytes && r.round_trips
                             ? (double)r.device_write_bytes / (double)r.round_trips
                             : NAN;
    int order = r.have_folios ? folios_largest_order(&r.folios) : -1;
    m[M_LARGEST_FOLIO] = order >= 0 ? (double)(r.folios.page_bytes << order) : NAN;
    rec->ops = r.round_trips;
    rec->writes = rec->reads = r.round_trips; /* one message each way */
    rec->bytes = 2 * r.round_trips * o->message_bytes;
    rec->elapsed_ns = r.elapsed_ns;
    rec->status = RUN_OK;
    if (r.verify_failures) {
        rec->status = RUN_FAILED;
        snprintf(rec->error, sizeof(rec->error),
                 "%llu messages were not as sent (the first at sequence %llu): the exchange "
                 "is broken",
                 (unsigned long long)r.verify_failures, (unsigned long long)r.first_failure_seq);
    }
    return 0;
}

const struct kind_ops kind_ipc = {
    .name = "ipc",
    .description = "messages between two processes through the file: a MAP_SHARED mapping "
                   "(mmap) or pwrite/pread (pread), the same futex handshake",
    .params = ipc_params,
    .n_params = sizeof(ipc_params) / sizeof(ipc_params[0]),
    .metrics = ipc_metrics,
    .n_metrics = sizeof(ipc_metrics) / sizeof(ipc_metrics[0]),
    .backends = ipc_backends,
    .io_table = true,
    .compare_metric = -1,
    .check = ipc_check,
    .run = ipc_kind_run,
};
