/* IPC through a shared file mapping, against the same exchange through pwrite/pread.
 *
 * Two processes, a writer and a reader, are forked from the caller but are otherwise
 * unrelated: each reopens the data file through /proc/self/fd/N (a file description of
 * its own) and makes its own mappings after fork; the caller holds no mapping of the
 * file. They start together behind a gate (children.h) and report through a shared
 * anonymous region.
 *
 * Layout of the file while the exchange runs:
 *   offset 0            the control block, in the file's first page
 *   offset 2 MiB        the message area: message_bytes, writer to reader
 *   offset 2 MiB + A    the reply area: message_bytes, reader to writer
 *                       (A = message_bytes rounded up to 2 MiB)
 * Areas start on 2 MiB so that no page-cache folio (at most 2 MiB, PMD order) holds parts
 * of two of them: a store to one never dirties another, and a flush of one writes only
 * it. The control block is always mapped MAP_SHARED by both processes, whatever the data
 * path, so synchronisation is the same on both paths and the comparison isolates the
 * data path. It holds two sequence counters, each on a cache line of its own:
 * request_seq (written by the writer) and reply_seq (written by the reader), plus a stop
 * word next to request_seq.
 *
 * One round trip, number s = 1, 2, ...:
 *   writer  fills the message area with word[i] = P(i) ^ s, where P is the file pattern
 *           (pattern_file_word) of the area's offsets: in place through the mapping, or in
 *           a buffer of its own and then pwrite;
 *           durable: msync(MS_SYNC) of the area's pages, or fdatasync;
 *           stores request_seq = s (release) and FUTEX_WAKEs it.
 *   reader  waits until request_seq changes (acquire): polls it for spin_ns, then
 *           FUTEX_WAITs on it; a futex on a file-backed MAP_SHARED page is keyed by the
 *           file and offset, so it works between processes (hence no FUTEX_PRIVATE_FLAG);
 *           checks every word of the message (in place, or after a pread into its own
 *           buffer) against P(i) ^ s: a stale message (s - 1) or a torn one (part s, part
 *           s - 1) differs in every word it got wrong, and counts as a verification
 *           failure;
 *           fills the reply area with Q(i) ^ s (Q: the pattern of the reply area's
 *           offsets), durable as above, stores reply_seq = s and wakes it.
 *   writer  waits for reply_seq = s the same way, checks the reply, and adds the round
 *           trip (its first store to its last check, timer_now) to the histogram.
 * The writer ends after `messages` round trips or `duration_ns`: it sets stop, bumps
 * request_seq once more and wakes the reader, which sees stop and exits.
 *
 * What differs between the paths is the data path only: stores and loads on the page
 * cache's pages through the page tables (no copy beyond producing and checking the
 * message), against a copy into and out of the page cache by the kernel (one more copy
 * each way, and two system calls per message). Durable mode differs in one more way that
 * belongs to the paths: fdatasync writes every dirty page of the file, including the
 * control page that the counters dirty, while msync of the message area writes only
 * the area; the result's device write bytes show what each path wrote. With large
 * folios a durable message writes its whole folio, not its pages: on a file written in
 * 1 MiB pieces a 4 KiB message costs 1 MiB of device writes on either path (the result
 * records the folios of the message area where the caller may read them: root). After an msync
 * the area's pages are clean and write-protected again, so the next store through the
 * mapping takes a write fault (->page_mkwrite): part of what durable mapped IPC costs.
 *
 * The part of the file used ([0, ipc_required_file_bytes)) is read before the exchange
 * and written back after it (then fdatasync), so the data file keeps its content. */
#include "ipc.h"

#include "children.h"
#include "errmsg.h"
#include "kcounters.h"
#include "kinds.h"
#include "pattern.h"
#include "timer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CACHE_LINE_BYTES 64
#define START_TIMEOUT_NS 30000000000ULL /* both processes at the gate */

static const char *const path_names[IPC_PATH_COUNT] = {
    [IPC_PATH_MAP] = "map",
    [IPC_PATH_PREAD] = "pread",
};

