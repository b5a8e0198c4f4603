#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages needed to build glvf and run all its
# tests (real GL on Mesa's llvmpipe, Xvfb, FFmpeg, GTK4, GLFW, sanitizers).
# Only missing packages are installed; nothing is printed when all are there.
#
#   bash scripts/deps.sh            # install what is missing
#   source scripts/deps.sh; glvf_install_deps
#   bash scripts/deps.sh --list     # print the package list
#
# Runs apt-get as root, or through sudo when not root and sudo exists.

GLVF_DEB_PACKAGES=(
    # build
    meson ninja-build pkg-config gcc g++ libc6-dev python3 python3-glad
    # elfutils' libdw: the leak report names creation sites (optional)
    libdw-dev
    # GL: headers, libglvnd, libepoxy, and Mesa itself (a fresh machine has
    # no GL driver): EGL/GLX vendor libraries and the llvmpipe driver
    libepoxy-dev libegl-dev libgles-dev libgl-dev libopengl0
    libegl-mesa0 libglx-mesa0 libgl1-mesa-dri
    # GLFW and GTK4 tests run under Xvfb; the player tests drive it with the
    # XTEST extension through ctypes (libX11 and libXtst, loaded at run time)
    xvfb xauth libglfw3-dev libgtk-4-dev fonts-dejavu-core hicolor-icon-theme
    adwaita-icon-theme libx11-6 libxtst6
    # FFmpeg module; test media is generated with the ffmpeg command
    libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev ffmpeg
    # tests/colour: libplacebo (4.208 in Debian 12) renders the reference
    # HDR tone mapping and primaries conversion (optional at configure time)
    libplacebo-dev
    # sound: GlvfMediaStream plays through libpulse; the tests run a private
    # PulseAudio daemon with a null sink and record it with parec
    libpulse-dev pulseaudio pulseaudio-utils
    # sanitizers (gcc's runtimes) and clang
    libasan8 libtsan2 libubsan1 clang libclang-rt-14-dev
)

# Prints the packages of GLVF_DEB_PACKAGES that are not installed.
glvf_missing_deps() {
    local pkg status
    for pkg in "${GLVF_DEB_PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        if [ "$status" != "installed" ]; then
            printf '%s\n' "$pkg"
        fi
    done
}

# Installs what is missing. Returns non-zero when that fails.
glvf_install_deps() {
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        echo "deps.sh: not a Debian-based system (no dpkg-query/apt-get); install by hand:" >&2
        echo "  ${GLVF_DEB_PACKAGES[*]}" >&2
        return 0
    fi
    local missing=()
    local pkg
    while IFS= read -r pkg; do
        [ -n "$pkg" ] && missing+=("$pkg")
    done < <(glvf_missing_deps)
    [ "${#missing[@]}" -eq 0 ] && return 0

    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            echo "deps.sh: missing packages and neither root nor sudo: ${missing[*]}" >&2
            return 1
        fi
    fi
    echo "deps.sh: installing ${missing[*]}"
    "${sudo[@]+"${sudo[@]}"}" apt-get update -q ||
        { echo "deps.sh: apt-get update failed" >&2; return 1; }
    "${sudo[@]+"${sudo[@]}"}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}" ||
        { echo "deps.sh: apt-get install failed" >&2; return 1; }
}

# Executed (not sourced): do it.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    if [ "${1:-}" = "--list" ]; then
        printf '%s\n' "${GLVF_DEB_PACKAGES[@]}"
        exit 0
    fi
    glvf_install_deps
fi
