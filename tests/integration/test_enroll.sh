#!/bin/sh
# The REST enrolment API on the HTTPS port, driven with curl and openssl:
# GET /api/v1/ca, POST /api/v1/enroll from 127.0.0.x (curl --interface) for
# the hex name of that address, refusals (someone else's address, malformed
# and oversized bodies), a friendly name under enroll_policy = approve (202,
# the admin's approval, the certificate and update key fetched once),
# enrolment tokens under enroll_policy = token (once, then 403; expired 403),
# and DELETE of a device (its certificate in the CRL, its name gone from DNS).
# Every refusal is a problem document and leaves the store as it was.
. tests/integration/lib.sh

command -v dig >/dev/null || fail "dig is missing (Debian: bind9-dnsutils)"
command -v sqlite3 >/dev/null || fail "sqlite3 is missing"

S=$T/state
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
DNS_PORT=$(free_port)
ALLOW="127.0.0.0/8 192.168.0.0/16"
GW=gateway.home.arpa
API="https://$GW:$HTTPS_PORT/api/v1"

$LANCERT ca init --state "$S" --allow "$ALLOW" >"$T/init.out" || fail "ca init"
TOKEN=$(cat "$S/admin.token")
write_conf() { # POLICY
    cat >"$T/lancert.conf" <<CONF
state_dir = $S
allow = $ALLOW
http_listen = 127.0.0.1:$HTTP_PORT
https_listen = 127.0.0.1:$HTTPS_PORT
dns_listen = 127.0.0.1:$DNS_PORT
enroll_policy = $1
log_level = debug
CONF
}
write_conf approve
start_daemon --config "$T/lancert.conf"
wait_log "gateway certificate"

c() { # curl against the gateway with its root; extra arguments follow
    curl -sS --max-time 5 --cacert "$S/ca.pem" --resolve "$GW:$HTTPS_PORT:127.0.0.1" "$@"
}
auth() { echo "Authorization: Bearer $TOKEN"; }
# post FROM BODY-FILE — POST enroll from 127.0.0.FROM; body in $T/r, status out.
# The client waits for the server's word before it sends a body (Expect:
# 100-continue), so a 413 is read, not lost to a reset mid-upload.
post() {
    c --interface "127.0.0.$1" -o "$T/r" -D "$T/h" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' -H 'Expect: 100-continue' --expect100-timeout 10 \
        --data-binary "@$2" "$API/enroll"
}
# csr_body NAME [TOKEN] — the JSON body {csr, token?} for $T/NAME.csr
csr_body() {
    if [ -n "${2:-}" ]; then
        jq -n --rawfile csr "$T/$1.csr" --arg t "$2" '{csr: $csr, token: $t}' >"$T/$1.json"
    else
        jq -n --rawfile csr "$T/$1.csr" '{csr: $csr}' >"$T/$1.json"
    fi
}
field() { jq -r "$1" "$T/r"; }
# state — what the store holds that a refusal must not change
state() {
    sqlite3 "$S/lancert.db" "SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM certs),
        (SELECT count(*) FROM names), (SELECT count(*) FROM enrollments),
        (SELECT count(*) FROM tokens WHERE used_at IS NOT NULL), (SELECT count(*) FROM dns_keys)"
}
# refused WHAT STATUS FROM BODY-FILE — a refusal: the status, a problem
# document, and no change in the store
refused() {
    before=$(state)
    expect_eq "$1: $2" "$(post "$3" "$4")" "$2"
    expect_match "$1: a problem document" "$(cat "$T/h")" 'application/problem\+json'
    expect_eq "$1: with its status" "$(field .status)" "$2"
    expect_eq "$1: nothing changed" "$(state)" "$before"
}
command -v jq >/dev/null || fail "jq is missing (Debian: jq)"

