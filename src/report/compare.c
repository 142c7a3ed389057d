/* mmbench compare: result directories from different runs, machines, kernels or
 * filesystems side by side (docs/compare.md). Reads each results.json (cJSON), matches
 * workloads by name and parameters, and computes each run's throughput ratio to the
 * baseline (the first directory) with a bootstrap interval. */
#include "compare.h"

#include "json_writer.h"
#include "log.h"
#include "outdir.h"
#include "report.h"
#include "signals.h"
#include "stats.h"
#include "textfile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COMPARE_JSON_VERSION 2            /* compare.json (results.json is REPORT_SCHEMA_VERSION) */
#define RESULTS_MAX_BYTES    (256u << 20) /* the results.json and block files read */
#define MAX_RUNS             32
#define MAX_BACKENDS         8
#define MAX_SETTINGS         96 /* kernel settings told apart (the snapshot has about 40) */
#define LABEL_MAX            96
#define EXIT_REGRESSED       1
#define EXIT_USAGE           2
#define EXIT_INTERRUPTED     130

/* Context fields that tell runs apart, in the order labels use them. */
enum field {
    F_KERNEL,
    F_FS,
    F_MOUNT_OPTIONS,
    F_CPU,
    F_HOST,
    F_VERSION,
    F_DATE,
    F_CONFIG,
    F_COUNT,
};

static const char *const field_names[F_COUNT] = {
    [F_KERNEL] = "kernel_release",
    [F_FS] = "fs_type",
    [F_MOUNT_OPTIONS] = "mount_options",
    [F_CPU] = "cpu",
    [F_HOST] = "hostname",
    [F_VERSION] = "mmbench_version",
    [F_DATE] = "date_utc",
    [F_CONFIG] = "config",
};

/* The measured, successful repetitions of one workload x backend in one run. */
struct series {
    const char *workload;
    const char *backend;
    double tput[STATS_MAX_SAMPLES];
    size_t n;
};

struct run {
    const char *dir;
    char label[LABEL_MAX];
    cJSON *root;
    cJSON **blocks; /* the workload blocks, inline (owned by root) or read from files */
    size_t n_blocks;
    bool blocks_owned; /* read from workload_files: freed one by one */
    bool complete, interrupted;
    const char *field[F_COUNT];
    struct series *series;
    size_t n_series;
};

/* A kernel setting as each run had it: the config's value where every workload of the run
 * set the same one, else the kernel's at the run's start (its context). */
struct setting {
    char key[48];                    /* "read_ahead_kb", "thp", "vm.swappiness" */
    char value[MAX_RUNS][LABEL_MAX]; /* per run: "128", "n/a" (unknown), "varies" */
    bool configured[MAX_RUNS];       /* the run's config set it (else: its context) */
    bool differs; /* two runs have different known values, or a config set it and another
                     run has another value */
};

struct compare {
    struct run runs[MAX_RUNS];
    size_t n_runs;
    struct setting settings[MAX_SETTINGS];
    size_t n_settings;
    double fail_above_pct; /* NAN = not asked */
    bool any_regression;
};

static const char *string_at(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, a);
    if (b)
        item = cJSON_GetObjectItemCaseSensitive(item, b);
    return cJSON_IsString(item) ? item->valuestring : "";
}

static struct series *find_series(struct run *r, const char *workload, const char *backend)
{
    for (size_t i = 0; i < r->n_series; i++)
        if (strcmp(r->series[i].workload, workload) == 0 &&
            strcmp(r->series[i].backend, backend) == 0)
            return &r->series[i];
    return NULL;
}

/* ---- reading and checking a results directory ---- */

/* What is being read, for messages that name the file and the field. */
struct reader {
    const char *file;
    bool failed;
};

static const char *json_type(const cJSON *item)
{
    return !item                  ? "nothing"
           : cJSON_IsString(item) ? "a string"
           : cJSON_IsNumber(item) ? "a number"
           : cJSON_IsBool(item)   ? "true/false"
           : cJSON_IsNull(item)   ? "null"
           : cJSON_IsArray(item)  ? "a list"
           : cJSON_IsObject(item) ? "an object"
                                  : "an invalid value";
}

/* The member key of obj (at path) when it has the expected type; else NULL after logging
 * "file: path.key: expected X, got Y" (once per file). nullable: null is accepted too (and
 * returned as NULL without an error). */
static const cJSON *member(struct reader *rd, const cJSON *obj, const char *path, const char *key,
                           cJSON_bool (*is)(const cJSON *), const char *expected, bool nullable)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (item && is(item) && (!cJSON_IsNumber(item) || isfinite(item->valuedouble)))
        return item;
    if (nullable && cJSON_IsNull(item))
        return NULL;
    if (!rd->failed)
        log_error("%s: %s%s%s: expected %s, got %s (not a results file this mmbench wrote?)",
                  rd->file, path, path[0] ? "." : "", key, expected, json_type(item));
    rd->failed = true;
    return NULL;
}

static const cJSON *need_object(struct reader *rd, const cJSON *obj, const char *path,
                                const char *key)
{
    return member(rd, obj, path, key, cJSON_IsObject, "an object", false);
}

static const cJSON *need_array(struct reader *rd, const cJSON *obj, const char *path,
                               const char *key)
{
    return member(rd, obj, path, key, cJSON_IsArray, "a list", false);
}

static const char *need_string(struct reader *rd, const cJSON *obj, const char *path,
                               const char *key)
{
    const cJSON *item = member(rd, obj, path, key, cJSON_IsString, "a string", false);
    return item ? item->valuestring : "";
}

/* Parses text from file; NULL after logging. */
static cJSON *parse(const char *file, const char *text)
{
    cJSON *root = cJSON_Parse(text);
    if (!root)
        log_error("%s: not valid JSON (a cut copy, an interrupted write, or nested more than "
                  "%d levels deep?)",
                  file, CJSON_NESTING_LIMIT);
    return root;
}

