/* libFuzzer target: the config parser and the workload expansion and checks, on any input.
 *
 * The input is the config text up to the first NUL byte; each further NUL-separated piece
 * is a --set override (at most 8), so the fuzzer reaches parse_override too. Like main(),
 * sweeps that expand to more than SWEEP_MAX_POINTS workloads are refused before
 * expanding. Everything is freed: a leak is a finding. */
#include "config.h"
#include "expand.h"
#include "params.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_MAX_POINTS   100000 /* as in main.c */
#define MAX_FUZZ_OVERRIDES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *overrides[MAX_FUZZ_OVERRIDES];
    size_t n_overrides = 0;
    for (size_t i = strlen(text); i < size && n_overrides < MAX_FUZZ_OVERRIDES;) {
        overrides[n_overrides++] = text + i + 1; /* the piece after this NUL */
        i += 1 + strlen(text + i + 1);
    }

    char err[CONFIG_ERROR_MAX];
    struct config *config = NULL;
    if (config_parse(text, "fuzz.json", overrides, n_overrides, &config, err) == 0) {
        struct workload *list = NULL;
        size_t n = 0;
        if (expand_count(config) <= SWEEP_MAX_POINTS &&
            expand_workloads(config, &list, &n, err) == 0) {
            /* What --dry-run prints: every key of every workload formatted back. */
            for (size_t i = 0; i < n; i++) {
                for (size_t p = 0; p < params_count(); p++) {
                    char value[256];
                    param_format_config(params_at(p), &list[i], value, sizeof(value));
                    param_format_column(params_at(p), &list[i], value, sizeof(value));
                }
            }
            free(list);
        }
        config_free(config);
    }
    free(text);
    return 0;
}
