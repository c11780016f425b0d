#!/bin/sh
# run.sh — run every test: unit programs, fuzz corpus replays, integration
# scripts. Prints one line per test and closes with "N passed, N failed".
# TESTS="name ..." runs only those.
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
failures=""
mkdir -p tests/artifacts/logs

want() {
    [ -z "${TESTS:-}" ] && return 0
    for wanted in $TESTS; do [ "$wanted" = "$1" ] && return 0; done
    return 1
}

record() { # name status log
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS: $1"
    else
        failed=$((failed + 1))
        failures="$failures $1"
        echo "FAIL: $1 (exit $2; log: $3)"
        tail -n 30 "$3" | sed 's/^/    /'
    fi
}

for t in tests/bin/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    want "$name" || continue
    log=tests/artifacts/logs/$name.log
    "$t" >"$log" 2>&1
    record "$name" $? "$log"
    grep -E '^[0-9]+%: Checks' "$log" | sed 's/^/    /'
done

for t in tests/bin/fuzz_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    want "$name" || continue
    log=tests/artifacts/logs/$name.log
    "$t" "tests/fuzz/corpus/${name#fuzz_}" >"$log" 2>&1
    record "$name" $? "$log"
done

for t in tests/integration/test_*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    want "$name" || continue
    log=tests/artifacts/logs/$name.log
    sh "$t" >"$log" 2>&1
    record "$name" $? "$log"
done

echo
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
