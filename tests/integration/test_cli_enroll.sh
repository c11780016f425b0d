#!/bin/sh
# The device and admin verbs of lancert against the real lancertd over HTTPS:
# enroll from 127.0.0.x (the root fetched over plain HTTP and pinned by
# --fingerprint, or given by --ca), the files and their modes, the update key
# used with nsupdate -k; a friendly name waiting for `devices approve` (the
# enroll waiting, and picked up later with --id); `token create` and an
# enrolment with the token; `renew` with the current key and with --new-key;
# `devices list|show|revoke`; and the refusals, each with its exit status.
. tests/integration/lib.sh

command -v openssl >/dev/null || fail "openssl is missing"
command -v nsupdate >/dev/null || fail "nsupdate is missing (Debian: bind9-dnsutils)"
command -v dig >/dev/null || fail "dig is missing (Debian: bind9-dnsutils)"

S=$T/state
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
DNS_PORT=$(free_port)
ALLOW="127.0.0.0/8 192.168.0.0/16"
SERVER="https://127.0.0.1:$HTTPS_PORT"

$LANCERT ca init --state "$S" --allow "$ALLOW" >/dev/null || fail "ca init"
cat >"$T/lancert.conf" <<CONF
state_dir = $S
allow = $ALLOW
http_listen = 127.0.0.1:$HTTP_PORT
https_listen = 127.0.0.1:$HTTPS_PORT
dns_listen = 127.0.0.1:$DNS_PORT
enroll_policy = approve
log_level = debug
CONF
C="--config $T/lancert.conf"
start_daemon --config "$T/lancert.conf"
wait_log "gateway certificate"
FP=$(openssl x509 -in "$S/ca.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
CA_URL="http://127.0.0.1:$HTTP_PORT/ca.pem"

q() { # NAME TYPE — the answer's data from lancertd's DNS, sorted, on one line
    dig @127.0.0.1 -p "$DNS_PORT" +short +tries=1 +time=2 "$1" "$2" | sort | tr '\n' ' ' | sed 's/ $//'
}
sans() { openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' '; }
serial() { openssl x509 -in "$1" -noout -serial | sed 's/.*=//' | tr A-F a-f; }
pubkey() { openssl pkey -in "$1" -pubout 2>/dev/null; }
certkey() { openssl x509 -in "$1" -noout -pubkey; }
verify() { # DIR — cert.pem chains to the root through chain.pem
    openssl verify -CAfile "$S/ca.pem" -untrusted "$1/chain.pem" "$1/cert.pem" >/dev/null 2>&1
}

# --- --help and arguments ------------------------------------------------------------
for verb in "enroll" "renew" "devices list" "devices show" "devices approve" \
    "devices revoke" "token create"; do
    # shellcheck disable=SC2086
    expect_exit "$verb --help" 0 $LANCERT $verb --help
    expect_match "$verb --help says usage" "$(cat "$T/out")" "^usage: lancert $verb"
done
expect_exit "enroll without --server" 2 $LANCERT enroll --out "$T/x"
expect_exit "enroll with an http server" 2 $LANCERT enroll --server "http://127.0.0.1:$HTTP_PORT"
expect_exit "enroll without a way to trust the gateway" 2 $LANCERT enroll --server "$SERVER" --out "$T/x"
expect_match "which says what to give" "$(cat "$T/err")" "^lancert: give --ca FILE or --fingerprint"
expect_eq "one line on stderr" "$(wc -l <"$T/err")" 1
expect_exit "a fingerprint of the wrong length" 2 $LANCERT enroll --server "$SERVER" --out "$T/x" \
    --fingerprint AB:CD
wrong=$(printf '%s' "$FP" | tr '0-9A-F' 'A-F0-9')
expect_exit "another root's fingerprint" 12 $LANCERT enroll --server "$SERVER" --out "$T/x" \
    --fingerprint "$wrong" --ca-url "$CA_URL"
[ -e "$T/x/key.pem" ] && fail "a key was made before the gateway was trusted"
ok "no key is made before the gateway is trusted"
expect_exit "devices show needs an id" 2 $LANCERT devices show $C
expect_exit "devices approve of a non-number" 2 $LANCERT devices approve $C ../1
expect_exit "token create needs a name" 2 $LANCERT token create $C
expect_exit "token create --expires over 30 days" 2 $LANCERT token create $C x --expires 2592001

# --- enroll by address, the root pinned by fingerprint ---------------------------------------
D5=$T/d5
expect_exit "enroll from 127.0.0.5 (--fingerprint)" 0 $LANCERT enroll --server "$SERVER" \
    --address 127.0.0.5 --fingerprint "$FP" --ca-url "$CA_URL" --out "$D5"
expect_match "it says so" "$(cat "$T/out")" "^enrolled device [0-9]+: 7f000005.home.arpa, until 20"
expect_eq "key.pem is 0600" "$(stat -c %a "$D5/key.pem")" 600
expect_eq "update.key is 0600" "$(stat -c %a "$D5/update.key")" 600
expect_eq "the directory is 0700" "$(stat -c %a "$D5")" 700
expect_eq "ca.pem is the root" "$(cat "$D5/ca.pem")" "$(cat "$S/ca.pem")"
verify "$D5" || fail "cert.pem does not verify against the root"
ok "cert.pem verifies against the root through chain.pem"
expect_eq "cert.pem certifies key.pem" "$(certkey "$D5/cert.pem")" "$(pubkey "$D5/key.pem")"
expect_match "key.pem is P-256" "$(openssl pkey -in "$D5/key.pem" -noout -text)" "NIST CURVE: P-256"
expect_match "the hex name of the address it came from" "$(sans "$D5/cert.pem")" \
    "DNS:7f000005.home.arpa"
expect_match "and the address" "$(sans "$D5/cert.pem")" "IPAddress:127.0.0.5"
expect_match "update.key is a key clause" "$(cat "$D5/update.key")" \
    'key "[0-9]+\.device\.lancert" \{'
expect_match "with the dyndns2 user" "$(cat "$D5/update.key")" '# dyndns2-user: [0-9]+\.device\.lancert'
for f in "$D5"/* "$D5"/.[!.]*; do
    case "${f##*/}" in
        ca.pem | cert.pem | chain.pem | key.pem | update.key | ".[!.]*") ;;
        *) fail "stray file $f" ;;
    esac
