#!/bin/sh
# DNS UPDATE end to end: keys made by `lancert dns key`, updates sent with
# BIND's nsupdate (-k key file and -y NAME:SECRET, UDP and TCP), results read
# back with dig, persisted across a restart; and every refusal — unsigned,
# wrong secret, unknown key, another device's name, an address outside
# allow, computed names — shown to change nothing. (BADTIME needs a stale
# signature that nsupdate will not make: tests/unit/test_update.c has it.)
. tests/integration/lib.sh

S=$T/state
HTTP_PORT=$(free_port)
DNS_PORT=$(free_port)
while [ "$DNS_PORT" = "$HTTP_PORT" ]; do DNS_PORT=$(free_port); done
ALLOW="127.0.0.0/8 192.168.0.0/16 fc00::/7"
$LANCERT ca init --state "$S" --allow "$ALLOW" >/dev/null || fail "ca init"
# No response rate limit: the test's bursts of dig from one address would trip it.
DAEMON_ARGS="--state_dir=$S --dns_listen=127.0.0.1:$DNS_PORT --http_listen=127.0.0.1:$HTTP_PORT
    --https_listen=127.0.0.1:$(free_port) --dns_rrl=0"

# Two devices, each holding a friendly name (names belong to devices).
for dev in printer nas; do
    make_csr "$dev" ec:P-256 "/CN=$dev"
    $LANCERT issue --state "$S" --csr "$T/$dev.csr" --name "$dev" >/dev/null || fail "issue $dev"
done

# --- keys -----------------------------------------------------------------------
expect_exit "admin key" 0 $LANCERT dns key create --admin --state "$S"
cp "$T/out" "$T/admin.conf"
expect_match "printed as a BIND key clause" "$(tr -d '\n' <"$T/admin.conf")" \
    '^key "admin\.lancert" \{	algorithm hmac-sha256;	secret "[A-Za-z0-9+/]{43}=";\};$'
[ "$(wc -l <"$T/admin.conf")" -eq 4 ] || fail "the key clause is not 4 lines"
ok "the key clause is 4 lines, like tsig-keygen's"
ADMIN_SECRET=$(sed -n 's/.*secret "\(.*\)";/\1/p' "$T/admin.conf")
expect_exit "a second key of that name is refused" 8 $LANCERT dns key create --admin --state "$S"
expect_exit "hmac-sha512 admin key" 0 $LANCERT dns key create --admin --name big.admin \
    --algorithm hmac-sha512 --state "$S" --json
expect_match "a 64-byte secret" "$(cat "$T/out")" '"secret": "[A-Za-z0-9+/]{86}=="'
cp "$T/out" "$T/big.json"
BIG_SECRET=$(sed -n 's/.*"secret": "\(.*\)".*/\1/p' "$T/big.json")
expect_exit "device key for printer (by name)" 0 $LANCERT dns key create --device printer --state "$S"
cp "$T/out" "$T/printer.conf"
expect_match "device key name" "$(cat "$T/printer.conf")" '^key "1\.device\.lancert"'
expect_exit "device key for nas (by number)" 0 $LANCERT dns key create --device 2 --state "$S"
cp "$T/out" "$T/nas.conf"
expect_exit "no such device" 9 $LANCERT dns key create --device 99 --state "$S"
expect_exit "no device holds ghost" 9 $LANCERT dns key create --device ghost.home.arpa --state "$S"
expect_exit "--name is for admin keys" 2 $LANCERT dns key create --device 1 --name x --state "$S"
expect_exit "device key names are reserved" 19 $LANCERT dns key create --admin \
    --name 7.device.lancert --state "$S"
