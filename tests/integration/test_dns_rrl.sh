#!/bin/sh
# Response rate limiting (dns_rrl): a flood of queries from one address is
# limited to dns_rrl answers a second while a second address is answered in
# full. The sources are two addresses inside a network namespace the test
# makes, joined to the host by a veth pair; lancertd listens on the host end.
# Traffic stays inside that pair, and both are removed on exit. Where network
# namespaces are not permitted the test says so and uses 127.0.0.2 and
# 127.0.0.3 on the loopback instead.
# Loopback sources (a local forwarder such as dnsmasq asking for every LAN
# client) are exempt by default (dns_rrl_exempt): a flood from 127.0.0.1 is
# answered in full, until dns_rrl_exempt = none; an exempt prefix naming the
# flooding address lets its flood through too.
. tests/integration/lib.sh

DNSSEND=${DNSSEND:-tests/bin/dnssend}
[ -x "$DNSSEND" ] || fail "$DNSSEND is missing: run make check"
command -v dig >/dev/null || fail "dig is missing (Debian: bind9-dnsutils)"

RRL=20
NS=lc-rrl-$$
VETH_HOST=lcrh$$
VETH_NS=lcrn$$
MADE_NS=no

rrl_cleanup() {
    if [ "$MADE_NS" = yes ]; then
        ip netns del "$NS" 2>/dev/null      # takes its end of the veth pair along
        ip link del "$VETH_HOST" 2>/dev/null # gone with its peer already, normally
    fi
    cleanup
}
trap rrl_cleanup EXIT INT TERM

# rrl_slot ADDR — the limiter's slot for an IPv4 address (FNV-1a of its four
# bytes modulo 4096, as dns/server.c keeps them). Two sources in one slot
# reset each other's count, so the test picks two that do not share one.
rrl_slot() {
    h=2166136261
    for b in $(echo "$1" | tr . ' '); do
        h=$((((h ^ b) * 16777619) & 0xffffffff))
    done
    echo $((h % 4096))
}

# --- the network ----------------------------------------------------------------
# A /29 in 10.233.0.0/16 that no interface of this host uses yet.
octet=$(($$ % 250 + 1))
tries=0
while ip -4 addr show 2>/dev/null | grep -q "inet 10\.233\.$octet\."; do
    octet=$((octet % 250 + 1))
    tries=$((tries + 1))
    [ $tries -lt 250 ] || fail "no free /24 in 10.233.0.0/16"
done
NET=10.233.$octet

# RRL_LOOPBACK=1 takes the fall-back on purpose.
if [ -n "${RRL_LOOPBACK:-}" ]; then
    echo "RRL_LOOPBACK is set" >"$T/netns.err"
elif ip netns add "$NS" 2>"$T/netns.err"; then
    MADE_NS=yes
fi
if [ "$MADE_NS" = yes ]; then
    ip link add "$VETH_HOST" type veth peer name "$VETH_NS" netns "$NS" &&
        ip addr add "$NET.1/29" dev "$VETH_HOST" &&
        ip link set "$VETH_HOST" up &&
        ip -n "$NS" link set lo up &&
        ip -n "$NS" addr add "$NET.2/29" dev "$VETH_NS" &&
        ip -n "$NS" addr add "$NET.3/29" dev "$VETH_NS" &&
        ip -n "$NS" addr add "$NET.4/29" dev "$VETH_NS" &&
        ip -n "$NS" link set "$VETH_NS" up ||
        fail "cannot set up the veth pair into $NS"
    SERVER=$NET.1
    FLOOD_SRC=$NET.2
    OTHER_SRC=$NET.3
    [ "$(rrl_slot "$FLOOD_SRC")" != "$(rrl_slot "$OTHER_SRC")" ] || OTHER_SRC=$NET.4
    IN="ip netns exec $NS"
    LISTEN_LO=" 127.0.0.1:"
    EXEMPT="" # the default: 127.0.0.0/8 ::1
    echo "# sources $FLOOD_SRC and $OTHER_SRC in namespace $NS, server $SERVER on $VETH_HOST"
