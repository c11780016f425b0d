#!/bin/sh
# The device endpoints on the HTTPS port, driven with curl and a JWS signed
# by tests/bin/jwssign (ca/jws.c, libjose): POST /api/v1/renew (same device,
# never more names, new key allowed, replay, stale, wrong key, foreign,
# revoked certificate, revoked device), PUT /api/v1/names/{name} (dig sees the
# new address at once), and GET /nic/update with curl -u (good, nochg,
# badauth, nohost, notfqdn, badagent, abuse after the burst).
. tests/integration/lib.sh

JWSSIGN=${JWSSIGN:-tests/bin/jwssign}
[ -x "$JWSSIGN" ] || fail "$JWSSIGN is missing (make check builds it)"
S=$T/state
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
DNS_PORT=$(free_port)
ALLOW="127.0.0.0/8 192.168.0.0/16"
GW=gateway.home.arpa
API="https://$GW:$HTTPS_PORT/api/v1"

$LANCERT ca init --state "$S" --allow "$ALLOW" >/dev/null || fail "ca init"
cat >"$T/lancert.conf" <<CONF
state_dir = $S
allow = $ALLOW
http_listen = 127.0.0.1:$HTTP_PORT
https_listen = 127.0.0.1:$HTTPS_PORT
dns_listen = 127.0.0.1:$DNS_PORT
log_level = debug
CONF

# Two devices, issued by the CLI: printer (a friendly and a hex name) and nas.
make_csr printer ec:P-256 /CN=printer
$LANCERT issue --state "$S" --csr "$T/printer.csr" --name printer --ip 127.0.0.5 >"$T/printer.pem" ||
    fail "issue printer"
make_csr nas ec:P-256 /CN=nas
$LANCERT issue --state "$S" --csr "$T/nas.csr" --name nas >"$T/nas.pem" || fail "issue nas"
PRINTER_KEY=$($LANCERT dns key create --device printer --state "$S" --json |
    sed -n 's/.*"secret": "\(.*\)".*/\1/p')
NAS_KEY=$($LANCERT dns key create --device nas --state "$S" --json |
    sed -n 's/.*"secret": "\(.*\)".*/\1/p')
expect_match "printer's update key" "$PRINTER_KEY" '^[A-Za-z0-9+/]{43}=$'

start_daemon --config "$T/lancert.conf"
wait_log "ready"

c() { curl -sS --max-time 5 --cacert "$S/ca.pem" --resolve "$GW:$HTTPS_PORT:127.0.0.1" "$@"; }
# csr_payload FILE — {"csr": "<PEM>"} with the newlines escaped
csr_payload() { printf '{"csr":"%s"}' "$(awk '{printf "%s\\n", $0}' "$1")"; }
# send METHOD URL JWSFILE — prints the body, then the status on its own line
send() { c -X "$1" -H 'Content-Type: application/json' --data-binary @"$3" -w '\n%{http_code}' "$2"; }
status() { printf '%s' "$1" | tail -n1; }
body() { printf '%s' "$1" | sed '$d'; }
# pem_of JSON MEMBER — the PEM string member of a JSON body, unescaped
pem_of() { printf '%s' "$1" | sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" | sed 's/\\n/\n/g'; }
sans() { openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' '; }

# --- renewal --------------------------------------------------------------------
make_csr same ec:P-256 /CN=anything # no SAN: the current names
"$JWSSIGN" "$T/printer.key" "$T/printer.pem" "$(csr_payload "$T/same.csr")" >"$T/r1.jws" ||
    fail "jwssign"
out=$(send POST "$API/renew" "$T/r1.jws")
expect_eq "renew: 201" "$(status "$out")" 201
b=$(body "$out")
expect_match "same device, active" "$b" '^\{"id":1,"status":"active",'
expect_match "the current names" "$b" '"names":\["7f000005.home.arpa","printer.home.arpa"\]'
expect_match "not_after and renew_after in RFC 3339" "$b" \
    '"not_after":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z".*"renew_after":"[0-9-]{10}T[0-9:]{8}Z"'
pem_of "$b" certificate >"$T/printer2.pem"
pem_of "$b" chain >"$T/chain.pem"
expect_match "the new certificate verifies against the root" \
    "$(openssl verify -CAfile "$S/ca.pem" "$T/printer2.pem" 2>&1)" ": OK$"
expect_eq "with the same names" "$(sans "$T/printer2.pem")" \
    "DNS:7f000005.home.arpa,DNS:printer.home.arpa,IPAddress:127.0.0.5"
expect_eq "for the new key" "$(openssl x509 -in "$T/printer2.pem" -noout -pubkey)" \
    "$(openssl pkey -in "$T/same.key" -pubout)"
expect_match "the chain is the CA" "$(openssl x509 -in "$T/chain.pem" -noout -subject)" "subject="
expect_eq "committed: two certificates for device 1" \
    "$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM certs WHERE device_id = 1")" 2
