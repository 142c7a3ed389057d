#include "phase.h"

#include "log.h"
#include "loop.h"
#include "offsets.h"
#include "params.h"
#include "pattern.h"
#include "signals.h"
#include "taskstat.h"
#include "timeline.h"
#include "timer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKER_STACK_BYTES (512u << 10)

_Static_assert(BACKEND_COUNTERS_MAX == RESULTS_BACKEND_COUNTERS, "a record slot per counter");

enum gate_state { GATE_WAIT, GATE_GO, GATE_ABORT };

/* What all workers of the phase share; read-only while they run. It lives, with the
 * workers, in memory shared with worker processes (MAP_SHARED), and its lock and condition
 * work across processes. */
struct phase_shared {
    const struct phase_input *in; /* the parent's: a worker process reads its copy */
    void *state;                  /* the backend's, with threads (each process opens its own) */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    enum gate_state gate; /* under lock */
    uint64_t go_tick;     /* when the gate opened: every worker's deadline counts from it */
    unsigned ready;       /* workers waiting at the gate (or failed to get there), under lock */
};

/* One worker: everything it writes in its loop lives here, on cache lines of its own, in
 * the shared memory, so that a worker process's counters reach the parent. The buffers
 * it points to are the worker's own, allocated by itself. */
struct worker {
    struct phase_shared *ph;
    void *state; /* the backend's: the phase's (threads) or the process's own */
    unsigned index;
    int cpu;             /* -1 = not pinned */
    uint64_t ops_target; /* 0 = until the deadline */
    struct worker_io io;
    struct offsets offsets;
    uint64_t *ops; /* PHASE_BATCH_OPS encoded operations */
    uint64_t ops_done;
    uint64_t writes;
    uint64_t start_tick, end_tick;
    uint64_t flush_ns, end_flush_ns;
    uint64_t flush_calls;           /* flush system calls made (each flush is one) */
    uint64_t setup_ns, teardown_ns; /* a worker process's own backend open and close */
    uint64_t checkpoint[RESULTS_CHECKPOINTS];
    unsigned n_checkpoints;
    struct rusage ru_start, ru_end;
    struct taskstat task_start, task_end; /* storage I/O and scheduling of the worker */
    struct perf_counters perf;
    uint64_t perf_value[PERF_COUNT];
    bool perf_have[PERF_COUNT];
    int error;             /* 0 or -errno */
    bool setup_failed;     /* the error came before the gate */
    uintptr_t bus_address; /* with a SIGBUS */
    bool interrupted;
    bool started; /* its thread or process exists */
    pid_t tid;    /* its thread id (a process's pid), once it waits at the gate */
    pthread_t thread;
    struct hist latency_hist; /* ns per operation; zero pages until used */
    struct hist flush_hist;   /* ns per flush */
} __attribute__((aligned(64)));

uint64_t phase_thread_ops(const struct workload *w, unsigned t)
{
    if (w->ops == 0)
        return 0;
    uint64_t share = w->ops / w->threads, rest = w->ops % w->threads;
    return share + (t < rest ? 1 : 0);
}

static uint64_t tv_ns(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000000ULL + (uint64_t)tv.tv_usec * 1000ULL;
}

/* Flushes the worker's dirty range (or the whole file) and times it. */
static int worker_flush(struct worker *wk, bool final)
{
    const struct workload *w = wk->ph->in->w;
    struct worker_io *io = &wk->io;
    uint64_t offset = 0, length = w->file_size_bytes;
    if (w->sync_range == SYNC_RANGE_DIRTY) {
        if (io->dirty_lo_bytes >= io->dirty_hi_bytes)
            return 0; /* nothing written since the last flush */
        offset = io->dirty_lo_bytes;
        length = io->dirty_hi_bytes - io->dirty_lo_bytes;
    }
    uint64_t t0 = timer_now();
    int ret = wk->ph->in->backend->flush(wk->state, io, w->sync, offset, length);
    wk->flush_calls++;
    uint64_t ns = timer_to_ns(timer_now() - t0);
    hist_add(&wk->flush_hist, ns);
    wk->flush_ns += ns;
    if (final)
        wk->end_flush_ns = ns;
    io->dirty_lo_bytes = UINT64_MAX;
    io->dirty_hi_bytes = 0;
    return ret;
}

