#!/bin/sh
# lancertd on its HTTPS port, driven with curl and openssl: the gateway's own
# certificate, /healthz, the Host check, TLS versions and suites, the body
# limit, problem documents, and the certificate renewing itself under load.
. tests/integration/lib.sh

S=$T/state
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
ALLOW="127.0.0.0/8 192.168.0.0/16"
GW=gateway.home.arpa
U="https://$GW:$HTTPS_PORT"

$LANCERT ca init --state "$S" --allow "$ALLOW" >/dev/null || fail "ca init"
cat >"$T/lancert.conf" <<CONF
state_dir = $S
allow = $ALLOW
http_listen = 127.0.0.1:$HTTP_PORT
https_listen = 127.0.0.1:$HTTPS_PORT
dns_listen = 127.0.0.1:$(free_port)
log_level = debug
CONF

c() { # curl against the gateway with its root; extra arguments follow
    curl -sS --max-time 5 --cacert "$S/ca.pem" --resolve "$GW:$HTTPS_PORT:127.0.0.1" \
        --resolve "7f000001.home.arpa:$HTTPS_PORT:127.0.0.1" "$@"
}
code() { c -o /dev/null -w '%{http_code}' "$@"; }
s_client() { # s_client ARGS... — the handshake transcript
    echo | timeout 5 openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername $GW \
        -CAfile "$S/ca.pem" -verify_return_error "$@" 2>&1
}
served_serial() {
    s_client 2>/dev/null | openssl x509 -noout -serial 2>/dev/null | sed 's/serial=//'
}

expect_exit "gateway_cert_seconds below 10 is refused" 3 $LANCERTD --foreground \
    --config "$T/lancert.conf" --gateway_cert_seconds=5
start_daemon --config "$T/lancert.conf"
wait_log "gateway certificate"

# --- the gateway's own certificate --------------------------------------------
expect_eq "gateway.key is 0600" "$(stat -c %a "$S/gateway.key")" 600
out=$(openssl verify -CAfile "$S/ca.pem" "$S/gateway.pem" 2>&1)
expect_match "gateway.pem verifies against the root" "$out" "OK"
san=$(openssl x509 -in "$S/gateway.pem" -noout -ext subjectAltName)
expect_match "it names the gateway" "$san" "DNS:$GW"
expect_match "it names the gateway's hex name" "$san" "DNS:7f000001.home.arpa"
expect_match "it carries the gateway's address" "$san" "IP Address:127.0.0.1"
expect_eq "the store holds it" "$(sqlite3 "$S/lancert.db" 'SELECT count(*) FROM certs')" 1

# --- /healthz, verified chain ---------------------------------------------------
expect_eq "GET /healthz" "$(c "$U/healthz")" '{"status":"ok"}'
expect_eq "healthz is JSON" "$(c -o /dev/null -w '%{content_type}' "$U/healthz")" "application/json"
expect_eq "the chain verified (curl)" "$(c -o /dev/null -w '%{ssl_verify_result}' "$U/healthz")" 0
expect_eq "the hex name works too" "$(code "https://7f000001.home.arpa:$HTTPS_PORT/healthz")" 200
expect_eq "the address literal works too" \
    "$(curl -sS --cacert "$S/ca.pem" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$HTTPS_PORT/healthz")" 200
expect_match "openssl s_client verifies" "$(s_client)" "Verify return code: 0 \(ok\)"
c -D "$T/h" -o /dev/null "$U/healthz"
expect_match "HSTS" "$(cat "$T/h")" "Strict-Transport-Security: max-age="
expect_match "nosniff" "$(cat "$T/h")" "X-Content-Type-Options: nosniff"
expect_match "CSP" "$(cat "$T/h")" "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'"
expect_eq "HEAD /healthz" "$(code -I "$U/healthz")" 200

