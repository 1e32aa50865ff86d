#!/usr/bin/env bash
# How long the studio takes from ^X to showing a run cancelled, in each phase of a run (issue
# #20: "≤ 1 s from ^X … to a clean stop at any size"). The studio runs in a private tmux server
# (120×40), as a person would use it; a benchmark run (release build, CPU otherwise idle), not a
# test.
#
#   tools/bench/studio_cancel_latency.sh [--binary PATH] MODEL FRAMES WIDTH HEIGHT [STEPS]
#
# For each phase — step (the denoiser, once denoising has begun) and decoding — starts a run from
# the compose screen, waits until the status line names that phase, waits 0.2 s more, presses
# ^X and polls the screen every 10 ms until it says "cancelled". Prints one line a phase: the
# seconds from ^X to the word on screen (so including one redraw), and the step it stopped at.
set -euo pipefail
needed=4 usage_end=12
source "$(dirname "$0")/prologue.sh"
model="$1" frames="$2" width="$3" height="$4" steps="${5:-4}"
socket="zoetrope-cancel-bench-$$"
trap 'tmux -L "$socket" kill-server 2> /dev/null || true; rm -rf "$out"' EXIT
screen() { tmux -L "$socket" capture-pane -p -t bench; }
wait_for() {  # wait_for REGEX SECONDS: polls the screen until a line matches
    local deadline=$(( $(date +%s) + $2 ))
    until screen | grep -qE "$1"; do
        if [ "$(date +%s)" -gt "$deadline" ]; then echo "timed out waiting for /$1/" >&2; screen >&2; return 1; fi
        sleep 0.01
    done
}
now() { date +%s.%N; }

tmux -L "$socket" -f /dev/null new-session -d -s bench -x 120 -y 40 \
    "env TERM=xterm-256color LANG=C.UTF-8 XDG_CONFIG_HOME=$out/config '$binary' studio --graphics truecolor \
     --data-dir '$out/data' --model '$model'"
wait_for "write a prompt" 60
# The prompt, then Tab to Frames (prompt → negative → model → frames), Size and Steps; typing
# replaces a number field's value.
tmux -L "$socket" send-keys -t bench -l "a yellow square moving up on a blue background"
tmux -L "$socket" send-keys -t bench Tab Tab Tab
tmux -L "$socket" send-keys -t bench -l "$frames"
tmux -L "$socket" send-keys -t bench Tab
tmux -L "$socket" send-keys -t bench -l "${width}x${height}"
tmux -L "$socket" send-keys -t bench Tab
tmux -L "$socket" send-keys -t bench -l "$steps"
sleep 0.3
for phase in step decoding; do
    case "$phase" in
        step) pattern="[0-9]+/$steps · .*denoising" ;;
        decoding) pattern=" decoding( |$)" ;;
    esac
    tmux -L "$socket" send-keys -t bench Enter
    # A run over a minute asks first (y confirms).
    sleep 0.5
    if screen | grep -q "This run takes"; then tmux -L "$socket" send-keys -t bench y; fi
    wait_for "$pattern" 600
    sleep 0.2
    sent="$(now)"
    tmux -L "$socket" send-keys -t bench C-x
    wait_for "cancelled" 60
    ended="$(now)"
    at="$(screen | grep -oE "cancelled at step [0-9]+|cancelled before it started" | head -1)"
    awk -v m="$model" -v f="$frames" -v w="$width" -v h="$height" -v p="$phase" -v s="$sent" -v e="$ended" -v a="$at" \
        'BEGIN { printf "%s %sx%sx%s %s: \"cancelled\" on screen %.2f s after ^X (%s)\n", m, f, w, h, p, e - s, a }'
    # Back to the compose screen's prompt for the next run.
    sleep 0.5
done
