#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

static enum log_level max_level = LOG_INFO;
static bool erase_line;

void log_set_erase_line(bool erase)
{
    erase_line = erase;
}

void log_set_level(enum log_level level)
{
    max_level = level;
}

enum log_level log_get_level(void)
{
    return max_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const prefix[] = {
        [LOG_ERROR] = "error: ",
        [LOG_WARN] = "warning: ",
        [LOG_INFO] = "",
        [LOG_DEBUG] = "debug: ",
    };
    int saved_errno = errno;
    if (level <= max_level) {
        va_list ap;
        va_start(ap, fmt);
        /* One buffer, one write: lines from worker threads do not interleave. */
        char line[2048];
        int n = snprintf(line, sizeof(line), "%smmbench: %s", erase_line ? "\r\033[K" : "",
                         prefix[level]);
        if (n < 0)
            n = 0;
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        va_end(ap);
        fflush(stdout); /* keep results and diagnostics in order when both are captured */
        fprintf(stderr, "%s\n", line);
    }
    errno = saved_errno;
}