static uint64_t count_writes(const struct workload *w, const uint64_t *ops, uint64_t n)
{
    if (w->op == OP_READ)
        return 0;
    if (w->op == OP_WRITE)
        return n;
    uint64_t writes = 0;
    for (uint64_t i = 0; i < n; i++)
        writes += ops[i] & OFFSETS_WRITE_FLAG;
    return writes;
}

/* The worker's timed loop: batches until a stop condition, then the final flush. Kept out
 * of line so that an instruction counter can measure exactly it (bench/overhead). */
static __attribute__((noinline)) void worker_loop(struct worker *wk)
{
    const struct phase_input *in = wk->ph->in;
    const struct workload *w = in->w;
    const struct backend_ops *backend = in->backend;
    void *state = wk->state;
    struct worker_io *io = &wk->io;
    const bool ops_mode = w->ops != 0;
    const uint64_t target = wk->ops_target;
    /* ops mode runs at least min_time; duration mode runs max(duration, min_time). */
    uint64_t run_ns = w->duration_ns > w->min_time_ns ? w->duration_ns : w->min_time_ns;
    /* One deadline for all: a worker that the scheduler starts late gets less time rather
     * than stretching the phase. */
    const uint64_t deadline = wk->ph->go_tick + timer_from_ns(ops_mode ? w->min_time_ns : run_ns);
    /* Flush every N operations; bytes become operations when every operation writes.
     * For readwrite, the byte count is checked after each batch. */
    uint64_t sync_ops = 0, sync_bytes = 0;
    if (w->sync != SYNC_NONE) {
        sync_ops = w->sync_every_ops;
        if (w->sync_every_bytes && w->op == OP_WRITE)
            sync_ops = (w->sync_every_bytes + w->block_size_bytes - 1) / w->block_size_bytes;
        else if (w->sync_every_bytes)
            sync_bytes = w->sync_every_bytes;
    }
    uint64_t since_ops = 0, since_bytes = 0, next_checkpoint = PHASE_BATCH_OPS;
    int ret = 0;

    for (;;) {
        if (ops_mode ? wk->ops_done >= target && (w->min_time_ns == 0 || timer_now() >= deadline)
                     : timer_now() >= deadline)
            break;
        /* Batches end on multiples of PHASE_BATCH_OPS, so every power-of-two checkpoint
         * falls on a batch boundary. */
        uint64_t n = PHASE_BATCH_OPS - wk->ops_done % PHASE_BATCH_OPS;
        if (ops_mode && wk->ops_done < target && n > target - wk->ops_done)
            n = target - wk->ops_done;
        if (sync_ops && n > sync_ops - since_ops)
            n = sync_ops - since_ops;
        offsets_fill(&wk->offsets, wk->ops, n);
        ret = backend->run_batch(state, io, wk->ops, n);
        if (ret)
            break;
        uint64_t writes = count_writes(w, wk->ops, n);
        /* A plain store on x86; atomic so that the time series may read it meanwhile. */
        __atomic_store_n(&wk->ops_done, wk->ops_done + n, __ATOMIC_RELAXED);
        wk->writes += writes;
        if (wk->ops_done == next_checkpoint && wk->n_checkpoints < RESULTS_CHECKPOINTS) {
            wk->checkpoint[wk->n_checkpoints++] = io->checksum;
            next_checkpoint <<= 1;
        }
        since_ops += n;
        since_bytes += writes * w->block_size_bytes;
        if ((sync_ops && since_ops >= sync_ops) || (sync_bytes && since_bytes >= sync_bytes)) {
            since_ops = since_bytes = 0;
            ret = worker_flush(wk, false);
            if (ret)
                break;
        }
        if (signals_stop_requested()) {
            wk->interrupted = true;
            break;
        }
    }
    if (ret == 0 && w->sync != SYNC_NONE) {
        if (!w->end_sync_in_time)
            wk->end_tick = timer_now();
        ret = worker_flush(wk, true);
        if (w->end_sync_in_time)
            wk->end_tick = timer_now();
    } else {
        wk->end_tick = timer_now();
    }
    wk->error = ret;
}

