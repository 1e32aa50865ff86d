# Sourced by the bench scripts after their usage comment: takes `--binary PATH` (default the
# release `zoetrope`), checks that at least NEEDED arguments remain, printing the script's
# usage comment (its lines 2..USAGE_END) otherwise, and makes a temporary folder `$out` removed
# on exit. Usage:  needed=4 usage_end=9 source "$(dirname "$0")/prologue.sh"
binary="$(dirname "$0")/../../.build/release/zoetrope"
if [ "${1:-}" = "--binary" ]; then binary="$2"; shift 2; fi
if [ $# -lt "$needed" ]; then
    sed -n "2,${usage_end}p" "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
