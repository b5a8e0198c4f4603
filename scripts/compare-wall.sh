#!/usr/bin/env bash
# Compares a glvf video wall with GStreamer's glvideomixer: the same 16 H.264
# files, 4x4, in a window of the same size, in one private Xvfb started for
# both, the contenders alternating (glvf, gst, glvf, gst, ...), each keeping
# its best run. Both run untimed (as fast as they can); the figure is the
# aggregate stream-frames per second, and the ratio glvf / glvideomixer.
#
#   scripts/compare-wall.sh [OPTIONS] [FILE...]
#   scripts/compare-wall.sh --size 640x360 --window 1920x1080
#
# With no FILE, 16 clips are made in a temporary directory (ffmpeg, libx264
# ultrafast, yuv420p, MP4): testsrc2 at --size, 30 fps, --clip-seconds long,
# each with its own hue. Fewer than 16 FILEs are reused round-robin. Options:
#
#   --size WxH          the clips' size when they are made (default 640x360)
#   --window WxH        the window of both contenders (default 1920x1080)
#   --clip-seconds S    the made clips' length (default 4)
#   --runs N            runs per contender, alternating; best kept (default 3)
#   --seconds S         glvf-bench's measurement (default 8)
#   --keep DIR          make the clips in DIR and keep them
#   -h, --help          this text
#
# The contenders:
#
#   gst   gst-launch-1.0 with 16 branches
#           filesrc location=F ! qtdemux ! avdec_h264 ! videoconvert !
#           glupload ! mix.sink_I
#         into glvideomixer name=mix (each sink pad placed on its tile with
#         xpos/ypos/width/height) ! glimagesink sync=false, the window's
#         size set by caps on the mixer's output. It plays every file once
#         to the end (EOS); stream-frames/s = the frames of the 16 files
#         (ffprobe) / the pipeline's wall time, start-up included (a short
#         part of it: the clips last several seconds of decoding).
#         gst-launch-1.0 runs with -q; its avdec_h264 uses libavcodec with
#         its own threads (max-threads: automatic), as it comes.
#   glvf  glvf-bench wall FILE... --streams 16 --grid 4x4 --window WxH
#         --untimed --seconds S --json; stream-frames/s is its aggregate
#         "fps" (the frames every stream showed over the measured seconds,
#         after a warm-up). Path: $GLVF_BENCH, default
#         build/demos/glfw-bench/glvf-bench.
#
# Both use the same X server (Xvfb -screen 0 WxHx24 sized to hold the
# window, on the first free display from 90 up) and Mesa's llvmpipe
# (LIBGL_ALWAYS_SOFTWARE=1) unless the environment says otherwise.
#
# Needs: Xvfb, ffmpeg/ffprobe, python3, gst-launch-1.0 with Debian's
# gstreamer1.0-gl, gstreamer1.0-libav, gstreamer1.0-plugins-good and
# gstreamer1.0-tools: installed with apt-get when missing (as root, or
# through sudo). They are not test dependencies.
set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
size=640x360
window=1920x1080
clip_seconds=4
runs=3
seconds=8
keep=""
files=()

usage() { sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
    --size) size=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --clip-seconds) clip_seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "compare-wall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
    esac
