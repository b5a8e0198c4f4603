#!/usr/bin/env bash
# Builds glvf three ways and runs the tests:
#   build/       debugoptimized                       all suites
#   build-asan/  ASan + UBSan (+ LeakSanitizer)       all suites
#   build-tsan/  TSan                                 suite 'threading'
# then the fuzzers (scripts/fuzz.sh: clang + libFuzzer, ASan + UBSan).
# Installs missing Debian packages first (scripts/deps.sh).
#
# The last line of output is always "N passed, N failed" (totals over the
# builds; a failed setup or compile counts as one failure). Exit status 0
# only when nothing failed. With CI=true a skipped test counts as failed.
#
# Environment:
#   GLVF_TEST_BUILDS="build build-asan"   run only these builds
#   GLVF_TEST_ARGS="--suite gl"           extra arguments for meson test
set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1

total_passed=0
total_failed=0
summaries=()

finish() {
    echo
    echo "== summary"
    local s
    for s in ${summaries[@]+"${summaries[@]}"}; do
        echo "$s"
    done
    echo "$total_passed passed, $total_failed failed"
    [ "$total_failed" -eq 0 ] && [ "$total_passed" -gt 0 ]
    exit $?
}

# ---- dependencies ----------------------------------------------------------
# shellcheck source=scripts/deps.sh
. "$repo/scripts/deps.sh"
if ! glvf_install_deps; then
    echo "test.sh: installing dependencies failed" >&2
    total_failed=$((total_failed + 1))
    summaries+=("deps: FAILED")
fi
if ! command -v meson >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
    echo "test.sh: meson and python3 are required" >&2
    total_failed=$((total_failed + 1))
    summaries+=("tools: meson/python3 missing")
    finish
fi

# ---- per build ---------------------------------------------------------------

builds=${GLVF_TEST_BUILDS:-build build-asan build-tsan}
extra_test_args=()
if [ -n "${GLVF_TEST_ARGS:-}" ]; then
    read -r -a extra_test_args <<<"$GLVF_TEST_ARGS"
fi
is_ci=false
case "${CI:-}" in true | TRUE | True | 1 | yes) is_ci=true ;; esac

# Prints "PASSED FAILED SKIPPED" for a meson testlog.json, then one line per
# test that did not pass.
count_results() {
    python3 - "$1" "$is_ci" <<'EOF'
import json, sys
path, ci = sys.argv[1], sys.argv[2] == "true"
passed = failed = skipped = 0
bad = []
with open(path, encoding="utf-8", errors="replace") as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        try:
            t = json.loads(line)
        except ValueError:
            failed += 1
            bad.append("(unparsable testlog line)")
            continue
        result = str(t.get("result", "")).upper()
        name = t.get("name", "?")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP" and not ci:
            skipped += 1
            bad.append("%s: SKIP" % name)
        else:
            failed += 1
            bad.append("%s: %s%s" % (name, result, " (skipping is a failure in CI)"
                                     if result == "SKIP" else ""))
print(passed, failed, skipped)
for b in bad:
    print(b)
EOF
}

# meson setup, or reconfigure an existing build directory (wiping it when
# that fails, e.g. after a meson upgrade).
setup_build() {
    local dir=$1
    shift
    if [ -f "$dir/meson-private/coredata.dat" ]; then
        meson setup --reconfigure "$dir" "$@" && return 0
        echo "== $dir: reconfigure failed; wiping"
        meson setup --wipe "$dir" "$@"
    else
        meson setup "$dir" "$@"
    fi
}

for build in $builds; do
    setup_opts=(--buildtype=debugoptimized -Dtests=enabled -Dauto_features=enabled)
    test_opts=(--print-errorlogs --num-processes 2)
    test_env=()
    case "$build" in
    build) ;;
    build-asan)
        setup_opts+=('-Db_sanitize=address,undefined' -Db_lundef=false)
        test_opts+=(--timeout-multiplier 3)
        test_env=(
            "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1"
            "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
            "LSAN_OPTIONS=suppressions=$repo/tests/lsan.supp:print_suppressions=0"
        )
        ;;
    build-tsan)
        setup_opts+=(-Db_sanitize=thread -Db_lundef=false)
        test_opts+=(--suite threading --timeout-multiplier 5)
        test_env=("TSAN_OPTIONS=halt_on_error=1:suppressions=$repo/tests/tsan.supp")
        ;;
    *)
        echo "test.sh: unknown build '$build' (known: build build-asan build-tsan)" >&2
        total_failed=$((total_failed + 1))
        summaries+=("$build: unknown build")
        continue
        ;;
    esac

    echo
    echo "== $build: setup"
    if ! setup_build "$build" "${setup_opts[@]}"; then
        total_failed=$((total_failed + 1))
        summaries+=("$build: meson setup FAILED")
        continue
    fi

    echo "== $build: compile"
    if ! meson compile -C "$build"; then
        total_failed=$((total_failed + 1))
        summaries+=("$build: compile FAILED")
        continue
    fi

    echo "== $build: test ${test_env[*]+${test_env[*]}}"
    log="$build/meson-logs/testlog.json"
    rm -f "$log"
    env ${test_env[@]+"${test_env[@]}"} \
        meson test -C "$build" "${test_opts[@]}" ${extra_test_args[@]+"${extra_test_args[@]}"}
    test_rc=$?

    if [ ! -s "$log" ]; then
        echo "test.sh: $build: no test results ($log missing or empty), meson test exit $test_rc" >&2
        total_failed=$((total_failed + 1))
        summaries+=("$build: no test results (meson test exit $test_rc)")
        continue
    fi
    if ! counts=$(count_results "$log"); then
        total_failed=$((total_failed + 1))
        summaries+=("$build: could not read $log")
        continue
    fi
    read -r p f s <<<"$(head -n 1 <<<"$counts")"
    if [ "$test_rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        # meson test failed in a way no test result shows
        f=1
        counts="$counts"$'\n'"meson test exited with status $test_rc"
    fi
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    line="$build: $p passed, $f failed"
    [ "$s" -gt 0 ] && line="$line, $s skipped"
    summaries+=("$line")
    while IFS= read -r detail; do
        [ -n "$detail" ] && summaries+=("    $detail")
    done < <(tail -n +2 <<<"$counts")
done

# ---- fuzzing: scripts/fuzz.sh (clang + libFuzzer: FUZZ_SECONDS per target,
# then each committed corpus as regression inputs). GLVF_TEST_FUZZ=0 skips it.
if [ "${GLVF_TEST_FUZZ:-1}" != 0 ]; then
    echo
    echo "== fuzz"
    fuzz_log=$(mktemp)
    bash "$repo/scripts/fuzz.sh" 2>&1 | tee "$fuzz_log"
    last=$(tail -n 1 "$fuzz_log")
    rm -f "$fuzz_log"
    if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        total_passed=$((total_passed + BASH_REMATCH[1]))
        total_failed=$((total_failed + BASH_REMATCH[2]))
        summaries+=("fuzz: $last")
    else
        total_failed=$((total_failed + 1))
        summaries+=("fuzz: no summary line")
    fi
fi

finish
