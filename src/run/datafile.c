#include "datafile.h"

#include "log.h"
#include "pattern.h"
#include "signals.h"
#include "units.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define MARKER_NAME        "MMBENCH-DATA"
#define WORKDIR_PREFIX     "mmbench-"
#define FILL_CHUNK_BYTES   (1u << 20)
#define PROGRESS_MIN_BYTES (64ULL << 20)
#define VERIFY_SAMPLES     64

struct workdir {
    char *real_dir; /* the user's dir, resolved */
    char *path;     /* <real_dir>/mmbench-XXXXXX once created */
    char *marker;   /* its marker file */
    bool created;
};

struct datafile {
    char *real_dir;
    dev_t dev; /* filesystem of real_dir, for the space check */
    uint64_t size_bytes;
    size_t first_use; /* indices of the first and last workload using it */
    size_t last_use;
    char *path;     /* once created or reused */
    bool reuse;     /* an earlier run's kept file, verified */
    bool created;   /* by this run (deleted at the end unless kept) */
    bool announced; /* reuse reported */
    int fd;         /* holds the flock while the run lasts */
};

struct datafile_set {
    struct datafile *files;
    size_t n_files;
    struct workdir *dirs;
    size_t n_dirs;
};

/* The set the signal handler cleans up after. */
static struct datafile_set *volatile emergency_set;

/* Writes why something failed into err (the caller reports it) and returns ret. */
static int explain(char *err, size_t len, int ret, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int explain(char *err, size_t len, int ret, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return ret;
}

static char *join_path(const char *dir, const char *name)
{
    char *path;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return NULL;
    return path;
}

int datafile_verify(int fd, uint64_t size_bytes)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size_bytes || size_bytes < 8)
        return -EILSEQ;
    uint64_t words = size_bytes / 8;
    for (uint64_t i = 0; i <= VERIFY_SAMPLES; i++) {
        uint64_t word = i == VERIFY_SAMPLES ? words - 1 : words / VERIFY_SAMPLES * i;
        uint64_t offset = word * 8, value;
        ssize_t n = pread(fd, &value, sizeof(value), (off_t)offset);
        if (n < 0)
            return -errno;
        if (n != sizeof(value) || !pattern_is_ours(value, offset))
            return -EILSEQ;
    }
    return 0;
}

/* Looks in real_dir for a kept mmbench file of size_bytes that no other run holds. */
static int find_kept_file(const char *real_dir, uint64_t size_bytes, char **path_out, int *fd_out)
{
    DIR *d = opendir(real_dir);
    if (!d)
        return -errno;
    char name[64];
    snprintf(name, sizeof(name), "data-%llu.bin", (unsigned long long)size_bytes);
    int found = -ENOENT;
    struct dirent *e;
    while (found < 0 && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, WORKDIR_PREFIX, strlen(WORKDIR_PREFIX)) != 0 ||
            strlen(e->d_name) != strlen(WORKDIR_PREFIX) + 6)
            continue;
        char *work = join_path(real_dir, e->d_name);
        char *marker = work ? join_path(work, MARKER_NAME) : NULL;
        char *file = work ? join_path(work, name) : NULL;
        struct stat st;
        if (file && marker && lstat(work, &st) == 0 && S_ISDIR(st.st_mode) &&
            st.st_uid == geteuid() && lstat(marker, &st) == 0 && S_ISREG(st.st_mode) &&
            lstat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
            (uint64_t)st.st_size == size_bytes) {
            int fd = open(file, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
            if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
                datafile_verify(fd, size_bytes) == 0) {
                *path_out = file;
                file = NULL;
                *fd_out = fd;
                found = 0;
            } else if (fd >= 0) {
                close(fd);
            }
        }
        free(work);
        free(marker);
        free(file);
    }
    closedir(d);
    return found;
}

