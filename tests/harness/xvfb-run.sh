#!/usr/bin/env bash
# Runs a command with a private X server:
#
#   tests/harness/xvfb-run.sh COMMAND [ARGS...]
#
# Starts `Xvfb :N -screen 0 1280x1024x24 -nolisten tcp` on the first free
# display number from 90 upward (no /tmp/.X11-unix/XN socket, no
# /tmp/.XN-lock file; a display another process takes at the same moment is
# skipped), waits until it accepts connections, runs the command with
# DISPLAY=:N, stops Xvfb and exits with the command's status. Xvfb is stopped
# on every path out (the command failing, a signal, this script failing).
#
# Environment: XVFB_FIRST_DISPLAY (default 90), XVFB_SCREEN (default
# 1280x1024x24), XVFB_TIMEOUT seconds to wait for the server (default 20).
# Exit status: the command's; 125 when no X server could be started (then
# Xvfb's log is printed on stderr).
set -u

if [ "$#" -eq 0 ]; then
    echo "usage: ${0##*/} COMMAND [ARGS...]" >&2
    exit 125
fi

first="${XVFB_FIRST_DISPLAY:-90}"
screen="${XVFB_SCREEN:-1280x1024x24}"
timeout_s="${XVFB_TIMEOUT:-20}"

if ! command -v Xvfb >/dev/null 2>&1; then
    echo "${0##*/}: Xvfb not found (Debian: apt-get install xvfb)" >&2
    exit 125
fi

xvfb_pid=""
cmd_pid=""
workdir="$(mktemp -d "${TMPDIR:-/tmp}/xvfb-run.XXXXXX")" || exit 125

# shellcheck disable=SC2317 # called from the traps
cleanup() {
    if [ -n "$cmd_pid" ] && kill -0 "$cmd_pid" 2>/dev/null; then
        kill -TERM "$cmd_pid" 2>/dev/null
        wait "$cmd_pid" 2>/dev/null
    fi
    cmd_pid=""
    if [ -n "$xvfb_pid" ]; then
        kill -TERM "$xvfb_pid" 2>/dev/null
        # give it a moment to remove its socket and lock file, then insist
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

# Starts Xvfb on display $1; returns 0 once it accepts connections.
start_on() {
    local n="$1" ready="$workdir/display"
    : >"$ready"
    # -displayfd writes the display number once the server is ready
    Xvfb ":$n" -screen 0 "$screen" -nolisten tcp -noreset -displayfd 3 \
        3>"$ready" >"$workdir/xvfb.log" 2>&1 </dev/null &
    xvfb_pid=$!
    local waited=0 max=$((timeout_s * 10))
    while [ "$waited" -lt "$max" ]; do
        if [ -s "$ready" ]; then
            return 0
        fi
        if ! kill -0 "$xvfb_pid" 2>/dev/null; then
            wait "$xvfb_pid" 2>/dev/null
            xvfb_pid=""
            return 1 # died: display taken or server error
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    echo "${0##*/}: Xvfb :$n not ready after ${timeout_s}s" >&2
    kill -KILL "$xvfb_pid" 2>/dev/null
    wait "$xvfb_pid" 2>/dev/null
    xvfb_pid=""
    return 1
}

display=""
n="$first"
tries=0
while [ "$tries" -lt 100 ]; do
    if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then
        if start_on "$n"; then
            display=":$n"
            break
        fi
        tries=$((tries + 1))
    fi
    n=$((n + 1))
    [ "$n" -gt $((first + 1000)) ] && break
done

if [ -z "$display" ]; then
    echo "${0##*/}: could not start Xvfb (displays :$first and up); last log:" >&2
    cat "$workdir/xvfb.log" >&2 2>/dev/null
    exit 125
fi

export DISPLAY="$display"
unset WAYLAND_DISPLAY

# In the background so that a signal to this script is handled at once;
# stdin passed on explicitly (a background job would get /dev/null).
"$@" 0<&0 &
cmd_pid=$!
wait "$cmd_pid"
status=$?
cmd_pid=""
exit "$status"