expect_eq "the device holds the new key" \
    "$(sqlite3 "$S/lancert.db" "SELECT lower(hex(key_id)) FROM devices WHERE id = 1")" \
    "$(openssl pkey -in "$T/same.key" -pubout -outform DER | sha256sum | cut -d' ' -f1)"
# printer and nas (the gateway's own key is no device)
expect_eq "and no device was added" "$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM devices")" 2

out=$(send POST "$API/renew" "$T/r1.jws")
expect_eq "the same JWS again: 409" "$(status "$out")" 409
expect_match "as a replay problem" "$(body "$out")" '"type":"urn:lancert:problem:replayed"'
expect_eq "nothing issued" "$(sqlite3 "$S/lancert.db" "SELECT count(*) FROM certs WHERE device_id = 1")" 2

# The renewed certificate renews again, with the names narrowed to one.
make_csr fewer ec:P-256 /CN=printer DNS:printer.home.arpa
"$JWSSIGN" "$T/same.key" "$T/printer2.pem" "$(csr_payload "$T/fewer.csr")" >"$T/r2.jws"
out=$(send POST "$API/renew" "$T/r2.jws")
expect_eq "renewing the renewed certificate: 201" "$(status "$out")" 201
expect_match "a name may be dropped" "$(body "$out")" '"names":\["printer.home.arpa"\]'
pem_of "$(body "$out")" certificate >"$T/printer3.pem"

make_csr wider ec:P-256 /CN=printer "DNS:printer.home.arpa,DNS:scanner.home.arpa"
"$JWSSIGN" "$T/fewer.key" "$T/printer3.pem" "$(csr_payload "$T/wider.csr")" >"$T/r3.jws"
out=$(send POST "$API/renew" "$T/r3.jws")
expect_eq "a name not on the certificate: 403" "$(status "$out")" 403
expect_match "says renewal never adds names" "$(body "$out")" "never adds names: scanner.home.arpa"
make_csr hex ec:P-256 /CN=printer "IP:127.0.0.5"
"$JWSSIGN" "$T/fewer.key" "$T/printer3.pem" "$(csr_payload "$T/hex.csr")" >"$T/r4.jws"
expect_eq "the dropped hex name does not come back: 403" \
    "$(status "$(send POST "$API/renew" "$T/r4.jws")")" 403
openssl req -new -key "$T/nas.key" -subj /CN=x -out "$T/stolen.csr" 2>/dev/null
"$JWSSIGN" "$T/fewer.key" "$T/printer3.pem" "$(csr_payload "$T/stolen.csr")" >"$T/r6.jws"
out=$(send POST "$API/renew" "$T/r6.jws")
expect_eq "a CSR key that is another device's: 409" "$(status "$out")" 409

"$JWSSIGN" "$T/fewer.key" "$T/printer3.pem" "$(csr_payload "$T/same.csr")" -400 >"$T/stale.jws"
out=$(send POST "$API/renew" "$T/stale.jws")
expect_eq "iat 400 s old: 403" "$(status "$out")" 403
expect_match "says to check the clock" "$(body "$out")" "clock"
"$JWSSIGN" "$T/nas.key" "$T/printer3.pem" "$(csr_payload "$T/same.csr")" >"$T/wrong.jws"
expect_eq "signed with another key: 403" "$(status "$(send POST "$API/renew" "$T/wrong.jws")")" 403
openssl req -x509 -new -key "$T/fewer.key" -subj /CN=printer.home.arpa -days 1 \
    -out "$T/self.pem" 2>/dev/null
