/* Workload configs: JSON text in, plain structs out. The only module that parses JSON
 * configs (cJSON); expand.c turns the result into concrete workloads.
 *
 * A config has a "name", an optional "description", a "defaults" object and a
 * "workloads" array. Each workload inherits the defaults and overrides keys; any key but
 * "backends" may be a list, which makes the workload a sweep. Overrides given on the
 * command line (--set key=value) replace the key in every workload. */
#ifndef MMBENCH_CONFIG_H
#define MMBENCH_CONFIG_H

#include "params.h"

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_ERROR_MAX 512
#define CONFIG_PATH_MAX  96
/* Limits of a config, the same for a file, a pipe or a device (configs/README.md): a
 * config is a few KiB; anything near these is a mistake. */
#define CONFIG_MAX_BYTES (1u << 20) /* 1 MiB */
#define CONFIG_MAX_DEPTH 32         /* objects and lists nested in one another */

/* One key of a workload after defaults and overrides were merged in. */
struct config_param {
    const struct param_def *def;
    struct param_value *values;
    size_t n_values;
    bool sweep;                 /* given as a list (even of one value) */
    char path[CONFIG_PATH_MAX]; /* where it was given: "workloads[2].block_size" */
};

struct config_workload {
    const char *name;
    const char *description;     /* may be NULL */
    char path[CONFIG_PATH_MAX];  /* "workloads[2]" */
    struct config_param *params; /* in the order: defaults' keys, then the workload's */
    size_t n_params;
};

struct config_private;

struct config {
    const char *name;        /* the config's name, or its file name without .json */
    const char *description; /* may be NULL */
    const char *source;      /* file path, or "<built-in>" */
    struct config_workload *workloads;
    size_t n_workloads;
    struct config_private *priv;
};

/* Parses config text. source names it in messages. overrides are "key=value" strings
 * whose value is JSON (a number, list, true/false, or a quoted string) or else a bare
 * string. Refused: text over CONFIG_MAX_BYTES or nested deeper than CONFIG_MAX_DEPTH,
 * a string or key that is not valid UTF-8 (or holds \u0000), a key given twice in any
 * object. On error returns -EINVAL (or -ENOMEM) with a message in err naming the JSON
 * path or the line and column. */
int config_parse(const char *text, const char *source, const char *const *overrides,
                 size_t n_overrides, struct config **out, char err[CONFIG_ERROR_MAX]);

/* Reads (at most CONFIG_MAX_BYTES + 1 bytes, whatever the file is: regular, pipe, FIFO,
 * device) and parses a config file; a file that cannot be read, or is too large, is
 * reported in err (-EFBIG for the latter). */
int config_load(const char *path, const char *const *overrides, size_t n_overrides,
                struct config **out, char err[CONFIG_ERROR_MAX]);

void config_free(struct config *config);

#endif
