#include "report.h"

#include "log.h"

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
    int dir_fd;       /* the results directory, held: nothing is opened by path in it */
    int workloads_fd; /* its workloads/ directory, while the run lasts */
    int runs_fd;      /* runs.csv and summary.csv, appended to */
    int summary_fd;
    size_t blocks; /* workload blocks written */
    char dir[PATH_MAX];
};

/* The temporary file being written, for the emergency exit (valid while emergency_armed). */
static int emergency_dir_fd = -1;
static char emergency_tmp[64];
static volatile sig_atomic_t emergency_armed;

void report_emergency_cleanup(void)
{
    if (emergency_armed)
        unlinkat(emergency_dir_fd, emergency_tmp, 0);
}

/* A new file in dir_fd: never an existing one, never through a symlink. */
static int create_in(int dir_fd, const char *name, int flags)
{
    return openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | flags, 0644);
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

/* What a writer function produces, in memory. */
typedef int (*producer_fn)(FILE *f, void *arg);

static int produce(producer_fn fn, void *arg, char **buf, size_t *len)
{
    FILE *f = open_memstream(buf, len);
    if (!f)
        return -errno;
    int ret = fn(f, arg);
    if (fclose(f) != 0 && ret == 0)
        ret = -ENOMEM;
    if (ret < 0) {
        free(*buf);
        *buf = NULL;
    }
    return ret;
}

/* Writes name in dir_fd atomically: "name.tmp" created new, filled by fn, then renamed over
 * name (a rename replaces a symlink itself, never what it points to). */
static int write_atomically(int dir_fd, const char *dir, const char *name, producer_fn fn,
                            void *arg, bool durable)
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%s.tmp", name);
    char *buf = NULL;
    size_t len = 0;
    int ret = produce(fn, arg, &buf, &len);
    if (ret < 0) {
        log_error("preparing %s/%s: %s", dir, name, strerror(-ret));
        return ret;
    }
    emergency_armed = 0;
    emergency_dir_fd = dir_fd;
    memcpy(emergency_tmp, tmp, sizeof(tmp));
    emergency_armed = 1; /* before the file exists: it is never left behind */
    int fd = create_in(dir_fd, tmp, 0);
    if (fd < 0) {
        ret = -errno;
        log_error("creating %s/%s: %s", dir, tmp, strerror(-ret));
        emergency_armed = 0;
        free(buf);
        return ret;
    }
    ret = write_all(fd, buf, len);
    if (ret == 0 && durable && fsync(fd) < 0)
        ret = -errno;
    if (close(fd) < 0 && ret == 0)
        ret = -errno;
    if (ret == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
        ret = -errno;
    if (ret < 0) {
        log_error("writing %s/%s: %s", dir, name, strerror(-ret));
        unlinkat(dir_fd, tmp, 0);
    }
    emergency_armed = 0;
    free(buf);
    return ret;
}

/* Appends what fn produces to fd with one write, so a reader sees whole rows. */
static int append(int fd, const char *dir, const char *name, producer_fn fn, void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    int ret = produce(fn, arg, &buf, &len);
    if (ret == 0)
        ret = write_all(fd, buf, len);
    if (ret < 0)
        log_error("writing %s/%s: %s", dir, name, strerror(-ret));
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
    int ret = report_json_head(f, p->in, REPORT_WORKLOAD_DIR);
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
    int fd = openat(files->workloads_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
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
    if (f->workloads_fd >= 0)
        close(f->workloads_fd);
    if (f->dir_fd >= 0)
        close(f->dir_fd);
    free(f);
}

int report_files_open(const char *dir, const struct report_input *in, struct report_files **out)
{
    struct report_files *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->runs_fd = f->summary_fd = f->workloads_fd = -1;
    snprintf(f->dir, sizeof(f->dir), "%s", dir);
    int ret = 0;
    const char *what = dir;
    f->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (f->dir_fd < 0)
        goto fail;
    what = REPORT_WORKLOAD_DIR;
    if (mkdirat(f->dir_fd, REPORT_WORKLOAD_DIR, 0755) < 0)
        goto fail;
    f->workloads_fd =
        openat(f->dir_fd, REPORT_WORKLOAD_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (f->workloads_fd < 0)
        goto fail;
    what = "runs.csv";
    f->runs_fd = create_in(f->dir_fd, what, O_APPEND);
    if (f->runs_fd < 0)
        goto fail;
    what = "summary.csv";
    f->summary_fd = create_in(f->dir_fd, what, O_APPEND);
    if (f->summary_fd < 0)
        goto fail;
    struct piece p = {in, NULL, f};
    ret = append(f->runs_fd, dir, "runs.csv", runs_header, NULL);
    if (ret == 0)
        ret = append(f->summary_fd, dir, "summary.csv", summary_header, NULL);
    if (ret == 0)
        ret = write_atomically(f->dir_fd, dir, "results.json", json_in_progress, &p, false);
    if (ret < 0) {
        close_files(f);
        return ret;
    }
    *out = f;
    return 0;
fail:
    ret = -errno;
    log_error("creating %s in %s: %s", what, dir, strerror(-ret));
    close_files(f);
    return ret;
}

int report_files_add(struct report_files *f, const struct report_input *in,
                     const struct workload_result *wr)
{
    struct piece p = {in, wr, f};
    char name[32];
    block_name(f->blocks, name, sizeof(name));
    int ret = write_atomically(f->workloads_fd, f->dir, name, block, &p, false);
    if (ret == 0)
        f->blocks++;
    int r = append(f->runs_fd, f->dir, "runs.csv", runs_rows, &p);
    ret = ret ? ret : r;
    r = append(f->summary_fd, f->dir, "summary.csv", summary_rows, &p);
    return ret ? ret : r;
}

int report_files_finish(struct report_files *f, const struct report_input *in)
{
    struct piece p = {in, NULL, f};
    int ret = write_atomically(f->dir_fd, f->dir, "results.json", json_final, &p, true);
    if (ret == 0) {
        /* Every block is inline now: the directory's files are copies. */
        for (size_t i = 0; i < f->blocks; i++) {
            char name[32];
            block_name(i, name, sizeof(name));
            unlinkat(f->workloads_fd, name, 0);
        }
        if (unlinkat(f->dir_fd, REPORT_WORKLOAD_DIR, AT_REMOVEDIR) < 0)
            log_warn("removing %s/%s: %s", f->dir, REPORT_WORKLOAD_DIR, strerror(errno));
    }
    close_files(f);
    return ret;
}