"$JWSSIGN" "$T/fewer.key" "$T/self.pem" "$(csr_payload "$T/same.csr")" >"$T/self.jws"
out=$(send POST "$API/renew" "$T/self.jws")
expect_eq "a certificate not from our CA: 403" "$(status "$out")" 403
expect_match "says so" "$(body "$out")" "does not verify against this gateway's CA"
printf '{"protected":"e30","payload":"e30"}' >"$T/bad.jws"
expect_eq "not a JWS: 400" "$(status "$(send POST "$API/renew" "$T/bad.jws")")" 400
expect_eq "GET renew: 405" "$(c -o /dev/null -w '%{http_code}' "$API/renew")" 405

# The first certificate is revoked by the admin: it no longer renews.
SERIAL1=$(openssl x509 -in "$T/printer.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
expect_exit "revoke the first certificate" 0 $LANCERT certs revoke --state "$S" "$SERIAL1"
"$JWSSIGN" "$T/printer.key" "$T/printer.pem" "$(csr_payload "$T/same.csr")" >"$T/revoked.jws"
out=$(send POST "$API/renew" "$T/revoked.jws")
expect_eq "a revoked certificate: 403" "$(status "$out")" 403
expect_match "says it is revoked" "$(body "$out")" "revoked"

# A revoked device (as DELETE /api/v1/devices/{id} leaves it) renews nothing.
sqlite3 "$S/lancert.db" "UPDATE devices SET status = 'revoked' WHERE id = 2" || fail "sqlite3"
"$JWSSIGN" "$T/nas.key" "$T/nas.pem" "$(csr_payload "$T/nas.csr")" >"$T/nas.jws"
out=$(send POST "$API/renew" "$T/nas.jws")
expect_eq "a revoked device: 403" "$(status "$out")" 403
expect_match "with a clear detail" "$(body "$out")" "device 2 is revoked"
sqlite3 "$S/lancert.db" "UPDATE devices SET status = 'active' WHERE id = 2" || fail "sqlite3"
"$JWSSIGN" "$T/nas.key" "$T/nas.pem" "$(csr_payload "$T/nas.csr")" >"$T/nas2.jws"
expect_eq "active again: 201" "$(status "$(send POST "$API/renew" "$T/nas2.jws")")" 201

# --- PUT /api/v1/names/{name} ----------------------------------------------------
dig_a() { dig +short +time=2 +tries=1 -p "$DNS_PORT" @127.0.0.1 "$1" A; }
"$JWSSIGN" "$T/fewer.key" "$T/printer3.pem" '{"addresses":["192.168.1.50","192.168.1.51"]}' \
    >"$T/n1.jws"
out=$(send PUT "$API/names/printer" "$T/n1.jws")
expect_eq "PUT names/printer: 200" "$(status "$out")" 200
expect_eq "answers the name and addresses" "$(body "$out")" \
    '{"name":"printer.home.arpa","addresses":["192.168.1.50","192.168.1.51"]}'
expect_eq "DNS answers them at once" "$(dig_a printer.home.arpa | sort | tr '\n' ' ')" \
    "192.168.1.50 192.168.1.51 "
expect_eq "in the store" "$(sqlite3 "$S/lancert.db" \
    "SELECT count(*) FROM name_addresses WHERE name = 'printer.home.arpa'")" 2
expect_eq "the same JWS again: 409" "$(status "$(send PUT "$API/names/printer" "$T/n1.jws")")" 409
"$JWSSIGN" "$T/fewer.key" "$T/printer3.pem" '{"addresses":["192.168.1.52"]}' >"$T/n2.jws"
expect_eq "another device's name: 403" "$(status "$(send PUT "$API/names/nas.home.arpa" "$T/n2.jws")")" 403
"$JWSSIGN" "$T/fewer.key" "$T/printer3.pem" '{"addresses":["192.168.1.52"]}' >"$T/n3.jws"
expect_eq "a hex name: 403" "$(status "$(send PUT "$API/names/7f000005" "$T/n3.jws")")" 403
"$JWSSIGN" "$T/fewer.key" "$T/printer3.pem" '{"addresses":["8.8.8.8"]}' >"$T/n4.jws"
expect_eq "an address outside allow: 403" "$(status "$(send PUT "$API/names/printer" "$T/n4.jws")")" 403
"$JWSSIGN" "$T/fewer.key" "$T/printer3.pem" '{"addresses":"192.168.1.9"}' >"$T/n5.jws"
expect_eq "addresses not a list: 400" "$(status "$(send PUT "$API/names/printer" "$T/n5.jws")")" 400
"$JWSSIGN" "$T/printer.key" "$T/printer.pem" '{"addresses":["192.168.1.53"]}' >"$T/n6.jws"
expect_eq "signed with the revoked certificate: 403" \
    "$(status "$(send PUT "$API/names/printer" "$T/n6.jws")")" 403
expect_eq "DNS still answers the committed addresses" "$(dig_a printer.home.arpa | sort | tr '\n' ' ')" \
    "192.168.1.50 192.168.1.51 "

# --- /nic/update (dyndns2) ---------------------------------------------------------
NIC="https://$GW:$HTTPS_PORT/nic/update"
nic() { c -w ' %{http_code}' "$@"; }
expect_eq "good" "$(nic -u "1.device.lancert:$PRINTER_KEY" "$NIC?hostname=printer.home.arpa&myip=192.168.1.60")" \
    "good 192.168.1.60 200"
expect_eq "DNS answers the new address" "$(dig_a printer.home.arpa)" "192.168.1.60"
expect_eq "the same again: nochg" \
    "$(nic -u "1.device.lancert:$PRINTER_KEY" "$NIC?hostname=PRINTER.home.arpa.&myip=192.168.1.60")" \
    "nochg 192.168.1.60 200"
expect_eq "a wrong secret: badauth" \
    "$(nic -u "1.device.lancert:AAAA$PRINTER_KEY" "$NIC?hostname=printer.home.arpa&myip=192.168.1.61")" \
    "badauth 401"
expect_eq "another device's name: nohost" \
    "$(nic -u "1.device.lancert:$PRINTER_KEY" "$NIC?hostname=nas.home.arpa&myip=192.168.1.61")" \
    "nohost 200"
expect_eq "a single label: notfqdn" \
    "$(nic -u "1.device.lancert:$PRINTER_KEY" "$NIC?hostname=printer&myip=192.168.1.61")" "notfqdn 200"
expect_eq "DNS unchanged by the refusals" "$(dig_a printer.home.arpa)" "192.168.1.60"
expect_eq "no credentials: badauth" "$(nic "$NIC?hostname=printer.home.arpa")" "badauth 401"
# The burst is DYNDNS_BURST (10) per key and source; 5 were used above.
abuse_at=0
i=6
while [ $i -le 13 ]; do
    r=$(nic -u "1.device.lancert:$PRINTER_KEY" "$NIC?hostname=printer.home.arpa&myip=192.168.1.60")
    if [ "$r" = "abuse 200" ]; then abuse_at=$i; break; fi
    [ "$r" = "nochg 192.168.1.60 200" ] || fail "request $i: $r"
    i=$((i + 1))
done
[ $abuse_at -ge 11 ] && [ $abuse_at -le 12 ] || fail "abuse came at request $abuse_at, not after the burst of 10"
ok "abuse after the burst (request $abuse_at)"
expect_eq "the right secret is refused too while over the limit" \
    "$(nic -u "1.device.lancert:$PRINTER_KEY" "$NIC?hostname=printer.home.arpa&myip=192.168.1.62")" "abuse 200"
expect_eq "another key from the same source is not limited" \
    "$(nic -u "2.device.lancert:$NAS_KEY" "$NIC?hostname=nas.home.arpa")" "good 127.0.0.1 200"
expect_eq "no myip: the client's address" "$(dig_a nas.home.arpa)" "127.0.0.1"
expect_eq "an address outside allow: badagent" \
    "$(nic -u "2.device.lancert:$NAS_KEY" "$NIC?hostname=nas.home.arpa&myip=8.8.8.8")" "badagent 400"

# After a reload (SIGHUP) the device services run on the configuration and CA just loaded.
kill -HUP "$DAEMON_PID"
wait_log "reloaded"
"$JWSSIGN" "$T/fewer.key" "$T/printer3.pem" '{"addresses":["192.168.1.70"]}' >"$T/n7.jws"
expect_eq "PUT names after a reload: 200" "$(status "$(send PUT "$API/names/printer" "$T/n7.jws")")" 200
expect_eq "DNS answers it" "$(dig_a printer.home.arpa)" "192.168.1.70"

stop_daemon || fail "lancertd did not stop cleanly"
grep -q -- "$PRINTER_KEY" "$T/daemon.log" && fail "a secret is in the daemon log"
ok "no secret in the daemon log"

done_testing
