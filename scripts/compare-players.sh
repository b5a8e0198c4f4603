#!/usr/bin/env bash
# Compares glvf-player with GTK's own GtkVideo and with mpv: each plays the
# same clip in real time, in a window of the same size, in one private Xvfb,
# one contender after another; for each it reports frames presented and
# dropped and the CPU time of the player and of the X server.
#
#   scripts/compare-players.sh [OPTIONS] CLIP [WxH]
#   scripts/compare-players.sh --make-clip /tmp/h264-1080p.mp4
#   scripts/compare-players.sh /tmp/h264-1080p.mp4 1280x720
#
# WxH is the window size (default 1280x720). Options:
#
#   --repeat N          run the contenders N times, alternating (glvf,
#                       gtkvideo, mpv, glvf, ...), and keep the best run of
#                       each: the lowest player + X server CPU (default 1)
#   --only LIST         comma-separated subset of glvf,gtkvideo,mpv
#                       (default: all three; one that is not available is
#                       skipped with a note, unless asked for with --only)
#   --make-clip PATH    write the reference clip to PATH and exit (or, with
#                       a CLIP, go on comparing): 10 s of testsrc2, 1920x1080,
#                       30 fps, 300 frames, H.264 (libx264 veryfast) yuv420p
#                       in MP4, made with
#                         ffmpeg -f lavfi -i testsrc2=s=1920x1080:r=30 -t 10 \
#                           -c:v libx264 -preset veryfast -pix_fmt yuv420p PATH
#   -h, --help          this text
#
# The contenders:
#
#   glvf      glvf-player --size WxH --stats --frames N (N: the clip's frame
#             count; it quits at N frames or at the end of the file). Path:
#             $GLVF_PLAYER, default build/demos/gtk-player/glvf-player.
#             presented= and dropped= come from its --stats.
#   gtkvideo  glvf-gtkvideo-ref CLIP WxH N (demos/compare/gtkvideo-ref.c): a
#             GtkWindow of WxH holding a GtkVideo, autoplay; it quits at the
#             stream's end. Path: $GLVF_GTKVIDEO_REF, default
#             build/demos/compare/glvf-gtkvideo-ref. presented: new frames
#             from the media stream followed by a paint; dropped: N minus
#             that. Needs GTK's GStreamer backend (Debian:
#             libgtk-4-media-gstreamer gstreamer1.0-plugins-good
#             gstreamer1.0-libav).
#   mpv       mpv --no-config --vo=gpu --gpu-context=x11egl --geometry=WxH
#             --no-audio --untimed=no (when `mpv` is found; $MPV to use
#             another). When x11egl fails it is run again with
#             --gpu-context=x11 (GLX). presented: the video-flip events of
#             its --dump-stats file; dropped: its drop-vo events (frames the
#             VO dropped as late).
#
# The default paths are relative to the repository root. The X server is
# `Xvfb -screen 0 2048x1536x24` (XVFB_SCREEN to change) on the first free
# display from 90 up (XVFB_FIRST_DISPLAY). GTK_A11Y defaults to none (no
# session bus in there).
#
# CPU: the player's user + system time, all its threads and the children it
# waited for (rusage, through bash's `times` around it), and the X server's
# utime + stime delta over the run (/proc/PID/stat); each also divided by the
# clip's duration (frames / frame rate): CPU seconds per second of video. A
# contender's output and log are kept only on failure (printed). The result
# is a Markdown table on stdout; progress goes to stderr.
#
# Needs: bash, Xvfb, ffprobe (ffmpeg for --make-clip), awk.
# Exit status: 0 all requested contenders ran; 1 one failed or was not
# available, or Xvfb could not start; 2 bad command line.
set -u

prog="${0##*/}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
    sed -n '2,/^set -u$/{/^set -u$/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}
bad_usage() {
    echo "$prog: $*" >&2
    echo "usage: $prog [--repeat N] [--only glvf,gtkvideo,mpv] [--make-clip PATH] CLIP [WxH]" >&2
    echo "       $prog --help" >&2
    exit 2
}
die() {
    echo "$prog: $*" >&2
    exit 1
}
note() {
    echo "$prog: $*" >&2
}

