#include "owner.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STAT_START_FIELD 22 /* proc(5): starttime */

/* Reads a small file into buf (NUL-terminated). Returns its length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return -e;
    buf[n] = '\0';
    return n;
}

/* The state (field 3) and start time (field 22) of /proc/PID/stat text. The command
 * name (field 2) may hold spaces and parentheses, so fields are counted from its last
 * ')'. */
static int parse_stat(const char *text, char *state, unsigned long long *start_ticks)
{
    const char *p = strrchr(text, ')');
    if (!p)
        return -EINVAL;
    p++;
    for (int field = 3; field < STAT_START_FIELD; field++) {
        while (*p == ' ')
            p++;
        if (field == 3)
            *state = *p;
        while (*p && *p != ' ')
            p++;
    }
    char *end;
    errno = 0;
    *start_ticks = strtoull(p, &end, 10);
    return end == p || errno ? -EINVAL : 0;
}

static int stat_of(pid_t pid, char *state, unsigned long long *start_ticks)
{
    char path[32], text[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    ssize_t n = read_small(path, text, sizeof(text));
    return n < 0 ? (int)n : parse_stat(text, state, start_ticks);
}

/* This boot's id, or "" when the kernel does not say. */
static void current_boot_id(char id[OWNER_BOOT_ID_LEN + 1])
{
    char text[64];
    id[0] = '\0';
    if (read_small("/proc/sys/kernel/random/boot_id", text, sizeof(text)) >= OWNER_BOOT_ID_LEN) {
        memcpy(id, text, OWNER_BOOT_ID_LEN);
        id[OWNER_BOOT_ID_LEN] = '\0';
    }
}

int owner_self(struct owner *o)
{
    memset(o, 0, sizeof(*o));
    o->pid = getpid();
    char state;
    int ret = stat_of(o->pid, &state, &o->start_ticks);
    if (ret < 0)
        return ret;
    current_boot_id(o->boot_id);
    return 0;
}

void owner_format(const struct owner *o, char *buf, size_t len)
{
    if (o->boot_id[0])
        snprintf(buf, len, "pid=%ld start=%llu boot=%s", (long)o->pid, o->start_ticks, o->boot_id);
    else
        snprintf(buf, len, "pid=%ld start=%llu", (long)o->pid, o->start_ticks);
}

static bool is_boot_id(const char *s)
{
    if (strlen(s) != OWNER_BOOT_ID_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || *p == '-'))
            return false;
    return true;
}

int owner_parse(const char *text, struct owner *o)
{
    memset(o, 0, sizeof(*o));
    if (strncmp(text, "pid=", 4) != 0)
        return -EINVAL;
    char *end;
    errno = 0;
    long pid = strtol(text + 4, &end, 10);
    if (end == text + 4 || errno || pid <= 0 || pid != (long)(pid_t)pid ||
        strncmp(end, " start=", 7) != 0 || end[7] < '0' || end[7] > '9')
        return -EINVAL;
    const char *start = end + 7;
    o->start_ticks = strtoull(start, &end, 10);
    if (errno)
        return -EINVAL;
    o->pid = (pid_t)pid;
    if (*end == '\0')
        return 0;
    if (strncmp(end, " boot=", 6) != 0 || !is_boot_id(end + 6))
        return -EINVAL;
    memcpy(o->boot_id, end + 6, OWNER_BOOT_ID_LEN + 1);
    return 0;
}

enum owner_state owner_state(const struct owner *o)
{
    if (o->pid <= 0)
        return OWNER_UNKNOWN;
    if (o->boot_id[0]) {
        char now[OWNER_BOOT_ID_LEN + 1];
        current_boot_id(now);
        if (now[0] && strcmp(now, o->boot_id) != 0)
            return OWNER_DEAD; /* a process of an earlier boot */
    }
    char state;
    unsigned long long start_ticks;
    int ret = stat_of(o->pid, &state, &start_ticks);
    if (ret == -ENOENT || ret == -ESRCH)
        return OWNER_DEAD;
    if (ret < 0)
        return OWNER_UNKNOWN;
    /* Another start time: the pid was reused. A zombie holds no files or locks. */
    if (start_ticks != o->start_ticks || state == 'Z' || state == 'X')
        return OWNER_DEAD;
    return OWNER_ALIVE;
}
