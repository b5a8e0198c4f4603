#!/usr/bin/env bash
# Builds glvf's fuzz targets with clang and libFuzzer and runs them:
#   build-fuzz/   clang, ASan + UBSan, glvf compiled with coverage
#                 instrumentation (-fsanitize=fuzzer-no-link); the targets
#                 (tests/fuzz/fuzz_*.c) linked with -fsanitize=fuzzer
# For each target (image: image descriptions through validation, upload,
# staging and render on the fake GL; decoder: media bytes through the FFmpeg
# module's decoder):
#   1. fuzzing for FUZZ_SECONDS (default 30) from the committed seed corpus
#      tests/fuzz/corpus/fuzz_<target>/ (new inputs go to a scratch corpus
#      in build-fuzz/corpus-<target>/, never into the repository; a crashing
#      input is saved as build-fuzz/artifacts/<target>-crash-*);
#   2. the committed corpus once more, as regression inputs (-runs=0).
# Each run is one check. The last line is "N passed, N failed"; the exit
# status is 0 only when nothing failed.
#
# Environment:
#   FUZZ_SECONDS=30        time per target (libFuzzer -max_total_time)
#   FUZZ_TARGETS="image decoder"
#   FUZZ_BUILD=build-fuzz  build directory (relative to the repository)
#   FUZZ_KEEP_CORPUS=1     keep the scratch corpora from earlier runs
# Installs missing Debian packages first (scripts/deps.sh: clang,
# libclang-rt-14-dev).
set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1

seconds=${FUZZ_SECONDS:-30}
targets=${FUZZ_TARGETS:-image decoder}
build=${FUZZ_BUILD:-build-fuzz}
passed=0
failed=0
summary=()

finish() {
    echo
    echo "== fuzz summary"
    local s
    for s in ${summary[@]+"${summary[@]}"}; do
        echo "$s"
    done
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit $?
}

fail_setup() {
    echo "fuzz.sh: $1" >&2
    failed=$((failed + 1))
    summary+=("$1")
    finish
}

# shellcheck source=scripts/deps.sh
. "$repo/scripts/deps.sh"
glvf_install_deps || echo "fuzz.sh: installing dependencies failed; trying anyway" >&2
command -v clang >/dev/null 2>&1 || fail_setup "clang not found"
command -v meson >/dev/null 2>&1 || fail_setup "meson not found"

# ---- build ------------------------------------------------------------------
setup_opts=(--buildtype=debugoptimized -Dtests=enabled -Dffmpeg=enabled
    -Dgtk4=disabled -Ddemos=disabled
    '-Db_sanitize=address,undefined' -Db_lundef=false
    '-Dc_args=-fsanitize=fuzzer-no-link -fno-omit-frame-pointer')
echo "== $build: setup (clang, ASan+UBSan, coverage)"
if [ -f "$build/meson-private/coredata.dat" ]; then
    CC=clang CXX=clang++ meson setup --reconfigure "$build" "${setup_opts[@]}" ||
        CC=clang CXX=clang++ meson setup --wipe "$build" "${setup_opts[@]}" ||
        fail_setup "meson setup FAILED"
else
    CC=clang CXX=clang++ meson setup "$build" "${setup_opts[@]}" ||
        fail_setup "meson setup FAILED"
fi
ninja_targets=()
for t in $targets; do
    ninja_targets+=("tests/fuzz/fuzz-$t")
done
echo "== $build: compile ${ninja_targets[*]}"
ninja -C "$build" "${ninja_targets[@]}" ||
    fail_setup "compile FAILED (is libFuzzer there? libclang-rt-14-dev)"

# ---- run --------------------------------------------------------------------
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$repo/tests/lsan.supp:print_suppressions=0
mkdir -p "$build/artifacts"

# one check: name, then the command; prints the libFuzzer figures
check() {
    local name=$1 log="$build/$2.log"
    shift 2
    echo "== $name: $*"
    "$@" >"$log" 2>&1
    local rc=$?
    local execs secs
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    secs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -n 1)
    local line="$name: ${execs:-?} executions"
    [ -n "$secs" ] && line="$line in ${secs} s"
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        line="$line, ok"
    else
        failed=$((failed + 1))
        line="$line, FAILED (exit $rc; log $log)"
        tail -n 40 "$log"
    fi
    echo "$line"
    summary+=("$line")
}

for t in $targets; do
    exe="$build/tests/fuzz/fuzz-$t"
    seeds="tests/fuzz/corpus/fuzz_$t"
    scratch="$build/corpus-$t"
    [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ] || rm -rf "$scratch"
    mkdir -p "$scratch"
    before=$(find "$scratch" "$seeds" -type f | wc -l)
    check "fuzz-$t (${seconds} s)" "fuzz-$t" "$exe" -max_total_time="$seconds" -timeout=20 \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$t-" "$scratch" "$seeds"
    after=$(find "$scratch" "$seeds" -type f | wc -l)
    echo "   corpus: $before inputs at the start, $after at the end"
    check "fuzz-$t corpus regression" "regress-$t" "$exe" -runs=0 -timeout=20 \
        -print_final_stats=1 "$seeds"
done

finish
