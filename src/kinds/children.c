#include "children.h"

#include "errmsg.h"
#include "kinds.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS       10000000ULL  /* parent: how often stop requests and exits are checked */
#define CHILD_POLL_NS 100000000ULL /* child: how often a gate or barrier wait re-checks stop */
#define SLOT_ALIGN    64

/* At the start of the shared region. Counters are futex words (plain uint32_t used with
 * __atomic builtins, so their address can be passed to futex(2)). */
struct shared_header {
    uint32_t at_gate;  /* children waiting at the gate */
    uint32_t gate;     /* 1: open */
    uint32_t arrived;  /* children at the barrier */
    uint32_t release;  /* 1: the barrier is open */
    uint32_t finished; /* children whose body returned */
    uint32_t stop;     /* 1: the parent is stopping the group */
};

/* One per child, after the header; its slot and the common area follow. */
struct shared_child {
    int32_t ret;                  /* the body's return value */
    char err[CHILDREN_ERR_BYTES]; /* the body's message */
};

struct children {
    unsigned count;       /* children */
    size_t slot_bytes;    /* of each child's report slot */
    size_t stride_bytes;  /* per child: struct shared_child + slot, aligned */
    size_t common_offset; /* of the common area in the shared region */
    size_t shared_bytes;  /* of the shared region */
    char *shared;         /* the MAP_SHARED anonymous region */
    pid_t *pids;          /* 0 for a child not forked */
    int *statuses;        /* wait status; -1 until reaped */
};

static size_t align_up(size_t n, size_t a)
{
    return (n + a - 1) / a * a;
}

static struct shared_header *header(const struct children *g)
{
    return (struct shared_header *)g->shared;
}

static struct shared_child *shared_child(const struct children *g, unsigned i)
{
    return (struct shared_child *)(g->shared + align_up(sizeof(struct shared_header), SLOT_ALIGN) +
                                   g->stride_bytes * i);
}

static void *slot_of(const struct children *g, unsigned i)
{
    return (char *)shared_child(g, i) + align_up(sizeof(struct shared_child), SLOT_ALIGN);
}

