/* The measurement kinds on small real files in /var/tmp (filled with mmbench's pattern,
 * fsync'd, unlinked at once so nothing is left behind): the kernel's accounting helpers,
 * child-process groups (failures, deaths, timeouts, all reaped), the physics each engine
 * must show where it is robust (mapped PSS shrinks with N while buffers' does not, COW
 * first writes fault and repeats do not, IPC messages arrive intact, and a message
 * scribbled over is caught), every claim's verdict on this kernel, bad configurations,
 * and interruption, also by the parent's death: after every call no child process
 * survives. */
#include "cachestat.h"
#include "children.h"

#include "claims.h"
#include "cow.h"
#include "errmsg.h"
#include "folios.h"
#include "footprint.h"
#include "ipc.h"
#include "kind.h"
#include "kinds.h"
#include "pattern.h"
#include "procmem.h"
#include "timer.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define MIB         (1ULL << 20)
#define FILE_BYTES  (8 * MIB)
#define SCRATCH_DIR "/var/tmp"

static int data_fd = -1;
static uint64_t page_bytes;

/* An unlinked file of size bytes holding the file pattern, fsync'd and cached. */
static int make_data_file(uint64_t size)
{
    char path[] = SCRATCH_DIR "/mmbench-kinds-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    uint64_t *buf = malloc(MIB);
    assert_non_null(buf);
    for (uint64_t off = 0; off < size; off += MIB) {
        for (uint64_t w = 0; w < MIB / 8; w++)
            buf[w] = pattern_file_word(off + w * 8);
        assert_int_equal(pwrite(fd, buf, MIB, (off_t)off), (ssize_t)MIB);
    }
    assert_int_equal(fsync(fd), 0);
    for (uint64_t off = 0; off < size; off += MIB)
        assert_int_equal(pread(fd, buf, MIB, (off_t)off), (ssize_t)MIB);
    free(buf);
    return fd;
}

/* Words of [0, size) of fd that are not the file pattern. */
static uint64_t words_not_pattern(int fd, uint64_t size)
{
    uint64_t *buf = malloc(MIB), odd = 0;
    assert_non_null(buf);
    for (uint64_t off = 0; off < size; off += MIB) {
        assert_int_equal(pread(fd, buf, MIB, (off_t)off), (ssize_t)MIB);
        for (uint64_t w = 0; w < MIB / 8; w++)
            odd += buf[w] != pattern_file_word(off + w * 8);
    }
    free(buf);
    return odd;
}

/* Writes the file pattern over [offset, offset + bytes) of the data file. */
static void restore_pattern(uint64_t offset, uint64_t bytes)
{
    uint64_t *buf = malloc(bytes);
    assert_non_null(buf);
    for (uint64_t w = 0; w < bytes / 8; w++)
        buf[w] = pattern_file_word(offset + w * 8);
    assert_int_equal(pwrite(data_fd, buf, bytes, (off_t)offset), (ssize_t)bytes);
    free(buf);
}