done
ok "only the five files, no temporaries"
expect_exit "enroll again into the same directory" 8 $LANCERT enroll --server "$SERVER" \
    --address 127.0.0.5 --out "$D5"
expect_match "says to renew instead" "$(cat "$T/err")" "holds a certificate: use 'lancert renew'"
expect_eq "cert.pem still certifies key.pem" "$(certkey "$D5/cert.pem")" "$(pubkey "$D5/key.pem")"

# --- admin verbs: the config's https_listen, the state dir's root and token -------------------
expect_exit "devices list" 0 $LANCERT devices list $C
expect_match "shows the device" "$(cat "$T/out")" "^[0-9]+ +active +until 20[^ ]+ +7f000005.home.arpa$"
ID5=$(sed -n 's/^\([0-9]*\) .*7f000005.home.arpa$/\1/p' "$T/out")
expect_exit "devices show" 0 $LANCERT devices show $C "$ID5"
expect_match "with its address" "$(cat "$T/out")" "addresses +127.0.0.5"
expect_match "and its certificate" "$(cat "$T/out")" "certificates +$(serial "$D5/cert.pem")"
expect_exit "devices show --json" 0 $LANCERT devices show $C --json "$ID5"
expect_match "is the API's record" "$(tr -d ' \n' <"$T/out")" "\"hex_name\":\"7f000005.home.arpa\""
expect_exit "devices show of nobody" 9 $LANCERT devices show $C 9999
expect_match "one line from the problem document" "$(cat "$T/err")" "^lancert: devices show 9999: 404"
printf 'wrongwrongwrong\n' >"$T/bad.token"
expect_exit "a wrong admin token" 21 $LANCERT devices list $C --token-file "$T/bad.token"
expect_exit "--ca of another root" 4 $LANCERT devices list $C --ca "$D5/cert.pem"
expect_exit "--server of nothing listening" 4 $LANCERT devices list $C \
    --server "https://127.0.0.1:$(free_port)" --ca "$S/ca.pem"

# --- a friendly name waits for the admin ---------------------------------------------------------
D6=$T/d6
$LANCERT enroll --server "$SERVER" --ca "$S/ca.pem" --address 127.0.0.6 --name Printer \
    --wait 60 --out "$D6" >"$T/e6.out" 2>"$T/e6.err" &
E6=$!
i=0
until grep -q "awaits" "$T/e6.err" 2>/dev/null || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
ID6=$(sed -n 's/.*device \([0-9]*\) awaits.*/\1/p' "$T/e6.err")
expect_match "enroll says which device awaits approval" "$ID6" '^[0-9]+$'
expect_exit "devices list" 0 $LANCERT devices list $C
expect_match "lists it pending with the names it asks for" "$(cat "$T/out")" \
    "^$ID6 +pending +asks for 7f000006.home.arpa printer.home.arpa$"
