/* mmbench: compares memory-mapped file I/O with pread/pwrite on the workloads of a JSON
 * config. This file is the command line only: it wires the modules together.
 *
 * Exit status: 0 success, 1 a run failed, 2 usage or config error, 130 interrupted. */
#include "backend.h"
#include "build_info.h"
#include "cache.h"
#include "catalog.h"
#include "compare.h"
#include "config.h"
#include "datafile.h"
#include "expand.h"
#include "knobs.h"
#include "log.h"
#include "outdir.h"
#include "params.h"
#include "perf.h"
#include "report.h"
#include "results.h"
#include "runner.h"
#include "settings.h"
#include "signals.h"
#include "sysinfo.h"
#include "timer.h"
#include "units.h"
#include "warnings.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_RUN_FAILED      1
#define EXIT_USAGE           2
#define EXIT_INTERRUPTED     130
#define SWEEP_CONFIRM_POINTS 1000 /* more workloads than this need --yes */
#define SWEEP_MAX_POINTS     100000
#define MAX_SETS             64

/* A few seconds on a small file in a temporary directory: what `mmbench` alone runs. */
static const char default_config[] =
    "{\n"
    "  \"name\": \"quick\",\n"
    "  \"description\": \"a few seconds of random and sequential 4 KiB reads of a 64 MiB "
    "file, mmap vs pread\",\n"
    "  \"defaults\": {\"file_size\": \"64MiB\", \"block_size\": \"4KiB\", \"op\": \"read\",\n"
    "               \"duration\": \"250ms\", \"repetitions\": 3, \"warmup\": 1},\n"
    "  \"workloads\": [\n"
    "    {\"name\": \"randread\", \"pattern\": \"random\"},\n"
    "    {\"name\": \"seqread\", \"pattern\": \"sequential\"}\n"
    "  ]\n"
    "}\n";

struct options {
    const char *config_path; /* NULL: the built-in config */
    const char *output_dir;
    const char *filter;
    const char *sets[MAX_SETS];
    size_t n_sets;
    bool dry_run;
    bool keep_files;
    bool replace; /* --output may hold files: mmbench's result files there are replaced */
    bool yes;
    bool json;
    bool no_perf;
    bool read_existing; /* workloads may read an existing file (key "file") */
    enum timer_choice timer;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: mmbench [options] [CONFIG.json]      run a config (none: a quick demo)\n"
            "       mmbench compare [options] RUN_DIR... compare result directories\n"
            "\n"
            "options:\n"
            "  -o, --output DIR     write results to DIR, new or empty (default\n"
            "                       results/<config>-<time>)\n"
            "      --replace        --output DIR may hold files; mmbench's are replaced\n"
            "  -s, --set KEY=VALUE  override a workload key everywhere (repeatable; VALUE\n"
            "                       may be JSON: --set 'block_size=[\"4k\",\"64k\"]')\n"
            "      --dir DIR        where data files go (same as --set dir=DIR)\n"
            "  -f, --filter GLOB    run only workloads whose name matches GLOB\n"
            "  -n, --dry-run        print the expanded workloads, time and disk needed; exit\n"
            "      --keep-files     keep the data files (later runs reuse them)\n"
            "      --read-existing  allow workloads to read an existing file (key file)\n"
            "      --json           print results.json on stdout (tables go to stderr)\n"
            "  -y, --yes            allow sweeps of more than %d workloads\n"
            "      --timer MODE     auto (TSC when invariant) or clock (clock_gettime)\n"
            "      --profile        add a profiled round per backend (--set profile=true)\n"
            "      --no-perf        do not use perf_event_open counters\n"
            "  -q, --quiet          only results and errors   -v, --verbose  more detail\n"
            "      --list-backends  --list-keys[=json]   --version   -h, --help\n"
            "\n"
            "exit status: 0 ok, 1 a run failed, 2 usage or config error, 130 interrupted\n"
            "docs: README.md, configs/README.md, docs/results.md, man mmbench\n",
            SWEEP_CONFIRM_POINTS);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "mmbench: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n");
    usage(stderr);
    return EXIT_USAGE;
}

static void list_backends(void)
{
    for (size_t i = 0; i < backend_count(); i++) {
        printf("%-9s %s\n", backend_get(i)->name, backend_get(i)->description);
        if (backend_unavailable(i))
            printf("%-9s cannot run here: %s\n", "", backend_unavailable(i));
    }
}

