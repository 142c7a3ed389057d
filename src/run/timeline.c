#include "timeline.h"

#include "cache.h"
#include "cachestat.h"
#include "timer.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RESERVE_POINTS 64 /* points reserved at a time */

struct timeline_sampler {
    struct timeline_source src;
    uint64_t interval_ns;
    uint64_t start_ns; /* CLOCK_MONOTONIC at time 0 */
    struct workload_result *wr;
    size_t first;        /* the run's first point */
    bool use_cachestat;  /* cachestat(2) works here; else mincore, resident share only */
    uint64_t page_bytes; /* cachestat counts pages of this size */
    struct kcounters_snapshot kc_start;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* signalled to stop */
    bool stop;           /* under lock */
    bool failed;         /* out of memory: the series ends early */
};

static void take_point(struct timeline_sampler *s)
{
    struct timeline_point *p = workload_result_reserve_points(s->wr, RESERVE_POINTS);
    if (!p) {
        s->failed = true;
        return;
    }
    memset(p, 0, sizeof(*p));
    p->t_ns = timer_monotonic_ns() - s->start_ns;
    p->ops = s->src.ops(s->src.arg);
    s->src.faults(s->src.arg, &p->minflt, &p->majflt);
    struct kcounters_snapshot kc;
    kcounters_read_quick(s->src.kc, &kc);
    /* Deltas from the start, so a point means the same whatever the counters were. */
    if (kc.have[KC_DEV_READ_BYTES] && s->kc_start.have[KC_DEV_READ_BYTES]) {
        p->dev_read_bytes = kc.value[KC_DEV_READ_BYTES] - s->kc_start.value[KC_DEV_READ_BYTES];
        p->dev_write_bytes = kc.value[KC_DEV_WRITE_BYTES] - s->kc_start.value[KC_DEV_WRITE_BYTES];
    }
    if (kc.have[KC_TLB_SHOOTDOWNS] && s->kc_start.have[KC_TLB_SHOOTDOWNS])
        p->tlb_shootdowns = kc.value[KC_TLB_SHOOTDOWNS] - s->kc_start.value[KC_TLB_SHOOTDOWNS];
    p->resident_pct = p->dirty_pct = NAN;
    double pages = (double)((s->src.file_size_bytes + s->page_bytes - 1) / s->page_bytes);
    struct cachestat_pages cs;
    if (s->use_cachestat && cachestat_range(s->src.fd, 0, 0, &cs) == 0) {
        p->resident_pct = 100.0 * (double)cs.cached_pages / pages;
        p->dirty_pct = 100.0 * (double)(cs.dirty_pages + cs.writeback_pages) / pages;
    } else if (cache_residency(s->src.fd, s->src.file_size_bytes, &p->resident_pct) < 0) {
        p->resident_pct = NAN;
    }
    s->wr->n_points++;
}

static void *sampler_main(void *arg)
{
    struct timeline_sampler *s = arg;
    pthread_mutex_lock(&s->lock);
    for (uint64_t next = s->interval_ns; !s->stop && !s->failed; next += s->interval_ns) {
        uint64_t deadline = s->start_ns + next;
        struct timespec ts = {(time_t)(deadline / 1000000000ULL), (long)(deadline % 1000000000ULL)};
        while (!s->stop && pthread_cond_timedwait(&s->cond, &s->lock, &ts) != ETIMEDOUT)
            ;
        if (s->stop)
            break;
        pthread_mutex_unlock(&s->lock);
        take_point(s);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int timeline_start(struct timeline_sampler **out, const struct timeline_source *src,
                   uint64_t interval_ns, struct workload_result *wr)
{
    *out = NULL;
    struct timeline_sampler *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->src = *src;
    s->interval_ns = interval_ns;
    s->wr = wr;
    s->first = wr->n_points;
    s->page_bytes = (uint64_t)sysconf(_SC_PAGESIZE);
    struct cachestat_pages cs;
    s->use_cachestat = cachestat_range(src->fd, 0, 0, &cs) == 0;
    kcounters_read_quick(src->kc, &s->kc_start);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&s->lock, NULL);
    s->start_ns = timer_monotonic_ns();
    take_point(s);
    int e = pthread_create(&s->thread, NULL, sampler_main, s);
    if (e != 0) {
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        wr->n_points = s->first;
        free(s);
        return -e;
    }
    *out = s;
    return 0;
}

size_t timeline_stop(struct timeline_sampler *s, size_t *count)
{
    *count = 0;
    if (!s)
        return 0;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    if (!s->failed)
        take_point(s);
    size_t first = s->first;
    *count = s->wr->n_points - first;
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
    return first;
}