/* Reads a results file (results.json or the block file) of at most RESULTS_MAX_BYTES into
 * *text (NUL-terminated, to free). Returns 0 or -errno after logging. */
static int read_text(int dir_fd, const char *name, const char *shown, char **text)
{
    size_t len;
    int ret = textfile_read(dir_fd, name, RESULTS_MAX_BYTES, text, &len);
    if (ret < 0) {
        if (ret == -EFBIG)
            log_error("%s: larger than %u MiB, the limit for a results file", shown,
                      RESULTS_MAX_BYTES >> 20);
        else if (ret == -EILSEQ)
            log_error("%s: holds a NUL byte: not a JSON text", shown);
        else
            log_error("cannot read %s: %s (give directories written by mmbench)", shown,
                      strerror(-ret));
    }
    return ret;
}

static cJSON *read_json(int dir_fd, const char *name, const char *shown)
{
    char *text = NULL;
    if (read_text(dir_fd, name, shown, &text) < 0)
        return NULL;
    cJSON *root = parse(shown, text);
    free(text);
    return root;
}

/* Checks one workload block (from file) and adds its measured runs to r's series. */
static int load_block(struct run *r, const cJSON *block, const char *file, const char *path)
{
    struct reader rd = {file, false};
    const char *workload = need_string(&rd, block, path, "name");
    const cJSON *runs = need_array(&rd, block, path, "runs");
    const cJSON *run;
    size_t i = 0;
    cJSON_ArrayForEach(run, runs)
    {
        char here[96];
        snprintf(here, sizeof(here), "%s.runs[%zu]", path, i++);
        if (!cJSON_IsObject(run)) {
            member(&rd, block, path, "runs", cJSON_IsObject, "a list of objects", false);
            break;
        }
        const char *backend = need_string(&rd, run, here, "backend");
        const char *status = need_string(&rd, run, here, "status");
        const char *role = need_string(&rd, run, here, "role");
        const cJSON *tput = member(&rd, run, here, "tput_mib_s", cJSON_IsNumber, "a number", true);
        if (rd.failed)
            break;
        if (strcmp(status, "ok") != 0 && strcmp(status, "failed") != 0 &&
            strcmp(status, "interrupted") != 0) {
            log_error("%s: %s.status: \"%.40s\" is not ok, failed or interrupted", file, here,
                      status);
            return -EINVAL;
        }
        if (strcmp(role, "measured") != 0 || strcmp(status, "ok") != 0 || !tput)
            continue;
        if (tput->valuedouble < 0) {
            log_error("%s: %s.tput_mib_s: %g is negative", file, here, tput->valuedouble);
            return -EINVAL;
        }
        struct series *s = find_series(r, workload, backend);
        if (!s) {
            struct series *grown = realloc(r->series, (r->n_series + 1) * sizeof(*grown));
            if (!grown)
                return -ENOMEM;
            r->series = grown;
            s = &r->series[r->n_series++];
            memset(s, 0, sizeof(*s));
            s->workload = workload;
            s->backend = backend;
        }
        if (s->n < STATS_MAX_SAMPLES)
            s->tput[s->n++] = tput->valuedouble;
    }
    return rd.failed ? -EINVAL : 0;
}

/* Adds block to r and checks it. Takes block. */
static int add_block(struct run *r, cJSON *block, const char *shown, const char *here)
{
    cJSON **grown = realloc(r->blocks, (r->n_blocks + 1) * sizeof(*grown));
    if (!grown) {
        cJSON_Delete(block);
        return -ENOMEM;
    }
    r->blocks = grown;
    r->blocks[r->n_blocks++] = block;
    return load_block(r, block, shown, here);
}

/* The records of a block file (a JSON text sequence: RS, a block, LF, each). Only the last
 * may be incomplete: the run was killed while appending it, and it is dropped. */
static int load_block_file(struct run *r, int dir_fd, const char *name)
{
    char shown[PATH_MAX + 64];
    snprintf(shown, sizeof(shown), "%s/%s", r->dir, name);
    char *text = NULL;
    int ret = read_text(dir_fd, name, shown, &text);
    if (ret < 0)
        return ret;
    r->blocks_owned = true;
    char *p = text;
    if (*p && *p != REPORT_RECORD_SEPARATOR) {
        log_error("%s: not a JSON text sequence (records start with RS, 0x1e)", shown);
        ret = -EINVAL;
    }
    for (size_t i = 0; ret == 0 && *p; i++) {
        char *start = p + 1;
        char *end = strchr(start, REPORT_RECORD_SEPARATOR);
        bool last = !end;
        if (end)
            *end = '\0';
        char here[48];
        snprintf(here, sizeof(here), "record %zu", i);
        cJSON *block = cJSON_Parse(start);
        if (!block && last) {
            log_warn("%s: %s is incomplete (the run was killed while writing it): left out", shown,
                     here);
            break;
        }
        if (!block || !cJSON_IsObject(block)) {
            log_error("%s: %s: not a JSON object (a cut copy, or edited?)", shown, here);
            cJSON_Delete(block);
            ret = -EINVAL;
            break;
        }
        ret = add_block(r, block, shown, here);
        if (last)
            break;
        p = end;
        *p = REPORT_RECORD_SEPARATOR;
    }
    free(text);
    return ret;
}

/* The blocks of r: inline in "workloads", or, for a run still going on or killed, the
 * records of the "workload_files" block file. */
