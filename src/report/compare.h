/* mmbench compare: result directories of several runs side by side (docs/compare.md). */
#ifndef MMBENCH_COMPARE_H
#define MMBENCH_COMPARE_H

/* Runs the compare subcommand; argv[0] is "compare". Returns the exit status: 0, 1 when
 * --fail-above found a regression, 2 for usage errors and unreadable or incompatible
 * result directories. */
int compare_main(int argc, char **argv);

#endif