# --- GET ca -------------------------------------------------------------------------------
c -o "$T/r" "$API/ca" || fail "GET ca"
expect_eq "GET ca: the zone" "$(field .zone)" home.arpa
field .root >"$T/root.pem"
expect_eq "GET ca: the root is ca.pem" "$(openssl x509 -in "$T/root.pem" -noout -fingerprint -sha256)" \
    "$(openssl x509 -in "$S/ca.pem" -noout -fingerprint -sha256)"
expect_eq "GET ca: its fingerprint" "sha256 Fingerprint=$(field .fingerprint_sha256)" \
    "$(openssl x509 -in "$S/ca.pem" -noout -fingerprint -sha256)"
expect_match "GET ca: the chain ends with the root" "$(field .chain)" 'BEGIN CERTIFICATE'

# --- a hex name from its own address --------------------------------------------------------
make_csr hex ec:prime256v1 /CN=7f000005.home.arpa "DNS:7f000005.home.arpa"
csr_body hex
expect_eq "enrol from 127.0.0.5 for 7f000005: 201" "$(post 5 "$T/hex.json")" 201
HEX_ID=$(field .id)
expect_eq "status active" "$(field .status)" active
expect_eq "the names" "$(field '.names | join(",")')" 7f000005.home.arpa
field .certificate >"$T/hex.pem"
field .chain >"$T/hex.chain"
expect_match "the chain verifies" \
    "$(openssl verify -CAfile "$S/ca.pem" -untrusted "$T/hex.chain" "$T/hex.pem" 2>&1)" ': OK$'
expect_match "the certificate names the address" \
    "$(openssl x509 -in "$T/hex.pem" -noout -ext subjectAltName)" 'IP Address:127.0.0.5'
expect_eq "the certificate is for the CSR's key" \
    "$(openssl x509 -in "$T/hex.pem" -noout -pubkey | openssl sha256)" \
    "$(openssl pkey -in "$T/hex.key" -pubout | openssl sha256)"
expect_match "not_after is RFC 3339" "$(field .not_after)" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
expect_match "renew_after too" "$(field .renew_after)" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
expect_eq "the update key's name" "$(field .update_key.name)" "$HEX_ID.device.lancert"
expect_eq "its algorithm" "$(field .update_key.algorithm)" hmac-sha256
expect_eq "its secret is 32 bytes, base64" "$(field .update_key.secret | base64 -d | wc -c)" 32
expect_eq "the store has the certificate" \
    "$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM certs WHERE device_id = $HEX_ID")" 1

# GET enroll/{id} of an enrolled device: the certificate, never the key again.
expect_eq "GET enroll/$HEX_ID: 200" "$(c --interface 127.0.0.5 -o "$T/r" -w '%{http_code}' "$API/enroll/$HEX_ID")" 200
expect_eq "with the certificate" "$(field .certificate)" "$(cat "$T/hex.pem")"
expect_eq "without the update key" "$(field .update_key)" null
expect_eq "GET enroll/999: 404" "$(c -o /dev/null -w '%{http_code}' "$API/enroll/999")" 404
expect_eq "GET enroll/x: 404" "$(c -o /dev/null -w '%{http_code}' "$API/enroll/x")" 404

