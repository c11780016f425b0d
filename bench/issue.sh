#!/bin/sh
# issue.sh — issue 3's "speed and size", on one pinned core:
#   1. the crypto ceiling from `openssl speed ecdsap256`: one CSR verify plus
#      one sign per certificate, 1/(1/sign + 1/verify) per second;
#   2. the in-process signing path (bench/bin/issue_bench), batch 32 and 1;
#   3. `lancert issue`, one process per certificate (hyperfine, else a loop);
#   4. lancertd's idle memory (RSS, private) when it can be started;
#   5. the stripped sizes of lancert and lancertd.
# Prints one table; full outputs go to bench/out/. Environment: BENCH_CORE
# (default 1), BENCH_SPEED_SECONDS (5), BENCH_CLI_RUNS (300), BENCH_NO_HYPERFINE
# (set: time the CLI with a shell loop even when hyperfine is installed).
set -eu

cd "$(dirname "$0")/.."
core=${BENCH_CORE:-1}
speed_seconds=${BENCH_SPEED_SECONDS:-5}
cli_runs=${BENCH_CLI_RUNS:-300}
pin="taskset -c $core"
out=bench/out
mkdir -p "$out"

for tool in taskset openssl awk; do
    command -v "$tool" >/dev/null 2>&1 || { echo "issue.sh: needs $tool (sh scripts/deps.sh bench)" >&2; exit 1; }
done
make -s all bench-progs # serial: the machine is shared

