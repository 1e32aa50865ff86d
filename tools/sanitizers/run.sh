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
set -euo pipefail
cd "$(dirname "$0")/../.."
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(address thread)
status=0
for kind in "${kinds[@]}"; do
    case "$kind" in address|thread) ;; *) echo "unknown sanitizer '$kind' (address or thread)" >&2; exit 2 ;; esac
    build=".build-$kind"
    log="$build/sanitizer-tests.log"
    echo "== $kind: building"
    swift build --build-tests --build-path "$build" -Xswiftc "-sanitize=$kind" 2>&1 | grep -E "error:|Compiling|Build complete" | tail -2
    echo "== $kind: testing"
    # Leak checks off: Swift's lazily made globals read as leaks. Swift's crash handler off:
    # its backtracer reads memory the sanitizers forbid and would hide their report.
    if SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 TSAN_OPTIONS=halt_on_error=0 \
       ZOETROPE_E2E_MODEL="$([ "$kind" = thread ] && echo "$PWD/Tests/Fixtures/wan/pipeline" || echo tiny-shapes)" \
       swift test --skip-build --build-path "$build" > "$log" 2>&1; then
        tests_ok=1
    else
        tests_ok=0
    fi
    reports=$(grep -cE "WARNING: ThreadSanitizer|ERROR: AddressSanitizer" "$log" || true)
    summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with ([0-9]+ tests? skipped and )?[0-9]+ failures?" "$log" \
        | tail -1 | sed 's/^[[:space:]]*//')
    echo "   ${summary:-no XCTest summary}; $reports sanitizer report(s) (log: $log)"
    if [ "$tests_ok" -ne 1 ] || [ "$reports" -ne 0 ]; then
        status=1
        grep -E -A12 "WARNING: ThreadSanitizer|ERROR: AddressSanitizer" "$log" | head -60 || true
        grep -E "error: .*(failed|threw)" "$log" | head -20 || true
    fi
done
exit $status
