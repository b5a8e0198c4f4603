#!/usr/bin/env bash
# Installs glvf from a meson build into a temporary DESTDIR, builds
# consumer.c against it with the flags pkg-config gives (plus -lEGL, for the
# consumer's own EGL context) and an rpath to the installed library, runs it
# on a desktop GL and a GLES context, and checks its output.
#
# Usage: run.sh BUILD_ROOT SOURCE_ROOT
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_ROOT SOURCE_ROOT" >&2
    exit 2
fi
build_root=$(cd "$1" && pwd)
source_root=$(cd "$2" && pwd)
cc=${CC:-cc}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/glvf-consumer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
destdir="$tmp/destdir"

step() { printf '# %s\n' "$*"; }
die() { printf 'install-consumer: FAIL: %s\n' "$*" >&2; exit 1; }

step "meson install -C $build_root into DESTDIR=$destdir"
DESTDIR="$destdir" meson install -C "$build_root" --no-rebuild --quiet ||
    die "meson install failed"

pc=$(find "$destdir" -path '*/pkgconfig/glvf.pc' | head -n 1)
[ -n "$pc" ] || die "no glvf.pc installed under $destdir"
pcdir=$(dirname "$pc")
step "installed $pc"

# The prefix the build was configured with, relocated into DESTDIR.
prefix=$(sed -n 's/^prefix=//p' "$pc" | head -n 1)
[ -n "$prefix" ] || die "glvf.pc has no prefix= line"
relocated="$destdir$prefix"

export PKG_CONFIG_PATH="$pcdir"
# Relocate with --define-prefix (prefix := the .pc file's grandparent
# directory). With a multiarch libdir (lib/x86_64-linux-gnu/pkgconfig) that
# guess is one level off, and pkgconf lets it win over --define-variable;
# then set the prefix variable to the relocated prefix instead.
pkgconf_args=(--define-prefix)
libdir=$(pkg-config "${pkgconf_args[@]}" --variable=libdir glvf) ||
    die "pkg-config --variable=libdir glvf failed"
includedir=$(pkg-config "${pkgconf_args[@]}" --variable=includedir glvf) ||
    die "pkg-config --variable=includedir glvf failed"
if [ ! -d "$libdir" ] || [ ! -f "$includedir/glvf/glvf.h" ]; then
    step "--define-prefix gives libdir $libdir (multiarch); using --define-variable=prefix=$relocated"
    pkgconf_args=("--define-variable=prefix=$relocated")
    libdir=$(pkg-config "${pkgconf_args[@]}" --variable=libdir glvf) ||
        die "pkg-config --variable=libdir glvf failed"
fi
flags=$(pkg-config "${pkgconf_args[@]}" --cflags --libs glvf) ||
    die "pkg-config --cflags --libs glvf failed"
step "pkg-config flags: $flags"
case "$flags" in
*"$destdir"*) ;;
*) die "pkg-config flags do not point into the temporary prefix: $flags" ;;
esac
[ -d "$libdir" ] || die "libdir $libdir does not exist"
ls "$libdir"/libglvf.so* >/dev/null 2>&1 || die "no libglvf.so in $libdir"

# A library built with sanitizers (b_sanitize) needs its consumer built with
# the same runtime.
sanitize=$(meson introspect --buildoptions "$build_root" | python3 -c '
import json, sys
for o in json.load(sys.stdin):
    if o["name"] == "b_sanitize":
        print(o["value"] if o["value"] != "none" else "")
') || die "meson introspect --buildoptions failed"
san_flags=()
if [ -n "$sanitize" ]; then
    san_flags=("-fsanitize=$sanitize" -fno-omit-frame-pointer)
fi

step "compiling consumer.c ${san_flags[*]}"
# shellcheck disable=SC2086  # flags are words
"$cc" -std=c11 -Wall -Wextra -Werror ${san_flags[@]+"${san_flags[@]}"} -o "$tmp/consumer" \
    "$source_root/tests/consumer/consumer.c" $flags -lEGL "-Wl,-rpath,$libdir" ||
    die "compiling consumer.c failed"

# It must run against the installed copy, not the build tree's.
if command -v ldd >/dev/null 2>&1; then
    resolved=$(ldd "$tmp/consumer" | awk '/libglvf\.so/ { print $3 }')
    step "libglvf resolves to $resolved"
    case "$resolved" in
    "$libdir"/*) ;;
    *) die "consumer loads libglvf from '$resolved', not from $libdir" ;;
    esac
fi

version=$(pkg-config --modversion glvf)
export EGL_PLATFORM="${EGL_PLATFORM:-surfaceless}"
for api in gl gles; do
    step "running consumer $api"
    rc=0
    out=$("$tmp/consumer" "$api" 2>&1) || rc=$?
    if [ "$rc" -ne 0 ]; then
        printf '%s\n' "$out"
        die "consumer $api exited with status $rc"
    fi
    printf '%s\n' "$out" | sed 's/^/#   /'
    grep -qx "glvf version: $version (header $version)" <<<"$out" ||
        die "consumer $api: expected 'glvf version: $version'"
    grep -q '^renderer: ..*' <<<"$out" || die "consumer $api printed no renderer"
    grep -qx 'consumer: OK' <<<"$out" || die "consumer $api did not print 'consumer: OK'"
    if grep -q '^glvf: error' <<<"$out"; then
        die "consumer $api: glvf logged an error"
    fi
done
echo "install-consumer: OK"
