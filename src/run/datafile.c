#include "datafile.h"

#include "errmsg.h"
#include "log.h"
#include "owner.h"
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
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define MARKER_NAME        "MMBENCH-DATA"
#define WORKDIR_PREFIX     "mmbench-"
#define WORKDIR_RANDOM     6 /* characters after the prefix, as mkdtemp's XXXXXX */
#define FILE_NAME_MAX      48
#define FILL_CHUNK_BYTES   (1u << 20)
#define PROGRESS_MIN_BYTES (64ULL << 20)
#define VERIFY_SAMPLES     64
#define MARKER_MAX         1024
#define MARKER_TITLE       "mmbench data directory"

/* A directory of mmbench's: the one this run makes in a target, or a kept one. */
struct workdir {
    int fd;                /* held open; -1 until made */
    char name[32];         /* "mmbench-XXXXXX", its name in the target */
    char *path;            /* <target>/<name>, for messages only */
    dev_t dev;             /* the directory made... */
    ino_t ino;             /* ...so that only it is ever removed */
    int marker_fd;         /* its marker, held (O_RDWR, flock) while the run lasts; -1 */
    dev_t marker_dev;      /* the marker file made in it */
    ino_t marker_ino;      /* (st_dev, st_ino) */
    volatile bool created; /* by this run, and fd is valid */
};

/* A dir of the config, opened once: everything below it is reached through fd. */
struct target {
    char *real; /* resolved path, for messages only */
    int fd;     /* the directory, held open for the run */
    dev_t dev;  /* its identity: two spellings of one dir are one target */
    ino_t ino;
    struct workdir own; /* this run's work directory in it, made on first use */
};

struct datafile {
    size_t target; /* index in set->targets */
    uint64_t size_bytes;
    size_t first_use; /* indices of the first and last workload using it */
    size_t last_use;
    char name[FILE_NAME_MAX]; /* "data-<bytes>.bin" */
    char *path;               /* for messages only, once created or reused */
    int dir_fd;               /* the work directory holding it (owned); -1 */
    int fd;                   /* O_RDWR, holds the flock while the run uses it; -1 */
    dev_t dev;                /* the file at fd (st_dev, st_ino) */
    ino_t ino;
    bool reuse;            /* an earlier run's kept file, verified */
    volatile bool created; /* by this run (deleted at the end unless kept); dev, ino valid */
    bool announced;        /* reuse reported */
};

struct datafile_set {
    struct target *targets;
    size_t n_targets;
    struct datafile *files;
    size_t n_files;
    size_t *file_of; /* per workload: index in files, or SIZE_MAX (an existing file) */
    size_t n_workloads;
    struct owner owner; /* this process, written into the markers */
    bool owner_known;   /* false without /proc: markers then say "unknown" */
    bool reclaim;       /* remove dead runs' work directories (not for --dry-run) */
};

/* The set the signal handler cleans up after. Published by datafile_plan only once every
 * array in it (targets, files) has its final size: nothing is realloc'd while the handler
 * may walk them; later changes are to elements' fields only. */
static struct datafile_set *volatile emergency_set;

static char *join_path(const char *dir, const char *name)
{
    char *path;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return NULL;
    return path;
}

/* Unlinks name in dir_fd if it still is the inode (dev, ino) mmbench made. Returns 0,
 * -ESTALE when the name now refers to something else (left alone), or -errno (-ENOENT:
 * already gone). Async-signal-safe. */
static int unlink_ours(int dir_fd, const char *name, dev_t dev, ino_t ino, int flags)
{
    struct stat st;
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (st.st_dev != dev || st.st_ino != ino)
        return -ESTALE;
    return unlinkat(dir_fd, name, flags) < 0 ? -errno : 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Checks samples of fd's content; why (if not NULL) receives the reason for a refusal. */
static int verify(int fd, uint64_t size_bytes, char *why, size_t why_len)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return why ? errmsg_set(why, why_len, -EILSEQ, "not a regular file") : -EILSEQ;
    if ((uint64_t)st.st_size != size_bytes || size_bytes < 8)
        return why ? errmsg_set(why, why_len, -EILSEQ, "%lld bytes instead of %llu",
                                (long long)st.st_size, (unsigned long long)size_bytes)
                   : -EILSEQ;
    uint64_t words = size_bytes / 8;
    for (uint64_t i = 0; i <= VERIFY_SAMPLES; i++) {
        uint64_t word = i == VERIFY_SAMPLES ? words - 1 : words / VERIFY_SAMPLES * i;
        uint64_t offset = word * 8, value;
        ssize_t n = pread(fd, &value, sizeof(value), (off_t)offset);
        if (n < 0)
            return -errno;
        if (n != sizeof(value) || !pattern_is_ours(value, offset))
            return why ? errmsg_set(why, why_len, -EILSEQ,
                                    "the word at offset %llu is not mmbench's data pattern",
                                    (unsigned long long)offset)
                       : -EILSEQ;
    }
    return 0;
}

