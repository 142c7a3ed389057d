/* Workload expansion: a parsed config becomes the list of concrete workloads it
 * describes (defaults applied, sweeps expanded into their cartesian product), each
 * checked for values that cannot work together. */
#ifndef MMBENCH_EXPAND_H
#define MMBENCH_EXPAND_H

#include "config.h"
#include "workload.h"

#include <stddef.h>

/* Number of workloads the config expands to, saturating at SIZE_MAX. */
size_t expand_count(const struct config *config);

/* Expands config into *out (n_out entries; free() it). Sweep points are named
 * "base/key=value,key=value" after the keys that vary. Returns 0, or -EINVAL with a
 * message in err naming the workload and the reason. */
int expand_workloads(const struct config *config, struct workload **out, size_t *n_out,
                     char err[CONFIG_ERROR_MAX]);

/* Cross-key checks of one workload (block larger than file, O_DIRECT alignment, ...).
 * Fills in derived values (stride defaults to block_size). Returns 0 or -EINVAL with the
 * reason in err (without the workload's name). */
int workload_check(struct workload *w, char *err, size_t err_len);

#endif