else
    echo "# NOTE: no network namespace ($(cat "$T/netns.err")):"
    echo "# RRL is tested from 127.0.0.2 and 127.0.0.3 on the loopback instead"
    SERVER=127.0.0.1
    FLOOD_SRC=127.0.0.2
    OTHER_SRC=127.0.0.3
    [ "$(rrl_slot "$FLOOD_SRC")" != "$(rrl_slot "$OTHER_SRC")" ] || OTHER_SRC=127.0.0.4
    IN=""
    LISTEN_LO=""
    EXEMPT=127.0.0.1/32 # so that 127.0.0.2 and 127.0.0.3 are limited
fi

# --- the daemon -------------------------------------------------------------------
S=$T/state
HTTP_PORT=$(free_port)
DNS_PORT=$(free_port)
while [ "$DNS_PORT" = "$HTTP_PORT" ]; do DNS_PORT=$(free_port); done
$LANCERT ca init --state "$S" --allow "127.0.0.0/8 10.0.0.0/8 192.168.0.0/16" >/dev/null ||
    fail "ca init"
HTTPS_PORT=$(free_port)
write_conf() { # RRL [EXEMPT]
    cat >"$T/lancert.conf" <<CONF
state_dir = $S
allow = 127.0.0.0/8 10.0.0.0/8 192.168.0.0/16
http_listen = 127.0.0.1:$HTTP_PORT
https_listen = 127.0.0.1:$HTTPS_PORT
dns_listen = $SERVER:$DNS_PORT${LISTEN_LO:+$LISTEN_LO$DNS_PORT}
dns_rrl = $1
CONF
    [ -z "${2:-}" ] || echo "dns_rrl_exempt = $2" >>"$T/lancert.conf"
}
reload() { # RRL [EXEMPT]
    n_reloads=$((${n_reloads:-0} + 1))
    write_conf "$@"
    kill -HUP "$DAEMON_PID"
    i=0
    until [ "$(grep -c reloaded "$T/daemon.log")" -ge "$n_reloads" ] || [ $i -ge 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ "$(grep -c reloaded "$T/daemon.log")" -ge "$n_reloads" ] || fail "no reload after SIGHUP"
    sleep 1.1 # a fresh second for every source
}
write_conf 0
start_daemon --config "$T/lancert.conf"

# query_from SRC [DIG OPTIONS] — one A query from SRC, the answer or nothing
query_from() {
    src=$1
    shift
    $IN dig @"$SERVER" -p "$DNS_PORT" -b "$src" +tries=1 +time=1 +short "$@" c0a80117.home.arpa A 2>/dev/null
}
i=0
until [ "$(query_from "$OTHER_SRC")" = 192.168.1.23 ] || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
expect_eq "answers from $OTHER_SRC" "$(query_from "$OTHER_SRC")" 192.168.1.23
expect_eq "answers from $FLOOD_SRC" "$(query_from "$FLOOD_SRC")" 192.168.1.23

# the query: c0a80117.home.arpa A
Q=41410000000100000000000008633061383031313704686f6d6504617270610000010001
# flood SRC COUNT INTERVAL_US — COUNT queries from SRC, prints "sent N answered M"
flood() {
    $IN "$DNSSEND" -f "$2" -i "$3" -w 1 -b "$1" "$SERVER" "$DNS_PORT" "$Q"
}
# flood_lo COUNT INTERVAL_US — the same from 127.0.0.1 to 127.0.0.1, as dnsmasq would ask
flood_lo() {
    "$DNSSEND" -f "$1" -i "$2" -w 1 -b 127.0.0.1 127.0.0.1 "$DNS_PORT" "$Q"
}
# answered_of "sent N answered M" — M
answered_of() { echo "$1" | sed -n 's/^sent [0-9]* answered \([0-9]*\)$/\1/p'; }