expect_exit "devices approve" 0 $LANCERT devices approve $C "$ID6"
expect_match "says so" "$(cat "$T/out")" "^approved device $ID6"
wait $E6
expect_eq "the waiting enroll finishes" $? 0
expect_match "with both names" "$(cat "$T/e6.out")" "7f000006.home.arpa printer.home.arpa"
expect_match "in the certificate" "$(sans "$D6/cert.pem")" "DNS:printer.home.arpa"
verify "$D6" || fail "the approved certificate does not verify"
ok "the approved certificate verifies"
expect_eq "printer.home.arpa answers in DNS" "$(q printer.home.arpa A)" 127.0.0.6
expect_exit "approve it again" 8 $LANCERT devices approve $C "$ID6"

# The update key works with nsupdate -k for the device's own friendly name.
{ echo "server 127.0.0.1 $DNS_PORT"; echo "zone home.arpa"
  echo "update add printer.home.arpa 300 A 192.168.1.66"; echo send; } >"$T/nsu"
nsupdate -t 3 -k "$D6/update.key" "$T/nsu" >"$T/out" 2>"$T/err" ||
    fail "nsupdate -k update.key: $(cat "$T/err")"
ok "nsupdate -k update.key is accepted"
expect_match "and the name has the address" "$(q printer.home.arpa A)" "192.168.1.66"

# Not waiting, then picking the request up with --id.
D8=$T/d8
expect_exit "enroll --wait 0 while approval is needed" 21 $LANCERT enroll --server "$SERVER" \
    --ca "$S/ca.pem" --address 127.0.0.8 --name scanner --wait 0 --out "$D8"
ID8=$(sed -n 's/.*device \([0-9]*\) awaits.*/\1/p' "$T/err")
expect_match "says to rerun with --id" "$(cat "$T/err")" "rerun with --id $ID8"
expect_eq "key.pem is kept for it" "$(stat -c %a "$D8/key.pem")" 600
expect_exit "--id before approval, not waiting" 21 $LANCERT enroll --server "$SERVER" \
    --address 127.0.0.8 --wait 0 --id "$ID8" --out "$D8"
expect_exit "approve it" 0 $LANCERT devices approve $C --json "$ID8"
expect_match "approve --json is the device" "$(tr -d ' \n' <"$T/out")" "\"status\":\"active\""
expect_exit "enroll --id picks the certificate up" 0 $LANCERT enroll --server "$SERVER" \
    --address 127.0.0.8 --wait 0 --id "$ID8" --out "$D8"
expect_eq "for the key it kept" "$(certkey "$D8/cert.pem")" "$(pubkey "$D8/key.pem")"
expect_match "with the update key" "$(cat "$D8/update.key")" "key \"$ID8\.device\.lancert\""

# --- enrolment tokens ----------------------------------------------------------------------------
expect_exit "token create" 0 $LANCERT token create $C nas --expires 600
TOK=$(cat "$T/out")
expect_match "prints the token alone" "$TOK" '^[A-Za-z0-9_-]{20,}$'
expect_exit "token create --json" 0 $LANCERT token create $C --json other
expect_match "with the API's fields" "$(tr -d ' \n' <"$T/out")" '"expires":.*"names":\["other.*"token":"'
D7=$T/d7
$LANCERT ca export --state "$S" >"$T/root.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/nas.key" 2>/dev/null
expect_exit "enroll with the token and its own P-384 key (no waiting)" 0 $LANCERT enroll \
    --server "$SERVER" --ca "$T/root.pem" --address 127.0.0.7 --name nas --token "$TOK" \
    --key "$T/nas.key" --wait 0 --out "$D7" --json
expect_match "--json says so" "$(tr -d ' \n' <"$T/out")" \
    '"names":\["7f000007.home.arpa","nas.home.arpa"\],.*"status":"active","update_key":true'
expect_eq "--key is copied to key.pem" "$(pubkey "$D7/key.pem")" "$(pubkey "$T/nas.key")"
expect_eq "which is 0600" "$(stat -c %a "$D7/key.pem")" 600
expect_exit "the token again, from another address" 21 $LANCERT enroll --server "$SERVER" \
    --ca "$T/root.pem" --address 127.0.0.9 --name nas --token "$TOK" --wait 0 --out "$T/d9"
k9=$(pubkey "$T/d9/key.pem")
TOK2=$($LANCERT token create $C nas2) || fail "token create nas2"
expect_exit "a second try in that directory (its ca.pem, a good token)" 0 $LANCERT enroll \
    --server "$SERVER" --address 127.0.0.9 --name nas2 --token "$TOK2" --wait 0 --out "$T/d9"
expect_eq "reuses the key the refused try made" "$(certkey "$T/d9/cert.pem")" "$k9"