/* No child process of ours exists, running or zombie. */
static void assert_no_children(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static int setup(void **state)
{
    (void)state;
    page_bytes = kinds_page_bytes();
    data_fd = make_data_file(FILE_BYTES);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    close(data_fd);
    return 0;
}

/* ---- procmem ---------------------------------------------------------------------- */

static void test_procmem_vma(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        int flags; /* mmap flags; anonymous when fd_based is false */
        bool fd_based;
        bool write;     /* touch by writing, else by reading */
        bool anonymous; /* expect Anonymous = size */
        bool private_dirty;
    } cases[] = {
        {"anonymous, written", MAP_PRIVATE | MAP_ANONYMOUS, false, true, true, true},
        {"file MAP_SHARED, read", MAP_SHARED, true, false, false, false},
        {"file MAP_PRIVATE, read", MAP_PRIVATE, true, false, false, false},
        {"file MAP_PRIVATE, written", MAP_PRIVATE, true, true, true, true},
    };
    const uint64_t size = 2 * MIB;
    char err[KINDS_ERR_BYTES];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, cases[i].flags,
                       cases[i].fd_based ? data_fd : -1, 0);
        assert_true(p != MAP_FAILED);
        for (uint64_t off = 0; off < size; off += page_bytes) {
            if (cases[i].write)
                p[off] = 1;
            else
                (void)*(volatile char *)(p + off);
        }
        struct procmem_usage u;
        assert_int_equal(procmem_vma(0, (uintptr_t)p + page_bytes, &u, err, sizeof(err)), 0);
        if (u.size_bytes != size || u.rss_bytes != size)
            fail_msg("%s: size %llu rss %llu, expected %llu", cases[i].what,
                     (unsigned long long)u.size_bytes, (unsigned long long)u.rss_bytes,
                     (unsigned long long)size);
        assert_int_equal(u.anonymous_bytes, cases[i].anonymous ? size : 0);
        assert_int_equal(u.private_dirty_bytes, cases[i].private_dirty ? size : 0);
        assert_int_equal(u.pss_bytes, size); /* no one else maps it */
        munmap(p, size);
        assert_int_equal(procmem_vma(0, (uintptr_t)p, &u, err, sizeof(err)), -ENOENT);
        assert_non_null(strstr(err, "no mapping contains"));
    }
}

static void test_procmem_machine(void **state)
{
    (void)state;
    char err[KINDS_ERR_BYTES];
    struct procmem_usage whole;
    assert_int_equal(procmem_rollup(0, &whole, err, sizeof(err)), 0);
    assert_true(whole.rss_bytes > 0 && whole.pss_bytes > 0 && whole.pss_bytes <= whole.rss_bytes);
    uint64_t pte;
    assert_int_equal(procmem_pte_bytes(0, &pte, err, sizeof(err)), 0);
    assert_true(pte > 0);
    struct procmem_meminfo m;
    assert_int_equal(procmem_meminfo_read(&m, err, sizeof(err)), 0);
    assert_true(m.mem_total_bytes > m.mem_available_bytes && m.mem_available_bytes > 0);
    uint64_t cached;
    assert_int_equal(procmem_resident_pages(data_fd, 0, FILE_BYTES, &cached, err, sizeof(err)), 0);
    assert_int_equal(cached, FILE_BYTES / page_bytes); /* the file was read after writing */
    assert_int_equal(procmem_resident_pages(data_fd, 1, page_bytes, &cached, err, sizeof(err)),
                     -EINVAL);
    struct folios_census f;
    int fret = folios_census_range(data_fd, 0, FILE_BYTES, &f, err, sizeof(err));
    if (fret == 0) {
        assert_int_equal(f.pages_resident, FILE_BYTES / page_bytes);
        int order = folios_largest_order(&f);
        assert_true(order >= 0 && (page_bytes << order) <= 2 * MIB);
    } else {
        assert_int_equal(fret, -EPERM); /* not root */
        assert_non_null(strstr(err, "kpageflags"));
    }
    assert_int_equal(folios_census_range(data_fd, 1, page_bytes, &f, err, sizeof(err)), -EINVAL);
    struct cachestat_pages cs;
    int ret = cachestat_range(data_fd, 0, FILE_BYTES, &cs);
    if (ret == -ENOSYS)
        return; /* before Linux 6.5 */
    assert_int_equal(ret, 0);
    assert_int_equal(cs.cached_pages, FILE_BYTES / page_bytes);
    assert_int_equal(cs.dirty_pages, 0); /* fsync'd */
    assert_int_equal(procmem_rollup(999999999, &whole, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "/proc/999999999/smaps_rollup"));
}

/* ---- children ----------------------------------------------------------------------- */

enum child_action { ACT_OK, ACT_FAIL, ACT_SIGNAL, ACT_EXIT_EARLY, ACT_HANG, ACT_REOPEN };

struct child_case {
    const char *what;
    enum child_action action; /* of child 1; the others do ACT_OK */
    bool signals_expected;
    uint64_t timeout_ns;
    int ret;             /* of the group */
    const char *message; /* in err */
};

