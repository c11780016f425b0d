#!/bin/sh
# lancertd's DNS responder driven with dig and kdig over UDP and TCP (IPv4,
# and IPv6 when the loopback has ::1): every record type, the header flags,
# negative answers, letter case, EDNS, TCP pipelining and idle timeout, and
# hostile packets sent with tests/bin/dnssend, after which the daemon must
# still be alive and answering.
. tests/integration/lib.sh

DNSSEND=${DNSSEND:-tests/bin/dnssend}
[ -x "$DNSSEND" ] || fail "$DNSSEND is missing: run make check"
command -v dig >/dev/null || fail "dig is missing (Debian: bind9-dnsutils)"
command -v kdig >/dev/null || fail "kdig is missing (Debian: knot-dnsutils)"

S=$T/state
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
DNS_PORT=$(free_port)
while [ "$DNS_PORT" = "$HTTP_PORT" ] || [ "$DNS_PORT" = "$HTTPS_PORT" ]; do DNS_PORT=$(free_port); done
ALLOW="127.0.0.0/8 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7"
DNS_LISTEN="127.0.0.1:$DNS_PORT"
HAVE_V6=no
if ip -6 addr show lo 2>/dev/null | grep -q 'inet6 ::1/'; then
    HAVE_V6=yes
    DNS_LISTEN="$DNS_LISTEN [::1]:$DNS_PORT"
fi

$LANCERT ca init --state "$S" --allow "$ALLOW" >/dev/null || fail "ca init"
$LANCERT status --state "$S" >/dev/null || fail "lancert status (makes the store)"
# Friendly names go straight into the store, as enrolment would put them:
# printer (one address of each family), big (eight IPv6 addresses, the most
# a name holds) and empty (a name with no addresses).
big_addrs=""
for i in 1 2 3 4 5 6 7 8; do
    big_addrs="$big_addrs, ('big.home.arpa', X'fd0000000000000000000000000000b$i')"
done
sqlite3 "$S/lancert.db" <<SQL || fail "cannot add names to the store"
INSERT INTO devices(id, key_id, status, created) VALUES (1, X'01', 'active', 0);
INSERT INTO names(name, device_id, is_hex, created) VALUES
    ('printer.home.arpa', 1, 0, 0), ('big.home.arpa', 1, 0, 0), ('empty.home.arpa', 1, 0, 0);
INSERT INTO name_addresses(name, address) VALUES
    ('printer.home.arpa', X'c0a80132'), ('printer.home.arpa', X'fd000000000000000000000000000050')
    $big_addrs;
SQL

cat >"$T/lancert.conf" <<CONF
state_dir = $S
allow = $ALLOW
http_listen = 127.0.0.1:$HTTP_PORT
https_listen = 127.0.0.1:$HTTPS_PORT
gateway_address = 127.0.0.1 fd00::1
dns_listen = $DNS_LISTEN
dns_rrl = 0
reverse = yes
CONF
start_daemon --config "$T/lancert.conf"
i=0
until dig @127.0.0.1 -p "$DNS_PORT" +tries=1 +time=1 home.arpa SOA >/dev/null 2>&1 || [ $i -ge 50 ]; do
    sleep 0.1
    i=$((i + 1))
done

DIG="dig @127.0.0.1 -p $DNS_PORT +tries=1 +time=2"
KDIG="kdig @127.0.0.1 -p $DNS_PORT +retry=0 +time=2"

# status and flags from dig's and kdig's headers
dig_status() { $DIG "$@" | sed -n 's/^;; ->>HEADER<<- .*status: \([A-Z]*\),.*/\1/p'; }
dig_flags() { $DIG "$@" | sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p'; }
kdig_status() { $KDIG "$@" | sed -n 's/^;; ->>HEADER<<- .*status: \([A-Z]*\);.*/\1/p'; }
kdig_flags() { $KDIG "$@" | sed -n 's/^;; Flags: \([a-z ]*\);.*/\1/p'; }

# expect_authoritative WHAT FLAGS — AA set, RA clear, TC clear
expect_authoritative() {
    case " $2 " in *" aa "*) ;; *) fail "$1: AA clear (flags: $2)" ;; esac
    case " $2 " in *" ra "* | *" tc "*) fail "$1: RA or TC set (flags: $2)" ;; esac
    ok "$1: AA set, RA and TC clear"
}

