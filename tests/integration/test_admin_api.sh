#!/bin/sh
# The admin API on the HTTPS port, driven with curl: the bearer token (made by
# ca init, rotated by the CLI, compared against a hash the daemon rereads),
# GET /api/v1/certificates, POST /api/v1/certificates/{serial}/revoke, and
# the CRL on the plain port listing the revoked serial soon after; the
# read-only HTML pages under /ui/ with the token as the HTTP Basic password.
. tests/integration/lib.sh

S=$T/state
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
ALLOW="127.0.0.0/8 192.168.0.0/16"
GW=gateway.home.arpa
API="https://$GW:$HTTPS_PORT/api/v1"

$LANCERT ca init --state "$S" --allow "$ALLOW" >"$T/init.out" || fail "ca init"
cat >"$T/lancert.conf" <<CONF
state_dir = $S
allow = $ALLOW
http_listen = 127.0.0.1:$HTTP_PORT
https_listen = 127.0.0.1:$HTTPS_PORT
dns_listen = 127.0.0.1:$(free_port)
log_level = debug
CONF

# --- the token ca init made ------------------------------------------------------
TOKEN=$(cat "$S/admin.token")
expect_match "admin.token holds 43 base64url characters" "$TOKEN" '^[A-Za-z0-9_-]{43}$'
expect_eq "admin.token is 0600" "$(stat -c %a "$S/admin.token")" 600
expect_match "ca init printed it once" "$(cat "$T/init.out")" "admin token: $TOKEN"
expect_eq "the store keeps only its SHA-256" \
    "$(sqlite3 "$S/lancert.db" "SELECT value FROM meta WHERE key = 'admin_token_sha256'")" \
    "$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)"
grep -rqa -- "$TOKEN" "$S/lancert.db" "$S"/lancert.db-wal 2>/dev/null &&
    fail "the token itself is in the store"
ok "the token itself is not in the store"

# A certificate to list and revoke, issued by the CLI beside the daemon.
make_csr dev ec:prime256v1 /CN=dev
SERIAL=$($LANCERT issue --state "$S" --csr "$T/dev.csr" --ip 127.0.0.5 --json |
    sed -n 's/.*"serial": *"\([0-9a-f]*\)".*/\1/p')
expect_match "issued a certificate" "$SERIAL" '^[0-9a-f]{32}$'

start_daemon --config "$T/lancert.conf"
wait_log "gateway certificate"

c() { # curl against the gateway with its root; extra arguments follow
    curl -sS --max-time 5 --cacert "$S/ca.pem" --resolve "$GW:$HTTPS_PORT:127.0.0.1" "$@"
}
code() { c -o /dev/null -w '%{http_code}' "$@"; }
auth() { echo "Authorization: Bearer $1"; }

# --- who may ask -------------------------------------------------------------------
expect_eq "no token: 401" "$(code "$API/certificates")" 401
c -D "$T/h" -o "$T/body" "$API/certificates"
expect_match "with a Bearer challenge" "$(cat "$T/h")" "[Ww][Ww][Ww]-[Aa]uthenticate: Bearer"
expect_match "as a problem document" "$(cat "$T/h")" "application/problem\+json"
nobody=$(cat "$T/body")
expect_eq "wrong token: 401" "$(code -H "$(auth wrongwrongwrong)" "$API/certificates")" 401
expect_eq "and the same words as no token" \
    "$(c -H "$(auth wrongwrongwrong)" "$API/certificates")" "$nobody"
expect_eq "a token one character short: 401" \
    "$(code -H "$(auth "${TOKEN%?}")" "$API/certificates")" 401
expect_eq "another scheme: 401" "$(code -H "Authorization: Basic $TOKEN" "$API/certificates")" 401
expect_eq "revoke without a token: 401" "$(code -X POST "$API/certificates/$SERIAL/revoke")" 401
expect_eq "a malformed serial without a token: 401" \
    "$(code -X POST "$API/certificates/xyz/revoke")" 401

# --- the list ------------------------------------------------------------------------
list=$(c -H "$(auth "$TOKEN")" "$API/certificates")
expect_eq "right token: 200" "$(code -H "$(auth "$TOKEN")" "$API/certificates")" 200
expect_match "the list holds the issued certificate" "$list" "\"serial\":\"$SERIAL\""
expect_match "with its names" "$list" '"names":\["7f000005.home.arpa"\]'
expect_match "and the gateway's own" "$list" "\"$GW\""
expect_match "unrevoked" "$list" "\"serial\":\"$SERIAL\",[^}]*\"revoked\":false"
expect_eq "the scheme is case-insensitive" \
    "$(code -H "Authorization: bearer $TOKEN" "$API/certificates")" 200
