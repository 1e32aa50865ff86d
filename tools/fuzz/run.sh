#!/usr/bin/env bash
# Runs Zoetrope's libFuzzer targets (issue #19) against parsers of untrusted input:
#   safetensors  the safetensors header (WeightsIO)
#   config       every model and scheduler config, and the schedulers they build
#   tokenizer    BPE / Unigram tokenizer.json and SentencePiece spiece.model loaders
#   png          PNG text-chunk reader and the libpng decoder
#
#   tools/fuzz/run.sh [--seconds N | --runs N] [target ...]     (default: every target, 60 s each)
#
# Targets are built in release with -sanitize=fuzzer,address into .build-fuzz (first build:
# several minutes). Seeds are the committed test fixtures, copied into .build-fuzz/corpus/<target>
# (which keeps what libFuzzer finds between runs). Exits non-zero when a target crashes; the
# crashing input is left in .build-fuzz/findings/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../.."

limit=(-max_total_time=60)
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) limit=(-max_total_time="$2"); shift 2 ;;
        --runs) limit=(-runs="$2"); shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(safetensors config tokenizer png)

build=.build-fuzz
flags=(-c release --build-path "$build" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
       -Xswiftc -enable-testing)
fixtures=Tests/Fixtures

seed() {  # seed TARGET: fills the corpus folder from committed fixtures
    local corpus="$build/corpus/$1"
    mkdir -p "$corpus"
    case "$1" in
        safetensors)
            for f in "$fixtures"/weights/sample.safetensors "$fixtures"/wan/pipeline_prompt.safetensors \
                     "$fixtures"/clip/text_encoder_cases.safetensors; do
                # The header and a little data: the parser reads no further.
                head -c 16384 "$f" > "$corpus/seed-$(basename "$f")"
            done ;;
        config)
            find "$fixtures" -name 'config.json' -size -16k -o -name 'scheduler_config.json' -size -16k |
                while read -r f; do cp "$f" "$corpus/seed-$(echo "$f" | tr '/' '_')"; done
            # Inputs that once crashed it (Tests/Fuzz/seeds/config), so every run tries them again.
            for f in Tests/Fuzz/seeds/config/*; do cp "$f" "$corpus/seed-$(basename "$f")"; done ;;
        tokenizer)
            # The first byte picks the loader: 0 BPE tokenizer.json, 1 Unigram tokenizer.json, 2
            # spiece.model. The seeds are the fixtures cut down (Tests/Fuzz/seeds/tokenizer: 150-piece
            # vocabularies, no precompiled charsmap): the full ones are 240-340 kB, which slowed
            # the fuzzer to 230 inputs a second.
            seeds=Tests/Fuzz/seeds/tokenizer
            { printf '\000'; cat "$seeds/bpe.json"; } > "$corpus/seed-bpe"
            { printf '\001'; cat "$seeds/unigram.json"; } > "$corpus/seed-unigram"
            { printf '\002'; cat "$seeds/spiece.model"; } > "$corpus/seed-spiece" ;;
        png)
            find "$fixtures/history" -name '*.png' -size -8k | head -4 |
                while read -r f; do cp "$f" "$corpus/seed-$(basename "$(dirname "$f")")-$(basename "$f")"; done ;;
    esac
}

status=0
for target in "${targets[@]}"; do
    product="zoetrope-fuzz-$target"
    echo "== $product: building"
    ZOETROPE_FUZZ=1 swift build "${flags[@]}" --product "$product" 2>&1 | grep -E 'error|warning: unre|Compiling|Build' | tail -3
    seed "$target"
    findings="$build/findings/$target"
    mkdir -p "$findings"
    echo "== $product: fuzzing (${limit[*]})"
    log="$build/findings/$target.log"
    # Leak checks off: Swift's lazily made globals and runtime caches (a regex compiled on first
    # use) read as leaks to LeakSanitizer. Swift's own crash handler off: its backtracer reads
    # memory ASan forbids and would hide the real report.
    if SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 \
       "$build/release/$product" "${limit[@]}" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
           -artifact_prefix="$findings/" "$build/corpus/$target" > "$log" 2>&1; then
        grep -E '^stat::number_of_executed_units|^Done' "$log" | sed "s/^/   /"
    else
        status=1
        echo "!! $product found a crash (log: $log)"
        tail -30 "$log"
    fi
done
exit $status
