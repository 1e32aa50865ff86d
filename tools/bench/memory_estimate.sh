#!/usr/bin/env bash
# The memory estimate (`zoetrope generate --estimate`) beside the peak a real run measures
# (`peak_memory_bytes`, the process's VmHWM), for one model and size: what RELIABILITY.md's
# estimate table is made of. A benchmark run (release build, CPU otherwise idle), not a test.
#
#   tools/bench/memory_estimate.sh [--binary PATH] MODEL FRAMES WIDTH HEIGHT [STEPS]
#
# Guidance 5 (both passes), seed 0, no history entry. Prints one line:
#   MODEL FRAMESxWIDTHxHEIGHT estimate MiB, measured MiB, estimate/measured
set -euo pipefail
needed=4 usage_end=9
source "$(dirname "$0")/prologue.sh"
model="$1" frames="$2" width="$3" height="$4" steps="${5:-1}"
flags=(--no-history --json --model "$model" --prompt "a yellow square moving up on a blue background"
       --frames "$frames" --width "$width" --height "$height" --steps "$steps" --guidance 5 --seed 0)
estimate="$("$binary" generate "${flags[@]}" --estimate | grep -o '"peak_bytes":[0-9]*' | cut -d: -f2)" || true
[ -n "$estimate" ] || { echo "memory_estimate: no estimate for $model" >&2; exit 1; }
"$binary" generate "${flags[@]}" --output "$out/clip" > "$out/events"
measured="$(grep -o '"peak_memory_bytes":[0-9]*' "$out/events" | head -1 | cut -d: -f2)"
[ -n "$measured" ] || { echo "memory_estimate: the run reported no peak" >&2; exit 1; }
awk -v m="$model" -v f="$frames" -v w="$width" -v h="$height" -v e="$estimate" -v r="$measured" \
    'BEGIN { printf "%s %sx%sx%s estimate %.0f MiB, measured %.0f MiB, estimate/measured %.2f\n", m, f, w, h, e / 1048576, r / 1048576, e / r }'
