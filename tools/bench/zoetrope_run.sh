#!/usr/bin/env bash
# The Zoetrope half of tools/bench/side_by_side.py with nothing but the zoetrope binary (no
# Python): one `zoetrope generate` process, printed as one JSON line of its phase times and its
# peak resident memory — the engine's own (VmHWM) and, when /usr/bin/time is installed, the same
# seen from outside. side_by_side.py calls it for every Zoetrope run; CI runs it on the test
# pipeline. A benchmark, not a test: it prints numbers for a person (or side_by_side.py) to read.
#
#   tools/bench/zoetrope_run.sh [--binary PATH] MODEL FRAMES WIDTH HEIGHT STEPS [NOISE.safetensors]
#
# MODEL is a bundled id or a diffusers folder; NOISE is the initial latents (`--init-noise`),
# seed 0's noise without it. Guidance 5, the prompt below, no history entry.
# ZOETROPE_PRECISION=bf16 runs it with `--precision bf16`.
set -euo pipefail
needed=5 usage_end=12
source "$(dirname "$0")/prologue.sh"
model="$1" frames="$2" width="$3" height="$4" steps="$5" noise="${6:-}"
start=(--seed 0)
if [ -n "$noise" ]; then start=(--init-noise "$noise"); fi
command=("$binary" generate --no-history --json --model "$model" --prompt "a yellow square moving up on a blue background"
         --frames "$frames" --width "$width" --height "$height" --steps "$steps" --guidance 5 --output "$out/clip"
         --precision "${ZOETROPE_PRECISION:-fp32}" "${start[@]}")
outside=null
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$out/rss" "${command[@]}" > "$out/events"
    outside="$(awk '{ kib = $1 } END { printf "%.1f", kib / 1024 }' "$out/rss")"
else
    "${command[@]}" > "$out/events"
fi
finished="$(grep '"event":"finished"' "$out/events")" || { echo "zoetrope_run: no finished event" >&2; exit 1; }
value() { echo "$finished" | grep -o "\"$1\":[-0-9.e+]*" | head -1 | cut -d: -f2; }
encode="$(value encoding)" denoise="$(value denoising)" decode="$(value decoding)"
peak="$(awk -v b="$(value peak_memory_bytes)" 'BEGIN { printf "%.1f", b / 1048576 }')"
call="$(awk -v a="$encode" -v b="$denoise" -v c="$decode" 'BEGIN { printf "%.4f", a + b + c }')"
echo "{\"encode\": $encode, \"denoise\": $denoise, \"decode\": $decode, \"call\": $call, \"steps\": $steps, \"peak_mib\": $peak, \"outside_mib\": $outside}"