static int load_blocks(struct run *r, int dir_fd, const char *path)
{
    struct reader rd = {path, false};
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(r->root, "workload_files");
    const cJSON *inline_blocks = need_array(&rd, r->root, "", "workloads");
    if (rd.failed)
        return -EINVAL;
    if (files && !cJSON_IsNull(files)) {
        const char *name = need_string(&rd, r->root, "", "workload_files");
        if (rd.failed || strchr(name, '/') || name[0] == '.' || !name[0]) {
            log_error("%s: workload_files: \"%.40s\" is not a file name in the results directory",
                      path, name ? name : "");
            return -EINVAL;
        }
        return load_block_file(r, dir_fd, name);
    }
    size_t n = (size_t)cJSON_GetArraySize(inline_blocks);
    r->blocks = calloc(n ? n : 1, sizeof(*r->blocks));
    if (!r->blocks)
        return -ENOMEM;
    const cJSON *block;
    cJSON_ArrayForEach(block, inline_blocks)
    {
        char here[48];
        snprintf(here, sizeof(here), "workloads[%zu]", r->n_blocks);
        if (!cJSON_IsObject(block)) {
            log_error("%s: %s: expected an object, got %s", path, here, json_type(block));
            return -EINVAL;
        }
        r->blocks[r->n_blocks++] = (cJSON *)block;
        int ret = load_block(r, block, path, here);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Loads dir/results.json into r, checking every field compare reads. Returns 0 or -errno
 * after logging (the caller exits 2). */
static int load_run(const char *dir, struct run *r)
{
    r->dir = dir;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/results.json", dir);
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        log_error("cannot open %s: %s (give directories written by mmbench)", dir, strerror(errno));
        return -errno;
    }
    r->root = read_json(dir_fd, "results.json", path);
    int ret = r->root ? 0 : -EINVAL;
    struct reader rd = {path, false};
    if (ret == 0 && !cJSON_IsObject(r->root)) {
        log_error("%s: expected a JSON object, got %s", path, json_type(r->root));
        ret = -EINVAL;
    }
    if (ret == 0 && strcmp(string_at(r->root, "tool", NULL), "mmbench") != 0) {
        log_error("%s: not an mmbench results.json (its \"tool\" is not \"mmbench\")", path);
        ret = -EINVAL;
    }
    const cJSON *version =
        ret == 0 ? member(&rd, r->root, "", "schema_version", cJSON_IsNumber, "a number", false)
                 : NULL;
    if (ret == 0 && !version)
        ret = -EINVAL;
    if (ret == 0 && version->valuedouble != REPORT_SCHEMA_VERSION) {
        log_error("%s: schema_version %g, but this mmbench reads version %d: compare it with the "
                  "mmbench that wrote it, or rerun the benchmark",
                  path, version->valuedouble, REPORT_SCHEMA_VERSION);
        ret = -EPROTO;
    }
    if (ret == 0) {
        const cJSON *context = need_object(&rd, r->root, "", "context");
        const cJSON *config = need_object(&rd, r->root, "", "config");
        const cJSON *list = config ? need_array(&rd, config, "config", "workloads") : NULL;
        const cJSON *w;
        size_t i = 0;
        cJSON_ArrayForEach(w, list)
        {
            char here[48];
            snprintf(here, sizeof(here), "config.workloads[%zu]", i++);
            if (!cJSON_IsObject(w)) {
                member(&rd, config, "config", "workloads", cJSON_IsObject, "a list of objects",
                       false);
                break;
            }
            need_string(&rd, w, here, "name");
            need_object(&rd, w, here, "params");
        }
        const cJSON *complete =
            member(&rd, r->root, "", "complete", cJSON_IsBool, "true/false", false);
        const cJSON *interrupted =
            member(&rd, r->root, "", "interrupted", cJSON_IsBool, "true/false", false);
        r->complete = cJSON_IsTrue(complete);
        r->interrupted = cJSON_IsTrue(interrupted);
        if (rd.failed) {
            ret = -EINVAL;
        } else {
            const cJSON *targets = cJSON_GetObjectItemCaseSensitive(context, "targets");
            const cJSON *target = cJSON_GetArrayItem(targets, 0);
            r->field[F_KERNEL] = string_at(context, "kernel", "release");
            r->field[F_FS] = string_at(target, "fs_type", NULL);
            r->field[F_MOUNT_OPTIONS] = string_at(target, "mount_options", NULL);
            r->field[F_CPU] = string_at(context, "cpu", "brand");
            r->field[F_HOST] = string_at(context, "hostname", NULL);
            r->field[F_VERSION] = string_at(context, "mmbench_version", NULL);
            r->field[F_DATE] = string_at(context, "date_utc", NULL);
            r->field[F_CONFIG] = string_at(r->root, "config", "name");
            ret = load_blocks(r, dir_fd, path);
        }
    }
    close(dir_fd);
    return ret;
}

/* The params object of workload in run r, or NULL when the run did not run it (a config
 * lists every planned workload; an interrupted run has blocks for fewer). */
static const cJSON *workload_params(const struct run *r, const char *workload)
{
    bool ran = false;
    for (size_t i = 0; i < r->n_blocks && !ran; i++)
        ran = strcmp(string_at(r->blocks[i], "name", NULL), workload) == 0;
    if (!ran)
        return NULL;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r->root, "config"), "workloads");
    const cJSON *w;
    cJSON_ArrayForEach(w, list)
    {
        if (strcmp(string_at(w, "name", NULL), workload) == 0)
            return cJSON_GetObjectItemCaseSensitive(w, "params");
    }
    return NULL;
}

/* ---- kernel settings ---- */

/* Adds the setting named by the first len bytes of key, unless it is known already. */
static void add_setting(struct compare *cmp, const char *key, size_t len)
{
    if (len >= sizeof(cmp->settings[0].key))
        return;
    for (size_t i = 0; i < cmp->n_settings; i++)
        if (strlen(cmp->settings[i].key) == len && strncmp(cmp->settings[i].key, key, len) == 0)
            return;
    if (cmp->n_settings < MAX_SETTINGS)
        snprintf(cmp->settings[cmp->n_settings++].key, sizeof(cmp->settings[0].key), "%.*s",
                 (int)len, key);
}