/* A profile of the workers, attached while they wait at the gate and enabled with it. NULL
 * (with a note in rec) when one cannot be taken. */
static struct profile *start_profile(const struct phase_input *in, struct worker *workers,
                                     unsigned n, struct run_record *rec)
{
    struct profile *p = profile_create(in->profile);
    for (unsigned t = 0; p && t < n; t++) {
        if (profile_attach(p, workers[t].tid) < 0) {
            profile_free(p);
            p = NULL;
        }
    }
    if (!p) {
        snprintf(rec->note, sizeof(rec->note),
                 "no profile: its events could not be opened "
                 "(see above)");
        return NULL;
    }
    profile_enable(p);
    return p;
}

/* What the time series reads of the workers: their progress. */
struct phase_progress {
    struct worker *workers;
    unsigned n;
    bool processes;
};

static uint64_t ops_so_far(void *arg)
{
    const struct phase_progress *p = arg;
    uint64_t ops = 0;
    for (unsigned t = 0; t < p->n; t++)
        ops += __atomic_load_n(&p->workers[t].ops_done, __ATOMIC_RELAXED);
    return ops;
}

static void pin_worker(struct worker *wk)
{
    if (wk->cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(wk->cpu, &set);
    int e = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    if (e != 0)
        log_warn("pinning worker %u to CPU %d: %s", wk->index, wk->cpu, strerror(e));
}

static int worker_setup(struct worker *wk);
static void worker_teardown(struct worker *wk);

/* A worker process opens the data file itself (its own open file description of the same
 * inode, never a path) and sets up its own backend state: its own mapping, as an unrelated
 * process would have. Returns 0 or -errno after logging. */
static int process_open(struct worker *wk)
{
    const struct phase_input *in = wk->ph->in;
    int flags = workload_writes(in->w) ? O_RDWR : O_RDONLY;
    int fd = backend_reopen(in->fd, in->label, flags);
    if (fd < 0)
        return fd;
    uint64_t t0 = timer_monotonic_ns();
    char note[BACKEND_NOTE_MAX] = "";
    int ret = in->backend->open(in->w, fd, in->label, &wk->state, note);
    wk->setup_ns = timer_monotonic_ns() - t0;
    close(fd); /* the backend reopens or dups what it keeps */
    return ret;
}

static void process_close(struct worker *wk)
{
    uint64_t t0 = timer_monotonic_ns();
    wk->ph->in->backend->close(wk->state);
    wk->teardown_ns = timer_monotonic_ns() - t0;
}

/* The timed loop, with a SIGBUS in it ending the worker's phase instead of the process. */
static __attribute__((noinline)) void run_guarded(struct worker *wk)
{
    perf_enable(&wk->perf);
    wk->start_tick = timer_now();
    sigjmp_buf jb;
    if (sigsetjmp(jb, 1) == 0) {
        signals_bus_arm(&jb);
        worker_loop(wk);
        signals_bus_disarm();
    } else {
        wk->end_tick = timer_now();
        wk->error = -EFAULT;
        wk->bus_address = signals_bus_address();
    }
    perf_disable(&wk->perf);
}

/* A worker's whole life, in its thread or process: set-up, the gate, the timed loop, the
 * counters around it, tear-down. */
static void worker_body(struct worker *wk, bool process)
{
    struct phase_shared *ph = wk->ph;
    const struct phase_input *in = ph->in;
    pin_worker(wk);
    int ret = process ? process_open(wk) : 0;
    bool opened = process && ret == 0;
    if (ret == 0)
        ret = worker_setup(wk);
    if (ret == 0 && in->backend->worker_open)
        ret = in->backend->worker_open(wk->state, &wk->io);
    if (ret < 0) {
        wk->error = ret;
        wk->setup_failed = true;
    }
    perf_open(&wk->perf, in->perf);
    getrusage(RUSAGE_THREAD, &wk->ru_start);
    taskstat_read(0, 0, &wk->task_start);
    wk->tid = gettid();

    pthread_mutex_lock(&ph->lock);
    ph->ready++;
    pthread_cond_broadcast(&ph->cond);
    while (ph->gate == GATE_WAIT)
        pthread_cond_wait(&ph->cond, &ph->lock);
    bool go = ph->gate == GATE_GO && ret == 0;
    pthread_mutex_unlock(&ph->lock);

    if (go)
        run_guarded(wk);
    getrusage(RUSAGE_THREAD, &wk->ru_end);
    taskstat_read(0, 0, &wk->task_end);
    perf_read(&wk->perf, wk->perf_value, wk->perf_have);
    perf_close(&wk->perf);
    if (in->backend->worker_close && !wk->setup_failed)
        in->backend->worker_close(wk->state, &wk->io);
    worker_teardown(wk);
    if (opened)
        process_close(wk);
}

static void *worker_thread(void *arg)
{
    worker_body(arg, false);
    return NULL;
}

/* Starts worker wk as a process: a child that runs worker_body and exits, dying with the
 * parent, stopping (not cleaning up) on a stop signal. Returns 0 or -errno. */
static int start_process(struct worker *wk)
{
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        signals_in_child();
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1) /* the parent is already gone */
            _exit(1);
        worker_body(wk, true);
        _exit(0);
    }
    wk->tid = pid; /* the parent's view; the child sets it too */
    return 0;
}