# --- refusals ------------------------------------------------------------------------------
make_csr other ec:prime256v1 /CN=x "DNS:7f000006.home.arpa"
csr_body other
refused "127.0.0.6's name from 127.0.0.5" 403 5 "$T/other.json"
expect_match "the detail names the address" "$(field .detail)" '127\.0\.0\.6'
make_csr ipsan ec:prime256v1 /CN=x "IP:127.0.0.9"
csr_body ipsan
refused "an IP SAN of another address" 403 5 "$T/ipsan.json"
printf '{"csr": ' >"$T/bad.json"
refused "malformed JSON" 400 5 "$T/bad.json"
printf '[1, 2]' >"$T/bad.json"
refused "JSON that is not an object" 400 5 "$T/bad.json"
printf '{"csr": 42}' >"$T/bad.json"
refused "csr of the wrong type" 400 5 "$T/bad.json"
printf '{"token": "abc"}' >"$T/bad.json"
refused "no csr" 400 5 "$T/bad.json"
jq -n --rawfile csr "$T/hex.csr" '{csr: $csr, token: 7}' >"$T/bad.json"
refused "token of the wrong type" 400 5 "$T/bad.json"
printf '{"csr": "-----BEGIN CERTIFICATE REQUEST-----\\nAAAA\\n-----END CERTIFICATE REQUEST-----\\n"}' >"$T/bad.json"
refused "a CSR that is not one" 400 5 "$T/bad.json"
printf '{"csr": "x", "csr": "y"}' >"$T/bad.json"
refused "a duplicate key" 400 5 "$T/bad.json"
: >"$T/bad.json"
refused "an empty body" 400 5 "$T/bad.json"
head -c 70000 /dev/zero | tr '\0' a | sed 's/^/{"csr":"/; s/$/"}/' >"$T/big.json"
refused "a body over 64 KiB" 413 5 "$T/big.json"
make_csr wild ec:prime256v1 /CN=x "DNS:*.home.arpa"
csr_body wild
refused "a wildcard" 400 5 "$T/wild.json"
make_csr outside ec:prime256v1 /CN=x "DNS:printer.example.com"
csr_body outside
refused "a name outside the zone" 400 5 "$T/outside.json"
make_csr gwname ec:prime256v1 /CN=x "DNS:$GW"
csr_body gwname
refused "the gateway's name" 400 5 "$T/gwname.json"
# 127.0.0.1 is the gateway's address (https_listen): its hex name is the
# gateway's by configuration (SPEC: the gateway's own name is reserved), so
# even a request from that address is refused, by name or by IP SAN.
make_csr gwhex ec:prime256v1 /CN=x "DNS:7f000001.home.arpa"
csr_body gwhex
refused "the gateway's hex name from the gateway's address" 400 1 "$T/gwhex.json"
expect_match "saying it is the gateway's" "$(field .detail)" "7f000001.home.arpa is the gateway's own name"
make_csr gwip ec:prime256v1 /CN=x "IP:127.0.0.1"
csr_body gwip
refused "the gateway's address as an IP SAN from it" 400 1 "$T/gwip.json"
jq -n --rawfile csr "$T/hex.csr" '{csr: $csr, token: "not-a-token"}' >"$T/bad.json"
refused "an unknown token" 403 5 "$T/bad.json"

# --- a friendly name under enroll_policy = approve ------------------------------------------
make_csr printer ec:prime256v1 /CN=printer "DNS:printer.home.arpa,DNS:7f000007.home.arpa"
csr_body printer
expect_eq "a friendly name under approve: 202" "$(post 7 "$T/printer.json")" 202
P_ID=$(field .id)
expect_eq "pending" "$(field .status)" pending
expect_eq "no certificate yet" "$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM certs WHERE device_id = $P_ID")" 0
expect_eq "GET enroll/$P_ID: pending" "$(c -s "$API/enroll/$P_ID" | jq -r .status)" pending
expect_eq "asking again: 202, the same id" "$(post 7 "$T/printer.json")/$(field .id)" "202/$P_ID"
make_csr thief ec:prime256v1 /CN=x "DNS:printer.home.arpa"
csr_body thief
expect_eq "another key may ask for it too: 202" "$(post 8 "$T/thief.json")" 202
THIEF_ID=$(field .id)

# The admin's view.
expect_eq "GET devices without the token: 401" "$(c -o /dev/null -w '%{http_code}' "$API/devices")" 401
expect_eq "GET devices with a wrong token: 401" \
    "$(c -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrongwrong' "$API/devices")" 401
c -H "$(auth)" -o "$T/r" "$API/devices"
expect_eq "GET devices lists the three" \
    "$(jq -r "[.devices[].id | select(. == $HEX_ID or . == $P_ID or . == $THIEF_ID)] | length" "$T/r")" 3
