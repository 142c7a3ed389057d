/* The catalog: everything mmbench reads and writes, as one JSON document
 * (mmbench --list-keys=json): the backends, the structure keys of a config, every workload
 * key with its type, range, default and documentation, and the columns of runs.csv and
 * summary.csv (the derived metrics among them) with theirs. scripts/gen-docs makes the
 * schema, the man page's key section and the key and column tables of configs/README.md
 * and docs/results.md from it, so each fact is written once, in the tables of the code. */
#ifndef MMBENCH_CATALOG_H
#define MMBENCH_CATALOG_H

#include <stdio.h>

void catalog_print_json(FILE *out);

#endif