struct reopen_slot {
    int64_t offset_after_seek; /* the child's descriptor's offset after its lseek */
    uint64_t ino;              /* st_ino of the reopened descriptor */
    int32_t flags;             /* its F_GETFL */
};

static int action_body(struct children_member *m, void *arg)
{
    const struct child_case *c = arg;
    enum child_action a = m->index == 1 ? c->action : ACT_OK;
    if (a == ACT_EXIT_EARLY)
        return 0;
    int ret = children_wait_gate(m);
    if (ret < 0)
        return ret;
    switch (a) {
    case ACT_FAIL:
        return errmsg_set(m->err, CHILDREN_ERR_BYTES, -ENOSPC, "child %u ran out of room",
                          m->index);
    case ACT_SIGNAL:
        raise(SIGKILL);
        return 0;
    case ACT_HANG:
        for (;;)
            pause();
    case ACT_REOPEN: {
        struct reopen_slot *s = m->slot;
        int fd;
        ret = children_reopen(data_fd, O_RDONLY, &fd, m->err, CHILDREN_ERR_BYTES);
        if (ret < 0)
            return ret;
        struct stat st;
        fstat(fd, &st);
        s->ino = (uint64_t)st.st_ino;
        s->flags = fcntl(fd, F_GETFL);
        s->offset_after_seek = lseek(fd, 12345, SEEK_SET);
        return 0;
    }
    default:
        return 0;
    }
}

