/* Output directories: every run gets a new one, so results never overwrite an earlier
 * run's. */
#ifndef MMBENCH_OUTDIR_H
#define MMBENCH_OUTDIR_H

#include <stddef.h>

/* Creates output (which may exist but must not hold results already), or else
 * results/<prefix>-<UTC time>[-N] under the current directory. The path goes to path.
 * Returns 0 or -errno after logging. */
int outdir_create(const char *output, const char *prefix, char *path, size_t len);

#endif