int datafile_verify(int fd, uint64_t size_bytes)
{
    return verify(fd, size_bytes, NULL, 0);
}

/* Opens name in dir_fd as a directory, never through a symlink. */
static int open_dir_at(int dir_fd, const char *name)
{
    return openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* A listing of the directory at dir_fd, on a descriptor of its own (readdir must not
 * move dir_fd's offset), or NULL. */
static DIR *open_listing(int dir_fd)
{
    int fd = open_dir_at(dir_fd, ".");
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d && fd >= 0)
        close(fd);
    return d;
}

/* What a work directory's marker says. */
struct marker_info {
    bool has_owner;     /* an owner line: markers of older versions have none */
    struct owner owner; /* valid with has_owner */
    bool kept;          /* state "kept" (--keep-files), or an older marker */
};

/* The marker's text: what the directory is, who made it, whether it was kept. */
static int marker_text(const struct datafile_set *set, bool kept, char *buf, size_t len)
{
    char owner[OWNER_TEXT_MAX] = "unknown";
    if (set->owner_known)
        owner_format(&set->owner, owner, sizeof(owner));
    return snprintf(buf, len,
                    MARKER_TITLE
                    ": the data files of mmbench runs, nothing else.\n"
                    "owner: %s\n"
                    "state: %s\n"
                    "While the state is \"in use\", its owner (process id, start time in clock\n"
                    "ticks after boot, boot id) runs with it and removes it at the end. A later\n"
                    "run removes it if that process died (it was killed), and reuses the data\n"
                    "files of a \"kept\" one (--keep-files). Safe to delete when no run uses it.\n",
                    owner, kept ? "kept" : "in use");
}

/* Reads the marker of the work directory at wfd. Returns 0, or -errno (-EINVAL: not a
 * marker mmbench wrote). */
static int read_marker(int wfd, struct marker_info *mi)
{
    memset(mi, 0, sizeof(*mi));
    int fd = openat(wfd, MARKER_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        int e = fd < 0 ? errno : EINVAL;
        if (fd >= 0)
            close(fd);
        return -e;
    }
    char text[MARKER_MAX];
    ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
    close(fd);
    if (n < 0)
        return -errno;
    text[n] = '\0';
    if (strncmp(text, MARKER_TITLE, strlen(MARKER_TITLE)) != 0)
        return -EINVAL;
    const char *owner = strstr(text, "\nowner: ");
    const char *state = strstr(text, "\nstate: ");
    if (!owner || !state) {
        mi->kept = true; /* an older mmbench's: its files may only be reused */
        return 0;
    }
    char line[OWNER_TEXT_MAX];
    snprintf(line, sizeof(line), "%.*s", (int)strcspn(owner + 8, "\n"), owner + 8);
    mi->has_owner = owner_parse(line, &mi->owner) == 0;
    mi->kept = strncmp(state + 8, "kept\n", 5) == 0;
    return 0;
}

/* data-<digits>.bin: a name mmbench gives data files. */
static bool is_data_name(const char *name)
{
    size_t digits = strspn(name + 5, "0123456789");
    return strncmp(name, "data-", 5) == 0 && digits > 0 && strcmp(name + 5 + digits, ".bin") == 0;
}

static bool is_workdir_name(const char *name)
{
    return strncmp(name, WORKDIR_PREFIX, strlen(WORKDIR_PREFIX)) == 0 &&
           strlen(name) == strlen(WORKDIR_PREFIX) + WORKDIR_RANDOM;
}

/* Opens name in t if it is a work directory of this user's with an mmbench marker, which
 * mi receives. Returns its descriptor, or -1. */
static int open_workdir(const struct target *t, const char *name, struct marker_info *mi)
{
    if (!is_workdir_name(name))
        return -1;
    int wfd = open_dir_at(t->fd, name);
    struct stat st;
    if (wfd >= 0 && (fstat(wfd, &st) < 0 || st.st_uid != geteuid() || read_marker(wfd, mi) < 0))
        close_fd(&wfd);
    return wfd;
}

/* Whether the work directory at wfd holds nothing but mmbench's: its marker and data
 * files, all regular files. Else foreign names the first thing that is not. */
static bool workdir_all_ours(int wfd, char *foreign, size_t len)
{
    DIR *d = open_listing(wfd);
    if (!d) {
        snprintf(foreign, len, "entries that could not be listed");
        return false;
    }
    bool ours = true;
    struct dirent *e;
    while (ours && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        ours = (strcmp(e->d_name, MARKER_NAME) == 0 || is_data_name(e->d_name)) &&
               fstatat(wfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
        if (!ours)
            snprintf(foreign, len, "%s", e->d_name);
    }
    closedir(d);
    return ours;
}

/* Unlinks name in wfd if it is a regular file that no process holds a lock on (a live
 * run locks its data files and its marker). Returns 0 or -errno (-EBUSY: locked). */
static int unlink_unused(int wfd, const char *name)
{
    int fd = openat(wfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    int ret = fd < 0 || fstat(fd, &st) < 0 ? -errno : 0;
    if (ret == 0 && !S_ISREG(st.st_mode))
        ret = -EINVAL;
    if (ret == 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
        ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
    if (ret == 0)
        ret = unlink_ours(wfd, name, st.st_dev, st.st_ino, 0);
    close_fd(&fd);
    return ret;
}

/* Removes the work directory name (open at wfd) of target t, when everything in it is
 * mmbench's and unused. Returns 0, or -ENOTEMPTY (foreign names what is not mmbench's),
 * -EBUSY (a file is in use) or -errno. */
static int remove_workdir_if_ours(const struct target *t, const char *name, int wfd, char *foreign,
                                  size_t len)
{
    if (!workdir_all_ours(wfd, foreign, len))
        return -ENOTEMPTY;
    DIR *d = open_listing(wfd);
    if (!d)
        return -errno;
    int ret = 0;
    struct dirent *e;
    while (ret == 0 && (e = readdir(d)) != NULL)
        if (is_data_name(e->d_name))
            ret = unlink_unused(wfd, e->d_name);
    closedir(d);
    if (ret == 0)
        ret = unlink_unused(wfd, MARKER_NAME);
    struct stat st;
    if (ret == 0)
        ret = fstat(wfd, &st) < 0 ? -errno
                                  : unlink_ours(t->fd, name, st.st_dev, st.st_ino, AT_REMOVEDIR);
    if (ret == -ENOTEMPTY)
        snprintf(foreign, len, "a file that appeared meanwhile");
    return ret == -ENOENT ? 0 : ret;
}

/* path quoted for a shell command in a message. */
static const char *shell_quoted(const char *path, char *buf, size_t len)
{
    size_t used = 0;
    buf[used++] = '\'';
    for (const char *p = path; *p && used + 6 < len; p++) {
        if (*p == '\'') {
            memcpy(buf + used, "'\\''", 4);
            used += 4;
        } else {
            buf[used++] = *p;
        }
    }
    buf[used++] = '\'';
    buf[used] = '\0';
    return buf;
}

/* Finds the work directories that runs killed before their end left in t (state "in
 * use", owner no longer running) and removes each one that holds only mmbench's files;
 * names the others with the command that removes them. With !reclaim (--dry-run) only
 * says what a run would do. */
static void reclaim_leftovers(const struct target *t, bool reclaim)
{
    DIR *d = open_listing(t->fd);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct marker_info mi;
        int wfd = open_workdir(t, e->d_name, &mi);
        if (wfd < 0 || mi.kept || !mi.has_owner || owner_state(&mi.owner) != OWNER_DEAD) {
            close_fd(&wfd);
            continue;
        }
        char path[PATH_MAX], quoted[PATH_MAX + 64], foreign[NAME_MAX + 1] = "";
        snprintf(path, sizeof(path), "%s/%s", t->real, e->d_name);
        long pid = (long)mi.owner.pid;
        int ret = reclaim ? remove_workdir_if_ours(t, e->d_name, wfd, foreign, sizeof(foreign)) : 0;
        if (!reclaim)
            log_info("%s was left by process %ld, which no longer runs (killed?); a run (not "
                     "--dry-run) removes it",
                     path, pid);
        else if (ret == 0)
            log_warn("removed %s, left by process %ld, which no longer runs (killed?)", path, pid);
        else if (ret == -ENOTEMPTY)
            log_warn("%s was left by process %ld, which no longer runs (killed?), but it holds "
                     "%s, which mmbench did not make: remove it yourself when you do not need "
                     "it: rm -r -- %s",
                     path, pid, foreign, shell_quoted(path, quoted, sizeof(quoted)));
        else if (ret != -EBUSY)
            log_warn("%s was left by process %ld, which no longer runs (killed?), and could not "
                     "be removed: %s; remove it with: rm -r -- %s",
                     path, pid, strerror(-ret), shell_quoted(path, quoted, sizeof(quoted)));
        close(wfd);
    }
    closedir(d);
}

/* A kept file that failed verification: said so, and removed when it is provably
 * mmbench's (in a work directory with nothing else, locked by no run: fd holds the lock
 * now) along with its directory if nothing else is left; else named. */
static void reject_kept_file(const struct target *t, const char *dir_name, int wfd, int fd,
                             const char *file_name, const char *why)
{
    char path[PATH_MAX], quoted[PATH_MAX + 64], foreign[NAME_MAX + 1];
    snprintf(path, sizeof(path), "%s/%s/%s", t->real, dir_name, file_name);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        workdir_all_ours(wfd, foreign, sizeof(foreign)) &&
        unlink_ours(wfd, file_name, st.st_dev, st.st_ino, 0) == 0) {
        log_warn("kept data file %s rejected (%s): removed it (its directory holds only "
                 "mmbench's files, and no run used it)",
                 path, why);
        struct stat dir;
        bool only_marker = true;
        /* The directory goes too once nothing but its marker is left. */
        DIR *d = open_listing(wfd);
        struct dirent *e;
        while (d && only_marker && (e = readdir(d)) != NULL)
            only_marker = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
                          strcmp(e->d_name, MARKER_NAME) == 0;
        if (d)
            closedir(d);
        if (d && only_marker && unlink_unused(wfd, MARKER_NAME) == 0 && fstat(wfd, &dir) == 0)
            unlink_ours(t->fd, dir_name, dir.st_dev, dir.st_ino, AT_REMOVEDIR);
        return;
    }
    log_warn("kept data file %s rejected (%s): left in place; remove it with: rm -- %s", path, why,
             shell_quoted(path, quoted, sizeof(quoted)));
}

/* Looks in the target for a kept mmbench file for df that no other run holds; on success
 * df holds it (fd, flock, its directory). A kept file of the right name that fails
 * verification is rejected, and says why. */
static void find_kept_file(const struct target *t, struct datafile *df)
{
    DIR *d = open_listing(t->fd);
    if (!d)
        return;
    struct dirent *e;
    while (df->fd < 0 && (e = readdir(d)) != NULL) {
        struct marker_info mi;
        int wfd = open_workdir(t, e->d_name, &mi);
        if (wfd < 0 || !mi.kept) {
            close_fd(&wfd);
            continue;
        }
        struct stat st;
        /* O_NONBLOCK: a FIFO of that name must not hang the run. */
        int fd = openat(wfd, df->name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        char why[128] = "";
        if (fd < 0 && errno != ENOENT)
            snprintf(why, sizeof(why), "cannot be opened: %s", strerror(errno));
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
            log_debug("kept data file %s/%s/%s is in use by another run", t->real, e->d_name,
                      df->name);
            close_fd(&fd);
        }
        int ret = 0;
        if (fd >= 0 && fstat(fd, &st) < 0)
            snprintf(why, sizeof(why), "cannot be examined: %s", strerror(errno));
        else if (fd >= 0 && !S_ISREG(st.st_mode))
            snprintf(why, sizeof(why), "not a regular file");
        else if (fd >= 0 && st.st_nlink != 1)
            snprintf(why, sizeof(why), "%lu names refer to it", (unsigned long)st.st_nlink);
        else if (fd >= 0 && (ret = verify(fd, df->size_bytes, why, sizeof(why))) < 0 && !why[0])
            snprintf(why, sizeof(why), "cannot be read: %s", strerror(-ret));
        char *path = NULL;
        if (fd >= 0 && !why[0] && asprintf(&path, "%s/%s/%s", t->real, e->d_name, df->name) >= 0) {
            df->path = path;
            df->fd = fd;
            df->dir_fd = wfd;
            df->dev = st.st_dev;
            df->ino = st.st_ino;
            df->reuse = true;
            continue;
        }
        if (why[0])
            reject_kept_file(t, e->d_name, wfd, fd, df->name, why);
        close_fd(&fd);
        close_fd(&wfd);
    }
    closedir(d);
}

/* Opens dir (following a symlink the user named: dir is theirs to choose) and finds or
 * adds its target. */
static int open_target(struct datafile_set *set, const char *dir, size_t *index, char *err,
                       size_t len)
{
    struct stat st;
    if (stat(dir, &st) < 0) {
        int e = errno;
        return errmsg_set(err, len, -e,
                          "dir %s: %s (create it, or set dir to an existing "
                          "directory)",
                          dir, strerror(e));
    }
    if (!S_ISDIR(st.st_mode)) {
        const char *what = S_ISBLK(st.st_mode)   ? "a block device"
                           : S_ISREG(st.st_mode) ? "a regular file"
                                                 : "not a directory";
        return errmsg_set(err, len, -ENOTDIR,
                          "dir %s: is %s; mmbench never writes to existing files or devices, "
                          "it creates its data files in a directory of its own inside dir",
                          dir, what);
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        close_fd(&fd);
        return errmsg_set(err, len, -e, "dir %s: %s", dir, strerror(e));
    }
    for (size_t i = 0; i < set->n_targets; i++) {
        if (set->targets[i].dev == st.st_dev && set->targets[i].ino == st.st_ino) {
            close(fd);
            *index = i;
            return 0;
        }
    }
    if (faccessat(fd, ".", W_OK | X_OK, 0) < 0) {
        int e = errno;
        close(fd);
        return errmsg_set(err, len, -e, "dir %s: not writable (%s)", dir, strerror(e));
    }
    char *real = realpath(dir, NULL);
    struct target *grown = realloc(set->targets, (set->n_targets + 1) * sizeof(*grown));
    if (!real || !grown) {
        int e = real ? ENOMEM : errno;
        free(real);
        if (grown)
            set->targets = grown;
        close(fd);
        return errmsg_set(err, len, -e, "dir %s: %s", dir, strerror(e));
    }
    set->targets = grown;
    struct target *t = &set->targets[set->n_targets];
    memset(t, 0, sizeof(*t));
    t->real = real;
    t->fd = fd;
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    t->own.fd = t->own.marker_fd = -1;
    *index = set->n_targets++;
    reclaim_leftovers(t, set->reclaim);
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
            if (set->targets[df->target].dev == dev && !df->reuse && df->first_use == i) {
                live += df->size_bytes;
                peak = live > peak ? live : peak;
            }
        }
        for (size_t f = 0; f < set->n_files; f++) {
            const struct datafile *df = &set->files[f];
            if (set->targets[df->target].dev == dev && !df->reuse && df->last_use == i)
                live -= df->size_bytes;
        }
    }
    return peak;
}