/* Returns -1 to continue, else an exit status. */
static int parse_args(int argc, char **argv, struct options *opt)
{
    enum {
        OPT_DIR = 256,
        OPT_KEEP,
        OPT_REPLACE,
        OPT_JSON,
        OPT_TIMER,
        OPT_NO_PERF,
        OPT_PROFILE,
        OPT_READ_EXISTING,
        OPT_LIST_BACKENDS,
        OPT_LIST_KEYS,
        OPT_VERSION,
    };
    static const struct option long_options[] = {
        {"output", required_argument, NULL, 'o'},
        {"set", required_argument, NULL, 's'},
        {"dir", required_argument, NULL, OPT_DIR},
        {"filter", required_argument, NULL, 'f'},
        {"dry-run", no_argument, NULL, 'n'},
        {"keep-files", no_argument, NULL, OPT_KEEP},
        {"replace", no_argument, NULL, OPT_REPLACE},
        {"json", no_argument, NULL, OPT_JSON},
        {"yes", no_argument, NULL, 'y'},
        {"timer", required_argument, NULL, OPT_TIMER},
        {"no-perf", no_argument, NULL, OPT_NO_PERF},
        {"profile", no_argument, NULL, OPT_PROFILE},
        {"read-existing", no_argument, NULL, OPT_READ_EXISTING},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"list-backends", no_argument, NULL, OPT_LIST_BACKENDS},
        {"list-keys", optional_argument, NULL, OPT_LIST_KEYS},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static char dir_set[PATH_MAX + 8];
    bool list_keys_json = false;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:s:f:nyqvh", long_options, NULL)) != -1) {
        switch (c) {
        case 'o':
            opt->output_dir = optarg;
            break;
        case 's':
        case OPT_DIR:
            if (opt->n_sets == MAX_SETS)
                return usage_error("too many --set options (at most %s)", "64");
            if (c == OPT_DIR) {
                snprintf(dir_set, sizeof(dir_set), "dir=%s", optarg);
                opt->sets[opt->n_sets++] = dir_set;
            } else {
                opt->sets[opt->n_sets++] = optarg;
            }
            break;
        case 'f':
            opt->filter = optarg;
            break;
        case 'n':
            opt->dry_run = true;
            break;
        case OPT_KEEP:
            opt->keep_files = true;
            break;
        case OPT_REPLACE:
            opt->replace = true;
            break;
        case OPT_JSON:
            opt->json = true;
            break;
        case 'y':
            opt->yes = true;
            break;
        case OPT_TIMER:
            if (strcmp(optarg, "auto") == 0)
                opt->timer = TIMER_AUTO;
            else if (strcmp(optarg, "clock") == 0)
                opt->timer = TIMER_CLOCK;
            else
                return usage_error("--timer %s: expected auto or clock", optarg);
            break;
        case OPT_NO_PERF:
            opt->no_perf = true;
            break;
        case OPT_PROFILE:
            if (opt->n_sets == MAX_SETS)
                return usage_error("too many --set options (at most %s)", "64");
            opt->sets[opt->n_sets++] = "profile=true";
            break;
        case OPT_READ_EXISTING:
            opt->read_existing = true;
            break;
        case 'q':
            log_set_level(LOG_WARN);
            break;
        case 'v':
            log_set_level(LOG_DEBUG);
            break;
        case OPT_LIST_BACKENDS:
            list_backends();
            return 0;
        case OPT_LIST_KEYS:
            list_keys_json = optarg && strcmp(optarg, "json") == 0;
            if (optarg && !list_keys_json)
                return usage_error("--list-keys=%s: expected --list-keys or --list-keys=json",
                                   optarg);
            if (list_keys_json)
                catalog_print_json(stdout);
            else
                params_print(stdout);
            return 0;
        case OPT_VERSION:
            printf("mmbench %s (%s build)\n", MMBENCH_VERSION, MMBENCH_BUILDTYPE);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            return usage_error("option %s needs an argument", argv[optind - 1]);
        case '?':
        default:
            return usage_error("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        opt->config_path = argv[optind++];
    if (optind < argc)
        return usage_error("unexpected argument %s (give one config)", argv[optind]);
    return -1;
}

static void join_command_line(int argc, char **argv, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc && used < len; i++) {
        bool quote = strpbrk(argv[i], " \t\"'$") != NULL;
        int n = snprintf(buf + used, len - used, "%s%s%s%s", i ? " " : "", quote ? "'" : "",
                         argv[i], quote ? "'" : "");
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Keeps the workloads whose name matches the glob. Returns the new count. */
static size_t filter_workloads(struct workload *list, size_t n, const char *glob)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (fnmatch(glob, list[i].name, 0) == 0 || fnmatch(glob, list[i].base_name, 0) == 0) {
            list[kept] = list[i];
            kept++;
        }
    }
    return kept;
}

static void dry_run(const struct config *config, const struct workload *list, size_t n,
                    const struct datafile_set *files)
{
    printf("config %s (%s): %zu workload%s\n", config->name, config->source, n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        printf("\n%s\n", list[i].name);
        for (size_t p = 0; p < params_count(); p++) {
            char text[256];
            param_format_config(params_at(p), &list[i], text, sizeof(text));
            printf("  %-22s %s\n", params_at(p)->name, text);
        }
        char changes[4096];
        settings_describe(&list[i], changes, sizeof(changes));
        if (changes[0]) {
            printf("  kernel settings for each phase (restored after it):\n");
            for (char *save = NULL, *line = strtok_r(changes, "\n", &save); line;
                 line = strtok_r(NULL, "\n", &save))
                printf("    %s\n", line);
        }
    }
    char describe[4096], est[32], disk[32];
    datafile_describe(files, describe, sizeof(describe));
    uint64_t ns = runner_estimate_ns(list, n);
    snprintf(est, sizeof(est), "%.0f s", (double)ns / 1e9);
    snprintf(disk, sizeof(disk), "%.1f MiB", (double)datafile_bytes_to_create(files) / 1048576.0);
    printf("\nphases: %zu, estimated time: %s (timed phases only; plus cache preparation)\n"
           "disk space for data files: %s to create\n%s",
           runner_phase_count(list, n), est, disk, describe);
}

struct run_state {
    struct report_input in;
    struct report_files *files;
    FILE *console;
    int write_error; /* the first failed write of a result file, or 0 */
};

static void on_workload_done(void *arg, const struct workload_result *wr)
{
    struct run_state *st = arg;
    report_console_workload(st->console, &st->in, wr);
    report_console_warnings(st->console, stderr, &st->in, wr);
    int ret = report_files_add(st->files, &st->in, wr);
    if (ret < 0 && !st->write_error)
        st->write_error = ret;
}

static void emergency_cleanup(void)
{
    knobs_emergency_restore();
    cache_cgroup_emergency_leave();
    datafile_emergency_cleanup();
    report_emergency_cleanup();
}

/* Copies name in dir to stdout (opened relative to the held directory, never through a
 * symlink). */
static int print_file(const struct outdir *dir, const char *name)
{
    int fd = openat(dir->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return -e;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
}

static int run_main(int argc, char **argv)
{
    struct options opt = {.timer = TIMER_AUTO};
    int status = parse_args(argc, argv, &opt);
    if (status >= 0)
        return status;
    if (backend_check_registry() < 0)
        return EXIT_RUN_FAILED;

    /* The built-in config runs in a temporary directory unless told otherwise. */
    const char *sets[MAX_SETS + 1];
    size_t n_sets = 0;
    static char tmp_set[PATH_MAX + 8];
    if (!opt.config_path) {
        const char *tmp = getenv("TMPDIR");
        snprintf(tmp_set, sizeof(tmp_set), "dir=%s", tmp && tmp[0] ? tmp : "/var/tmp");
        sets[n_sets++] = tmp_set;
    }
    for (size_t i = 0; i < opt.n_sets; i++)
        sets[n_sets++] = opt.sets[i];

    char err[CONFIG_ERROR_MAX];
    struct config *config = NULL;
    int ret = opt.config_path
                  ? config_load(opt.config_path, sets, n_sets, &config, err)
                  : config_parse(default_config, "<built-in>", sets, n_sets, &config, err);
    if (ret < 0) {
        log_error("%s", err);
        return EXIT_USAGE;
    }
    size_t points = expand_count(config);
    if (points > SWEEP_MAX_POINTS || (points > SWEEP_CONFIRM_POINTS && !opt.yes)) {
        log_error("the config expands to %zu workloads; %s", points,
                  points > SWEEP_MAX_POINTS ? "at most 100000 are allowed"
                                            : "more than 1000 need --yes (check the sweeps)");
        config_free(config);
        return EXIT_USAGE;
    }
    struct workload *list = NULL;
    size_t n = 0;
    if (expand_workloads(config, &list, &n, err) < 0) {
        log_error("%s", err);
        config_free(config);
        return EXIT_USAGE;
    }
    /* A workload that names an unavailable backend was refused: the others run without it. */
    for (size_t b = 0; b < backend_count(); b++)
        if (backend_unavailable(b))
            log_warn("backend %s cannot run here, the workloads run without it: %s",
                     backend_get(b)->name, backend_unavailable(b));
    if (opt.filter) {
        n = filter_workloads(list, n, opt.filter);
        if (n == 0) {
            log_error("--filter %s matches no workload (mmbench -n %s lists them)", opt.filter,
                      opt.config_path ? opt.config_path : "");
            free(list);
            config_free(config);
            return EXIT_USAGE;
        }
    }
    char why[600];
    for (size_t i = 0; i < n; i++) {
        if (!list[i].file)
            continue;
        char check[400];
        if (datafile_use_existing(&list[i], opt.read_existing, why, sizeof(why)) < 0 ||
            (workload_check(&list[i], check, sizeof(check)) < 0 &&
             snprintf(why, sizeof(why), "%s: %s", list[i].name, check) > 0)) {
            log_error("%s", why);
            free(list);
            config_free(config);
            return EXIT_USAGE;
        }
    }
    /* A dead run's settings first: the checks below then see the kernel's own values. */
    settings_recover_dead_runs(opt.dry_run);
    struct datafile_set *files = NULL;
    if (runner_preflight(list, n, why, sizeof(why)) < 0 ||
        datafile_plan(list, n, !opt.dry_run, &files, why, sizeof(why)) < 0 ||
        settings_check(list, n, why, sizeof(why)) < 0) {
        log_error("%s", why);
        datafile_finish(files, true);
        free(list);
        config_free(config);
        return EXIT_USAGE;
    }
    if (opt.dry_run) {
        dry_run(config, list, n, files);
        datafile_finish(files, true);
        free(list);
        config_free(config);
        return 0;
    }

    cache_cgroup_reclaim();

    struct sysinfo_context si;
    sysinfo_collect(&si);
    for (size_t i = 0; i < n; i++)
        sysinfo_add_target(&si, workload_target(&list[i]));
    struct timer_info timer;
    timer_init(opt.timer, si.tsc_invariant, si.tsc_why_not, &timer);
    struct perf_probe perf;
    perf_probe(&perf, opt.no_perf);

    char command_line[2048];
    struct results res;
    results_init(&res, n);
    struct outdir od = {.fd = -1};
    if (signals_stop_requested()) {
        log_error("interrupted before the first workload: nothing was run or written");
        status = EXIT_INTERRUPTED;
        goto out;
    }
    if (outdir_open(&od, opt.output_dir, config->name, opt.replace) < 0) {
        status = EXIT_USAGE;
        goto out;
    }
    if (signals_install(emergency_cleanup) < 0)
        log_warn("could not install signal handlers: %s", strerror(errno));
    join_command_line(argc, argv, command_line, sizeof(command_line));

    struct run_state st = {
        .in =
            {
                .config_name = config->name,
                .config_description = config->description,
                .config_source = config->source,
                .command_line = command_line,
                .workloads = list,
                .n_workloads = n,
                .res = &res,
                .si = &si,
                .timer = &timer,
                .perf = &perf,
                .complete = false,
            },
        .console = opt.json ? stderr : stdout,
    };
    warnings_check_context(&res, &si);
    if (report_files_open(&od, &st.in, &st.files) < 0) {
        status = EXIT_RUN_FAILED;
        goto out;
    }
    report_console_header(st.console, &st.in);
    report_console_warnings(st.console, stderr, &st.in, NULL);

    struct runner_env env = {
        .files = files,
        .perf = &perf,
        .keep_files = opt.keep_files,
        .progress = isatty(STDERR_FILENO) && log_get_level() >= LOG_INFO,
        .workload_done = on_workload_done,
        .workload_done_arg = &st,
    };
    ret = runner_run(list, n, &res, &env);
    st.in.complete = ret == 0 && res.workloads_done == n;
    if (report_files_finish(st.files, &st.in) < 0 || st.write_error)
        status = EXIT_RUN_FAILED;
    report_console_footer(st.console, &st.in, od.path);
    if (opt.json)
        print_file(&od, "results.json");
    if (status < 0)
        status = res.interrupted                               ? EXIT_INTERRUPTED
                 : res.any_failed || settings_restore_failed() ? EXIT_RUN_FAILED
                                                               : 0;
out:
    datafile_finish(files, opt.keep_files);
    results_free(&res);
    outdir_close(&od);
    sysinfo_free(&si);
    free(list);
    config_free(config);
    return status < 0 ? EXIT_RUN_FAILED : status;
}

int main(int argc, char **argv)
{
    /* First of all: a signal at any moment, even while the config is read, is handled
     * (the cleanup has nothing to do until something is created). */
    if (signals_install(emergency_cleanup) < 0)
        log_warn("could not install signal handlers: %s", strerror(errno));
    if (argc > 1 && strcmp(argv[1], "compare") == 0)
        return compare_main(argc - 1, argv + 1);
    return run_main(argc, argv);
}
