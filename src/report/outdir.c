#include "outdir.h"

#include "log.h"
#include "signals.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LIST_MAX 3 /* names shown of a directory that is not empty */

/* The temporary file being written, for the emergency exit: valid while armed. */
static int emergency_dir_fd = -1;
static char emergency_name[OUTDIR_NAME_MAX + 16];
static dev_t emergency_dev;
static ino_t emergency_ino;
static volatile sig_atomic_t emergency_armed;

/* Lists up to LIST_MAX entries of the directory at fd into names; returns how many there
 * are (0: empty), or -errno. */
static int list_entries(int fd, char *names, size_t len)
{
    int scan = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = scan >= 0 ? fdopendir(scan) : NULL;
    if (!d) {
        int e = errno;
        if (scan >= 0)
            close(scan);
        return -e;
    }
    int count = 0;
    size_t used = 0;
    names[0] = '\0';
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (count < LIST_MAX) {
            int n = snprintf(names + used, len - used, "%s%s", count ? ", " : "", e->d_name);
            used += n > 0 && (size_t)n < len - used ? (size_t)n : 0;
        } else if (count == LIST_MAX) {
            snprintf(names + used, len - used, ", ...");
            used += strlen(names + used);
        }
        count++;
    }
    closedir(d);
    return count;
}

/* Opens output (made here when made is true: then it must not be a symlink). */
static int open_output(struct outdir *od, const char *output, bool made, bool replace)
{
    int fd = open(output, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (made ? O_NOFOLLOW : 0));
    if (fd < 0) {
        int e = errno;
        if (e == ENOTDIR)
            log_error("--output %s: exists and is not a directory (give a directory to "
                      "create, or an empty one)",
                      output);
        else
            log_error("--output %s: %s", output, strerror(e));
        return -e;
    }
    if (!made && !replace) {
        char names[256];
        int count = list_entries(fd, names, sizeof(names));
        if (count != 0) {
            if (count < 0)
                log_error("--output %s: %s", output, strerror(-count));
            else
                log_error("--output %s: exists and is not empty (it holds %s); mmbench writes "
                          "into a new or empty directory: choose another, or add --replace "
                          "to replace mmbench's result files in it",
                          output, names);
            close(fd);
            return count < 0 ? count : -EEXIST;
        }
    }
    od->fd = fd;
    return 0;
}