tmp=$(mktemp -d /var/tmp/lancert-bench-sh.XXXXXX)
daemon_pid=""
cleanup() {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# calc EXPR: floating-point arithmetic through awk; calc0 rounds to a whole.
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
calc0() { awk "BEGIN { printf \"%.0f\", $1 }"; }
# result_field KEY FILE SELECTOR: a key=value from issue_bench's "result" lines.
result_field() { grep "^result $3" "$2" | head -1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, $(uname -sr), $(openssl version | cut -d' ' -f1-2)"
echo "pinned:  taskset -c $core; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. The ceiling.
echo "openssl speed -seconds $speed_seconds ecdsap256 ..."
$pin openssl speed -seconds "$speed_seconds" ecdsap256 >"$out/openssl_speed.txt" 2>/dev/null
line=$(grep 'nistp256' "$out/openssl_speed.txt" | tail -1)
sign_s=$(echo "$line" | awk '{ print $(NF-1) }')
verify_s=$(echo "$line" | awk '{ print $NF }')
ceiling=$(calc0 "1 / (1 / $sign_s + 1 / $verify_s)")

# 2. The in-process path.
echo "bench/bin/issue_bench ..."
$pin bench/bin/issue_bench >"$out/issue_bench.txt"
b32=$(result_field certs_per_s "$out/issue_bench.txt" "batch=32")
b32_us=$(result_field us_per_cert "$out/issue_bench.txt" "batch=32")
b32_cpu=$(result_field cpu_us_per_cert "$out/issue_bench.txt" "batch=32")
b32_min=$(result_field min_certs_per_s "$out/issue_bench.txt" "batch=32")
b32_max=$(result_field max_certs_per_s "$out/issue_bench.txt" "batch=32")
b1=$(result_field certs_per_s "$out/issue_bench.txt" "batch=1 ")
b1_us=$(result_field us_per_cert "$out/issue_bench.txt" "batch=1 ")
fs=$(sed -n 's/.*(\([a-z0-9]*\))$/\1/p' "$out/issue_bench.txt" | head -1)

# 3. The CLI: a fresh state, one CSR for 10.0.0.1 (in the default ranges, as
# the CLI runs without a config), `lancert issue` over and over.
./lancert ca init --state "$tmp/state" --allow "10.0.0.0/8 127.0.0.0/8" >/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/key.pem" \
    -subj /CN=0a000001.home.arpa -addext subjectAltName=DNS:0a000001.home.arpa \
    -out "$tmp/csr.pem" 2>/dev/null
cli="./lancert issue --state $tmp/state --csr $tmp/csr.pem"
$cli >/dev/null
if [ -z "${BENCH_NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null 2>&1; then
    echo "hyperfine: $cli ..."
    $pin hyperfine -N --warmup 20 --runs "$cli_runs" --export-json "$out/cli.json" "$cli" \
        >"$out/cli.txt" 2>&1
    cli_mean=$(sed -n 's/.*"mean": *\([0-9.e+-]*\).*/\1/p' "$out/cli.json" | head -1)
    cli_sd=$(sed -n 's/.*"stddev": *\([0-9.e+-]*\).*/\1/p' "$out/cli.json" | head -1)
    cli_how="hyperfine, $cli_runs runs, sd $(calc "$cli_sd * 1000") ms"
else
    echo "timed loop: $cli ..."
    taskset -pc "$core" $$ >/dev/null # pin this shell: no taskset exec per run
    start=$(date +%s.%N)
    i=0
    # shellcheck disable=SC2086 # $cli is a command line, split on purpose
    while [ "$i" -lt "$cli_runs" ]; do $cli >/dev/null; i=$((i + 1)); done
    end=$(date +%s.%N)
    cli_mean=$(awk "BEGIN { printf \"%.6f\", ($end - $start) / $cli_runs }")
    cli_how="loop of $cli_runs runs (no hyperfine)"
fi
cli_s=$(calc0 "1 / $cli_mean")

# 4. lancertd idle: only once it takes --config and --foreground.
mem_rss="-" mem_priv="-" mem_note="lancertd cannot be started yet (no --config/--foreground in --help)"
if [ -x ./lancertd ] && ./lancertd --help 2>&1 | grep -q -- '--foreground'; then
    port=$((20000 + $$ % 20000))
    ./lancert ca init --state "$tmp/daemon" --allow "10.0.0.0/8 127.0.0.0/8" >/dev/null
    cat >"$tmp/lancert.conf" <<EOF
state_dir = $tmp/daemon
allow = 10.0.0.0/8 127.0.0.0/8
dns_listen = 127.0.0.1:$port
http_listen = 127.0.0.1:$((port + 1))
https_listen = 127.0.0.1:$((port + 2))
EOF
    # A binary the linker just wrote still has dirty page-cache pages, which
    # smaps counts as Private_Dirty of every process that maps them: flush.
    sync
    $pin ./lancertd --config "$tmp/lancert.conf" --foreground 2>"$out/lancertd.log" &
    daemon_pid=$!
    i=0
    while [ "$i" -lt 50 ] && kill -0 "$daemon_pid" 2>/dev/null; do
        if command -v curl >/dev/null 2>&1 &&
            curl -fs -o /dev/null "http://127.0.0.1:$((port + 1))/ca.pem"; then break; fi
        sleep 0.1
        i=$((i + 1))
    done
    sleep 2 # idle: started, served one request, nothing since
    if kill -0 "$daemon_pid" 2>/dev/null && [ -r "/proc/$daemon_pid/smaps_rollup" ]; then
        kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$daemon_pid/smaps_rollup"; }
        rss=$(kb Rss) pc=$(kb Private_Clean) pd=$(kb Private_Dirty)
        mem_rss=$(calc "$rss / 1024")
        mem_priv=$(calc "($pc + $pd) / 1024")
        mem_note="idle 2 s after its first request; Private_Clean $pc kB + Private_Dirty $pd kB"
        cp "/proc/$daemon_pid/smaps_rollup" "$out/lancertd_smaps_rollup.txt"
    else
        mem_note="lancertd exited early; see $out/lancertd.log"
    fi
    if kill "$daemon_pid" 2>/dev/null; then wait "$daemon_pid" 2>/dev/null || true; fi
    daemon_pid=""
fi

# 5. Stripped sizes.
size_of() {
    if [ -x "$1" ]; then
        cp "$1" "$tmp/stripped"
        strip "$tmp/stripped"
        echo "$(calc "$(stat -c %s "$tmp/stripped") / 1024") KiB"
    else
        echo "-"
    fi
}
size_lancert=$(size_of ./lancert)
size_lancertd=$(size_of ./lancertd)

ratio() { calc "$1 / $ceiling"; }
goal=$(awk "BEGIN { print ($b32 >= 0.7 * $ceiling) ? \"met\" : \"short\" }")
echo
printf '%-44s %14s %8s  %s\n' "what" "figure" "x ceil" "notes"
printf '%-44s %14s %8s  %s\n' "crypto ceiling: 1 verify + 1 sign" "$ceiling /s" "1.00" \
    "openssl speed: sign $(calc0 "$sign_s")/s, verify $(calc0 "$verify_s")/s"
printf '%-44s %14s %8s  %s\n' "signing path in process, batch 32" "$(calc0 "$b32") /s" "$(ratio "$b32")" \
    "$(calc0 "$b32_us") us/cert wall, $(calc0 "$b32_cpu") us CPU; rounds $(calc0 "$b32_min")..$(calc0 "$b32_max")/s; store on $fs"
printf '%-44s %14s %8s  %s\n' "  the same, CPU time only" "$(calc0 "1e6 / $b32_cpu") /s" \
    "$(ratio "1e6 / $b32_cpu")" "what the core could do if fsync waits overlapped"
printf '%-44s %14s %8s  %s\n' "signing path in process, batch 1" "$(calc0 "$b1") /s" "$(ratio "$b1")" \
    "$(calc0 "$b1_us") us/cert: a commit (fsync) per certificate"
printf '%-44s %14s %8s  %s\n' "lancert issue, one process per certificate" "$cli_s /s" \
    "$(ratio "$cli_s")" "$(calc "$cli_mean * 1000") ms a run; $cli_how"
printf '%-44s %14s %8s  %s\n' "lancertd idle RSS" "$mem_rss MiB" "" "$mem_note"
printf '%-44s %14s %8s  %s\n' "lancertd idle private memory" "$mem_priv MiB" "" "goal <= 2 MiB"
printf '%-44s %14s\n' "lancert, stripped" "$size_lancert"
printf '%-44s %14s\n' "lancertd, stripped" "$size_lancertd"
echo "goal, signing path (batch 32) >= 0.7 x ceiling: $goal; full outputs in $out/"
