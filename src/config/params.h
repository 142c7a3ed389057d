/* The workload keys: one table that names every config key, its type, range, default,
 * unit-suffixed results column, documentation, and where its value lives.
 *
 * The core keys are the rows of params.c; a backend brings the keys only it understands as
 * rows of its own (backend_ops.params), stored in its slot of workload.options. Everything
 * else reads the table: config.c parses and validates values through it, expand.c applies
 * them, the reporters write one column per key, --list-keys prints it, and the schema, the
 * man page's KEYS section and the key table of configs/README.md are generated from
 * --list-keys --json (scripts/gen-docs). Adding a key is adding one row. */
#ifndef MMBENCH_PARAMS_H
#define MMBENCH_PARAMS_H

#include "workload.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum param_type {
    PARAM_STRING,          /* const char * */
    PARAM_SIZE,            /* uint64_t bytes: 4096, "4k", "4KiB" */
    PARAM_DURATION,        /* uint64_t nanoseconds: "500ms", "5s", or a number of seconds */
    PARAM_COUNT,           /* uint64_t */
    PARAM_COUNT32,         /* uint32_t */
    PARAM_FRACTION,        /* double in [0, 1] */
    PARAM_REAL,            /* double */
    PARAM_ENUM,            /* an enum, stored as int */
    PARAM_BOOL,            /* bool */
    PARAM_SYNC_EVERY,      /* N operations, a size in bytes ("1MiB"), or "end" */
    PARAM_BACKENDS,        /* list of backend names -> bit mask (uint32_t) */
    PARAM_BACKEND,         /* one backend name -> registry index (int) */
    PARAM_PIN,             /* false, true (round robin over allowed CPUs) or "0-3,8" */
    PARAM_KERNEL_SETTING,  /* const char *: a word or a whole number as text; NULL = "unset" */
    PARAM_KERNEL_SETTINGS, /* const char *: an object of settings as "key=value+key=value",
                              sorted by key; NULL = none ({}) */
};

/* The longest value of a kernel-setting key as text (the sysctl object's "key=value+..."
 * included): what fits a results column. */
#define PARAM_SETTINGS_TEXT_MAX 240

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
    const char *name;              /* config key */
    const char *column;            /* results column, unit-suffixed, unique among columns */
    enum param_type type;          /* how values are written and stored */
    size_t offset;                 /* in struct workload, or in the owner's options */
    const char *const *enum_names; /* PARAM_ENUM: NULL-terminated */
    double min, max;               /* accepted numeric range (sizes in bytes) */
    uint64_t multiple_of;          /* a size must be a multiple of this; 0 = any */
    double min_nonzero;            /* a value other than 0 must be at least this; 0 = none */
    const char *default_text;      /* default, as a config spells it; NULL = none */
    const char *group;             /* the documentation section it is listed in */
    const char *values;            /* docs: how values are written, if the type says too
                                      little; NULL = derived from type, range and enum */
    const char *doc;               /* what it does, one sentence; `code` in backquotes */
    unsigned needs_caps;           /* BACKEND_CAP_* a running backend must have, 0 = none */
    const char *replaces;          /* a key this one replaces: one object must not give both,
                                      and giving this one clears the other's inherited value */
};

/* The keys that give a config its shape rather than a workload a value: the config's
 * "name", "description", "defaults", "workloads", "$schema", and a workload's "name" and
 * "description". config.c accepts exactly these; the docs are generated from them too. */
enum structure_place { STRUCTURE_CONFIG, STRUCTURE_WORKLOAD };

struct structure_key {
    const char *name;
    enum structure_place place;
    const char *json_type; /* "string", "object", "array" */
    bool required;
    const char *doc;
};

extern const struct structure_key structure_keys[];
extern const size_t structure_key_count;

/* True when name is a structure key of place. */
bool structure_key_known(const char *name, enum structure_place place);

/* Every key: the core rows, then each backend's rows in registry order. */
size_t params_count(void);
const struct param_def *params_at(size_t index);

const struct param_def *param_find(const char *name);

/* The backend or kind that owns d (NULL for a core key), and d's slot in
 * workload.options (-1 for a core key; below WORKLOAD_BACKEND_SLOTS a backend's, from it
 * a kind's). */
const char *param_owner(const struct param_def *d);
int param_slot(const struct param_def *d);

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

/* Checks one kernel setting's value as text (printable, no '=' or '+', no space at either
 * end): the syntax only, the kernel checks the rest. Returns 0 or -EINVAL with *why. */
int param_check_setting(const char *text, const char **why);

/* Stores v into w. */
void param_apply(const struct param_def *d, const struct param_value *v, struct workload *w);

/* Sets d's field in w to zero (no value): what a key that replaces d leaves behind. */
void param_clear(const struct param_def *d, struct workload *w);

/* Gives w every table default (also the backends' options). Fields without a default are
 * zero. */
void params_set_defaults(struct workload *w);

/* True when w's value of d differs from the table default. */
bool param_is_set(const struct param_def *d, const struct workload *w);

/* The value of d in w as a config would spell it ("4KiB", "random", "500ms"). */
char *param_format_config(const struct param_def *d, const struct workload *w, char *buf,
                          size_t len);

/* The value of d in w for a results column: plain numbers in the column's unit,
 * enum names, "true"/"false". Never contains a comma or a quote except for strings,
 * which the CSV writer escapes. */
char *param_format_column(const struct param_def *d, const struct workload *w, char *buf,
                          size_t len);

/* True when the column is numeric (JSON number rather than string), and when it is a
 * JSON boolean. */
bool param_column_is_number(const struct param_def *d);
bool param_column_is_bool(const struct param_def *d);

/* Name of enum value e of d. */
const char *param_enum_name(const struct param_def *d, int e);

/* Parses a CPU list "0-3,8" into a bit mask of up to 1024 CPUs. Returns 0 or -EINVAL. */
int param_parse_cpulist(const char *text, uint64_t mask[16], const char **why);

/* --list-keys: the table for people (report/catalog.c writes it as JSON). */
void params_print(FILE *out);

/* The name of d's type in the JSON catalog: "size", "enum", ... */
const char *param_type_name(const struct param_def *d);

#endif
