#!/bin/sh
# Group commit of POST /api/v1/enroll: concurrent enrolments go through the
# issuing worker, which issues whatever is queued under one transaction and
# answers after the commit. Twenty requests at once (curl in parallel from
# 127.0.0.x): sixteen good ones all get 201 and the store holds each
# certificate with the DER the client received; two ask for the same
# friendly name (one 201, one 409); one asks for another address's hex name
# (403) and one sends a broken CSR (400). The refusals, whichever batch they
# fell in, leave no trace while the others commit. Then a SIGTERM while
# enrolments are in flight: the daemon answers or drops them, exits 0 (no
# connection left suspended), and every certificate it handed out is stored.
# No timing is asserted; how many requests shared a commit is printed only.
. tests/integration/lib.sh

command -v sqlite3 >/dev/null || fail "sqlite3 is missing"
command -v jq >/dev/null || fail "jq is missing (Debian: jq)"

S=$T/state
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
DNS_PORT=$(free_port)
GW=gateway.home.arpa
API="https://$GW:$HTTPS_PORT/api/v1"

$LANCERT ca init --state "$S" --allow "127.0.0.0/8" >"$T/init.out" || fail "ca init"
cat >"$T/lancert.conf" <<CONF
state_dir = $S
allow = 127.0.0.0/8
http_listen = 127.0.0.1:$HTTP_PORT
https_listen = 127.0.0.1:$HTTPS_PORT
dns_listen = 127.0.0.1:$DNS_PORT
enroll_policy = open
log_level = debug
CONF
start_daemon --config "$T/lancert.conf"
wait_log "gateway certificate"

hex() { printf '7f0000%02x.home.arpa' "$1"; }
# body TAG SANS — a fresh P-256 key and CSR, as the JSON body $T/TAG.json
body() {
    make_csr "$1" ec:prime256v1 "/CN=x" "$2"
    jq -n --rawfile csr "$T/$1.csr" '{csr: $csr}' >"$T/$1.json"
}
# post TAG FROM — POST enroll from 127.0.0.FROM in the background; the
# status goes to $T/TAG.code, the body to $T/TAG.r
post() {
    curl -sS --max-time 20 --cacert "$S/ca.pem" --resolve "$GW:$HTTPS_PORT:127.0.0.1" \
        --interface "127.0.0.$2" -o "$T/$1.r" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' --data-binary "@$T/$1.json" "$API/enroll" \
        >"$T/$1.code" 2>"$T/$1.err" &
    CURLS="$CURLS $!"
}
# wait_curls — waits for the posts (a bare wait would wait for lancertd too)
wait_curls() {
    for p in $CURLS; do wait "$p"; done
    CURLS=""
}
CURLS=""
count() { sqlite3 "$S/lancert.db" "SELECT count(*) FROM $1"; }
# stored_der_is TAG — the certificate in $T/TAG.r is the one the store holds
# for its device, byte for byte
stored_der() {
    sqlite3 "$S/lancert.db" "SELECT hex(der) FROM certs WHERE device_id = $(jq -r .id "$T/$1.r")"
}
sent_der() {
    jq -r .certificate "$T/$1.r" | openssl x509 -outform DER | od -An -tx1 -v | tr -d ' \n' |
        tr a-f A-F
}

i=10
while [ "$i" -lt 26 ]; do
    body "g$i" "DNS:$(hex "$i"),DNS:dev$i.home.arpa"
    i=$((i + 1))
done
body c40 "DNS:$(hex 40),DNS:contested.home.arpa"
body c41 "DNS:$(hex 41),DNS:contested.home.arpa"
body wrong "DNS:$(hex 99)"
printf '{"csr": "-----BEGIN CERTIFICATE REQUEST-----\\nAAAA\\n-----END CERTIFICATE REQUEST-----\\n"}' \
    >"$T/broken.json"

devices0=$(count devices)
certs0=$(count certs)
enrol0=$(count enrollments)

# All at once; the refusals in the middle of the good ones.
for i in 10 11 12 13 14 15 16 17; do post "g$i" "$i"; done
post c40 40
post wrong 42
post c41 41
post broken 43
for i in 18 19 20 21 22 23 24 25; do post "g$i" "$i"; done
wait_curls

i=10
while [ "$i" -lt 26 ]; do
    expect_eq "g$i from 127.0.0.$i: 201" "$(cat "$T/g$i.code")" 201
    expect_eq "g$i: the store holds the certificate it got" "$(stored_der "g$i")" "$(sent_der "g$i")"
    expect_eq "g$i: for its names" "$(jq -r '.names | join(",")' "$T/g$i.r")" "$(hex "$i"),dev$i.home.arpa"
    i=$((i + 1))
done
won=$(cat "$T/c40.code")/$(cat "$T/c41.code")
case "$won" in
    201/409) winner=c40 loser=c41 loser_hex=$(hex 41) ;;
    409/201) winner=c41 loser=c40 loser_hex=$(hex 40) ;;
    *) fail "the contested name: got $won, want one 201 and one 409" ;;
esac
ok "the contested name: one 201, one 409 ($won)"
expect_eq "the winner's certificate is stored" "$(stored_der "$winner")" "$(sent_der "$winner")"
expect_eq "the loser got a problem document" "$(jq -r .status "$T/$loser.r")" 409
expect_eq "another address's hex name: 403" "$(cat "$T/wrong.code")" 403
expect_eq "a broken CSR: 400" "$(cat "$T/broken.code")" 400

# Nothing of the refusals: seventeen devices, certificates and enrolments,
# and none of the names the refused requests asked for.
expect_eq "17 new devices" "$(count devices)" $((devices0 + 17))
expect_eq "17 new certificates" "$(count certs)" $((certs0 + 17))
expect_eq "17 new enrolments" "$(count enrollments)" $((enrol0 + 17))
expect_eq "the loser's hex name was not kept" \
    "$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM names WHERE name = '$loser_hex'")" 0
expect_eq "nor the refused one's" \
    "$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM names WHERE name IN ('$(hex 99)', '$(hex 42)', '$(hex 43)')")" 0
expect_eq "contested.home.arpa is the winner's" \
    "$(sqlite3 "$S/lancert.db" "SELECT device_id FROM names WHERE name = 'contested.home.arpa'")" \
    "$(jq -r .id "$T/$winner.r")"
sed -n 's/.*enrolment api: committed \([0-9]*\) enrolments in one transaction.*/\1/p' "$T/daemon.log" |
    sort -n | tail -1 >"$T/biggest"
echo "# the biggest batch shared one commit among $(cat "$T/biggest") enrolments"

# SIGTERM with enrolments in flight: new keys for the same addresses.
i=10
while [ "$i" -lt 26 ]; do
    body "s$i" "DNS:$(hex "$i")"
    i=$((i + 1))
done
for i in 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do post "s$i" "$i"; done
sleep 0.1
expect_exit "lancertd stops cleanly with enrolments in flight" 0 stop_daemon
wait_curls
answered=0
for i in 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do
    if [ "$(cat "$T/s$i.code" 2>/dev/null)" = 201 ]; then
        answered=$((answered + 1))
        [ "$(stored_der "s$i")" = "$(sent_der "s$i")" ] ||
            fail "s$i: a certificate handed out at shutdown is not in the store"
    fi
done
ok "every certificate handed out at shutdown is stored ($answered of 16 answered 201)"
grep -q "suspended connections" "$T/daemon.log" && fail "libmicrohttpd complained at shutdown"
ok "no complaint about suspended connections"

done_testing