/* Waits for a worker process; a process that died of a signal failed its phase. */
static void wait_process(struct worker *wk)
{
    int status;
    while (waitpid(wk->tid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status) && !wk->error) {
        wk->error = -ECHILD;
        wk->io.failed_call = strsignal(WTERMSIG(status));
    }
}

/* Fills cpus with the CPUs workers are pinned to, in order; returns their count (0 =
 * no pinning). */
static int pin_list(const struct workload *w, int *cpus, int max)
{
    if (!w->pin)
        return 0;
    int n = 0;
    if (strcmp(w->pin, "all") == 0) {
        cpu_set_t allowed;
        if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
            return 0;
        for (int c = 0; c < CPU_SETSIZE && n < max; c++)
            if (CPU_ISSET(c, &allowed))
                cpus[n++] = c;
        return n;
    }
    uint64_t mask[16];
    const char *why;
    if (param_parse_cpulist(w->pin, mask, &why) < 0)
        return 0;
    for (int c = 0; c < 1024 && n < max; c++)
        if (mask[c / 64] >> (c % 64) & 1)
            cpus[n++] = c;
    return n;
}

/* The worker's offset stream and buffers, allocated by the worker itself (a worker
 * process's memory is its own, never copied on write from the parent). */
static int worker_setup(struct worker *wk)
{
    const struct workload *w = wk->ph->in->w;
    unsigned t = wk->index;
    wk->ops_target = phase_thread_ops(w, t);

    struct offsets_params p = {
        .pattern = w->pattern,
        .distribution = w->distribution,
        .region_offset_bytes = 0,
        .region_size_bytes = w->file_size_bytes,
        .block_size_bytes = w->block_size_bytes,
        .stride_bytes = w->stride_bytes,
        .op = w->op,
        .write_fraction = w->write_fraction,
        .zipf_theta = w->zipf_theta,
        .hotset_fraction = w->hotset_fraction,
        .hotset_access_fraction = w->hotset_access_fraction,
        .seed = w->seed + t,
    };
    if (w->share == SHARE_PARTITION && w->threads > 1) {
        uint64_t part = w->file_size_bytes / w->threads / w->stride_bytes * w->stride_bytes;
        p.region_offset_bytes = part * t;
        p.region_size_bytes = part;
    }
    if (offsets_init(&wk->offsets, &p) < 0)
        return -EINVAL;
    if (w->pattern == PATTERN_SEQUENTIAL && w->share == SHARE_FILE && w->threads > 1) {
        /* Concurrent scans of one file start evenly spread over it. */
        p.start_slot = offsets_slot_count(&wk->offsets) / w->threads * t;
        offsets_init(&wk->offsets, &p);
    }

    uint64_t buf_bytes = (w->block_size_bytes + 4095) / 4096 * 4096; /* O_DIRECT-aligned */
    wk->ops = malloc(PHASE_BATCH_OPS * sizeof(*wk->ops));
    wk->io.read_buf = aligned_alloc(4096, buf_bytes);
    unsigned char *write_buf = aligned_alloc(4096, buf_bytes);
    wk->io.write_buf = write_buf;
    if (!wk->ops || !wk->io.read_buf || !write_buf)
        return -ENOMEM;
    memset(wk->io.read_buf, 0, buf_bytes);
    for (uint64_t i = 0; i < buf_bytes / 8; i++) {
        uint64_t word = pattern_write_word(i);
        memcpy(write_buf + i * 8, &word, 8);
    }
    /* The histograms are the shared memory's zero pages: only the used buckets are touched. */
    wk->latency_hist.min_ns = wk->flush_hist.min_ns = UINT64_MAX;
    wk->io.latency_hist = &wk->latency_hist;
    wk->io.block_size_bytes = w->block_size_bytes;
    wk->io.access = w->access;
    wk->io.latency = wk->ph->in->latency;
    wk->io.latency_sample_every = w->latency_sample_every;
    wk->io.sample_rng = prng_mix64(w->seed + t) | 1; /* seeded per thread, never 0 */
    wk->io.sample_countdown = loop_sample_gap(&wk->io.sample_rng, w->latency_sample_every);
    wk->io.dirty_lo_bytes = UINT64_MAX;
    wk->io.dirty_hi_bytes = 0;
    return 0;
}