static void test_children_group(void **state)
{
    (void)state;
    static const struct child_case cases[] = {
        {"all succeed", ACT_OK, false, 0, 0, NULL},
        {"one fails", ACT_FAIL, false, 0, -ENOSPC, "child 1 (pid"},
        {"one is killed", ACT_SIGNAL, false, 0, -ECHILD, "killed by signal 9"},
        {"killed, signals expected", ACT_SIGNAL, true, 0, 0, NULL},
        {"one hangs", ACT_HANG, false, 300000000ULL, -ETIMEDOUT, "still running"},
        {"one reopens", ACT_REOPEN, false, 0, 0, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct child_case *c = &cases[i];
        char err[KINDS_ERR_BYTES] = "";
        struct children *g;
        assert_int_equal(children_start(&g, 3, sizeof(struct reopen_slot), 0, action_body,
                                        (void *)c, err, sizeof(err)),
                         0);
        assert_int_equal(children_open_gate(g, 10000000000ULL, err, sizeof(err)), 0);
        int ret = children_finish(g, c->signals_expected, c->timeout_ns, err, sizeof(err));
        if (ret != c->ret)
            fail_msg("%s: returned %d (%s), expected %d", c->what, ret, err, c->ret);
        if (c->message && !strstr(err, c->message))
            fail_msg("%s: message \"%s\" lacks \"%s\"", c->what, err, c->message);
        if (c->action == ACT_REOPEN) {
            const struct reopen_slot *s = children_slot(g, 1);
            struct stat st;
            fstat(data_fd, &st);
            assert_int_equal(s->ino, (uint64_t)st.st_ino);
            assert_int_equal(s->flags & O_ACCMODE, O_RDONLY);
            assert_int_equal(s->offset_after_seek, 12345);
            /* Its own file description: the parent's offset did not move. */
            assert_int_equal(lseek(data_fd, 0, SEEK_CUR), 0);
        }
        children_free(g);
        assert_no_children();
    }

    /* A child that leaves before the gate fails the gate; one that is stopped at the
     * barrier is killed by children_free. */
    static const struct child_case early = {"exits early", ACT_EXIT_EARLY, false, 0, 0, NULL};
    char err[KINDS_ERR_BYTES];
    struct children *g;
    assert_int_equal(children_start(&g, 3, 0, 0, action_body, (void *)&early, err, sizeof(err)), 0);
    assert_int_equal(children_open_gate(g, 10000000000ULL, err, sizeof(err)), -EPROTO);
    assert_non_null(strstr(err, "exited before"));
    children_free(g);
    assert_no_children();
}

/* ---- footprint ---------------------------------------------------------------------- */

static void run_footprint(enum footprint_method method, unsigned n, uint64_t length,
                          struct footprint_result *r)
{
    struct footprint_config c = {
        .fd = data_fd,
        .file_size_bytes = FILE_BYTES,
        .offset_bytes = MIB,
        .length_bytes = length,
        .processes = n,
        .method = method,
        .timeout_ns = 30000000000ULL,
    };
    char err[KINDS_ERR_BYTES];
    int ret = footprint_run(&c, r, err, sizeof(err));
    if (ret < 0)
        fail_msg("footprint %s N=%u: %s", footprint_method_name(method), n, err);
    assert_no_children();
}

static void test_footprint(void **state)
{
    (void)state;
    const uint64_t len = 4 * MIB, slack = 64 * 1024;
    static const unsigned counts[] = {1, 3, 10};
    for (unsigned m = 0; m < FOOTPRINT_METHOD_COUNT; m++) {
        for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
            unsigned n = counts[k];
            struct footprint_result r;
            run_footprint((enum footprint_method)m, n, len, &r);
            const char *name = footprint_method_name((enum footprint_method)m);
            assert_int_equal(r.processes, n);
            assert_int_equal(r.file_pages, len / page_bytes);
            assert_int_equal(r.cached_pages_during, len / page_bytes);
            assert_int_equal(r.vma.rss_bytes.min, len); /* every page loaded, in every one */
            assert_true(r.vma_size_bytes.min >= len);
            assert_true(r.load_ns.min > 0 && r.pte_bytes.min > 0);
            assert_true(r.baseline.rss_bytes > 0 && r.baseline.rss_bytes < r.process.rss_bytes.min);
            uint64_t pss = r.vma.pss_bytes.median;
            if (m == FOOTPRINT_HEAP_BUFFER) {
                /* Each process has its own copy: PSS does not shrink with N, the sum grows. */
                if (pss < len || r.vma.anonymous_bytes.min != len)
                    fail_msg("%s N=%u: PSS %llu, anonymous %llu, expected %llu each", name, n,
                             (unsigned long long)pss, (unsigned long long)r.vma.anonymous_bytes.min,
                             (unsigned long long)len);
            } else {
                /* One copy shared: PSS per process about len / N, nothing anonymous. */
                if (pss + slack < len / n || pss > len / n + slack ||
                    r.vma.anonymous_bytes.max != 0)
                    fail_msg("%s N=%u: PSS %llu, expected about %llu", name, n,
                             (unsigned long long)pss, (unsigned long long)(len / n));
                assert_int_equal(r.vma.shared_bytes.min, n > 1 ? len : 0);
            }
        }
    }
}

/* ---- copy-on-write ------------------------------------------------------------------ */

