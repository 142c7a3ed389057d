#include "profile.h"

#include "log.h"
#include "symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define READER_TIMEOUT_MS  100
#define MAX_FREQUENCY_HZ   100000 /* the cpu-clock timer fires at most every 10 us */
#define MAX_RING_BYTES     (1u << 30)
#define MAX_STACKS         (1u << 18) /* distinct stacks kept; further ones are dropped */
#define MAX_FRAME_WORDS    (1u << 22) /* frames kept over all stacks (32 MiB) */
#define SAMPLE_FIXED_BYTES 40         /* header, identifier, pid/tid, time, nr */
/* The largest sample: its fixed part, the frames and two context markers. */
#define SAMPLE_MAX_BYTES (SAMPLE_FIXED_BYTES + (PROFILE_MAX_FRAMES + 2) * 8)

#define SAMPLE_TYPE                                                                                \
    (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CALLCHAIN)

enum stack_kind {
    KIND_KERNEL,    /* on-CPU sample, leaf in the kernel */
    KIND_USER,      /* on-CPU sample, leaf in user space */
    KIND_BLOCKED,   /* off-CPU, switched out while not runnable */
    KIND_PREEMPTED, /* off-CPU, switched out while runnable */
};

/* A stack: kernel frames leaf first, then user frames leaf first. */
struct frames {
    uint64_t addr[PROFILE_MAX_FRAMES]; /* kernel then user addresses */
    unsigned n_kernel;                 /* frames */
    unsigned n_user;                   /* frames */
};

struct thread {
    pid_t tid;
    pid_t tgid;                        /* its process, whose mappings name its user frames */
    int fd_clock;                      /* cpu-clock sampling event; owns the ring buffer */
    int fd_switch;                     /* context-switch event writing into it, or -1 */
    uint64_t id_clock;                 /* PERF_EVENT_IOC_ID, to tell the events' samples apart */
    uint64_t id_switch;                /* 0 without fd_switch */
    struct perf_event_mmap_page *ring; /* control page, then the data pages */
    bool hup;                          /* the thread exited: no more polling */
    /* The last switch-out not yet matched by its switch-in. */
    bool pending;
    bool pending_preempted;       /* runnable when switched out */
    uint64_t pending_ns;          /* switch-out time, CLOCK_MONOTONIC */
    struct frames pending_frames; /* the stack at the switch-out */
};

struct stack {
    uint64_t hash;        /* of kind, tgid and frames */
    uint32_t first;       /* index of its first frame in profile.frames */
    uint16_t n_kernel;    /* frames */
    uint16_t n_user;      /* frames; after profile_finish, those kept (named) */
    pid_t tgid;           /* user addresses are this process's */
    enum stack_kind kind; /* on-CPU (by leaf) or off-CPU (by how it left) */
    uint64_t count;       /* samples, or matched switch-outs */
    uint64_t ns;          /* off-CPU time */
};

struct folded_line {
    char *text;       /* the frames, root first, ';' between */
    uint64_t samples; /* on-CPU */
    uint64_t ns;      /* off-CPU */
    bool offcpu;      /* count is ns, written in sampling periods */
};

