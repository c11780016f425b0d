#!/bin/sh
# GET /metrics on the HTTPS port: the Prometheus text, who may read it, and
# the counters moving by exactly what the test did between two scrapes — DNS
# queries by RCODE over UDP and TCP (dig), DNS UPDATEs by RCODE (nsupdate),
# HTTPS requests by status class and in the latency histogram (curl), the
# gateway's certificate and one revocation through the admin API. Who may
# scrape is tested from a loopback client and, in a network namespace the
# test makes (joined to the host by a veth pair; both removed on exit), from
# a client that is not on the loopback. Where namespaces are not permitted
# the test says so and that part is left to tests/unit/test_admin.c.
. tests/integration/lib.sh

command -v dig >/dev/null || fail "dig is missing (Debian: bind9-dnsutils)"
command -v nsupdate >/dev/null || fail "nsupdate is missing (Debian: bind9-dnsutils)"
command -v jq >/dev/null || fail "jq is missing (Debian: jq)"

NS=lc-met-$$
VETH_HOST=lcmh$$
VETH_NS=lcmn$$
MADE_NS=no
metrics_cleanup() {
    if [ "$MADE_NS" = yes ]; then
        ip netns del "$NS" 2>/dev/null      # takes its end of the veth pair along
        ip link del "$VETH_HOST" 2>/dev/null # gone with its peer already, normally
    fi
    cleanup
}
trap metrics_cleanup EXIT INT TERM
# A /29 in 10.234.0.0/16 that no interface of this host uses yet.
octet=$(($$ % 250 + 1))
tries=0
while ip -4 addr show 2>/dev/null | grep -q "inet 10\.234\.$octet\."; do
    octet=$((octet % 250 + 1))
    tries=$((tries + 1))
    [ $tries -lt 250 ] || fail "no free /24 in 10.234.0.0/16"
done
NET=10.234.$octet
if ip netns add "$NS" 2>"$T/netns.err"; then
    MADE_NS=yes
    ip link add "$VETH_HOST" type veth peer name "$VETH_NS" netns "$NS" &&
        ip addr add "$NET.1/29" dev "$VETH_HOST" &&
        ip link set "$VETH_HOST" up &&
        ip -n "$NS" link set lo up &&
        ip -n "$NS" addr add "$NET.2/29" dev "$VETH_NS" &&
        ip -n "$NS" link set "$VETH_NS" up ||
        fail "cannot set up the veth pair into $NS"
    HTTPS_LAN=" $NET.1:"
else
    echo "# NOTE: no network namespace ($(cat "$T/netns.err")): a scrape from outside"
    echo "# the loopback is tested in tests/unit/test_admin.c only"
    HTTPS_LAN=""
fi

S=$T/state
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
DNS_PORT=$(free_port)
while [ "$DNS_PORT" = "$HTTP_PORT" ] || [ "$DNS_PORT" = "$HTTPS_PORT" ]; do DNS_PORT=$(free_port); done
ALLOW="127.0.0.0/8 10.0.0.0/8 192.168.0.0/16"
GW=gateway.home.arpa
U="https://$GW:$HTTPS_PORT"

$LANCERT ca init --state "$S" --allow "$ALLOW" >/dev/null || fail "ca init"
$LANCERT dns key create --admin --state "$S" >"$T/admin.key" || fail "dns key create"
# A certificate to revoke, issued by the CLI (another process: not counted).
make_csr dev ec:prime256v1 /CN=dev
SERIAL=$($LANCERT issue --state "$S" --csr "$T/dev.csr" --ip 127.0.0.5 --json |
    sed -n 's/.*"serial": *"\([0-9a-f]*\)".*/\1/p')
[ -n "$SERIAL" ] || fail "lancert issue"
cat >"$T/lancert.conf" <<CONF
state_dir = $S
allow = $ALLOW
http_listen = 127.0.0.1:$HTTP_PORT
https_listen = 127.0.0.1:$HTTPS_PORT${HTTPS_LAN:+$HTTPS_LAN$HTTPS_PORT}
dns_listen = 127.0.0.1:$DNS_PORT
dns_rrl = 0
CONF
start_daemon --config "$T/lancert.conf"
wait_log "gateway certificate"

c() { # curl against the gateway with its root; extra arguments follow
    curl -sS --max-time 5 --cacert "$S/ca.pem" --resolve "$GW:$HTTPS_PORT:127.0.0.1" "$@"
}
code() { c -o /dev/null -w '%{http_code}' "$@"; }
DIG="dig @127.0.0.1 -p $DNS_PORT +tries=1 +time=2"
status() { $DIG "$@" | sed -n 's/^;; ->>HEADER<<- .*status: \([A-Z]*\),.*/\1/p'; }
i=0
until [ "$(status home.arpa SOA)" = NOERROR ] || [ $i -ge 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
# scrape FILE: one scrape, checked line by line as a scraper reads it.
scrape() {
    c -D "$T/headers" -o "$1" "$U/metrics" || fail "curl $U/metrics"
    awk '
        /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* [^ ]/ { next }
        /^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram)$/ { next }
        /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? [0-9]+(\.[0-9]+)?$/ { next }
        { print "line " NR ": " $0; bad = 1 }
        END { exit bad }' "$1" >"$T/badlines" || fail "not Prometheus text: $(cat "$T/badlines")"
}
# value FILE SERIES: the sample's value (the series written as in the text).
value() { awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print "missing" }' "$1"; }
# delta SERIES: how far it moved between m0 and m1.
delta() {
    a=$(value "$T/m0" "$1")
    b=$(value "$T/m1" "$1")
    if [ "$a" = missing ] || [ "$b" = missing ]; then fail "$1 is not in the scrapes"; fi
    awk -v a="$a" -v b="$b" 'BEGIN { print b - a }'
}