expect_exit "unknown algorithm" 2 $LANCERT dns key create --admin --name md5 --algorithm hmac-md5 --state "$S"
expect_exit "--admin or --device" 2 $LANCERT dns key create --state "$S"
expect_exit "dns key list" 0 $LANCERT dns key list --state "$S"
expect_eq "four keys listed" "$(wc -l <"$T/out")" 4
expect_match "the list shows whose" "$(cat "$T/out")" "1\.device\.lancert +hmac-sha256 +device 1"
grep -qF "$ADMIN_SECRET" "$T/out" && fail "the list shows a secret"
ok "the list shows no secret"
expect_exit "dns key list --json" 0 $LANCERT dns key list --state "$S" --json
expect_match "json list" "$(cat "$T/out")" '"device_id": null'

start_daemon $DAEMON_ARGS --allow="$ALLOW"

# q NAME TYPE — the answer's data, sorted, on one line
q() {
    dig @127.0.0.1 -p "$DNS_PORT" +short +tries=1 +time=2 "$1" "$2" | sort | tr '\n' ' ' | sed 's/ $//'
}
# rcode NAME TYPE — the response's status
rcode() {
    dig @127.0.0.1 -p "$DNS_PORT" +noall +comments +tries=1 +time=2 "$1" "$2" |
        sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
# U COMMAND... — the nsupdate commands of the next update, one per argument.
# (A file, not a pipe: a function in a pipeline runs in a subshell, where
# fail and ok would not reach this script.)
U() {
    { echo "server 127.0.0.1 $DNS_PORT"; echo "zone home.arpa"; printf '%s\n' "$@"; echo "send"; } >"$T/nsu"
}
# send NSUPDATE-ARGS... — sends the update U wrote to lancertd; nsupdate's
# status is returned, its messages are in $T/err.
send() {
    nsupdate -t 3 "$@" "$T/nsu" >"$T/out" 2>"$T/err"
}
# refused WHAT WANT NSUPDATE-ARGS... — the update U wrote fails with WANT
refused() {
    what=$1
    want=$2
    shift 2
    send "$@"
    st=$?
    [ "$st" -ne 0 ] || fail "$what: accepted"
    grep -q "update failed: $want" "$T/err" || fail "$what: want '$want', got '$(cat "$T/err")'"
    ok "$what: $want"
}

# --- adding and deleting addresses -------------------------------------------------
# Without a zone line nsupdate first asks for the SOA with a signed query
# and insists on a signed answer.
{ echo "server 127.0.0.1 $DNS_PORT"; echo "update add printer.home.arpa 300 A 192.168.1.50"; echo send; } >"$T/nsu"
send -k "$T/admin.conf"
expect_eq "nsupdate -k adds an A record (zone found by a signed SOA query)" $? 0
expect_eq "dig sees it" "$(q printer.home.arpa A)" "192.168.1.50"
out=$(dig @127.0.0.1 -p "$DNS_PORT" -y "hmac-sha256:admin.lancert:$ADMIN_SECRET" c0a80117.home.arpa A)
expect_match "a signed query gets a signed answer" "$out" "TSIG.*NOERROR"
case "$out" in *"Couldn't verify"*|*"could not be validated"*) fail "dig could not verify the answer" ;; esac
ok "dig verifies the answer's signature"
out=$(dig @127.0.0.1 -p "$DNS_PORT" -y "hmac-sha256:admin.lancert:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" c0a80117.home.arpa A)
expect_match "a query signed with the wrong secret gets NOTAUTH" "$out" "status: NOTAUTH"
expect_match "...with BADSIG" "$out" "BADSIG"
U "update add printer.home.arpa 300 A 192.168.1.51"; send -y "hmac-sha256:admin.lancert:$ADMIN_SECRET"
expect_eq "nsupdate -y adds another" $? 0
expect_eq "dig sees both" "$(q printer.home.arpa A)" "192.168.1.50 192.168.1.51"
U "update add printer.home.arpa 300 AAAA fd00::50"; send -v -y "hmac-sha512:big.admin:$BIG_SECRET"
expect_eq "over TCP with hmac-sha512" $? 0
expect_eq "dig sees the AAAA" "$(q printer.home.arpa AAAA)" "fd00::50"
U "update add printer.home.arpa 300 A 192.168.1.50"; send -k "$T/admin.conf"
expect_eq "adding a record that exists is fine" $? 0
expect_eq "and changes nothing" "$(q printer.home.arpa A)" "192.168.1.50 192.168.1.51"

