#!/usr/bin/env bash
# How long `zoetrope generate` takes to stop after SIGTERM in each phase of a run (issue #20:
# "≤ 1 s from ^X or SIGTERM to a clean stop at any size"). A benchmark run (release build,
# CPU otherwise idle), not a test.
#
#   tools/bench/cancel_latency.sh [--binary PATH] MODEL FRAMES WIDTH HEIGHT [STEPS]
#
# For each phase — loading, encoding (the text), step (the denoiser, after step 1), decoding —
# starts a fresh run, waits for that phase's first event, waits 0.2 s more, sends SIGTERM and
# times the exit. Prints one line a phase: seconds to exit and the status (130: cancelled
# cleanly; 143: ended by the signal after the 2 s grace). A phase the run never reached is said.
set -euo pipefail
needed=4 usage_end=11
source "$(dirname "$0")/prologue.sh"
model="$1" frames="$2" width="$3" height="$4" steps="${5:-4}"
flags=(--no-history --json --model "$model" --prompt "a yellow square moving up on a blue background"
       --frames "$frames" --width "$width" --height "$height" --steps "$steps" --guidance 5 --seed 0)
for phase in loading encoding step decoding; do
    events="$out/$phase.events"
    : > "$events"
    "$binary" generate "${flags[@]}" --output "$out/$phase" > "$events" 2> "$out/$phase.err" &
    pid=$!
    pattern="\"event\":\"$phase\""
    while ! grep -q "$pattern" "$events" 2> /dev/null; do
        if ! kill -0 "$pid" 2> /dev/null; then break; fi
        sleep 0.01
    done
    if ! kill -0 "$pid" 2> /dev/null; then
        wait "$pid" || true
        echo "$model ${frames}x${width}x${height} $phase: the run ended before it could be signalled"
        continue
    fi
    sleep 0.2
    sent="$(date +%s.%N)"
    kill -TERM "$pid" 2> /dev/null || true
    status=0
    wait "$pid" || status=$?
    ended="$(date +%s.%N)"
    awk -v m="$model" -v f="$frames" -v w="$width" -v h="$height" -v p="$phase" -v s="$sent" -v e="$ended" -v st="$status" \
        'BEGIN { printf "%s %sx%sx%s %s: exited %.2f s after SIGTERM, status %s\n", m, f, w, h, p, e - s, st }'
done