/* At offset 0 of the file. */
struct ipc_control {
    uint32_t request_seq; /* futex word: the number of the message in the message area */
    uint32_t stop;        /* 1: the writer is done (set before its last bump) */
    /* futex word: the number of the reply in the reply area; on a cache line of its own */
    _Alignas(CACHE_LINE_BYTES) uint32_t reply_seq;
};

enum role { WRITER, READER };

/* What each process reports; the writer's histogram is the round trips. */
struct ipc_slot {
    uint64_t round_trips;       /* writer: completed; reader: messages answered */
    uint64_t verify_failures;   /* messages it received that were wrong */
    uint64_t first_failure_seq; /* the first of those */
    uint64_t elapsed_ns;        /* writer: first store to last check */
    struct hist rtt;            /* writer only */
};

/* One process's side of the exchange. */
struct side {
    const struct ipc_config *cfg;
    int fd;
    size_t words;            /* per message */
    uint64_t area_bytes;     /* message_bytes rounded up to IPC_AREA_ALIGN_BYTES */
    uint64_t flush_bytes;    /* message_bytes rounded up to the page */
    struct ipc_control *ctl; /* the control page, MAP_SHARED */
    char *areas;             /* map path: both areas, MAP_SHARED */
    uint64_t *buf;           /* pread path: the process's own buffer */
    uint64_t *pattern[2];    /* P (message area) and Q (reply area) */
    uint64_t spin_ticks;
};

struct ipc_args {
    const struct ipc_config *cfg;
};

const char *ipc_path_name(enum ipc_path path)
{
    return (unsigned)path < IPC_PATH_COUNT ? path_names[path] : NULL;
}

int ipc_path_parse(const char *name, enum ipc_path *path)
{
    for (unsigned i = 0; i < IPC_PATH_COUNT; i++) {
        if (strcmp(name, path_names[i]) == 0) {
            *path = (enum ipc_path)i;
            return 0;
        }
    }
    return -EINVAL;
}

static uint64_t area_bytes_of(uint32_t message_bytes)
{
    return ((uint64_t)message_bytes + IPC_AREA_ALIGN_BYTES - 1) / IPC_AREA_ALIGN_BYTES *
           IPC_AREA_ALIGN_BYTES;
}

uint64_t ipc_required_file_bytes(uint32_t message_bytes)
{
    return IPC_AREA_ALIGN_BYTES + area_bytes_of(message_bytes) + message_bytes;
}