# ---------------------------------------------------------------- options
repeat=1
only=""
make_clip=""
clip=""
size=""
while [ "$#" -gt 0 ]; do
    case "$1" in
    -h | --help)
        usage
        exit 0
        ;;
    --repeat | --only | --make-clip)
        [ "$#" -ge 2 ] || bad_usage "$1 needs a value"
        case "$1" in
        --repeat) repeat="$2" ;;
        --only) only="$2" ;;
        --make-clip) make_clip="$2" ;;
        esac
        shift 2
        ;;
    --repeat=*) repeat="${1#*=}"; shift ;;
    --only=*) only="${1#*=}"; shift ;;
    --make-clip=*) make_clip="${1#*=}"; shift ;;
    --)
        shift
        break
        ;;
    -*) bad_usage "unknown option '$1'" ;;
    *) break ;;
    esac
done
[ "$#" -ge 1 ] && { clip="$1"; shift; }
[ "$#" -ge 1 ] && { size="$1"; shift; }
[ "$#" -eq 0 ] || bad_usage "too many arguments: $*"

case "$repeat" in
'' | *[!0-9]*) bad_usage "--repeat needs a positive integer, not '$repeat'" ;;
esac
if [ "$repeat" -lt 1 ] || [ "$repeat" -gt 100 ]; then
    bad_usage "--repeat must be 1 to 100"
fi

contenders=()
if [ -n "$only" ]; then
    IFS=, read -r -a req <<<"$only"
    for c in "${req[@]}"; do
        case "$c" in
        glvf | gtkvideo | mpv)
            case " ${contenders[*]-} " in *" $c "*) ;; *) contenders+=("$c") ;; esac
            ;;
        *) bad_usage "--only: unknown contender '$c' (glvf, gtkvideo, mpv)" ;;
        esac
    done
    [ "${#contenders[@]}" -gt 0 ] || bad_usage "--only: empty list"
else
    contenders=(glvf gtkvideo mpv)
fi

size="${size:-1280x720}"
if [[ ! "$size" =~ ^([0-9]{2,5})x([0-9]{2,5})$ ]]; then
    bad_usage "bad size '$size' (WxH, e.g. 1280x720)"
fi
win_w="${BASH_REMATCH[1]}"
win_h="${BASH_REMATCH[2]}"
if [ "$win_w" -lt 64 ] || [ "$win_h" -lt 64 ] || [ "$win_w" -gt 16384 ] || [ "$win_h" -gt 16384 ]; then
    bad_usage "bad size '$size' (64 to 16384 each)"
fi

[ -n "$clip" ] || [ -n "$make_clip" ] || bad_usage "no CLIP given"

# ---------------------------------------------------------------- the clip
if [ -n "$make_clip" ]; then
    command -v ffmpeg >/dev/null 2>&1 || die "ffmpeg not found (Debian: apt-get install ffmpeg)"
    note "making $make_clip (10 s, 1920x1080, 30 fps, H.264)"
    ffmpeg -nostdin -hide_banner -loglevel error -y \
        -f lavfi -i testsrc2=s=1920x1080:r=30 -t 10 \
        -c:v libx264 -preset veryfast -pix_fmt yuv420p "$make_clip" ||
        die "ffmpeg failed to make $make_clip"
    [ -n "$clip" ] || exit 0
fi

[ -f "$clip" ] || die "no such file: $clip"
command -v ffprobe >/dev/null 2>&1 || die "ffprobe not found (Debian: apt-get install ffmpeg)"
command -v Xvfb >/dev/null 2>&1 || die "Xvfb not found (Debian: apt-get install xvfb)"