# --- every record type, UDP and TCP, dig and kdig -------------------------------
SOA_RE='^gateway\.home\.arpa\. hostmaster\.home\.arpa\. [0-9]+ 3600 600 86400 60$'
check_records() { # TOOL TRANSPORT-OPTION
    tool=$1
    tr=$2
    if [ "$tool" = dig ]; then Q="$DIG $tr +short"; else Q="$KDIG $tr +short"; fi
    w="$tool $tr"
    expect_match "$w: apex SOA" "$($Q home.arpa SOA)" "$SOA_RE"
    expect_eq "$w: apex NS" "$($Q home.arpa NS)" "gateway.home.arpa."
    expect_eq "$w: gateway A" "$($Q gateway.home.arpa A)" "127.0.0.1"
    expect_eq "$w: gateway AAAA" "$($Q gateway.home.arpa AAAA)" "fd00::1"
    expect_eq "$w: SRV _lancert._tcp" "$($Q _lancert._tcp.home.arpa SRV)" "0 0 $HTTPS_PORT gateway.home.arpa."
    expect_eq "$w: hex A" "$($Q c0a80117.home.arpa A)" "192.168.1.23"
    expect_eq "$w: hex AAAA" "$($Q fd000000000000000000000000000017.home.arpa AAAA)" "fd00::17"
    expect_eq "$w: friendly A" "$($Q printer.home.arpa A)" "192.168.1.50"
    expect_eq "$w: friendly AAAA" "$($Q printer.home.arpa AAAA)" "fd00::50"
    expect_eq "$w: eight AAAA" "$($Q big.home.arpa AAAA | wc -l | tr -d ' ')" 8
    expect_eq "$w: PTR to the friendly name" "$($Q 50.1.168.192.in-addr.arpa PTR)" "printer.home.arpa."
    expect_eq "$w: PTR to the hex name" "$($Q 23.1.168.192.in-addr.arpa PTR)" "c0a80117.home.arpa."
    expect_match "$w: reverse apex SOA" "$($Q 168.192.in-addr.arpa SOA; $Q 192.in-addr.arpa SOA)" \
        "$SOA_RE"
}
for tr in +notcp +tcp; do
    check_records dig "$tr"
    check_records kdig "$tr"
    expect_authoritative "dig $tr: A" "$(dig_flags "$tr" c0a80117.home.arpa A)"
    expect_authoritative "kdig $tr: A" "$(kdig_flags "$tr" c0a80117.home.arpa A)"
    expect_authoritative "dig $tr: NXDOMAIN" "$(dig_flags "$tr" nosuch.home.arpa A)"
done
expect_eq "dig -x: PTR" "$($DIG +short -x 192.168.1.50)" "printer.home.arpa."
expect_eq "kdig -x: PTR" "$($KDIG +short -x 10.0.0.1)" "0a000001.home.arpa."

