#!/usr/bin/env bash
# End-to-end time of `zoetrope generate` at its default settings on the bundled model: process
# start, model load, text encoding, every denoising step, VAE decode and PNG/APNG/GIF writing.
# A benchmark, not a test: it prints numbers for a person to read.
#
#   tools/bench/end_to_end.sh [runs]      (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
swift build -c release --product zoetrope >/dev/null
bin=.build/release/zoetrope
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
times=()
for i in $(seq 1 "$runs"); do
    start=$(date +%s.%N)
    "$bin" generate --no-history --prompt "a yellow square moving up on a blue background" --seed "$i" --output "$out/$i" >/dev/null 2>&1
    end=$(date +%s.%N)
    t=$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')
    times+=("$t")
    printf 'run %d: %.2f s\n' "$i" "$t"
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "end to end (default settings, %d runs): median %.2f s, min %.2f s, max %.2f s\n", NR, a[int((NR+1)/2)], a[1], a[NR]}'
