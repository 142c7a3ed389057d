#include "results.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SPILL_NAME ".histograms.tmp"

/* The spill file never has a name that could be left behind: an O_TMPFILE, or where the
 * filesystem has none, a file unlinked right after its creation (O_EXCL|O_NOFOLLOW, so
 * it is never someone else's). */
static int create_spill(int dir_fd)
{
    int fd = openat(dir_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd < 0 ? -errno : fd;
    fd = openat(dir_fd, SPILL_NAME, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    if (unlinkat(dir_fd, SPILL_NAME, 0) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int results_init(struct results *r, const struct workload *workloads, size_t n, int dir_fd)
{
    memset(r, 0, sizeof(*r));
    r->workloads = workloads;
    r->n_workloads = n;
    int fd = create_spill(dir_fd);
    r->spill = fd >= 0 ? fdopen(fd, "w+") : NULL;
    if (!r->spill) {
        int e = fd < 0 ? -fd : errno;
        if (fd >= 0)
            close(fd);
        log_error("creating the histogram spill file (" SPILL_NAME ") in the output directory: %s",
                  strerror(e));
        return -e;
    }
    return 0;
}

void results_free(struct results *r)
{
    if (r->spill)
        fclose(r->spill);
    for (size_t i = 0; i < r->n_warnings; i++)
        free(r->warnings[i].text);
    free(r->warnings);
    free(r->runs);
    free(r->summaries);
    free(r->comparisons);
    memset(r, 0, sizeof(*r));
}

/* Grows *items (of size bytes each) to hold one more. */
static int grow(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t new_cap = *cap ? *cap * 2 : 16;
    void *grown = realloc(*items, new_cap * size);
    if (!grown)
        return -ENOMEM;
    *items = grown;
    *cap = new_cap;
    return 0;
}

int results_add_run(struct results *r, const struct run_record *rec)
{
    if (grow((void **)&r->runs, &r->cap_runs, r->n_runs, sizeof(*rec)) < 0)
        return -ENOMEM;
    r->runs[r->n_runs++] = *rec;
    if (rec->status != RUN_OK)
        r->any_failed = r->any_failed || rec->status == RUN_FAILED;
    return 0;
}

int results_add_summary(struct results *r, const struct results_summary *s)
{
    if (grow((void **)&r->summaries, &r->cap_summaries, r->n_summaries, sizeof(*s)) < 0)
        return -ENOMEM;
    r->summaries[r->n_summaries++] = *s;
    return 0;
}

int results_add_comparison(struct results *r, const struct results_comparison *c)
{
    if (grow((void **)&r->comparisons, &r->cap_comparisons, r->n_comparisons, sizeof(*c)) < 0)
        return -ENOMEM;
    r->comparisons[r->n_comparisons++] = *c;
    return 0;
}

void results_warn(struct results *r, int workload, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (r->n_warnings >= RESULTS_MAX_WARNINGS) {
        r->n_warnings_dropped++;
        return;
    }
    struct results_warning *grown = realloc(r->warnings, (r->n_warnings + 1) * sizeof(*grown));
    char *copy = strdup(text);
    if (!grown || !copy) {
        free(copy);
        if (grown)
            r->warnings = grown;
        r->n_warnings_dropped++;
        return;
    }
    r->warnings = grown;
    r->warnings[r->n_warnings].workload = workload;
    r->warnings[r->n_warnings].text = copy;
    r->n_warnings++;
}

/* Spill format: count, sum, min, max, n_buckets (uint64 each), then n_buckets pairs of
 * (uint32 index, uint64 count). */
int results_hist_save(struct results *r, const struct hist *h, struct results_hist_ref *ref)
{
    ref->offset = -1;
    ref->n_buckets = 0;
    if (h->count == 0)
        return 0;
    if (fseek(r->spill, 0, SEEK_END) < 0)
        return -errno;
    long offset = ftell(r->spill);
    uint32_t n = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        n += h->buckets[i] != 0;
    uint64_t header[5] = {h->count, h->sum_ns, h->min_ns, h->max_ns, n};
    if (fwrite(header, sizeof(header), 1, r->spill) != 1)
        return -EIO;
    for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
        if (!h->buckets[i])
            continue;
        if (fwrite(&i, sizeof(i), 1, r->spill) != 1 ||
            fwrite(&h->buckets[i], sizeof(uint64_t), 1, r->spill) != 1)
            return -EIO;
    }
    if (fflush(r->spill) != 0)
        return -errno;
    ref->offset = offset;
    ref->n_buckets = n;
    return 0;
}

int results_hist_load(const struct results *r, const struct results_hist_ref *ref, struct hist *h)
{
    hist_init(h);
    if (ref->offset < 0)
        return 0;
    if (fseek(r->spill, ref->offset, SEEK_SET) < 0)
        return -errno;
    uint64_t header[5];
    if (fread(header, sizeof(header), 1, r->spill) != 1)
        return -EIO;
    h->count = header[0];
    h->sum_ns = header[1];
    h->min_ns = header[2];
    h->max_ns = header[3];
    for (uint64_t b = 0; b < header[4]; b++) {
        uint32_t i;
        uint64_t count;
        if (fread(&i, sizeof(i), 1, r->spill) != 1 ||
            fread(&count, sizeof(count), 1, r->spill) != 1 || i >= HIST_BUCKETS)
            return -EIO;
        h->buckets[i] = count;
    }
    return 0;
}

struct hist *results_hist_alloc(void)
{
    void *p =
        mmap(NULL, sizeof(struct hist), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    struct hist *h = p;
    h->min_ns = UINT64_MAX; /* the rest is already zero */
    return h;
}

void results_hist_free(struct hist *h)
{
    if (h)
        munmap(h, sizeof(*h));
}

const char *results_status_name(enum run_status s)
{
    switch (s) {
    case RUN_OK:
        return "ok";
    case RUN_FAILED:
        return "failed";
    case RUN_INTERRUPTED:
    default:
        return "interrupted";
    }
}