probe() { # $1: entries; prints the first video stream's values, one a line
    ffprobe -v error -select_streams v:0 -show_entries "stream=$1" -of default=nw=1:nk=1 "$clip" 2>/dev/null
}
frames="$(probe nb_frames | head -n 1)"
if [[ ! "$frames" =~ ^[0-9]+$ ]] || [ "$frames" -eq 0 ]; then
    # containers without a frame count (Matroska, ...): count the packets
    frames="$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets \
        -of default=nw=1:nk=1 "$clip" 2>/dev/null | head -n 1)"
fi
if [[ ! "$frames" =~ ^[0-9]+$ ]] || [ "$frames" -eq 0 ]; then
    die "$clip: no video stream, or its frames cannot be counted"
fi
rate="$(probe avg_frame_rate | head -n 1)"
fps="$(awk -v r="$rate" 'BEGIN { n = split(r, a, "/"); v = (n == 2 && a[2] > 0) ? a[1] / a[2] : r + 0; printf "%.6f", v }')"
awk -v f="$fps" 'BEGIN { exit !(f > 0) }' || die "$clip: unknown frame rate '$rate'"
duration="$(awk -v n="$frames" -v f="$fps" 'BEGIN { printf "%.3f", n / f }')"
fps_shown="$(awk -v f="$fps" 'BEGIN { printf "%.6g", f }')"
duration_shown="$(awk -v d="$duration" 'BEGIN { printf "%.6g", d }')"

# ---------------------------------------------------------------- contenders
glvf_player="${GLVF_PLAYER:-$root/build/demos/gtk-player/glvf-player}"
gtkvideo_ref="${GLVF_GTKVIDEO_REF:-$root/build/demos/compare/glvf-gtkvideo-ref}"
mpv_bin="${MPV:-$(command -v mpv 2>/dev/null || true)}"

status=0
available=()
for c in "${contenders[@]}"; do
    why=""
    case "$c" in
    glvf) [ -x "$glvf_player" ] || why="$glvf_player not found (build it: meson setup build && ninja -C build, or set GLVF_PLAYER)" ;;
    gtkvideo) [ -x "$gtkvideo_ref" ] || why="$gtkvideo_ref not found (build it: ninja -C build, or set GLVF_GTKVIDEO_REF)" ;;
    mpv) [ -n "$mpv_bin" ] && [ -x "$mpv_bin" ] || why="mpv not found (Debian: apt-get install mpv)" ;;
    esac
    if [ -n "$why" ]; then
        if [ -n "$only" ]; then
            note "$c: $why"
            status=1
        else
            note "$c skipped: $why"
        fi
    else
        available+=("$c")
    fi
done
[ "${#available[@]}" -gt 0 ] || die "no contender to run"

# ---------------------------------------------------------------- Xvfb
workdir="$(mktemp -d "${TMPDIR:-/tmp}/compare-players.XXXXXX")" || die "mktemp failed"
xvfb_pid=""
run_pid=""
# shellcheck disable=SC2317 # called from the traps
cleanup() {
    if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
        kill -TERM "$run_pid" 2>/dev/null # timeout: passes it on to the player
        for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
            kill -0 "$run_pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    run_pid=""
    if [ -n "$xvfb_pid" ]; then
        kill -TERM "$xvfb_pid" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$xvfb_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$xvfb_pid" 2>/dev/null
        wait "$xvfb_pid" 2>/dev/null
    fi
    xvfb_pid=""
    rm -rf "$workdir"
}
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 129' HUP
trap 'cleanup; trap - EXIT; exit 130' INT
trap 'cleanup; trap - EXIT; exit 143' TERM

screen="${XVFB_SCREEN:-2048x1536x24}"
start_xvfb() { # $1: display number; returns 0 once it accepts connections
    local n="$1" ready="$workdir/display" waited=0
    : >"$ready"
    Xvfb ":$n" -screen 0 "$screen" -nolisten tcp -noreset -displayfd 3 \
        3>"$ready" >"$workdir/xvfb.log" 2>&1 </dev/null &
    xvfb_pid=$!
    while [ "$waited" -lt 200 ]; do
        [ -s "$ready" ] && return 0
        if ! kill -0 "$xvfb_pid" 2>/dev/null; then
            wait "$xvfb_pid" 2>/dev/null
            xvfb_pid=""
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    kill -KILL "$xvfb_pid" 2>/dev/null
    wait "$xvfb_pid" 2>/dev/null
    xvfb_pid=""
    return 1
}
n="${XVFB_FIRST_DISPLAY:-90}"
display=""
for _ in $(seq 1 200); do
    if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ] && start_xvfb "$n"; then
        display=":$n"
        break
    fi
    n=$((n + 1))