static int check_dir(const char *dir, char **real_out, dev_t *dev, char *err, size_t len)
{
    struct stat st;
    if (stat(dir, &st) < 0) {
        int e = errno;
        return explain(err, len, -e,
                       "dir %s: %s (create it, or set dir to an existing "
                       "directory)",
                       dir, strerror(e));
    }
    if (!S_ISDIR(st.st_mode)) {
        const char *what = S_ISBLK(st.st_mode)   ? "a block device"
                           : S_ISREG(st.st_mode) ? "a regular file"
                                                 : "not a directory";
        return explain(err, len, -ENOTDIR,
                       "dir %s: is %s; mmbench never writes to existing files or devices, "
                       "it creates its data files in a directory of its own inside dir",
                       dir, what);
    }
    if (access(dir, W_OK | X_OK) < 0) {
        int e = errno;
        return explain(err, len, -e, "dir %s: not writable (%s)", dir, strerror(e));
    }
    char *real = realpath(dir, NULL);
    if (!real) {
        int e = errno;
        return explain(err, len, -e, "dir %s: %s", dir, strerror(e));
    }
    *real_out = real;
    *dev = st.st_dev;
    return 0;
}

/* Peak bytes of files to create on the filesystem dev, given that a file is created at
 * its first use and removed after its last. */
static uint64_t peak_bytes(const struct datafile_set *set, dev_t dev, size_t n_workloads)
{
    uint64_t live = 0, peak = 0;
    for (size_t i = 0; i < n_workloads; i++) {
        for (size_t f = 0; f < set->n_files; f++) {
            const struct datafile *df = &set->files[f];
            if (df->dev == dev && !df->reuse && df->first_use == i) {
                live += df->size_bytes;
                peak = live > peak ? live : peak;
            }
        }
        for (size_t f = 0; f < set->n_files; f++) {
            const struct datafile *df = &set->files[f];
            if (df->dev == dev && !df->reuse && df->last_use == i)
                live -= df->size_bytes;
        }
    }
    return peak;
}

static int check_space(const struct datafile_set *set, size_t n_workloads, char *err, size_t len)
{
    for (size_t f = 0; f < set->n_files; f++) {
        const struct datafile *df = &set->files[f];
        bool first_on_fs = true;
        for (size_t g = 0; g < f; g++)
            first_on_fs = first_on_fs && set->files[g].dev != df->dev;
        if (!first_on_fs)
            continue;
        uint64_t need = peak_bytes(set, df->dev, n_workloads);
        if (need == 0)
            continue;
        struct statvfs vfs;
        if (statvfs(df->real_dir, &vfs) < 0) {
            int e = errno;
            return explain(err, len, -e, "statvfs(%s): %s", df->real_dir, strerror(e));
        }
        uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        uint64_t margin = need / 100 + (1u << 20); /* filesystem metadata */
        if (need + margin > avail) {
            char a[32], b[32];
            snprintf(a, sizeof(a), "%.1fMiB", (double)need / 1048576.0);
            snprintf(b, sizeof(b), "%.1fMiB", (double)avail / 1048576.0);
            return explain(err, len, -ENOSPC,
                           "dir %s: the data files need up to %s (plus 1%% for metadata) "
                           "but only %s is free there (statvfs); free space, choose another "
                           "dir, or use a smaller file_size",
                           df->real_dir, a, b);
        }
    }
    return 0;
}

int datafile_use_existing(struct workload *w, bool allowed, char *err, size_t err_len)
{
    if (!allowed)
        return explain(err, err_len, -EPERM,
                       "file %s: reading an existing file needs --read-existing (mmbench "
                       "only reads it, and never writes to it)",
                       w->file);
    int fd = open(w->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return explain(err, err_len, -e, "file %s: %s", w->file, strerror(e));
    }
    struct stat st;
    uint64_t size = 0;
    int ret = 0;
    if (fstat(fd, &st) < 0) {
        ret = -errno;
        explain(err, err_len, ret, "file %s: %s", w->file, strerror(-ret));
    } else if (S_ISREG(st.st_mode)) {
        size = (uint64_t)st.st_size;
    } else if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
            ret = -errno;
            explain(err, err_len, ret, "file %s: BLKGETSIZE64: %s", w->file, strerror(-ret));
        }
    } else {
        ret = explain(err, err_len, -EINVAL, "file %s: not a regular file or a block device",
                      w->file);
    }
    close(fd);
    if (ret < 0)
        return ret;
    w->file_size_bytes = size / 8 * 8;
    if (w->file_size_bytes < w->block_size_bytes)
        return explain(err, err_len, -EINVAL, "file %s: %llu bytes, less than block_size", w->file,
                       (unsigned long long)size);
    return 0;
}