struct profile {
    struct profile_options opt;                  /* frequency_hz filled in */
    uint64_t period_ns;                          /* on-CPU time per sample */
    unsigned max_stack;                          /* frames per sample asked of the kernel */
    size_t data_bytes;                           /* ring buffer data, a power of two */
    size_t page_bytes;                           /* the ring's control page */
    pthread_mutex_t lock;                        /* attach, enable, disable, finish */
    bool enabled;                                /* events on, reader running (if it could start) */
    bool finished;                               /* events closed, symbols resolved */
    uint64_t disabled_ns;                        /* CLOCK_MONOTONIC of the last disable */
    struct thread *threads[PROFILE_MAX_THREADS]; /* attached, in order */
    atomic_uint n_threads;                       /* published after threads[i] is filled in */
    pid_t tgids[PROFILE_MAX_THREADS];            /* their processes, each once */
    unsigned n_tgids;                            /* entries of tgids */
    /* The reader thread, while enabled. */
    pthread_t reader;        /* valid while reader_running */
    bool reader_running;     /* started by profile_enable, joined by profile_disable */
    atomic_bool reader_stop; /* asks it to return */
    int wake_fd;             /* eventfd that ends the reader's poll */
    struct pollfd *pollfds;  /* PROFILE_MAX_THREADS + 1 */
    unsigned *poll_thread;   /* thread index of pollfds[i + 1] */
    unsigned char *scratch;  /* a record that wraps around the ring, 64 KiB */
    /* The stacks: a dense array indexed by an open-addressing table. */
    struct stack *stacks;       /* distinct stacks, in order of first sight */
    size_t n_stacks;            /* entries of stacks */
    size_t stacks_capacity;     /* entries allocated */
    uint32_t *slots;            /* stack index + 1, 0 = empty */
    size_t slots_capacity;      /* power of two */
    uint64_t *frames;           /* the stacks' addresses, back to back */
    size_t n_frames;            /* entries of frames in use */
    size_t frames_capacity;     /* entries allocated */
    struct profile_stats stats; /* written by whoever drains */
    /* After profile_finish. */
    struct symbols *syms;          /* from profile_create: mappings are read at attach */
    const char **names;            /* per frame, parallel to frames */
    struct profile_symbol *top[3]; /* per enum profile_space, most first */
    size_t n_top[3];               /* entries of top[space] */
    struct folded_line *folded;    /* distinct lines, sorted */
    size_t n_folded;               /* entries of folded */
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int read_sysctl(const char *path, int fallback)
{
    FILE *f = fopen(path, "re");
    int value = fallback;
    if (f) {
        if (fscanf(f, "%d", &value) != 1)
            value = fallback;
        fclose(f);
    }
    return value;
}

static void fill_attr(struct perf_event_attr *a, bool context_switches, uint64_t period,
                      unsigned max_stack, size_t watermark_bytes)
{
    memset(a, 0, sizeof(*a));
    a->size = sizeof(*a);
    a->type = PERF_TYPE_SOFTWARE;
    a->config = context_switches ? PERF_COUNT_SW_CONTEXT_SWITCHES : PERF_COUNT_SW_CPU_CLOCK;
    a->sample_period = context_switches ? 1 : period;
    a->sample_type = SAMPLE_TYPE;
    a->disabled = 1;
    a->exclude_hv = 1;
    a->sample_id_all = 1;
    a->use_clockid = 1;
    a->clockid = CLOCK_MONOTONIC;
    a->sample_max_stack = (uint16_t)max_stack;
    a->context_switch = context_switches;
    if (watermark_bytes) {
        a->watermark = 1;
        a->wakeup_watermark = (uint32_t)watermark_bytes;
    }
}

static int open_event(struct perf_event_attr *a, pid_t tid)
{
    return (int)syscall(SYS_perf_event_open, a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static unsigned max_stack_here(void)
{
    int sysctl = read_sysctl("/proc/sys/kernel/perf_event_max_stack", 127);
    return sysctl > 0 && sysctl < PROFILE_MAX_FRAMES ? (unsigned)sysctl : PROFILE_MAX_FRAMES;
}

int profile_check_support(char *why, size_t len)
{
    int paranoid = read_sysctl("/proc/sys/kernel/perf_event_paranoid", 2);
    for (int cs = 0; cs <= 1; cs++) {
        struct perf_event_attr a;
        fill_attr(&a, cs, 1000000, max_stack_here(), 0);
        int fd = open_event(&a, 0);
        if (fd >= 0) {
            close(fd);
            continue;
        }
        int e = errno;
        const char *event = cs ? "context-switches" : "cpu-clock";
        if (e == EACCES || e == EPERM) {
            snprintf(why, len,
                     "perf_event_open(%s with kernel stacks): %s: needs root (CAP_PERFMON) or "
                     "kernel.perf_event_paranoid <= 1 (it is %d); run as root, or "
                     "sysctl -w kernel.perf_event_paranoid=1",
                     event, strerror(e), paranoid);
            return -EPERM;
        }
        if (e == ENOSYS) {
            snprintf(why, len,
                     "perf_event_open: %s: this kernel has no perf events "
                     "(CONFIG_PERF_EVENTS), or a seccomp filter blocks them",
                     strerror(e));
            return -ENOENT;
        }
        snprintf(why, len, "perf_event_open(%s): %s: the software %s event is not available here",
                 event, strerror(e), event);
        return e == ENOENT || e == ENODEV || e == EOPNOTSUPP || e == EINVAL ? -ENOENT : -e;
    }
    FILE *f = fopen("/proc/kallsyms", "re");
    bool shown = false;
    if (f) {
        char line[256];
        for (int i = 0; i < 16 && fgets(line, sizeof(line), f); i++)
            if (strtoull(line, NULL, 16) != 0)
                shown = true;
        fclose(f);
    }
    if (!shown) {
        snprintf(why, len,
                 "/proc/kallsyms shows no kernel addresses (kernel.kptr_restrict=%d), so kernel "
                 "frames could not be named; run as root, or sysctl -w kernel.kptr_restrict=0",
                 read_sysctl("/proc/sys/kernel/kptr_restrict", -1));
        return -EPERM;
    }
    return 0;
}

static size_t round_up_pow2(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

struct profile *profile_create(const struct profile_options *o)
{
    unsigned hz = o->frequency_hz ? o->frequency_hz : PROFILE_DEFAULT_HZ;
    if (hz > MAX_FREQUENCY_HZ) {
        log_error("profile: frequency %u Hz is above %u Hz (the cpu-clock timer fires at most "
                  "every 10 us)",
                  hz, MAX_FREQUENCY_HZ);
        return NULL;
    }
    if (o->ring_bytes > MAX_RING_BYTES) {
        log_error("profile: ring buffer of %zu bytes is above %u MiB per thread", o->ring_bytes,
                  MAX_RING_BYTES >> 20);
        return NULL;
    }
    struct profile *p = calloc(1, sizeof(*p));
    if (!p) {
        log_error("profile: out of memory");
        return NULL;
    }
    p->opt = *o;
    p->opt.frequency_hz = hz;
    p->period_ns = 1000000000ULL / hz;
    p->max_stack = max_stack_here();
    p->page_bytes = (size_t)sysconf(_SC_PAGESIZE);
    size_t want = o->ring_bytes ? o->ring_bytes : (size_t)hz * SAMPLE_MAX_BYTES;
    p->data_bytes = round_up_pow2(want < p->page_bytes ? p->page_bytes : want);
    p->wake_fd = -1;
    pthread_mutex_init(&p->lock, NULL);
    p->stats.period_ns = p->period_ns;
    p->stats.ring_bytes = p->data_bytes;
    p->pollfds = calloc(PROFILE_MAX_THREADS + 1, sizeof(*p->pollfds));
    p->poll_thread = calloc(PROFILE_MAX_THREADS, sizeof(*p->poll_thread));
    p->scratch = malloc(65536);
    p->syms = symbols_new();
    if (!p->pollfds || !p->poll_thread || !p->scratch || !p->syms) {
        log_error("profile: out of memory");
        profile_free(p);
        return NULL;
    }
    if ((p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        log_error("profile: eventfd: %s", strerror(errno));
        profile_free(p);
        return NULL;
    }
    return p;
}

static pid_t read_tgid(pid_t tid)
{
    char path[64], line[128];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    pid_t tgid = -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "Tgid: %d", &tgid) == 1)
            break;
    fclose(f);
    return tgid;
}

static void close_thread(const struct profile *p, struct thread *t)
{
    if (t->ring)
        munmap(t->ring, p->page_bytes + p->data_bytes);
    if (t->fd_switch >= 0)
        close(t->fd_switch);
    if (t->fd_clock >= 0)
        close(t->fd_clock);
    t->ring = NULL;
    t->fd_clock = t->fd_switch = -1;
}

static void log_open_error(const struct profile *p, const char *event, pid_t tid, int e)
{
    const char *hint = "";
    if (e == EACCES || e == EPERM)
        hint = " (needs root or kernel.perf_event_paranoid <= 1)";
    else if (e == EMFILE || e == ENFILE)
        hint = p->opt.offcpu ? " (each profiled thread needs 2 descriptors: raise ulimit -n)"
                             : " (each profiled thread needs a descriptor: raise ulimit -n)";
    else if (e == ESRCH)
        hint = " (no such thread)";
    log_error("perf_event_open(%s, thread %d): %s%s", event, (int)tid, strerror(e), hint);
}

/* Opens the events of t->tid; 0 or -errno after logging. */
static int open_thread(struct profile *p, struct thread *t)
{
    struct perf_event_attr a;
    fill_attr(&a, false, p->period_ns, p->max_stack, p->data_bytes / 4);
    if ((t->fd_clock = open_event(&a, t->tid)) < 0) {
        int e = errno;
        log_open_error(p, "cpu-clock", t->tid, e);
        return -e;
    }
    void *ring = mmap(NULL, p->page_bytes + p->data_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
                      t->fd_clock, 0);
    if (ring == MAP_FAILED) {
        int e = errno;
        log_error("mmap(%zu KiB perf ring buffer of thread %d): %s%s", p->data_bytes >> 10,
                  (int)t->tid, strerror(e),
                  e == EPERM ? " (locked memory beyond kernel.perf_event_mlock_kb and "
                               "RLIMIT_MEMLOCK: run as root, or use a smaller ring)"
                             : "");
        return -e;
    }
    t->ring = ring;
    if (ioctl(t->fd_clock, PERF_EVENT_IOC_ID, &t->id_clock) < 0) {
        int e = errno;
        log_error("ioctl(PERF_EVENT_IOC_ID, thread %d): %s", (int)t->tid, strerror(e));
        return -e;
    }
    if (!p->opt.offcpu)
        return 0;
    fill_attr(&a, true, 1, p->max_stack, 0);
    if ((t->fd_switch = open_event(&a, t->tid)) < 0) {
        int e = errno;
        log_open_error(p, "context-switches", t->tid, e);
        return -e;
    }
    if (ioctl(t->fd_switch, PERF_EVENT_IOC_SET_OUTPUT, t->fd_clock) < 0 ||
        ioctl(t->fd_switch, PERF_EVENT_IOC_ID, &t->id_switch) < 0) {
        int e = errno;
        log_error("ioctl(context-switches of thread %d into its ring buffer): %s", (int)t->tid,
                  strerror(e));
        return -e;
    }
    return 0;
}

static void thread_ioctl(const struct thread *t, unsigned long request)
{
    ioctl(t->fd_clock, request, 0);
    if (t->fd_switch >= 0)
        ioctl(t->fd_switch, request, 0);
}

int profile_attach(struct profile *p, pid_t tid)
{
    pthread_mutex_lock(&p->lock);
    unsigned n = atomic_load_explicit(&p->n_threads, memory_order_relaxed);
    struct thread *t = NULL;
    int ret = -EINVAL;
    if (p->finished) {
        log_error("profile: thread %d attached after the profile was finished", (int)tid);
        goto out;
    }
    if (n == PROFILE_MAX_THREADS) {
        log_error("profile: thread %d: at most %d threads can be profiled", (int)tid,
                  PROFILE_MAX_THREADS);
        ret = -ENOSPC;
        goto out;
    }
    ret = -ENOMEM;
    if (!(t = calloc(1, sizeof(*t)))) {
        log_error("profile: out of memory");
        goto out;
    }
    t->tid = tid;
    t->fd_clock = t->fd_switch = -1;
    if ((t->tgid = read_tgid(tid)) < 0) {
        log_error("profile: thread %d: no such thread", (int)tid);
        ret = -ESRCH;
        goto out;
    }
    if ((ret = open_thread(p, t)) < 0)
        goto out;
    bool seen = false;
    for (unsigned i = 0; i < p->n_tgids; i++)
        seen = seen || p->tgids[i] == t->tgid;
    if (!seen) {
        /* The mappings now: the process may be gone when symbols are resolved. */
        if ((ret = symbols_add_process(p->syms, t->tgid)) < 0)
            goto out;
        p->tgids[p->n_tgids++] = t->tgid;
    }
    if (p->enabled)
        thread_ioctl(t, PERF_EVENT_IOC_ENABLE);
    p->threads[n] = t;
    atomic_store_explicit(&p->n_threads, n + 1, memory_order_release);
    p->stats.threads = n + 1;
    t = NULL;
    ret = 0;
out:
    if (t) {
        close_thread(p, t);
        free(t);
    }
    pthread_mutex_unlock(&p->lock);
    return ret;
}

/* ---- aggregation ---- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdULL;
}

static int grow_slots(struct profile *p)
{
    size_t capacity = p->slots_capacity ? p->slots_capacity * 2 : 4096;
    uint32_t *slots = calloc(capacity, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < p->n_stacks; i++) {
        size_t k = p->stacks[i].hash & (capacity - 1);
        while (slots[k])
            k = (k + 1) & (capacity - 1);
        slots[k] = (uint32_t)i + 1;
    }
    free(p->slots);
    p->slots = slots;
    p->slots_capacity = capacity;
    return 0;
}

static bool stack_equal(const struct profile *p, const struct stack *s, uint64_t hash,
                        enum stack_kind kind, pid_t tgid, const struct frames *f)
{
    return s->hash == hash && s->kind == kind && s->tgid == tgid && s->n_kernel == f->n_kernel &&
           s->n_user == f->n_user &&
           memcmp(&p->frames[s->first], f->addr, (f->n_kernel + f->n_user) * sizeof(uint64_t)) == 0;
}

/* Adds count and ns to the stack (kind, tgid, f). */
static void aggregate(struct profile *p, enum stack_kind kind, pid_t tgid, const struct frames *f,
                      uint64_t ns)
{
    unsigned n = f->n_kernel + f->n_user;
    uint64_t h = mix(mix(mix(0, kind), (uint64_t)tgid), (uint64_t)f->n_kernel << 32 | f->n_user);
    for (unsigned i = 0; i < n; i++)
        h = mix(h, f->addr[i]);
    if (p->slots_capacity) {
        size_t mask = p->slots_capacity - 1;
        for (size_t k = h & mask; p->slots[k]; k = (k + 1) & mask) {
            struct stack *s = &p->stacks[p->slots[k] - 1];
            if (stack_equal(p, s, h, kind, tgid, f)) {
                s->count++;
                s->ns += ns;
                return;
            }
        }
    }
    if (p->n_stacks == MAX_STACKS || p->n_frames + n > MAX_FRAME_WORDS)
        goto drop;
    if (2 * (p->n_stacks + 1) > p->slots_capacity && grow_slots(p) < 0)
        goto drop;
    if (p->n_stacks == p->stacks_capacity) {
        size_t capacity = p->stacks_capacity ? p->stacks_capacity * 2 : 1024;
        struct stack *s = realloc(p->stacks, capacity * sizeof(*s));
        if (!s)
            goto drop;
        p->stacks = s;
        p->stacks_capacity = capacity;
    }
    if (p->n_frames + n > p->frames_capacity) {
        size_t capacity = p->frames_capacity ? p->frames_capacity : 16384;
        while (capacity < p->n_frames + n)
            capacity *= 2;
        uint64_t *fr = realloc(p->frames, capacity * sizeof(*fr));
        if (!fr)
            goto drop;
        p->frames = fr;
        p->frames_capacity = capacity;
    }
    memcpy(&p->frames[p->n_frames], f->addr, n * sizeof(uint64_t));
    p->stacks[p->n_stacks] = (struct stack){
        .hash = h,
        .first = (uint32_t)p->n_frames,
        .n_kernel = (uint16_t)f->n_kernel,
        .n_user = (uint16_t)f->n_user,
        .tgid = tgid,
        .kind = kind,
        .count = 1,
        .ns = ns,
    };
    p->n_frames += n;
    size_t mask = p->slots_capacity - 1;
    size_t k = h & mask;
    while (p->slots[k])
        k = (k + 1) & mask;
    p->slots[k] = (uint32_t)++p->n_stacks;
    return;
drop:
    p->stats.dropped++;
}

/* ---- draining ---- */

static uint64_t load_u64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* Splits a sample's call chain into kernel and user frames; false if malformed. */
static bool parse_callchain(struct profile *p, const unsigned char *rec, size_t size,
                            struct frames *f)
{
    uint64_t nr = load_u64(rec + 32);
    if (nr > (size - SAMPLE_FIXED_BYTES) / 8)
        return false;
    uint64_t context = PERF_CONTEXT_KERNEL;
    unsigned frames = 0;
    f->n_kernel = f->n_user = 0;
    for (uint64_t i = 0; i < nr; i++) {
        uint64_t ip = load_u64(rec + SAMPLE_FIXED_BYTES + 8 * i);
        if (ip >= (uint64_t)PERF_CONTEXT_MAX) {
            context = ip;
            continue;
        }
        frames++;
        if (f->n_kernel + f->n_user == PROFILE_MAX_FRAMES)
            continue;
        if (context == PERF_CONTEXT_KERNEL && f->n_user == 0)
            f->addr[f->n_kernel++] = ip;
        else if (context == PERF_CONTEXT_USER)
            f->addr[f->n_kernel + f->n_user++] = ip;
    }
    if (frames >= p->max_stack)
        p->stats.truncated++;
    return true;
}

static void on_sample(struct profile *p, struct thread *t, const struct perf_event_header *h,
                      const unsigned char *rec)
{
    if (h->size < SAMPLE_FIXED_BYTES) {
        p->stats.dropped++;
        return;
    }
    uint64_t id = load_u64(rec + 8);
    uint64_t time_ns = load_u64(rec + 24);
    struct frames *f = id == t->id_switch && t->fd_switch >= 0 ? &t->pending_frames : NULL;
    struct frames local;
    if (!parse_callchain(p, rec, h->size, f ? f : &local)) {
        p->stats.dropped++;
        t->pending = false;
        return;
    }
    if (f) {
        t->pending = true;
        t->pending_preempted = false;
        t->pending_ns = time_ns;
        return;
    }
    if (id != t->id_clock) {
        p->stats.dropped++;
        return;
    }
    t->pending = false; /* it ran: a switch-in was lost */
    bool kernel = (h->misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL;
    p->stats.samples++;
    if (kernel)
        p->stats.kernel_samples++;
    else
        p->stats.user_samples++;
    aggregate(p, kernel ? KIND_KERNEL : KIND_USER, t->tgid, &local, 0);
}

static void on_switch(struct profile *p, struct thread *t, const struct perf_event_header *h,
                      const unsigned char *rec)
{
    if (!t->pending)
        return; /* switched out before the profile was enabled, or records were lost */
    if (h->misc & PERF_RECORD_MISC_SWITCH_OUT) {
        t->pending_preempted = (h->misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT) != 0;
        return;
    }
    /* sample_id: pid and tid, then time. */
    if (h->size < sizeof(*h) + 16)
        return;
    uint64_t in_ns = load_u64(rec + sizeof(*h) + 8);
    uint64_t ns = in_ns > t->pending_ns ? in_ns - t->pending_ns : 0;
    aggregate(p, t->pending_preempted ? KIND_PREEMPTED : KIND_BLOCKED, t->tgid, &t->pending_frames,
              ns);
    if (t->pending_preempted)
        p->stats.preempted_ns += ns;
    else
        p->stats.offcpu_ns += ns;
    p->stats.switches++;
    t->pending = false;
}

static void on_record(struct profile *p, struct thread *t, const struct perf_event_header *h,
                      const unsigned char *rec)
{
    switch (h->type) {
    case PERF_RECORD_SAMPLE:
        on_sample(p, t, h, rec);
        break;
    case PERF_RECORD_SWITCH:
        on_switch(p, t, h, rec);
        break;
    case PERF_RECORD_LOST:
        if (h->size >= sizeof(*h) + 16)
            p->stats.lost += load_u64(rec + sizeof(*h) + 8);
        t->pending = false;
        break;
    case PERF_RECORD_THROTTLE:
        p->stats.throttled++;
        break;
    default:
        break;
    }
}

/* Reads every complete record of t's ring buffer. Only one thread drains at a time: the
 * reader while enabled, the disabling thread after it stopped the reader. */
static void drain(struct profile *p, struct thread *t)
{
    struct perf_event_mmap_page *pc = t->ring;
    const unsigned char *data = (const unsigned char *)pc + p->page_bytes;
    uint64_t head = __atomic_load_n(&pc->data_head, __ATOMIC_ACQUIRE);
    uint64_t tail = pc->data_tail;
    size_t mask = p->data_bytes - 1;
    while (head - tail >= sizeof(struct perf_event_header)) {
        struct perf_event_header h;
        size_t at = (size_t)(tail & mask);
        memcpy(&h, data + at, sizeof(h)); /* records are 8-byte aligned: never split */
        if (h.size < sizeof(h) || h.size > head - tail) {
            p->stats.dropped++; /* cannot happen with a sane kernel: resynchronise */
            tail = head;
            break;
        }
        const unsigned char *rec = data + at;
        if (at + h.size > p->data_bytes) {
            size_t first = p->data_bytes - at;
            memcpy(p->scratch, data + at, first);
            memcpy(p->scratch + first, data, h.size - first);
            rec = p->scratch;
        }
        on_record(p, t, &h, rec);
        tail += h.size;
    }
    __atomic_store_n(&pc->data_tail, tail, __ATOMIC_RELEASE);
}

static void *reader_main(void *arg)
{
    struct profile *p = arg;
    pthread_setname_np(pthread_self(), "profile-reader"); /* for top and ps */
    while (!atomic_load(&p->reader_stop)) {
        unsigned n = atomic_load_explicit(&p->n_threads, memory_order_acquire);
        unsigned k = 0;
        p->pollfds[0] = (struct pollfd){.fd = p->wake_fd, .events = POLLIN};
        for (unsigned i = 0; i < n; i++) {
            if (p->threads[i]->hup)
                continue;
            p->pollfds[k + 1] = (struct pollfd){.fd = p->threads[i]->fd_clock, .events = POLLIN};
            p->poll_thread[k++] = i;
        }
        poll(p->pollfds, k + 1, READER_TIMEOUT_MS);
        for (unsigned i = 0; i < n; i++)
            drain(p, p->threads[i]);
        for (unsigned j = 0; j < k; j++)
            if (p->pollfds[j + 1].revents & (POLLHUP | POLLERR))
                p->threads[p->poll_thread[j]]->hup = true; /* drained above, for good */
    }
    return NULL;
}

void profile_enable(struct profile *p)
{
    pthread_mutex_lock(&p->lock);
    if (!p->enabled && !p->finished) {
        atomic_store(&p->reader_stop, false);
        int e = pthread_create(&p->reader, NULL, reader_main, p);
        p->reader_running = e == 0;
        if (e != 0)
            log_warn("profile: reader thread: %s: buffers are drained only at the end, "
                     "records beyond their size are lost (and counted)",
                     strerror(e));
        unsigned n = atomic_load_explicit(&p->n_threads, memory_order_relaxed);
        for (unsigned i = 0; i < n; i++)
            thread_ioctl(p->threads[i], PERF_EVENT_IOC_ENABLE);
        p->enabled = true;
    }
    pthread_mutex_unlock(&p->lock);
}

void profile_disable(struct profile *p)
{
    pthread_mutex_lock(&p->lock);
    if (p->enabled) {
        unsigned n = atomic_load_explicit(&p->n_threads, memory_order_relaxed);
        for (unsigned i = 0; i < n; i++)
            thread_ioctl(p->threads[i], PERF_EVENT_IOC_DISABLE);
        p->disabled_ns = now_ns();
        p->enabled = false;
        if (p->reader_running) {
            atomic_store(&p->reader_stop, true);
            uint64_t one = 1;
            if (write(p->wake_fd, &one, sizeof(one)) < 0)
                log_debug("profile: waking the reader: %s", strerror(errno));
            pthread_join(p->reader, NULL);
            p->reader_running = false;
            uint64_t count;
            if (read(p->wake_fd, &count, sizeof(count)) < 0)
                log_debug("profile: eventfd: %s", strerror(errno));
        }
        for (unsigned i = 0; i < n; i++) {
            struct thread *t = p->threads[i];
            drain(p, t);
            if (t->pending) { /* still off the CPU: charge the time until now */
                struct perf_event_header h = {.type = PERF_RECORD_SWITCH, .size = 32};
                unsigned char rec[32] = {0};
                memcpy(rec + sizeof(h) + 8, &p->disabled_ns, sizeof(p->disabled_ns));
                on_switch(p, t, &h, rec);
            }
        }
    }
    pthread_mutex_unlock(&p->lock);
}

/* ---- symbols and results ---- */

/* Frames of the scheduler and of perf itself, above the place a thread waits at. */
static bool scheduler_frame(const char *name)
{
    static const char *const prefixes[] = {
        "__schedule", "schedule", "preempt_schedule",   "io_schedule", "__cond_resched",
        "__perf_",    "perf_",    "finish_task_switch",
    };
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

static void symbolise(struct profile *p)
{
    symbols_load_kernel(p->syms); /* logs why kernel frames stay unknown */
    for (unsigned i = 0; i < p->n_tgids; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d", (int)p->tgids[i]);
        if (access(path, F_OK) == 0)
            symbols_add_process(p->syms, p->tgids[i]); /* mappings made since attach */
    }
    const char *unknown = symbols_intern(p->syms, SYMBOLS_UNKNOWN);
    for (size_t i = 0; i < p->n_stacks; i++) {
        struct stack *s = &p->stacks[i];
        const uint64_t *addr = &p->frames[s->first];
        const char **names = &p->names[s->first];
        bool oncpu = s->kind == KIND_KERNEL || s->kind == KIND_USER;
        uint64_t unknown_frames = 0;
        /* Callers are return addresses: look up the call instruction before them. */
        for (unsigned k = 0; k < s->n_kernel; k++) {
            uint64_t a = addr[k] - (oncpu && k == 0 ? 0 : 1);
            names[k] = symbols_kernel(p->syms, a);
            if (!names[k]) {
                names[k] = unknown;
                unknown_frames++;
            }
        }
        unsigned kept = 0;
        for (unsigned k = 0; k < s->n_user; k++) {
            bool leaf = oncpu && s->n_kernel == 0 && k == 0;
            bool known;
            const char *name =
                symbols_user(p->syms, s->tgid, addr[s->n_kernel + k] - (leaf ? 0 : 1), &known);
            if (!name && k > 0)
                break; /* not a return address: a frame without a frame pointer */
            names[s->n_kernel + k] = name ? name : unknown;
            unknown_frames += !known;
            kept++;
        }
        s->n_user = (uint16_t)kept;
        p->stats.frames += s->count * (s->n_kernel + s->n_user);
        p->stats.unknown_frames += s->count * unknown_frames;
    }
}

static int symbol_by_name(const void *a, const void *b)
{
    const struct profile_symbol *x = a, *y = b;
    return x->name < y->name ? -1 : x->name > y->name;
}

static int symbol_by_count(const void *a, const void *b)
{
    const struct profile_symbol *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The symbol a stack is charged to in space, or NULL if it belongs to another. */
static const char *self_symbol(const struct profile *p, const struct stack *s,
                               enum profile_space space, const char *unknown)
{
    const char **names = &p->names[s->first];
    switch (space) {
    case PROFILE_KERNEL:
        return s->kind != KIND_KERNEL ? NULL : s->n_kernel ? names[0] : unknown;
    case PROFILE_USER:
        return s->kind != KIND_USER ? NULL : s->n_user ? names[s->n_kernel] : unknown;
    case PROFILE_OFFCPU:
    default:
        if (s->kind != KIND_BLOCKED)
            return NULL;
        for (unsigned k = 0; k < s->n_kernel; k++)
            if (!scheduler_frame(names[k]))
                return names[k];
        return s->n_user ? names[s->n_kernel] : unknown;
    }
}

static int build_top(struct profile *p, enum profile_space space)
{
    const char *unknown = symbols_intern(p->syms, SYMBOLS_UNKNOWN);
    struct profile_symbol *all = malloc((p->n_stacks ? p->n_stacks : 1) * sizeof(*all));
    if (!all)
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < p->n_stacks; i++) {
        const struct stack *s = &p->stacks[i];
        const char *name = self_symbol(p, s, space, unknown);
        if (name)
            all[n++] = (struct profile_symbol){name, space == PROFILE_OFFCPU ? s->ns : s->count, 0};
    }
    qsort(all, n, sizeof(*all), symbol_by_name);
    size_t merged = 0;
    for (size_t i = 0; i < n; i++) {
        if (merged > 0 && all[merged - 1].name == all[i].name)
            all[merged - 1].count += all[i].count;
        else
            all[merged++] = all[i];
    }
    qsort(all, merged, sizeof(*all), symbol_by_count);
    uint64_t total = space == PROFILE_OFFCPU ? p->stats.offcpu_ns : p->stats.samples;
    for (size_t i = 0; i < merged; i++)
        all[i].share = total ? (double)all[i].count / (double)total : 0;
    p->top[space] = all;
    p->n_top[space] = merged;
    return 0;
}

static int folded_by_text(const void *a, const void *b)
{
    const struct folded_line *x = a, *y = b;
    return strcmp(x->text, y->text);
}

/* The folded line of stack s, root first: malloc'd, or NULL. */
static char *folded_text(const struct profile *p, const struct stack *s)
{
    const char **names = &p->names[s->first];
    const char *prefix = s->kind == KIND_BLOCKED     ? "[off-cpu]"
                         : s->kind == KIND_PREEMPTED ? "[preempted]"
                                                     : NULL;
    size_t len = prefix ? strlen(prefix) + 1 : 0;
    unsigned n = s->n_kernel + s->n_user;
    for (unsigned k = 0; k < n; k++)
        len += strlen(names[k]) + 1;
    char *text = malloc(len + sizeof(SYMBOLS_UNKNOWN));
    if (!text)
        return NULL;
    char *at = text;
    if (prefix)
        at = stpcpy(stpcpy(at, prefix), ";");
    for (unsigned k = s->n_user; k-- > 0;)
        at = stpcpy(stpcpy(at, names[s->n_kernel + k]), ";");
    for (unsigned k = s->n_kernel; k-- > 0;)
        at = stpcpy(stpcpy(at, names[k]), ";");
    if (n == 0)
        strcpy(at, SYMBOLS_UNKNOWN);
    else
        at[-1] = '\0';
    return text;
}

static int build_folded(struct profile *p)
{
    p->folded = calloc(p->n_stacks ? p->n_stacks : 1, sizeof(*p->folded));
    if (!p->folded)
        return -ENOMEM;
    for (size_t i = 0; i < p->n_stacks; i++) {
        const struct stack *s = &p->stacks[i];
        char *text = folded_text(p, s);
        if (!text)
            return -ENOMEM;
        bool off = s->kind == KIND_BLOCKED || s->kind == KIND_PREEMPTED;
        p->folded[p->n_folded++] = (struct folded_line){text, off ? 0 : s->count, s->ns, off};
    }
    qsort(p->folded, p->n_folded, sizeof(*p->folded), folded_by_text);
    size_t merged = 0; /* distinct address stacks can name the same functions */
    for (size_t i = 0; i < p->n_folded; i++) {
        struct folded_line *l = &p->folded[i];
        if (merged > 0 && strcmp(p->folded[merged - 1].text, l->text) == 0) {
            p->folded[merged - 1].samples += l->samples;
            p->folded[merged - 1].ns += l->ns;
            free(l->text);
        } else {
            p->folded[merged++] = *l;
        }
    }
    p->n_folded = merged;
    return 0;
}

int profile_finish(struct profile *p)
{
    profile_disable(p);
    pthread_mutex_lock(&p->lock);
    int ret = 0;
    if (p->finished)
        goto out;
    p->finished = true;
    unsigned n = atomic_load_explicit(&p->n_threads, memory_order_relaxed);
    for (unsigned i = 0; i < n; i++)
        close_thread(p, p->threads[i]);
    free(p->slots);
    p->slots = NULL;
    p->slots_capacity = 0;
    p->stats.stacks = p->n_stacks;
    if (!(p->names = calloc(p->n_frames ? p->n_frames : 1, sizeof(*p->names)))) {
        ret = -ENOMEM;
        goto out;
    }
    symbolise(p);
    for (int space = PROFILE_KERNEL; space <= PROFILE_OFFCPU && ret == 0; space++)
        ret = build_top(p, (enum profile_space)space);
    if (ret == 0)
        ret = build_folded(p);
out:
    if (ret < 0)
        log_error("profile: resolving symbols: %s", strerror(-ret));
    pthread_mutex_unlock(&p->lock);
    return ret;
}

size_t profile_top(const struct profile *p, enum profile_space space, struct profile_symbol *out,
                   size_t max)
{
    size_t n = p->n_top[space] < max ? p->n_top[space] : max;
    if (n)
        memcpy(out, p->top[space], n * sizeof(*out));
    return n;
}

int profile_write_folded(const struct profile *p, FILE *f)
{
    for (size_t i = 0; i < p->n_folded; i++) {
        const struct folded_line *l = &p->folded[i];
        uint64_t count = l->offcpu ? (l->ns + p->period_ns / 2) / p->period_ns : l->samples;
        if (count > 0 && fprintf(f, "%s %llu\n", l->text, (unsigned long long)count) < 0)
            return -EIO;
    }
    return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}

void profile_get_stats(const struct profile *p, struct profile_stats *out)
{
    *out = p->stats;
}

void profile_free(struct profile *p)
{
    if (!p)
        return;
    profile_disable(p);
    unsigned n = atomic_load_explicit(&p->n_threads, memory_order_relaxed);
    for (unsigned i = 0; i < n; i++) {
        close_thread(p, p->threads[i]);
        free(p->threads[i]);
    }
    for (size_t i = 0; i < p->n_folded; i++)
        free(p->folded[i].text);
    free(p->folded);
    for (int space = 0; space < 3; space++)
        free(p->top[space]);
    free(p->names);
    free(p->stacks);
    free(p->slots);
    free(p->frames);
    symbols_free(p->syms);
    free(p->scratch);
    free(p->pollfds);
    free(p->poll_thread);
    if (p->wake_fd >= 0)
        close(p->wake_fd);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
