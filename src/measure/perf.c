#include "perf.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const names[PERF_COUNT] = {
    [PERF_CYCLES] = "cycles",
    [PERF_INSTRUCTIONS] = "instructions",
    [PERF_DTLB_LOAD_MISSES] = "dtlb_load_misses",
    [PERF_PAGE_FAULTS] = "page_faults",
};

const char *perf_name(enum perf_counter c)
{
    return names[c];
}

static void fill_attr(struct perf_event_attr *attr, enum perf_counter c, bool user_only)
{
    memset(attr, 0, sizeof(*attr));
    attr->size = sizeof(*attr);
    attr->disabled = 1;
    attr->exclude_hv = 1;
    attr->exclude_kernel = user_only;
    attr->read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    switch (c) {
    case PERF_CYCLES:
        attr->type = PERF_TYPE_HARDWARE;
        attr->config = PERF_COUNT_HW_CPU_CYCLES;
        break;
    case PERF_INSTRUCTIONS:
        attr->type = PERF_TYPE_HARDWARE;
        attr->config = PERF_COUNT_HW_INSTRUCTIONS;
        break;
    case PERF_DTLB_LOAD_MISSES:
        attr->type = PERF_TYPE_HW_CACHE;
        attr->config = PERF_COUNT_HW_CACHE_DTLB | (PERF_COUNT_HW_CACHE_OP_READ << 8) |
                       (PERF_COUNT_HW_CACHE_RESULT_MISS << 16);
        break;
    case PERF_PAGE_FAULTS:
    default:
        attr->type = PERF_TYPE_SOFTWARE;
        attr->config = PERF_COUNT_SW_PAGE_FAULTS;
        break;
    }
}

static int open_counter(enum perf_counter c, bool user_only)
{
    struct perf_event_attr attr;
    fill_attr(&attr, c, user_only);
    return (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static int read_paranoid(void)
{
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
    int value = -99;
    if (f) {
        if (fscanf(f, "%d", &value) != 1)
            value = -99;
        fclose(f);
    }
    return value;
}

void perf_probe(struct perf_probe *probe, bool disable)
{
    memset(probe, 0, sizeof(*probe));
    probe->paranoid = read_paranoid();
    if (disable) {
        for (int c = 0; c < PERF_COUNT; c++)
            snprintf(probe->reason[c], sizeof(probe->reason[c]), "disabled with --no-perf");
        return;
    }
    /* Kernel time matters here (page faults, copies): include it where permitted. */
    int fd = open_counter(PERF_PAGE_FAULTS, false);
    if (fd < 0 && (errno == EACCES || errno == EPERM))
        probe->user_only = true;
    if (fd >= 0)
        close(fd);
    for (int c = 0; c < PERF_COUNT; c++) {
        fd = open_counter((enum perf_counter)c, probe->user_only);
        if (fd >= 0) {
            probe->available[c] = true;
            close(fd);
            continue;
        }
        int e = errno;
        if (e == EACCES || e == EPERM)
            snprintf(probe->reason[c], sizeof(probe->reason[c]),
                     "not permitted (perf_event_paranoid=%d; run as root or lower it)",
                     probe->paranoid);
        else if (e == ENOENT || e == EOPNOTSUPP || e == ENODEV)
            snprintf(probe->reason[c], sizeof(probe->reason[c]),
                     "not supported here (%s: no PMU, or a VM that hides it)", strerror(e));
        else if (e == ENOSYS)
            snprintf(probe->reason[c], sizeof(probe->reason[c]),
                     "perf_event_open not available in this kernel");
        else
            snprintf(probe->reason[c], sizeof(probe->reason[c]), "perf_event_open: %s",
                     strerror(e));
    }
}

void perf_open(struct perf_counters *c, const struct perf_probe *probe)
{
    for (int i = 0; i < PERF_COUNT; i++)
        c->fd[i] = probe->available[i] ? open_counter((enum perf_counter)i, probe->user_only) : -1;
}

void perf_enable(struct perf_counters *c)
{
    for (int i = 0; i < PERF_COUNT; i++)
        if (c->fd[i] >= 0)
            ioctl(c->fd[i], PERF_EVENT_IOC_ENABLE, 0);
}

void perf_disable(struct perf_counters *c)
{
    for (int i = 0; i < PERF_COUNT; i++)
        if (c->fd[i] >= 0)
            ioctl(c->fd[i], PERF_EVENT_IOC_DISABLE, 0);
}

void perf_read(struct perf_counters *c, uint64_t values[PERF_COUNT], bool have[PERF_COUNT])
{
    for (int i = 0; i < PERF_COUNT; i++) {
        uint64_t buf[3]; /* value, time enabled, time running */
        have[i] = false;
        values[i] = 0;
        if (c->fd[i] < 0 || read(c->fd[i], buf, sizeof(buf)) != sizeof(buf))
            continue;
        if (buf[2] == 0) {
            have[i] = buf[1] == 0; /* never scheduled: only trustworthy if never enabled */
            continue;
        }
        values[i] = buf[2] == buf[1] ? buf[0]
                                     : (uint64_t)((double)buf[0] * (double)buf[1] / (double)buf[2]);
        have[i] = true;
    }
}

void perf_close(struct perf_counters *c)
{
    for (int i = 0; i < PERF_COUNT; i++) {
        if (c->fd[i] >= 0)
            close(c->fd[i]);
        c->fd[i] = -1;
    }
}
