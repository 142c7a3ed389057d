#include "config.h"

#include "errmsg.h"
#include "textfile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ROOTS     66 /* the config and up to 64 overrides */
#define MAX_OVERRIDES 64

struct config_private {
    cJSON *roots[MAX_ROOTS]; /* parsed documents; every string of the config points here */
    size_t n_roots;
    char *name;     /* derived config name, when the config has none */
    char **strings; /* texts made while parsing (kernel settings), freed with the config */
    size_t n_strings;
};

/* A config error: the message (JSON path first), and -EINVAL. */
#define fail(err, ...) errmsg_set(err, CONFIG_ERROR_MAX, -EINVAL, __VA_ARGS__)

/* Length of the UTF-8 sequence at p (1 to 4 bytes), or 0 when it is not valid UTF-8:
 * overlong forms, surrogates and code points above U+10FFFF are not. p is
 * NUL-terminated, and a NUL ends every check before the terminator is passed. */
static size_t utf8_sequence(const unsigned char *p)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

/* Offset of the first byte of s that is not valid UTF-8, or -1. */
static long utf8_invalid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = utf8_sequence(p);
        if (n == 0)
            return (long)(p - (const unsigned char *)s);
        p += n;
    }
    return -1;
}

/* The start of s for a message: invalid UTF-8 and control bytes as \xNN. */
static const char *printable(const char *s, char *buf, size_t len)
{
    size_t used = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && used + 5 < len;) {
        size_t n = utf8_sequence(p);
        if (n == 0 || *p < 0x20 || *p == 0x7f) {
            used += (size_t)snprintf(buf + used, len - used, "\\x%02x", *p);
            p++;
        } else {
            for (size_t i = 0; i < n && used + 1 < len; i++)
                buf[used++] = (char)*p++;
        }
    }
    buf[used] = '\0';
    return buf;
}

static const char *json_type_name(const cJSON *item)
{
    if (cJSON_IsString(item))
        return "a string";
    if (cJSON_IsNumber(item))
        return "a number";
    if (cJSON_IsBool(item))
        return "true/false";
    if (cJSON_IsNull(item))
        return "null";
    if (cJSON_IsArray(item))
        return "a list";
    if (cJSON_IsObject(item))
        return "an object";
    return "an invalid value";
}

static const char *type_expectation(const struct param_def *d)
{
    switch (d->type) {
    case PARAM_STRING:
        return "a string";
    case PARAM_SIZE:
        return "a size such as 4096 or \"4KiB\"";
    case PARAM_DURATION:
        return "a duration such as \"500ms\" or a number of seconds";
    case PARAM_COUNT:
    case PARAM_COUNT32:
        return "a whole number";
    case PARAM_FRACTION:
        return "a number between 0 and 1";
    case PARAM_REAL:
        return "a number";
    case PARAM_ENUM:
        return "a string";
    case PARAM_BOOL:
        return "true or false";
    case PARAM_SYNC_EVERY:
        return "a number of operations, a size such as \"1MiB\", or \"end\"";
    case PARAM_BACKENDS:
        return "a list of backend names";
    case PARAM_BACKEND:
        return "a backend name";
    case PARAM_PIN:
        return "true, false or a CPU list such as \"0-3\"";
    case PARAM_KERNEL_SETTING:
        return "a word or a whole number (or \"unset\")";
    case PARAM_KERNEL_SETTINGS:
        return "an object of kernel settings such as {\"vm.swappiness\": 10}";
    }
    return "a value";
}

static void enum_choices(const struct param_def *d, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; d->enum_names[i]; i++) {
        const char *sep = i == 0 ? "" : d->enum_names[i + 1] ? ", " : " or ";
        int n = snprintf(buf + used, len - used, "%s%s", sep, d->enum_names[i]);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
}

/* Keeps a copy of text as long as the config lives. Returns it, or NULL (out of memory). */
static const char *keep_string(struct config_private *priv, const char *text)
{
    char **grown = realloc(priv->strings, (priv->n_strings + 1) * sizeof(*grown));
    if (!grown)
        return NULL;
    priv->strings = grown;
    char *copy = strdup(text);
    if (copy)
        priv->strings[priv->n_strings++] = copy;
    return copy;
}

/* The text of one kernel setting's value: a string as it is, a whole number in decimal
 * (negative only inside the sysctl object, whose settings may take one). */
