#include "params.h"

#include "backend.h"
#include "units.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(enum pattern) == sizeof(int), "enums are stored as int");

static const char *const pattern_names[] = {"sequential", "random", NULL};
static const char *const op_names[] = {"read", "write", "readwrite", NULL};
static const char *const access_names[] = {"copy", "checksum", NULL};
static const char *const sync_names[] = {"none",      "ms_async",        "ms_sync", "fsync",
                                         "fdatasync", "sync_file_range", NULL};
static const char *const sync_range_names[] = {"dirty", "all", NULL};
static const char *const cache_names[] = {"warm", "cold", "as_is", NULL};
static const char *const cold_method_names[] = {"fadvise", "drop_caches", NULL};
static const char *const map_names[] = {"shared", "private", NULL};
static const char *const populate_names[] = {"none", "map_populate", "madv_populate_read",
                                             "madv_populate_write", NULL};
static const char *const madvise_names[] = {"normal",   "random",     "sequential", "willneed",
                                            "hugepage", "nohugepage", NULL};
static const char *const fadvise_names[] = {"normal", "random", "sequential", "noreuse", NULL};
static const char *const share_names[] = {"file", "partition", NULL};
static const char *const distribution_names[] = {"uniform", "zipf", "hotset", NULL};
static const char *const latency_names[] = {"all", "sample", "off", NULL};

/* Table macros, one line each. */
/* clang-format off */
#define F(field) offsetof(struct workload, field)
#define MAX_SIZE 9.2e18
#define ENUM(key, field, names, def, applies, text)                                        \
    {key, key, PARAM_ENUM, F(field), names, 0, 0, def, applies, text}
/* clang-format on */