static uint64_t area_offset(const struct side *s, int area)
{
    return IPC_AREA_ALIGN_BYTES + (uint64_t)area * s->area_bytes;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Waits until *word differs from old; returns its new value. */
static uint32_t wait_change(const struct side *s, uint32_t *word, uint32_t old)
{
    uint32_t v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
    if (v == old && s->spin_ticks) {
        uint64_t end = timer_now() + s->spin_ticks;
        while (v == old && timer_now() < end) {
            cpu_relax();
            v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
        }
    }
    while (v == old) {
        kinds_futex_wait(word, old, 0);
        v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
    }
    return v;
}

static void post(uint32_t *word, uint32_t value)
{
    __atomic_store_n(word, value, __ATOMIC_RELEASE);
    kinds_futex_wake(word);
}

/* Writes message seq into area, durable if asked. */
static int send(const struct side *s, int area, uint64_t seq, char *err)
{
    const uint64_t *pat = s->pattern[area];
    if (s->cfg->path == IPC_PATH_MAP) {
        uint64_t *dst = (uint64_t *)(s->areas + (uint64_t)area * s->area_bytes);
        for (size_t w = 0; w < s->words; w++)
            dst[w] = pat[w] ^ seq;
        if (s->cfg->durable && msync(dst, s->flush_bytes, MS_SYNC) < 0)
            return errmsg_errno(err, CHILDREN_ERR_BYTES, -errno,
                                "msync(MS_SYNC) of message %llu (%llu bytes)",
                                (unsigned long long)seq, (unsigned long long)s->flush_bytes);
        return 0;
    }
    for (size_t w = 0; w < s->words; w++)
        s->buf[w] = pat[w] ^ seq;
    int ret = kinds_pwrite_full(s->fd, s->buf, s->words * 8, area_offset(s, area), "data file", err,
                                CHILDREN_ERR_BYTES);
    if (ret == 0 && s->cfg->durable && fdatasync(s->fd) < 0)
        ret = errmsg_errno(err, CHILDREN_ERR_BYTES, -errno, "fdatasync after message %llu",
                           (unsigned long long)seq);
    return ret;
}

/* Checks message seq in area. Returns 0 (*bad set when it differs) or -errno. */
static int check(const struct side *s, int area, uint64_t seq, bool *bad, char *err)
{
    const uint64_t *pat = s->pattern[area];
    const uint64_t *src = (const uint64_t *)(s->areas + (uint64_t)area * s->area_bytes);
    if (s->cfg->path == IPC_PATH_PREAD) {
        int ret = kinds_pread_full(s->fd, s->buf, s->words * 8, area_offset(s, area), "data file",
                                   err, CHILDREN_ERR_BYTES);
        if (ret < 0)
            return ret;
        src = s->buf;
    }
    uint64_t diff = 0;
    for (size_t w = 0; w < s->words; w++)
        diff |= src[w] ^ pat[w] ^ seq;
    *bad = diff != 0;
    return 0;
}

static void count_failure(struct ipc_slot *slot, uint64_t seq)
{
    if (slot->verify_failures++ == 0)
        slot->first_failure_seq = seq;
}

static int run_writer(struct side *s, struct ipc_slot *slot, char *err)
{
    const struct ipc_config *cfg = s->cfg;
    uint64_t deadline = cfg->duration_ns ? timer_now() + timer_from_ns(cfg->duration_ns) : 0;
    uint64_t first = 0, last = 0, seq;
    int ret = 0;
    for (seq = 1;; seq++) {
        uint64_t t0 = timer_now();
        first = seq == 1 ? t0 : first;
        ret = send(s, 0, seq, err);
        if (ret < 0)
            break;
        post(&s->ctl->request_seq, (uint32_t)seq);
        uint32_t got = wait_change(s, &s->ctl->reply_seq, (uint32_t)(seq - 1));
        bool bad = got != (uint32_t)seq;
        if (!bad)
            ret = check(s, 1, seq, &bad, err);
        if (ret < 0)
            break;
        if (bad)
            count_failure(slot, seq);
        last = timer_now();
        hist_add(&slot->rtt, timer_to_ns(last - t0));
        slot->round_trips = seq;
        if ((cfg->messages && seq >= cfg->messages) || (deadline && last >= deadline) ||
            seq == UINT32_MAX - 1)
            break;
    }
    slot->elapsed_ns = timer_to_ns(last - first);
    __atomic_store_n(&s->ctl->stop, 1, __ATOMIC_RELEASE);
    post(&s->ctl->request_seq, (uint32_t)(seq + 1));
    return ret;
}

static int run_reader(struct side *s, struct ipc_slot *slot, char *err)
{
    uint32_t last = 0;
    for (;;) {
        uint32_t seq = wait_change(s, &s->ctl->request_seq, last);
        if (__atomic_load_n(&s->ctl->stop, __ATOMIC_ACQUIRE))
            return 0;
        bool bad;
        int ret = check(s, 0, seq, &bad, err);
        if (ret < 0)
            return ret;
        if (bad)
            count_failure(slot, seq);
        ret = send(s, 1, seq, err);
        if (ret < 0)
            return ret;
        post(&s->ctl->reply_seq, seq);
        slot->round_trips++;
        last = seq;
    }
}

static int map_side(struct side *s, char *err)
{
    uint64_t page = kinds_page_bytes();
    void *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
    if (p == MAP_FAILED)
        return errmsg_errno(err, CHILDREN_ERR_BYTES, -errno, "mmap of the control page");
    s->ctl = p;
    if (s->cfg->path == IPC_PATH_MAP) {
        uint64_t bytes = s->area_bytes + s->cfg->message_bytes;
        p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, IPC_AREA_ALIGN_BYTES);
        if (p == MAP_FAILED)
            return errmsg_errno(err, CHILDREN_ERR_BYTES, -errno,
                                "mmap of the message areas (%llu bytes at offset %u)",
                                (unsigned long long)bytes, IPC_AREA_ALIGN_BYTES);
        s->areas = p;
        /* Map every page now (reads), so the first round trip does not pay read faults. */
        for (int a = 0; a < 2; a++)
            for (uint64_t off = 0; off < s->cfg->message_bytes; off += page)
                (void)*(volatile uint64_t *)(s->areas + (uint64_t)a * s->area_bytes + off);
    } else {
        s->buf = aligned_alloc(page, s->flush_bytes);
        if (!s->buf)
            return errmsg_errno(err, CHILDREN_ERR_BYTES, -ENOMEM, "message buffer");
    }
    return 0;
}