static void test_cow(void **state)
{
    (void)state;
    static const struct {
        enum cow_order order;
        uint32_t write_bytes;
        bool read_first;
    } cases[] = {
        {COW_SEQUENTIAL, 8, false},
        {COW_RANDOM, 8, false},
        {COW_RANDOM, 4096, false},
        {COW_SEQUENTIAL, 8, true},
    };
    const uint64_t len = 2 * MIB, pages = len / 4096;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cow_config c = {
            .fd = data_fd,
            .file_size_bytes = FILE_BYTES,
            .offset_bytes = 4 * MIB,
            .length_bytes = len,
            .order = cases[i].order,
            .seed = 7,
            .write_bytes = cases[i].write_bytes,
            .read_first = cases[i].read_first,
        };
        struct cow_result r;
        struct hist *first = malloc(sizeof(*first));
        assert_non_null(first);
        hist_init(first);
        struct cow_hists h = {.private_first = first};
        char err[KINDS_ERR_BYTES];
        int ret = cow_run(&c, &r, &h, err, sizeof(err));
        if (ret < 0)
            fail_msg("cow case %zu: %s", i, err);
        assert_int_equal(r.pages, pages);
        assert_int_equal(first->count, pages);
        free(first);
        /* Every first private write is a copy-on-write fault; repeats fault not at all. */
        assert_true(r.private_first.minor_faults >= pages);
        assert_true(r.private_repeat.minor_faults < pages / 100);
        if (!(r.private_first.latency.p50_ns > 2 * r.private_repeat.latency.p50_ns))
            fail_msg("cow case %zu: first write p50 %.0f ns, repeat %.0f ns", i,
                     r.private_first.latency.p50_ns, r.private_repeat.latency.p50_ns);
        assert_int_equal(r.vma_anonymous_bytes, len);
        assert_int_equal(r.vma_private_dirty_bytes, len);
        assert_int_equal(r.pages_changed, 0);
        assert_int_equal(r.words_not_pattern, 0);
        assert_true(r.shared_first.minor_faults > 0 && r.shared_first.writes == pages);
        if (cases[i].read_first)
            assert_true(r.private_read_faults > 0 && r.shared_read_faults > 0);
    }
    assert_int_equal(words_not_pattern(data_fd, FILE_BYTES), 0);
}

/* ---- IPC ---------------------------------------------------------------------------- */

static void run_ipc(enum ipc_path path, uint32_t bytes, bool durable, uint64_t messages,
                    struct ipc_result *r)
{
    struct ipc_config c = {
        .fd = data_fd,
        .file_size_bytes = FILE_BYTES,
        .path = path,
        .message_bytes = bytes,
        .messages = messages,
        .durable = durable,
        .timeout_ns = 30000000000ULL,
    };
    char err[KINDS_ERR_BYTES];
    int ret = ipc_run(&c, r, NULL, err, sizeof(err));
    if (ret < 0)
        fail_msg("ipc %s %u: %s", ipc_path_name(path), bytes, err);
    assert_no_children();
}

static void test_ipc(void **state)
{
    (void)state;
    static const struct {
        enum ipc_path path;
        uint32_t bytes;
        bool durable;
        uint64_t messages;
    } cases[] = {
        {IPC_PATH_MAP, 64, false, 300},     {IPC_PATH_PREAD, 64, false, 300},
        {IPC_PATH_MAP, 65536, false, 300},  {IPC_PATH_PREAD, 65536, false, 300},
        {IPC_PATH_MAP, 1 << 20, false, 20}, {IPC_PATH_PREAD, 4096, true, 20},
        {IPC_PATH_MAP, 4096, true, 20},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ipc_result r;
        run_ipc(cases[i].path, cases[i].bytes, cases[i].durable, cases[i].messages, &r);
        assert_int_equal(r.round_trips, cases[i].messages);
        assert_int_equal(r.verify_failures, 0);
        assert_int_equal(r.rtt.count, cases[i].messages);
        /* p50 from 20 round trips or more (hist.h: HIST_TAIL_MIN). */
        assert_true(r.rtt.p50_ns > 0 && r.elapsed_ns > 0 && r.messages_per_s > 0);
        if (cases[i].durable && r.have_device_bytes) /* each message reached the device */
            assert_true(r.device_write_bytes >= cases[i].messages * 2 * 4096);
    }
    assert_int_equal(words_not_pattern(data_fd, FILE_BYTES), 0); /* the file restored */
}

/* A third process scribbles over the message area while the exchange runs: the reader
 * must catch the corrupted messages. */