static int check_space(const struct datafile_set *set, size_t n_workloads, char *err, size_t len)
{
    for (size_t t = 0; t < set->n_targets; t++) {
        const struct target *target = &set->targets[t];
        bool first_on_fs = true;
        for (size_t u = 0; u < t; u++)
            first_on_fs = first_on_fs && set->targets[u].dev != target->dev;
        if (!first_on_fs)
            continue;
        uint64_t need = peak_bytes(set, target->dev, n_workloads);
        if (need == 0)
            continue;
        struct statvfs vfs;
        if (fstatvfs(target->fd, &vfs) < 0) {
            int e = errno;
            return errmsg_set(err, len, -e, "statvfs(%s): %s", target->real, strerror(e));
        }
        uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        uint64_t margin = need / 100 + (1u << 20); /* filesystem metadata */
        if (need + margin > avail) {
            char a[32], b[32];
            snprintf(a, sizeof(a), "%.1fMiB", (double)need / 1048576.0);
            snprintf(b, sizeof(b), "%.1fMiB", (double)avail / 1048576.0);
            return errmsg_set(err, len, -ENOSPC,
                              "dir %s: the data files need up to %s (plus 1%% for metadata) "
                              "but only %s is free there (statvfs); free space, choose another "
                              "dir, or use a smaller file_size",
                              target->real, a, b);
        }
    }
    return 0;
}

