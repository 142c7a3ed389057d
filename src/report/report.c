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
#include <unistd.h>

struct report_files {
    const struct outdir *od;    /* the results directory, held: nothing is opened by path */
    struct outdir blocks_dir;   /* its workloads/ directory, while the run lasts */
    char blocks_name[32];       /* that directory's name in od */
    struct outdir profiles_dir; /* profiles/, made for the first profile */
    int runs_fd;                /* runs.csv, summary.csv and timeline.csv, appended to */
    int summary_fd;
    int timeline_fd;
    size_t blocks; /* workload blocks written */
};

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

/* Appends what fn produces to fd with one write, so a reader sees whole rows. */
static int append(int fd, const struct outdir *od, const char *name, producer_fn fn, void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int ret = f ? fn(f, arg) : -errno;
    if (f && fclose(f) != 0 && ret == 0)
        ret = -ENOMEM;
    if (ret == 0)
        ret = write_all(fd, buf, len);
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

static int block(FILE *f, void *arg)
{
    struct piece *p = arg;
    return report_json_workload(f, p->in, p->wr);
}

/* results.json while the run lasts: no blocks inline, the directory named. */
static int json_in_progress(FILE *f, void *arg)
{
    struct piece *p = arg;
    int ret = report_json_head(f, p->in, p->files->blocks_name);
    return ret ? ret : report_json_tail(f, p->in, false);
}

static void block_name(size_t index, char *buf, size_t len)
{
    snprintf(buf, len, "%06zu.json", index);
}

/* Copies workload block index from the workload directory to f. */
static int copy_block(FILE *f, struct report_files *files, size_t index)
{
    char name[32];
    block_name(index, name, sizeof(name));
    int fd = openat(files->blocks_dir.fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char buf[65536];
    ssize_t n;
    int ret = 0;
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ret = -errno;
            break;
        }
        if (fwrite(buf, 1, (size_t)n, f) != (size_t)n) {
            ret = -EIO;
            break;
        }
    }
    close(fd);
    return ret;
}

/* The final results.json: every block inline. */
static int json_final(FILE *f, void *arg)
{
    struct piece *p = arg;
    int ret = report_json_head(f, p->in, NULL);
    for (size_t i = 0; i < p->files->blocks && ret == 0; i++) {
        if (i)
            fputc(',', f);
        ret = copy_block(f, p->files, i);
    }
    return ret ? ret : report_json_tail(f, p->in, p->files->blocks > 0);
}

static void close_files(struct report_files *f)
{
    if (f->runs_fd >= 0)
        close(f->runs_fd);
    if (f->summary_fd >= 0)
        close(f->summary_fd);
    if (f->timeline_fd >= 0)
        close(f->timeline_fd);
    outdir_close(&f->blocks_dir);
    outdir_close(&f->profiles_dir);
    free(f);
}

/* Makes the block directory: workloads/, or workloads-N/ when an earlier run's is there
 * (--replace); results.json names the one used. */
static int make_blocks_dir(struct report_files *f)
{
    for (int n = 1; n < 100; n++) {
        if (n == 1)
            snprintf(f->blocks_name, sizeof(f->blocks_name), "%s", REPORT_WORKLOAD_DIR);
        else
            snprintf(f->blocks_name, sizeof(f->blocks_name), "%s-%d", REPORT_WORKLOAD_DIR, n);
        if (mkdirat(f->od->fd, f->blocks_name, 0755) == 0)
            break;
        if (errno != EEXIST)
            return -errno;
    }
    snprintf(f->blocks_dir.path, sizeof(f->blocks_dir.path), "%s/%s", f->od->path, f->blocks_name);
    f->blocks_dir.fd =
        openat(f->od->fd, f->blocks_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return f->blocks_dir.fd < 0 ? -errno : 0;
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
    if (f->blocks_dir.fd >= 0)
        unlinkat(f->od->fd, f->blocks_name, AT_REMOVEDIR);
}

int report_files_open(const struct outdir *od, const struct report_input *in,
                      struct report_files **out)
{
    struct report_files *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->od = od;
    f->runs_fd = f->summary_fd = f->timeline_fd = f->blocks_dir.fd = f->profiles_dir.fd = -1;
    int ret = make_blocks_dir(f);
    if (ret < 0)
        log_error("creating %s in %s: %s", REPORT_WORKLOAD_DIR, od->path, strerror(-ret));
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
    struct piece p = {in, wr, f};
    char name[32];
    block_name(f->blocks, name, sizeof(name));
    int ret = write_atomically(&f->blocks_dir, name, block, &p, false);
    if (ret == 0)
        f->blocks++;
    int r = append(f->runs_fd, f->od, "runs.csv", runs_rows, &p);
    ret = ret ? ret : r;
    r = append(f->summary_fd, f->od, "summary.csv", summary_rows, &p);
    ret = ret ? ret : r;
    r = append(f->timeline_fd, f->od, "timeline.csv", timeline_rows, &p);
    ret = ret ? ret : r;
    r = write_profiles(f, wr);
    return ret ? ret : r;
}

int report_files_finish(struct report_files *f, const struct report_input *in)
{
    struct piece p = {in, NULL, f};
    int ret = write_atomically(f->od, "results.json", json_final, &p, true);
    if (ret == 0) {
        /* Every block is inline now: the directory's files are copies. */
        for (size_t i = 0; i < f->blocks; i++) {
            char name[32];
            block_name(i, name, sizeof(name));
            outdir_unlink(&f->blocks_dir, name);
        }
        if (unlinkat(f->od->fd, f->blocks_name, AT_REMOVEDIR) < 0)
            log_warn("removing %s: %s", f->blocks_dir.path, strerror(errno));
    }
    close_files(f);
    return ret;
}