static void test_ipc_catches_corruption(void **state)
{
    (void)state;
    pid_t scribbler = fork();
    assert_true(scribbler >= 0);
    if (scribbler == 0) {
        char *p = mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE, MAP_SHARED, data_fd,
                       IPC_AREA_ALIGN_BYTES);
        if (p == MAP_FAILED)
            _exit(1);
        for (uint64_t i = 0;; i++) {
            ((volatile uint64_t *)p)[i % 8192] = i;
            if (i % 4096 == 0)
                sched_yield();
        }
    }
    struct ipc_config c = {
        .fd = data_fd,
        .file_size_bytes = FILE_BYTES,
        .path = IPC_PATH_MAP,
        .message_bytes = 65536,
        .messages = 2000,
        .timeout_ns = 30000000000ULL,
    };
    struct ipc_result r;
    char err[KINDS_ERR_BYTES];
    int ret = ipc_run(&c, &r, NULL, err, sizeof(err));
    kill(scribbler, SIGKILL);
    waitpid(scribbler, NULL, 0);
    if (ret < 0)
        fail_msg("ipc: %s", err);
    assert_true(r.verify_failures > 0);
    assert_true(r.first_failure_seq >= 1 && r.first_failure_seq <= 2000);
    /* The scribbler wrote after ipc_run restored the file: put the pattern back. */
    restore_pattern(IPC_AREA_ALIGN_BYTES, 64 * 1024);
    assert_int_equal(words_not_pattern(data_fd, FILE_BYTES), 0);
    assert_no_children();
}

/* ---- claims ------------------------------------------------------------------------- */

static void test_claims(void **state)
{
    (void)state;
    int dir = open(SCRATCH_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dir >= 0);
    struct claims_config c = {
        .fd = data_fd,
        .file_size_bytes = FILE_BYTES,
        .dir_fd = dir,
        .range_bytes = 4 * MIB,
        .repetitions = 3,
        .sharing_processes = 10,
        .sharing_bytes = 8 * MIB,
    };
    for (size_t i = 0; i < claims_count; i++) {
        struct claims_result r;
        char err[KINDS_ERR_BYTES];
        int ret = claims_table[i].run(&c, &r, err, sizeof(err));
        if (ret < 0)
            fail_msg("claim %s: %s", claims_table[i].id, err);
        assert_string_equal(r.id, claims_table[i].id);
        assert_true(strlen(r.statement) > 20 && strlen(r.evidence) > 20 && r.method);
        assert_true(r.number_count > 0);
        /* Every claim holds on this kernel (Linux 6.18, ext4): see each evidence line. */
        if (r.verdict != CLAIMS_HOLDS)
            fail_msg("claim %s: %s\n  %s", r.id, claims_verdict_name(r.verdict), r.evidence);
        assert_no_children();
    }
    close(dir);
    assert_int_equal(words_not_pattern(data_fd, FILE_BYTES), 0);
}

/* ---- bad configurations ------------------------------------------------------------- */