c -H "$(auth)" -o "$T/r" "$API/devices/$P_ID"
expect_eq "the pending device" "$(field .status)" pending
expect_eq "its requested names" "$(field '.requested_names | join(",")')" printer.home.arpa,7f000007.home.arpa
expect_eq "no certificates" "$(field '.certificates | length')/$(field .not_after)" 0/null
c -H "$(auth)" -o "$T/r" "$API/devices/$HEX_ID"
expect_eq "the enrolled device" "$(field .status)/$(field .hex_name)" active/7f000005.home.arpa
expect_eq "its address" "$(field '.addresses | join(",")')" 127.0.0.5
expect_match "created is RFC 3339" "$(field .created)" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
expect_eq "GET devices/999: 404" "$(c -o /dev/null -w '%{http_code}' -H "$(auth)" "$API/devices/999")" 404

before=$(state)
expect_eq "approve with a wrong token: 401" \
    "$(c -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer wrongwrong' "$API/devices/$P_ID/approve")" 401
expect_eq "and nothing changed" "$(state)" "$before"
expect_eq "approve an active device: 409" \
    "$(c -o /dev/null -w '%{http_code}' -X POST -H "$(auth)" "$API/devices/$HEX_ID/approve")" 409
expect_eq "approve: 200" "$(c -o "$T/r" -w '%{http_code}' -X POST -H "$(auth)" "$API/devices/$P_ID/approve")" 200
expect_eq "now active" "$(field .status)" active
expect_eq "with its names" "$(field '.names | join(",")')" 7f000007.home.arpa,printer.home.arpa
expect_eq "and one certificate" "$(field '.certificates | length')" 1
expect_eq "approve again: 409" \
    "$(c -o /dev/null -w '%{http_code}' -X POST -H "$(auth)" "$API/devices/$P_ID/approve")" 409
expect_eq "the other key's request: 409, the name is taken" \
    "$(c -o "$T/r" -w '%{http_code}' -X POST -H "$(auth)" "$API/devices/$THIEF_ID/approve")" 409
expect_match "saying so" "$(field .detail)" 'printer.home.arpa is held'

# The certificate, and the update key once, to the address that asked.
expect_eq "GET enroll/$P_ID from elsewhere: 200" \
    "$(c --interface 127.0.0.9 -o "$T/r" -w '%{http_code}' "$API/enroll/$P_ID")" 200
expect_eq "without the key" "$(field .update_key)" null
expect_eq "GET enroll/$P_ID from 127.0.0.7: 200" \
    "$(c --interface 127.0.0.7 -o "$T/r" -w '%{http_code}' "$API/enroll/$P_ID")" 200
expect_eq "with the key" "$(field .update_key.name)" "$P_ID.device.lancert"
field .certificate >"$T/printer.pem"
expect_match "the certificate verifies" \
    "$(openssl verify -CAfile "$S/ca.pem" -untrusted "$T/hex.chain" "$T/printer.pem" 2>&1)" ': OK$'
expect_match "it names printer" "$(openssl x509 -in "$T/printer.pem" -noout -ext subjectAltName)" \
    'DNS:printer.home.arpa'
c --interface 127.0.0.7 -o "$T/r" "$API/enroll/$P_ID"
expect_eq "the key only once" "$(field .update_key)" null

DIG="dig @127.0.0.1 -p $DNS_PORT +tries=1 +time=2 +short"
expect_eq "DNS answers printer at once" "$($DIG printer.home.arpa A)" 127.0.0.7

# A device that asks again after the approval, instead of polling, gets its
# key in that answer, once.
make_csr camera ec:prime256v1 /CN=camera "DNS:camera.home.arpa"
csr_body camera
expect_eq "camera under approve: 202" "$(post 12 "$T/camera.json")" 202
C_ID=$(field .id)
expect_eq "approve camera: 200" \
    "$(c -o /dev/null -w '%{http_code}' -X POST -H "$(auth)" "$API/devices/$C_ID/approve")" 200