# --- negative answers carry the SOA -----------------------------------------------
for tr in +notcp +tcp; do
    expect_eq "dig $tr: NXDOMAIN" "$(dig_status "$tr" nosuch.home.arpa A)" NXDOMAIN
    expect_match "dig $tr: NXDOMAIN has the SOA" "$($DIG $tr +noall +authority nosuch.home.arpa A)" \
        '^home\.arpa\.[[:space:]]+60[[:space:]]+IN[[:space:]]+SOA[[:space:]]+gateway\.home\.arpa\.'
    expect_eq "dig $tr: hex outside allow is NXDOMAIN" "$(dig_status "$tr" 08080808.home.arpa A)" NXDOMAIN
    expect_eq "dig $tr: NODATA" "$(dig_status "$tr" printer.home.arpa TXT)" NOERROR
    expect_eq "dig $tr: NODATA has no answer" "$($DIG $tr +short printer.home.arpa TXT)" ""
    expect_match "dig $tr: NODATA has the SOA" "$($DIG $tr +noall +authority printer.home.arpa TXT)" \
        '^home\.arpa\..*SOA'
    expect_eq "dig $tr: a name without addresses is NODATA" "$(dig_status "$tr" empty.home.arpa A)" NOERROR
    expect_match "dig $tr: reverse NXDOMAIN has the reverse zone's SOA" \
        "$($DIG $tr +noall +authority 1.0.15.172.in-addr.arpa PTR)" '^172\.in-addr\.arpa\..*SOA'
    expect_eq "dig $tr: outside the zone is REFUSED" "$(dig_status "$tr" example.com A)" REFUSED
    expect_eq "kdig $tr: outside the zone is REFUSED" "$(kdig_status "$tr" example.com A)" REFUSED
    expect_eq "dig $tr: CHAOS is REFUSED" "$(dig_status "$tr" CH TXT version.bind)" REFUSED
    expect_eq "dig $tr: a reverse /8 with no allowed range is REFUSED" \
        "$(dig_status "$tr" 1.1.1.1.in-addr.arpa PTR)" REFUSED
    expect_eq "kdig $tr: NXDOMAIN" "$(kdig_status "$tr" nosuch.home.arpa A)" NXDOMAIN
done
case " $(dig_flags example.com A) " in *" aa "*) fail "REFUSED claims authority" ;; esac
ok "REFUSED does not set AA"

# --- letter case ---------------------------------------------------------------------
expect_match "the question's case is echoed" "$($DIG +noall +answer C0A80117.Home.Arpa A)" \
    '^C0A80117\.Home\.Arpa\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.168\.1\.23$'
expect_match "the question's case is echoed over TCP" "$($DIG +tcp +noall +answer PRINTER.HOME.ARPA A)" \
    '^PRINTER\.HOME\.ARPA\..*192\.168\.1\.50$'
expect_match "SRV in capitals" "$($DIG +short _LANCERT._TCP.HOME.ARPA SRV)" "gateway"

# --- EDNS ----------------------------------------------------------------------------
expect_match "EDNS: the server offers 1232" "$($DIG +bufsize=4096 c0a80117.home.arpa A)" \
    'EDNS: version: 0, flags:; udp: 1232'
out=$($DIG +noedns c0a80117.home.arpa A)
case "$out" in *"OPT PSEUDOSECTION"*) fail "an OPT in the answer to a query without one" ;; esac
ok "no EDNS in, no EDNS out"
expect_eq "EDNS version 1 is BADVERS" "$(dig_status +edns=1 +noednsneg home.arpa SOA)" BADVERS
# The largest answer a name can have (eight AAAA) fits in 512 bytes without
# EDNS, so no answer here truncates; TC over 512 bytes is shown with four
# 255-byte TXT strings in test_dns_cares, since TXT comes only from UPDATE.
out=$($DIG +noedns +ignore big.home.arpa AAAA)
size=$(printf '%s\n' "$out" | sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\)$/\1/p')
[ -n "$size" ] && [ "$size" -le 512 ] || fail "eight AAAA without EDNS: $size bytes"
expect_authoritative "eight AAAA without EDNS ($size bytes)" \
    "$(printf '%s\n' "$out" | sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p')"

# --- IPv6 ---------------------------------------------------------------------------
if [ "$HAVE_V6" = yes ]; then
    expect_eq "UDP over ::1" "$(dig @::1 -p "$DNS_PORT" +tries=1 +short c0a80117.home.arpa A)" 192.168.1.23
    expect_eq "TCP over ::1" "$(dig @::1 -p "$DNS_PORT" +tries=1 +tcp +short printer.home.arpa AAAA)" fd00::50
    expect_eq "kdig over ::1" "$(kdig @::1 -p "$DNS_PORT" +retry=0 +short gateway.home.arpa A)" 127.0.0.1
else
    echo "# no ::1 on the loopback: IPv6 not tested"
fi