/* Order matters only for output: it is the column order of runs.csv. */
const struct param_def param_table[] = {
    ENUM("pattern", pattern, pattern_names, "random", NULL,
         "order of offsets: sequential (advance by stride) or random"),
    {"file_size", "file_size_bytes", PARAM_SIZE, F(file_size_bytes), NULL, 8, MAX_SIZE, "256MiB",
     NULL, "size of the data file"},
    {"block_size", "block_size_bytes", PARAM_SIZE, F(block_size_bytes), NULL, 8, 1 << 30, "4KiB",
     NULL, "bytes moved per operation (a multiple of 8)"},
    {"stride", "stride_bytes", PARAM_SIZE, F(stride_bytes), NULL, 8, MAX_SIZE, NULL, NULL,
     "offsets are multiples of stride; sequential advances by it (default: block_size)"},
    ENUM("op", op, op_names, "read", NULL, "read, write, or readwrite (see write_fraction)"),
    {"write_fraction", "write_fraction", PARAM_FRACTION, F(write_fraction), NULL, 0, 1, "0.5", NULL,
     "share of operations that write, for op readwrite"},
    ENUM("access", access, access_names, "copy", NULL,
         "copy: move bytes to/from a user buffer; checksum: fold every byte read"),
    ENUM("sync", sync, sync_names, "none", NULL,
         "flush call: none, ms_async, ms_sync, fsync, fdatasync, sync_file_range"),
    {"sync_every", "sync_every", PARAM_SYNC_EVERY, 0, NULL, 1, MAX_SIZE, "end", NULL,
     "flush every N operations, every N bytes written (\"1MiB\"), or only at the \"end\""},
    ENUM("sync_range", sync_range, sync_range_names, "dirty", NULL,
         "flush only the page-aligned range written since the last flush, or all of it"),
    {"end_sync_in_time", "end_sync_in_time", PARAM_BOOL, F(end_sync_in_time), NULL, 0, 0, "true",
     NULL, "the final flush counts in the phase time and throughput"},
    {"duration", "duration_ns", PARAM_DURATION, F(duration_ns), NULL, 1, MAX_SIZE, "1s", NULL,
     "length of each repetition (or give ops)"},
    {"ops", "ops", PARAM_COUNT, F(ops), NULL, 1, MAX_SIZE, NULL, NULL,
     "operations per repetition, over all threads (instead of duration)"},
    {"min_time", "min_time_ns", PARAM_DURATION, F(min_time_ns), NULL, 0, MAX_SIZE, "0s", NULL,
     "a repetition runs at least this long, past ops if needed"},
    {"repetitions", "repetitions", PARAM_COUNT32, F(repetitions), NULL, 1, 1000, "3", NULL,
     "measured repetitions per backend"},
    {"warmup", "warmup", PARAM_COUNT32, F(warmup), NULL, 0, 100, "1", NULL,
     "repetitions per backend run first and discarded"},
    {"seed", "seed", PARAM_COUNT, F(seed), NULL, 0, 9007199254740991.0, "1", NULL,
     "seed of the offset streams (the same for every backend and repetition)"},
    {"dir", "dir", PARAM_STRING, F(dir), NULL, 0, 0, ".", NULL,
     "directory where the data file is created"},
    {"file", "file", PARAM_STRING, F(file), NULL, 0, 0, NULL, NULL,
     "read this existing file or block device instead (op read; needs --read-existing)"},
    {"backends", "backends", PARAM_BACKENDS, F(backend_mask), NULL, 0, 0, NULL, NULL,
     "backends to compare (default: all, [\"mmap\", \"pread\"])"},
    ENUM("cache", cache, cache_names, "warm", NULL,
         "page-cache state before each phase: warm, cold, or as_is; verified with mincore"),
    ENUM("cold_method", cold_method, cold_method_names, "fadvise", NULL,
         "how cold is reached: fadvise (DONTNEED), or also drop_caches (root)"),
    {"cache_limit", "cache_limit_bytes", PARAM_SIZE, F(cache_limit_bytes), NULL, 0, MAX_SIZE, "0",
     NULL, "run in a memory cgroup with this limit (root; 0 = no limit)"},
    ENUM("map", map, map_names, "shared", "mmap",
         "MAP_SHARED, or MAP_PRIVATE (copy-on-write: writes never reach the file)"),
    ENUM("populate", populate, populate_names, "none", "mmap",
         "prefault the mapping: none, map_populate, madv_populate_read/write"),
    ENUM("madvise", madvise, madvise_names, "normal", "mmap", "madvise() hint for the mapping"),
    ENUM("fadvise", fadvise, fadvise_names, "normal", "pread", "posix_fadvise() hint"),
    {"window", "window_bytes", PARAM_SIZE, F(window_bytes), NULL, 0, MAX_SIZE, "0", "mmap",
     "map a sliding window of this size instead of the whole file (0 = whole file)"},
    {"direct", "direct", PARAM_BOOL, F(direct), NULL, 0, 0, "false", "pread",
     "open with O_DIRECT (block_size and stride multiples of 4KiB)"},
    {"threads", "threads", PARAM_COUNT32, F(threads), NULL, 1, 1024, "1", NULL,
     "worker threads, started together"},
    ENUM("share", share, share_names, "file", NULL,
         "threads roam the whole file, or each its own partition"),
    ENUM("distribution", distribution, distribution_names, "uniform", NULL,
         "random offsets: uniform, zipf (zipf_theta), or hotset"),
    {"zipf_theta", "zipf_theta", PARAM_REAL, F(zipf_theta), NULL, 0.01, 10, "0.99", NULL,
     "zipf exponent; higher is more skewed"},
    {"hotset_fraction", "hotset_fraction", PARAM_FRACTION, F(hotset_fraction), NULL, 0, 1, "0.1",
     NULL, "share of the file that is hot (the first part of the file)"},
    {"hotset_access_fraction", "hotset_access_fraction", PARAM_FRACTION, F(hotset_access_fraction),
     NULL, 0, 1, "0.9", NULL, "share of accesses that go to it"},
    {"pin", "pin", PARAM_PIN, F(pin), NULL, 0, 0, "false", NULL,
     "pin workers: false, true (round robin over allowed CPUs), or a CPU list \"0-3\""},
    ENUM("latency", latency, latency_names, "all", NULL,
         "time every operation, a sample, or none (throughput only)"),
    {"latency_sample_every", "latency_sample_every", PARAM_COUNT32, F(latency_sample_every), NULL,
     1, 1e9, "100", NULL, "with latency sample: time one operation in N"},
};

const size_t param_count = sizeof(param_table) / sizeof(param_table[0]);

const struct param_def *param_find(const char *name)
{
    for (size_t i = 0; i < param_count; i++) {
        if (strcmp(param_table[i].name, name) == 0)
            return &param_table[i];
    }
    return NULL;
}

