#!/usr/bin/env bash
# Ships the current DiT checkpoint as the bundled tiny-shapes model: export the diffusers folder,
# build the Swift release binary, evaluate it on held-out prompts (Swift engine), draw the
# contact sheet, time it end to end, write the model card and regenerate the diffusers reference
# frames the parity test compares against. Run it alone: training, builds and evaluation all
# want both cores.
#
#   tools/train/ship.sh [seeds] [prompts]      (defaults: 4 seeds, 60 held-out prompts)
#
# Leaves the working tree changed (model folder, fixture); review the numbers, then commit.
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds="${1:-4}"
prompts="${2:-60}"
py=.venv/bin/python
model=Sources/BundledModels/Resources/tiny-shapes
runs="${ZOETROPE_TRAIN_RUNS:-${XDG_CACHE_HOME:-$HOME/.cache}/zoetrope-train}/v1"   # train.py --recipe v1
mkdir -p "$runs"

$py tools/train/train.py export --recipe v1 --out "$model"
swift build -c release --product zoetrope
OPENBLAS_NUM_THREADS=1 $py tools/eval/evaluate.py --model "$model" --seeds "$seeds" --prompts "$prompts" \
    --json "$runs/eval.json"
line=$(tools/bench/end_to_end.sh 5 | tail -1)   # "end to end (…, 5 runs): median 1.94 s, min …, max …"
echo "$line"
timing="${line#*: } over 5 runs"
$py tools/eval/contact_sheet.py --out "$model/contact_sheet.png"
cp "$runs/eval.json" "$model/eval.json"
$py tools/train/model_card.py --model "$model" --eval "$runs/eval.json" \
    --timing "$timing"
(cd tools/reference && ../../$py tiny_shapes_fixtures.py --out ../../Tests/Fixtures)
git status --short
