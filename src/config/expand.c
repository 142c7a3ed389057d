#include "expand.h"

#include "backend.h"
#include "errmsg.h"
#include "kind.h"
#include "params.h"
#include "units.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIRECT_ALIGN_BYTES 4096 /* O_DIRECT alignment asked for; safe on every filesystem */

/* A workload that breaks a rule: the message, and -EINVAL. */
#define check_fail(err, len, ...) errmsg_set(err, len, -EINVAL, __VA_ARGS__)

size_t expand_count(const struct config *config)
{
    size_t total = 0;
    for (size_t i = 0; i < config->n_workloads; i++) {
        const struct config_workload *cw = &config->workloads[i];
        size_t points = 1;
        for (size_t j = 0; j < cw->n_params; j++) {
            size_t n = cw->params[j].n_values;
            if (n && points > SIZE_MAX / n)
                return SIZE_MAX;
            points *= n;
        }
        if (total > SIZE_MAX - points)
            return SIZE_MAX;
        total += points;
    }
    return total;
}

/* Keys that belong to one backend, or need a capability some backends have, must not be set
 * away from their default when no running backend takes them: they would silently do
 * nothing. */
static int check_applies(const struct workload *w, char *err, size_t len)
{
    for (size_t i = 0; i < params_count(); i++) {
        const struct param_def *d = params_at(i);
        int slot = param_slot(d);
        if (slot >= KIND_FIRST_SLOT && (size_t)(slot - KIND_FIRST_SLOT) != (size_t)w->kind &&
            param_is_set(d, w))
            return check_fail(err, len,
                              "%s applies only to workloads of kind %s (this one is kind %s)",
                              d->name, param_owner(d), kind_of(w)->name);
        if (slot >= 0 && slot < KIND_FIRST_SLOT && !backend_runs(w, (size_t)slot) &&
            param_is_set(d, w))
            return check_fail(err, len,
                              "%s applies only to the %s backend, which this workload does "
                              "not run (backends: add \"%s\")",
                              d->name, param_owner(d), param_owner(d));
        if (d->needs_caps && param_is_set(d, w)) {
            bool taken = false;
            for (size_t b = 0; b < backend_count(); b++)
                taken = taken || (backend_runs(w, b) && (backend_get(b)->caps & d->needs_caps));
            if (!taken)
                return check_fail(err, len,
                                  "%s applies only to backends that read through a file "
                                  "descriptor, and this workload runs none (backends: add "
                                  "\"pread\")",
                                  d->name);
        }
    }
    return 0;
}

/* The baseline must run. Unset (-1), it is pread when pread runs, else the first backend
 * that does; a baseline named in the config must be one of the backends. */
static int resolve_baseline(struct workload *w, char *err, size_t len)
{
    if (w->baseline >= 0) {
        if (backend_runs(w, (size_t)w->baseline))
            return 0;
        return check_fail(err, len,
                          "baseline %s is not one of the workload's backends (add it to "
                          "backends, or name another baseline)",
                          backend_get((size_t)w->baseline)->name);
    }
    int pread = backend_find("pread");
    if (pread >= 0 && backend_runs(w, (size_t)pread)) {
        w->baseline = pread;
        return 0;
    }
    for (size_t b = 0; b < backend_count(); b++) {
        if (backend_runs(w, b)) {
            w->baseline = (int)b;
            return 0;
        }
    }
    return check_fail(err, len, "backends: name at least one backend");
}

/* A kind runs the backends it knows: left at the default (all that can run here), the backends are
 * the kind's; named ones must be among them. Then the kind's own checks. */