static int ipc_body(struct children_member *m, void *arg)
{
    const struct ipc_args *a = arg;
    const struct ipc_config *cfg = a->cfg;
    uint64_t page = kinds_page_bytes();
    struct side s = {
        .cfg = cfg,
        .words = cfg->message_bytes / 8,
        .area_bytes = area_bytes_of(cfg->message_bytes),
        .flush_bytes = ((uint64_t)cfg->message_bytes + page - 1) / page * page,
        .spin_ticks = timer_from_ns(cfg->spin_ns),
    };
    struct ipc_slot *slot = m->slot;
    int ret = children_reopen(cfg->fd, O_RDWR, &s.fd, m->err, CHILDREN_ERR_BYTES);
    if (ret < 0)
        return ret;
    close(cfg->fd);
    for (int area = 0; area < 2; area++) {
        s.pattern[area] = malloc(s.words * 8);
        if (!s.pattern[area])
            return errmsg_errno(m->err, CHILDREN_ERR_BYTES, -ENOMEM, "message pattern");
        for (size_t w = 0; w < s.words; w++)
            s.pattern[area][w] = pattern_file_word(area_offset(&s, area) + w * 8);
    }
    ret = map_side(&s, m->err);
    if (ret < 0)
        return ret;
    hist_init(&slot->rtt);
    ret = children_wait_gate(m);
    if (ret < 0)
        return ret;
    return m->index == WRITER ? run_writer(&s, slot, m->err) : run_reader(&s, slot, m->err);
}

static int check_config(const struct ipc_config *cfg, char *err, size_t err_len)
{
    if ((unsigned)cfg->path >= IPC_PATH_COUNT)
        return errmsg_set(err, err_len, -EINVAL, "ipc: unknown path %d", cfg->path);
    if (cfg->message_bytes < IPC_MIN_MESSAGE_BYTES || cfg->message_bytes > IPC_MAX_MESSAGE_BYTES ||
        cfg->message_bytes % 8)
        return errmsg_set(err, err_len, -EINVAL,
                          "ipc: message_bytes %u must be a multiple of 8 from %u to %u",
                          cfg->message_bytes, IPC_MIN_MESSAGE_BYTES, IPC_MAX_MESSAGE_BYTES);
    if (!cfg->messages && !cfg->duration_ns)
        return errmsg_set(err, err_len, -EINVAL, "ipc: give a number of messages or a duration");
    uint64_t need = ipc_required_file_bytes(cfg->message_bytes);
    if (cfg->file_size_bytes < need)
        return errmsg_set(err, err_len, -EINVAL,
                          "ipc: the file (%llu bytes) is smaller than the %llu bytes that "
                          "%u-byte messages need",
                          (unsigned long long)cfg->file_size_bytes, (unsigned long long)need,
                          cfg->message_bytes);
    return 0;
}