static void worker_teardown(struct worker *wk)
{
    free(wk->ops);
    free(wk->io.read_buf);
    free((void *)wk->io.write_buf);
    wk->ops = NULL;
    wk->io.read_buf = NULL;
    wk->io.write_buf = NULL;
}

/* Describes the first worker error in rec->error. */
static void describe_error(const struct phase_input *in, const struct worker *wk,
                           struct run_record *rec)
{
    if (wk->error == -ECHILD && wk->io.failed_call) {
        snprintf(rec->error, sizeof(rec->error), "worker process %u (pid %d) died: %s", wk->index,
                 (int)wk->tid, wk->io.failed_call);
        return;
    }
    if (wk->error == -EFAULT && wk->bus_address) {
        snprintf(rec->error, sizeof(rec->error),
                 "SIGBUS at address %#lx in worker %u: the mapped file shrank (truncated by "
                 "another process?) or a write fault found no space",
                 (unsigned long)wk->bus_address, wk->index);
        return;
    }
    const char *call = wk->io.failed_call ? wk->io.failed_call : "operation";
    const char *why = wk->error == -ENODATA ? "unexpected end of file (did the file shrink?)"
                                            : strerror(-wk->error);
    const char *base = strrchr(in->label, '/');
    snprintf(rec->error, sizeof(rec->error), "%s(%s, offset %llu, %llu bytes): %s", call,
             base ? base + 1 : in->label, (unsigned long long)wk->io.failed_offset_bytes,
             (unsigned long long)wk->io.failed_length_bytes, why);
}