/* The value workload parameters p give key: its own column, or a pair of the sysctl
 * object ("vm.swappiness=10+thp_64kB=always"); NULL when unset. */
static const char *param_setting(const cJSON *p, const char *key, char *buf, size_t len)
{
    const char *own = string_at(p, key, NULL);
    if (own[0] && strcmp(own, "unset") != 0)
        return own;
    const char *pairs = string_at(p, "sysctl", NULL);
    size_t klen = strlen(key);
    for (const char *pair = pairs; *pair;) {
        size_t n = strcspn(pair, "+");
        if (n > klen && strncmp(pair, key, klen) == 0 && pair[klen] == '=') {
            snprintf(buf, len, "%.*s", (int)(n - klen - 1), pair + klen + 1);
            return buf;
        }
        pair += n + (pair[n] == '+');
    }
    return NULL;
}

/* The setting as run r's context has it: targets[0] for those of the data directory. */
static void context_setting(const struct run *r, const char *key, char *buf, size_t len)
{
    const cJSON *context = cJSON_GetObjectItemCaseSensitive(r->root, "context");
    const cJSON *target =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(context, "targets"), 0);
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(
        strcmp(key, "read_ahead_kb") == 0 || strcmp(key, "large_folios") == 0
            ? target
            : cJSON_GetObjectItemCaseSensitive(context, "kernel_settings"),
        key);
    if (cJSON_IsNumber(item))
        snprintf(buf, len, "%.0f", item->valuedouble);
    else if (cJSON_IsString(item) && strcmp(key, "large_folios") == 0)
        snprintf(buf, len, "%.*s", (int)strcspn(item->valuestring, " "), item->valuestring);
    else if (cJSON_IsString(item) && strncmp(item->valuestring, "n/a", 3) != 0)
        snprintf(buf, len, "%s", item->valuestring);
    else
        snprintf(buf, len, "n/a");
}

/* What every workload of run r ran key under (see struct setting); true when its config
 * set it. */
static bool run_setting(const struct run *r, const char *key, char *buf, size_t len)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r->root, "config"), "workloads");
    char first[LABEL_MAX] = "", mine[LABEL_MAX];
    bool any = false, varies = false;
    const cJSON *w;
    cJSON_ArrayForEach(w, list)
    {
        const char *v =
            param_setting(cJSON_GetObjectItemCaseSensitive(w, "params"), key, mine, sizeof(mine));
        if (!any)
            snprintf(first, sizeof(first), "%s", v ? v : "");
        varies = varies || strcmp(first, v ? v : "") != 0;
        any = true;
    }
    if (varies)
        snprintf(buf, len, "varies");
    else if (first[0])
        snprintf(buf, len, "%s", first);
    else
        context_setting(r, key, buf, len);
    return varies || first[0];
}

/* Every kernel setting any run names (in its context or its config), as each run had it. */
static void collect_settings(struct compare *cmp)
{
    add_setting(cmp, "read_ahead_kb", strlen("read_ahead_kb"));
    add_setting(cmp, "large_folios", strlen("large_folios"));
    for (size_t i = 0; i < cmp->n_runs; i++) {
        const cJSON *context = cJSON_GetObjectItemCaseSensitive(cmp->runs[i].root, "context");
        const cJSON *settings = cJSON_GetObjectItemCaseSensitive(context, "kernel_settings");
        const cJSON *item;
        cJSON_ArrayForEach(item, settings)
        {
            add_setting(cmp, item->string, strlen(item->string));
        }
    }
    for (size_t i = 0; i < cmp->n_runs; i++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cmp->runs[i].root, "config"), "workloads");
        const cJSON *w;
        cJSON_ArrayForEach(w, list)
        {
            /* sysctl pairs: "vm.swappiness=10+...": the key of each. */
            const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(w, "params"), "sysctl");
            if (!cJSON_IsString(pairs))
                continue;
            for (const char *p = pairs->valuestring; *p;) {
                size_t n = strcspn(p, "+"), k = strcspn(p, "=");
                if (k < n)
                    add_setting(cmp, p, k);
                p += n + (p[n] == '+');
            }
        }
    }
    for (size_t s = 0; s < cmp->n_settings; s++) {
        struct setting *st = &cmp->settings[s];
        for (size_t i = 0; i < cmp->n_runs; i++)
            st->configured[i] =
                run_setting(&cmp->runs[i], st->key, st->value[i], sizeof(st->value[i]));
        /* A value nobody could read tells nothing apart, unless a config set it. */
        for (size_t i = 0; i < cmp->n_runs; i++)
            for (size_t j = 0; j < i; j++)
                st->differs =
                    st->differs ||
                    (strcmp(st->value[i], st->value[j]) != 0 &&
                     ((strcmp(st->value[i], "n/a") != 0 && strcmp(st->value[j], "n/a") != 0) ||
                      st->configured[i] || st->configured[j]));
    }
}

/* True when key is a kernel setting: a workload parameter that differs between runs then
 * labels them rather than making the workload not comparable. */
static bool is_setting(const struct compare *cmp, const char *key)
{
    if (strcmp(key, "sysctl") == 0)
        return true;
    for (size_t i = 0; i < cmp->n_settings; i++)
        if (strcmp(cmp->settings[i].key, key) == 0)
            return true;
    return false;
}

/* First parameter (other than dir and the kernel settings) whose value differs, or NULL
 * when they match. */
