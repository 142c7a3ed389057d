/* A small streaming JSON writer: results can be written without building a tree, so
 * their memory does not grow with the number of runs. Commas and nesting are tracked;
 * strings are escaped, and bytes that are not UTF-8 become U+FFFD, so the output is valid
 * JSON whatever a string holds; non-finite numbers become null. */
#ifndef MMBENCH_JSON_WRITER_H
#define MMBENCH_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_WRITER_DEPTH 16

struct json_writer {
    FILE *f;
    int depth;
    bool first[JSON_WRITER_DEPTH]; /* no element written yet at this depth */
};

void jw_init(struct json_writer *jw, FILE *f);
/* Continues a document another writer began: inside depth open scopes, whose innermost
 * already holds a value unless first (results.json is written in pieces this way). */
void jw_init_at(struct json_writer *jw, FILE *f, int depth, bool first);
void jw_object_begin(struct json_writer *jw, const char *key); /* key NULL in arrays */
void jw_object_end(struct json_writer *jw);
void jw_array_begin(struct json_writer *jw, const char *key);
void jw_array_end(struct json_writer *jw);
void jw_string(struct json_writer *jw, const char *key, const char *value); /* NULL -> null */
void jw_number(struct json_writer *jw, const char *key, double value);
void jw_u64(struct json_writer *jw, const char *key, uint64_t value);
void jw_int(struct json_writer *jw, const char *key, long long value);
void jw_bool(struct json_writer *jw, const char *key, bool value);
void jw_null(struct json_writer *jw, const char *key);
/* A value already formatted as JSON (a number). */
void jw_raw(struct json_writer *jw, const char *key, const char *json);

#endif
