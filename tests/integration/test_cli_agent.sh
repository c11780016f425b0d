#!/bin/sh
# `lancert agent` against the real lancertd over HTTPS: a pass with nothing
# due changes nothing; with the certificate due (--renew-before longer than
# its life) it renews and runs --reload-cmd; from another address
# (--address 127.0.0.6) it moves the friendly name (DNS answers the new
# address) and says the hex name cannot move; --redirect answers plain HTTP
# with a 308 to the device's HTTPS name, path and query kept, the Host and an
# absolute-form authority ignored; SIGTERM stops it.
. tests/integration/lib.sh

command -v dig >/dev/null || fail "dig is missing (Debian: bind9-dnsutils)"

S=$T/state
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
DNS_PORT=$(free_port)
ALLOW="127.0.0.0/8"
SERVER="https://127.0.0.1:$HTTPS_PORT"

$LANCERT ca init --state "$S" --allow "$ALLOW" >/dev/null || fail "ca init"
cat >"$T/lancert.conf" <<CONF
state_dir = $S
allow = $ALLOW
http_listen = 127.0.0.1:$HTTP_PORT
https_listen = 127.0.0.1:$HTTPS_PORT
dns_listen = 127.0.0.1:$DNS_PORT
enroll_policy = approve
CONF
C="--config $T/lancert.conf"
start_daemon --config "$T/lancert.conf"
wait_log "gateway certificate"

q() { dig @127.0.0.1 -p "$DNS_PORT" +short +tries=1 +time=2 "$1" "$2" | sort | tr '\n' ' ' | sed 's/ $//'; }
serial() { openssl x509 -in "$1" -noout -serial | sed 's/.*=//'; }

D=$T/dev
TOK=$($LANCERT token create $C web) || fail "token create"
expect_exit "enroll from 127.0.0.5 as web" 0 $LANCERT enroll --server "$SERVER" --ca "$S/ca.pem" \
    --address 127.0.0.5 --name web --token "$TOK" --out "$D"
expect_eq "web names 127.0.0.5" "$(q web.home.arpa A)" "127.0.0.5"

# --- arguments -------------------------------------------------------------------------------
expect_exit "agent --help" 0 $LANCERT agent --help
expect_match "says usage" "$(cat "$T/out")" "^usage: lancert agent"
expect_exit "agent without --server" 2 $LANCERT agent --dir "$D" --once
expect_exit "agent with a zero interval" 2 $LANCERT agent --server "$SERVER" --dir "$D" --interval 0
expect_exit "agent with a bad --redirect" 2 $LANCERT agent --server "$SERVER" --dir "$D" \
    --redirect nowhere
expect_exit "agent with a bad --address" 2 $LANCERT agent --server "$SERVER" --dir "$D" \
    --address 127.0.0.300 --once

# --- a pass with nothing to do ------------------------------------------------------------------
old=$(serial "$D/cert.pem")
expect_exit "agent --once, nothing due" 0 $LANCERT agent --server "$SERVER" --dir "$D" --once \
    --address 127.0.0.5 --reload-cmd "touch '$T/reloaded'"
expect_eq "the certificate is kept" "$(serial "$D/cert.pem")" "$old"
[ -e "$T/reloaded" ] && fail "--reload-cmd ran without a new certificate"
ok "--reload-cmd did not run"
expect_eq "nothing said" "$(cat "$T/err")" ""

# --- renewal when due -------------------------------------------------------------------------
expect_exit "agent --once, the certificate due" 0 $LANCERT agent --server "$SERVER" --dir "$D" \
    --once --address 127.0.0.5 --renew-before 34560000 --reload-cmd "touch '$T/reloaded'"
expect_match "it says why" "$(cat "$T/err")" "the certificate was due at 20[0-9-]+T"
[ "$(serial "$D/cert.pem")" != "$old" ] || fail "the agent kept the old certificate"
ok "the agent renewed the certificate"
openssl verify -CAfile "$S/ca.pem" -untrusted "$D/chain.pem" "$D/cert.pem" >/dev/null 2>&1 ||
    fail "the renewed certificate does not verify"
ok "the renewed certificate verifies"
[ -e "$T/reloaded" ] || fail "--reload-cmd did not run after the renewal"
ok "--reload-cmd ran after the renewal"
expect_exit "a failing --reload-cmd is logged, not fatal" 0 $LANCERT agent --server "$SERVER" \
    --dir "$D" --once --address 127.0.0.5 --renew-before 34560000 --reload-cmd "exit 3"
