#!/usr/bin/env bash
# The README's "main job": installs what is missing, builds, and runs glvf's
# showcase on this machine.
#
# Today that is the upload benchmark on real GL (Mesa llvmpipe through an EGL
# surfaceless context, no display needed): 1080p and 4K yuv420p through
# every upload strategy against a memcpy of the same bytes, measured in the
# same run. The GTK4 player (glvf-player, playing a clip the project
# generates) takes this place once it lands; see README.md "Status".
set -eu
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
. scripts/deps.sh
glvf_install_deps
if [ ! -f build-release/meson-private/coredata.dat ]; then
    meson setup build-release --buildtype=release -Dtests=enabled >/dev/null
fi
meson compile -C build-release >/dev/null
export EGL_PLATFORM=surfaceless
exec ./build-release/tests/bench/bench-upload "$@"