static int setting_value_text(struct config_private *priv, const cJSON *item, const char *path,
                              bool signed_ok, const char **text, char *err)
{
    if (cJSON_IsString(item)) {
        *text = item->valuestring;
        return 0;
    }
    if (!cJSON_IsNumber(item))
        return fail(err, "%s: expected a word or a whole number, got %s", path,
                    json_type_name(item));
    double x = item->valuedouble;
    if (x != floor(x) || fabs(x) > 9007199254740992.0 || (x < 0 && !signed_ok))
        return fail(err, "%s: %g: expected a whole number%s", path, x,
                    signed_ok ? " (at most 2^53)" : " from 0 to 2^53");
    char number[32];
    snprintf(number, sizeof(number), "%.0f", x);
    *text = keep_string(priv, number);
    return *text ? 0 : -ENOMEM;
}

static int compare_items(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* The sysctl object as "key=value+key=value", its keys sorted (so that the same settings in
 * another order are the same value), "{}" when empty. Keys must look like kernel setting
 * names; whether the kernel has them is checked before the run (src/run/settings.c). */
static int settings_object_text(struct config_private *priv, const cJSON *obj, const char *path,
                                const char **text, char *err)
{
    if (!cJSON_IsObject(obj))
        return fail(err,
                    "%s: expected an object of kernel settings such as "
                    "{\"vm.swappiness\": 10}, got %s",
                    path, json_type_name(obj));
    size_t n = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        n++;
    if (n == 0) {
        *text = "{}";
        return 0;
    }
    const cJSON **items = malloc(n * sizeof(*items));
    char *buf = malloc(PARAM_SETTINGS_TEXT_MAX + 2);
    int ret = items && buf ? 0 : -ENOMEM;
    size_t i = 0, used = 0;
    for (const cJSON *c = obj->child; c && ret == 0; c = c->next)
        items[i++] = c;
    if (ret == 0)
        qsort(items, n, sizeof(*items), compare_items);
    for (i = 0; i < n && ret == 0; i++) {
        char item_path[CONFIG_PATH_MAX];
        snprintf(item_path, sizeof(item_path), "%s.%s", path, items[i]->string);
        const char *key = items[i]->string, *value = NULL, *why = NULL;
        if (!key[0] || key[strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789_.-")])
            ret = fail(err,
                       "%s: \"%s\" is not the name of a kernel setting (vm.NAME, thp_NkB, "
                       "thp_shmem_NkB)",
                       path, key);
        if (ret == 0)
            ret = setting_value_text(priv, items[i], item_path, true, &value, err);
        if (ret == 0 && strcmp(value, "unset") == 0)
            ret =
                fail(err, "%s: \"unset\": leave the key out to keep the kernel's value", item_path);
        if (ret == 0 && param_check_setting(value, &why) < 0)
            ret = fail(err, "%s: \"%s\": %s", item_path, value, why);
        if (ret == 0) {
            int len = snprintf(buf + used, PARAM_SETTINGS_TEXT_MAX + 2 - used, "%s%s=%s",
                               used ? "+" : "", key, value);
            used += (size_t)len;
            if (used > PARAM_SETTINGS_TEXT_MAX)
                ret = fail(err,
                           "%s: too many settings: more than %d characters as key=value "
                           "pairs",
                           path, PARAM_SETTINGS_TEXT_MAX);
        }
    }
    if (ret == 0) {
        *text = keep_string(priv, buf);
        ret = *text ? 0 : -ENOMEM;
    }
    free(items);
    free(buf);
    return ret;
}

/* A kernel setting (a word, a number or "unset") or the sysctl object, into v. */
static int parse_setting(struct config_private *priv, const struct param_def *d, const cJSON *item,
                         const char *path, struct param_value *v, char *err)
{
    const char *text = NULL, *why = NULL;
    int ret = d->type == PARAM_KERNEL_SETTINGS
                  ? settings_object_text(priv, item, path, &text, err)
                  : setting_value_text(priv, item, path, false, &text, err);
    if (ret < 0)
        return ret;
    if (param_parse_text(d, text, v, &why) < 0)
        return fail(err, "%s: \"%s\": %s", path, text, why);
    return 0;
}

/* Parses one JSON scalar for d into v (for the sysctl object: the object). */
static int parse_scalar(struct config_private *priv, const struct param_def *d, const cJSON *item,
                        const char *path, bool from_command_line, struct param_value *v, char *err)
{
    if (d->type == PARAM_KERNEL_SETTING || d->type == PARAM_KERNEL_SETTINGS)
        return parse_setting(priv, d, item, path, v, err);
    /* A config file must use JSON's types; only a bare word from --set is text to parse. */
    bool wants_number = d->type == PARAM_COUNT || d->type == PARAM_COUNT32 ||
                        d->type == PARAM_FRACTION || d->type == PARAM_REAL;
    if (cJSON_IsString(item) && !from_command_line &&
        (wants_number || d->type == PARAM_BOOL ||
         (d->type == PARAM_PIN &&
          (strcmp(item->valuestring, "true") == 0 || strcmp(item->valuestring, "false") == 0))))
        return fail(err, "%s: expected %s, got a string", path, type_expectation(d));
    const char *why = NULL;
    int ret;
    bool number_ok = d->type != PARAM_STRING && d->type != PARAM_ENUM && d->type != PARAM_BOOL &&
                     d->type != PARAM_BACKENDS && d->type != PARAM_BACKEND && d->type != PARAM_PIN;
    bool bool_ok = d->type == PARAM_BOOL || d->type == PARAM_PIN;
    if ((cJSON_IsNumber(item) && !number_ok) || (cJSON_IsBool(item) && !bool_ok))
        return fail(err, "%s: expected %s, got %s", path, type_expectation(d),
                    json_type_name(item));
    if (cJSON_IsString(item))
        ret = param_parse_text(d, item->valuestring, v, &why);
    else if (cJSON_IsNumber(item))
        ret = param_parse_number(d, item->valuedouble, v, &why);
    else if (cJSON_IsBool(item))
        ret = param_parse_bool(d, cJSON_IsTrue(item), v, &why);
    else
        return fail(err, "%s: expected %s, got %s", path, type_expectation(d),
                    json_type_name(item));
    if (ret == 0)
        return 0;
    if (d->type == PARAM_ENUM && cJSON_IsString(item)) {
        char choices[256];
        enum_choices(d, choices, sizeof(choices));
        return fail(err, "%s: unknown value \"%s\" (expected %s)", path, item->valuestring,
                    choices);
    }
    if (cJSON_IsString(item))
        return fail(err, "%s: \"%s\": %s", path, item->valuestring, why);
    if (cJSON_IsNumber(item))
        return fail(err, "%s: %g: %s", path, item->valuedouble, why);
    return fail(err, "%s: %s", path, why);
}

/* Parses a key's value (a scalar, or a list that makes a sweep) into p. */
static int parse_param(struct config_private *priv, const struct param_def *d, const cJSON *item,
                       const char *path, bool from_command_line, struct config_param *p, char *err)
{
    memset(p, 0, sizeof(*p));
    p->def = d;
    snprintf(p->path, sizeof(p->path), "%s", path);

    if (d->type == PARAM_BACKENDS) {
        p->values = calloc(1, sizeof(*p->values));
        if (!p->values)
            return -ENOMEM;
        p->n_values = 1;
        const cJSON *names = item;
        if (cJSON_IsString(item)) {
            return parse_scalar(priv, d, item, path, from_command_line, &p->values[0], err);
        }
        if (!cJSON_IsArray(names))
            return fail(err, "%s: expected %s, got %s", path, type_expectation(d),
                        json_type_name(item));
        if (cJSON_GetArraySize(names) == 0)
            return fail(err, "%s: empty list (name at least one backend)", path);
        int i = 0;
        const cJSON *name;
        cJSON_ArrayForEach(name, names)
        {
            char elem_path[CONFIG_PATH_MAX + 16];
            snprintf(elem_path, sizeof(elem_path), "%s[%d]", path, i++);
            struct param_value one;
            if (!cJSON_IsString(name))
                return fail(err, "%s: expected a backend name, got %s", elem_path,
                            json_type_name(name));
            int ret = parse_scalar(priv, d, name, elem_path, from_command_line, &one, err);
            if (ret < 0)
                return ret;
            if (p->values[0].u & one.u)
                return fail(err, "%s: backend \"%s\" is listed twice", elem_path,
                            name->valuestring);
            p->values[0].u |= one.u;
        }
        return 0;
    }

    if (cJSON_IsArray(item) && d->type == PARAM_BACKEND)
        return fail(err,
                    "%s: expected %s, got a list (not a sweep: every point would run the "
                    "same backends)",
                    path, type_expectation(d));
    if (cJSON_IsArray(item)) {
        int n = cJSON_GetArraySize(item);
        if (n == 0)
            return fail(err, "%s: empty list (a sweep needs at least one value)", path);
        p->values = calloc((size_t)n, sizeof(*p->values));
        if (!p->values)
            return -ENOMEM;
        p->n_values = (size_t)n;
        p->sweep = true;
        int i = 0;
        const cJSON *elem;
        cJSON_ArrayForEach(elem, item)
        {
            char elem_path[CONFIG_PATH_MAX + 16];
            snprintf(elem_path, sizeof(elem_path), "%s[%d]", path, i);
            if (cJSON_IsArray(elem) || (cJSON_IsObject(elem) && d->type != PARAM_KERNEL_SETTINGS))
                return fail(err, "%s: expected %s, got %s (lists do not nest)", elem_path,
                            type_expectation(d), json_type_name(elem));
            int ret = parse_scalar(priv, d, elem, elem_path, from_command_line, &p->values[i], err);
            if (ret < 0)
                return ret;
            i++;
        }
        return 0;
    }
    p->values = calloc(1, sizeof(*p->values));
    if (!p->values)
        return -ENOMEM;
    p->n_values = 1;
    return parse_scalar(priv, d, item, path, from_command_line, &p->values[0], err);
}

static void free_params(struct config_param *params, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(params[i].values);
    free(params);
}

/* Keys that replace one another (param_def.replaces): a layer that sets one drops the
 * other from the layers below it (a workload with "ops" ignores the defaults'
 * "duration"). */
static const char *exclusive_partner(const char *name)
{
    const struct param_def *d = param_find(name);
    return d ? d->replaces : NULL;
}

/* "workloads[1].blok_size: unknown key (did you mean block_size?)"; sep joins path and key
 * ("." in a config, " " after "--set"). */
static void unknown_key(const char *path, const char *sep, const char *key,
                        const char *const *extra, char *err)
{
    const char *guess = param_suggest(key, extra);
    if (guess)
        fail(err, "%s%s%s: unknown key (did you mean %s?)", path, sep, key, guess);
    else
        fail(err, "%s%s%s: unknown key (mmbench --list-keys lists them)", path, sep, key);
}

/* The structure keys of place, NULL-terminated, for suggestions. */
static const char *const *structure_names(enum structure_place place)
{
    static const char *names[2][16];
    const char **list = names[place];
    if (!list[0]) {
        size_t n = 0;
        for (size_t i = 0; i < structure_key_count && n < 15; i++)
            if (structure_keys[i].place == place)
                list[n++] = structure_keys[i].name;
    }
    return list;
}

/* Parses the parameter keys of one object (defaults or a workload); with is_workload,
 * "name" and "description" are skipped for the caller. */
static int parse_object(struct config_private *priv, const cJSON *obj, const char *path,
                        bool is_workload, struct config_param **out, size_t *n_out, char *err)
{
    size_t n = (size_t)cJSON_GetArraySize(obj);
    struct config_param *params = calloc(n ? n : 1, sizeof(*params));
    if (!params)
        return -ENOMEM;
    size_t used = 0;
    int ret = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, obj)
    {
        /* Keys given twice were refused by check_tree. */
        if (is_workload && structure_key_known(item->string, STRUCTURE_WORKLOAD))
            continue;
        const struct param_def *d = param_find(item->string);
        if (!d) {
            unknown_key(path, ".", item->string,
                        is_workload ? structure_names(STRUCTURE_WORKLOAD) : NULL, err);
            ret = -EINVAL;
            goto out;
        }
        char key_path[CONFIG_PATH_MAX];
        snprintf(key_path, sizeof(key_path), "%s.%s", path, item->string);
        ret = parse_param(priv, d, item, key_path, false, &params[used], err);
        used++;
        if (ret < 0)
            goto out;
    }
    for (size_t i = 0; i < used; i++) {
        const char *partner = exclusive_partner(params[i].def->name);
        for (size_t j = 0; partner && j < used; j++) {
            if (strcmp(params[j].def->name, partner) == 0) {
                ret = fail(err, "%s: give either %s or %s, not both", path, params[i].def->name,
                           partner);
                goto out;
            }
        }
    }
out:
    if (ret < 0) {
        free_params(params, used);
        return ret;
    }
    *out = params;
    *n_out = used;
    return 0;
}

/* Appends the layer's params to the merged list, replacing keys it redefines. */
static int merge_layer(struct config_param **merged, size_t *n_merged,
                       const struct config_param *layer, size_t n_layer)
{
    size_t cap = *n_merged + n_layer;
    struct config_param *list = realloc(*merged, (cap ? cap : 1) * sizeof(*list));
    if (!list)
        return -ENOMEM;
    for (size_t i = 0; i < n_layer; i++) {
        const char *name = layer[i].def->name;
        const char *partner = exclusive_partner(name);
        size_t kept = 0;
        for (size_t j = 0; j < *n_merged; j++) {
            const char *other = list[j].def->name;
            if (strcmp(other, name) == 0 || (partner && strcmp(other, partner) == 0)) {
                free(list[j].values);
                continue;
            }
            list[kept++] = list[j];
        }
        *n_merged = kept;
        struct config_param copy = layer[i];
        copy.values = malloc(copy.n_values * sizeof(*copy.values));
        if (!copy.values) {
            *merged = list;
            return -ENOMEM;
        }
        memcpy(copy.values, layer[i].values, copy.n_values * sizeof(*copy.values));
        list[(*n_merged)++] = copy;
    }
    *merged = list;
    return 0;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Walks a parsed document: every key and string must be valid UTF-8, and no object may
 * give a key twice (cJSON keeps both; the config would depend on which one a reader
 * takes). path is the JSON path of item ("" at the top). Recursion is bounded by
 * CONFIG_MAX_DEPTH, checked before parsing. */
static int check_tree(const cJSON *item, const char *path, char *err)
{
    char shown[64];
    if (cJSON_IsString(item)) {
        long bad = utf8_invalid(item->valuestring);
        if (bad >= 0)
            return fail(err, "%s: \"%s\": not valid UTF-8 (byte 0x%02x at offset %ld)", path,
                        printable(item->valuestring, shown, sizeof(shown)),
                        (unsigned char)item->valuestring[bad], bad);
        return 0;
    }
    if (!cJSON_IsArray(item) && !cJSON_IsObject(item))
        return 0;
    bool object = cJSON_IsObject(item);
    size_t n = 0;
    for (const cJSON *c = item->child; c; c = c->next)
        n++;
    const char **keys = object ? malloc((n ? n : 1) * sizeof(*keys)) : NULL;
    if (object && !keys)
        return -ENOMEM;
    int ret = 0;
    size_t i = 0;
    for (const cJSON *c = item->child; c && ret == 0; c = c->next, i++) {
        char child_path[CONFIG_PATH_MAX];
        if (object) {
            long bad = utf8_invalid(c->string);
            if (bad >= 0) {
                ret = fail(err, "%s%skey \"%s\": not valid UTF-8 (byte 0x%02x at offset %ld)", path,
                           path[0] ? ": " : "", printable(c->string, shown, sizeof(shown)),
                           (unsigned char)c->string[bad], bad);
                break;
            }
            keys[i] = c->string;
            snprintf(child_path, sizeof(child_path), "%s%s%s", path, path[0] ? "." : "", c->string);
        } else {
            snprintf(child_path, sizeof(child_path), "%s[%zu]", path, i);
        }
        ret = check_tree(c, child_path, err);
    }
    if (ret == 0 && object) {
        qsort(keys, n, sizeof(*keys), compare_keys);
        for (size_t k = 1; k < n && ret == 0; k++)
            if (strcmp(keys[k - 1], keys[k]) == 0)
                ret = fail(err, "%s%s%s: key given twice", path, path[0] ? "." : "", keys[k]);
    }
    free(keys);
    return ret;
}

/* Line and column (both from 1) of position pos in text. */
static void line_column(const char *text, const char *pos, int *line, int *column)
{
    *line = 1;
    *column = 1;
    for (const char *p = text; *p && p < pos; p++) {
        if (*p == '\n') {
            (*line)++;
            *column = 1;
        } else {
            (*column)++;
        }
    }
}

/* Refuses, before cJSON sees the text, what it would take but a config must not have, or
 * would only call malformed: nesting deeper than CONFIG_MAX_DEPTH (cJSON's own limit is
 * 1000), bytes outside strings that are not UTF-8 (those in strings are named with their
 * JSON path by check_tree), and \u0000 in a string (cJSON would cut the string there). */
static int scan_text(const char *text, const char *source, char *err)
{
    enum { SCAN_OK, SCAN_UTF8, SCAN_NUL, SCAN_DEPTH } found = SCAN_OK;
    int depth = 0;
    bool in_string = false;
    const char *p = text;
    for (; *p && found == SCAN_OK; p += found == SCAN_OK) { /* p stays on what was found */
        if (in_string) {
            if (*p == '\\' && p[1] == 'u' && strncmp(p + 2, "0000", 4) == 0)
                found = SCAN_NUL;
            else if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_string = false;
            continue;
        }
        size_t n = utf8_sequence((const unsigned char *)p);
        if (n == 0) {
            found = SCAN_UTF8;
            continue;
        }
        p += n - 1; /* outside strings, only a JSON error; check_tree checks strings */
        if (*p == '"')
            in_string = true;
        else if ((*p == '[' || *p == '{') && ++depth > CONFIG_MAX_DEPTH)
            found = SCAN_DEPTH;
        else if (*p == ']' || *p == '}')
            depth--;
    }
    if (found == SCAN_OK)
        return 0;
    int line, column;
    line_column(text, p, &line, &column);
    if (found == SCAN_UTF8)
        return fail(err, "%s:%d:%d: not valid UTF-8 (byte 0x%02x)", source, line, column,
                    (unsigned char)*p);
    if (found == SCAN_NUL)
        return fail(err, "%s:%d:%d: \\u0000 in a string (a config's strings cannot hold NUL)",
                    source, line, column);
    return fail(err, "%s:%d:%d: nested more than %d levels deep (the limit for a config)", source,
                line, column, CONFIG_MAX_DEPTH);
}

static int add_root(struct config_private *priv, cJSON *root)
{
    if (priv->n_roots >= MAX_ROOTS) {
        cJSON_Delete(root);
        return -E2BIG;
    }
    priv->roots[priv->n_roots++] = root;
    return 0;
}

/* Parses "key=value" into a one-key layer. */
static int parse_override(struct config_private *priv, const char *text, struct config_param *param,
                          char *err)
{
    long bad = utf8_invalid(text);
    if (bad >= 0) {
        char shown[64];
        return fail(err, "--set %s: not valid UTF-8 (byte 0x%02x at offset %ld)",
                    printable(text, shown, sizeof(shown)), (unsigned char)text[bad], bad);
    }
    const char *eq = strchr(text, '=');
    if (!eq || eq == text)
        return fail(err, "--set %s: expected key=value", text);
    char key[64];
    size_t key_len = (size_t)(eq - text);
    if (key_len >= sizeof(key))
        return fail(err, "--set %s: key too long", text);
    memcpy(key, text, key_len);
    key[key_len] = '\0';
    char path[CONFIG_PATH_MAX];
    snprintf(path, sizeof(path), "--set %s", key);
    const struct param_def *d = param_find(key);
    if (!d) {
        unknown_key("--set", " ", key, NULL, err);
        return -EINVAL;
    }
    const char *value = eq + 1;
    /* The whole value must be JSON: "64MiB" is a bare word, not the number 64. */
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithOpts(value, &end, 1);
    if (!doc || (cJSON_IsObject(doc) && d->type != PARAM_KERNEL_SETTINGS) || cJSON_IsNull(doc)) {
        cJSON_Delete(doc);
        doc = cJSON_CreateString(value); /* a bare word: "random", "4k", "/mnt/x" */
        if (!doc)
            return -ENOMEM;
    }
    int ret = add_root(priv, doc);
    if (ret < 0)
        return fail(err, "too many --set options (at most %d)", MAX_OVERRIDES);
    ret = check_tree(doc, path, err);
    return ret < 0 ? ret : parse_param(priv, d, doc, path, true, param, err);
}

static const char *string_member(const cJSON *obj, const char *key, const char *path, int *ret,
                                 char *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item)
        return NULL;
    if (!cJSON_IsString(item)) {
        *ret = fail(err, "%s.%s: expected a string, got %s", path, key, json_type_name(item));
        return NULL;
    }
    return item->valuestring;
}

static char *name_from_source(const char *source)
{
    const char *base = strrchr(source, '/');
    base = base ? base + 1 : source;
    char *name = strdup(base);
    if (!name)
        return NULL;
    size_t len = strlen(name);
    if (len > 5 && strcmp(name + len - 5, ".json") == 0)
        name[len - 5] = '\0';
    return name;
}

/* Workload names: at most 100 characters (UTF-8), no '/', '"' or control characters, as
 * they become labels in files, charts and comparisons. */
static bool name_ok(const char *name)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '"')
            return false;
        chars += (*p & 0xc0) != 0x80; /* count the first byte of each character */
    }
    return chars <= 100;
}