/* Folds the workers' counters into the record and the merged histograms. */
static void collect(const struct phase_input *in, struct worker *workers, unsigned n,
                    struct phase_output *out)
{
    const struct workload *w = in->w;
    struct run_record *rec = out->rec;
    uint64_t first_start = UINT64_MAX, last_end = 0;
    double ops_sum = 0, ops_sq = 0;
    rec->thread_tput_min_mib_s = INFINITY;
    rec->thread_tput_max_mib_s = 0;
    struct run_check *check = &out->check;
    check->n_checkpoints = RESULTS_CHECKPOINTS;
    check->ops_exact = w->ops != 0;
    for (int c = 0; c < PERF_COUNT; c++)
        rec->perf_have[c] = in->perf->available[c];
    for (unsigned t = 0; t < n; t++) {
        struct worker *wk = &workers[t];
        first_start = wk->start_tick < first_start ? wk->start_tick : first_start;
        last_end = wk->end_tick > last_end ? wk->end_tick : last_end;
        rec->ops += wk->ops_done;
        rec->writes += wk->writes;
        rec->checksum += wk->io.checksum;
        rec->flush_total_ns += wk->flush_ns;
        rec->end_flush_ns =
            wk->end_flush_ns > rec->end_flush_ns ? wk->end_flush_ns : rec->end_flush_ns;
        rec->remaps += wk->io.remaps;
        rec->remap_ns += wk->io.remap_ns;
        rec->syscalls += wk->io.syscalls + wk->flush_calls;
        for (int c = 0; c < BACKEND_COUNTERS_MAX; c++)
            rec->backend_counter[c] += wk->io.counters[c];
        rec->minflt += (uint64_t)(wk->ru_end.ru_minflt - wk->ru_start.ru_minflt);
        rec->majflt += (uint64_t)(wk->ru_end.ru_majflt - wk->ru_start.ru_majflt);
        rec->nvcsw += (uint64_t)(wk->ru_end.ru_nvcsw - wk->ru_start.ru_nvcsw);
        rec->nivcsw += (uint64_t)(wk->ru_end.ru_nivcsw - wk->ru_start.ru_nivcsw);
        rec->utime_ns += tv_ns(wk->ru_end.ru_utime) - tv_ns(wk->ru_start.ru_utime);
        rec->stime_ns += tv_ns(wk->ru_end.ru_stime) - tv_ns(wk->ru_start.ru_stime);
        struct taskstat task;
        taskstat_delta(&wk->task_start, &wk->task_end, &task);
        rec->task_read_bytes += task.read_bytes;
        rec->task_write_bytes += task.write_bytes;
        rec->task_cancelled_bytes += task.cancelled_write_bytes;
        rec->have_task_io = (t == 0 || rec->have_task_io) && task.have_io;
        rec->oncpu_ns += task.oncpu_ns;
        rec->runqueue_ns += task.runqueue_ns;
        rec->have_schedstat = (t == 0 || rec->have_schedstat) && task.have_sched;
        rec->worker_wall_ns += timer_to_ns(wk->end_tick - wk->start_tick);
        for (int c = 0; c < PERF_COUNT; c++) {
            rec->perf[c] += wk->perf_value[c];
            rec->perf_have[c] = rec->perf_have[c] && wk->perf_have[c];
        }
        if (wk->latency_hist.count)
            hist_merge(out->latency, &wk->latency_hist);
        if (wk->flush_hist.count)
            hist_merge(out->flush, &wk->flush_hist);
        rec->setup_ns = wk->setup_ns > rec->setup_ns ? wk->setup_ns : rec->setup_ns;
        rec->teardown_ns = wk->teardown_ns > rec->teardown_ns ? wk->teardown_ns : rec->teardown_ns;
        check->n_checkpoints =
            wk->n_checkpoints < check->n_checkpoints ? wk->n_checkpoints : check->n_checkpoints;
        check->ops_exact = check->ops_exact && wk->ops_done == wk->ops_target && !wk->error;
        uint64_t t_ns = timer_to_ns(wk->end_tick - wk->start_tick);
        double tput =
            t_ns ? (double)(wk->ops_done * w->block_size_bytes) / 1048576.0 / ((double)t_ns / 1e9)
                 : 0;
        rec->thread_tput_min_mib_s =
            tput < rec->thread_tput_min_mib_s ? tput : rec->thread_tput_min_mib_s;
        rec->thread_tput_max_mib_s =
            tput > rec->thread_tput_max_mib_s ? tput : rec->thread_tput_max_mib_s;
        ops_sum += (double)wk->ops_done;
        ops_sq += (double)wk->ops_done * (double)wk->ops_done;
    }
    memset(check->checkpoint, 0, sizeof(check->checkpoint));
    for (unsigned t = 0; t < n; t++)
        for (unsigned k = 0; k < check->n_checkpoints; k++)
            check->checkpoint[k] += workers[t].checkpoint[k];
    double mean = ops_sum / n;
    double var = n > 1 ? (ops_sq - n * mean * mean) / (n - 1) : 0;
    rec->thread_ops_cv = n > 1 && mean > 0 ? sqrt(var > 0 ? var : 0) / mean : 0;
    rec->reads = rec->ops - rec->writes;
    rec->bytes = rec->ops * w->block_size_bytes;
    rec->elapsed_ns = last_end > first_start ? timer_to_ns(last_end - first_start) : 0;
    double seconds = (double)rec->elapsed_ns / 1e9;
    rec->tput_mib_s = seconds > 0 ? (double)rec->bytes / 1048576.0 / seconds : 0;
    rec->ops_s = seconds > 0 ? (double)rec->ops / seconds : 0;
    hist_summarize(out->latency, &rec->latency);
    hist_summarize(out->flush, &rec->flush);
}

