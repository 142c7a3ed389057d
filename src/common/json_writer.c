#include "json_writer.h"

#include <math.h>
#include <string.h>

void jw_init(struct json_writer *jw, FILE *f)
{
    memset(jw, 0, sizeof(*jw));
    jw->f = f;
    jw->first[0] = true;
}

void jw_init_at(struct json_writer *jw, FILE *f, int depth, bool first)
{
    memset(jw, 0, sizeof(*jw));
    jw->f = f;
    jw->depth = depth < JSON_WRITER_DEPTH ? depth : JSON_WRITER_DEPTH - 1;
    jw->first[jw->depth] = first;
}

/* Length of the well-formed UTF-8 sequence at p (1 to 4), or 0 when it is not one:
 * overlong forms, surrogates and code points above U+10FFFF are not. */
static size_t utf8_length(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
    if (n == 0 || p[0] > 0xf4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
        (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
        return 0;
    return n;
}

static void write_escaped(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x80) {
            size_t n = utf8_length(p);
            if (n == 0) {
                fputs("\\ufffd", f);
            } else {
                fwrite(p, 1, n, f);
                p += n - 1;
            }
            continue;
        }
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* Separator, indentation and key before a value. */
static void prefix(struct json_writer *jw, const char *key)
{
    if (!jw->first[jw->depth])
        fputc(',', jw->f);
    jw->first[jw->depth] = false;
    if (jw->depth > 0) {
        fputc('\n', jw->f);
        for (int i = 0; i < jw->depth; i++)
            fputs("  ", jw->f);
    }
    if (key) {
        write_escaped(jw->f, key);
        fputs(": ", jw->f);
    }
}

static void open_scope(struct json_writer *jw, const char *key, char c)
{
    prefix(jw, key);
    fputc(c, jw->f);
    if (jw->depth + 1 < JSON_WRITER_DEPTH)
        jw->depth++;
    jw->first[jw->depth] = true;
}

static void close_scope(struct json_writer *jw, char c)
{
    bool empty = jw->first[jw->depth];
    if (jw->depth > 0)
        jw->depth--;
    if (!empty) {
        fputc('\n', jw->f);
        for (int i = 0; i < jw->depth; i++)
            fputs("  ", jw->f);
    }
    fputc(c, jw->f);
    if (jw->depth == 0)
        fputc('\n', jw->f);
}

void jw_object_begin(struct json_writer *jw, const char *key)
{
    open_scope(jw, key, '{');
}

void jw_object_end(struct json_writer *jw)
{
    close_scope(jw, '}');
}

void jw_array_begin(struct json_writer *jw, const char *key)
{
    open_scope(jw, key, '[');
}

void jw_array_end(struct json_writer *jw)
{
    close_scope(jw, ']');
}

void jw_string(struct json_writer *jw, const char *key, const char *value)
{
    prefix(jw, key);
    if (value)
        write_escaped(jw->f, value);
    else
        fputs("null", jw->f);
}

void jw_number(struct json_writer *jw, const char *key, double value)
{
    prefix(jw, key);
    if (isfinite(value))
        fprintf(jw->f, "%.17g", value);
    else
        fputs("null", jw->f);
}

void jw_u64(struct json_writer *jw, const char *key, uint64_t value)
{
    prefix(jw, key);
    fprintf(jw->f, "%llu", (unsigned long long)value);
}

void jw_int(struct json_writer *jw, const char *key, long long value)
{
    prefix(jw, key);
    fprintf(jw->f, "%lld", value);
}

void jw_bool(struct json_writer *jw, const char *key, bool value)
{
    prefix(jw, key);
    fputs(value ? "true" : "false", jw->f);
}

void jw_null(struct json_writer *jw, const char *key)
{
    prefix(jw, key);
    fputs("null", jw->f);
}

void jw_raw(struct json_writer *jw, const char *key, const char *json)
{
    prefix(jw, key);
    fputs(json, jw->f);
}