/* Makes a new results/<prefix>-<UTC time>[-N] and opens it. */
static int open_default(struct outdir *od, const char *prefix)
{
    if (mkdir("results", 0755) < 0 && errno != EEXIST) {
        int e = errno;
        log_error("mkdir(results): %s", strerror(e));
        return -e;
    }
    /* results/ may be a symlink the user made; below it, nothing is followed. */
    int parent = open("results", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0) {
        int e = errno;
        log_error("opening results/: %s", strerror(e));
        return -e;
    }
    char name[64];
    size_t n = 0;
    for (const char *p = prefix; *p && n < 40; p++)
        name[n++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'
                               ? *p
                               : '_');
    name[n] = '\0';
    char stamp[32], dir[128];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    int ret = -EEXIST;
    for (int attempt = 1; attempt < 1000 && ret == -EEXIST; attempt++) {
        if (attempt == 1)
            snprintf(dir, sizeof(dir), "%s-%s", name, stamp);
        else
            snprintf(dir, sizeof(dir), "%s-%s-%d", name, stamp, attempt);
        ret = mkdirat(parent, dir, 0755) == 0 ? 0 : -errno;
    }
    snprintf(od->path, sizeof(od->path), "results/%s", dir);
    if (ret == 0) {
        od->fd = openat(parent, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        ret = od->fd < 0 ? -errno : 0;
    }
    if (ret < 0)
        log_error("mkdir(%s): %s", od->path, strerror(-ret));
    close(parent);
    return ret;
}

int outdir_open(struct outdir *od, const char *output, const char *prefix, bool replace)
{
    od->fd = -1;
    od->path[0] = '\0';
    if (!output)
        return open_default(od, prefix);
    if (output[0] == '\0') {
        log_error("--output '': the name is empty (give a directory)");
        return -EINVAL;
    }
    snprintf(od->path, sizeof(od->path), "%s", output);
    bool made = mkdir(output, 0755) == 0;
    if (!made && errno != EEXIST) {
        int e = errno;
        log_error("--output %s: mkdir: %s", output, strerror(e));
        return -e;
    }
    return open_output(od, output, made, replace);
}

void outdir_close(struct outdir *od)
{
    if (od->fd >= 0)
        close(od->fd);
    od->fd = -1;
}

int outdir_create_file(const struct outdir *od, const char *name, int flags, mode_t mode)
{
    int fd = openat(od->fd, name, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    return fd < 0 ? -errno : fd;
}

int outdir_rename(const struct outdir *od, const char *from, const char *to)
{
    return renameat(od->fd, from, od->fd, to) < 0 ? -errno : 0;
}

int outdir_unlink(const struct outdir *od, const char *name)
{
    return unlinkat(od->fd, name, 0) < 0 ? -errno : 0;
}

/* stdio's write hook: completes short writes and remembers the first error's errno,
 * which stdio itself turns into a bare error flag. */
static ssize_t cookie_write(void *cookie, const char *buf, size_t size)
{
    struct outdir_file *of = cookie;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(of->fd, buf + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (!of->error)
                of->error = n < 0 ? errno : EIO;
            return 0; /* fopencookie: 0 is an error */
        }
        done += (size_t)n;
    }
    return (ssize_t)done;
}

int outdir_file_begin(struct outdir_file *of, const struct outdir *od, const char *name)
{
    memset(of, 0, sizeof(*of));
    of->od = od;
    of->fd = -1;
    of->durable = true;
    snprintf(of->name, sizeof(of->name), "%s", name);
    /* Blocked until the file is recorded for the emergency exit: an interrupt can then
     * never leave it behind. */
    sigset_t old;
    signals_block_stop(&old);
    int ret = -EEXIST;
    for (int attempt = 0; attempt < 100 && ret == -EEXIST; attempt++) {
        uint32_t random = 0;
        if (attempt && getrandom(&random, sizeof(random), GRND_NONBLOCK) != sizeof(random))
            random = (uint32_t)getpid() * 2654435761u + (uint32_t)attempt;
        if (attempt == 0)
            snprintf(of->tmp_name, sizeof(of->tmp_name), "%s.tmp", name);
        else
            snprintf(of->tmp_name, sizeof(of->tmp_name), "%s.%08x.tmp", name, random);
        ret = of->fd = outdir_create_file(od, of->tmp_name, O_WRONLY, 0644);
    }
    struct stat st;
    if (ret >= 0 && fstat(of->fd, &st) == 0) {
        emergency_armed = 0;
        emergency_dir_fd = od->fd;
        memcpy(emergency_name, of->tmp_name, sizeof(emergency_name));
        emergency_dev = st.st_dev;
        emergency_ino = st.st_ino;
        emergency_armed = 1;
    }
    signals_restore(&old);
    if (ret < 0) {
        log_error("creating %s/%s: %s", od->path, of->tmp_name, strerror(-ret));
        return ret;
    }
    static const cookie_io_functions_t io = {.write = cookie_write};
    of->f = fopencookie(of, "w", io);
    if (!of->f)
        return outdir_file_commit(of, -errno); /* removes the file, says why */
    return 0;
}

int outdir_file_commit(struct outdir_file *of, int ret)
{
    if (of->f) {
        if ((fflush(of->f) != 0 || ferror(of->f)) && ret == 0)
            ret = -EIO;
        fclose(of->f);
        of->f = NULL;
    }
    if (of->error)
        ret = -of->error; /* what the kernel said, not stdio's error flag */
    if (ret == 0 && of->durable && fsync(of->fd) < 0)
        ret = -errno;
    if (close(of->fd) < 0 && ret == 0)
        ret = -errno;
    of->fd = -1;
    if (ret == 0)
        ret = outdir_rename(of->od, of->tmp_name, of->name);
    if (ret < 0) {
        log_error("writing %s/%s: %s", of->od->path, of->name, strerror(-ret));
        outdir_unlink(of->od, of->tmp_name);
    }
    emergency_armed = 0;
    return ret;
}

void outdir_emergency_cleanup(void)
{
    if (!emergency_armed)
        return;
    struct stat st;
    if (fstatat(emergency_dir_fd, emergency_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        st.st_dev == emergency_dev && st.st_ino == emergency_ino)
        unlinkat(emergency_dir_fd, emergency_name, 0);
}
