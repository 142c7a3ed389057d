#include "report.h"

#include "backend.h"
#include "log.h"
#include "outdir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct report_files {
    const struct outdir *od;    /* the results directory, held: nothing is opened by path */
    int blocks_fd;              /* workloads.json-seq, appended to while the run lasts */
    char blocks_name[32];       /* its name in od */
    uint64_t blocks_bytes;      /* its length: where the next record goes */
    struct outdir profiles_dir; /* profiles/, made for the first profile */
    int runs_fd;                /* runs.csv, summary.csv and timeline.csv, appended to */
    int summary_fd;
    int timeline_fd;
    size_t blocks;               /* workload blocks written */
    uint64_t opened_ns;          /* CLOCK_MONOTONIC at report_files_open */
    uint64_t workload_writes_ns; /* spent in report_files_add */
    uint64_t final_start_ns;     /* when the final results.json was begun */
};

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void report_emergency_cleanup(void)
{
    outdir_emergency_cleanup();
}

/* Writes all of buf to fd. Returns 0 or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* What a writer function produces. */
typedef int (*producer_fn)(FILE *f, void *arg);

/* Writes name in od atomically (outdir_file: a new file renamed over name); durable: fsync
 * it first. */
static int write_atomically(const struct outdir *od, const char *name, producer_fn fn, void *arg,
                            bool durable)
{
    struct outdir_file of;
    int ret = outdir_file_begin(&of, od, name);
    if (ret < 0)
        return ret;
    of.durable = durable;
    return outdir_file_commit(&of, fn(of.f, arg));
}

/* Appends what fn produces to fd with one write, so a reader sees whole rows. A write
 * that fails part-way (ENOSPC, EDQUOT) is cut off again: the file keeps whole rows or
 * records only. */
static int append(int fd, const struct outdir *od, const char *name, producer_fn fn, void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int ret = f ? fn(f, arg) : -errno;
    if (f && fclose(f) != 0 && ret == 0)
        ret = -ENOMEM;
    off_t end = lseek(fd, 0, SEEK_END);
    if (ret == 0 && end < 0)
        ret = -errno;
    if (ret == 0) {
        ret = write_all(fd, buf, len);
        if (ret < 0 && ftruncate(fd, end) == 0)
            lseek(fd, end, SEEK_SET);
    }
    if (ret < 0)
        log_error("writing %s/%s: %s", od->path, name, strerror(-ret));
    free(buf);
    return ret;
}

struct piece {
    const struct report_input *in;
    const struct workload_result *wr;
    struct report_files *files;
};

static int runs_header(FILE *f, void *arg)
{
    (void)arg;
    return report_csv_runs_header(f);
}

static int summary_header(FILE *f, void *arg)
{
    (void)arg;
    return report_csv_summary_header(f);
}

static int timeline_header(FILE *f, void *arg)
{
    (void)arg;
    return report_csv_timeline_header(f);
}

static int timeline_rows(FILE *f, void *arg)
{
    struct piece *p = arg;
    return report_csv_timeline_rows(f, p->in, p->wr);
}

static int runs_rows(FILE *f, void *arg)
{
    struct piece *p = arg;
    return report_csv_runs_rows(f, p->in, p->wr);
}

static int summary_rows(FILE *f, void *arg)
{
    struct piece *p = arg;
    return report_csv_summary_rows(f, p->in, p->wr);
}

/* One record of the block file: RS, the workload's block, LF. */
static int block_record(FILE *f, void *arg)
{
    struct piece *p = arg;
    fputc(REPORT_RECORD_SEPARATOR, f);
    int ret = report_json_workload(f, p->in, p->wr);
    fputc('\n', f);
    return ret;
}

/* results.json while the run lasts: no blocks inline, the block file named. */
static int json_in_progress(FILE *f, void *arg)
{
    struct piece *p = arg;
    int ret = report_json_head(f, p->in, p->files->blocks_name);
    return ret ? ret : report_json_tail(f, p->in, false, NULL);
}

/* Copies the records of the block file to f as the elements of an array: each record is
 * RS, a JSON document, LF (RFC 7464); RS never occurs inside one (json_writer escapes
 * every control character), so the elements are what lies between them. */