static void collect(const struct children *g, struct ipc_result *res, struct hist *rtt)
{
    const struct ipc_slot *w = children_slot(g, WRITER), *r = children_slot(g, READER);
    res->round_trips = w->round_trips;
    res->verify_failures = w->verify_failures + r->verify_failures;
    res->first_failure_seq = w->first_failure_seq;
    if (r->verify_failures &&
        (!res->first_failure_seq || r->first_failure_seq < res->first_failure_seq))
        res->first_failure_seq = r->first_failure_seq;
    res->elapsed_ns = w->elapsed_ns;
    if (w->elapsed_ns) {
        res->round_trips_per_s = (double)w->round_trips * 1e9 / (double)w->elapsed_ns;
        res->messages_per_s = 2 * res->round_trips_per_s;
    }
    hist_summarize(&w->rtt, &res->rtt);
    if (rtt)
        hist_merge(rtt, &w->rtt);
}

int ipc_run(const struct ipc_config *cfg, struct ipc_result *res, struct hist *rtt, char *err,
            size_t err_len)
{
    memset(res, 0, sizeof(*res));
    int ret = check_config(cfg, err, err_len);
    if (ret < 0)
        return ret;
    if (kinds_stop_requested())
        return errmsg_set(err, err_len, -EINTR, "ipc: interrupted before the start");
    size_t used = ipc_required_file_bytes(cfg->message_bytes);
    char *saved = malloc(used);
    if (!saved)
        return errmsg_errno(err, err_len, -ENOMEM, "ipc: copy of the %zu bytes used", used);
    ret = kinds_pread_full(cfg->fd, saved, used, 0, "data file", err, err_len);
    if (ret < 0) {
        free(saved);
        return ret;
    }
    struct ipc_control zero;
    memset(&zero, 0, sizeof(zero));
    ret = kinds_pwrite_full(cfg->fd, &zero, sizeof(zero), 0, "data file (control block)", err,
                            err_len);

    char ferr[KINDS_ERR_BYTES];
    struct folios_census folios;
    bool have_folios =
        folios_census_range(cfg->fd, IPC_AREA_ALIGN_BYTES, area_bytes_of(cfg->message_bytes),
                            &folios, ferr, sizeof(ferr)) == 0;
    if (!have_folios)
        memset(&folios, 0, sizeof(folios));
    char fdpath[64];
    snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", cfg->fd);
    struct kcounters_source src;
    kcounters_source_init(&src, fdpath);
    struct kcounters_snapshot k0, k1;
    struct ipc_args a = {.cfg = cfg};
    struct children *g = NULL;
    if (ret == 0)
        ret = children_start(&g, 2, sizeof(struct ipc_slot), 0, ipc_body, &a, err, err_len);
    if (ret == 0)
        ret = children_open_gate(g, START_TIMEOUT_NS, err, err_len);
    if (ret == 0) {
        kcounters_read(&src, &k0);
        uint64_t limit = cfg->timeout_ns ? cfg->duration_ns + cfg->timeout_ns : 0;
        ret = children_finish(g, false, limit, err, err_len);
        kcounters_read(&src, &k1);
    }
    if (ret == 0) {
        collect(g, res, rtt);
        res->folios = folios;
        res->have_folios = have_folios;
        res->have_device_bytes = k0.have[KC_DEV_WRITE_BYTES] && k1.have[KC_DEV_WRITE_BYTES];
        if (res->have_device_bytes)
            res->device_write_bytes = k1.value[KC_DEV_WRITE_BYTES] - k0.value[KC_DEV_WRITE_BYTES];
    }
    children_free(g);
    char rerr[KINDS_ERR_BYTES];
    int rret =
        kinds_pwrite_full(cfg->fd, saved, used, 0, "data file (restoring it)", rerr, sizeof(rerr));
    if (rret == 0 && fdatasync(cfg->fd) < 0)
        rret = errmsg_errno(rerr, sizeof(rerr), -errno, "fdatasync(data file) after restoring it");
    if (rret < 0 && ret == 0) {
        ret = rret;
        snprintf(err, err_len, "ipc: %s", rerr);
    }
    free(saved);
    return ret;
}