done
if [ -z "$display" ]; then
    note "could not start Xvfb; its log:"
    cat "$workdir/xvfb.log" >&2 2>/dev/null
    exit 1
fi
export DISPLAY="$display"
unset WAYLAND_DISPLAY
export GTK_A11Y="${GTK_A11Y:-none}"
clk_tck="$(getconf CLK_TCK 2>/dev/null || echo 100)"

xvfb_ticks() { # utime + stime of Xvfb, in clock ticks
    local stat
    stat="$(cat "/proc/$xvfb_pid/stat" 2>/dev/null)" || { echo 0; return; }
    stat="${stat##*) }" # fields from 3 (state) on
    awk '{ print $12 + $13 }' <<<"$stat"
}

# GStreamer builds its plugin registry on first use; not part of a run
command -v gst-inspect-1.0 >/dev/null 2>&1 && gst-inspect-1.0 >/dev/null 2>&1

# ---------------------------------------------------------------- one run
# run_one CONTENDER INDEX: sets r_presented r_dropped r_cpu r_xcpu r_wall r_note;
# returns non-zero when the run failed.
run_one() {
    local c="$1" i="$2"
    if [ "$c" != mpv ]; then
        run_once "$c" "$i" ""
        return
    fi
    # mpv: EGL on X11 first; GLX when that fails (then GLX for every run)
    if [ -n "$mpv_context" ]; then
        run_once mpv "$i" "$mpv_context"
        return
    fi
    run_once mpv "$i" x11egl && { mpv_context=x11egl; return 0; }
    note "mpv failed with --gpu-context=x11egl; trying --gpu-context=x11 (GLX)"
    run_once mpv "$i" x11 && { mpv_context=x11; return 0; }
    return 1
}
mpv_context=""

