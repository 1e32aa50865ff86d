#!/usr/bin/env bash
# Runs the whole test suite (`swift test`) built with AddressSanitizer, then with
# ThreadSanitizer (issue #19): the engine and the studio are concurrent, and the parsers read
# untrusted bytes. A sanitizer report fails the run even when every test passed.
#
#   tools/sanitizers/run.sh [address] [thread]     (default: both)
#
# Builds into .build-address / .build-thread (debug). Under ThreadSanitizer the studio's tmux
# tests generate with the tiny test pipeline instead of the bundled model (ZOETROPE_E2E_MODEL):
# instrumented, the bundled model's 20 steps outlast the tests' timeouts.
#
# Reports are written to files (the sanitizers' `log_path`), one per reporting process, so
# that the processes the tests start — the studio in tmux and xterm, `zoetrope generate` —
# are counted with the test process itself: their stderr is a terminal pane or a pipe a test
# reads, where a report would otherwise be seen by nobody.
set -euo pipefail
cd "$(dirname "$0")/../.."
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(address thread)
status=0
for kind in "${kinds[@]}"; do
    case "$kind" in address|thread) ;; *) echo "unknown sanitizer '$kind' (address or thread)" >&2; exit 2 ;; esac
    build=".build-$kind"
    log="$build/sanitizer-tests.log"
    reports_dir="$PWD/$build/sanitizer-reports"
    rm -rf "$reports_dir" && mkdir -p "$reports_dir"
    echo "== $kind: building"
    swift build --build-tests --build-path "$build" -Xswiftc "-sanitize=$kind" 2>&1 | grep -E "error:|Compiling|Build complete" | tail -2
    echo "== $kind: testing"
    # Leak checks off: Swift's lazily made globals read as leaks. Swift's crash handler off:
    # its backtracer reads memory the sanitizers forbid and would hide their report.
    if SWIFT_BACKTRACE=enable=no \
       ASAN_OPTIONS="detect_leaks=0:log_path=$reports_dir/asan" \
       TSAN_OPTIONS="halt_on_error=0:log_path=$reports_dir/tsan" \
       ZOETROPE_E2E_MODEL="$([ "$kind" = thread ] && echo "$PWD/Tests/Fixtures/wan/pipeline" || echo tiny-shapes)" \
       swift test --skip-build --build-path "$build" > "$log" 2>&1; then
        tests_ok=1
    else
        tests_ok=0
    fi
    # Each report file is named <sanitizer>.<pid>; a process's reports all go to its one file.
    in_files=$(cat "$reports_dir"/* 2>/dev/null | grep -cE "WARNING: ThreadSanitizer|ERROR: AddressSanitizer" || true)
    in_log=$(grep -cE "WARNING: ThreadSanitizer|ERROR: AddressSanitizer" "$log" || true)
    reports=$((in_files + in_log))
    processes=$(find "$reports_dir" -type f | wc -l)
    summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with ([0-9]+ tests? skipped and )?[0-9]+ failures?" "$log" \
        | tail -1 | sed 's/^[[:space:]]*//')
    echo "   ${summary:-no XCTest summary}; $reports sanitizer report(s) from $processes process(es) (log: $log, reports: $reports_dir)"
    if [ "$tests_ok" -ne 1 ] || [ "$reports" -ne 0 ]; then
        status=1
        for f in "$reports_dir"/*; do
            [ -f "$f" ] || continue
            echo "--- $f"
            grep -E -A16 "WARNING: ThreadSanitizer|ERROR: AddressSanitizer" "$f" | head -60 || true
        done
        grep -E -A12 "WARNING: ThreadSanitizer|ERROR: AddressSanitizer" "$log" | head -60 || true
        grep -E "error: .*(failed|threw)" "$log" | head -20 || true
    fi
done
exit $status
