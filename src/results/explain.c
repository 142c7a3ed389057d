#include "explain.h"

#include "backend.h"
#include "profile.h"
#include "units.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SHARE_NOTABLE      0.10 /* a time share differs by 10 points or more */
#define RATIO_NOTABLE      2.0  /* a per-operation figure differs by 2x or more */
#define AMPLIFICATION_SEEN 1.5  /* device bytes per byte worth naming */

void explain_time_split(const struct results_summary *s, char *buf, size_t len)
{
    const double *m = s->metric;
    size_t used = 0;
    int n = 0;
    buf[0] = '\0';
    if (!isnan(m[METRIC_USER_SHARE]) && !isnan(m[METRIC_SYSTEM_SHARE]))
        n = snprintf(buf, len, "%.0f%% user, %.0f%% system, ", 100 * m[METRIC_USER_SHARE],
                     100 * m[METRIC_SYSTEM_SHARE]);
    used = n > 0 ? (size_t)n : 0;
    if (!isnan(m[METRIC_OFFCPU_SHARE]) && used < len) {
        n = snprintf(buf + used, len - used, "%.0f%% off CPU", 100 * m[METRIC_OFFCPU_SHARE]);
        used += n > 0 ? (size_t)n : 0;
        if (!isnan(m[METRIC_RUNQUEUE_SHARE]) && used < len) {
            n = snprintf(buf + used, len - used, " (%.0f%% waiting for a CPU)",
                         100 * m[METRIC_RUNQUEUE_SHARE]);
            used += n > 0 ? (size_t)n : 0;
        }
    }
    if (used < len)
        snprintf(buf + used, len - used, "; %.3g syscalls/op, %.3g faults/op",
                 m[METRIC_SYSCALLS_PER_OP], m[METRIC_FAULTS_PER_OP]);
}

/* A growing line of text. */
struct line {
    char *buf;
    size_t len, used;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct line *l, const char *fmt, ...)
{
    if (l->used >= l->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->buf + l->used, l->len - l->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->used = l->used + (size_t)n < l->len ? l->used + (size_t)n : l->len;
}

/* One measured figure of the two backends (x faster, y slower), lower is better. */
struct factor {
    const char *what; /* "time in the kernel" */
    double x, y;      /* the figure of each */
    bool share;       /* a time share (differs by 10 points), else a per-operation figure */
    double floor;     /* a per-operation figure this small counts as nothing */
    const char *unit; /* printed after the numbers */
};

static bool notable(const struct factor *f)
{
    if (isnan(f->x) || isnan(f->y))
        return false;
    if (f->share)
        return fabs(f->x - f->y) >= SHARE_NOTABLE;
    double hi = f->x > f->y ? f->x : f->y, lo = f->x > f->y ? f->y : f->x;
    return hi >= f->floor && (lo <= 0 || hi / lo >= RATIO_NOTABLE);
}

static void print_factor(struct line *l, const struct factor *f, const char *xn, const char *yn)
{
    if (f->share)
        add(l, "%s %.0f%% for %s, %.0f%% for %s", f->what, 100 * f->x, xn, 100 * f->y, yn);
    else
        add(l, "%s %.3g%s for %s, %.3g%s for %s", f->what, f->x, f->unit, xn, f->y, f->unit, yn);
}

/* The figures the two backends differ in: first those where the faster one is lower (what
 * goes with the verdict), then those where it is higher (what the verdict holds despite). */
static int factors(struct line *l, const struct results_summary *x, const struct results_summary *y,
                   const char *xn, const char *yn)
{
    const double *a = x->metric, *b = y->metric;
    bool major = notable(&(struct factor){
        .x = a[METRIC_MAJOR_FAULTS_PER_OP], .y = b[METRIC_MAJOR_FAULTS_PER_OP], .floor = 0.01});
    const struct factor list[] = {
        {"time in the kernel", a[METRIC_SYSTEM_SHARE], b[METRIC_SYSTEM_SHARE], true, 0, ""},
        {"system calls", a[METRIC_SYSCALLS_PER_OP], b[METRIC_SYSCALLS_PER_OP], false, 0.01, "/op"},
        {major ? "major faults" : "page faults",
         major ? a[METRIC_MAJOR_FAULTS_PER_OP] : a[METRIC_FAULTS_PER_OP],
         major ? b[METRIC_MAJOR_FAULTS_PER_OP] : b[METRIC_FAULTS_PER_OP], false, 0.01, "/op"},
        {"device bytes read per byte read", a[METRIC_READ_AMPLIFICATION],
         b[METRIC_READ_AMPLIFICATION], false, AMPLIFICATION_SEEN, "x"},
        {"device bytes written per byte written", a[METRIC_WRITE_AMPLIFICATION],
         b[METRIC_WRITE_AMPLIFICATION], false, AMPLIFICATION_SEEN, "x"},
        {"time off CPU", a[METRIC_OFFCPU_SHARE], b[METRIC_OFFCPU_SHARE], true, 0, ""},
        {"time flushing", a[METRIC_FLUSH_SHARE_PCT] / 100, b[METRIC_FLUSH_SHARE_PCT] / 100, true, 0,
         ""},
    };
    int found = 0;
    for (int pass = 0; pass < 2; pass++) {
        bool first = true;
        for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
            const struct factor *f = &list[i];
            if (!notable(f) || (f->x < f->y) != (pass == 0))
                continue;
            if (first && pass == 1)
                add(l, found ? "; although " : "although ");
            else if (!first)
                add(l, ", ");
            print_factor(l, f, xn, yn);
            first = false;
            found++;
        }
    }
    return found;
}

void explain_workload(const struct workload_result *wr, char *buf, size_t len)
{
    buf[0] = '\0';
    const struct results_comparison *c = workload_result_headline(wr);
    if (!c || !c->have_ratio)
        return;
    /* The faster backend first: its figures read as the reasons for the verdict. */
    unsigned fast = c->ratio >= 1 ? c->numerator : c->denominator;
    unsigned slow = c->ratio >= 1 ? c->denominator : c->numerator;
    const struct results_summary *f = workload_result_summary(wr, fast);
    const struct results_summary *s = workload_result_summary(wr, slow);
    if (!f || !s || !f->n_ok || !s->n_ok)
        return;
    struct line l = {buf, len, 0};
    add(&l, "why: ");
    if (factors(&l, f, s, backend_get(fast)->name, backend_get(slow)->name) == 0)
        add(&l,
            "%s and %s measured alike in kernel time, system calls, faults, read and write "
            "amplification, waits and flushes",
            backend_get(fast)->name, backend_get(slow)->name);
    /* Where a profile ran: where the slower backend's kernel time and waits went. */
    const struct profile *p = wr->profiles[slow];
    struct profile_symbol top[2], wait[1];
    size_t n = p ? profile_top(p, PROFILE_KERNEL, top, 2) : 0;
    for (size_t i = 0; i < n; i++)
        add(&l, "%s%s %.0f%%",
            i ? ", " : "; where the slower one's time went (profile): ", top[i].name,
            100 * top[i].share);
    if (p &&
        notable(&(struct factor){.x = f->metric[METRIC_OFFCPU_SHARE],
                                 .y = s->metric[METRIC_OFFCPU_SHARE],
                                 .share = true}) &&
        profile_top(p, PROFILE_OFFCPU, wait, 1))
        add(&l, "; its waits: %s %.0f%% of its off-CPU time", wait[0].name, 100 * wait[0].share);
}
