#!/bin/sh
# enroll.sh — issue 5's speed: enrolments per second over keep-alive HTTPS,
# lancertd's POST /api/v1/enroll beside cfssl's sign endpoint, in one run.
#
# Each server runs alone on one pinned core (BENCH_CORE, default 1); wrk runs
# on the other (BENCH_LOAD_CORE, default 0) with BENCH_CONNS (16) connections
# for BENCH_SECONDS (10). Both get the same ECDSA P-256 CSRs for the hex name
# of 127.0.0.1 (loopback is allowed in the bench config, so the source-address
# rule grants them) and both serve TLS. lancertd commits every certificate
# (synchronous=FULL) before it answers; cfssl stores nothing. Prints requests
# per second, the ratio, p50/p99 latency, server CPU per enrolment (utime +
# stime over the run / responses) and peak memory (VmHWM); and the crypto
# ceiling (1 P-256 verify + 1 sign) from `openssl speed`. Outputs: bench/out/.
# BENCH_SERVERS ("lancertd cfssl") picks which run.
# Needs: sh scripts/deps.sh bench enroll (wrk, golang-cfssl).
set -eu

cd "$(dirname "$0")/.."
core=${BENCH_CORE:-1}
load_core=${BENCH_LOAD_CORE:-0}
conns=${BENCH_CONNS:-16}
seconds=${BENCH_SECONDS:-10}
n_csrs=${BENCH_CSRS:-64}
out=bench/out
mkdir -p "$out"

for tool in taskset openssl wrk cfssl curl awk; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "enroll.sh: needs $tool (sh scripts/deps.sh bench enroll)" >&2; exit 1; }
done
[ -n "${BENCH_NO_BUILD:-}" ] || make -s all