/* Edit distance counting a swap of adjacent letters as one edit ("nmae" -> "name"):
 * the optimal string alignment distance. Names are short. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    size_t d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *param_suggest(const char *name, const char *const *extra)
{
    const char *best = NULL;
    size_t best_distance = 4;
    for (size_t i = 0; i < param_count; i++) {
        size_t d = edit_distance(name, param_table[i].name);
        if (d < best_distance) {
            best_distance = d;
            best = param_table[i].name;
        }
    }
    for (size_t i = 0; extra && extra[i]; i++) {
        size_t d = edit_distance(name, extra[i]);
        if (d < best_distance) {
            best_distance = d;
            best = extra[i];
        }
    }
    return best;
}

const char *param_enum_name(const struct param_def *d, int e)
{
    return d->enum_names[e];
}

static int check_range(const struct param_def *d, double value, const char **why)
{
    if (value < d->min) {
        *why = d->min <= 1 && d->type != PARAM_REAL ? "must be at least 1" : "too small";
        if (d->type == PARAM_SIZE && d->min == 8)
            *why = "must be at least 8 bytes";
        if (d->type == PARAM_REAL || d->type == PARAM_FRACTION)
            *why = d->type == PARAM_FRACTION ? "must be between 0 and 1" : "out of range";
        return -EINVAL;
    }
    if (value > d->max) {
        *why = d->type == PARAM_FRACTION ? "must be between 0 and 1" : "too large";
        return -EINVAL;
    }
    return 0;
}

int param_parse_cpulist(const char *text, uint64_t mask[16], const char **why)
{
    memset(mask, 0, 16 * sizeof(uint64_t));
    const char *p = text;
    if (*p == '\0') {
        *why = "empty CPU list";
        return -EINVAL;
    }
    while (*p) {
        char *end;
        if (*p < '0' || *p > '9') {
            *why = "CPU list must look like \"0-3,8\"";
            return -EINVAL;
        }
        unsigned long lo = strtoul(p, &end, 10), hi = lo;
        p = end;
        if (*p == '-') {
            p++;
            if (*p < '0' || *p > '9') {
                *why = "CPU list must look like \"0-3,8\"";
                return -EINVAL;
            }
            hi = strtoul(p, &end, 10);
            p = end;
        }
        if (hi < lo || hi >= 1024) {
            *why = "CPU numbers must be below 1024, ranges low-high";
            return -EINVAL;
        }
        for (unsigned long c = lo; c <= hi; c++)
            mask[c / 64] |= 1ULL << (c % 64);
        if (*p == ',' && p[1] != '\0')
            p++;
        else if (*p) {
            *why = "CPU list must look like \"0-3,8\"";
            return -EINVAL;
        }
    }
    return 0;
}

int param_parse_text(const struct param_def *d, const char *text, struct param_value *v,
                     const char **why)
{
    memset(v, 0, sizeof(*v));
    switch (d->type) {
    case PARAM_STRING:
        if (text[0] == '\0') {
            *why = "must not be empty";
            return -EINVAL;
        }
        v->s = text;
        return 0;
    case PARAM_SIZE: {
        int ret = units_parse_size(text, &v->u, why);
        return ret < 0 ? ret : check_range(d, (double)v->u, why);
    }
    case PARAM_DURATION: {
        int ret = units_parse_duration(text, &v->u, why);
        return ret < 0 ? ret : check_range(d, (double)v->u, why);
    }
    case PARAM_COUNT:
    case PARAM_COUNT32:
    case PARAM_FRACTION:
    case PARAM_REAL: {
        /* Plain decimal only (strtod would also take hex, infinities and spaces). */
        char *end;
        bool plain = text[strspn(text, "0123456789.eE+-")] == '\0' && text[0] != '\0';
        double number = plain ? strtod(text, &end) : 0;
        if (!plain || *end != '\0') {
            *why = "expected a number";
            return -EINVAL;
        }
        return param_parse_number(d, number, v, why);
    }
    case PARAM_ENUM:
        for (int i = 0; d->enum_names[i]; i++) {
            if (strcmp(d->enum_names[i], text) == 0) {
                v->e = i;
                return 0;
            }
        }
        *why = "unknown value (see the list of accepted values with --list-keys)";
        return -EINVAL;
    case PARAM_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0)
            return param_parse_bool(d, text[0] == 't', v, why);
        *why = "expected true or false";
        return -EINVAL;
    case PARAM_SYNC_EVERY:
        if (strcmp(text, "end") == 0)
            return 0; /* neither operations nor bytes: only the final flush */
        if (units_parse_size(text, &v->u2, why) < 0) {
            *why = "expected a number of operations, a size such as \"1MiB\", or \"end\"";
            return -EINVAL;
        }
        if (v->u2 == 0) {
            *why = "must be at least 1 byte (or \"end\")";
            return -EINVAL;
        }
        return 0;
    case PARAM_BACKENDS: {
        int b = backend_find(text);
        if (b < 0) {
            *why = "unknown backend (see --list-backends)";
            return -EINVAL;
        }
        v->u = 1ULL << b;
        return 0;
    }
    case PARAM_PIN: {
        if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0)
            return param_parse_bool(d, text[0] == 't', v, why);
        uint64_t mask[16];
        int ret = param_parse_cpulist(text, mask, why);
        if (ret < 0)
            return ret;
        v->s = text;
        return 0;
    }
    }
    *why = "internal error: unknown parameter type";
    return -EINVAL;
}