int datafile_use_existing(struct workload *w, bool allowed, char *err, size_t err_len)
{
    if (!allowed)
        return errmsg_set(err, err_len, -EPERM,
                          "file %s: reading an existing file needs --read-existing (mmbench "
                          "only reads it, and never writes to it)",
                          w->file);
    int fd = open(w->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return errmsg_set(err, err_len, -e, "file %s: %s", w->file, strerror(e));
    }
    struct stat st;
    uint64_t size = 0;
    int ret = 0;
    if (fstat(fd, &st) < 0) {
        ret = -errno;
        errmsg_set(err, err_len, ret, "file %s: %s", w->file, strerror(-ret));
    } else if (S_ISREG(st.st_mode)) {
        size = (uint64_t)st.st_size;
    } else if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
            ret = -errno;
            errmsg_set(err, err_len, ret, "file %s: BLKGETSIZE64: %s", w->file, strerror(-ret));
        }
    } else {
        ret = errmsg_set(err, err_len, -EINVAL, "file %s: not a regular file or a block device",
                         w->file);
    }
    close(fd);
    if (ret < 0)
        return ret;
    w->file_size_bytes = size / 8 * 8;
    if (w->file_size_bytes < w->block_size_bytes)
        return errmsg_set(err, err_len, -EINVAL, "file %s: %llu bytes, less than block_size",
                          w->file, (unsigned long long)size);
    return 0;
}