done
case "$window" in *x*) ;; *) echo "compare-wall.sh: bad --window $window" >&2; exit 2 ;; esac
win_w=${window%x*}
win_h=${window#*x}
bench=${GLVF_BENCH:-$repo/build/demos/glfw-bench/glvf-bench}
if [ ! -x "$bench" ]; then
    echo "compare-wall.sh: $bench not found (build it, or set GLVF_BENCH)" >&2
    exit 1
fi

# ---- GStreamer, installed when missing --------------------------------------
gst_ok() {
    command -v gst-launch-1.0 >/dev/null 2>&1 &&
        gst-inspect-1.0 glvideomixer >/dev/null 2>&1 &&
        gst-inspect-1.0 avdec_h264 >/dev/null 2>&1 &&
        gst-inspect-1.0 qtdemux >/dev/null 2>&1
}
if ! gst_ok; then
    pkgs=(gstreamer1.0-tools gstreamer1.0-gl gstreamer1.0-libav gstreamer1.0-plugins-good
          gstreamer1.0-plugins-base)
    echo "compare-wall.sh: installing ${pkgs[*]}" >&2
    sudo=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        "${pkgs[@]}" >&2 || {
        echo "compare-wall.sh: apt-get install failed" >&2
        exit 1
    }
    gst_ok || { echo "compare-wall.sh: GStreamer's glvideomixer/avdec_h264/qtdemux still missing" >&2; exit 1; }
fi

# ---- clips -------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/compare-wall.XXXXXX") || exit 1
xvfb_pid=""
cleanup() {
    [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ${#files[@]} -eq 0 ]; then
    dir=${keep:-$tmp/clips}
    mkdir -p "$dir"
    for i in $(seq 0 15); do
        f=$dir/wall-$size-$i.mp4
        if [ ! -s "$f" ]; then
            echo "compare-wall.sh: making $f" >&2
            ffmpeg -v error -nostdin -y -f lavfi \
                -i "testsrc2=s=$size:r=30:d=$clip_seconds,hue=h=$((i * 22))" \
                -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$f" || exit 1
        fi
        files+=("$f")
    done
fi
wall=()
for i in $(seq 0 15); do
    wall+=("${files[$((i % ${#files[@]}))]}")
done
total_frames=0
for f in "${wall[@]}"; do
    n=$(ffprobe -v error -count_packets -select_streams v:0 \
        -show_entries stream=nb_read_packets -of csv=p=0 "$f")
    total_frames=$((total_frames + n))
done

# ---- one X server for both ---------------------------------------------------
display=""
for n in $(seq "${XVFB_FIRST_DISPLAY:-90}" 199); do
    [ -e /tmp/.X11-unix/X$n ] || [ -e /tmp/.X$n-lock ] && continue
    Xvfb ":$n" -screen 0 "$((win_w + 64))x$((win_h + 64))x24" -nolisten tcp \
        >"$tmp/xvfb.log" 2>&1 &
    xvfb_pid=$!
    for _ in $(seq 100); do
        [ -e /tmp/.X11-unix/X$n ] && break
        kill -0 "$xvfb_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -e /tmp/.X11-unix/X$n ] && kill -0 "$xvfb_pid" 2>/dev/null; then
        display=:$n
        break
    fi
    xvfb_pid=""
done
if [ -z "$display" ]; then
    echo "compare-wall.sh: no X server could be started" >&2
    cat "$tmp/xvfb.log" >&2
    exit 1
fi
export DISPLAY=$display
export LIBGL_ALWAYS_SOFTWARE=${LIBGL_ALWAYS_SOFTWARE:-1}
unset EGL_PLATFORM

# ---- the contenders ------------------------------------------------------------
tile_w=$((win_w / 4))
tile_h=$((win_h / 4))

run_gst() {
    local args=() i
    args+=(glvideomixer name=mix)
    for i in $(seq 0 15); do
        args+=("sink_$i::xpos=$(((i % 4) * tile_w))" "sink_$i::ypos=$((i / 4 * tile_h))"
               "sink_$i::width=$tile_w" "sink_$i::height=$tile_h")
    done
    args+=(! "video/x-raw(memory:GLMemory),width=$win_w,height=$win_h" ! glimagesink sync=false)
    for i in $(seq 0 15); do
        args+=(filesrc "location=${wall[$i]}" ! qtdemux ! avdec_h264 ! videoconvert !
               glupload ! "mix.sink_$i")
    done
    local t0 t1
    t0=$(date +%s.%N)
    if ! gst-launch-1.0 -q "${args[@]}" >"$tmp/gst.log" 2>&1; then
        echo "compare-wall.sh: gst-launch-1.0 failed:" >&2
        tail -20 "$tmp/gst.log" >&2
        return 1
    fi
    t1=$(date +%s.%N)
    python3 -c "print('%.1f' % ($total_frames / ($t1 - $t0)))"
}

run_glvf() {
    if ! "$bench" wall "${wall[@]}" --streams 16 --grid 4x4 --window "$window" --untimed \
        --seconds "$seconds" --json "$tmp/glvf.json" >"$tmp/glvf.log" 2>&1; then
        echo "compare-wall.sh: glvf-bench wall failed:" >&2
        tail -20 "$tmp/glvf.log" >&2
        return 1
    fi
    python3 -c "import json; print('%.1f' % json.load(open('$tmp/glvf.json'))['fps'])"
}

best_gst=0
best_glvf=0
renderer=""
for r in $(seq "$runs"); do
    v=$(run_glvf) || exit 1
    echo "compare-wall.sh: run $r: glvf-bench wall $v stream-frames/s" >&2
    best_glvf=$(python3 -c "print(max($best_glvf, $v))")
    renderer=$(python3 -c "import json; print(json.load(open('$tmp/glvf.json'))['renderer'])")
    v=$(run_gst) || exit 1
    echo "compare-wall.sh: run $r: glvideomixer $v stream-frames/s" >&2
    best_gst=$(python3 -c "print(max($best_gst, $v))")
done

w0=${wall[0]}
desc=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width,height,pix_fmt \
    -of csv=p=0 "$w0")
echo "16 streams ($desc, ${#files[@]} distinct file(s), $total_frames frames), 4x4 in $window, untimed, best of $runs alternating runs; renderer: $renderer"
echo "| contender | stream-frames/s |"
echo "|---|---|"
echo "| glvf-bench wall --untimed | $best_glvf |"
echo "| gst-launch-1.0 glvideomixer ! glimagesink sync=false | $best_gst |"
python3 -c "g=$best_gst; v=$best_glvf; print('ratio glvf / glvideomixer: %s' % ('%.2f' % (v / g) if g > 0 else 'n/a'))"