run_once() {
    local c="$1" i="$2" ctx="$3"
    local out="$workdir/$c.$i.out" err="$workdir/$c.$i.err" tms="$workdir/$c.$i.times"
    local stats="$workdir/$c.$i.stats" limit rc x0 x1 t0 t1
    local cmd=()
    limit="$(awk -v d="$duration" 'BEGIN { printf "%d", d * 3 + 60 }')"
    case "$c" in
    glvf) cmd=("$glvf_player" --size "$size" --stats --frames "$frames" "$clip") ;;
    gtkvideo) cmd=("$gtkvideo_ref" "$clip" "$size" "$frames" "$limit") ;;
    mpv)
        rm -f "$stats"
        cmd=("$mpv_bin" --no-config --vo=gpu "--gpu-context=$ctx" "--geometry=$size" --no-audio
            --untimed=no --really-quiet "--dump-stats=$stats" -- "$clip")
        ;;
    esac
    r_note=""
    [ "$c" = mpv ] && r_note="--gpu-context=$ctx"
    note "run $i: $c: ${cmd[*]}"
    x0="$(xvfb_ticks)"
    t0="$(date +%s.%N)"
    # bash's `times` in the subshell: the user and system time of its waited
    # children (timeout, the player, all their threads and waited children)
    # (run_pid: timeout's, which passes a signal on to the player)
    bash -c 'timeout -k 5 "$1" "${@:3}" </dev/null >"$2.out" 2>"$2.err" & echo $! >"$2.pid"
        wait $!; rc=$?; times >"$2.times"; exit $rc' \
        run "$limit" "$workdir/$c.$i" "${cmd[@]}" &
    local sh_pid=$!
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        [ -s "$workdir/$c.$i.pid" ] && break
        sleep 0.1
    done
    run_pid="$(cat "$workdir/$c.$i.pid" 2>/dev/null)"
    wait "$sh_pid"
    rc=$?
    run_pid=""
    t1="$(date +%s.%N)"
    x1="$(xvfb_ticks)"
    r_wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
    r_xcpu="$(awk -v a="$x0" -v b="$x1" -v t="$clk_tck" 'BEGIN { printf "%.2f", (b - a) / t }')"
    # second line of `times`: children's "XmY.YYYs XmY.YYYs"
    r_cpu="$(sed -n 2p "$tms" 2>/dev/null | awk '
        function s(v,  m) { m = v; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", v); sub(/s$/, "", v); return m * 60 + v }
        NF == 2 { printf "%.2f", s($1) + s($2) }')"
    r_presented=""
    r_dropped=""
    case "$c" in
    glvf | gtkvideo)
        r_presented="$(grep -o 'presented=[0-9]*' "$out" | tail -n 1 | cut -d= -f2)"
        r_dropped="$(grep -o 'dropped=[0-9]*' "$out" | tail -n 1 | cut -d= -f2)"
        ;;
    mpv)
        if [ -s "$stats" ]; then
            r_presented="$(grep -c ' start video-flip$' "$stats")"
            r_dropped="$(grep -c ' drop-vo$' "$stats")"
        fi
        ;;
    esac
    local failed=""
    [ "$rc" -eq 0 ] || failed="exit status $rc$([ "$rc" -eq 124 ] && echo " (timed out after ${limit}s)")"
    [ -n "$failed" ] || [ -n "$r_presented" ] || failed="no presented count in its output"
    [ -n "$failed" ] || [ "$r_presented" -gt 0 ] || failed="no frame presented"
    [ -n "$r_cpu" ] || r_cpu="?"
    if [ -n "$failed" ]; then
        note "run $i: $c failed: $failed; its output:"
        tail -n 20 "$out" "$err" >&2 2>/dev/null
        return 1
    fi
    note "run $i: $c: presented=$r_presented dropped=$r_dropped cpu=${r_cpu}s x_cpu=${r_xcpu}s wall=${r_wall}s"
    return 0
}

# ---------------------------------------------------------------- runs
declare -A best_total best_line failures
note "clip $clip: $frames frames at $fps_shown fps ($duration_shown s); window $size; X server $DISPLAY ($screen)"
per_s() { awk -v v="$1" -v d="$duration" 'BEGIN { if (v == "?") print "?"; else printf "%.3f", v / d }'; }
for ((i = 1; i <= repeat; i++)); do
    for c in "${available[@]}"; do
        sleep 1 # let the X server settle between runs
        if run_one "$c" "$i"; then
            total="$(awk -v a="$r_cpu" -v b="$r_xcpu" 'BEGIN { printf "%.3f", (a == "?" ? 0 : a) + b }')"
            if [ -z "${best_total[$c]:-}" ] || awk -v a="$total" -v b="${best_total[$c]}" 'BEGIN { exit !(a < b) }'; then
                best_total[$c]="$total"
                best_line[$c]="| $c | $r_presented | $r_dropped | $r_cpu | $r_xcpu | $(per_s "$r_cpu") | $(per_s "$r_xcpu") | $r_wall | $r_note |"
            fi
        else
            failures[$c]=$((${failures[$c]:-0} + 1))
        fi
    done
done

# ---------------------------------------------------------------- table
echo
echo "Clip: \`${clip##*/}\`, $frames frames, $fps_shown fps, $duration_shown s; window ${size}; Xvfb ${screen}; best of $repeat run(s) each (lowest player + X CPU)."
echo
echo "| player | presented | dropped | player CPU s | X CPU s | player CPU s per video s | X CPU s per video s | wall s | notes |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
for c in "${available[@]}"; do
    if [ -n "${best_line[$c]:-}" ]; then
        echo "${best_line[$c]}"
        [ -z "${failures[$c]:-}" ] || status=1
    else
        echo "| $c | failed | | | | | | | see the log above |"
        status=1
    fi
done
exit "$status"