static const char *params_differ(const struct compare *cmp, const cJSON *a, const cJSON *b)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, a)
    {
        if (strcmp(item->string, "dir") == 0 || is_setting(cmp, item->string))
            continue;
        const cJSON *other = cJSON_GetObjectItemCaseSensitive(b, item->string);
        if (!other || !cJSON_Compare(item, other, 1))
            return item->string;
    }
    cJSON_ArrayForEach(item, b)
    {
        if (strcmp(item->string, "dir") != 0 && !is_setting(cmp, item->string) &&
            !cJSON_GetObjectItemCaseSensitive(a, item->string))
            return item->string;
    }
    return NULL;
}

/* The run's own headline ratio (mmap/pread) of workload, or NAN. */
static double mmap_pread_ratio(const struct run *r, const char *workload)
{
    for (size_t i = 0; i < r->n_blocks; i++) {
        if (strcmp(string_at(r->blocks[i], "name", NULL), workload) != 0)
            continue;
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(r->blocks[i], "comparisons"))
        {
            const cJSON *ratio = cJSON_GetObjectItemCaseSensitive(c, "ratio");
            if (strcmp(string_at(c, "numerator", NULL), "mmap") == 0 &&
                strcmp(string_at(c, "denominator", NULL), "pread") == 0 && cJSON_IsNumber(ratio))
                return ratio->valuedouble;
        }
    }
    return NAN;
}

/* Labels from the context fields and kernel settings that differ between runs: "6.1.0
 * ext4", "read_ahead_kb=128 thp=never". */
static void make_labels(struct compare *cmp, const char *const *given, size_t n_given,
                        bool differs[F_COUNT])
{
    for (int f = 0; f < F_COUNT; f++) {
        differs[f] = false;
        for (size_t i = 1; i < cmp->n_runs; i++)
            differs[f] = differs[f] || strcmp(cmp->runs[i].field[f], cmp->runs[0].field[f]) != 0;
    }
    for (size_t i = 0; i < cmp->n_runs; i++) {
        struct run *r = &cmp->runs[i];
        if (i < n_given) {
            snprintf(r->label, sizeof(r->label), "%s", given[i]);
            continue;
        }
        size_t used = 0;
        r->label[0] = '\0';
        /* The date and config only label runs when nothing more telling differs. */
        for (int f = 0; f < F_DATE; f++) {
            if (!differs[f])
                continue;
            int n = snprintf(r->label + used, sizeof(r->label) - used, "%s%.40s", used ? " " : "",
                             r->field[f]);
            used += n > 0 ? (size_t)n : 0;
            if (used >= sizeof(r->label))
                break;
        }
        for (size_t s = 0; s < cmp->n_settings && used < sizeof(r->label); s++) {
            if (!cmp->settings[s].differs)
                continue;
            int n = snprintf(r->label + used, sizeof(r->label) - used, "%s%s=%.40s",
                             used ? " " : "", cmp->settings[s].key, cmp->settings[s].value[i]);
            used += n > 0 ? (size_t)n : 0;
        }
        if (!r->label[0]) {
            const char *base = strrchr(r->dir, '/');
            base = base && base[1] ? base + 1 : r->dir;
            snprintf(r->label, sizeof(r->label), "%s", base);
        }
    }
    /* Labels must tell runs apart. */
    for (size_t i = 1; i < cmp->n_runs; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cmp->runs[i].label, cmp->runs[j].label) == 0) {
                size_t len = strlen(cmp->runs[i].label);
                snprintf(cmp->runs[i].label + (len < LABEL_MAX - 8 ? len : LABEL_MAX - 8), 8,
                         " #%zu", i);
                break;
            }
        }
    }
}

/* One row of the comparison: a workload x backend in one run. */
struct row {
    const char *workload;
    const char *backend;
    size_t run;
    struct stats_summary tput;
    double ratio, ci_low, ci_high;
    bool significant;
    bool regressed;
    double mmap_pread;
};

/* Workloads in the order the runs list them, each once. */
static size_t workload_names(const struct compare *cmp, const char **names, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < cmp->n_runs; i++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cmp->runs[i].root, "config"), "workloads");
        const cJSON *w;
        cJSON_ArrayForEach(w, list)
        {
            const char *name = string_at(w, "name", NULL);
            bool seen = false;
            for (size_t k = 0; k < n && !seen; k++)
                seen = strcmp(names[k], name) == 0;
            if (!seen && n < max)
                names[n++] = name;
        }
    }
    return n;
}

static void compute_row(const struct compare *cmp, struct row *row, const struct series *base,
                        const struct series *s)
{
    stats_summarize(s->tput, s->n, 0x636d70ULL + row->run, &row->tput);
    row->ratio = stats_ratio_ci(s->tput, s->n, base->tput, base->n, 0x72617469ULL + row->run,
                                &row->ci_low, &row->ci_high);
    row->significant = !isnan(row->ci_low) && (row->ci_low > 1 || row->ci_high < 1);
    if (!isnan(cmp->fail_above_pct) && row->run > 0) {
        double limit = 1 - cmp->fail_above_pct / 100;
        row->regressed = isnan(row->ci_high) ? row->ratio < limit : row->ci_high < limit;
    }
    row->mmap_pread = mmap_pread_ratio(&cmp->runs[row->run], row->workload);
}

static void write_number_csv(FILE *f, double x)
{
    fputc(',', f);
    if (!isnan(x))
        fprintf(f, "%.6g", x);
}

