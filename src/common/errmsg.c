#include "errmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int errmsg_set(char *err, size_t err_len, int ret, const char *fmt, ...)
{
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return ret;
}

int errmsg_errno(char *err, size_t err_len, int ret, const char *fmt, ...)
{
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < err_len)
            snprintf(err + n, err_len - (size_t)n, ": %s", strerror(-ret));
    }
    return ret;
}