expect_eq "camera asks again: 201" "$(post 12 "$T/camera.json")" 201
expect_eq "with its key" "$(field .update_key.name)" "$C_ID.device.lancert"
expect_eq "then GET enroll/$C_ID has none" "$(c --interface 127.0.0.12 "$API/enroll/$C_ID" | jq .update_key)" null
expect_eq "nor another POST" "$(post 12 "$T/camera.json")/$(field .update_key)" 201/null

# --- DELETE ----------------------------------------------------------------------------------
before=$(state)
expect_eq "DELETE with a wrong token: 401" \
    "$(c -o /dev/null -w '%{http_code}' -X DELETE -H 'Authorization: Bearer wrongwrong' "$API/devices/$P_ID")" 401
expect_eq "and nothing changed" "$(state)" "$before"
SERIAL=$(openssl x509 -in "$T/printer.pem" -noout -serial | cut -d= -f2)
expect_eq "DELETE: 200" "$(c -o "$T/r" -w '%{http_code}' -X DELETE -H "$(auth)" "$API/devices/$P_ID")" 200
expect_eq "revoked" "$(field .status)" revoked
expect_eq "with its serial" "$(field '.revoked | join(",")' | tr a-f A-F)" "$SERIAL"
expect_eq "DNS forgets printer at once" "$($DIG printer.home.arpa A)" ""
expect_match "NXDOMAIN" "$(dig @127.0.0.1 -p "$DNS_PORT" +tries=1 +time=2 printer.home.arpa A)" NXDOMAIN
expect_eq "the store holds no names of it" \
    "$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM names WHERE device_id = $P_ID")" 0
expect_eq "nor its update key" \
    "$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM dns_keys WHERE device_id = $P_ID")" 0
expect_eq "DELETE again: 409" "$(c -o /dev/null -w '%{http_code}' -X DELETE -H "$(auth)" "$API/devices/$P_ID")" 409
expect_eq "GET enroll/$P_ID: 403 refused" "$(c -o "$T/r" -w '%{http_code}' "$API/enroll/$P_ID")" 403
expect_match "saying refused" "$(field .detail)" refused
expect_eq "the same key cannot enrol again: 403" "$(post 7 "$T/printer.json")" 403
i=0
while :; do
    curl -s -o "$T/crl.der" "http://127.0.0.1:$HTTP_PORT/crl"
    openssl crl -inform DER -in "$T/crl.der" -noout -text 2>/dev/null | tr -d ' :' |
        grep -q "SerialNumber$SERIAL" && break
    [ $i -ge 50 ] && fail "the CRL did not list $SERIAL within 5 s"
    sleep 0.1
    i=$((i + 1))
done
ok "the CRL lists the device's certificate"
# The gateway's own key is no device: its certificate is tied to none and
# its names are held by none; the API lists the certificate, no device.
gw_certs() { # WHERE — the gateway's certificates that also match WHERE
    sqlite3 "$S/lancert.db" "SELECT count(*) FROM certs c JOIN cert_names n ON n.serial = c.serial
        WHERE n.name = '$GW' AND $1"
}
expect_eq "the gateway's certificate is in the store, tied to no device" "$(gw_certs 'c.device_id IS NULL')" 1
expect_eq "and none of its certificates is a device's" "$(gw_certs 'c.device_id IS NOT NULL')" 0
expect_eq "no device holds the gateway's hex name" \
    "$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM names WHERE name = '7f000001.home.arpa'")" 0
c -H "$(auth)" -o "$T/r" "$API/devices"
expect_eq "GET devices: none names the gateway" \
    "$(field '[.devices[].names[] | select(. == "gateway.home.arpa" or . == "7f000001.home.arpa")] | length')" 0
expect_eq "GET devices: the devices made here only" "$(field '[.devices[].id] | sort | join(",")')" \
    "$(sqlite3 "$S/lancert.db" "SELECT group_concat(id) FROM (SELECT id FROM devices ORDER BY id)")"