# --- without a limit, a burst is answered in full ---------------------------------------
out=$(flood "$FLOOD_SRC" 200 2000)
n=$(answered_of "$out")
[ -n "$n" ] || fail "flood: $out"
[ "$n" -ge 190 ] || fail "dns_rrl = 0: only $n of 200 answered"
ok "dns_rrl = 0: $n of 200 queries in 0.4 s answered"

# --- with dns_rrl = 20, the flooding source is limited, the other is not ---------------
reload $RRL $EXEMPT
# 800 queries over 4 s (200 a second) from one address, while the other asks
# twenty times, 0.1 s apart.
flood "$FLOOD_SRC" 800 5000 >"$T/flood" 2>&1 &
flood_pid=$!
sleep 0.5
other=0
tcp_ok=no
for k in $(seq 1 20); do
    [ "$(query_from "$OTHER_SRC")" = 192.168.1.23 ] && other=$((other + 1))
    [ "$k" -eq 10 ] && [ "$(query_from "$FLOOD_SRC" +tcp)" = 192.168.1.23 ] && tcp_ok=yes
    sleep 0.1
done
wait $flood_pid
out=$(cat "$T/flood")
n=$(answered_of "$out")
[ -n "$n" ] || fail "flood: $out"
expect_eq "the other source got every answer during the flood" "$other" 20
# The flood spans at most six clock seconds (4 s of sending, 1 s of waiting,
# and the seconds it straddles): at most $RRL answers in each.
[ "$n" -ge 1 ] || fail "the flooding source got no answer at all"
[ "$n" -le $((6 * RRL)) ] || fail "the flooding source got $n answers of 800: not limited"
ok "the flooding source was limited: $n of 800 answered (at most $RRL a second)"
expect_eq "the flooding source still gets answers over TCP" "$tcp_ok" yes
sleep 1.1
expect_eq "the limit lasts only for the second: $FLOOD_SRC is answered again" \
    "$(query_from "$FLOOD_SRC")" 192.168.1.23

# --- loopback is exempt by default: a local forwarder asks for every client ----------------
sleep 1.1
out=$(flood_lo 200 2000)
n=$(answered_of "$out")
[ -n "$n" ] || fail "flood from 127.0.0.1: $out"
[ "$n" -ge 190 ] || fail "dns_rrl = $RRL: only $n of 200 from 127.0.0.1 answered"
ok "dns_rrl = $RRL: $n of 200 queries from 127.0.0.1 in 0.4 s answered (exempt)"

# --- dns_rrl_exempt = none: loopback is limited like any source -----------------------------
reload $RRL none
out=$(flood_lo 200 2000)
n=$(answered_of "$out")
[ -n "$n" ] || fail "flood from 127.0.0.1: $out"
# 0.4 s of sending and 1 s of waiting straddle at most three clock seconds.
[ "$n" -ge 1 ] && [ "$n" -le $((3 * RRL)) ] ||
    fail "dns_rrl_exempt = none: $n of 200 from 127.0.0.1 answered, not limited to $RRL a second"
ok "dns_rrl_exempt = none: 127.0.0.1 limited, $n of 200 answered"

# --- an exempt prefix naming the flooding address lets its flood through -------------------
reload $RRL "$FLOOD_SRC/32"
out=$(flood "$FLOOD_SRC" 200 2000)
n=$(answered_of "$out")
[ -n "$n" ] || fail "flood: $out"
[ "$n" -ge 190 ] || fail "dns_rrl_exempt = $FLOOD_SRC/32: only $n of 200 answered"
ok "dns_rrl_exempt = $FLOOD_SRC/32: $n of 200 from $FLOOD_SRC answered"

kill -0 "$DAEMON_PID" 2>/dev/null || fail "lancertd died"
stop_daemon
expect_eq "SIGTERM stops cleanly" $? 0

done_testing