int param_parse_number(const struct param_def *d, double number, struct param_value *v,
                       const char **why)
{
    memset(v, 0, sizeof(*v));
    if (!isfinite(number)) {
        *why = "not a finite number";
        return -EINVAL;
    }
    switch (d->type) {
    case PARAM_SIZE:
    case PARAM_COUNT:
    case PARAM_COUNT32:
    case PARAM_SYNC_EVERY:
        if (number < 0) {
            *why = "negative values are not allowed";
            return -EINVAL;
        }
        if (number != floor(number)) {
            *why = "expected a whole number";
            return -EINVAL;
        }
        if (d->type == PARAM_SYNC_EVERY) {
            if (number < 1) {
                *why = "must be at least 1 operation (or \"end\")";
                return -EINVAL;
            }
            if (check_range(d, number, why) < 0)
                return -EINVAL;
            v->u = (uint64_t)number;
            return 0;
        }
        if (check_range(d, number, why) < 0)
            return -EINVAL;
        v->u = (uint64_t)number;
        return 0;
    case PARAM_DURATION:
        if (number < 0) {
            *why = "negative values are not allowed";
            return -EINVAL;
        }
        if (number * 1e9 > 9.2e18) {
            *why = "too large";
            return -EINVAL;
        }
        v->u = (uint64_t)llround(number * 1e9); /* a bare number is seconds */
        return check_range(d, (double)v->u, why);
    case PARAM_FRACTION:
    case PARAM_REAL:
        if (check_range(d, number, why) < 0)
            return -EINVAL;
        v->d = number;
        return 0;
    default:
        *why = d->type == PARAM_ENUM       ? "expected a string"
               : d->type == PARAM_BOOL     ? "expected true or false"
               : d->type == PARAM_PIN      ? "expected true, false or a CPU list string"
               : d->type == PARAM_BACKENDS ? "expected a list of backend names"
                                           : "expected a string";
        return -EINVAL;
    }
}

int param_parse_bool(const struct param_def *d, bool value, struct param_value *v, const char **why)
{
    memset(v, 0, sizeof(*v));
    if (d->type == PARAM_BOOL) {
        v->b = value;
        return 0;
    }
    if (d->type == PARAM_PIN) {
        v->s = value ? "all" : NULL;
        return 0;
    }
    *why = "did not expect true or false here";
    return -EINVAL;
}

void param_apply(const struct param_def *d, const struct param_value *v, struct workload *w)
{
    char *field = (char *)w + d->offset;
    switch (d->type) {
    case PARAM_STRING:
    case PARAM_PIN:
        memcpy(field, &v->s, sizeof(v->s));
        break;
    case PARAM_SIZE:
    case PARAM_DURATION:
    case PARAM_COUNT:
        memcpy(field, &v->u, sizeof(uint64_t));
        break;
    case PARAM_COUNT32: {
        uint32_t u32 = (uint32_t)v->u;
        memcpy(field, &u32, sizeof(u32));
        break;
    }
    case PARAM_FRACTION:
    case PARAM_REAL:
        memcpy(field, &v->d, sizeof(double));
        break;
    case PARAM_ENUM:
        memcpy(field, &v->e, sizeof(int));
        break;
    case PARAM_BOOL:
        memcpy(field, &v->b, sizeof(bool));
        break;
    case PARAM_SYNC_EVERY:
        w->sync_every_ops = v->u;
        w->sync_every_bytes = v->u2;
        break;
    case PARAM_BACKENDS: {
        uint32_t mask = (uint32_t)v->u;
        memcpy(field, &mask, sizeof(mask));
        break;
    }
    }
}

