#!/bin/sh
# dns.sh — issue 4's "speed": dnsperf for a fixed time against lancertd, then
# NSD, then Knot, all three authoritative for home.arpa with the same 1000
# hex names of 10.0.0.1 ... (type A). lancertd computes them (`allow =
# 10.0.0.0/8`, `dns_rrl = 0`); NSD and Knot load them from a generated zone
# file (SOA, NS, the gateway's A, 1000 A records). One server at a time, each
# on a loopback port of its own and pinned to the server core, dnsperf pinned
# to the other. NSD and Knot run from a temporary directory with their own
# configuration (no system service is touched), as the user running this
# script, one worker each, and are stopped afterwards.
#
# Prints, for each server: queries/s, lost queries, server CPU time (utime +
# stime from /proc/PID/stat, summed over NSD's processes) per answered query,
# split into user and system time, and lancertd's ratios to NSD and Knot;
# then lancertd's Private_Dirty (/proc/PID/smaps_rollup) idle and after its
# run, and lancertd's answer path alone (bench/bin/dns_answer). Full outputs go to
# bench/out/dns_*. Environment: BENCH_CORE (server core, default 1),
# BENCH_CLIENT_CORE (dnsperf's, default 0), BENCH_DNS_SECONDS (10),
# BENCH_DNS_NAMES (1000), BENCH_DNSPERF_FLAGS (extra dnsperf flags, e.g. -e
# for EDNS or "-q 200"), BENCH_DNS_SERVERS ("lancertd nsd knot"),
# BENCH_LANCERTD (the lancertd binary, default ./lancertd: for A/B runs).
set -eu

cd "$(dirname "$0")/.."
core=${BENCH_CORE:-1}
client_core=${BENCH_CLIENT_CORE:-0}
seconds=${BENCH_DNS_SECONDS:-10}
n_names=${BENCH_DNS_NAMES:-1000}
perf_flags=${BENCH_DNSPERF_FLAGS:-}
servers=${BENCH_DNS_SERVERS:-lancertd nsd knot}
lancertd=${BENCH_LANCERTD:-./lancertd}
out=bench/out
mkdir -p "$out"

for tool in taskset dnsperf nsd knotd dig awk; do
    command -v "$tool" >/dev/null 2>&1 || { echo "dns.sh: needs $tool (sh scripts/deps.sh bench dns)" >&2; exit 1; }
done
make -s all bench-progs # serial: the machine is shared