static int write_csv(FILE *f, const struct compare *cmp, const struct row *rows, size_t n)
{
    fputs("workload,backend,run,run_index,run_dir,tput_median_mib_s,tput_ci_low_mib_s,"
          "tput_ci_high_mib_s,repetitions,ratio_to_baseline,ratio_ci_low,ratio_ci_high,"
          "change_pct,significant,regressed,mmap_pread_ratio\n",
          f);
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        report_csv_field(f, r->workload);
        fputc(',', f);
        report_csv_field(f, r->backend);
        fputc(',', f);
        report_csv_field(f, cmp->runs[r->run].label);
        fprintf(f, ",%zu,", r->run);
        report_csv_field(f, cmp->runs[r->run].dir);
        write_number_csv(f, r->tput.median);
        write_number_csv(f, r->tput.ci_low);
        write_number_csv(f, r->tput.ci_high);
        fprintf(f, ",%zu", r->tput.n);
        write_number_csv(f, r->ratio);
        write_number_csv(f, r->ci_low);
        write_number_csv(f, r->ci_high);
        write_number_csv(f, (r->ratio - 1) * 100);
        fprintf(f, ",%s,%s", r->significant ? "true" : "false", r->regressed ? "true" : "false");
        write_number_csv(f, r->mmap_pread);
        fputc('\n', f);
    }
    return ferror(f) ? -EIO : 0;
}

struct missing {
    const char *workload;
    char reason[160];
    bool in_run[MAX_RUNS];
};

static int write_json(FILE *f, const struct compare *cmp, const bool differs[F_COUNT],
                      const struct row *rows, size_t n, const struct missing *missing,
                      size_t n_missing)
{
    struct json_writer jw;
    jw_init(&jw, f);
    jw_object_begin(&jw, NULL);
    jw_int(&jw, "schema_version", COMPARE_JSON_VERSION);
    jw_string(&jw, "tool", "mmbench-compare");
    jw_string(&jw, "baseline", cmp->runs[0].label);
    jw_number(&jw, "fail_above_pct", cmp->fail_above_pct);
    jw_array_begin(&jw, "runs");
    for (size_t i = 0; i < cmp->n_runs; i++) {
        jw_object_begin(&jw, NULL);
        jw_string(&jw, "label", cmp->runs[i].label);
        jw_string(&jw, "dir", cmp->runs[i].dir);
        jw_bool(&jw, "complete", cmp->runs[i].complete);
        jw_bool(&jw, "interrupted", cmp->runs[i].interrupted);
        for (int fld = 0; fld < F_COUNT; fld++)
            jw_string(&jw, field_names[fld], cmp->runs[i].field[fld]);
        jw_object_end(&jw);
    }
    jw_array_end(&jw);
    jw_object_begin(&jw, "differences");
    for (int fld = 0; fld < F_COUNT; fld++) {
        if (!differs[fld])
            continue;
        jw_array_begin(&jw, field_names[fld]);
        for (size_t i = 0; i < cmp->n_runs; i++)
            jw_string(&jw, NULL, cmp->runs[i].field[fld]);
        jw_array_end(&jw);
    }
    for (size_t s = 0; s < cmp->n_settings; s++) {
        if (!cmp->settings[s].differs)
            continue;
        jw_array_begin(&jw, cmp->settings[s].key);
        for (size_t i = 0; i < cmp->n_runs; i++)
            jw_string(&jw, NULL, cmp->settings[s].value[i]);
        jw_array_end(&jw);
    }
    jw_object_end(&jw);
    jw_array_begin(&jw, "rows");
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        jw_object_begin(&jw, NULL);
        jw_string(&jw, "workload", r->workload);
        jw_string(&jw, "backend", r->backend);
        jw_string(&jw, "run", cmp->runs[r->run].label);
        jw_u64(&jw, "run_index", r->run);
        jw_string(&jw, "run_dir", cmp->runs[r->run].dir);
        jw_number(&jw, "tput_median_mib_s", r->tput.median);
        jw_number(&jw, "tput_ci_low_mib_s", r->tput.ci_low);
        jw_number(&jw, "tput_ci_high_mib_s", r->tput.ci_high);
        jw_u64(&jw, "repetitions", r->tput.n);
        jw_number(&jw, "ratio_to_baseline", r->ratio);
        jw_number(&jw, "ratio_ci_low", r->ci_low);
        jw_number(&jw, "ratio_ci_high", r->ci_high);
        jw_number(&jw, "change_pct", (r->ratio - 1) * 100);
        jw_bool(&jw, "significant", r->significant);
        jw_bool(&jw, "regressed", r->regressed);
        jw_number(&jw, "mmap_pread_ratio", r->mmap_pread);
        jw_object_end(&jw);
    }
    jw_array_end(&jw);
    jw_array_begin(&jw, "not_comparable");
    for (size_t i = 0; i < n_missing; i++) {
        jw_object_begin(&jw, NULL);
        jw_string(&jw, "workload", missing[i].workload);
        jw_array_begin(&jw, "runs");
        for (size_t r = 0; r < cmp->n_runs; r++)
            if (missing[i].in_run[r])
                jw_string(&jw, NULL, cmp->runs[r].label);
        jw_array_end(&jw);
        jw_string(&jw, "reason", missing[i].reason);
        jw_object_end(&jw);
    }
    jw_array_end(&jw);
    jw_array_begin(&jw, "regressions");
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].regressed)
            continue;
        jw_object_begin(&jw, NULL);
        jw_string(&jw, "workload", rows[i].workload);
        jw_string(&jw, "backend", rows[i].backend);
        jw_string(&jw, "run", cmp->runs[rows[i].run].label);
        jw_number(&jw, "ratio", rows[i].ratio);
        jw_object_end(&jw);
    }
    jw_array_end(&jw);
    jw_object_end(&jw);
    return ferror(f) ? -EIO : 0;
}

