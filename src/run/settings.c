#include "settings.h"

#include "errmsg.h"
#include "knobs.h"
#include "log.h"
#include "params.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct settings {
    struct knobs_plan *plan; /* the workload's settings, resolved and checked */
};

/* The knobs requests of one workload, with the text they point into. */
struct requests {
    struct knobs_request r[KNOBS_MAX];
    size_t n;                                 /* requests in r */
    char value[KNOBS_MAX][KNOBS_VALUE_MAX];   /* the keys' values, as the config gave them */
    char object[PARAM_SETTINGS_TEXT_MAX + 1]; /* the sysctl object's pairs, cut in place */
};

static bool restore_failed;

static int add(struct requests *q, const char *key, const char *value, char *err, size_t len)
{
    if (q->n == KNOBS_MAX)
        return errmsg_set(err, len, -E2BIG, "more than %d kernel settings", KNOBS_MAX);
    q->r[q->n++] = (struct knobs_request){key, value};
    return 0;
}

/* Splits the sysctl object's "key=value+key=value" (params.c made it, so every pair has
 * both). A key with a row of its own goes there, so that one setting has one key. */
static int add_object(struct requests *q, const char *text, char *err, size_t len)
{
    snprintf(q->object, sizeof(q->object), "%s", text);
    int ret = 0;
    for (char *save = NULL, *pair = strtok_r(q->object, "+", &save); pair && ret == 0;
         pair = strtok_r(NULL, "+", &save)) {
        char *eq = strchr(pair, '=');
        *eq = '\0';
        if (param_find(pair))
            return errmsg_set(err, len, -EINVAL,
                              "sysctl: %s is a key of its own: give it outside the sysctl object",
                              pair);
        ret = add(q, pair, eq + 1, err, len);
    }
    return ret;
}

/* The requests of w's kernel-setting keys that are not unset, in key-table order. */
static int gather(const struct workload *w, struct requests *q, char *err, size_t len)
{
    q->n = 0;
    int ret = 0;
    for (size_t i = 0; i < params_count() && ret == 0; i++) {
        const struct param_def *d = params_at(i);
        if (d->type == PARAM_KERNEL_SETTINGS) {
            char text[PARAM_SETTINGS_TEXT_MAX + 1];
            param_format_column(d, w, text, sizeof(text));
            if (text[0])
                ret = add_object(q, text, err, len);
        } else if (d->type == PARAM_KERNEL_SETTING && param_is_set(d, w)) {
            if (q->n == KNOBS_MAX)
                return errmsg_set(err, len, -E2BIG, "more than %d kernel settings", KNOBS_MAX);
            param_format_column(d, w, q->value[q->n], sizeof(q->value[q->n]));
            ret = add(q, d->name, q->value[q->n], err, len);
        }
    }
    return ret;
}

int settings_create(const struct workload *w, struct settings **out, char *err, size_t err_len)
{
    *out = NULL;
    struct requests *q = malloc(sizeof(*q));
    if (!q)
        return errmsg_set(err, err_len, -ENOMEM, "kernel settings: out of memory");
    int ret = gather(w, q, err, err_len);
    struct knobs_plan *plan = NULL;
    if (ret == 0 && q->n > 0)
        ret = knobs_plan_create(q->r, q->n, workload_target(w), &plan, err, err_len);
    free(q);
    if (ret < 0 || !plan)
        return ret;
    struct settings *s = malloc(sizeof(*s));
    if (!s) {
        knobs_plan_free(plan);
        return errmsg_set(err, err_len, -ENOMEM, "kernel settings: out of memory");
    }
    s->plan = plan;
    *out = s;
    return 0;
}

int settings_check(const struct workload *workloads, size_t n, char *err, size_t err_len)
{
    for (size_t i = 0; i < n; i++) {
        char why[1024];
        struct settings *s;
        int ret = settings_create(&workloads[i], &s, why, sizeof(why));
        settings_free(s);
        if (ret < 0)
            return errmsg_set(err, err_len, ret, "%s: %s", workloads[i].name, why);
    }
    return 0;
}

void settings_describe(const struct workload *w, char *buf, size_t len)
{
    struct settings *s;
    char why[1024];
    if (len)
        buf[0] = '\0';
    if (settings_create(w, &s, why, sizeof(why)) < 0)
        snprintf(buf, len, "refused: %s\n", why);
    else if (s)
        knobs_plan_describe(s->plan, buf, len);
    settings_free(s);
}

int settings_apply(struct settings *s, char *applied, size_t applied_len, char *err, size_t err_len)
{
    if (applied_len)
        applied[0] = '\0';
    if (!s)
        return 0;
    int ret = knobs_apply(s->plan, err, err_len);
    if (ret < 0)
        return ret;
    /* The lines of the description, as found at apply time, joined with "; ". */
    char text[SETTINGS_TEXT_MAX * 2];
    knobs_plan_describe(s->plan, text, sizeof(text));
    size_t used = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && used < applied_len;
         line = strtok_r(NULL, "\n", &save))
        used +=
            (size_t)snprintf(applied + used, applied_len - used, "%s%s", used ? "; " : "", line);
    return 0;
}

int settings_restore(struct settings *s, char *err, size_t err_len)
{
    if (!s)
        return 0;
    int ret = knobs_restore(s->plan, err, err_len);
    if (ret < 0)
        restore_failed = true;
    return ret;
}

bool settings_restore_failed(void)
{
    return restore_failed;
}

void settings_free(struct settings *s)
{
    if (!s)
        return;
    char err[1024];
    if (settings_restore(s, err, sizeof(err)) < 0)
        log_error("%s", err);
    knobs_plan_free(s->plan);
    free(s);
}

int settings_recover_dead_runs(bool dry)
{
    char report[8192];
    int ret = dry ? knobs_dead_runs(report, sizeof(report))
                  : knobs_recover_dead_runs(report, sizeof(report));
    if (ret == -EACCES)
        return 0; /* not root: no journal can be read, and none restored */
    for (char *save = NULL, *line = strtok_r(report, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "left ", 5) == 0)
            log_debug("%s", line); /* a live run's: nothing to do */
        else
            log_warn("%s", line);
    }
    if (ret < 0 && !report[0])
        log_warn("kernel settings left by dead runs (%s): %s", KNOBS_JOURNAL_DIR, strerror(-ret));
    return ret < 0 ? 0 : ret;
}