byname=$(c -H "$(auth "$TOKEN")" "$API/certificates?name=7F000005.home.arpa")
expect_match "?name= filters" "$byname" "\"serial\":\"$SERIAL\""
expect_eq "to that name only" "$(printf '%s' "$byname" | grep -o '"serial"' | wc -l)" 1
expect_eq "?name= of nobody is an empty list" \
    "$(c -H "$(auth "$TOKEN")" "$API/certificates?name=nobody.home.arpa")" '{"certificates":[]}'
expect_eq "POST on the list: 405" "$(code -X POST -H "$(auth "$TOKEN")" "$API/certificates")" 405

# --- revocation --------------------------------------------------------------------
expect_eq "malformed serial: 400" \
    "$(code -X POST -H "$(auth "$TOKEN")" "$API/certificates/xyz/revoke")" 400
expect_eq "a serial one digit short: 400" \
    "$(code -X POST -H "$(auth "$TOKEN")" "$API/certificates/${SERIAL%?}/revoke")" 400
expect_eq "unknown serial: 404" \
    "$(code -X POST -H "$(auth "$TOKEN")" "$API/certificates/0123456789abcdef0123456789abcdef/revoke")" 404
expect_eq "GET on revoke: 405" "$(code -H "$(auth "$TOKEN")" "$API/certificates/$SERIAL/revoke")" 405
upper=$(printf '%s' "$SERIAL" | tr a-f A-F)
out=$(c -X POST -H "$(auth "$TOKEN")" -w '\n%{http_code}' "$API/certificates/$upper/revoke")
expect_eq "revoke: 200" "$(printf '%s' "$out" | tail -n1)" 200
expect_match "with the record, revoked" "$(printf '%s' "$out" | head -n1)" \
    "\"serial\":\"$SERIAL\".*\"revoked\":true"
expect_eq "it is on disk" \
    "$(sqlite3 "$S/lancert.db" "SELECT revoked_at IS NOT NULL FROM certs WHERE hex(serial) = '$upper'")" 1
expect_eq "again: 409" "$(code -X POST -H "$(auth "$TOKEN")" "$API/certificates/$SERIAL/revoke")" 409
expect_match "the list says so" "$(c -H "$(auth "$TOKEN")" "$API/certificates")" \
    "\"serial\":\"$SERIAL\",[^}]*\"revoked\":true"

# The CRL on the plain port is rebuilt within a bounded wait.
want=$(printf '%s' "$upper")
i=0
while :; do
    curl -s -o "$T/crl.der" "http://127.0.0.1:$HTTP_PORT/crl"
    openssl crl -inform DER -in "$T/crl.der" -noout -text 2>/dev/null | tr -d ' :' |
        grep -q "SerialNumber$want" && break
    [ $i -ge 50 ] && fail "the CRL did not list $SERIAL within 5 s"
    sleep 0.1
    i=$((i + 1))
done
ok "the CRL lists the revoked serial"
expect_match "the CRL verifies against the root" \
    "$(openssl crl -inform DER -in "$T/crl.der" -CAfile "$S/ca.pem" -noout 2>&1)" "verify OK"

# --- the read-only pages: HTTP Basic, the token as the password -----------------------
UI="https://$GW:$HTTPS_PORT/ui"
expect_eq "a page without credentials: 401" "$(code "$UI/devices.html")" 401
c -D "$T/h" -o "$T/body" "$UI/devices.html"
expect_match "with a Basic challenge" "$(cat "$T/h")" \
    '[Ww][Ww][Ww]-[Aa]uthenticate: Basic realm="lancert admin", charset="UTF-8"'
expect_match "and a page for a person" "$(cat "$T/body")" "Admin token needed"
expect_eq "a wrong password: 401" "$(code -u admin:wrongwrongwrong "$UI/devices.html")" 401
expect_eq "the Bearer header is not taken there: 401" \
    "$(code -H "$(auth "$TOKEN")" "$UI/devices.html")" 401
expect_eq "and Basic is not taken by the API: 401" "$(code -u "admin:$TOKEN" "$API/certificates")" 401
for page in devices certificates health; do
    expect_eq "$page.html with the token: 200" "$(code -u "admin:$TOKEN" "$UI/$page.html")" 200
done
c -u "admin:$TOKEN" -D "$T/h" -o "$T/devices.html" "$UI/devices.html"
expect_match "as HTML" "$(cat "$T/h")" "[Cc]ontent-[Tt]ype: text/html; charset=utf-8"
expect_match "with a CSP that allows no script" "$(cat "$T/h")" \
    "[Cc]ontent-[Ss]ecurity-[Pp]olicy: default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
