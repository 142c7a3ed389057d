/* Inter-process communication through a file: a writer and a reader process ping-pong
 * messages through a MAP_SHARED mapping of the file, or through pwrite/pread on it, with
 * the same synchronisation on both data paths (see the top of ipc.c for the mechanism).
 * Reports round-trip latency, round trips per second, and verification failures (a stale
 * or torn message: must be 0). */
#ifndef MMBENCH_IPC_H
#define MMBENCH_IPC_H

#include "folios.h"
#include "hist.h"
#include "procmem.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPC_MIN_MESSAGE_BYTES 64
#define IPC_MAX_MESSAGE_BYTES (1u << 20)
#define IPC_AREA_ALIGN_BYTES  (2u << 20) /* message areas start on 2 MiB: no folio spans two */

enum ipc_path {
    IPC_PATH_MAP,   /* stores into and loads from a MAP_SHARED mapping */
    IPC_PATH_PREAD, /* pwrite from and pread into a buffer of the process's own */
    IPC_PATH_COUNT,
};

/* "map", "pread"; NULL for a value out of range. */
const char *ipc_path_name(enum ipc_path path);

/* The path named name. Returns 0 or -EINVAL. */
int ipc_path_parse(const char *name, enum ipc_path *path);

struct ipc_config {
    int fd;                   /* the data file, open O_RDWR */
    uint64_t file_size_bytes; /* its size: ipc_required_file_bytes at least */
    enum ipc_path path;       /* the data path */
    uint32_t message_bytes;   /* each message and each reply: a multiple of 8 in
                                 IPC_MIN_MESSAGE_BYTES .. IPC_MAX_MESSAGE_BYTES */
    uint64_t messages;        /* round trips to run (at most 2^32 - 2); 0: until
                                 duration_ns */
    uint64_t duration_ns;     /* at most this long; 0: until messages (one must be set) */
    bool durable;             /* before each signal: msync(MS_SYNC) of the message
                                 (map) or fdatasync (pread) */
    uint64_t spin_ns;         /* poll the peer's counter this long before futex-waiting */
    uint64_t timeout_ns;      /* the whole run may take this long past duration_ns (0:
                                 no limit): a hung peer is killed after it */
};

struct ipc_result {
    uint64_t round_trips;        /* completed: a message there and its reply back */
    uint64_t verify_failures;    /* messages (either way) not exactly as sent */
    uint64_t first_failure_seq;  /* sequence number of the first such; 0 if none */
    uint64_t elapsed_ns;         /* the writer's loop, first store to last check */
    double round_trips_per_s;    /* round_trips / elapsed */
    double messages_per_s;       /* two messages per round trip */
    struct hist_summary rtt;     /* per round trip, as the writer saw it */
    uint64_t device_write_bytes; /* of the file's block device during the exchange */
    bool have_device_bytes;      /* false where the file has no block device */
    struct folios_census folios; /* page-cache folios of the message area (its 2 MiB
                                     or more), before the exchange */
    bool have_folios;            /* false without CAP_SYS_ADMIN (then folios is 0) */
};

/* Bytes the file needs: the control page, then one area for messages and one for
 * replies, each starting on IPC_AREA_ALIGN_BYTES. */
uint64_t ipc_required_file_bytes(uint32_t message_bytes);

/* Runs the exchange in two child processes. The caller holds no mapping of the file.
 * The part of the file used is read first and written back afterwards (then fdatasync),
 * so the file's content is unchanged. rtt (may be NULL) gets every round trip merged in.
 * Returns 0, -EINTR when stopped (kinds_request_stop), or -errno with a message; no child
 * survives the call. */
int ipc_run(const struct ipc_config *cfg, struct ipc_result *res, struct hist *rtt, char *err,
            size_t err_len);

#endif