/* Parses one workload object into cw: its own keys merged over the defaults, with the
 * command-line overrides on top. */
static int parse_workload(const cJSON *wobj, const struct config *config,
                          struct config_workload *cw, const struct config_param *defaults,
                          size_t n_defaults, const struct config_param *sets, size_t n_sets,
                          char *err)
{
    if (!cJSON_IsObject(wobj))
        return fail(err, "%s: expected an object, got %s", cw->path, json_type_name(wobj));
    struct config_param *own = NULL;
    size_t n_own = 0;
    int ret = parse_object(config->priv, wobj, cw->path, true, &own, &n_own, err);
    if (ret < 0)
        return ret;
    cw->name = string_member(wobj, "name", cw->path, &ret, err);
    if (ret < 0)
        goto out;
    if (!cw->name || cw->name[0] == '\0') {
        ret = fail(err, "%s: missing key \"name\" (every workload needs a unique name)", cw->path);
        goto out;
    }
    if (!name_ok(cw->name)) {
        ret = fail(err,
                   "%s.name: \"%s\": at most 100 characters, without / \" or "
                   "control characters",
                   cw->path, cw->name);
        goto out;
    }
    for (const struct config_workload *other = config->workloads; other < cw; other++) {
        if (strcmp(other->name, cw->name) == 0) {
            ret = fail(err, "%s.name: \"%s\" is already the name of %s", cw->path, cw->name,
                       other->path);
            goto out;
        }
    }
    cw->description = string_member(wobj, "description", cw->path, &ret, err);
    if (ret < 0)
        goto out;
    ret = merge_layer(&cw->params, &cw->n_params, defaults, n_defaults);
    if (ret == 0)
        ret = merge_layer(&cw->params, &cw->n_params, own, n_own);
    if (ret == 0)
        ret = merge_layer(&cw->params, &cw->n_params, sets, n_sets);
out:
    free_params(own, n_own);
    return ret;
}

