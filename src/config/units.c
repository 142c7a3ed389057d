#include "units.h"

#include "int128.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit {
    const char *name;
    uint64_t scale;
};

static const struct unit size_units[] = {
    {"", 1},
    {"b", 1},
    {"k", 1ULL << 10},
    {"kb", 1ULL << 10},
    {"kib", 1ULL << 10},
    {"m", 1ULL << 20},
    {"mb", 1ULL << 20},
    {"mib", 1ULL << 20},
    {"g", 1ULL << 30},
    {"gb", 1ULL << 30},
    {"gib", 1ULL << 30},
    {"t", 1ULL << 40},
    {"tb", 1ULL << 40},
    {"tib", 1ULL << 40},
    {"p", 1ULL << 50},
    {"pb", 1ULL << 50},
    {"pib", 1ULL << 50},
};

static const struct unit duration_units[] = {
    {"", 1000000000ULL},     {"ns", 1ULL},           {"us", 1000ULL},       {"ms", 1000000ULL},
    {"s", 1000000000ULL},    {"sec", 1000000000ULL}, {"m", 60000000000ULL}, {"min", 60000000000ULL},
    {"h", 3600000000000ULL},
};

/* Splits "  1.5 GiB " into a non-negative decimal number and a suffix. The number is
 * kept as integer and fraction parts so that large integers stay exact. */
static int split_number(const char *text, uint64_t *whole, uint64_t *frac_num, uint64_t *frac_den,
                        const char **suffix, const char **why)
{
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '-') {
        *why = "negative values are not allowed";
        return -EINVAL;
    }
    if (!isdigit((unsigned char)*p)) {
        *why = "expected a number";
        return -EINVAL;
    }
    uint64_t w = 0;
    while (isdigit((unsigned char)*p)) {
        unsigned d = (unsigned)(*p - '0');
        if (w > (UINT64_MAX - d) / 10) {
            *why = "number too large";
            return -EINVAL;
        }
        w = w * 10 + d;
        p++;
    }
    uint64_t num = 0, den = 1;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) {
            *why = "expected digits after the decimal point";
            return -EINVAL;
        }
        while (isdigit((unsigned char)*p)) {
            if (den < 1000000000000ULL) { /* 12 digits are plenty */
                num = num * 10 + (unsigned)(*p - '0');
                den *= 10;
            }
            p++;
        }
    }
    while (isspace((unsigned char)*p))
        p++;
    *whole = w;
    *frac_num = num;
    *frac_den = den;
    *suffix = p;
    return 0;
}

/* Finds the unit named by suffix (trailing spaces allowed). */
static const struct unit *find_unit(const struct unit *units, size_t n, const char *suffix)
{
    size_t len = strlen(suffix);
    while (len > 0 && isspace((unsigned char)suffix[len - 1]))
        len--;
    for (size_t i = 0; i < n; i++) {
        if (strlen(units[i].name) == len && strncasecmp(units[i].name, suffix, len) == 0)
            return &units[i];
    }
    return NULL;
}

static int scale_value(uint64_t whole, uint64_t num, uint64_t den, uint64_t scale, uint64_t *out,
                       const char **why, const char *inexact_why)
{
    if (whole > UINT64_MAX / scale) {
        *why = "value too large";
        return -EINVAL;
    }
    uint64_t value = whole * scale;
    if (num != 0) {
        /* num/den < 1, so num * scale / den < scale: compute exactly in 128 bits. */
        uint128_t part = (uint128_t)num * scale;
        if (part % den != 0) {
            *why = inexact_why;
            return -EINVAL;
        }
        uint64_t add = (uint64_t)(part / den);
        if (value > UINT64_MAX - add) {
            *why = "value too large";
            return -EINVAL;
        }
        value += add;
    }
    if (value > (uint64_t)INT64_MAX) {
        *why = "value too large";
        return -EINVAL;
    }
    *out = value;
    return 0;
}

/* A quantity: a number, then a unit of the table (scaled exactly, in 128 bits). */
struct quantity {
    const struct unit *units;
    size_t n_units;
    const char *unknown_unit; /* why, when the suffix is not in the table */
    const char *inexact;      /* why, when the result is not a whole number of units */
};

static int parse_quantity(const struct quantity *q, const char *text, uint64_t *out,
                          const char **why)
{
    uint64_t whole, num, den;
    const char *suffix;
    int ret = split_number(text, &whole, &num, &den, &suffix, why);
    if (ret < 0)
        return ret;
    const struct unit *u = find_unit(q->units, q->n_units, suffix);
    if (!u) {
        *why = q->unknown_unit;
        return -EINVAL;
    }
    return scale_value(whole, num, den, u->scale, out, why, q->inexact);
}

int units_parse_size(const char *text, uint64_t *bytes, const char **why)
{
    static const struct quantity size = {
        size_units, sizeof(size_units) / sizeof(size_units[0]),
        "unknown size unit (use B, KiB, MiB, GiB, TiB or k, M, G, T)",
        "not a whole number of bytes"};
    return parse_quantity(&size, text, bytes, why);
}

int units_parse_duration(const char *text, uint64_t *ns, const char **why)
{
    static const struct quantity duration = {
        duration_units, sizeof(duration_units) / sizeof(duration_units[0]),
        "unknown duration unit (use ns, us, ms, s, m or h)", "not a whole number of nanoseconds"};
    return parse_quantity(&duration, text, ns, why);
}
char *units_format_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    size_t i = 0;
    uint64_t v = bytes;
    while (v != 0 && v % 1024 == 0 && i + 1 < sizeof(names) / sizeof(names[0])) {
        v /= 1024;
        i++;
    }
    snprintf(buf, len, "%llu%s", (unsigned long long)v, names[i]);
    return buf;
}

char *units_format_duration(uint64_t ns, char *buf, size_t len)
{
    static const struct unit units[] = {
        {"h", 3600000000000ULL}, {"m", 60000000000ULL}, {"s", 1000000000ULL},
        {"ms", 1000000ULL},      {"us", 1000ULL},       {"ns", 1ULL},
    };
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (ns != 0 && ns % units[i].scale == 0) {
            snprintf(buf, len, "%llu%s", (unsigned long long)(ns / units[i].scale), units[i].name);
            return buf;
        }
    }
    snprintf(buf, len, "0s");
    return buf;
}

char *units_format_latency(double ns, char *buf, size_t len)
{
    static const struct {
        const char *name;
        double scale;
    } units[] = {{"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"ns", 1}};
    if (!isfinite(ns)) {
        snprintf(buf, len, "n/a");
        return buf;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (ns >= units[i].scale || i + 1 == sizeof(units) / sizeof(units[0])) {
            double v = ns / units[i].scale;
            int decimals = v >= 100 ? 0 : v >= 10 ? 1 : 2;
            if (units[i].scale == 1)
                decimals = 0;
            snprintf(buf, len, "%.*f%s", decimals, v, units[i].name);
            return buf;
        }
    }
    return buf;
}

char *units_format_bytes_short(double bytes, char *buf, size_t len)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    /* Differences (a MemAvailable that rose) are negative: scaled like positive ones. */
    const char *sign = bytes < 0 ? "-" : "";
    bytes = fabs(bytes);
    while (bytes >= 1024 && u < 5) {
        bytes /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%s%.0f B", sign, bytes);
    else
        snprintf(buf, len, "%s%.3g %s", sign, bytes, unit[u]);
    return buf;
}