int datafile_plan(const struct workload *workloads, size_t n, struct datafile_set **out, char *err,
                  size_t err_len)
{
    struct datafile_set *set = calloc(1, sizeof(*set));
    if (!set)
        return explain(err, err_len, -ENOMEM, "out of memory");
    int ret = 0;
    for (size_t i = 0; i < n; i++) {
        const struct workload *w = &workloads[i];
        if (w->file)
            continue; /* an existing file: nothing to create */
        char *real = NULL;
        dev_t dev = 0;
        ret = check_dir(w->dir, &real, &dev, err, err_len);
        if (ret < 0)
            goto out;
        struct datafile *df = NULL;
        for (size_t f = 0; f < set->n_files; f++) {
            if (set->files[f].size_bytes == w->file_size_bytes &&
                strcmp(set->files[f].real_dir, real) == 0)
                df = &set->files[f];
        }
        if (df) {
            df->last_use = i;
            free(real);
            continue;
        }
        struct datafile *grown = realloc(set->files, (set->n_files + 1) * sizeof(*grown));
        if (!grown) {
            free(real);
            ret = explain(err, err_len, -ENOMEM, "out of memory");
            goto out;
        }
        set->files = grown;
        df = &set->files[set->n_files++];
        memset(df, 0, sizeof(*df));
        df->real_dir = real;
        df->dev = dev;
        df->size_bytes = w->file_size_bytes;
        df->first_use = df->last_use = i;
        df->fd = -1;
        if (find_kept_file(real, df->size_bytes, &df->path, &df->fd) == 0)
            df->reuse = true;
    }
    ret = check_space(set, n, err, err_len);
out:
    if (ret < 0) {
        datafile_finish(set, true);
        return ret;
    }
    emergency_set = set;
    *out = set;
    return 0;
}

static struct workdir *get_workdir(struct datafile_set *set, const char *real_dir)
{
    for (size_t i = 0; i < set->n_dirs; i++) {
        if (strcmp(set->dirs[i].real_dir, real_dir) == 0)
            return &set->dirs[i];
    }
    struct workdir *grown = realloc(set->dirs, (set->n_dirs + 1) * sizeof(*grown));
    if (!grown)
        return NULL;
    set->dirs = grown;
    struct workdir *wd = &set->dirs[set->n_dirs];
    memset(wd, 0, sizeof(*wd));
    wd->real_dir = strdup(real_dir);
    if (!wd->real_dir)
        return NULL;
    set->n_dirs++;
    return wd;
}

static int make_workdir(struct workdir *wd, char *why, size_t why_len)
{
    char *templ = join_path(wd->real_dir, WORKDIR_PREFIX "XXXXXX");
    if (!templ)
        return explain(why, why_len, -ENOMEM, "out of memory");
    if (!mkdtemp(templ)) {
        int e = errno;
        explain(why, why_len, -e, "mkdtemp(%s): %s", templ, strerror(e));
        free(templ);
        return -e;
    }
    wd->path = templ;
    wd->created = true;
    wd->marker = join_path(templ, MARKER_NAME);
    if (!wd->marker)
        return explain(why, why_len, -ENOMEM, "out of memory");
    int fd = open(wd->marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        return explain(why, why_len, -e, "creating %s: %s", wd->marker, strerror(e));
    }
    char text[256];
    int n = snprintf(text, sizeof(text),
                     "mmbench data directory, created by process %ld at %ld (Unix time).\n"
                     "mmbench removes it at the end of a run unless --keep-files was given;\n"
                     "a kept data file is reused by later runs. Safe to delete.\n",
                     (long)getpid(), (long)time(NULL));
    ssize_t written = write(fd, text, (size_t)n);
    int e = written == n ? 0 : errno ? errno : EIO;
    close(fd);
    if (e)
        return explain(why, why_len, -e, "writing %s: %s", wd->marker, strerror(e));
    return 0;
}