int config_parse(const char *text, const char *source, const char *const *overrides,
                 size_t n_overrides, struct config **out, char err[CONFIG_ERROR_MAX])
{
    struct config_param *defaults = NULL, *sets = NULL;
    size_t n_defaults = 0, n_sets = 0;
    int ret = 0;
    err[0] = '\0';

    struct config *config = calloc(1, sizeof(*config));
    struct config_private *priv = calloc(1, sizeof(*priv));
    if (!config || !priv) {
        free(config);
        free(priv);
        return -ENOMEM;
    }
    config->priv = priv;
    config->source = source;

    if (strnlen(text, CONFIG_MAX_BYTES + 1) > CONFIG_MAX_BYTES) {
        ret = fail(err, "%s: larger than %u MiB (the limit for a config)", source,
                   CONFIG_MAX_BYTES >> 20);
        goto out;
    }
    ret = scan_text(text, source, err);
    if (ret < 0)
        goto out;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        int line, column;
        const char *pos = end ? end : text;
        line_column(text, pos, &line, &column);
        /* Show the line, with a caret under the place the parser stopped. */
        const char *start = pos - (column - 1);
        int len = (int)strcspn(start, "\n");
        if (len > 120)
            len = 120;
        ret = fail(err, "%s:%d:%d: malformed JSON\n  %.*s\n  %*s^", source, line, column, len,
                   start, column - 1, "");
        goto out;
    }
    add_root(priv, root);
    ret = check_tree(root, "", err);
    if (ret < 0)
        goto out;
    if (!cJSON_IsObject(root)) {
        ret = fail(err, "%s: expected a JSON object with \"workloads\", got %s", source,
                   json_type_name(root));
        goto out;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, root)
    {
        if (!structure_key_known(item->string, STRUCTURE_CONFIG)) {
            const char *hint = param_find(item->string) ? " (workload keys go in \"defaults\" or "
                                                          "a workload)"
                                                        : "";
            ret = fail(err,
                       "%s: unknown key (expected name, description, defaults, "
                       "workloads)%s",
                       item->string, hint);
            goto out;
        }
    }

    config->name = string_member(root, "name", "config", &ret, err);
    if (ret < 0)
        goto out;
    if (config->name && !name_ok(config->name)) {
        ret = fail(err, "name: \"%s\": 1 to 100 characters, without / \" or control characters",
                   config->name);
        goto out;
    }
    if (config->name && config->name[0] == '\0') {
        ret = fail(err, "name: must not be empty (or leave it out to use the file name)");
        goto out;
    }
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "$schema");
    if (schema && !cJSON_IsString(schema)) {
        ret = fail(err, "$schema: expected a string (the path or URL of configs/schema.json)");
        goto out;
    }
    if (!config->name) {
        priv->name = name_from_source(source);
        if (!priv->name) {
            ret = -ENOMEM;
            goto out;
        }
        config->name = priv->name;
    }
    config->description = string_member(root, "description", "config", &ret, err);
    if (ret < 0)
        goto out;

    if (n_overrides > MAX_OVERRIDES) {
        ret = fail(err, "too many --set options (at most %d)", MAX_OVERRIDES);
        goto out;
    }
    sets = calloc(n_overrides ? n_overrides : 1, sizeof(*sets));
    if (!sets) {
        ret = -ENOMEM;
        goto out;
    }
    for (; n_sets < n_overrides; n_sets++) {
        ret = parse_override(priv, overrides[n_sets], &sets[n_sets], err);
        if (ret < 0) {
            n_sets++;
            goto out;
        }
    }

    const cJSON *defaults_obj = cJSON_GetObjectItemCaseSensitive(root, "defaults");
    if (defaults_obj) {
        if (!cJSON_IsObject(defaults_obj)) {
            ret = fail(err, "defaults: expected an object, got %s", json_type_name(defaults_obj));
            goto out;
        }
        ret = parse_object(priv, defaults_obj, "defaults", false, &defaults, &n_defaults, err);
        if (ret < 0)
            goto out;
    }

    const cJSON *workloads = cJSON_GetObjectItemCaseSensitive(root, "workloads");
    if (!workloads) {
        ret = fail(err, "%s: missing key \"workloads\" (a list of workload objects)", source);
        goto out;
    }
    if (!cJSON_IsArray(workloads) || cJSON_GetArraySize(workloads) == 0) {
        ret = fail(err, "workloads: expected a non-empty list of objects, got %s",
                   cJSON_IsArray(workloads) ? "an empty list" : json_type_name(workloads));
        goto out;
    }
    size_t n = (size_t)cJSON_GetArraySize(workloads);
    config->workloads = calloc(n, sizeof(*config->workloads));
    if (!config->workloads) {
        ret = -ENOMEM;
        goto out;
    }
    const cJSON *wobj;
    cJSON_ArrayForEach(wobj, workloads)
    {
        struct config_workload *cw = &config->workloads[config->n_workloads];
        snprintf(cw->path, sizeof(cw->path), "workloads[%zu]", config->n_workloads);
        config->n_workloads++;
        ret = parse_workload(wobj, config, cw, defaults, n_defaults, sets, n_sets, err);
        if (ret < 0)
            goto out;
    }