expect_match "never cached" "$(cat "$T/h")" "[Cc]ache-[Cc]ontrol: no-store"
expect_match "HSTS" "$(cat "$T/h")" "[Ss]trict-[Tt]ransport-[Ss]ecurity"
expect_match "the device's hex name is listed" "$(cat "$T/devices.html")" \
    'class="mono">7f000005.home.arpa<'
expect_match "any user name does" "$(c -u "anyone:$TOKEN" "$UI/certificates.html")" \
    ">$SERIAL<.*badge revoked"
expect_match "health counts the revoked certificate" "$(c -u "admin:$TOKEN" "$UI/health.html")" \
    ", 1 revoked</dd>"
expect_eq "HEAD: 200" "$(code -I -u "admin:$TOKEN" "$UI/devices.html")" 200
expect_eq "POST: 405, nothing acts on Basic" "$(code -X POST -u "admin:$TOKEN" "$UI/devices.html")" 405
expect_eq "DELETE: 405" "$(code -X DELETE -u "admin:$TOKEN" "$UI/devices.html")" 405

# --- rotation ------------------------------------------------------------------------
NEW=$($LANCERT token rotate-admin --state "$S") || fail "token rotate-admin"
expect_match "rotate-admin prints a new token" "$NEW" '^[A-Za-z0-9_-]{43}$'
[ "$NEW" != "$TOKEN" ] || fail "the rotated token is the old one"
expect_eq "admin.token holds it" "$(cat "$S/admin.token")" "$NEW"
expect_eq "admin.token is still 0600" "$(stat -c %a "$S/admin.token")" 600
expect_eq "the old token: 401, without a restart" \
    "$(code -H "$(auth "$TOKEN")" "$API/certificates")" 401
expect_eq "the new token: 200" "$(code -H "$(auth "$NEW")" "$API/certificates")" 200
expect_eq "the old token on a page: 401" "$(code -u "admin:$TOKEN" "$UI/health.html")" 401
expect_eq "the new token on a page: 200" "$(code -u "admin:$NEW" "$UI/health.html")" 200
expect_exit "rotate-admin takes no arguments" 2 $LANCERT token rotate-admin --state "$S" extra

# --- the CLI beside the daemon: certs list, certs revoke --------------------------------
make_csr dev2 ec:prime256v1 /CN=dev2
SERIAL2=$($LANCERT issue --state "$S" --csr "$T/dev2.csr" --ip 127.0.0.6 --json |
    sed -n 's/.*"serial": *"\([0-9a-f]*\)".*/\1/p')
expect_match "certs list shows it valid" "$($LANCERT certs list --state "$S")" "^$SERIAL2  valid .* 7f000006.home.arpa"
expect_match "and the first revoked" "$($LANCERT certs list --state "$S")" "$SERIAL  revoked"
expect_eq "certs list --name filters" \
    "$($LANCERT certs list --state "$S" --name 7F000006.home.arpa | cut -c1-32)" "$SERIAL2"
json=$($LANCERT certs list --state "$S" --json --name 7f000005.home.arpa | tr -d ' \n')
expect_match "certs list --json is the API's shape" "$json" \
    "^\{\"certificates\":\[\{.*\"serial\":\"$SERIAL\""
expect_match "with the API's fields" "$json" '"revoked":true,"revoked_at":[0-9]+,'
expect_match "device_id too" "$json" '"device_id":[0-9]+,"names":\["7f000005.home.arpa"\]'
expect_exit "certs revoke of a malformed serial" 10 $LANCERT certs revoke --state "$S" nothex
expect_exit "certs revoke of an unknown serial" 9 $LANCERT certs revoke --state "$S" \
    0123456789abcdef0123456789abcdef
expect_exit "certs revoke" 0 $LANCERT certs revoke --state "$S" "$SERIAL2"
expect_exit "certs revoke again" 8 $LANCERT certs revoke --state "$S" "$SERIAL2"
expect_eq "the API sees it: 409" "$(code -X POST -H "$(auth "$NEW")" "$API/certificates/$SERIAL2/revoke")" 409
kill -USR1 "$DAEMON_PID"
want=$(printf '%s' "$SERIAL2" | tr a-f A-F)
i=0
while :; do
    curl -s -o "$T/crl.der" "http://127.0.0.1:$HTTP_PORT/crl"
    openssl crl -inform DER -in "$T/crl.der" -noout -text 2>/dev/null | tr -d ' :' |
        grep -q "SerialNumber$want" && break
    [ $i -ge 50 ] && fail "the CRL did not list $SERIAL2 within 5 s of SIGUSR1"
    sleep 0.1
    i=$((i + 1))
done
ok "after SIGUSR1 the CRL lists the serial the CLI revoked"

stop_daemon || fail "lancertd did not stop cleanly"
grep -q -- "$TOKEN\|$NEW" "$T/daemon.log" && fail "a token is in the daemon log"
ok "no token in the daemon log"

done_testing
