#!/usr/bin/env bash
# Regenerates every committed fixture under Tests/Fixtures/ — the one documented command.
#
#   tools/reference/generate_all.sh            rewrite Tests/Fixtures/ in place
#   tools/reference/generate_all.sh --check    write into a temporary folder and compare it,
#                                              byte for byte, with the committed fixtures
#
# It runs every tools/reference/*_fixtures.py in name order, each as
#   $PYTHON tools/reference/<name>_fixtures.py --out <fixtures folder>
# after checking the library versions against tools/reference/requirements.txt.
# Python: $PYTHON if set, else .venv/bin/python in the repository, else python3.
# Everything runs on the CPU with one thread, so two runs write identical bytes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

if [ -n "${PYTHON:-}" ]; then
    python="$PYTHON"
elif [ -x "$repo/.venv/bin/python" ]; then
    python="$repo/.venv/bin/python"
else
    python="python3"
fi

mode="write"
case "${1:-}" in
    "") ;;
    --check) mode="check" ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

"$python" "$here/check_versions.py"

if [ "$mode" = "check" ]; then
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
else
    out="$repo/Tests/Fixtures"
fi

export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
export HF_HUB_OFFLINE=1 HF_HUB_DISABLE_PROGRESS_BARS=1 TRANSFORMERS_VERBOSITY=error DIFFUSERS_VERBOSITY=error

shopt -s nullglob
scripts=("$here"/*_fixtures.py)
if [ ${#scripts[@]} -eq 0 ]; then
    echo "generate_all: no tools/reference/*_fixtures.py scripts found" >&2
    exit 1
fi
for script in "${scripts[@]}"; do
    echo "generate_all: $(basename "$script")"
    "$python" "$script" --out "$out"
done

if [ "$mode" = "check" ]; then
    # Compare only what the scripts wrote: README.md and other hand-written files are not generated.
    status=0
    while IFS= read -r -d '' file; do
        relative="${file#"$out"/}"
        if ! cmp -s "$file" "$repo/Tests/Fixtures/$relative"; then
            echo "generate_all: differs from the committed fixture: Tests/Fixtures/$relative" >&2
            status=1
        fi
    done < <(find "$out" -type f -print0 | sort -z)
    if [ $status -eq 0 ]; then
        echo "generate_all: every regenerated fixture is identical to the committed one"
    fi
    exit $status
fi
echo "generate_all: fixtures written to $out"
