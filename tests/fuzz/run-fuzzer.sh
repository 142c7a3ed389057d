#!/bin/sh
# Builds the config fuzzer (tests/fuzz/fuzz_config.c with the parser's sources) with
# clang, libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer, and runs it for a
# bounded time on the shipped configs, tests/fuzz/seeds/ and tests/fuzz/regressions/.
#
#   tests/fuzz/run-fuzzer.sh              build, then fuzz for MMBENCH_FUZZ_SECONDS (60)
#   tests/fuzz/run-fuzzer.sh --build OUT  only build the fuzzer, as OUT
#
# Environment: MMBENCH_FUZZ_SECONDS (fuzzing time), MMBENCH_FUZZ_ARTIFACTS (where a
# crashing input is saved; default: the current directory), MMBENCH_FUZZ_CORPUS (a
# directory to keep the grown corpus in between runs; default: a temporary one).
# Exit status: 0 no crash, 1 a crash, leak, timeout or build error, 77 clang or
# libFuzzer missing (meson's skip).
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH='' cd -- "$here/../.." && pwd)
src=$root/src
# Every source of the program but main.c: config_parse() and expand_workloads() reach the
# backends' and the kinds' key tables and checks, and those reach much of the rest; linking
# all of it means a new module needs no line here. io_uring is built without liburing
# (build_config.h below).
sources=""
for f in "$src"/*/*.c; do
    sources="$sources ${f#"$src"/}"
done

out=""
build_only=0
case "${1:-}" in
--build) out=${2:?--build needs an output path}; build_only=1 ;;
"") ;;
*) echo "run-fuzzer.sh: unknown argument $1 (see the comment at the top)" >&2; exit 2 ;;
esac

skip() {
    echo "run-fuzzer.sh: skipped: $*" >&2
    exit 77
}

command -v clang >/dev/null 2>&1 || skip "clang not found (scripts/install-deps --test)"
cjson=$(pkg-config --cflags --libs libcjson 2>/dev/null) || skip "cJSON not found"
cpuid=$(pkg-config --cflags --libs libcpuid 2>/dev/null) || skip "libcpuid not found"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmbench-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\n%s\n' \
    'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; return (int)n * 0; }' \
    >"$tmp/probe.c"
clang -fsanitize=fuzzer "$tmp/probe.c" -o "$tmp/probe" >/dev/null 2>&1 ||
    skip "clang cannot link libFuzzer (install libclang-rt-14-dev, or compiler-rt)"

[ -n "$out" ] || out=$tmp/fuzz_config
# What meson's configure step writes for a build; the fuzzer needs no liburing.
printf '#define MMBENCH_BUILDTYPE "fuzz"\n#define MMBENCH_HAVE_LIBURING 0\n' >"$tmp/build_config.h"
printf '#define MMBENCH_VERSION "fuzz"\n' >"$tmp/version.h"
includes="-I$tmp"
for d in "$src" "$src"/*/; do
    includes="$includes -I$d"
done
set --
for f in $sources; do
    set -- "$@" "$src/$f"
done
# shellcheck disable=SC2086 # pkg-config's flags and the include list are meant to split
clang -g -O1 -std=c17 -D_GNU_SOURCE -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    $includes "$here/fuzz_config.c" "$@" $cjson $cpuid -pthread -lm -o "$out"
[ "$build_only" = 0 ] || exit 0

corpus=${MMBENCH_FUZZ_CORPUS:-$tmp/corpus}
artifacts=${MMBENCH_FUZZ_ARTIFACTS:-$PWD}
mkdir -p "$corpus" "$artifacts"
cp "$root"/configs/*.json "$corpus/"
seconds=${MMBENCH_FUZZ_SECONDS:-60}
echo "run-fuzzer.sh: fuzzing config_parse and expand_workloads for $seconds s" >&2
# libFuzzer's own exit status for errors is 77 by default: meson would read a skip.
status=0
"$out" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
    -dict="$here/config.dict" -artifact_prefix="$artifacts/fuzz-" \
    "$corpus" "$here/seeds" "$here/regressions" || status=$?
if [ "$status" != 0 ]; then
    echo "run-fuzzer.sh: the fuzzer found a crash (exit $status): the input is in" \
        "$artifacts/fuzz-*; fix it, then add it to tests/fuzz/regressions/" >&2
    exit 1
fi