static void print_table(const struct compare *cmp, const bool differs[F_COUNT],
                        const struct row *rows, size_t n, const struct missing *missing,
                        size_t n_missing)
{
    printf("comparing %zu runs; baseline: %s\n", cmp->n_runs, cmp->runs[0].label);
    for (size_t i = 0; i < cmp->n_runs; i++)
        printf("  [%zu] %-24s %s (%s, %s, %s)%s\n", i, cmp->runs[i].label, cmp->runs[i].dir,
               cmp->runs[i].field[F_KERNEL], cmp->runs[i].field[F_FS], cmp->runs[i].field[F_DATE],
               cmp->runs[i].complete      ? ""
               : cmp->runs[i].interrupted ? " INTERRUPTED: not every workload ran"
                                          : " INCOMPLETE: not every workload ran");
    bool any = false;
    for (int f = 0; f < F_DATE; f++) {
        if (!differs[f])
            continue;
        printf("%s%s:", any ? "\n             " : "differences: ", field_names[f]);
        for (size_t i = 0; i < cmp->n_runs; i++)
            printf(" %s[%zu] %s", i ? "| " : "", i, cmp->runs[i].field[f]);
        any = true;
    }
    for (size_t s = 0; s < cmp->n_settings; s++) {
        if (!cmp->settings[s].differs)
            continue;
        printf("%s%s:", any ? "\n             " : "differences: ", cmp->settings[s].key);
        for (size_t i = 0; i < cmp->n_runs; i++)
            printf(" %s[%zu] %s", i ? "| " : "", i, cmp->settings[s].value[i]);
        any = true;
    }
    printf("%s\n", any ? ""
                       : "differences: none in kernel, filesystem, mount options, CPU, "
                         "host, version or kernel settings (the same setup run again?)");
    printf("\n%-32s %-7s", "workload", "backend");
    for (size_t i = 0; i < cmp->n_runs; i++) {
        char head[24];
        snprintf(head, sizeof(head), "[%zu] MiB/s", i);
        if (i == 0)
            printf(" %12s", head);
        else
            printf("   %12s %-22s", head, "ratio to [0]");
    }
    putchar('\n');
    for (size_t i = 0; i < n;) {
        printf("%-32.32s %-7s", rows[i].workload, rows[i].backend);
        size_t j = i;
        for (size_t run = 0; run < cmp->n_runs; run++) {
            if (j < n && rows[j].run == run && strcmp(rows[j].workload, rows[i].workload) == 0 &&
                strcmp(rows[j].backend, rows[i].backend) == 0) {
                const struct row *r = &rows[j++];
                if (run == 0) {
                    printf(" %12.1f", r->tput.median);
                    continue;
                }
                char ci[40] = "";
                if (!isnan(r->ci_low))
                    snprintf(ci, sizeof(ci), "[%.2f, %.2f]", r->ci_low, r->ci_high);
                printf("   %12.1f %5.2fx %-13s %s", r->tput.median, r->ratio, ci,
                       r->regressed     ? "REGRESSED"
                       : r->significant ? "*"
                                        : " ");
            } else {
                printf(run == 0 ? " %12s" : "   %12s %-22s", "-", "");
            }
        }
        putchar('\n');
        i = j > i ? j : i + 1;
    }
    printf("(* = the 95%% interval of the ratio excludes 1)\n");
    for (size_t i = 0; i < n_missing; i++) {
        printf("not comparable: %s: %s (in:", missing[i].workload, missing[i].reason);
        for (size_t r = 0; r < cmp->n_runs; r++)
            if (missing[i].in_run[r])
                printf(" [%zu]", r);
        printf(")\n");
    }
}

static void compare_usage(FILE *out)
{
    fprintf(out, "usage: mmbench compare [options] BASELINE_DIR RUN_DIR...\n"
                 "\n"
                 "  -o, --output DIR      write compare.csv and compare.json to DIR\n"
                 "                        (new or empty; default results/compare-<time>)\n"
                 "      --replace         DIR may hold files; compare.csv and compare.json\n"
                 "                        in it are replaced\n"
                 "      --fail-above PCT  exit 1 when a workload regressed by more than PCT%%\n"
                 "      --label NAME      name the runs in order (repeat once per run)\n"
                 "  -h, --help            this text; see docs/compare.md\n");
}

/* Builds the rows of every workload each run has with the baseline's parameters, and lists
 * the workloads some run lacks or has with other parameters. */
static size_t build_rows(struct compare *cmp, struct row *rows, size_t max_rows,
                         struct missing *missing, size_t *n_missing)
{
    const char *names[4096];
    size_t n_names = workload_names(cmp, names, 4096), n = 0;
    *n_missing = 0;
    for (size_t w = 0; w < n_names; w++) {
        struct missing m = {.workload = names[w]};
        const cJSON *base_params = workload_params(&cmp->runs[0], names[w]);
        bool comparable[MAX_RUNS];
        size_t used = 0;
        for (size_t r = 0; r < cmp->n_runs; r++) {
            const cJSON *p = workload_params(&cmp->runs[r], names[w]);
            const char *key = p && base_params ? params_differ(cmp, base_params, p) : NULL;
            m.in_run[r] = p != NULL;
            comparable[r] = p && base_params && !key;
            int len = 0;
            if (!p)
                len = snprintf(m.reason + used, sizeof(m.reason) - used, "%snot run in [%zu]",
                               used ? "; " : "", r);
            else if (key)
                len = snprintf(m.reason + used, sizeof(m.reason) - used,
                               "%sother parameters in [%zu] (%s)", used ? "; " : "", r, key);
            used += len > 0 && (size_t)len < sizeof(m.reason) - used ? (size_t)len : 0;
        }
        if (!base_params)
            snprintf(m.reason, sizeof(m.reason), "not in the baseline [0]");
        if (m.reason[0])
            missing[(*n_missing)++] = m;
        if (!base_params)
            continue;
        /* Every backend the baseline ran this workload on, in the order it lists them. */
        const char *backends[MAX_BACKENDS];
        size_t n_backends = 0;
        for (size_t i = 0; i < cmp->runs[0].n_series && n_backends < MAX_BACKENDS; i++)
            if (strcmp(cmp->runs[0].series[i].workload, names[w]) == 0)
                backends[n_backends++] = cmp->runs[0].series[i].backend;
        for (size_t b = 0; b < n_backends; b++) {
            const struct series *base = find_series(&cmp->runs[0], names[w], backends[b]);
            if (!base)
                continue;
            for (size_t r = 0; r < cmp->n_runs && n < max_rows; r++) {
                const struct series *s =
                    comparable[r] ? find_series(&cmp->runs[r], names[w], backends[b]) : NULL;
                if (!s)
                    continue;
                struct row *row = &rows[n++];
                memset(row, 0, sizeof(*row));
                row->workload = names[w];
                row->backend = backends[b];
                row->run = r;
                compute_row(cmp, row, base, s);
                cmp->any_regression = cmp->any_regression || row->regressed;
            }
        }
    }
    return n;
}

