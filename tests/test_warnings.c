/* Warning triggers, fed synthetic inputs: each case expects a warning containing a phrase,
 * or no warning at all. */
#include "params.h"
#include "results.h"
#include "stats.h"
#include "sysinfo.h"
#include "warnings.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* Every warning in res matches want (NULL: there must be none) and there is one. */
static void expect_warning(const struct results *res, const char *want, const char *label)
{
    if (!want) {
        if (res->n_warnings)
            fail_msg("%s: unexpected warning \"%s\"", label, res->warnings[0].text);
        return;
    }
    for (size_t i = 0; i < res->n_warnings; i++)
        if (strstr(res->warnings[i].text, want))
            return;
    fail_msg("%s: no warning with \"%s\" (%zu warnings)", label, want, res->n_warnings);
}

static void base_context(struct sysinfo_context *si)
{
    memset(si, 0, sizeof(*si));
    snprintf(si->build_type, sizeof(si->build_type), "release");
    snprintf(si->governor, sizeof(si->governor), "performance");
    snprintf(si->hypervisor, sizeof(si->hypervisor), "none");
    si->online_cpus = 8;
    si->loadavg_1m = 0.2;
}

static void test_context(void **state)
{
    (void)state;
    static const struct {
        const char *label;
        bool debug;
        const char *governor;
        double load;
        const char *hypervisor;
        const char *want;
    } cases[] = {
        {"quiet bare metal", false, "performance", 0.2, "none", NULL},
        {"no cpufreq", false, "n/a (no cpufreq driver)", 0.2, "none", NULL},
        {"debug build", true, "performance", 0.2, "none", "rebuild with meson --buildtype=release"},
        {"powersave", false, "powersave", 0.2, "none", "governor is powersave, not performance"},
        {"busy", false, "performance", 6.5, "none", "load average 6.50 on 8 CPUs"},
        {"vm", false, "performance", 0.2, "kvm", "running under a hypervisor (kvm)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sysinfo_context si;
        base_context(&si);
        si.debug_build = cases[i].debug;
        snprintf(si.governor, sizeof(si.governor), "%s", cases[i].governor);
        si.loadavg_1m = cases[i].load;
        snprintf(si.hypervisor, sizeof(si.hypervisor), "%s", cases[i].hypervisor);
        struct results res;
        memset(&res, 0, sizeof(res));
        warnings_check_context(&res, &si);
        expect_warning(&res, cases[i].want, cases[i].label);
        if (cases[i].want)
            assert_int_equal(res.warnings[0].workload, -1);
        results_free(&res);
    }
}

static void test_series(void **state)
{
    (void)state;
    static const struct {
        const char *label;
        double tput[8];
        size_t n;
        enum cache_state cache;
        size_t missed;
        const char *want;
    } cases[] = {
        {"steady", {1000, 1010, 990, 1005, 995}, 5, CACHE_WARM, 0, NULL},
        {"noisy", {1000, 1300, 800, 1100, 900}, 5, CACHE_WARM, 0, "varies by"},
        {"outlier", {1000, 1001, 999, 1002, 998, 1000, 1500}, 7, CACHE_WARM, 0, "outlier"},
        {"too few for outliers", {1000, 1001, 1500}, 3, CACHE_WARM, 0, "varies by"},
        {"cold not reached", {1000, 1000, 1000}, 3, CACHE_COLD, 2, "cold_method drop_caches"},
        {"warm not reached", {1000, 1000, 1000}, 3, CACHE_WARM, 1, "may not fit in memory"},
        {"slow first", {500, 1000, 1000, 1001}, 4, CACHE_WARM, 0, "first repetition was 2.0x"},
        {"single repetition", {1000}, 1, CACHE_WARM, 0, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct workload w;
        params_set_defaults(&w);
        snprintf(w.name, sizeof(w.name), "randread");
        w.cache = cases[i].cache;
        struct results_summary s;
        memset(&s, 0, sizeof(s));
        stats_summarize(cases[i].tput, cases[i].n, 1, &s.tput);
        s.cache_state_missed = cases[i].missed;
        s.resident_before_pct = 40;
        struct results res;
        memset(&res, 0, sizeof(res));
        warnings_check_series(&res, 3, &w, "mmap", cases[i].tput, cases[i].n, &s);
        expect_warning(&res, cases[i].want, cases[i].label);
        if (cases[i].want) {
            assert_int_equal(res.warnings[0].workload, 3);
            assert_non_null(strstr(res.warnings[0].text, "randread/mmap"));
        }
        /* "too few for outliers" must not also claim an outlier. */
        if (cases[i].n < WARN_OUTLIER_MIN_SAMPLES)
            for (size_t k = 0; k < res.n_warnings; k++)
                assert_null(strstr(res.warnings[k].text, "outlier"));
        results_free(&res);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context),
        cmocka_unit_test(test_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