/* Fills fd with the data pattern and flushes it to disk. On error, why says which call
 * failed, at which offset, and why. */
static int fill_file(int fd, const char *path, uint64_t size, char *why, size_t why_len)
{
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    uint64_t *chunk = malloc(FILL_CHUNK_BYTES);
    if (!chunk)
        return explain(why, why_len, -ENOMEM, "out of memory");
    int ret = 0;
    bool progress =
        size >= PROGRESS_MIN_BYTES && isatty(STDERR_FILENO) && log_get_level() >= LOG_INFO;
    /* Reserve the space first: ENOSPC now rather than halfway, and less fragmentation. */
    int e = posix_fallocate(fd, 0, (off_t)size);
    if (e != 0 && e != EOPNOTSUPP && e != EINVAL) {
        ret = explain(why, why_len, -e, "fallocate(%s, offset 0, %llu bytes): %s", name,
                      (unsigned long long)size, strerror(e));
        goto out;
    }
    for (uint64_t offset = 0; offset < size;) {
        uint64_t len = size - offset < FILL_CHUNK_BYTES ? size - offset : FILL_CHUNK_BYTES;
        for (uint64_t i = 0; i < len / 8; i++)
            chunk[i] = pattern_file_word(offset + i * 8);
        /* cppcheck-suppress knownConditionTrueFalse ; len is at least 1 here */
        for (uint64_t done = 0; done < len;) {
            ssize_t n = pwrite(fd, (char *)chunk + done, len - done, (off_t)(offset + done));
            if (n < 0 && errno == EINTR && !signals_stop_requested())
                continue;
            if (n <= 0) {
                int err = n < 0 ? errno : EIO;
                ret = explain(why, why_len, -err, "pwrite(%s, offset %llu, %llu bytes): %s", name,
                              (unsigned long long)(offset + done), (unsigned long long)(len - done),
                              strerror(err));
                goto out;
            }
            done += (uint64_t)n;
        }
        offset += len;
        if (signals_stop_requested()) {
            snprintf(why, why_len, "interrupted while creating %s", name);
            ret = -EINTR;
            goto out;
        }
        if (progress && (offset % (64u << 20) == 0 || offset == size))
            fprintf(stderr, "\rmmbench: creating %s: %3.0f%% of %.0fMiB", path,
                    100.0 * (double)offset / (double)size, (double)size / 1048576.0);
    }
    if (progress)
        fputc('\n', stderr);
    /* Written back now, so that no phase measures the creation's writeback. */
    if (fsync(fd) < 0) {
        int err = errno;
        ret = explain(why, why_len, -err, "fsync(%s): %s", name, strerror(err));
    }
out:
    free(chunk);
    return ret;
}

