/* Sizes and durations as people write them, and back.
 *
 * Sizes: an integer or decimal number with an optional binary suffix, case-insensitive:
 * "4096", "4k", "4KiB", "4 KB", "1.5GiB". k/K/KB/KiB all mean 1024 (fio's default base);
 * the result must be a whole number of bytes.
 * Durations: a number with a unit ns, us, ms, s, m (minutes), h; no unit means seconds:
 * "500ms", "5s", "1.5m". */
#ifndef MMBENCH_UNITS_H
#define MMBENCH_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Parses a size. Returns 0, or -EINVAL with *why set to a static reason. */
int units_parse_size(const char *text, uint64_t *bytes, const char **why);

/* Parses a duration. Returns 0, or -EINVAL with *why set to a static reason. */
int units_parse_duration(const char *text, uint64_t *ns, const char **why);

/* Exact size with the largest binary unit that divides it: "4KiB", "1GiB", "1000B".
 * Returns buf. */
char *units_format_size(uint64_t bytes, char *buf, size_t len);

/* Exact duration with the largest unit that divides it: "500ms", "2s", "1500us". */
char *units_format_duration(uint64_t ns, char *buf, size_t len);

/* An amount of bytes for people, three significant digits: "0 B", "812 B", "3.70 KiB",
 * "1.21 MiB". */
char *units_format_bytes_short(double bytes, char *buf, size_t len);

/* Latency for people, three significant digits: "812ns", "2.31us", "14.2ms". */
char *units_format_latency(double ns, char *buf, size_t len);

#endif