# --- renew -----------------------------------------------------------------------------------------
old_serial=$(serial "$D7/cert.pem")
old_key=$(pubkey "$D7/key.pem")
expect_exit "renew" 0 $LANCERT renew --server "$SERVER" --dir "$D7"
expect_match "it says so" "$(cat "$T/out")" "^renewed device [0-9]+: .*nas.home.arpa"
[ "$(serial "$D7/cert.pem")" != "$old_serial" ] || fail "renew kept the old certificate"
ok "renew wrote a new certificate"
expect_eq "for the same key" "$(certkey "$D7/cert.pem")" "$old_key"
expect_match "and the same names: the hex name" "$(sans "$D7/cert.pem")" "DNS:7f000007.home.arpa"
expect_match "and the friendly name" "$(sans "$D7/cert.pem")" "DNS:nas.home.arpa"
expect_eq "and no other" "$(sans "$D7/cert.pem" | tr ',' '\n' | grep -c '^DNS:')" 2
verify "$D7" || fail "the renewed certificate does not verify"
ok "the renewed certificate verifies"
expect_exit "renew --new-key" 0 $LANCERT renew --server "$SERVER" --dir "$D7" --new-key
[ "$(pubkey "$D7/key.pem")" != "$old_key" ] || fail "--new-key kept the old key"
ok "--new-key replaced key.pem"
expect_eq "the new certificate certifies it" "$(certkey "$D7/cert.pem")" "$(pubkey "$D7/key.pem")"
expect_eq "key.pem is still 0600" "$(stat -c %a "$D7/key.pem")" 600
[ -e "$D7/key.pem.new" ] && fail "key.pem.new was left behind"
ok "no key.pem.new left behind"
# A certificate and a key that do not belong together are refused at home.
mkdir "$T/mixed" && cp "$D7/cert.pem" "$D7/ca.pem" "$T/mixed/" &&
    cp "$D5/key.pem" "$T/mixed/key.pem"
expect_exit "renew with a key the certificate does not certify" 13 $LANCERT renew \
    --server "$SERVER" --dir "$T/mixed"
# A --new-key run cut short after cert.pem was written: the next renew
# puts key.pem.new in place first.
cp "$D7/key.pem" "$T/k1.pem"
expect_exit "renew --new-key (again)" 0 $LANCERT renew --server "$SERVER" --dir "$D7" --new-key
cp "$D7/key.pem" "$D7/key.pem.new"
cp "$T/k1.pem" "$D7/key.pem"
expect_exit "renew after a cut-short --new-key" 0 $LANCERT renew --server "$SERVER" --dir "$D7"
expect_eq "finishes the key swap" "$(pubkey "$D7/key.pem")" "$(certkey "$D7/cert.pem")"
[ -e "$D7/key.pem.new" ] && fail "key.pem.new is still there"
ok "and key.pem.new is gone"
# Cut short before the certificate came: key.pem.new is dropped.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D7/key.pem.new" 2>/dev/null
expect_exit "renew after a --new-key that got no certificate" 0 $LANCERT renew \
    --server "$SERVER" --dir "$D7"
[ -e "$D7/key.pem.new" ] && fail "the unused key.pem.new is still there"
ok "drops the unused key.pem.new"
expect_eq "and keeps the certified key" "$(pubkey "$D7/key.pem")" "$(certkey "$D7/cert.pem")"

# --- revoke ----------------------------------------------------------------------------------------
$LANCERT devices list $C --json >"$T/list.json" || fail "devices list --json"
ID7=$(tr -d ' \n' <"$T/list.json" | grep -o '"id":[0-9]*,"names":\["7f000007' | sed 's/"id":\([0-9]*\).*/\1/')
expect_match "devices list --json finds the nas" "$ID7" '^[0-9]+$'
n_certs=$(tr -d ' \n' <"$T/list.json" | grep -o "\"certificates\":\[[^]]*\],\"created\":\"[^\"]*\",\"hex_name\":\"7f000007" | grep -o '"[0-9a-f]\{32\}"' | wc -l)
expect_exit "devices revoke" 0 $LANCERT devices revoke $C "$ID7"
expect_eq "says how many certificates" "$(cat "$T/out")" \
    "revoked device $ID7: $n_certs certificate$([ "$n_certs" -eq 1 ] || echo s)"
expect_exit "devices show after revoke" 0 $LANCERT devices show $C "$ID7"
expect_match "says revoked" "$(cat "$T/out")" "status +revoked"
expect_eq "nas.home.arpa is gone from DNS" "$(q nas.home.arpa A)" ""
expect_exit "renew after revoke is refused" 21 $LANCERT renew --server "$SERVER" --dir "$D7"
expect_exit "revoke of nobody" 9 $LANCERT devices revoke $C 9999

stop_daemon || fail "lancertd did not stop cleanly"
grep -q -- "$TOK" "$T/daemon.log" && fail "the enrolment token is in the daemon log"
ok "no token in the daemon log"
done_testing