# --- Host: DNS-rebinding defence ---------------------------------------------------
expect_eq "another name is 421" "$(code -H 'Host: evil.example' "$U/healthz")" 421
expect_eq "another name with our port is 421" "$(code -H "Host: evil.example:$HTTPS_PORT" "$U/healthz")" 421
expect_eq "a device's name is 421" "$(code -H 'Host: printer.home.arpa' "$U/healthz")" 421
expect_eq "another address is 421" "$(code -H 'Host: 192.168.1.1' "$U/healthz")" 421
expect_match "421 is a problem document" "$(c -H 'Host: evil.example' "$U/healthz")" '"status":421'
expect_eq "a malformed Host is 400" "$(code -H 'Host: bad host' "$U/healthz")" 400
# curl sends one Host whatever it is given: two go out raw.
two_hosts=$(printf 'GET /healthz HTTP/1.1\r\nHost: %s\r\nHost: evil.example\r\nConnection: close\r\n\r\n' $GW |
    timeout 5 openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername $GW -quiet 2>/dev/null | head -n 1)
expect_match "two Host headers are 400" "$two_hosts" "^HTTP/1.1 400 "
expect_eq "a port of 0 is 400" "$(code -H "Host: $GW:0" "$U/healthz")" 400
expect_eq "the gateway name without the port is ours" "$(code -H "Host: $GW" "$U/healthz")" 200

# --- routes -----------------------------------------------------------------------
expect_eq "unknown path is 404" "$(code "$U/nope")" 404
expect_eq "404 is problem+json" "$(c -o /dev/null -w '%{content_type}' "$U/nope")" "application/problem+json"
expect_match "404 problem fields" "$(c "$U/nope")" \
    '^\{"type":"about:blank","title":"Not Found","status":404,"detail":"[^"]+"\}$'
expect_eq "a path that is not UTF-8 is 404, not 500" "$(code "$U/%ff%fe")" 404
expect_eq "POST /healthz is 405" "$(code -d x=1 "$U/healthz")" 405
c -D "$T/h" -o /dev/null -d x=1 "$U/healthz"
expect_match "405 says what is allowed" "$(cat "$T/h")" "Allow: GET, HEAD"

# --- limits -------------------------------------------------------------------------
head -c 70000 /dev/zero >"$T/big"
# The client waits for the server's word before it sends the body (Expect:
# 100-continue), so the 413 is read, not lost to a reset mid-upload.
expect_eq "a body over 64 KiB is 413" \
    "$(code -H 'Expect: 100-continue' --expect100-timeout 10 --data-binary @"$T/big" "$U/nope")" 413
head -c 60000 /dev/zero >"$T/small"
expect_eq "a body under 64 KiB reaches the route" "$(code --data-binary @"$T/small" "$U/healthz")" 405
expect_eq "a huge header is refused" \
    "$(code -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" "$U/healthz")" 431

# --- slow clients: one address cannot hold every connection ----------------------
# Sixteen finished handshakes that then say nothing, reading a FIFO no one writes to.
mkfifo "$T/hold"
exec 3<>"$T/hold"
holders=""
i=0
while [ $i -lt 16 ]; do
    openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername $GW -quiet <"$T/hold" \
        >/dev/null 2>&1 &
    holders="$holders $!"
    i=$((i + 1))
done
sleep 2
expect_eq "a 17th connection from the same address is refused" "$(code "$U/healthz")" 000
expect_eq "another address still gets in" \
    "$(c --interface 127.0.0.2 -o /dev/null -w '%{http_code}' "$U/healthz")" 200
# The holders stay; the server drops them after 15 s of silence.
waited=0
until [ "$(code "$U/healthz")" = 200 ] || [ $waited -ge 25 ]; do
    sleep 1
    waited=$((waited + 1))
done
expect_eq "idle connections time out and the address gets in again" "$(code "$U/healthz")" 200
for p in $holders; do kill "$p" 2>/dev/null; done
exec 3>&-

# --- TLS versions and suites ------------------------------------------------------
# SECLEVEL=0 lets the client offer old versions, so the refusal is the server's.
expect_match "TLS 1.3 works" "$(s_client -tls1_3)" "New, TLSv1.3"
expect_match "TLS 1.2 works" "$(s_client -tls1_2)" "New, TLSv1.2"
expect_match "TLS 1.1 is refused" "$(s_client -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0')" "Cipher is \(NONE\)"
expect_match "TLS 1.0 is refused" "$(s_client -tls1 -cipher 'DEFAULT:@SECLEVEL=0')" "Cipher is \(NONE\)"
expect_match "AES128-SHA (no forward secrecy, CBC) is refused" \
    "$(s_client -tls1_2 -cipher AES128-SHA)" "Cipher is \(NONE\)"