stop_daemon || fail "lancertd did not stop cleanly"
start_daemon $DAEMON_ARGS --allow="$ALLOW"
expect_eq "A records survive a restart" "$(q printer.home.arpa A)" "192.168.1.50 192.168.1.51"
expect_eq "the AAAA too" "$(q printer.home.arpa AAAA)" "fd00::50"
expect_eq "in the store" "$(sqlite3 "$S/lancert.db" 'SELECT count(*) FROM name_addresses')" 3
serial1=$(q home.arpa SOA | awk '{ print $3 }')
U "update delete printer.home.arpa A 192.168.1.51"; send -k "$T/admin.conf"
expect_eq "delete one record" $? 0
expect_eq "one A left" "$(q printer.home.arpa A)" "192.168.1.50"
serial2=$(q home.arpa SOA | awk '{ print $3 }')
[ "$serial2" -gt "$serial1" ] || fail "SOA serial $serial1 -> $serial2 did not grow"
ok "the SOA serial grows on change ($serial1 -> $serial2)"
U "update delete printer.home.arpa AAAA"; send -k "$T/admin.conf"
expect_eq "delete an RRset" $? 0
expect_eq "no AAAA left" "$(q printer.home.arpa AAAA)" ""
expect_eq "the A stays" "$(q printer.home.arpa A)" "192.168.1.50"
U 'update add nas.home.arpa 300 A 192.168.1.60' 'update add nas.home.arpa 300 AAAA fd00::60'
send -k "$T/admin.conf"
expect_eq "two records in one update" $? 0
U "update delete nas.home.arpa"; send -k "$T/admin.conf"
expect_eq "delete every RRset of a name" $? 0
expect_eq "nas has no A" "$(q nas.home.arpa A)" ""
expect_eq "nor AAAA" "$(q nas.home.arpa AAAA)" ""
expect_eq "but is still held (NODATA, not NXDOMAIN)" "$(rcode nas.home.arpa A)" NOERROR

# --- _acme-challenge TXT ---------------------------------------------------------------
U 'update add _acme-challenge.printer.home.arpa 60 TXT "token-one"' \
    'update add _acme-challenge.printer.home.arpa 60 TXT "token-two"'
send -k "$T/admin.conf"
expect_eq "add two challenge TXT records" $? 0
expect_eq "dig sees them" "$(q _acme-challenge.printer.home.arpa TXT)" '"token-one" "token-two"'
U 'update delete _acme-challenge.printer.home.arpa TXT "token-one"'; send -k "$T/admin.conf"
expect_eq "delete one TXT" $? 0
expect_eq "one left" "$(q _acme-challenge.printer.home.arpa TXT)" '"token-two"'
U 'update delete _acme-challenge.printer.home.arpa TXT'; send -k "$T/admin.conf"
expect_eq "delete the TXT RRset" $? 0
# Four 255-byte strings make a 1100-byte answer: over 512 without EDNS it is
# cut to the question with TC set, and TCP carries it whole.
long=$(head -c 255 /dev/zero | tr '\0' a)
U "update add _acme-challenge.nas.home.arpa 60 TXT \"${long%a}1\"" \
    "update add _acme-challenge.nas.home.arpa 60 TXT \"${long%a}2\"" \
    "update add _acme-challenge.nas.home.arpa 60 TXT \"${long%a}3\"" \
    "update add _acme-challenge.nas.home.arpa 60 TXT \"${long%a}4\""