expect_match "logged" "$(cat "$T/err")" "--reload-cmd failed \(status 3\)"

# --- the address changes --------------------------------------------------------------------------
expect_exit "agent --once from 127.0.0.6" 0 $LANCERT agent --server "$SERVER" --dir "$D" --once \
    --address 127.0.0.6
expect_match "it says the address changed" "$(cat "$T/err")" "changed from 127.0.0.5 to 127.0.0.6"
expect_match "that the hex name cannot move" "$(cat "$T/err")" \
    "7f000005.home.arpa still names 127.0.0.5: a hex name cannot move"
expect_match "and that web moved" "$(cat "$T/err")" "moved web.home.arpa to 127.0.0.6"
expect_eq "web now names 127.0.0.6" "$(q web.home.arpa A)" "127.0.0.6"
expect_eq "the hex name still names 127.0.0.5" "$(q 7f000005.home.arpa A)" "127.0.0.5"
expect_eq "DIR/address keeps it" "$(cat "$D/address")" "127.0.0.6"
expect_exit "a second pass from 127.0.0.6" 0 $LANCERT agent --server "$SERVER" --dir "$D" --once \
    --address 127.0.0.6
expect_eq "has nothing to say" "$(cat "$T/err")" ""
expect_exit "a pass against nothing listening" 4 $LANCERT agent --server \
    "https://127.0.0.1:$(free_port)" --dir "$D" --once --address 127.0.0.7
expect_eq "keeps DIR/address" "$(cat "$D/address")" "127.0.0.6"

# --- the redirect listener --------------------------------------------------------------------------
RPORT=$(free_port)
$LANCERT agent --server "$SERVER" --dir "$D" --address 127.0.0.6 --redirect "127.0.0.1:$RPORT" \
    --https-port 8443 >"$T/agent.out" 2>"$T/agent.err" &
AGENT_PID=$!
trap 'kill -TERM "$AGENT_PID" 2>/dev/null; cleanup' EXIT INT TERM
i=0
until curl -s -o /dev/null "http://127.0.0.1:$RPORT/" || [ $i -ge 100 ]; do
    kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent exited: $(cat "$T/agent.err")"
    sleep 0.05
    i=$((i + 1))
done
curl -si "http://127.0.0.1:$RPORT/x?y" >"$T/r1" || fail "no answer from the redirect"
expect_match "308" "$(head -1 "$T/r1")" "^HTTP/1.1 308 "
expect_match "to the friendly name, path and query kept" "$(tr -d '\r' <"$T/r1")" \
    "Location: https://web.home.arpa:8443/x\?y"
curl -si -H "Host: evil.example" "http://127.0.0.1:$RPORT/a/b?c=d&e" >"$T/r2"
expect_match "a hostile Host is not reflected" "$(tr -d '\r' <"$T/r2")" \
    "Location: https://web.home.arpa:8443/a/b\?c=d&e"
curl -si -x "http://127.0.0.1:$RPORT" "http://evil.example/p?q" >"$T/r3"
expect_match "an absolute-form target keeps only its path" "$(tr -d '\r' <"$T/r3")" \
    "Location: https://web.home.arpa:8443/p\?q"
expect_match "and is a 308 too" "$(head -1 "$T/r3")" "^HTTP/1.1 308 "
long=$(head -c 5000 /dev/zero | tr '\0' a)
curl -si "http://127.0.0.1:$RPORT/$long" >"$T/r4"
expect_match "a request line over 4 KiB is refused" "$(head -1 "$T/r4")" "^HTTP/1.1 414 "
curl -si "http://127.0.0.1:$RPORT/after" >"$T/r5"
expect_match "and the listener goes on" "$(tr -d '\r' <"$T/r5")" \
    "Location: https://web.home.arpa:8443/after"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
expect_eq "SIGTERM stops it with status 0" "$?" 0
expect_match "saying so" "$(cat "$T/agent.err")" "lancert agent: stopped"
curl -s -o /dev/null "http://127.0.0.1:$RPORT/" && fail "the listener is still open"
ok "the listener is closed"

stop_daemon || fail "lancertd exit status"
done_testing
