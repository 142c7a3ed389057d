#include "catalog.h"

#include "backend.h"
#include "json_writer.h"
#include "kind.h"
#include "metrics.h"
#include "params.h"
#include "report_columns.h"

#include <math.h>

static void write_keys(struct json_writer *jw)
{
    jw_array_begin(jw, "keys");
    for (size_t i = 0; i < params_count(); i++) {
        const struct param_def *d = params_at(i);
        jw_object_begin(jw, NULL);
        jw_string(jw, "name", d->name);
        jw_string(jw, "column", d->column);
        jw_string(jw, "type", param_type_name(d));
        jw_bool(jw, "whole_number", d->type == PARAM_COUNT || d->type == PARAM_COUNT32);
        jw_string(jw, "owner", param_owner(d));
        jw_string(jw, "group", d->group);
        if (d->enum_names) {
            jw_array_begin(jw, "values");
            for (int e = 0; d->enum_names[e]; e++)
                jw_string(jw, NULL, d->enum_names[e]);
            jw_array_end(jw);
        }
        bool ranged = d->type != PARAM_STRING && d->type != PARAM_ENUM && d->type != PARAM_BOOL &&
                      d->type != PARAM_BACKENDS && d->type != PARAM_BACKEND &&
                      d->type != PARAM_PIN && d->type != PARAM_KERNEL_SETTING &&
                      d->type != PARAM_KERNEL_SETTINGS;
        jw_number(jw, "min", ranged ? d->min : NAN);
        jw_number(jw, "max", ranged ? d->max : NAN);
        if (d->multiple_of)
            jw_u64(jw, "multiple_of", d->multiple_of);
        if (d->min_nonzero)
            jw_number(jw, "min_nonzero", d->min_nonzero);
        jw_string(jw, "replaces", d->replaces);
        jw_string(jw, "default", d->default_text);
        jw_string(jw, "values_text", d->values);
        jw_string(jw, "doc", d->doc);
        jw_bool(jw, "descriptor_backends_only", (d->needs_caps & BACKEND_CAP_DESCRIPTOR) != 0);
        jw_object_end(jw);
    }
    jw_array_end(jw);
}

static void write_columns(struct json_writer *jw, const char *key, const struct report_column *cols,
                          size_t n)
{
    jw_array_begin(jw, key);
    for (size_t i = 0; i < n; i++) {
        jw_object_begin(jw, NULL);
        jw_string(jw, "name", cols[i].name);
        jw_string(jw, "doc", cols[i].doc);
        jw_object_end(jw);
    }
    jw_array_end(jw);
}

void catalog_print_json(FILE *out)
{
    struct json_writer jw;
    jw_init(&jw, out);
    jw_object_begin(&jw, NULL);
    jw_array_begin(&jw, "backends");
    for (size_t b = 0; b < backend_count(); b++) {
        const struct backend_ops *ops = backend_get(b);
        jw_object_begin(&jw, NULL);
        jw_string(&jw, "name", ops->name);
        jw_string(&jw, "description", ops->description);
        jw_bool(&jw, "descriptor", (ops->caps & BACKEND_CAP_DESCRIPTOR) != 0);
        jw_array_begin(&jw, "counters");
        for (size_t c = 0; c < ops->n_counters; c++) {
            jw_object_begin(&jw, NULL);
            jw_string(&jw, "name", ops->counters[c].name);
            jw_string(&jw, "doc", ops->counters[c].doc);
            jw_object_end(&jw);
        }
        jw_array_end(&jw);
        jw_object_end(&jw);
    }
    jw_array_end(&jw);
    jw_array_begin(&jw, "kinds");
    for (size_t k = 0; k < kind_count(); k++) {
        const struct kind_ops *kind = kind_get(k);
        jw_object_begin(&jw, NULL);
        jw_string(&jw, "name", kind->name);
        jw_string(&jw, "description", kind->description);
        jw_array_begin(&jw, "backends");
        for (size_t b = 0; b < backend_count(); b++)
            if (kind_runs_backend(kind, b))
                jw_string(&jw, NULL, backend_get(b)->name);
        jw_array_end(&jw);
        jw_string(&jw, "compared_on",
                  kind->compare_metric >= 0 ? kind->metrics[kind->compare_metric].name : NULL);
        jw_bool(&jw, "lower_is_better", kind->lower_is_better);
        jw_array_begin(&jw, "metrics");
        for (size_t m = 0; m < kind->n_metrics; m++) {
            jw_object_begin(&jw, NULL);
            jw_string(&jw, "name", kind->metrics[m].name);
            jw_string(&jw, "unit", kind->metrics[m].unit);
            jw_string(&jw, "doc", kind->metrics[m].doc);
            jw_object_end(&jw);
        }
        jw_array_end(&jw);
        jw_object_end(&jw);
    }
    jw_array_end(&jw);
    jw_array_begin(&jw, "structure");
    for (size_t i = 0; i < structure_key_count; i++) {
        const struct structure_key *k = &structure_keys[i];
        jw_object_begin(&jw, NULL);
        jw_string(&jw, "name", k->name);
        jw_string(&jw, "place", k->place == STRUCTURE_CONFIG ? "config" : "workload");
        jw_string(&jw, "json_type", k->json_type);
        jw_bool(&jw, "required", k->required);
        jw_string(&jw, "doc", k->doc);
        jw_object_end(&jw);
    }
    jw_array_end(&jw);
    write_keys(&jw);
    write_columns(&jw, "run_columns", report_run_columns, report_run_column_count);
    write_columns(&jw, "summary_columns", report_summary_columns, report_summary_column_count);
    write_columns(&jw, "timeline_columns", report_timeline_columns, report_timeline_column_count);
    jw_array_begin(&jw, "metrics");
    for (int m = 0; m < METRIC_COUNT; m++) {
        jw_object_begin(&jw, NULL);
        jw_string(&jw, "column", metric_table[m].column);
        jw_string(&jw, "unit", metric_table[m].unit);
        jw_string(&jw, "doc", metric_table[m].doc);
        jw_object_end(&jw);
    }
    jw_array_end(&jw);
    jw_object_end(&jw);
}