send -k "$T/admin.conf"
expect_eq "add four 255-byte TXT strings" $? 0
out=$(dig @127.0.0.1 -p "$DNS_PORT" +noedns +ignore +tries=1 +time=2 _acme-challenge.nas.home.arpa TXT)
expect_match "without EDNS the answer is truncated" "$out" "flags: qr aa tc"
expect_match "...to the question" "$out" "ANSWER: 0"
out=$(dig @127.0.0.1 -p "$DNS_PORT" +bufsize=1232 +ignore +tries=1 +time=2 _acme-challenge.nas.home.arpa TXT)
expect_match "with EDNS 1232 it fits" "$out" "ANSWER: 4"
out=$(dig @127.0.0.1 -p "$DNS_PORT" +noedns +tries=1 +time=2 _acme-challenge.nas.home.arpa TXT)
expect_match "dig retries over TCP and gets all four" "$out" "ANSWER: 4"
U 'update delete _acme-challenge.nas.home.arpa TXT'; send -k "$T/admin.conf"
expect_eq "delete them" $? 0
expect_eq "the challenge name is gone" "$(rcode _acme-challenge.printer.home.arpa TXT)" NXDOMAIN
U 'update add _acme-challenge.c0a80132.home.arpa 60 TXT "hex"'; send -k "$T/admin.conf"
expect_eq "the admin key sets a hex name's challenge" $? 0
expect_eq "dig sees it" "$(q _acme-challenge.c0a80132.home.arpa TXT)" '"hex"'

# --- prerequisites ------------------------------------------------------------------------
U 'prereq yxdomain printer.home.arpa' 'update add printer.home.arpa 300 A 192.168.1.52'
send -k "$T/admin.conf"
expect_eq "name in use: held" $? 0
U 'prereq nxdomain printer.home.arpa' 'update add printer.home.arpa 300 A 192.168.1.53'
refused "name not in use: held" YXDOMAIN -k "$T/admin.conf"
U 'prereq yxdomain ghost.home.arpa' 'update add printer.home.arpa 300 A 192.168.1.53'
refused "name in use: nobody holds ghost" NXDOMAIN -k "$T/admin.conf"
U 'prereq nxdomain ghost.home.arpa' 'prereq yxrrset printer.home.arpa A' \
    'update delete printer.home.arpa A 192.168.1.52'
send -k "$T/admin.conf"
expect_eq "ghost not in use, printer has A records" $? 0
U 'prereq nxrrset printer.home.arpa A' 'update add printer.home.arpa 300 A 192.168.1.53'
refused "RRset does not exist: it does" YXRRSET -k "$T/admin.conf"
U 'prereq yxrrset printer.home.arpa A 192.168.1.50' 'update add printer.home.arpa 300 A 192.168.1.54'
send -k "$T/admin.conf"
expect_eq "RRset exists with exactly this value" $? 0
U 'prereq yxrrset printer.home.arpa A 192.168.1.50' 'update add printer.home.arpa 300 A 192.168.1.53'
refused "RRset exists with this value: it holds more" NXRRSET -k "$T/admin.conf"
expect_eq "the refused prerequisites changed nothing" "$(q printer.home.arpa A)" "192.168.1.50 192.168.1.54"