c -H "$(auth)" -o "$T/r" "$API/certificates"
expect_eq "GET certificates: the gateway's, with device_id null" \
    "$(field '[.certificates[] | select(.names | index("gateway.home.arpa")) | .device_id] | tostring')" "[null]"
# A pending request the admin deletes is refused.
expect_eq "DELETE a pending device: 200" \
    "$(c -o "$T/r" -w '%{http_code}' -X DELETE -H "$(auth)" "$API/devices/$THIEF_ID")" 200
expect_eq "nothing to revoke" "$(field '.revoked | length')" 0
expect_eq "GET enroll/$THIEF_ID: 403" "$(c -o /dev/null -w '%{http_code}' "$API/enroll/$THIEF_ID")" 403

# --- tokens under enroll_policy = token ------------------------------------------------------
write_conf token
kill -HUP "$DAEMON_PID"
wait_log "reloaded"
make_csr scanner ec:prime256v1 /CN=scanner "DNS:scanner.home.arpa"
csr_body scanner
refused "a friendly name without a token under token" 403 10 "$T/scanner.json"
expect_eq "POST tokens with a wrong token: 401" "$(c -o /dev/null -w '%{http_code}' -X POST \
    -H 'Authorization: Bearer wrongwrong' --data '{"names":["scanner"]}' "$API/tokens")" 401
for bad in '{"names":"scanner"}' '{"names":[]}' '{"names":[1]}' '{"names":["scanner"],"expires_in":"1"}' \
    '{"names":["scanner"],"expires_in":0}' '{"names":["scanner"],"expires_in":2592001}' \
    '{"names":["7f000005"]}' '{"names":["*.home.arpa"]}' '{"names":["gateway"]}' '{"names":' '{}'; do
    before=$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM tokens")
    expect_eq "POST tokens $bad: 400" \
        "$(c -o "$T/r" -w '%{http_code}' -X POST -H "$(auth)" --data "$bad" "$API/tokens")" 400
    expect_eq "no token made" "$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM tokens")" "$before"
done
expect_eq "POST tokens: 201" "$(c -o "$T/r" -w '%{http_code}' -X POST -H "$(auth)" \
    --data '{"names":["scanner", "Fax.home.arpa"]}' "$API/tokens")" 201
ETOKEN=$(field .token)
expect_match "a token of 43 base64url characters" "$ETOKEN" '^[A-Za-z0-9_-]{43}$'
expect_eq "for the names" "$(field '.names | join(",")')" scanner.home.arpa,fax.home.arpa
expect_match "expiring" "$(field .expires)" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
expect_eq "the store keeps its SHA-256" \
    "$(sqlite3 "$S/lancert.db" "SELECT lower(hex(hash)) FROM tokens WHERE id = $(field .id)")" \
    "$(printf '%s' "$ETOKEN" | sha256sum | cut -d' ' -f1)"
make_csr other2 ec:prime256v1 /CN=x "DNS:printer2.home.arpa"
csr_body other2 "$ETOKEN"
refused "a token that does not name it" 403 10 "$T/other2.json"
csr_body scanner "$ETOKEN"
expect_eq "with the token: 201" "$(post 10 "$T/scanner.json")" 201
expect_eq "scanner enrolled" "$(field '.names | join(",")')" scanner.home.arpa
expect_eq "DNS answers scanner" "$($DIG scanner.home.arpa A)" 127.0.0.10
make_csr fax ec:prime256v1 /CN=fax "DNS:fax.home.arpa"
csr_body fax "$ETOKEN"
refused "the token a second time" 403 11 "$T/fax.json"
expect_match "saying it was used" "$(field .detail)" 'used'
c -o "$T/r" -X POST -H "$(auth)" --data '{"names":["fax"], "expires_in": 60}' "$API/tokens"
SHORT=$(field .token)
expect_eq "expires_in: 60 is 60 s" \
    "$(sqlite3 "$S/lancert.db" "SELECT expires - created FROM tokens WHERE id = $(field .id)")" 60
