#!/usr/bin/env bash
# The README's "main job": installs what is missing, builds, and runs the
# GTK4 player glvf-player on a sample clip it generates itself on first use.
#
# With a display (DISPLAY or WAYLAND_DISPLAY set) the player opens normally
# (extra arguments go to it, e.g. a FILE to play). Without one it runs
# headless under a private Xvfb: it presents 150 frames, writes a screenshot
# of what it last rendered (./glvf-player-screenshot.png, or $GLVF_SCREENSHOT)
# and prints its statistics.
set -eu
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
. scripts/deps.sh
glvf_install_deps
if [ ! -f build-release/meson-private/coredata.dat ]; then
    meson setup build-release --buildtype=release >/dev/null
fi
meson compile -C build-release >/dev/null
player=./build-release/demos/gtk-player/glvf-player
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    exec "$player" --stats "$@"
fi
shot=${GLVF_SCREENSHOT:-$repo/glvf-player-screenshot.png}
echo "run.sh: no display: playing headless under Xvfb; screenshot: $shot" >&2
exec env LIBGL_ALWAYS_SOFTWARE=1 GDK_BACKEND=x11 NO_AT_BRIDGE=1 GTK_A11Y=none \
    tests/harness/xvfb-run.sh "$player" --frames 150 --screenshot "$shot" --stats "$@"
