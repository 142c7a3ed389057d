/* The workload parameters: one table that names every config key, its type, its default,
 * its unit-suffixed column name in results, and where it lives in struct workload.
 *
 * config.c parses JSON values through it, expand.c applies them, the reporters write
 * one column per entry, and --list-keys prints it: adding a key is one table row. */
#ifndef MMBENCH_PARAMS_H
#define MMBENCH_PARAMS_H

#include "workload.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum param_type {
    PARAM_STRING,     /* const char * */
    PARAM_SIZE,       /* uint64_t bytes: 4096, "4k", "4KiB" */
    PARAM_DURATION,   /* uint64_t nanoseconds: "500ms", "5s", or a number of seconds */
    PARAM_COUNT,      /* uint64_t */
    PARAM_COUNT32,    /* uint32_t */
    PARAM_FRACTION,   /* double in [0, 1] */
    PARAM_REAL,       /* double */
    PARAM_ENUM,       /* an enum, stored as int */
    PARAM_BOOL,       /* bool */
    PARAM_SYNC_EVERY, /* N operations, a size in bytes ("1MiB"), or "end" */
    PARAM_BACKENDS,   /* list of backend names -> bit mask */
    PARAM_PIN,        /* false, true (round robin over allowed CPUs) or "0-3,8" */
};

/* One parsed value, before it is applied to a workload. */
struct param_value {
    union {
        uint64_t u;
        double d;
        int e;
        bool b;
        const char *s; /* owned by the config's string pool */
    };
    uint64_t u2; /* PARAM_SYNC_EVERY: bytes (u holds operations) */
};

struct param_def {
    const char *name;   /* config key */
    const char *column; /* results column, unit-suffixed */
    enum param_type type;
    size_t offset;                 /* of the field in struct workload */
    const char *const *enum_names; /* PARAM_ENUM: NULL-terminated */
    double min, max;               /* accepted numeric range (sizes in bytes) */
    const char *default_text;      /* default, as a config would spell it; NULL = none */
    const char *applies_to;        /* "mmap", "pread" or NULL for both */
    const char *doc;               /* one line */
};

extern const struct param_def param_table[];
extern const size_t param_count;

const struct param_def *param_find(const char *name);

/* The key closest to name (edit distance <= 3) among the table's and the NULL-terminated
 * extra names (may be NULL), or NULL. */
const char *param_suggest(const char *name, const char *const *extra);

/* Parse one JSON scalar for d. Return 0, or -EINVAL with *why a static reason. */
int param_parse_text(const struct param_def *d, const char *text, struct param_value *v,
                     const char **why);
int param_parse_number(const struct param_def *d, double number, struct param_value *v,
                       const char **why);
int param_parse_bool(const struct param_def *d, bool value, struct param_value *v,
                     const char **why);

/* Stores v into w. */
void param_apply(const struct param_def *d, const struct param_value *v, struct workload *w);

/* Gives w every table default. Fields without a default are zero. */
void params_set_defaults(struct workload *w);

/* The value of d in w as a config would spell it ("4KiB", "random", "500ms"). */
char *param_format_config(const struct param_def *d, const struct workload *w, char *buf,
                          size_t len);

/* The value of d in w for a results column: plain numbers in the column's unit,
 * enum names, "true"/"false". Never contains a comma or a quote except for strings,
 * which the CSV writer escapes. */
char *param_format_column(const struct param_def *d, const struct workload *w, char *buf,
                          size_t len);

/* True when the column is numeric (JSON number rather than string). */
bool param_column_is_number(const struct param_def *d);

/* Name of enum value e of d. */
const char *param_enum_name(const struct param_def *d, int e);

/* Parses a CPU list "0-3,8" into a bit mask of up to 1024 CPUs. Returns 0 or -EINVAL. */
int param_parse_cpulist(const char *text, uint64_t mask[16], const char **why);

#endif