int compare_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'}, {"fail-above", required_argument, NULL, 'F'},
        {"label", required_argument, NULL, 'L'},  {"replace", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct compare *cmp = calloc(1, sizeof(*cmp));
    if (!cmp)
        return EXIT_USAGE;
    cmp->fail_above_pct = NAN;
    const char *output = NULL, *labels[MAX_RUNS];
    size_t n_labels = 0;
    bool replace = false;
    int status = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", options, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 'F':
            cmp->fail_above_pct = strtod(optarg, &end);
            /* "nan" or "inf" would turn the gate off without a word. */
            if (*end || end == optarg || !isfinite(cmp->fail_above_pct) ||
                cmp->fail_above_pct < 0 || cmp->fail_above_pct >= 100) {
                fprintf(stderr,
                        "mmbench compare: --fail-above %s: expected a percentage "
                        "between 0 and 100\n\n",
                        optarg);
                compare_usage(stderr);
                status = EXIT_USAGE;
                goto out;
            }
            break;
        case 'L':
            if (n_labels < MAX_RUNS)
                labels[n_labels++] = optarg;
            break;
        case 'R':
            replace = true;
            break;
        case 'h':
            compare_usage(stdout);
            goto out;
        default:
            fprintf(stderr, "mmbench compare: %s %s\n\n",
                    c == ':' ? "missing argument for" : "unknown option", argv[optind - 1]);
            compare_usage(stderr);
            status = EXIT_USAGE;
            goto out;
        }
    }
    size_t n_dirs = (size_t)(argc - optind);
    if (n_dirs < 2 || n_dirs > MAX_RUNS) {
        fprintf(stderr, "mmbench compare: give between 2 and %d result directories\n\n", MAX_RUNS);
        compare_usage(stderr);
        status = EXIT_USAGE;
        goto out;
    }
    if (n_labels && n_labels != n_dirs) {
        fprintf(stderr, "mmbench compare: %zu --label for %zu directories (give one per run)\n",
                n_labels, n_dirs);
        status = EXIT_USAGE;
        goto out;
    }
    for (size_t i = 0; i < n_dirs; i++) {
        if (load_run(argv[optind + (int)i], &cmp->runs[cmp->n_runs++]) < 0) {
            status = EXIT_USAGE;
            goto out;
        }
    }
    bool differs[F_COUNT];
    collect_settings(cmp);
    make_labels(cmp, labels, n_labels, differs);
    for (size_t i = 0; i < cmp->n_runs; i++)
        if (!cmp->runs[i].complete)
            log_warn("%s [%zu] %s: the run %s before every workload ran: workloads it lacks "
                     "are listed as not comparable%s",
                     i == 0 ? "the baseline" : "run", i, cmp->runs[i].dir,
                     cmp->runs[i].interrupted ? "was interrupted" : "stopped",
                     i == 0 ? ", and its last workload may have fewer repetitions" : "");

    size_t max_rows = 1;
    for (size_t r = 0; r < cmp->n_runs; r++)
        max_rows += cmp->runs[r].n_series * cmp->n_runs;
    struct row *rows = calloc(max_rows, sizeof(*rows));
    struct missing *missing = calloc(4096, sizeof(*missing));
    if (!rows || !missing) {
        free(rows);
        free(missing);
        status = EXIT_USAGE;
        goto out;
    }
    size_t n_missing = 0;
    size_t n = build_rows(cmp, rows, max_rows, missing, &n_missing);
    print_table(cmp, differs, rows, n, missing, n_missing);

    struct outdir dir;
    if (signals_stop_requested()) {
        log_error("interrupted: the comparison was not written");
        status = EXIT_INTERRUPTED;
    } else if (outdir_open(&dir, output, "compare", replace) < 0) {
        status = EXIT_USAGE;
    } else {
        struct outdir_file of;
        int ret = outdir_file_begin(&of, &dir, "compare.csv");
        if (ret == 0)
            ret = outdir_file_commit(&of, write_csv(of.f, cmp, rows, n));
        if (ret == 0)
            ret = outdir_file_begin(&of, &dir, "compare.json");
        if (ret == 0)
            ret = outdir_file_commit(&of,
                                     write_json(of.f, cmp, differs, rows, n, missing, n_missing));
        if (ret < 0) {
            log_error("writing the comparison to %s: %s", dir.path, strerror(-ret));
            status = EXIT_USAGE;
        } else {
            printf("\ncomparison: %s/ (compare.csv, compare.json)\n", dir.path);
        }
        outdir_close(&dir);
    }
    if (status == 0 && cmp->any_regression) {
        fprintf(stderr,
                "mmbench compare: a workload regressed by more than %.1f%% (see "
                "REGRESSED above)\n",
                cmp->fail_above_pct);
        status = EXIT_REGRESSED;
    }
    free(rows);
    free(missing);
out:
    for (size_t i = 0; i < cmp->n_runs; i++) {
        struct run *r = &cmp->runs[i];
        for (size_t b = 0; r->blocks_owned && b < r->n_blocks; b++)
            cJSON_Delete(r->blocks[b]);
        free(r->blocks);
        cJSON_Delete(r->root);
        free(r->series);
    }
    free(cmp);
    return status;
}