void params_set_defaults(struct workload *w)
{
    memset(w, 0, sizeof(*w));
    for (size_t i = 0; i < param_count; i++) {
        const struct param_def *d = &param_table[i];
        if (!d->default_text)
            continue;
        struct param_value v;
        const char *why;
        if (param_parse_text(d, d->default_text, &v, &why) == 0)
            param_apply(d, &v, w);
    }
    w->backend_mask = (uint32_t)((1ULL << backend_count()) - 1);
}

static uint64_t get_u64(const struct workload *w, const struct param_def *d)
{
    uint64_t u;
    memcpy(&u, (const char *)w + d->offset, sizeof(u));
    return u;
}

static uint32_t get_u32(const struct workload *w, const struct param_def *d)
{
    uint32_t u;
    memcpy(&u, (const char *)w + d->offset, sizeof(u));
    return u;
}

static double get_double(const struct workload *w, const struct param_def *d)
{
    double x;
    memcpy(&x, (const char *)w + d->offset, sizeof(x));
    return x;
}

static const char *get_string(const struct workload *w, const struct param_def *d)
{
    const char *s;
    memcpy(&s, (const char *)w + d->offset, sizeof(s));
    return s;
}

static int get_int(const struct workload *w, const struct param_def *d)
{
    int e;
    memcpy(&e, (const char *)w + d->offset, sizeof(e));
    return e;
}

static bool get_bool(const struct workload *w, const struct param_def *d)
{
    bool b;
    memcpy(&b, (const char *)w + d->offset, sizeof(b));
    return b;
}

static char *format_backends(uint32_t mask, char *buf, size_t len, const char *sep)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < backend_count(); i++) {
        if (!(mask & (1U << i)))
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? sep : "", backend_get(i)->name);
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
    return buf;
}

char *param_format_config(const struct param_def *d, const struct workload *w, char *buf,
                          size_t len)
{
    switch (d->type) {
    case PARAM_SIZE:
        return units_format_size(get_u64(w, d), buf, len);
    case PARAM_DURATION:
        return units_format_duration(get_u64(w, d), buf, len);
    case PARAM_SYNC_EVERY:
        if (w->sync_every_bytes)
            return units_format_size(w->sync_every_bytes, buf, len);
        if (w->sync_every_ops) {
            snprintf(buf, len, "%llu", (unsigned long long)w->sync_every_ops);
            return buf;
        }
        snprintf(buf, len, "end");
        return buf;
    case PARAM_BACKENDS:
        return format_backends(w->backend_mask, buf, len, "+");
    default:
        return param_format_column(d, w, buf, len);
    }
}

char *param_format_column(const struct param_def *d, const struct workload *w, char *buf,
                          size_t len)
{
    switch (d->type) {
    case PARAM_STRING:
        snprintf(buf, len, "%s", get_string(w, d) ? get_string(w, d) : "");
        break;
    case PARAM_PIN:
        snprintf(buf, len, "%s", get_string(w, d) ? get_string(w, d) : "false");
        break;
    case PARAM_SIZE:
    case PARAM_DURATION:
    case PARAM_COUNT:
        snprintf(buf, len, "%llu", (unsigned long long)get_u64(w, d));
        break;
    case PARAM_COUNT32:
        snprintf(buf, len, "%u", get_u32(w, d));
        break;
    case PARAM_FRACTION:
    case PARAM_REAL:
        snprintf(buf, len, "%.6g", get_double(w, d));
        break;
    case PARAM_ENUM:
        snprintf(buf, len, "%s", param_enum_name(d, get_int(w, d)));
        break;
    case PARAM_BOOL:
        snprintf(buf, len, "%s", get_bool(w, d) ? "true" : "false");
        break;
    case PARAM_SYNC_EVERY:
        /* ops, or bytes with a "B" suffix, or "end": one column that round-trips. */
        if (w->sync_every_bytes)
            snprintf(buf, len, "%lluB", (unsigned long long)w->sync_every_bytes);
        else if (w->sync_every_ops)
            snprintf(buf, len, "%llu", (unsigned long long)w->sync_every_ops);
        else
            snprintf(buf, len, "end");
        break;
    case PARAM_BACKENDS:
        format_backends(w->backend_mask, buf, len, "+");
        break;
    }
    return buf;
}

bool param_column_is_number(const struct param_def *d)
{
    switch (d->type) {
    case PARAM_SIZE:
    case PARAM_DURATION:
    case PARAM_COUNT:
    case PARAM_COUNT32:
    case PARAM_FRACTION:
    case PARAM_REAL:
        return true;
    default:
        return false;
    }
}