out:
    free_params(defaults, n_defaults);
    free_params(sets, n_sets);
    if (ret < 0) {
        if (ret == -ENOMEM && err[0] == '\0')
            fail(err, "%s: out of memory", source);
        config_free(config);
        return ret;
    }
    *out = config;
    return 0;
}

int config_load(const char *path, const char *const *overrides, size_t n_overrides,
                struct config **out, char err[CONFIG_ERROR_MAX])
{
    /* At most one byte over the limit is read, whatever the file is: st_size says
     * nothing about a pipe or a device, and /dev/zero never ends. */
    char *text = NULL;
    size_t len;
    int ret = textfile_read(AT_FDCWD, path, CONFIG_MAX_BYTES, &text, &len);
    if (ret == -EFBIG)
        return errmsg_set(err, CONFIG_ERROR_MAX, ret,
                          "config %s: larger than %u MiB (the limit for a config)", path,
                          CONFIG_MAX_BYTES >> 20);
    if (ret == -EILSEQ)
        return errmsg_set(err, CONFIG_ERROR_MAX, -EINVAL,
                          "config %s: contains a NUL byte (not a JSON text)", path);
    if (ret < 0)
        return errmsg_set(err, CONFIG_ERROR_MAX, ret, "cannot read config %s: %s%s", path,
                          strerror(-ret),
                          ret == -ENOENT ? " (the shipped configs are in configs/)" : "");
    ret = config_parse(text, path, overrides, n_overrides, out, err);
    if (ret == -ENOMEM)
        errmsg_set(err, CONFIG_ERROR_MAX, ret, "config %s: out of memory", path);
    free(text);
    return ret;
}

void config_free(struct config *config)
{
    if (!config)
        return;
    for (size_t i = 0; i < config->n_workloads; i++)
        free_params(config->workloads[i].params, config->workloads[i].n_params);
    free(config->workloads);
    if (config->priv) {
        for (size_t i = 0; i < config->priv->n_roots; i++)
            cJSON_Delete(config->priv->roots[i]);
        free(config->priv->name);
        for (size_t i = 0; i < config->priv->n_strings; i++)
            free(config->priv->strings[i]);
        free(config->priv->strings);
        free(config->priv);
    }
    free(config);
}
