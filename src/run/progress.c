#include "progress.h"

#include "timer.h"

#include <stdio.h>

void progress_init(struct progress *p, bool enabled, size_t phases_total)
{
    p->enabled = enabled;
    p->start_ns = timer_monotonic_ns();
    p->phases_total = phases_total;
    p->phases_done = 0;
    p->line_open = false;
}

static void format_time(double seconds, char *buf, size_t len)
{
    unsigned long s = (unsigned long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, len, "%lu:%02lu", s / 60, s % 60);
}

void progress_show(struct progress *p, size_t i, size_t n, const char *workload,
                   const char *backend, unsigned round, unsigned rounds, const char *role)
{
    if (!p->enabled)
        return;
    double elapsed = (double)(timer_monotonic_ns() - p->start_ns) / 1e9;
    char elapsed_text[16], left_text[24] = "?";
    format_time(elapsed, elapsed_text, sizeof(elapsed_text));
    if (p->phases_done > 0) {
        double left = elapsed / (double)p->phases_done * (double)(p->phases_total - p->phases_done);
        left_text[0] = '~';
        format_time(left, left_text + 1, sizeof(left_text) - 1);
    }
    fprintf(stderr, "\r\033[K[%zu/%zu] %.40s  %-5s %s %u/%u  elapsed %s  left %s", i + 1, n,
            workload, backend, role, round, rounds, elapsed_text, left_text);
    fflush(stderr);
    p->line_open = true;
}

void progress_phase_done(struct progress *p)
{
    p->phases_done++;
}

void progress_clear(struct progress *p)
{
    if (p->enabled && p->line_open) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    p->line_open = false;
}