# --- the text and who may read it ---------------------------------------------------
scrape "$T/m0"
ok "GET /metrics from 127.0.0.1 without a token is Prometheus text"
expect_match "its content type" "$(cat "$T/headers")" \
    "[Cc]ontent-[Tt]ype: text/plain; version=0\.0\.4; charset=utf-8"
expect_match "with the security headers" "$(cat "$T/headers")" "[Cc]ache-[Cc]ontrol: no-store"
expect_eq "the gateway's own certificate was issued by this process" \
    "$(value "$T/m0" lancert_certificates_issued_total)" 1
expect_eq "nothing revoked yet" "$(value "$T/m0" lancert_certificates_revoked_total)" 0
expect_eq "no enrolments" "$(value "$T/m0" 'lancert_enrollments_total{outcome="issued"}')" 0
expect_eq "every RCODE of queries is listed" \
    "$(grep -c '^lancert_dns_queries_total{rcode="[A-Z]*"} ' "$T/m0")" 11
expect_eq "HEAD /metrics" "$(code -I "$U/metrics")" 200
expect_eq "POST /metrics: 405" "$(code -X POST "$U/metrics")" 405
expect_eq "another Host: 421" "$(code -H "Host: evil.example" "$U/metrics")" 421
TOKEN=$(cat "$S/admin.token")
if [ "$MADE_NS" = yes ]; then
    # lan_code ARGS...: the status of a request from $NET.2, in the namespace
    lan_code() {
        ip netns exec "$NS" curl -sS --max-time 5 --cacert "$S/ca.pem" \
            --resolve "$GW:$HTTPS_PORT:$NET.1" -o "$T/lan.out" -w '%{http_code}' "$@"
    }
    expect_eq "from $NET.2, /healthz needs nothing" "$(lan_code "$U/healthz")" 200
    expect_eq "from $NET.2, /metrics without a token: 401" "$(lan_code "$U/metrics")" 401
    expect_match "as a problem document" "$(cat "$T/lan.out")" '"status":401'
    expect_eq "from $NET.2, a wrong token: 401" \
        "$(lan_code -H "Authorization: Bearer nottheadmintoken" "$U/metrics")" 401
    expect_eq "from $NET.2, the admin token: 200" \
        "$(lan_code -H "Authorization: Bearer $TOKEN" "$U/metrics")" 200
    expect_match "with the counters" "$(cat "$T/lan.out")" '^# HELP lancert_'
fi
scrape "$T/m0"

# --- DNS: queries by RCODE, UDP and TCP -----------------------------------------------
expect_eq "UDP NOERROR" "$(status home.arpa SOA)" NOERROR
expect_eq "UDP NOERROR (hex name)" "$(status 7f000005.home.arpa A)" NOERROR
expect_eq "TCP NOERROR" "$(status +tcp gateway.home.arpa A)" NOERROR
expect_eq "UDP NXDOMAIN" "$(status nosuch.home.arpa A)" NXDOMAIN
expect_eq "TCP NXDOMAIN" "$(status +tcp nosuch.home.arpa A)" NXDOMAIN
expect_eq "UDP REFUSED" "$(status example.com A)" REFUSED
expect_eq "TCP REFUSED" "$(status +tcp example.com A)" REFUSED
expect_eq "UDP REFUSED again" "$(status www.example.org AAAA)" REFUSED
# --- DNS: UPDATE by RCODE -------------------------------------------------------------
update() { # update [NSUPDATE-OPTIONS]: add a challenge TXT, exit status of nsupdate
    printf 'server 127.0.0.1 %s\nzone home.arpa\nupdate add _acme-challenge.7f000005.home.arpa 60 TXT "t"\nsend\n' \
        "$DNS_PORT" | nsupdate -t 3 "$@" >"$T/nsupdate.out" 2>&1
}
update -k "$T/admin.key"
expect_eq "a signed UPDATE is applied" $? 0
update
expect_eq "an unsigned UPDATE is refused" $? 2
expect_match "with REFUSED" "$(cat "$T/nsupdate.out")" REFUSED
# --- HTTPS by status class ---------------------------------------------------------------
expect_eq "GET /healthz" "$(code "$U/healthz")" 200
expect_eq "GET /nope" "$(code "$U/nope")" 404
expect_eq "revoke without a token" "$(code -X POST "$U/api/v1/certificates/$SERIAL/revoke")" 401
expect_eq "revoke with the token" \
    "$(code -X POST -H "Authorization: Bearer $TOKEN" "$U/api/v1/certificates/$SERIAL/revoke")" 200