static uint32_t load(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void bump(uint32_t *p)
{
    __atomic_add_fetch(p, 1, __ATOMIC_RELEASE);
    kinds_futex_wake(p);
}

static void set_and_wake(uint32_t *p)
{
    __atomic_store_n(p, 1, __ATOMIC_RELEASE);
    kinds_futex_wake(p);
}

static void reap(struct children *g, unsigned i, int options)
{
    if (!g->pids[i] || g->statuses[i] != -1)
        return;
    int status;
    pid_t r;
    do
        r = waitpid(g->pids[i], &status, options);
    while (r < 0 && errno == EINTR);
    if (r == g->pids[i])
        g->statuses[i] = status;
    else if (r < 0)
        g->statuses[i] = 0; /* not our child any more (ECHILD): nothing to reap */
}

static void kill_all(struct children *g)
{
    set_and_wake(&header(g)->stop);
    for (unsigned i = 0; i < g->count; i++)
        if (g->pids[i] && g->statuses[i] == -1)
            kill(g->pids[i], SIGKILL);
    for (unsigned i = 0; i < g->count; i++)
        reap(g, i, 0);
}

/* The message for child i's end: its own message when its body failed. */
static int describe_exit(const struct children *g, unsigned i, char *err, size_t err_len)
{
    int st = g->statuses[i];
    const struct shared_child *c = shared_child(g, i);
    if (WIFSIGNALED(st))
        return errmsg_set(err, err_len, -ECHILD, "child %u (pid %d) killed by signal %d (%s)", i,
                          (int)g->pids[i], WTERMSIG(st), strsignal(WTERMSIG(st)));
    if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
        return errmsg_set(err, err_len, c->ret < 0 ? c->ret : -EPROTO, "child %u (pid %d): %s", i,
                          (int)g->pids[i], c->err[0] ? c->err : "failed without a message");
    return errmsg_set(err, err_len, -EPROTO, "child %u (pid %d) exited before it was expected to",
                      i, (int)g->pids[i]);
}

static bool is_failure(int status, bool signals_expected)
{
    if (WIFSIGNALED(status))
        return !signals_expected;
    return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

/* Reaps children that have exited. Returns the index of one whose exit is a failure
 * (any exit at all when any_exit_fails), or -1. */
static int poll_exits(struct children *g, bool any_exit_fails, bool signals_expected)
{
    for (unsigned i = 0; i < g->count; i++) {
        if (g->statuses[i] != -1)
            continue;
        reap(g, i, WNOHANG);
        if (g->statuses[i] != -1 &&
            (any_exit_fails || is_failure(g->statuses[i], signals_expected)))
            return (int)i;
    }
    return -1;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Waits until *word reaches target; what_for names the wait in messages. */
static int wait_count(struct children *g, uint32_t *word, uint32_t target, const char *what_for,
                      uint64_t timeout_ns, char *err, size_t err_len)
{
    uint64_t deadline = timeout_ns ? now_ns() + timeout_ns : 0;
    for (;;) {
        uint32_t v = load(word);
        if (v >= target)
            return 0;
        int ret = 0;
        if (kinds_stop_requested()) {
            ret = errmsg_set(err, err_len, -EINTR, "interrupted while waiting for %s", what_for);
        } else {
            int failed = poll_exits(g, true, false);
            if (failed >= 0)
                ret = describe_exit(g, (unsigned)failed, err, err_len);
            else if (deadline && now_ns() >= deadline)
                ret = errmsg_set(err, err_len, -ETIMEDOUT, "%u of %u children %s after %.1f s", v,
                                 target, what_for, (double)timeout_ns / 1e9);
        }
        if (ret < 0) {
            kill_all(g);
            return ret;
        }
        kinds_futex_wait(word, v, POLL_NS);
    }
}

/* Child side: waits until *word is non-zero or the parent stops the group. */
static int child_wait_flag(const struct children *g, uint32_t *word)
{
    while (!load(word)) {
        if (load(&header(g)->stop))
            return -EINTR;
        kinds_futex_wait(word, 0, CHILD_POLL_NS);
    }
    return 0;
}

static void child_signals(void)
{
    static const int defaults[] = {SIGTERM, SIGBUS, SIGSEGV, SIGALRM, SIGCHLD, SIGPIPE};
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        sigaction(defaults[i], &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static _Noreturn void child_main(struct children *g, unsigned i, pid_t parent, children_body body,
                                 void *arg)
{
    /* Dies with the parent; if the parent died before prctl, getppid() tells. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(1);
    child_signals();
    struct shared_child *c = shared_child(g, i);
    struct children_member m = {
        .index = i,
        .count = g->count,
        .slot = slot_of(g, i),
        .common = g->common_offset ? g->shared + g->common_offset : NULL,
        .err = c->err,
        .group = g,
    };
    int ret = body(&m, arg);
    c->ret = ret;
    bump(&header(g)->finished);
    _exit(ret == 0 ? 0 : 1);
}

int children_start(struct children **out, unsigned count, size_t slot_bytes, size_t common_bytes,
                   children_body body, void *arg, char *err, size_t err_len)
{
    *out = NULL;
    if (count == 0)
        return errmsg_set(err, err_len, -EINVAL, "a group of child processes needs one at least");
    struct children *g = calloc(1, sizeof(*g));
    if (!g)
        return errmsg_errno(err, err_len, -ENOMEM, "child process group");
    g->count = count;
    g->slot_bytes = slot_bytes;
    g->stride_bytes =
        align_up(align_up(sizeof(struct shared_child), SLOT_ALIGN) + slot_bytes, SLOT_ALIGN);
    size_t children_offset = align_up(sizeof(struct shared_header), SLOT_ALIGN);
    g->common_offset = common_bytes ? children_offset + g->stride_bytes * count : 0;
    g->shared_bytes =
        children_offset + g->stride_bytes * count + align_up(common_bytes, SLOT_ALIGN);
    g->pids = calloc(count, sizeof(*g->pids));
    g->statuses = malloc(count * sizeof(*g->statuses));
    if (!g->pids || !g->statuses) {
        children_free(g);
        return errmsg_errno(err, err_len, -ENOMEM, "child process table (%u children)", count);
    }
    for (unsigned i = 0; i < count; i++)
        g->statuses[i] = -1;
    g->shared =
        mmap(NULL, g->shared_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g->shared == MAP_FAILED) {
        g->shared = NULL;
        int ret = errmsg_errno(err, err_len, -errno, "mmap of %zu shared bytes for %u children",
                               g->shared_bytes, count);
        children_free(g);
        return ret;
    }
    pid_t parent = getpid();
    for (unsigned i = 0; i < count; i++) {
        pid_t pid = fork();
        if (pid == 0)
            child_main(g, i, parent, body, arg);
        if (pid < 0) {
            int ret = errmsg_errno(err, err_len, -errno, "fork of child %u of %u", i, count);
            children_free(g);
            return ret;
        }
        g->pids[i] = pid;
    }
    *out = g;
    return 0;
}

int children_wait_gate(struct children_member *m)
{
    struct children *g = m->group;
    bump(&header(g)->at_gate);
    return child_wait_flag(g, &header(g)->gate);
}

int children_arrive(struct children_member *m)
{
    struct children *g = m->group;
    bump(&header(g)->arrived);
    return child_wait_flag(g, &header(g)->release);
}

int children_open_gate(struct children *g, uint64_t timeout_ns, char *err, size_t err_len)
{
    int ret = wait_count(g, &header(g)->at_gate, g->count, "waiting at the gate", timeout_ns, err,
                         err_len);
    if (ret == 0)
        set_and_wake(&header(g)->gate);
    return ret;
}

int children_wait_arrived(struct children *g, uint64_t timeout_ns, char *err, size_t err_len)
{
    return wait_count(g, &header(g)->arrived, g->count, "at the barrier", timeout_ns, err, err_len);
}

void children_release(struct children *g)
{
    set_and_wake(&header(g)->release);
}

int children_finish(struct children *g, bool signals_expected, uint64_t timeout_ns, char *err,
                    size_t err_len)
{
    uint64_t deadline = timeout_ns ? now_ns() + timeout_ns : 0;
    for (;;) {
        int ret = 0;
        uint32_t finished = load(&header(g)->finished);
        int failed = poll_exits(g, false, signals_expected);
        if (failed >= 0)
            ret = describe_exit(g, (unsigned)failed, err, err_len);
        else if (kinds_stop_requested())
            ret = errmsg_set(err, err_len, -EINTR, "interrupted while waiting for %u children",
                             g->count);
        else if (deadline && now_ns() >= deadline)
            ret =
                errmsg_set(err, err_len, -ETIMEDOUT, "children still running after %.1f s: killed",
                           (double)timeout_ns / 1e9);
        if (ret < 0) {
            kill_all(g);
            return ret;
        }
        unsigned reaped = 0;
        for (unsigned i = 0; i < g->count; i++)
            reaped += g->statuses[i] != -1;
        if (reaped == g->count)
            return 0;
        kinds_futex_wait(&header(g)->finished, finished, POLL_NS);
    }
}

int children_wait_status(const struct children *g, unsigned index)
{
    return g->statuses[index];
}

pid_t children_pid(const struct children *g, unsigned index)
{
    return g->pids[index];
}

void *children_slot(const struct children *g, unsigned index)
{
    return g->slot_bytes ? slot_of(g, index) : NULL;
}

void *children_common(const struct children *g)
{
    return g->common_offset ? g->shared + g->common_offset : NULL;
}

void children_free(struct children *g)
{
    if (!g)
        return;
    if (g->shared && g->pids && g->statuses)
        kill_all(g);
    if (g->shared)
        munmap(g->shared, g->shared_bytes);
    free(g->pids);
    free(g->statuses);
    free(g);
}

int children_reopen(int fd, int flags, int *out, char *err, size_t err_len)
{
    struct stat before, after;
    if (fstat(fd, &before) < 0)
        return errmsg_errno(err, err_len, -errno, "fstat(descriptor %d) before reopening it", fd);
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    int nfd = open(path, flags | O_CLOEXEC);
    if (nfd < 0)
        return errmsg_errno(err, err_len, -errno, "reopen %s", path);
    if (fstat(nfd, &after) < 0) {
        int ret = errmsg_errno(err, err_len, -errno, "fstat(%s reopened)", path);
        close(nfd);
        return ret;
    }
    if (after.st_dev != before.st_dev || after.st_ino != before.st_ino) {
        close(nfd);
        return errmsg_set(err, err_len, -ESTALE, "reopening %s gave another file", path);
    }
    *out = nfd;
    return 0;
}