static int check_kind(struct workload *w, char *err, size_t len)
{
    const struct kind_ops *k = kind_of(w);
    if (!k->backends)
        return 0;
    bool all = w->backend_mask == backend_default_mask();
    uint32_t mask = 0;
    for (size_t b = 0; b < backend_count(); b++) {
        if (!backend_runs(w, b))
            continue;
        if (kind_runs_backend(k, b))
            mask |= 1u << b;
        else if (!all)
            return check_fail(err, len, "kind %s runs the backends %s%s%s, not %s", k->name,
                              k->backends[0], k->backends[1] ? " and " : "",
                              k->backends[1] ? k->backends[1] : "", backend_get(b)->name);
    }
    if (!mask)
        return check_fail(err, len, "kind %s: name one of its backends", k->name);
    w->backend_mask = mask;
    if (k->check) {
        int ret = k->check(w, workload_options(w, KIND_FIRST_SLOT + (unsigned)w->kind), err, len);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Each running backend can run here, and passes its own checks. */
static int check_backends(const struct workload *w, char *err, size_t len)
{
    for (size_t b = 0; b < backend_count(); b++) {
        const struct backend_ops *ops = backend_get(b);
        if (backend_runs(w, b) && backend_unavailable(b))
            return check_fail(err, len, "backend %s cannot run here: %s", ops->name,
                              backend_unavailable(b));
        if (!backend_runs(w, b) || !ops->check)
            continue;
        int ret = ops->check(w, workload_options(w, (unsigned)b), err, len);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static bool runs_descriptor_backend(const struct workload *w)
{
    for (size_t b = 0; b < backend_count(); b++)
        if (backend_runs(w, b) && (backend_get(b)->caps & BACKEND_CAP_DESCRIPTOR))
            return true;
    return false;
}

int workload_check(struct workload *w, char *err, size_t len)
{
    char a[32], b[32];

    if (w->stride_bytes == 0)
        w->stride_bytes = w->block_size_bytes;
    if (w->op == OP_READ)
        w->write_fraction = 0;
    else if (w->op == OP_WRITE)
        w->write_fraction = 1;

    if (w->file && w->op != OP_READ)
        return check_fail(err, len,
                          "file %s: mmbench never writes to a file it did not create: op must "
                          "be read (use dir for write workloads)",
                          w->file);
    if (w->warm_fill != WARM_FILL_KEEP && w->cache != CACHE_WARM)
        return check_fail(err, len, "warm_fill %s applies to cache warm only (cache is %s)",
                          warm_fill_names[w->warm_fill], cache_names[w->cache]);
    if (w->warm_fill == WARM_FILL_WRITE && w->file)
        return check_fail(err, len,
                          "warm_fill write rewrites the file, and mmbench never writes to a file "
                          "it did not create (%s): use read, fault or fault_random",
                          w->file);
    if (w->backend_mask == 0)
        return check_fail(err, len, "backends: name at least one backend");
    if (w->file_size_bytes % 8 != 0) /* an existing file's size, rounded by datafile */
        return check_fail(err, len, "file_size %s: must be a multiple of 8 bytes",
                          units_format_size(w->file_size_bytes, a, sizeof(a)));
    if (w->block_size_bytes > w->file_size_bytes)
        return check_fail(err, len, "block_size %s is larger than file_size %s",
                          units_format_size(w->block_size_bytes, a, sizeof(a)),
                          units_format_size(w->file_size_bytes, b, sizeof(b)));
    if (w->duration_ns == 0 && w->ops == 0)
        return check_fail(err, len, "give duration or ops (both are zero)");
    if (w->share == SHARE_PARTITION && w->threads > 1) {
        uint64_t part = w->file_size_bytes / w->threads / w->stride_bytes * w->stride_bytes;
        if (part < w->block_size_bytes)
            return check_fail(err, len,
                              "share partition: %u threads leave %s per thread, less than "
                              "block_size %s",
                              w->threads, units_format_size(part, a, sizeof(a)),
                              units_format_size(w->block_size_bytes, b, sizeof(b)));
    }
    if (w->pattern == PATTERN_SEQUENTIAL && w->distribution != DIST_UNIFORM)
        return check_fail(err, len, "distribution %s applies to pattern random only",
                          w->distribution == DIST_ZIPF ? "zipf" : "hotset");
    if (w->distribution == DIST_HOTSET &&
        (w->hotset_fraction <= 0 || w->hotset_access_fraction <= 0))
        return check_fail(err, len, "hotset_fraction and hotset_access_fraction must be above 0");
    if (w->direct && runs_descriptor_backend(w) &&
        (w->block_size_bytes % DIRECT_ALIGN_BYTES || w->stride_bytes % DIRECT_ALIGN_BYTES))
        return check_fail(err, len,
                          "direct: O_DIRECT needs block_size and stride to be multiples of "
                          "4KiB (block_size %s, stride %s)",
                          units_format_size(w->block_size_bytes, a, sizeof(a)),
                          units_format_size(w->stride_bytes, b, sizeof(b)));
    if (w->pin && strcmp(w->pin, "all") != 0) {
        uint64_t mask[16];
        const char *why;
        if (param_parse_cpulist(w->pin, mask, &why) < 0)
            return check_fail(err, len, "pin \"%s\": %s", w->pin, why);
        cpu_set_t allowed;
        if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
            for (int cpu = 0; cpu < 1024; cpu++) {
                if ((mask[cpu / 64] >> (cpu % 64) & 1) &&
                    (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed)))
                    return check_fail(err, len,
                                      "pin \"%s\": CPU %d is not available to this process", w->pin,
                                      cpu);
            }
        }
    }
    int ret = check_kind(w, err, len);
    if (ret == 0)
        ret = resolve_baseline(w, err, len);
    if (ret == 0)
        ret = check_applies(w, err, len);
    if (ret == 0)
        ret = check_backends(w, err, len);
    return ret;
}

/* Appends ",key=value" (or "/key=value" for the first) to the name. */
static int append_label(struct workload *w, const struct param_def *d, bool first)
{
    char value[PARAM_SETTINGS_TEXT_MAX + 16]; /* the longest: a sysctl object */
    param_format_config(d, w, value, sizeof(value));
    size_t used = strlen(w->name);
    int n = snprintf(w->name + used, sizeof(w->name) - used, "%s%s=%s", first ? "/" : ",", d->name,
                     value);
    return n < 0 || (size_t)n >= sizeof(w->name) - used ? -ENAMETOOLONG : 0;
}

static int expand_one(const struct config_workload *cw, struct workload *out, size_t *n_out,
                      char *err)
{
    size_t n_params = cw->n_params;
    size_t *index = calloc(n_params ? n_params : 1, sizeof(*index));
    if (!index)
        return -ENOMEM;
    int ret = 0;
    for (;;) {
        struct workload *w = &out[*n_out];
        params_set_defaults(w);
        snprintf(w->name, sizeof(w->name), "%s", cw->name);
        w->base_name = cw->name;
        w->description = cw->description;
        bool first_label = true;
        for (size_t j = 0; j < n_params; j++) {
            const struct config_param *p = &cw->params[j];
            param_apply(p->def, &p->values[index[j]], w);
            if (p->def->replaces) /* ops replaces the default duration */
                param_clear(param_find(p->def->replaces), w);
        }
        for (size_t j = 0; j < n_params; j++) {
            const struct config_param *p = &cw->params[j];
            if (p->n_values > 1) {
                if (append_label(w, p->def, first_label) < 0) {
                    ret = check_fail(err, CONFIG_ERROR_MAX, "%s: sweep point name too long",
                                     cw->path);
                    goto out;
                }
                first_label = false;
            }
        }
        char why[CONFIG_ERROR_MAX]; /* the whole message is cut at CONFIG_ERROR_MAX */
        if (workload_check(w, why, sizeof(why)) < 0) {
            ret = check_fail(err, CONFIG_ERROR_MAX, "%s (%s): %s", cw->path, w->name, why);
            goto out;
        }
        (*n_out)++;

        /* Next point of the cartesian product; the last key varies fastest. */
        size_t j = n_params;
        for (;;) {
            if (j == 0)
                goto out; /* every index wrapped: all points done */
            j--;
            if (++index[j] < cw->params[j].n_values)
                break;
            index[j] = 0;
        }
    }
out:
    free(index);
    return ret;
}

static int compare_names(const void *a, const void *b)
{
    const struct workload *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* Sweep points are matched by name in results and comparisons: they must be unique. */
static int check_unique_names(const struct workload *list, size_t n, char *err)
{
    const struct workload **sorted = malloc((n ? n : 1) * sizeof(*sorted));
    if (!sorted)
        return check_fail(err, CONFIG_ERROR_MAX, "out of memory checking workload names");
    for (size_t i = 0; i < n; i++)
        sorted[i] = &list[i];
    qsort(sorted, n, sizeof(*sorted), compare_names);
    int ret = 0;
    for (size_t i = 1; i < n && ret == 0; i++) {
        if (strcmp(sorted[i]->name, sorted[i - 1]->name) == 0)
            ret = check_fail(err, CONFIG_ERROR_MAX,
                             "two workloads are named \"%s\" (a sweep lists a value twice?)",
                             sorted[i]->name);
    }
    free(sorted);
    return ret;
}

int expand_workloads(const struct config *config, struct workload **out, size_t *n_out,
                     char err[CONFIG_ERROR_MAX])
{
    size_t total = expand_count(config);
    if (total == SIZE_MAX || total > SIZE_MAX / sizeof(struct workload))
        return check_fail(err, CONFIG_ERROR_MAX, "the sweeps expand to too many workloads");
    struct workload *list = calloc(total ? total : 1, sizeof(*list));
    if (!list)
        return check_fail(err, CONFIG_ERROR_MAX, "out of memory expanding %zu workloads", total);
    size_t n = 0;
    for (size_t i = 0; i < config->n_workloads; i++) {
        int ret = expand_one(&config->workloads[i], list, &n, err);
        if (ret < 0) {
            free(list);
            return ret;
        }
    }
    int ret = check_unique_names(list, n, err);
    if (ret < 0) {
        free(list);
        return ret;
    }
    *out = list;
    *n_out = n;
    return 0;
}