/* Adds the file of size_bytes in target t used by workload i, or extends its use. */
static int plan_file(struct datafile_set *set, size_t t, uint64_t size_bytes, size_t i,
                     size_t *index)
{
    for (size_t f = 0; f < set->n_files; f++) {
        if (set->files[f].size_bytes == size_bytes && set->files[f].target == t) {
            set->files[f].last_use = i;
            *index = f;
            return 0;
        }
    }
    struct datafile *grown = realloc(set->files, (set->n_files + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    set->files = grown;
    struct datafile *df = &set->files[set->n_files];
    memset(df, 0, sizeof(*df));
    df->target = t;
    df->size_bytes = size_bytes;
    df->first_use = df->last_use = i;
    df->fd = df->dir_fd = -1;
    snprintf(df->name, sizeof(df->name), "data-%llu.bin", (unsigned long long)size_bytes);
    find_kept_file(&set->targets[t], df);
    *index = set->n_files++;
    return 0;
}

int datafile_plan(const struct workload *workloads, size_t n, bool reclaim,
                  struct datafile_set **out, char *err, size_t err_len)
{
    struct datafile_set *set = calloc(1, sizeof(*set));
    if (set)
        set->file_of = calloc(n ? n : 1, sizeof(*set->file_of));
    if (!set || !set->file_of) {
        free(set);
        return errmsg_set(err, err_len, -ENOMEM, "out of memory");
    }
    set->n_workloads = n;
    set->reclaim = reclaim;
    set->owner_known = owner_self(&set->owner) == 0;
    int ret = 0;
    for (size_t i = 0; i < n; i++) {
        const struct workload *w = &workloads[i];
        set->file_of[i] = SIZE_MAX;
        if (w->file)
            continue; /* an existing file: nothing to create */
        size_t t = 0;
        ret = open_target(set, w->dir, &t, err, err_len);
        if (ret < 0)
            goto out;
        if (plan_file(set, t, w->file_size_bytes, i, &set->file_of[i]) < 0) {
            ret = errmsg_set(err, err_len, -ENOMEM, "out of memory");
            goto out;
        }
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

/* Makes this run's work directory in t (mode 0700, a random name, as mkdtemp) and its
 * marker, relative to t->fd. */
static int make_workdir(const struct datafile_set *set, struct target *t, char *why, size_t why_len)
{
    struct workdir *wd = &t->own;
    static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    char name[sizeof(wd->name)];
    for (int attempt = 0;; attempt++) {
        unsigned char random[WORKDIR_RANDOM];
        if (getrandom(random, sizeof(random), GRND_NONBLOCK) != (ssize_t)sizeof(random)) {
            uint64_t x = prng_mix64(((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^
                                    (uint64_t)attempt << 48);
            memcpy(random, &x, sizeof(random));
        }
        size_t used = (size_t)snprintf(name, sizeof(name), "%s", WORKDIR_PREFIX);
        for (size_t i = 0; i < sizeof(random); i++)
            name[used++] = letters[random[i] % (sizeof(letters) - 1)];
        name[used] = '\0';
        if (mkdirat(t->fd, name, 0700) == 0)
            break;
        if (errno != EEXIST || attempt == 100) {
            int e = errno;
            return errmsg_set(why, why_len, -e, "mkdir(%s/%s): %s", t->real, name, strerror(e));
        }
    }
    wd->path = join_path(t->real, name);
    if (!wd->path)
        return errmsg_set(why, why_len, -ENOMEM, "out of memory");
    /* Whatever is at the name now is opened only if it is a directory, never through a
     * symlink; a directory swapped in would receive files mmbench creates (O_EXCL), and
     * mmbench would remove only those. */
    int fd = open_dir_at(t->fd, name);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        close_fd(&fd);
        return errmsg_set(why, why_len, -e, "opening %s: %s", wd->path, strerror(e));
    }
    if (st.st_uid != geteuid()) {
        close(fd);
        return errmsg_set(why, why_len, -EPERM,
                          "%s: not the directory mmbench just made (owned by uid %ld)", wd->path,
                          (long)st.st_uid);
    }
    snprintf(wd->name, sizeof(wd->name), "%s", name);
    wd->dev = st.st_dev;
    wd->ino = st.st_ino;
    wd->fd = fd;
    wd->created = true;
    /* Held and locked for the run: no other run takes the directory for a dead one's. */
    wd->marker_fd =
        openat(fd, MARKER_NAME, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (wd->marker_fd < 0 || fstat(wd->marker_fd, &st) < 0) {
        int e = errno;
        close_fd(&wd->marker_fd);
        return errmsg_set(why, why_len, -e, "creating %s/%s: %s", wd->path, MARKER_NAME,
                          strerror(e));
    }
    flock(wd->marker_fd, LOCK_EX);
    wd->marker_dev = st.st_dev;
    wd->marker_ino = st.st_ino;
    char text[MARKER_MAX];
    int n = marker_text(set, false, text, sizeof(text));
    ssize_t written = pwrite(wd->marker_fd, text, (size_t)n, 0);
    int e = written == n ? 0 : written < 0 ? errno : EIO;
    if (e)
        return errmsg_set(why, why_len, -e, "writing %s/%s: %s", wd->path, MARKER_NAME,
                          strerror(e));
    return 0;
}

/* Marks this run's work directory in t as kept (--keep-files), for later runs to reuse. */
static void mark_kept(const struct datafile_set *set, const struct target *t)
{
    const struct workdir *wd = &t->own;
    char text[MARKER_MAX];
    int n = marker_text(set, true, text, sizeof(text));
    if (ftruncate(wd->marker_fd, 0) < 0 || pwrite(wd->marker_fd, text, (size_t)n, 0) != n)
        log_warn("could not mark %s as kept (%s/%s: %s): later runs will remove it", wd->path,
                 wd->path, MARKER_NAME, strerror(errno ? errno : EIO));
}

/* Removes df's file if this run created it and the name still refers to it; says so when
 * it cannot (a failing disk, a name that now refers to another file). */
static void remove_file(const struct datafile *df)
{
    int ret = unlink_ours(df->dir_fd, df->name, df->dev, df->ino, 0);
    if (ret == -ESTALE)
        log_warn("left %s alone: the name no longer refers to the file mmbench created", df->path);
    else if (ret < 0 && ret != -ENOENT)
        log_warn("could not remove %s: %s", df->path, strerror(-ret));
}

static void drop_file(struct datafile *df, bool remove)
{
    if (df->created && remove)
        remove_file(df);
    df->created = false;
    df->reuse = false;
    df->announced = false;
    close_fd(&df->fd);
    close_fd(&df->dir_fd);
    free(df->path);
    df->path = NULL;
}

/* Fills fd with the data pattern and flushes it to disk. On error, why says which call
 * failed, at which offset, and why. */
static int fill_file(int fd, const char *path, uint64_t size, char *why, size_t why_len)
{
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    uint64_t *chunk = malloc(FILL_CHUNK_BYTES);
    if (!chunk)
        return errmsg_set(why, why_len, -ENOMEM, "out of memory");
    int ret = 0;
    bool progress =
        size >= PROGRESS_MIN_BYTES && isatty(STDERR_FILENO) && log_get_level() >= LOG_INFO;
    /* Reserve the space first: ENOSPC now rather than halfway, and less fragmentation. */
    int e = posix_fallocate(fd, 0, (off_t)size);
    if (e != 0 && e != EOPNOTSUPP && e != EINVAL) {
        ret = errmsg_set(why, why_len, -e, "fallocate(%s, offset 0, %llu bytes): %s", name,
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
                ret = errmsg_set(why, why_len, -err, "pwrite(%s, offset %llu, %llu bytes): %s",
                                 name, (unsigned long long)(offset + done),
                                 (unsigned long long)(len - done), strerror(err));
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
        ret = errmsg_set(why, why_len, -err, "fsync(%s): %s", name, strerror(err));
    }
out:
    free(chunk);
    return ret;
}

/* Forgets this run's work directory in t when someone deleted it (files can no longer
 * be created in it), so that a new one is made. */
static void check_workdir(struct target *t)
{
    struct workdir *wd = &t->own;
    struct stat st;
    if (!wd->created || fstat(wd->fd, &st) < 0 || st.st_nlink > 0)
        return;
    log_warn("%s was deleted during the run: making a new one", wd->path);
    wd->created = false; /* first: the emergency exit must not use what follows */
    close_fd(&wd->marker_fd);
    close_fd(&wd->fd);
    free(wd->path);
    wd->path = NULL;
}

/* Creates df's file (empty) in its work directory, and records it for removal. */
static int open_new_file(struct datafile *df, const struct workdir *wd, char *why, size_t why_len)
{
    df->dir_fd = fcntl(wd->fd, F_DUPFD_CLOEXEC, 0);
    df->path = join_path(wd->path, df->name);
    if (df->dir_fd < 0 || !df->path) {
        int e = df->dir_fd < 0 ? errno : ENOMEM;
        drop_file(df, false);
        return errmsg_set(why, why_len, -e, "creating %s/%s: %s", wd->path, df->name, strerror(e));
    }
    df->fd = openat(df->dir_fd, df->name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    struct stat st;
    if (df->fd < 0 || fstat(df->fd, &st) < 0) {
        int e = errno;
        errmsg_set(why, why_len, -e, "creating %s: %s", df->path, strerror(e));
        drop_file(df, false);
        return -e;
    }
    df->dev = st.st_dev;
    df->ino = st.st_ino;
    df->created = true; /* now an interrupt removes even a partial file */
    return 0;
}

static int create_file(struct datafile_set *set, struct datafile *df, char *why, size_t why_len)
{
    struct target *t = &set->targets[df->target];
    struct workdir *wd = &t->own;
    check_workdir(t);
    /* Made and recorded for the emergency exit with no stop signal in between: a second
     * Ctrl-C can never leave the directory or the file behind. */
    sigset_t old;
    signals_block_stop(&old);
    int ret = wd->created ? 0 : make_workdir(set, t, why, why_len);
    if (ret == 0)
        ret = open_new_file(df, wd, why, why_len);
    signals_restore(&old);
    if (ret < 0)
        return ret;
    flock(df->fd, LOCK_EX);
    char size_text[32];
    log_info("creating %s (%s of data pattern)", df->path,
             units_format_size(df->size_bytes, size_text, sizeof(size_text)));
    ret = fill_file(df->fd, df->path, df->size_bytes, why, why_len);
    if (ret < 0)
        drop_file(df, true); /* nothing half-written is left behind */
    return ret;
}

/* Drops the file df holds when it is no longer what the run needs: deleted (no name
 * left), its name now another file's, or another size. It is then created afresh. */
static void check_in_place(struct datafile *df)
{
    struct stat held, named;
    if (df->fd < 0 || fstat(df->fd, &held) < 0)
        return; /* nothing held, or a failing disk that the run will report */
    bool named_ok = fstatat(df->dir_fd, df->name, &named, AT_SYMLINK_NOFOLLOW) == 0;
    if (!named_ok && errno != ENOENT)
        return; /* likewise */
    bool ours = named_ok && named.st_dev == held.st_dev && named.st_ino == held.st_ino;
    const char *what = held.st_nlink == 0 || !named_ok            ? "was deleted"
                       : !ours                                    ? "was replaced by another file"
                       : (uint64_t)held.st_size != df->size_bytes ? "changed size"
                                                                  : NULL;
    if (!what)
        return;
    log_warn("the data file %s %s during the run: creating it afresh", df->path, what);
    drop_file(df, ours); /* removed only while its name is still this run's file */
}

int datafile_get(struct datafile_set *set, size_t workload_index, int *fd, const char **label,
                 char *why, size_t why_len)
{
    if (workload_index >= set->n_workloads || set->file_of[workload_index] == SIZE_MAX)
        return errmsg_set(why, why_len, -ENOENT,
                          "internal error: no data file planned for workload %zu", workload_index);
    struct datafile *df = &set->files[set->file_of[workload_index]];
    check_in_place(df);
    if (df->reuse && !df->announced) {
        log_info("reusing the kept data file %s", df->path);
        df->announced = true;
    }
    if (df->fd < 0) {
        int ret = create_file(set, df, why, why_len);
        if (ret < 0)
            return ret;
    }
    *fd = df->fd;
    *label = df->path;
    return 0;
}

void datafile_release(struct datafile_set *set, size_t workload_index, bool keep)
{
    for (size_t f = 0; f < set->n_files; f++) {
        struct datafile *df = &set->files[f];
        if (df->last_use == workload_index && df->created && !keep)
            drop_file(df, true);
    }
}

void datafile_discard(struct datafile_set *set, int fd)
{
    for (size_t f = 0; f < set->n_files; f++) {
        struct datafile *df = &set->files[f];
        if (df->fd >= 0 && df->fd == fd)
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
        int n =
            snprintf(buf + used, len - used, "  %s: %s file, %s\n", set->targets[df->target].real,
                     units_format_size(df->size_bytes, size, sizeof(size)),
                     df->reuse ? "reusing kept file" : "to be created");
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Removes a work directory that was moved elsewhere during the run (its name in the
 * target no longer refers to it): found through its descriptor, removed only if it is
 * still the directory made and empty. Returns 0 or -errno. */
static int remove_moved_workdir(const struct workdir *wd)
{
    char proc[64], where[PATH_MAX];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", wd->fd);
    ssize_t n = readlink(proc, where, sizeof(where) - 1);
    if (n < 0)
        return -errno;
    where[n] = '\0';
    if (strstr(where, " (deleted)"))
        return 0; /* someone removed it already */
    const char *base = strrchr(where, '/');
    int parent = openat(wd->fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (!base || parent < 0) {
        close_fd(&parent);
        return -ENOENT;
    }
    int ret = unlink_ours(parent, base + 1, wd->dev, wd->ino, AT_REMOVEDIR);
    close(parent);
    if (ret == 0)
        log_warn("%s was moved to %s during the run; removed it there", wd->path, where);
    return ret;
}

static void remove_workdir(struct target *t)
{
    struct workdir *wd = &t->own;
    int ret = unlink_ours(wd->fd, MARKER_NAME, wd->marker_dev, wd->marker_ino, 0);
    if (ret < 0 && ret != -ENOENT)
        log_warn("could not remove %s/%s: %s", wd->path, MARKER_NAME,
                 ret == -ESTALE ? "it is no longer the marker mmbench made" : strerror(-ret));
    ret = unlink_ours(t->fd, wd->name, wd->dev, wd->ino, AT_REMOVEDIR);
    if (ret == -ESTALE || ret == -ENOENT)
        ret = remove_moved_workdir(wd);
    if (ret < 0)
        log_warn("could not remove %s: %s", wd->path,
                 ret == -ENOTEMPTY ? "it holds files mmbench did not create" : strerror(-ret));
}

void datafile_finish(struct datafile_set *set, bool keep)
{
    if (!set)
        return;
    emergency_set = NULL;
    for (size_t f = 0; f < set->n_files; f++) {
        struct datafile *df = &set->files[f];
        if (df->created && keep)
            log_info("kept data file %s (later runs reuse it; delete its directory when done)",
                     df->path);
        drop_file(df, !keep);
    }
    for (size_t t = 0; t < set->n_targets; t++) {
        struct target *target = &set->targets[t];
        if (target->own.created && !keep)
            remove_workdir(target);
        else if (target->own.created)
            mark_kept(set, target);
        target->own.created = false;
        close_fd(&target->own.marker_fd);
        close_fd(&target->own.fd);
        close_fd(&target->fd);
        free(target->own.path);
        free(target->real);
    }
    free(set->files);
    free(set->targets);
    free(set->file_of);
    free(set);
}

void datafile_emergency_cleanup(void)
{
    struct datafile_set *set = emergency_set;
    if (!set)
        return;
    for (size_t f = 0; f < set->n_files; f++) {
        const struct datafile *df = &set->files[f];
        if (df->created)
            unlink_ours(df->dir_fd, df->name, df->dev, df->ino, 0);
    }
    for (size_t t = 0; t < set->n_targets; t++) {
        const struct target *target = &set->targets[t];
        const struct workdir *wd = &target->own;
        if (wd->created) {
            unlink_ours(wd->fd, MARKER_NAME, wd->marker_dev, wd->marker_ino, 0);
            unlink_ours(target->fd, wd->name, wd->dev, wd->ino, AT_REMOVEDIR);
        }
    }
}