/* The shared part and the workers, in one mapping shared with worker processes (zero pages
 * until used, so the inline histograms cost only the buckets that are used). */
struct phase_memory {
    struct phase_shared ph;
    struct worker workers[];
};

static struct phase_memory *memory_map(unsigned n, size_t *bytes)
{
    *bytes = sizeof(struct phase_memory) + (size_t)n * sizeof(struct worker);
    void *p = mmap(NULL, *bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void shared_sync_init(struct phase_shared *ph)
{
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&ph->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(&ph->cond, &ca);
    pthread_condattr_destroy(&ca);
}

/* Starts the n workers as threads or processes. Returns 0 or -errno (those started then wait
 * at the gate, which the caller opens or aborts). */
static int start_workers(struct phase_memory *mem, unsigned n, bool processes)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WORKER_STACK_BYTES);
    int ret = 0;
    for (unsigned t = 0; t < n && ret == 0; t++) {
        struct worker *wk = &mem->workers[t];
        if (processes) {
            ret = start_process(wk);
        } else {
            int e = pthread_create(&wk->thread, &attr, worker_thread, wk);
            ret = -e;
        }
        wk->started = ret == 0;
    }
    pthread_attr_destroy(&attr);
    return ret;
}

static void join_workers(struct phase_memory *mem, unsigned n, bool processes)
{
    for (unsigned t = 0; t < n; t++) {
        struct worker *wk = &mem->workers[t];
        if (!wk->started)
            continue;
        if (processes)
            wait_process(wk);
        else
            pthread_join(wk->thread, NULL);
    }
}

/* The page faults of the workers so far, for the time series: the process's own with
 * threads, each worker process's (from /proc/PID/stat) with processes. */
static void faults_so_far(void *arg, uint64_t *minflt, uint64_t *majflt)
{
    const struct phase_progress *p = arg;
    *minflt = *majflt = 0;
    if (!p->processes) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0) {
            *minflt = (uint64_t)ru.ru_minflt;
            *majflt = (uint64_t)ru.ru_majflt;
        }
        return;
    }
    for (unsigned t = 0; t < p->n; t++) {
        uint64_t mn, mj;
        if (taskstat_faults(p->workers[t].tid, &mn, &mj) == 0) {
            *minflt += mn;
            *majflt += mj;
        }
    }
}