static void test_bad_configs(void **state)
{
    (void)state;
    char err[KINDS_ERR_BYTES];
    static const struct {
        unsigned processes;
        uint64_t offset, length;
        const char *message;
    } fp[] = {
        {0, 0, 0, "processes 0"},
        {FOOTPRINT_MAX_PROCESSES + 1, 0, 0, "processes"},
        {2, 100, 0, "page-aligned"},
        {2, FILE_BYTES, 0, "inside the file"},
        {2, MIB, FILE_BYTES, "past the end"},
    };
    for (size_t i = 0; i < sizeof(fp) / sizeof(fp[0]); i++) {
        struct footprint_config c = {.fd = data_fd,
                                     .file_size_bytes = FILE_BYTES,
                                     .processes = fp[i].processes,
                                     .offset_bytes = fp[i].offset,
                                     .length_bytes = fp[i].length};
        struct footprint_result r;
        assert_int_equal(footprint_run(&c, &r, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, fp[i].message));
    }
    static const struct {
        uint32_t write_bytes;
        uint64_t offset, length;
        const char *message;
    } cw[] = {
        {7, 0, 0, "write_bytes 7"},
        {8192, 0, 0, "write_bytes 8192"},
        {8, 4095, 0, "page-aligned"},
        {8, 0, 100, "not one page or more"},
    };
    for (size_t i = 0; i < sizeof(cw) / sizeof(cw[0]); i++) {
        struct cow_config c = {.fd = data_fd,
                               .file_size_bytes = FILE_BYTES,
                               .write_bytes = cw[i].write_bytes,
                               .offset_bytes = cw[i].offset,
                               .length_bytes = cw[i].length};
        struct cow_result r;
        assert_int_equal(cow_run(&c, &r, NULL, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, cw[i].message));
    }
    static const struct {
        uint32_t bytes;
        uint64_t messages, file;
        const char *message;
    } ip[] = {
        {32, 10, FILE_BYTES, "message_bytes 32"},
        {2 << 20, 10, FILE_BYTES, "message_bytes"},
        {100, 10, FILE_BYTES, "multiple of 8"},
        {64, 0, FILE_BYTES, "number of messages or a duration"},
        {1 << 20, 10, 4 * MIB, "smaller than"},
    };
    for (size_t i = 0; i < sizeof(ip) / sizeof(ip[0]); i++) {
        struct ipc_config c = {.fd = data_fd,
                               .file_size_bytes = ip[i].file,
                               .message_bytes = ip[i].bytes,
                               .messages = ip[i].messages};
        struct ipc_result r;
        assert_int_equal(ipc_run(&c, &r, NULL, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, ip[i].message));
    }
    struct claims_config cc = {.fd = data_fd, .file_size_bytes = 4096, .dir_fd = -1};
    struct claims_result cr;
    assert_int_equal(claims_munmap_no_writeback(&cc, &cr, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "1 MiB at least"));
    cc.file_size_bytes = FILE_BYTES;
    assert_int_equal(claims_sigbus_past_eof(&cc, &cr, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "scratch directory"));
    enum footprint_method fm;
    enum ipc_path ipath;
    assert_int_equal(footprint_method_parse("heap_buffer", &fm), 0);
    assert_int_equal(fm, FOOTPRINT_HEAP_BUFFER);
    assert_int_equal(footprint_method_parse("heap", &fm), -EINVAL);
    assert_int_equal(ipc_path_parse("pread", &ipath), 0);
    assert_int_equal(ipath, IPC_PATH_PREAD);
    assert_null(ipc_path_name(IPC_PATH_COUNT));
    assert_no_children();
}

/* ---- interruption ------------------------------------------------------------------- */

static void on_alarm(int signo)
{
    (void)signo;
    kinds_request_stop();
}