# --- messages by hand ----------------------------------------------------------------
# wire_name NAME — NAME in wire form, hex
wire_name() {
    n=$1
    out=""
    while [ -n "$n" ]; do
        label=${n%%.*}
        if [ "$label" = "$n" ]; then n=""; else n=${n#*.}; fi
        out="$out$(printf '%02x' "${#label}")$(printf '%s' "$label" | od -An -tx1 -v | tr -d ' \n')"
    done
    printf '%s00' "$out"
}
# msg ID FLAGS QD AN NS AR BODY — a message, hex
msg() { printf '%s%s%04x%04x%04x%04x%s' "$1" "$2" "$3" "$4" "$5" "$6" "$7"; }
# question NAME TYPE
question() { printf '%s%04x0001' "$(wire_name "$1")" "$2"; }
OPT=00002904d0000000000000
Q_HEX=$(question c0a80117.home.arpa 1)
A_QUERY=$(msg 4141 0000 1 0 0 0 "$Q_HEX")
# field HEX FROM-TO — characters of a hex reply (1-based)
field() { printf '%s' "$1" | cut -c"$2"; }
# expect_reply WHAT REPLY ID RCODE — a response (QR set) with that ID and RCODE
expect_reply() {
    [ "$2" != none ] && [ "$2" != closed ] && [ "$2" != timeout ] || fail "$1: no reply ($2)"
    [ "$(field "$2" 1-4)" = "$3" ] || fail "$1: ID $(field "$2" 1-4), want $3"
    reply_flags=$(field "$2" 5-8)
    [ $((0x$reply_flags & 0x8000)) -ne 0 ] || fail "$1: QR clear in $reply_flags"
    [ $((0x$reply_flags & 0xf)) -eq "$4" ] || fail "$1: RCODE $((0x$reply_flags & 0xf)), want $4"
    ok "$1: RCODE $4"
}

r=$($DNSSEND 127.0.0.1 "$DNS_PORT" "$A_QUERY")
expect_reply "hand-made query" "$r" 4141 0
expect_eq "hand-made query: the A record" "$(field "$r" 73-)" "c00c0001000100000e100004c0a80117"

# A burst from one socket: the server reads the queries in batches and sends
# the answers to one address as GSO trains (dns/server.c, udp_send), which
# the kernel must cut back into one datagram per answer. Every query gets its
# own answer, equal to the others but for the ID.
out=$($DNSSEND -f 100 -i 0 -v -w 1 127.0.0.1 "$DNS_PORT" "$A_QUERY")
expect_eq "a burst of 100 queries from one socket" "$out" "sent 100 answered 100 distinct 100 differing 0"

# unknown opcodes: NOTIMP, with the question echoed
for op in 1 2 3 4 15; do
    op_flags=$(printf '%04x' $((op << 11)))
    r=$($DNSSEND 127.0.0.1 "$DNS_PORT" "$(msg 4242 "$op_flags" 1 0 0 0 "$Q_HEX")")
    expect_reply "opcode $op" "$r" 4242 4
    expect_eq "opcode $op: the opcode is echoed" "$(printf '%04x' $((0x$(field "$r" 5-8) & 0x7800)))" \
        "$op_flags"
done

# malformed: FORMERR (UDP and TCP)
formerr_cases() {
    echo "label length past the end|$(msg 4301 0000 1 0 0 0 3f61626364)"
    echo "64-octet label|$(msg 4302 0000 1 0 0 0 40616263640000010001)"
    echo "label type 0x80|$(msg 4303 0000 1 0 0 0 81610000010001)"
    echo "pointer to itself|$(msg 4304 0000 1 0 0 0 c00c00010001)"
    echo "pointer forward|$(msg 4305 0000 1 0 0 0 c01200010001016100)"
    echo "pointer into the header|$(msg 4306 0000 1 0 0 0 c00400010001)"
    echo "label-pointer loop|$(msg 4307 0000 1 1 0 0 "$(question a 1)0162c013000100010000000000040a000001")"
    echo "65535 questions|$(msg 4308 0000 65535 0 0 0 "$Q_HEX")"
    echo "two questions|$(msg 4309 0000 2 0 0 0 "$Q_HEX$Q_HEX")"
    echo "OPT in the answer section|$(msg 430a 0000 1 1 0 0 "$Q_HEX$OPT")"
    echo "OPT in the authority section|$(msg 430b 0000 1 0 1 0 "$Q_HEX$OPT")"
    echo "two OPTs|$(msg 430c 0000 1 0 0 2 "$Q_HEX$OPT$OPT")"
    echo "trailing bytes|$(msg 430d 0000 1 0 0 0 "${Q_HEX}00")"
    echo "no question|$(msg 430e 0000 0 0 0 0 "")"
    echo "records claimed, not there|$(msg 430f 0000 1 30 0 0 "$Q_HEX")"
}
formerr_cases >"$T/formerr"
while IFS='|' read -r what hex; do
    id=$(field "$hex" 1-4)
    r=$($DNSSEND -w 1 127.0.0.1 "$DNS_PORT" "$hex")
    expect_reply "UDP, $what" "$r" "$id" 1
    r=$($DNSSEND -t -w 1 127.0.0.1 "$DNS_PORT" "$hex")
    expect_reply "TCP, $what" "$r" "$id" 1
done <"$T/formerr"
# A UDP datagram over 4096 bytes is cut at what the server reads: FORMERR.
pad=$(head -c 5000 /dev/zero | od -An -tx1 -v | tr -d ' \n')
expect_reply "a 5000-byte datagram" "$($DNSSEND 127.0.0.1 "$DNS_PORT" "$A_QUERY$pad")" 4141 1

# dropped without an answer: truncated headers, responses
hdr=$(msg 4444 0000 1 0 0 0 "")
trunc=""
for n in 1 2 3 4 5 6 7 8 9 10 11; do
    trunc="$trunc $(field "$hdr" "1-$((n * 2))")"
done
# shellcheck disable=SC2086
out=$($DNSSEND -w 0.3 127.0.0.1 "$DNS_PORT" "" $trunc)
expect_eq "truncated headers (0..11 bytes) are dropped" "$(echo "$out" | sort -u)" none
expect_eq "one answer per datagram" "$(echo "$out" | wc -l | tr -d ' ')" 12
expect_eq "a response is not answered" \
    "$($DNSSEND -w 0.3 127.0.0.1 "$DNS_PORT" "$(msg 4545 8000 1 0 0 0 "$Q_HEX")")" none

# every single byte of a good query set to 00, ff and c0: answered or dropped,
# the daemon lives
mutants=$(awk -v q="$A_QUERY" 'BEGIN {
    split("00 ff c0", b, " ")
    for (i = 0; i < length(q) / 2; i++)
        for (k = 1; k <= 3; k++)
            printf "%s%s%s ", substr(q, 1, i * 2), b[k], substr(q, i * 2 + 3)
}')
# shellcheck disable=SC2086
$DNSSEND -w 0.05 127.0.0.1 "$DNS_PORT" $mutants >"$T/mutants.udp" || fail "dnssend (UDP mutants)"
# shellcheck disable=SC2086
$DNSSEND -t -w 0.5 127.0.0.1 "$DNS_PORT" $mutants >"$T/mutants.tcp" || fail "dnssend (TCP mutants)"
kill -0 "$DAEMON_PID" 2>/dev/null || fail "lancertd died on mutated queries"
ok "$(echo "$mutants" | wc -w | tr -d ' ') mutated queries over UDP and TCP ($(grep -vc none "$T/mutants.udp") and $(grep -c '^[0-9a-f]' "$T/mutants.tcp") answered): still running"

# --- TCP ------------------------------------------------------------------------------
# Idle timeout and a lying length prefix, in the background while the rest
# runs: each connection is closed by the server some 10 s after its last
# byte (DNS_TCP_IDLE_S), and others are served meanwhile.
$DNSSEND -t -k -w 20 127.0.0.1 "$DNS_PORT" "$A_QUERY" >"$T/idle" 2>&1 &
idle_pid=$!
$DNSSEND -r -n 0 -k -w 20 127.0.0.1 "$DNS_PORT" "ffff$(field "$A_QUERY" 1-20)" >"$T/prefix" 2>&1 &
prefix_pid=$!
sleep 0.5

# pipelining: three queries in one write, three answers in order
r=$($DNSSEND -t 127.0.0.1 "$DNS_PORT" "$(msg 5001 0000 1 0 0 0 "$Q_HEX")" \
    "$(msg 5002 0000 1 0 0 0 "$(question printer.home.arpa 28)")" \
    "$(msg 5003 0000 1 0 0 0 "$(question nosuch.home.arpa 1)")")
expect_eq "three pipelined queries, three answers" "$(echo "$r" | wc -l | tr -d ' ')" 3
expect_reply "pipelined answer 1" "$(echo "$r" | sed -n 1p)" 5001 0
expect_reply "pipelined answer 2" "$(echo "$r" | sed -n 2p)" 5002 0
expect_reply "pipelined answer 3" "$(echo "$r" | sed -n 3p)" 5003 3
out=$($KDIG +tcp +keepopen +short c0a80117.home.arpa A printer.home.arpa A gateway.home.arpa AAAA)
expect_eq "kdig +keepopen: three queries on one connection" "$(echo "$out" | tr '\n' ' ')" \
    "192.168.1.23 192.168.1.50 fd00::1 "
# the largest message: 65535 bytes (a header and zeros): FORMERR
big=$(msg 5004 0000 0 0 0 0 "")$(head -c 65523 /dev/zero | od -An -tx1 -v | tr -d ' \n')
expect_reply "a 65535-byte TCP message" "$($DNSSEND -t 127.0.0.1 "$DNS_PORT" "$big")" 5004 1
# a length prefix under a header's size: the connection is closed
expect_eq "a 5-byte TCP message closes the connection" \
    "$($DNSSEND -r -w 2 127.0.0.1 "$DNS_PORT" 00050102030405)" closed
# a response over TCP: no answer, the connection stays for the next query
r=$($DNSSEND -t -n 1 127.0.0.1 "$DNS_PORT" "$(msg 5005 8000 1 0 0 0 "$Q_HEX")" "$(msg 5006 0000 1 0 0 0 "$Q_HEX")")
expect_reply "a response is skipped, the next query answered" "$r" 5006 0

# while the lying prefix waits, others are served
expect_eq "served while a 65535-byte prefix waits (UDP)" "$($DIG +short c0a80117.home.arpa A)" 192.168.1.23
expect_eq "served while a 65535-byte prefix waits (TCP)" "$($DIG +tcp +short c0a80117.home.arpa A)" 192.168.1.23
wait $idle_pid $prefix_pid
idle=$(sed -n 's/^closed after \([0-9]*\)\..*/\1/p' "$T/idle")
[ -n "$idle" ] || fail "idle connection: $(cat "$T/idle")"
[ "$idle" -ge 9 ] && [ "$idle" -le 13 ] || fail "idle connection closed after $idle s, want about 10"
ok "an idle TCP connection is closed after $idle s"
prefix=$(sed -n 's/^closed after \([0-9]*\)\..*/\1/p' "$T/prefix")
[ -n "$prefix" ] || fail "65535-byte prefix: $(cat "$T/prefix")"
[ "$prefix" -ge 9 ] && [ "$prefix" -le 13 ] || fail "65535-byte prefix closed after $prefix s"
ok "a connection waiting on a 65535-byte prefix is closed after $prefix s"

# --- still alive ------------------------------------------------------------------------
kill -0 "$DAEMON_PID" 2>/dev/null || fail "lancertd is gone"
expect_eq "still answers UDP" "$($DIG +short c0a80117.home.arpa A)" 192.168.1.23
expect_eq "still answers TCP" "$($KDIG +tcp +short gateway.home.arpa A)" 127.0.0.1
stop_daemon
expect_eq "SIGTERM stops cleanly" $? 0

done_testing
