#!/bin/sh
# lancertd on its plain-HTTP port, driven with curl and openssl: the landing
# page, /ca.pem, /ca.crt, /crl, the redirect rules, limits, reload and stop.
. tests/integration/lib.sh

S=$T/state
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
ALLOW="127.0.0.0/8 10.0.0.0/8 192.168.0.0/16 fc00::/7"
U="http://127.0.0.1:$HTTP_PORT"

$LANCERT ca init --state "$S" --allow "$ALLOW" >/dev/null || fail "ca init"
cat >"$T/lancert.conf" <<CONF
# a test configuration
state_dir = $S
allow = $ALLOW
http_listen = 127.0.0.1:$HTTP_PORT
dns_listen = 127.0.0.1:$(free_port)
https_listen = 127.0.0.1:$HTTPS_PORT   # the HTTPS port redirects name for the gateway
log_level = debug
CONF

# --- start-up refusals --------------------------------------------------------
expect_exit "lancertd --help" 0 $LANCERTD --help
expect_exit "unknown flag" 2 $LANCERTD --foreground --no-such-key=1
expect_exit "bad value" 3 $LANCERTD --foreground --config "$T/lancert.conf" --leaf_days=0
expect_match "bad value message" "$(cat "$T/err")" "leaf_days"
expect_exit "missing config file" 9 $LANCERTD --foreground --config "$T/nope.conf"
expect_exit "no CA in the state dir" 9 $LANCERTD --foreground --config "$T/lancert.conf" --state_dir="$T/empty"
expect_match "no-CA message" "$(cat "$T/err")" "lancert ca init"
expect_exit "allow wider than the CA" 3 $LANCERTD --foreground --config "$T/lancert.conf" --allow=0.0.0.0/0
expect_match "constraint message" "$(cat "$T/err")" "outside the CA's name constraints"

start_daemon --config "$T/lancert.conf"