static int copy_blocks(FILE *f, struct report_files *files)
{
    char buf[65536];
    uint64_t offset = 0;
    bool first = true;
    while (offset < files->blocks_bytes) {
        size_t want = sizeof(buf);
        if (files->blocks_bytes - offset < want)
            want = (size_t)(files->blocks_bytes - offset);
        ssize_t n = pread(files->blocks_fd, buf, want, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        const char *p = buf, *end = buf + n;
        while (p < end) {
            const char *rs = memchr(p, REPORT_RECORD_SEPARATOR, (size_t)(end - p));
            const char *stop = rs ? rs : end;
            fwrite(p, 1, (size_t)(stop - p), f);
            if (rs) {
                if (!first)
                    fputc(',', f);
                first = false;
                stop++;
            }
            p = stop;
        }
        offset += (uint64_t)n;
    }
    return ferror(f) ? -EIO : 0;
}

/* The final results.json: every block inline. */
static int json_final(FILE *f, void *arg)
{
    struct piece *p = arg;
    int ret = report_json_head(f, p->in, NULL);
    if (ret == 0)
        ret = copy_blocks(f, p->files);
    if (ret)
        return ret;
    uint64_t now = monotonic_ns();
    struct report_timing timing = {
        .run_ns = now - p->files->opened_ns,
        .workload_writes_ns = p->files->workload_writes_ns,
        .final_ns = now - p->files->final_start_ns,
    };
    return report_json_tail(f, p->in, p->files->blocks > 0, &timing);
}

static void close_files(struct report_files *f)
{
    if (f->runs_fd >= 0)
        close(f->runs_fd);
    if (f->summary_fd >= 0)
        close(f->summary_fd);
    if (f->timeline_fd >= 0)
        close(f->timeline_fd);
    if (f->blocks_fd >= 0)
        close(f->blocks_fd);
    outdir_close(&f->profiles_dir);
    free(f);
}

/* Creates the block file: workloads.json-seq, or workloads-N.json-seq when an earlier
 * run's is there (--replace); results.json names the one used. */
static int make_blocks_file(struct report_files *f)
{
    for (int n = 1; n < 100; n++) {
        if (n == 1)
            snprintf(f->blocks_name, sizeof(f->blocks_name), "%s%s", REPORT_WORKLOAD_FILE,
                     REPORT_WORKLOAD_SUFFIX);
        else
            snprintf(f->blocks_name, sizeof(f->blocks_name), "%s-%d%s", REPORT_WORKLOAD_FILE, n,
                     REPORT_WORKLOAD_SUFFIX);
        int fd = outdir_create_file(f->od, f->blocks_name, O_RDWR, 0644);
        if (fd >= 0) {
            f->blocks_fd = fd;
            return 0;
        }
        if (fd != -EEXIST)
            return fd;
    }
    return -EEXIST;
}

/* Creates a CSV file with its header: a new file (outdir_file), renamed over name
 * (replacing an earlier run's only with --replace, which outdir_open allowed), whose
 * descriptor stays open for appending. */
static int open_csv(struct report_files *f, const char *name, producer_fn header, int *fd_out)
{
    struct outdir_file of;
    int ret = outdir_file_begin(&of, f->od, name);
    if (ret < 0)
        return ret;
    of.durable = false;
    ret = header(of.f, NULL);
    int fd = ret == 0 ? dup(of.fd) : -1; /* the same open file: appends go on from the header */
    if (ret == 0 && fd < 0)
        ret = -errno;
    ret = outdir_file_commit(&of, ret);
    if (ret < 0) {
        if (fd >= 0)
            close(fd);
        return ret;
    }
    *fd_out = fd;
    return 0;
}

/* Undoes a report_files_open that failed half-way: nothing is left. */
static void remove_files(struct report_files *f)
{
    if (f->runs_fd >= 0)
        outdir_unlink(f->od, "runs.csv");
    if (f->summary_fd >= 0)
        outdir_unlink(f->od, "summary.csv");
    if (f->timeline_fd >= 0)
        outdir_unlink(f->od, "timeline.csv");
    if (f->blocks_fd >= 0)
        outdir_unlink(f->od, f->blocks_name);
}

int report_files_open(const struct outdir *od, const struct report_input *in,
                      struct report_files **out)
{
    struct report_files *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->od = od;
    f->opened_ns = monotonic_ns();
    f->runs_fd = f->summary_fd = f->timeline_fd = f->blocks_fd = f->profiles_dir.fd = -1;
    int ret = make_blocks_file(f);
    if (ret < 0)
        log_error("creating %s in %s: %s", f->blocks_name, od->path, strerror(-ret));
    if (ret == 0)
        ret = open_csv(f, "runs.csv", runs_header, &f->runs_fd);
    if (ret == 0)
        ret = open_csv(f, "summary.csv", summary_header, &f->summary_fd);
    if (ret == 0)
        ret = open_csv(f, "timeline.csv", timeline_header, &f->timeline_fd);
    struct piece p = {in, NULL, f};
    if (ret == 0)
        ret = write_atomically(od, "results.json", json_in_progress, &p, false);
    if (ret < 0) {
        remove_files(f);
        close_files(f);
        return ret;
    }
    *out = f;
    return 0;
}

#define PROFILE_DIR "profiles"

void report_profile_name(const struct workload_result *wr, unsigned backend, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%06u-%s.folded", PROFILE_DIR, wr->workload, backend_get(backend)->name);
}

static int folded(FILE *out, void *arg)
{
    return profile_write_folded(arg, out);
}

/* Writes the folded stacks of every profiled backend of wr into profiles/. */
static int write_profiles(struct report_files *f, const struct workload_result *wr)
{
    int ret = 0;
    for (unsigned b = 0; b < RESULTS_MAX_BACKENDS && ret == 0; b++) {
        if (!wr->profiles[b])
            continue;
        if (f->profiles_dir.fd < 0) {
            snprintf(f->profiles_dir.path, sizeof(f->profiles_dir.path), "%s/%s", f->od->path,
                     PROFILE_DIR);
            if (mkdirat(f->od->fd, PROFILE_DIR, 0755) < 0 && errno != EEXIST)
                ret = -errno;
            else
                f->profiles_dir.fd =
                    openat(f->od->fd, PROFILE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (ret == 0 && f->profiles_dir.fd < 0)
                ret = -errno;
            if (ret < 0) {
                log_error("creating %s: %s", f->profiles_dir.path, strerror(-ret));
                break;
            }
        }
        char name[64];
        report_profile_name(wr, b, name, sizeof(name));
        ret = write_atomically(&f->profiles_dir, name + strlen(PROFILE_DIR) + 1, folded,
                               wr->profiles[b], false);
    }
    return ret;
}

int report_files_add(struct report_files *f, const struct report_input *in,
                     const struct workload_result *wr)
{
    uint64_t start_ns = monotonic_ns();
    struct piece p = {in, wr, f};
    int ret = append(f->blocks_fd, f->od, f->blocks_name, block_record, &p);
    if (ret == 0) {
        off_t end = lseek(f->blocks_fd, 0, SEEK_CUR);
        f->blocks++;
        f->blocks_bytes = end > 0 ? (uint64_t)end : f->blocks_bytes;
    }
    int r = append(f->runs_fd, f->od, "runs.csv", runs_rows, &p);
    ret = ret ? ret : r;
    r = append(f->summary_fd, f->od, "summary.csv", summary_rows, &p);
    ret = ret ? ret : r;
    r = append(f->timeline_fd, f->od, "timeline.csv", timeline_rows, &p);
    ret = ret ? ret : r;
    r = write_profiles(f, wr);
    f->workload_writes_ns += monotonic_ns() - start_ns;
    return ret ? ret : r;
}

int report_files_finish(struct report_files *f, const struct report_input *in)
{
    struct piece p = {in, NULL, f};
    f->final_start_ns = monotonic_ns();
    int ret = write_atomically(f->od, "results.json", json_final, &p, true);
    if (ret == 0) {
        /* Every block is inline now: the block file is a copy. */
        int r = outdir_unlink(f->od, f->blocks_name);
        if (r < 0)
            log_warn("removing %s/%s: %s", f->od->path, f->blocks_name, strerror(-r));
    }
    close_files(f);
    return ret;
}
