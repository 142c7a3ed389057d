/* Diagnostics on stderr. stdout is reserved for results, so that it can be piped.
 *
 * Every helper preserves errno, so a caller can log and then return -errno. */
#ifndef MMBENCH_LOG_H
#define MMBENCH_LOG_H

#include <stdbool.h>

enum log_level {
    LOG_ERROR,
    LOG_WARN,
    LOG_INFO,  /* suppressed by --quiet */
    LOG_DEBUG, /* only with --verbose */
};

/* Sets the most detailed level that is printed (default LOG_INFO). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* When a progress line may be on the terminal, each message first erases it. */
void log_set_erase_line(bool erase);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