# --- the fixed pages ----------------------------------------------------------
page=$(curl -s "$U/")
fp=$(openssl x509 -in "$S/ca.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
expect_match "landing page shows the root fingerprint" "$page" "$fp"
expect_match "landing page names the zone" "$page" "home.arpa"
expect_match "landing page links the root" "$page" 'href="/ca.crt"'
expect_match "landing page draws a QR code as inline SVG" "$page" '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 [0-9]+ [0-9]+"'
expect_match "the QR code's link names the gateway by address and port" "$page" \
    "href=\"http://127.0.0.1:$HTTP_PORT/ca.crt\""
curl -s -D "$T/h" -o /dev/null "$U/"
expect_match "CSP on the landing page" "$(cat "$T/h")" "Content-Security-Policy: default-src 'none'"
expect_match "nosniff" "$(cat "$T/h")" "X-Content-Type-Options: nosniff"
expect_match "frame-ancestors none" "$(cat "$T/h")" "frame-ancestors 'none'"
expect_eq "/ca.pem is the root" "$(curl -s "$U/ca.pem")" "$(cat "$S/ca.pem")"
ct=$(curl -s -o "$T/ca.der" -w '%{content_type}' "$U/ca.crt")
expect_eq "/ca.crt content type" "$ct" "application/x-x509-ca-cert"
expect_eq "/ca.crt is the root in DER" "$(openssl x509 -inform DER -in "$T/ca.der" -outform PEM)" "$(cat "$S/ca.pem")"
ct=$(curl -s -o "$T/crl.der" -w '%{content_type}' "$U/crl")
expect_eq "/crl content type" "$ct" "application/pkix-crl"
out=$(openssl crl -inform DER -in "$T/crl.der" -CAfile "$S/ca.pem" -noout 2>&1)
expect_match "/crl is signed by the root" "$out" "verify OK"
ct=$(curl -s -o "$T/profile" -w '%{content_type}' "$U/ca.mobileconfig")
expect_eq "/ca.mobileconfig content type" "$ct" "application/x-apple-aspen-config"
xmllint --noout "$T/profile" 2>"$T/xmlerr"
expect_eq "the profile is well-formed XML" "$?" 0
expect_match "a root certificate payload" "$(cat "$T/profile")" "<string>com.apple.security.root</string>"
sed -n 's/.*<data>\(.*\)<\/data>.*/\1/p' "$T/profile" | base64 -d >"$T/profile.der"
cmp -s "$T/profile.der" "$T/ca.der"
expect_eq "the profile's payload is exactly the root" $? 0
uuids=$(grep -A1 '<key>PayloadUUID</key>' "$T/profile" | sed -n 's/.*<string>\(.*\)<\/string>.*/\1/p' | sort -u | wc -l)
expect_eq "two distinct payload UUIDs" "$uuids" 2
expect_eq "the profile is the same on every request" "$(curl -s "$U/ca.mobileconfig" | md5sum)" "$(md5sum <"$T/profile")"
expect_eq "HEAD works" "$(curl -s -I -o /dev/null -w '%{http_code}' "$U/ca.pem")" 200
expect_eq "POST to a page is 405" "$(curl -s -o /dev/null -w '%{http_code}' -d x=1 "$U/")" 405

# --- redirects: path and query kept -------------------------------------------
code() { curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: $1" "$U$2"; }
expect_eq "allowed IPv4 literal -> hex name, port 443" "$(code 192.168.1.23 '/x/%41?y=1&z')" \
    "308 https://c0a80117.home.arpa/x/%41?y=1&z"
expect_eq "hex name -> itself" "$(code C0A80117.home.arpa:80 '/a?b')" "308 https://c0a80117.home.arpa/a?b"
expect_eq "friendly name" "$(code printer.home.arpa /admin)" "308 https://printer.home.arpa/admin"
expect_eq "IPv6 literal" "$(code '[fd00::17]' '/')" "308 https://fd000000000000000000000000000017.home.arpa/"
expect_eq "gateway name, other path -> gateway HTTPS port" "$(code gateway.home.arpa '/ui/?q=1')" \
    "308 https://gateway.home.arpa:$HTTPS_PORT/ui/?q=1"
expect_eq "gateway address, other path -> its hex name on the HTTPS port" "$(code 127.0.0.1 /setup)" \
    "308 https://7f000001.home.arpa:$HTTPS_PORT/setup"
expect_eq "gateway name serves /" "$(code gateway.home.arpa /)" "200 "
expect_eq "gateway's hex name serves /ca.pem" "$(code 7f000001.home.arpa /ca.pem)" "200 "
expect_eq "outside host is 421" "$(code example.com /)" "421 "
expect_eq "address outside the ranges is 421" "$(code 8.8.8.8 /x)" "421 "
expect_eq "hex name outside the ranges is 421" "$(code 08080808.home.arpa /x)" "421 "
expect_eq "service name is 421" "$(code _lancert._tcp.home.arpa /x)" "421 "
expect_eq "malformed host is 400" "$(code 'bad host' /)" "400 "
expect_eq "dotted digits that are no address are 400" "$(code 1.2.3 /)" "400 "
expect_eq "port 0 is 400" "$(code printer.home.arpa:0 /)" "400 "
expect_eq "port 99999 is 400" "$(code printer.home.arpa:99999 /)" "400 "
expect_eq "unclosed IPv6 bracket is 400" "$(code '[fd00::1' /)" "400 "
expect_eq "underscore in a name is 400" "$(code 'a_b.home.arpa' /)" "400 "

# --- limits -------------------------------------------------------------------
long=$(head -c 40000 /dev/zero | tr '\0' a)
c=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $long" "$U/")
case "$c" in 4*) ok "40 KB of headers refused ($c)" ;; *) fail "40 KB of headers: $c" ;; esac
c=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: printer.home.arpa" "$U/$(head -c 3000 /dev/zero | tr '\0' b)")
case "$c" in 4*) ok "overlong request target refused ($c)" ;; *) fail "overlong target: $c" ;; esac
# Slow clients from one address cannot hold every connection: 20 idle
# connections from 127.0.0.1 hit the per-address limit, others still get in.
idlers=""
for i in $(seq 1 20); do
    bash -c "exec 3<>/dev/tcp/127.0.0.1/$HTTP_PORT; sleep 3" 2>/dev/null &
    idlers="$idlers $!"
done
sleep 0.5
c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$U/ca.pem")
expect_eq "the idle address is at its connection limit" "$c" "000"
c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --interface 127.0.0.3 "$U/ca.pem")
expect_eq "another address is still served" "$c" 200
kill $idlers 2>/dev/null

# --- reload and stop ----------------------------------------------------------
$LANCERT ca init --state "$S" --force --allow "$ALLOW" >/dev/null || fail "ca init --force"
kill -HUP "$DAEMON_PID"
i=0
while [ $i -lt 50 ] && [ "$(curl -s "$U/ca.pem")" != "$(cat "$S/ca.pem")" ]; do sleep 0.1; i=$((i + 1)); done
expect_eq "SIGHUP reloads the new root" "$(curl -s "$U/ca.pem")" "$(cat "$S/ca.pem")"
expect_match "reload logged" "$(cat "$T/daemon.log")" "reloaded"
stop_daemon
expect_eq "SIGTERM stops cleanly" $? 0
expect_match "stop logged" "$(cat "$T/daemon.log")" "stopping on signal 15"

done_testing