static int create_file(struct datafile_set *set, struct datafile *df, char *why, size_t why_len)
{
    struct workdir *wd = get_workdir(set, df->real_dir);
    if (!wd)
        return explain(why, why_len, -ENOMEM, "out of memory");
    int ret;
    if (!wd->created) {
        ret = make_workdir(wd, why, why_len);
        if (ret < 0)
            return ret;
    }
    char name[64];
    snprintf(name, sizeof(name), "data-%llu.bin", (unsigned long long)df->size_bytes);
    df->path = join_path(wd->path, name);
    if (!df->path)
        return explain(why, why_len, -ENOMEM, "out of memory");
    df->created = true; /* before open: an interrupt must remove even a partial file */
    df->fd = open(df->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (df->fd < 0) {
        int e = errno;
        df->created = false;
        return explain(why, why_len, -e, "creating %s: %s", df->path, strerror(e));
    }
    flock(df->fd, LOCK_EX);
    char size_text[32];
    log_info("creating %s (%s of data pattern)", df->path,
             units_format_size(df->size_bytes, size_text, sizeof(size_text)));
    ret = fill_file(df->fd, df->path, df->size_bytes, why, why_len);
    if (ret < 0) {
        /* Nothing half-written is left behind. */
        close(df->fd);
        df->fd = -1;
        unlink(df->path);
        df->created = false;
        free(df->path);
        df->path = NULL;
    }
    return ret;
}

int datafile_get(struct datafile_set *set, const char *dir, uint64_t size_bytes, const char **path,
                 char *why, size_t why_len)
{
    char *real = realpath(dir, NULL);
    if (!real) {
        int e = errno;
        return explain(why, why_len, -e, "dir %s: %s", dir, strerror(e));
    }
    struct datafile *df = NULL;
    for (size_t f = 0; f < set->n_files; f++) {
        if (set->files[f].size_bytes == size_bytes && strcmp(set->files[f].real_dir, real) == 0)
            df = &set->files[f];
    }
    free(real);
    if (!df)
        return explain(why, why_len, -ENOENT, "internal error: no data file planned for %s", dir);
    if (df->reuse && !df->announced) {
        log_info("reusing the kept data file %s", df->path);
        df->announced = true;
    }
    if (!df->path) {
        int ret = create_file(set, df, why, why_len);
        if (ret < 0)
            return ret;
    }
    *path = df->path;
    return 0;
}

/* Removes a data file this run created; says so when it cannot (a failing disk). */
static void remove_file(const char *path)
{
    if (unlink(path) < 0 && errno != ENOENT)
        log_warn("could not remove %s: %s", path, strerror(errno));
}

static void drop_file(struct datafile *df, bool remove)
{
    if (df->fd >= 0)
        close(df->fd);
    df->fd = -1;
    if (df->created && remove)
        remove_file(df->path);
    df->created = false;
    df->reuse = false;
    free(df->path);
    df->path = NULL;
}

void datafile_release(struct datafile_set *set, size_t workload_index, bool keep)
{
    for (size_t f = 0; f < set->n_files; f++) {
        struct datafile *df = &set->files[f];
        if (df->last_use == workload_index && df->created && !keep)
            drop_file(df, true);
    }
}

void datafile_discard(struct datafile_set *set, const char *path)
{
    for (size_t f = 0; f < set->n_files; f++) {
        struct datafile *df = &set->files[f];
        if (df->path && strcmp(df->path, path) == 0)
            drop_file(df, true);
    }
}

uint64_t datafile_bytes_to_create(const struct datafile_set *set)
{
    uint64_t total = 0;
    for (size_t f = 0; f < set->n_files; f++)
        total += set->files[f].reuse ? 0 : set->files[f].size_bytes;
    return total;
}

void datafile_describe(const struct datafile_set *set, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t f = 0; f < set->n_files && used < len; f++) {
        const struct datafile *df = &set->files[f];
        char size[32];
        int n = snprintf(buf + used, len - used, "  %s: %s file, %s\n", df->real_dir,
                         units_format_size(df->size_bytes, size, sizeof(size)),
                         df->reuse ? "reusing kept file" : "to be created");
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

void datafile_finish(struct datafile_set *set, bool keep)
{
    if (!set)
        return;
    emergency_set = NULL;
    for (size_t f = 0; f < set->n_files; f++) {
        struct datafile *df = &set->files[f];
        if (df->created && !keep)
            remove_file(df->path);
        else if (df->created)
            log_info("kept data file %s (later runs reuse it; delete its directory when done)",
                     df->path);
        if (df->fd >= 0)
            close(df->fd);
        free(df->path);
        free(df->real_dir);
    }
    for (size_t d = 0; d < set->n_dirs; d++) {
        struct workdir *wd = &set->dirs[d];
        if (wd->created && !keep) {
            unlink(wd->marker);
            if (rmdir(wd->path) < 0)
                log_warn("could not remove %s: %s", wd->path, strerror(errno));
        }
        free(wd->path);
        free(wd->marker);
        free(wd->real_dir);
    }
    free(set->files);
    free(set->dirs);
    free(set);
}

void datafile_emergency_cleanup(void)
{
    struct datafile_set *set = emergency_set;
    if (!set)
        return;
    for (size_t f = 0; f < set->n_files; f++) {
        if (set->files[f].created && set->files[f].path)
            unlink(set->files[f].path);
    }
    for (size_t d = 0; d < set->n_dirs; d++) {
        if (set->dirs[d].created) {
            if (set->dirs[d].marker)
                unlink(set->dirs[d].marker);
            rmdir(set->dirs[d].path);
        }
    }
}
