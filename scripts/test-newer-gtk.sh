#!/usr/bin/env bash
# Builds glvf and runs one test suite against a newer GTK than Debian 12's
# 4.8: a minimal Debian 13 (trixie: GTK 4.18, FFmpeg 7.1) root made with
# debootstrap, cached, with this checkout bind-mounted at /project (build
# directory build-trixie/). Exercises the code chosen at build time for
# GTK >= 4.12 (GdkGLTextureBuilder with the conversion's fence).
#
#   sudo scripts/test-newer-gtk.sh              # meson test --suite gtk4
#   sudo scripts/test-newer-gtk.sh player       # another suite
#
# Root is needed (debootstrap, chroot, mounts). ROOT=/path picks the root's
# place (default /tmp/glvf-trixie-root).
set -eu
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
suite=${1:-gtk4}
root=${ROOT:-/tmp/glvf-trixie-root}
mirror=${MIRROR:-http://deb.debian.org/debian}

if [ ! -x "$root/usr/bin/apt-get" ]; then
    command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
    echo "== debootstrap trixie into $root"
    debootstrap --variant=minbase trixie "$root" "$mirror"
fi
mounts=()
cleanup() {
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mkdir -p "$root/project"
for m in dev dev/pts proc sys project; do
    case $m in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sys "$root/sys" ;;
    project) mount --bind "$repo" "$root/project" ;;
    *) mount --bind "/$m" "$root/$m" ;;
    esac
    mounts+=("$root/$m")
done
cp /etc/resolv.conf "$root/etc/resolv.conf"
# the same package list as on Debian 12, less what trixie names differently
# (clang's runtime) and does not need here
pkgs=$(bash "$repo/scripts/deps.sh" --list | grep -v -e '^libclang-rt' -e '^clang$' | tr '\n' ' ')
chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive bash -c "
set -e
missing=\$(for p in $pkgs; do dpkg-query -W -f='\${db:Status-Status}' \$p 2>/dev/null | grep -qx installed || echo \$p; done)
if [ -n \"\$missing\" ]; then apt-get update -q && apt-get install -y -q --no-install-recommends \$missing; fi
cd /project
echo \"== GTK \$(pkg-config --modversion gtk4), FFmpeg libavcodec \$(pkg-config --modversion libavcodec)\"
if [ -f build-trixie/meson-private/coredata.dat ]; then meson setup --reconfigure build-trixie; else meson setup build-trixie --buildtype=debugoptimized -Dtests=enabled; fi
meson compile -C build-trixie
meson test -C build-trixie --suite $suite --num-processes 1 --print-errorlogs"