expect_match "ECDHE with CBC-SHA is refused" \
    "$(s_client -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA)" "Cipher is \(NONE\)"
expect_match "ECDHE-ECDSA-AES128-GCM works" \
    "$(s_client -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256)" "Cipher is ECDHE-ECDSA-AES128-GCM"
stop_daemon || fail "lancertd did not stop cleanly"

# --- a restart keeps a certificate that is still good ---------------------------------
before=$(openssl x509 -in "$S/gateway.pem" -noout -serial)
start_daemon --config "$T/lancert.conf"
expect_eq "a restart reuses the certificate" "$(openssl x509 -in "$S/gateway.pem" -noout -serial)" "$before"
stop_daemon || fail "lancertd did not stop cleanly"

# --- renewal under load, without a restart --------------------------------------------
# A 15 s life is due at two thirds: about 10 s after issue.
: >"$T/daemon.log"
start_daemon --config "$T/lancert.conf" --gateway_cert_seconds=15
wait_log "gateway certificate"
pid=$DAEMON_PID
first=$(served_serial)
[ -n "$first" ] || fail "no serial served"
ok "serving serial $first"
n=0
failed=0
last=$first
while [ $n -lt 400 ]; do
    got=$(c -o /dev/null -w '%{http_code}' "$U/healthz")
    [ "$got" = 200 ] || failed=$((failed + 1))
    n=$((n + 1))
    if [ $((n % 10)) -eq 0 ]; then
        last=$(served_serial)
        [ "$last" != "$first" ] && [ -n "$last" ] && break
    fi
    sleep 0.05
done
expect_eq "no request failed during renewal ($n requests)" "$failed" 0
[ "$last" != "$first" ] || fail "the served certificate did not change after $n requests"
ok "the served serial changed to $last"
expect_eq "the same process serves it" "$DAEMON_PID" "$pid"
expect_eq "the file holds the new certificate" \
    "$(openssl x509 -in "$S/gateway.pem" -noout -serial | sed 's/serial=//')" "$last"
expect_eq "the new key is 0600 too" "$(stat -c %a "$S/gateway.key")" 600
expect_eq "healthz after renewal" "$(c "$U/healthz")" '{"status":"ok"}'
expect_match "the new chain verifies" "$(s_client)" "Verify return code: 0 \(ok\)"
expect_eq "both are in the store" "$(sqlite3 "$S/lancert.db" 'SELECT count(*) >= 2 FROM certs')" 1
kill -HUP "$DAEMON_PID"
wait_log reloaded
expect_eq "serves after a reload" "$(code "$U/healthz")" 200
# Host 127.0.0.2 over the listener on 127.0.0.1.
at2() { curl -sS --cacert "$S/ca.pem" --connect-to "127.0.0.2:$HTTPS_PORT:127.0.0.1:$HTTPS_PORT" \
    -o /dev/null -w '%{http_code}' "$@" "https://127.0.0.2:$HTTPS_PORT/healthz" 2>/dev/null; }
expect_eq "127.0.0.2 is not the gateway yet" "$(at2 --insecure)" 421
expect_eq "nor in its certificate" "$(at2)" 000
echo "gateway_address = 127.0.0.1 127.0.0.2" >>"$T/lancert.conf"
: >"$T/daemon.log"
kill -HUP "$DAEMON_PID"
wait_log reloaded
expect_match "a reload with another address issues a new certificate" "$(cat "$T/daemon.log")" \
    "gateway certificate [0-9a-f]+ issued"
expect_match "it names the new address" "$(openssl x509 -in "$S/gateway.pem" -noout -ext subjectAltName)" \
    "IP Address:127.0.0.2"
expect_eq "and serves it, verified, with its Host accepted" "$(at2)" 200
stop_daemon || fail "lancertd did not stop cleanly"

done_testing