tmp=$(mktemp -d /tmp/lancert-bench-dns.XXXXXX)
server_pid=""
stop_server() {
    if [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; then
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
cleanup() {
    stop_server
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
calc0() { awk "BEGIN { printf \"%.0f\", $1 }"; }
tck=$(getconf CLK_TCK)
# per_q TICKS N: microseconds of CPU per query.
per_q() { awk "BEGIN { printf \"%.3f\", ($2 > 0) ? ($1) / $tck * 1e6 / $2 : 0 }"; }
port=$((20000 + $$ % 20000))

# The names: the hex names of 10.0.0.1 ... 10.0.0.0 + n_names.
awk -v n="$n_names" 'BEGIN {
    for (i = 1; i <= n; i++) {
        a = 167772160 + i
        printf "%08x %d.%d.%d.%d\n", a, int(a / 16777216), int(a / 65536) % 256, int(a / 256) % 256, a % 256
    }
}' >"$tmp/names"
awk '{ print $1 ".home.arpa A" }' "$tmp/names" >"$tmp/queries"
# shellcheck disable=SC2016 # $ORIGIN and $TTL are zone-file directives
{
    echo '$ORIGIN home.arpa.'
    echo '$TTL 3600'
    echo '@ 60 IN SOA gateway.home.arpa. hostmaster.home.arpa. 1 3600 600 86400 60'
    echo '@ 3600 IN NS gateway.home.arpa.'
    echo 'gateway 60 IN A 127.0.0.1'
    awk '{ print $1 " 3600 IN A " $2 }' "$tmp/names"
} >"$tmp/home.arpa.zone"
first_name=$(awk 'NR == 1 { print $1 ".home.arpa" }' "$tmp/names")

# tree PID: PID and its descendants (NSD forks a server and xfrd).
tree() {
    echo "$1"
    for child in $(pgrep -P "$1" || true); do tree "$child"; done
}
# ticks PID...: "utime stime" of the processes, in clock ticks (fields 14
# and 15 of /proc/PID/stat, which count every thread of a process).
ticks() {
    for p in "$@"; do sed 's/.*) //' "/proc/$p/stat" 2>/dev/null || true; done |
        awk '{ u += $12; s += $13 } END { print u + 0, s + 0 }'
}
private_dirty() { awk '$1 == "Private_Dirty:" { print $2 }' "/proc/$1/smaps_rollup"; }

# wait_ready NAME PORT: until the server answers the first name, for 10 s.
wait_ready() {
    tries=0
    while [ "$tries" -lt 100 ]; do
        kill -0 "$server_pid" 2>/dev/null || { echo "dns.sh: $1 exited; see $out/dns_$1.log" >&2; exit 1; }
        if dig +norec +tries=1 +time=1 -p "$2" @127.0.0.1 "$first_name" A 2>/dev/null |
            grep -q 'status: NOERROR'; then return 0; fi
        sleep 0.1
        tries=$((tries + 1))
    done
    echo "dns.sh: $1 does not answer on 127.0.0.1:$2" >&2
    exit 1
}

start_lancertd() {
    ./lancert ca init --state "$tmp/lancertd" --allow "10.0.0.0/8" >/dev/null
    cat >"$tmp/lancert.conf" <<EOF
state_dir = $tmp/lancertd
allow = 10.0.0.0/8
dns_listen = 127.0.0.1:$1
http_listen = 127.0.0.1:$(($1 + 10))
https_listen = 127.0.0.1:$(($1 + 11))
dns_rrl = 0
EOF
    taskset -c "$core" "$lancertd" --config "$tmp/lancert.conf" --foreground 2>"$out/dns_lancertd.log" &
    server_pid=$!
}

start_nsd() {
    mkdir -p "$tmp/nsd"
    cat >"$tmp/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$1
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$tmp/nsd"
    database: ""
    zonelistfile: "$tmp/nsd/zone.list"
    xfrdfile: "$tmp/nsd/xfrd.state"
    xfrdir: "$tmp/nsd"
    pidfile: "$tmp/nsd/nsd.pid"
    logfile: "$tmp/nsd/nsd.log"
    verbosity: 0
    minimal-responses: yes
remote-control:
    control-enable: no
zone:
    name: home.arpa
    zonefile: "$tmp/home.arpa.zone"
EOF
    taskset -c "$core" nsd -d -c "$tmp/nsd.conf" 2>"$out/dns_nsd.log" &
    server_pid=$!
}

start_knot() {
    mkdir -p "$tmp/knot"
    cat >"$tmp/knot.conf" <<EOF
server:
    rundir: "$tmp/knot"
    pidfile: "$tmp/knot/knot.pid"
    user: $(id -un):$(id -gn)
    listen: 127.0.0.1@$1
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$tmp/knot/knot.sock"
database:
    storage: "$tmp/knot"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$tmp/knot"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: home.arpa
    file: "$tmp/home.arpa.zone"
EOF
    taskset -c "$core" knotd -c "$tmp/knot.conf" 2>"$out/dns_knot.log" &
    server_pid=$!
}

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, $(uname -sr)"
echo "servers: taskset -c $core; dnsperf: taskset -c $client_core; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "dnsperf -l $seconds $perf_flags, $n_names names, type A; $(dnsperf -h 2>&1 | sed -n 's/^Version //p' | sed 's/^/dnsperf /')"

results=""
lc_idle="" lc_after=""
n_run=0
for name in $servers; do
    n_run=$((n_run + 1))
    p=$((port + 20 * n_run))
    "start_$name" "$p"
    wait_ready "$name" "$p"
    sleep 1
    [ "$name" = lancertd ] && lc_idle=$(private_dirty "$server_pid")
    pids=$(tree "$server_pid")
    # shellcheck disable=SC2086 # a list of process ids
    before=$(ticks $pids)
    echo "dnsperf against $name on 127.0.0.1:$p for $seconds s ..."
    # shellcheck disable=SC2086 # extra flags, split on purpose
    taskset -c "$client_core" dnsperf -s 127.0.0.1 -p "$p" -d "$tmp/queries" -l "$seconds" $perf_flags \
        >"$out/dns_dnsperf_$name.txt" 2>&1
    # shellcheck disable=SC2086
    after=$(ticks $pids)
    [ "$name" = lancertd ] && lc_after=$(private_dirty "$server_pid")
    stop_server
    u0=${before% *} s0=${before#* } u1=${after% *} s1=${after#* }
    f="$out/dns_dnsperf_$name.txt"
    completed=$(awk '/Queries completed:/ { print $3 }' "$f")
    lost=$(awk '/Queries lost:/ { print $3 }' "$f")
    qps=$(awk '/Queries per second:/ { print $4 }' "$f")
    codes=$(sed -n 's/^ *Response codes: *//p' "$f")
    cpu_s=$(calc "($u1 + $s1 - $u0 - $s0) / $tck")
    us=$(per_q "$u1 + $s1 - $u0 - $s0" "$completed")
    user_us=$(per_q "$u1 - $u0" "$completed")
    sys_us=$(per_q "$s1 - $s0" "$completed")
    results="$results$name $qps $lost $completed $cpu_s $us $user_us $sys_us $codes
"
done

field() { printf '%s' "$results" | awk -v s="$1" -v k="$2" '$1 == s { print $k }'; }
echo
printf '%-9s %10s %7s %10s %7s %9s %8s %8s  %s\n' server "queries/s" lost answered "CPU s" \
    "CPU us/q" "user" "system" "response codes"
printf '%s' "$results" | while read -r s q l c cs u uu su codes; do
    printf '%-9s %10s %7s %10s %7s %9s %8s %8s  %s\n' "$s" "$(calc0 "$q")" "$l" "$c" "$cs" "$u" "$uu" "$su" "$codes"
done
lc_us=$(field lancertd 6)
lc_q=$(field lancertd 2)
for other in nsd knot; do
    o_us=$(field "$other" 6)
    o_q=$(field "$other" 2)
    if [ -z "$lc_us" ] || [ -z "$o_us" ]; then continue; fi
    echo "lancertd/$other: CPU per query $(calc "$lc_us / $o_us")x, queries/s $(calc "$lc_q / $o_q")x"
done
if [ -n "$lc_idle" ]; then
    echo "lancertd Private_Dirty: idle $lc_idle kB, after its run $lc_after kB," \
        "the DNS part's growth $((lc_after - lc_idle)) kB"
fi
if [ -n "$lc_us" ]; then
    echo "goal, lancertd: <= 1.4 us CPU per query: $(awk "BEGIN { print ($lc_us <= 1.4) ? \"met\" : \"short\" }");" \
        "none lost: $([ "$(field lancertd 3)" = 0 ] && echo met || echo short)"
    # The issue states the goal for CI's machine as 1.4 us, ">= 1.5x better
    # than the better of the two": on another machine the peers' own CPU per
    # query is the yardstick.
    best_us=$(printf '%s' "$results" | awk '$1 != "lancertd" && $6 > 0 { if (!b || $6 < b) b = $6 } END { print b }')
    best_q=$(printf '%s' "$results" | awk '$1 == "knot" { print $2 }')
    if [ -n "$best_us" ]; then
        echo "goal, relative: CPU per query <= the better peer's / 1.5 ($(calc "$best_us / 1.5") us here):" \
            "$(awk "BEGIN { print ($lc_us <= $best_us / 1.5) ? \"met\" : \"short\" }")$([ -n "$best_q" ] &&
                echo "; queries/s >= Knot's: $(awk "BEGIN { print ($lc_q >= $best_q) ? \"met\" : \"short\" }")")"
    fi
fi
# lancert's own share: the answer path without sockets (bench/bin/dns_answer).
taskset -c "$core" bench/bin/dns_answer >"$out/dns_answer.txt"
echo "lancertd's answer path in process (bench/bin/dns_answer, no sockets):" \
    "$(sed -n 's/.*ns_per_query=\([0-9.]*\).*/\1/p' "$out/dns_answer.txt") ns CPU per query"
sed -n 's/^metrics: /lancertd metrics, in process: /p' "$out/dns_answer.txt"
echo "full outputs in $out/dns_*"