static void arm_alarm(uint64_t after_us)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {.it_value = {.tv_sec = (time_t)(after_us / 1000000),
                                        .tv_usec = (suseconds_t)(after_us % 1000000)}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void test_interrupt(void **state)
{
    (void)state;
    char err[KINDS_ERR_BYTES];
    /* Mid-run: a 20 s exchange stopped after 300 ms by a signal handler. */
    struct ipc_config ic = {.fd = data_fd,
                            .file_size_bytes = FILE_BYTES,
                            .path = IPC_PATH_MAP,
                            .message_bytes = 4096,
                            .duration_ns = 20000000000ULL};
    struct ipc_result ir;
    arm_alarm(300000);
    uint64_t t0 = now_ns();
    assert_int_equal(ipc_run(&ic, &ir, NULL, err, sizeof(err)), -EINTR);
    assert_true(now_ns() - t0 < 3000000000ULL);
    assert_non_null(strstr(err, "interrupted"));
    assert_no_children();
    assert_int_equal(words_not_pattern(data_fd, FILE_BYTES), 0); /* restored all the same */
    kinds_clear_stop();

    /* The footprint engine, stopped at various moments: it either finished or returned
     * -EINTR, and left no child either way. */
    unsigned stopped = 0;
    for (uint64_t us = 200; us <= 12800; us *= 2) {
        struct footprint_config fc = {.fd = data_fd,
                                      .file_size_bytes = FILE_BYTES,
                                      .processes = 10,
                                      .method = FOOTPRINT_HEAP_BUFFER};
        struct footprint_result fr;
        arm_alarm(us);
        int ret = footprint_run(&fc, &fr, err, sizeof(err));
        struct itimerval off = {0};
        setitimer(ITIMER_REAL, &off, NULL);
        assert_true(ret == 0 || ret == -EINTR);
        stopped += ret == -EINTR;
        assert_no_children();
        kinds_clear_stop();
    }
    assert_true(stopped > 0);

    /* A stop already requested: nothing starts. */
    kinds_request_stop();
    struct cow_config cc = {.fd = data_fd, .file_size_bytes = FILE_BYTES, .write_bytes = 8};
    struct cow_result cr;
    assert_int_equal(cow_run(&cc, &cr, NULL, err, sizeof(err)), -EINTR);
    int dir = open(SCRATCH_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct claims_config cl = {.fd = data_fd, .file_size_bytes = FILE_BYTES, .dir_fd = dir};
    for (size_t i = 0; i < claims_count; i++) {
        struct claims_result r;
        assert_int_equal(claims_table[i].run(&cl, &r, err, sizeof(err)), -EINTR);
    }
    close(dir);
    kinds_clear_stop();
    assert_no_children();
    assert_int_equal(words_not_pattern(data_fd, FILE_BYTES), 0);
}

/* The parent dies (SIGKILL, no chance to clean up) in the middle of an exchange: its
 * children die with it (PR_SET_PDEATHSIG). This process is made a subreaper, so the
 * orphans become its children and their end can be checked. */
static void test_parent_death(void **state)
{
    (void)state;
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    pid_t parent = fork();
    assert_true(parent >= 0);
    if (parent == 0) {
        struct ipc_config c = {.fd = data_fd,
                               .file_size_bytes = FILE_BYTES,
                               .path = IPC_PATH_PREAD,
                               .message_bytes = 4096,
                               .duration_ns = 20000000000ULL};
        struct ipc_result r;
        char err[KINDS_ERR_BYTES];
        _exit(ipc_run(&c, &r, NULL, err, sizeof(err)) == 0 ? 0 : 1);
    }
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 300000000};
    nanosleep(&ts, NULL);
    assert_int_equal(kill(parent, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(parent, &status, 0), parent);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    unsigned orphans = 0;
    uint64_t deadline = now_ns() + 5000000000ULL;
    for (;;) {
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
            orphans++;
        } else if (pid < 0) {
            assert_int_equal(errno, ECHILD);
            break;
        } else {
            assert_true(now_ns() < deadline); /* an orphan still runs */
            nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
        }
    }
    assert_int_equal(orphans, 2); /* the writer and the reader */
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
    /* The exchange was cut short: put the part it used back. */
    restore_pattern(0, ipc_required_file_bytes(4096));
    assert_int_equal(words_not_pattern(data_fd, FILE_BYTES), 0);
}

/* ---- the registry -------------------------------------------------------------------- */

/* Every kind fits the fixed arrays results keep for it, names its metrics once, and
 * compares on a metric it has. */
static void test_kind_registry(void **state)
{
    (void)state;
    for (size_t k = 0; k < kind_count(); k++) {
        const struct kind_ops *kind = kind_get(k);
        assert_int_equal(kind_find(kind->name), (int)k);
        assert_true(kind->n_metrics <= KIND_METRICS_MAX);
        assert_true(kind->compare_metric < (int)kind->n_metrics);
        for (size_t m = 0; m < kind->n_metrics; m++)
            for (size_t n = m + 1; n < kind->n_metrics; n++)
                assert_string_not_equal(kind->metrics[m].name, kind->metrics[n].name);
    }
}

int main(void)
{
    struct timer_info info;
    timer_init(TIMER_AUTO, true, NULL, &info);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_registry),
        cmocka_unit_test(test_procmem_vma),
        cmocka_unit_test(test_procmem_machine),
        cmocka_unit_test(test_children_group),
        cmocka_unit_test(test_footprint),
        cmocka_unit_test(test_cow),
        cmocka_unit_test(test_ipc),
        cmocka_unit_test(test_ipc_catches_corruption),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_parent_death),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