int phase_run(const struct phase_input *in, struct phase_output *out)
{
    const struct workload *w = in->w;
    struct run_record *rec = out->rec;
    unsigned n = w->threads;
    bool processes = w->workers == WORKERS_PROCESSES;
    size_t mem_bytes;
    struct phase_memory *mem = memory_map(n, &mem_bytes);
    if (!mem) {
        snprintf(rec->error, sizeof(rec->error), "no memory for %u workers", n);
        rec->status = RUN_FAILED;
        return -ENOMEM;
    }
    struct phase_shared *ph = &mem->ph;
    struct worker *workers = mem->workers;
    ph->in = in;
    ph->gate = GATE_WAIT;
    shared_sync_init(ph);
    int ret = 0;

    /* Threads share one backend state; each worker process opens its own. */
    if (!processes) {
        uint64_t t0 = timer_monotonic_ns();
        ret = in->backend->open(w, in->fd, in->label, &ph->state, rec->note);
        rec->setup_ns = timer_monotonic_ns() - t0;
        if (ret < 0) {
            snprintf(rec->error, sizeof(rec->error), "%s backend could not open %s: %s",
                     in->backend->name, in->label, strerror(-ret));
            rec->status = RUN_FAILED;
            goto out;
        }
    }
    int *cpus = malloc(1024 * sizeof(*cpus));
    int n_cpus = cpus ? pin_list(w, cpus, 1024) : 0;
    for (unsigned t = 0; t < n; t++) {
        workers[t].ph = ph;
        workers[t].state = ph->state;
        workers[t].index = t;
        workers[t].cpu = n_cpus ? cpus[t % (unsigned)n_cpus] : -1;
    }
    free(cpus);
    ret = start_workers(mem, n, processes);

    struct kcounters_snapshot before, after;
    struct timeline_sampler *sampler = NULL;
    unsigned started = 0, failed = 0;
    for (unsigned t = 0; t < n; t++)
        started += workers[t].started;
    pthread_mutex_lock(&ph->lock);
    while (ph->ready < started)
        pthread_cond_wait(&ph->cond, &ph->lock);
    pthread_mutex_unlock(&ph->lock);
    for (unsigned t = 0; t < n; t++)
        failed += workers[t].setup_failed;
    bool go = ret == 0 && failed == 0;
    if (go && in->profile)
        out->profile = start_profile(in, workers, n, rec);
    kcounters_read(in->kc_source, &before);
    pthread_mutex_lock(&ph->lock);
    ph->gate = go ? GATE_GO : GATE_ABORT;
    ph->go_tick = timer_now();
    pthread_cond_broadcast(&ph->cond);
    pthread_mutex_unlock(&ph->lock);
    struct phase_progress progress = {workers, n, processes};
    if (go && in->timeline_interval_ns && in->timeline) {
        struct timeline_source tsrc = {
            .ops = ops_so_far,
            .faults = faults_so_far,
            .arg = &progress,
            .fd = in->fd,
            .file_size_bytes = w->file_size_bytes,
            .kc = in->kc_source,
        };
        if (timeline_start(&sampler, &tsrc, in->timeline_interval_ns, in->timeline) < 0)
            log_warn("%s: no time series for this phase: out of memory or threads", w->name);
    }
    join_workers(mem, n, processes);
    if (sampler)
        rec->timeline_first = timeline_stop(sampler, &rec->timeline_points);
    kcounters_read(in->kc_source, &after);
    if (out->profile && profile_finish(out->profile) < 0) {
        profile_free(out->profile);
        out->profile = NULL;
        snprintf(rec->note + strlen(rec->note), sizeof(rec->note) - strlen(rec->note),
                 "%sthe profile could not be read (see above)", rec->note[0] ? "; " : "");
    }

    if (ret < 0) {
        snprintf(rec->error, sizeof(rec->error), "could not start %u worker %s: %s", n,
                 processes ? "processes" : "threads", strerror(-ret));
        rec->status = RUN_FAILED;
    } else {
        collect(in, workers, n, out);
        for (int c = 0; c < KC_COUNT; c++) {
            rec->kc_have[c] = before.have[c] && after.have[c];
            rec->kc[c] = rec->kc_have[c] ? after.value[c] - before.value[c] : 0;
        }
        rec->status = RUN_OK;
        for (unsigned t = 0; t < n; t++) {
            if (workers[t].error && rec->status != RUN_FAILED) {
                describe_error(in, &workers[t], rec);
                rec->status = RUN_FAILED;
            }
            if (workers[t].interrupted && rec->status == RUN_OK)
                rec->status = RUN_INTERRUPTED;
        }
    }
    if (!processes) {
        uint64_t t0 = timer_monotonic_ns();
        in->backend->close(ph->state);
        rec->teardown_ns = timer_monotonic_ns() - t0;
    }
out:
    pthread_mutex_destroy(&ph->lock);
    pthread_cond_destroy(&ph->cond);
    munmap(mem, mem_bytes);
    return ret;
}