# --- refusals: nothing changes -----------------------------------------------------------
before=$(q printer.home.arpa A)
U "update add printer.home.arpa 300 A 192.168.1.70"; refused "unsigned" REFUSED
U "update add printer.home.arpa 300 A 192.168.1.70"
WRONG=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
refused "wrong secret" "NOTAUTH(BADSIG)" -y "hmac-sha256:admin.lancert:$WRONG"
U "update add printer.home.arpa 300 A 192.168.1.70"
refused "unknown key" "NOTAUTH(BADKEY)" -y "hmac-sha256:nobody.lancert:$ADMIN_SECRET"
U "update add printer.home.arpa 300 A 192.168.1.70"
refused "the key's other algorithm" "NOTAUTH(BADKEY)" -y "hmac-sha512:admin.lancert:$ADMIN_SECRET"
U "update add printer.home.arpa 300 A 8.8.8.8"; refused "A outside allow" REFUSED -k "$T/admin.conf"
U "update add printer.home.arpa 300 AAAA 2001:db8::1"; refused "AAAA outside allow" REFUSED -k "$T/admin.conf"
U 'update add printer.home.arpa 300 A 192.168.1.70' 'update add printer.home.arpa 300 A 1.2.3.4'
refused "one bad record refuses the whole update" REFUSED -k "$T/admin.conf"
U "update add ghost.home.arpa 300 A 192.168.1.70"; refused "a name no device holds" REFUSED -k "$T/admin.conf"
U "update add c0a80132.home.arpa 300 A 192.168.1.70"; refused "a hex name" REFUSED -k "$T/admin.conf"
U "update delete c0a80132.home.arpa A"; refused "deleting a hex name's A" REFUSED -k "$T/admin.conf"
U "update add gateway.home.arpa 300 A 192.168.1.70"; refused "the gateway name" REFUSED -k "$T/admin.conf"
U "update delete home.arpa NS"; refused "the apex" REFUSED -k "$T/admin.conf"
U "update add _lancert._tcp.home.arpa 300 SRV 0 0 443 printer.home.arpa."
refused "the _lancert SRV" REFUSED -k "$T/admin.conf"
U "update add printer.home.arpa 300 TXT hello"; refused "TXT at a friendly name" REFUSED -k "$T/admin.conf"
U "update add www.printer.home.arpa 300 A 192.168.1.70"
refused "a name below a friendly name" REFUSED -k "$T/admin.conf"
U "update add printer.example.com 300 A 192.168.1.70"
refused "a name outside the zone" NOTZONE -k "$T/admin.conf"
expect_eq "no refusal changed printer" "$(q printer.home.arpa A)" "$before"
expect_eq "nor made ghost" "$(rcode ghost.home.arpa A)" NXDOMAIN
expect_eq "nor touched the hex name" "$(q c0a80132.home.arpa A)" "192.168.1.50"
expect_eq "nor the gateway" "$(q gateway.home.arpa A)" "127.0.0.1"

# --- device keys: their own names only ------------------------------------------------
U "update add printer.home.arpa 300 A 192.168.1.80"; send -k "$T/printer.conf"
expect_eq "a device key updates its own name" $? 0
U 'update add _acme-challenge.printer.home.arpa 60 TXT "mine"'; send -k "$T/printer.conf"
expect_eq "and its own challenge" $? 0
U "update add nas.home.arpa 300 A 192.168.1.81"; refused "another device's name" REFUSED -k "$T/printer.conf"
U 'update add _acme-challenge.nas.home.arpa 60 TXT "theirs"'
refused "another device's challenge" REFUSED -k "$T/printer.conf"
U 'update add _acme-challenge.gateway.home.arpa 60 TXT "gw"'
refused "the gateway's challenge" REFUSED -k "$T/printer.conf"
expect_eq "nas unchanged" "$(q nas.home.arpa A)" ""
expect_eq "no challenge for nas" "$(rcode _acme-challenge.nas.home.arpa TXT)" NXDOMAIN
expect_eq "printer has the device's address" "$(q printer.home.arpa A)" \
    "192.168.1.50 192.168.1.54 192.168.1.80"

# --- a deleted key stops working at once -------------------------------------------------
expect_exit "delete the printer's key" 0 $LANCERT dns key delete 1.device.lancert --state "$S"
expect_exit "deleting it again" 9 $LANCERT dns key delete 1.device.lancert --state "$S"
U "update add printer.home.arpa 300 A 192.168.1.90"
refused "a deleted key" "NOTAUTH(BADKEY)" -k "$T/printer.conf"
expect_eq "nothing changed" "$(q printer.home.arpa A)" "192.168.1.50 192.168.1.54 192.168.1.80"

grep -qF "$ADMIN_SECRET" "$T/daemon.log" && fail "a secret reached the log"
ok "no secret in the daemon's log"
expect_match "refusals are logged with their reason" "$(cat "$T/daemon.log")" \
    "refused \(rcode 5\): printer.home.arpa: 8.8.8.8 is outside the allowed ranges"
stop_daemon || fail "lancertd did not stop cleanly"
ok "lancertd stops cleanly"

done_testing