expect_eq "revoke it again: 409" \
    "$(code -X POST -H "Authorization: Bearer $TOKEN" "$U/api/v1/certificates/$SERIAL/revoke")" 409
scrape "$T/m1"

q='lancert_dns_queries_total'
expect_eq "queries NOERROR +3" "$(delta "$q{rcode=\"NOERROR\"}")" 3
expect_eq "queries NXDOMAIN +2" "$(delta "$q{rcode=\"NXDOMAIN\"}")" 2
expect_eq "queries REFUSED +3" "$(delta "$q{rcode=\"REFUSED\"}")" 3
for r in FORMERR SERVFAIL NOTIMP NOTAUTH; do
    expect_eq "queries $r +0" "$(delta "$q{rcode=\"$r\"}")" 0
done
u='lancert_dns_updates_total'
expect_eq "updates NOERROR +1" "$(delta "$u{rcode=\"NOERROR\"}")" 1
expect_eq "updates REFUSED +1" "$(delta "$u{rcode=\"REFUSED\"}")" 1
expect_eq "updates NOTAUTH +0" "$(delta "$u{rcode=\"NOTAUTH\"}")" 0
expect_eq "none rate limited" "$(delta lancert_dns_rate_limited_total)" 0
h='lancert_http_requests_total'
# The first scrape counts itself once answered; this one is not counted yet.
expect_eq "HTTPS 2xx +3 (the scrape before, /healthz, the revocation)" "$(delta "$h{code=\"2xx\"}")" 3
expect_eq "HTTPS 4xx +3 (404, 401, 409)" "$(delta "$h{code=\"4xx\"}")" 3
expect_eq "HTTPS 5xx +0" "$(delta "$h{code=\"5xx\"}")" 0
d='lancert_http_request_duration_seconds'
expect_eq "the histogram counted all six" "$(delta "${d}_count")" 6
expect_eq "its +Inf bucket too" "$(delta "${d}_bucket{le=\"+Inf\"}")" 6
expect_eq "all six well under 10 s" "$(delta "${d}_bucket{le=\"10\"}")" 6
expect_match "its sum moved" "$(delta "${d}_sum")" '^[0-9.e-]+$'
expect_eq "one revocation" "$(value "$T/m1" lancert_certificates_revoked_total)" 1
expect_eq "no certificate issued since" "$(value "$T/m1" lancert_certificates_issued_total)" 1

# --- the buckets are cumulative and _count is +Inf ------------------------------------------
awk -F'[ ]' -v d="${d}_bucket" 'index($1, d "{") == 1 { if ($2 < last) exit 1; last = $2 }' "$T/m1" ||
    fail "a bucket below the one before"
ok "buckets never decrease"
expect_eq "_count is the +Inf bucket" "$(value "$T/m1" "${d}_count")" \
    "$(value "$T/m1" "${d}_bucket{le=\"+Inf\"}")"

# --- enrolments by outcome --------------------------------------------------------------
# csr_for NAME FILE: a P-256 CSR naming NAME, as a JSON body in FILE
csr_for() {
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$2.key" \
        -subj "/CN=$1" -addext "subjectAltName=DNS:$1" -out "$2.pem" 2>/dev/null ||
        fail "openssl req for $1"
    jq -n --rawfile c "$2.pem" '{csr: $c}' >"$2" || fail "jq"
}
# enroll FILE [curl args]: POST it to /api/v1/enroll, the status
enroll() {
    f=$1
    shift
    code "$@" -X POST -H 'Content-Type: application/json' --data-binary "@$f" "$U/api/v1/enroll"
}
# 127.0.0.1 is the gateway's address: its hex name is the gateway's.
csr_for 7f000002.home.arpa "$T/own.json"
csr_for 7f000009.home.arpa "$T/other.json"
csr_for printer.home.arpa "$T/friendly.json"
printf '{"csr": 42}' >"$T/bad.json"
scrape "$T/m0"
expect_eq "enrol the hex name of our own address: 201" "$(enroll "$T/own.json" --interface 127.0.0.2)" 201
expect_eq "someone else's address: 403" "$(enroll "$T/other.json")" 403
expect_eq "a friendly name under enroll_policy approve: 202" "$(enroll "$T/friendly.json")" 202
expect_eq "a malformed body: 400" "$(enroll "$T/bad.json")" 400
scrape "$T/m1"
e='lancert_enrollments_total'
expect_eq "enrolments issued +1" "$(delta "$e{outcome=\"issued\"}")" 1
expect_eq "enrolments pending +1" "$(delta "$e{outcome=\"pending\"}")" 1
expect_eq "enrolments refused +2" "$(delta "$e{outcome=\"refused\"}")" 2
expect_eq "enrolments error +0" "$(delta "$e{outcome=\"error\"}")" 0
expect_eq "one more certificate issued" "$(delta lancert_certificates_issued_total)" 1

stop_daemon || fail "lancertd did not stop cleanly"
ok "lancertd stopped cleanly"
done_testing