tmp=$(mktemp -d /var/tmp/lancert-bench-enroll.XXXXXX)
server_pid=""
stop_server() {
    if [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; then
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
cleanup() { stop_server; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
calc0() { awk "BEGIN { printf \"%.0f\", $1 }"; }
port_base=$((21000 + $$ % 20000))

# The CSRs, and a Lua script that turns them into request bodies for wrk.
# wrk's Lua has no JSON library: the PEM's newlines are escaped here.
echo "making $n_csrs CSRs ..."
mkdir -p "$tmp/csr"
i=0
while [ "$i" -lt "$n_csrs" ]; do
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$tmp/csr/$i.key" -subj /CN=7f000001.home.arpa \
        -addext subjectAltName=DNS:7f000001.home.arpa -out "$tmp/csr/$i.pem" 2>/dev/null
    i=$((i + 1))
done
# make_lua FIELD PATH — a wrk script POSTing {"FIELD": "<csr>"} to PATH, a
# different CSR each request, round robin.
make_lua() {
    {
        echo "local bodies = {"
        for f in "$tmp"/csr/*.pem; do
            printf '  "{\\"%s\\": \\"%s\\"}",\n' "$1" "$(awk '{ printf "%s\\\\n", $0 }' "$f")"
        done
        echo "}"
        cat <<EOF
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, "$2", nil, bodies[i])
end
local codes = {}
response = function(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format("latency_p50_us=%d latency_p99_us=%d\n",
    latency:percentile(50), latency:percentile(99)))
  io.write(string.format("requests=%d errors_status=%d errors_connect=%d errors_timeout=%d\n",
    summary.requests, summary.errors.status, summary.errors.connect, summary.errors.timeout))
end
EOF
    } >"$3"
}

# cpu_ticks PID — utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hwm_kb() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)

# run_wrk NAME URL LUA — drives the server in $server_pid; sets r_rate,
# r_p50, r_p99 (ms), r_cpu (ms per response), r_hwm (MiB), r_non2xx.
run_wrk() {
    t0=$(cpu_ticks "$server_pid")
    taskset -c "$load_core" wrk -t1 -c"$conns" -d"${seconds}s" --timeout 5s -s "$3" "$2" \
        >"$out/enroll_wrk_$1.txt" 2>&1
    t1=$(cpu_ticks "$server_pid")
    r_hwm=$(calc "$(hwm_kb "$server_pid") / 1024")
    reqs=$(sed -n 's/^requests=\([0-9]*\).*/\1/p' "$out/enroll_wrk_$1.txt")
    r_non2xx=$(sed -n 's/.*errors_status=\([0-9]*\).*/\1/p' "$out/enroll_wrk_$1.txt")
    good=$((reqs - r_non2xx))
    [ "$good" -gt 0 ] || { echo "enroll.sh: $1 answered nothing; see $out/enroll_wrk_$1.txt" >&2; exit 1; }
    r_rate=$(calc "$good / $seconds")
    r_p50=$(calc "$(sed -n 's/.*latency_p50_us=\([0-9]*\).*/\1/p' "$out/enroll_wrk_$1.txt") / 1000")
    r_p99=$(calc "$(sed -n 's/.*latency_p99_us=\([0-9]*\).*/\1/p' "$out/enroll_wrk_$1.txt") / 1000")
    r_cpu=$(calc "($t1 - $t0) * 1000 / $hz / $good")
}

machine() {
    cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    echo "machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, $(uname -sr), $(openssl version | cut -d' ' -f1-2)"
    echo "servers pinned to core $core, wrk to core $load_core; $conns connections, ${seconds} s each"
}
machine

# 1. The crypto ceiling: one P-256 verify (the CSR) + one sign (the leaf).
taskset -c "$core" openssl speed -seconds 3 ecdsap256 >"$out/enroll_openssl_speed.txt" 2>/dev/null
line=$(grep 'nistp256' "$out/enroll_openssl_speed.txt" | tail -1)
ceiling=$(calc0 "1 / (1 / $(echo "$line" | awk '{ print $(NF-1) }') + 1 / $(echo "$line" | awk '{ print $NF }'))")

bench_lancertd() {
# 2. lancertd: a fresh state, open policy, loopback allowed. The gateway's
# address is 127.0.0.2, since the hex name of a gateway address is the
# gateway's and no device's; wrk sends Host: 127.0.0.2, one of its own.
./lancert ca init --state "$tmp/state" --allow "10.0.0.0/8 127.0.0.0/8" >/dev/null
cat >"$tmp/lancert.conf" <<EOF
state_dir = $tmp/state
allow = 10.0.0.0/8 127.0.0.0/8
gateway_address = 127.0.0.2
enroll_policy = open
dns_listen = 127.0.0.1:$port_base
http_listen = 127.0.0.1:$((port_base + 1))
https_listen = 127.0.0.1:$((port_base + 2))
log_level = warning
EOF
taskset -c "$core" ./lancertd --config "$tmp/lancert.conf" --foreground 2>"$out/enroll_lancertd.log" &
server_pid=$!
i=0
until curl -fsk -o /dev/null -H "Host: 127.0.0.2:$((port_base + 2))" "https://127.0.0.1:$((port_base + 2))/healthz"; do
    i=$((i + 1))
    [ "$i" -lt 100 ] && kill -0 "$server_pid" 2>/dev/null ||
        { echo "enroll.sh: lancertd did not start; see $out/enroll_lancertd.log" >&2; exit 1; }
    sleep 0.1
done
make_lua csr /api/v1/enroll "$tmp/lancertd.lua"
echo "wrk.headers[\"Host\"] = \"127.0.0.2:$((port_base + 2))\"" >>"$tmp/lancertd.lua"
echo "wrk -> lancertd POST /api/v1/enroll ..."
run_wrk lancertd "https://127.0.0.1:$((port_base + 2))" "$tmp/lancertd.lua"
l_rate=$r_rate l_p50=$r_p50 l_p99=$r_p99 l_cpu=$r_cpu l_hwm=$r_hwm l_bad=$r_non2xx
stop_server
l_stored=$(sqlite3 "$tmp/state/lancert.db" 'SELECT count(*) FROM certs' 2>/dev/null || echo "?")
}

bench_cfssl() {
# 3. cfssl serve: its own P-256 CA, TLS with a certificate from that CA,
# GOMAXPROCS=1, INFO logging off.
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/cf-ca-key.pem"
openssl req -x509 -new -key "$tmp/cf-ca-key.pem" -subj /CN=bench-cfssl-root -days 30 \
    -out "$tmp/cf-ca.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/cf-tls-key.pem" \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 30 -out "$tmp/cf-tls.pem" 2>/dev/null
echo '{"signing":{"default":{"expiry":"2160h","usages":["digital signature","server auth","client auth"]}}}' \
    >"$tmp/cf-config.json"
GOMAXPROCS=1 taskset -c "$core" cfssl serve -address 127.0.0.1 -port "$((port_base + 3))" \
    -ca "$tmp/cf-ca.pem" -ca-key "$tmp/cf-ca-key.pem" -config "$tmp/cf-config.json" \
    -tls-cert "$tmp/cf-tls.pem" -tls-key "$tmp/cf-tls-key.pem" -loglevel 3 \
    2>"$out/enroll_cfssl.log" &
server_pid=$!
i=0
until curl -sk -o /dev/null "https://127.0.0.1:$((port_base + 3))/"; do
    i=$((i + 1))
    [ "$i" -lt 100 ] && kill -0 "$server_pid" 2>/dev/null ||
        { echo "enroll.sh: cfssl did not start; see $out/enroll_cfssl.log" >&2; exit 1; }
    sleep 0.1
done
make_lua certificate_request /api/v1/cfssl/sign "$tmp/cfssl.lua"
echo "wrk -> cfssl serve POST /api/v1/cfssl/sign ..."
run_wrk cfssl "https://127.0.0.1:$((port_base + 3))" "$tmp/cfssl.lua"
c_rate=$r_rate c_p50=$r_p50 c_p99=$r_p99 c_cpu=$r_cpu c_hwm=$r_hwm c_bad=$r_non2xx
stop_server
}

l_rate=0 l_p50=- l_p99=- l_cpu=- l_hwm=- l_bad=- l_stored=-
c_rate=0 c_p50=- c_p99=- c_cpu=- c_hwm=- c_bad=-
for server in ${BENCH_SERVERS:-lancertd cfssl}; do "bench_$server"; done

echo
printf '%-10s %11s %8s %9s %9s %13s %10s %8s  %s\n' server "enrol/s" "x cfssl" "p50 ms" "p99 ms" \
    "CPU ms/enrol" "peak MiB" "non-2xx" "notes"
x_cfssl=$(awk "BEGIN { if ($c_rate > 0) printf \"%.2f\", $l_rate / $c_rate; else print \"-\" }")
printf '%-10s %11s %8s %9s %9s %13s %10s %8s  %s\n' lancertd "$l_rate" "$x_cfssl" \
    "$l_p50" "$l_p99" "$l_cpu" "$l_hwm" "$l_bad" "$l_stored certificates committed (synchronous=FULL)"
printf '%-10s %11s %8s %9s %9s %13s %10s %8s  %s\n' cfssl "$c_rate" "1.00" \
    "$c_p50" "$c_p99" "$c_cpu" "$c_hwm" "$c_bad" "GOMAXPROCS=1; stores nothing"
echo "crypto ceiling (1 verify + 1 sign): $ceiling /s; lancertd = $(calc "$l_rate / $ceiling") x ceiling"
echo "goals: >= 2 x cfssl, >= 0.7 x ceiling, <= 0.15 ms CPU per enrolment, p99 < 10 ms"