# Its time passes: moved back in the store rather than waited for.
sqlite3 "$S/lancert.db" "UPDATE tokens SET expires = created - 1 WHERE id = $(field .id)"
csr_body fax "$SHORT"
refused "an expired token" 403 11 "$T/fax.json"
expect_match "saying it expired" "$(field .detail)" 'expired'
expect_eq "the hex name needs no token under token" "$(post 5 "$T/hex.json")" 201
expect_eq "the same key again: the same device" "$(field .id)" "$HEX_ID"
expect_eq "and no update key: it was shown once" "$(field .update_key)" null
expect_eq "two certificates now" \
    "$(c -H "$(auth)" "$API/devices/$HEX_ID" | jq '.certificates | length')" 2

stop_daemon || fail "lancertd did not stop cleanly"
grep -q -- "$TOKEN\|$ETOKEN" "$T/daemon.log" && fail "a token is in the daemon log"
ok "no token in the daemon log"

# --- a store from an older lancertd: a device for the gateway's key ---------------------------
# Made by hand as older versions made it: the gateway's certificate tied to
# a device of its own that holds the gateway's hex name. A second device
# holding a certificate naming the gateway and one that does not stays (a
# device is released only when all its certificates are the gateway's).
sqlite3 "$S/lancert.db" "
    INSERT INTO devices(key_id, status, created) VALUES (randomblob(32), 'active', 1);
    UPDATE certs SET device_id = last_insert_rowid() WHERE serial IN
        (SELECT serial FROM cert_names WHERE name = '$GW');
    INSERT INTO names(name, device_id, is_hex, created)
        VALUES ('7f000001.home.arpa', last_insert_rowid(), 1, 1);
    INSERT INTO devices(key_id, status, created) VALUES (randomblob(32), 'active', 2);
    INSERT INTO certs(serial, device_id, not_before, not_after, der)
        VALUES (x'7f000000000000000000000000000001', last_insert_rowid(), 0, 1, x'00'),
               (x'7f000000000000000000000000000002', last_insert_rowid(), 0, 1, x'00');
    INSERT INTO cert_names(name, serial) VALUES ('$GW', x'7f000000000000000000000000000001'),
        ('mixed.home.arpa', x'7f000000000000000000000000000002');" || fail "sqlite3"
LEGACY_ID=$(sqlite3 "$S/lancert.db" "SELECT device_id FROM names WHERE name = '7f000001.home.arpa'")
MIXED_ID=$(sqlite3 "$S/lancert.db" "SELECT device_id FROM certs WHERE serial = x'7f000000000000000000000000000002'")
[ -n "$LEGACY_ID" ] && [ -n "$MIXED_ID" ] || fail "the legacy rows"
n_devices=$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM devices")
start_daemon --config "$T/lancert.conf"
wait_log "gateway certificate"
expect_match "the start says it released one" "$(cat "$T/daemon.log")" \
    "removed 1 device made for the gateway's own keys"
expect_eq "the gateway's device is gone" "$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM devices
    WHERE id = $LEGACY_ID")" 0
expect_eq "the device with another certificate stays" "$(sqlite3 "$S/lancert.db" "SELECT count(*)
    FROM devices WHERE id = $MIXED_ID")" 1
expect_eq "one device fewer" "$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM devices")" $((n_devices - 1))
expect_eq "its certificate stays, tied to no device" \
    "$(gw_certs "c.device_id IS NULL AND c.serial != x'7f000000000000000000000000000001'")" 1
expect_eq "its hex name is no device's" \
    "$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM names WHERE name = '7f000001.home.arpa'")" 0
expect_eq "GET devices: not listed" \
    "$(c -H "$(auth)" "$API/devices" | jq --argjson id "$LEGACY_ID" '[.devices[] | select(.id == $id)] | length')" 0
stop_daemon || fail "lancertd did not stop cleanly"
ok "lancertd stopped again"

done_testing
