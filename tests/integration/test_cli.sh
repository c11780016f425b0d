#!/bin/sh
# The lancert CLI end to end: ca init/show/export, issue with every CSR
# rejection, name encode/decode, and the root's name constraints checked by
# `openssl verify`.
. tests/integration/lib.sh

S=$T/state
ALLOW="127.0.0.0/8 10.0.0.0/8 192.168.0.0/16 fc00::/7"

# --- ca init ----------------------------------------------------------------
expect_exit "ca init" 0 $LANCERT ca init --state "$S" --allow "$ALLOW"
expect_eq "ca.key mode" "$(stat -c %a "$S/ca.key")" 600
expect_eq "state dir mode" "$(stat -c %a "$S")" 700
expect_exit "ca init refuses to overwrite" 8 $LANCERT ca init --state "$S"
expect_match "overwrite message" "$(cat "$T/err")" "already holds a CA; use --force"
expect_exit "ca show" 0 $LANCERT ca show --state "$S"
fp=$($LANCERT ca show --state "$S" --json | sed -n 's/.*"sha256_fingerprint": "\([^"]*\)".*/\1/p')
ofp=$(openssl x509 -in "$S/ca.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
expect_eq "fingerprint matches openssl" "$fp" "$ofp"
text=$(openssl x509 -in "$S/ca.pem" -noout -text)
expect_match "root basicConstraints critical CA" "$text" "Basic Constraints: critical"
expect_match "root keyUsage critical" "$text" "Key Usage: critical"
expect_match "root keyUsage bits" "$text" "Certificate Sign, CRL Sign"
expect_match "root nameConstraints critical" "$text" "Name Constraints: critical"
expect_match "permitted zone" "$text" "DNS:home.arpa"
expect_match "permitted 192.168/16" "$text" "IP:192.168.0.0/255.255.0.0"
expect_match "permitted fc00::/7" "$text" "IP:FC00:0:0:0:0:0:0:0/FE00:0:0:0:0:0:0:0"
expect_match "root is P-256" "$text" "NIST CURVE: P-256"
end=$(openssl x509 -in "$S/ca.pem" -noout -enddate | sed 's/notAfter=//')
days=$(( ($(date -d "$end" +%s) - $(date +%s) + 43200) / 86400 ))
expect_eq "root lasts 10 years (3650 days)" "$days" 3650
$LANCERT ca export --state "$S" >"$T/export.pem"
expect_eq "export equals ca.pem" "$(cat "$T/export.pem")" "$(cat "$S/ca.pem")"
$LANCERT ca export --der --state "$S" | openssl x509 -inform DER -noout 2>/dev/null
expect_eq "export --der parses" $? 0

# --- issue: accepted keys ---------------------------------------------------
i=0
for spec in ec:P-256 ec:P-384 rsa:2048 ed25519; do
    i=$((i + 1))
    make_csr "k$i" "$spec" "/CN=dev$i" "DNS:dev$i.home.arpa,IP:192.168.1.23"
    expect_exit "issue with $spec key" 0 $LANCERT issue --state "$S" --csr "$T/k$i.csr"
    cp "$T/out" "$T/k$i.chain"
    openssl verify -CAfile "$S/ca.pem" "$T/k$i.chain" >/dev/null 2>&1
    expect_eq "$spec leaf verifies against the root" $? 0
done
leaf=$(openssl x509 -in "$T/k1.chain" -noout -text)
expect_match "leaf SAN: names and the hex name's address" "$leaf" \
    "DNS:dev1.home.arpa, DNS:c0a80117.home.arpa, IP Address:192.168.1.23"
expect_match "leaf EKU" "$leaf" "TLS Web Server Authentication, TLS Web Client Authentication"
expect_match "leaf CRL distribution point" "$leaf" "URI:http://gateway.home.arpa:8080/crl"
expect_match "leaf AKI" "$leaf" "Authority Key Identifier"
expect_match "leaf is not a CA" "$leaf" "CA:FALSE"
serial=$(openssl x509 -in "$T/k1.chain" -noout -serial | sed 's/serial=//')
expect_eq "serial is 128 bits" "${#serial}" 32
days=$(( ($(date -d "$(openssl x509 -in "$T/k1.chain" -noout -enddate | sed 's/notAfter=//')" +%s) - $(date +%s) + 43200) / 86400 ))
expect_eq "leaf lasts 90 days" "$days" 90

# --json and flags that replace the CSR's names; bare labels are under the zone
expect_exit "issue --name --ip --json" 0 $LANCERT issue --state "$S" --csr "$T/k1.csr" --name printer --ip 10.1.2.3 --json
expect_match "json names" "$(cat "$T/out")" '"printer.home.arpa"'
expect_match "json hex name of --ip" "$(cat "$T/out")" '"0a010203.home.arpa"'

# --- issue: every refusal has its own exit status and message ---------------
make_csr evil ec:P-256 "/CN=x" "DNS:evil.example.com"
expect_exit "name outside the zone" 14 $LANCERT issue --state "$S" --csr "$T/evil.csr"
expect_match "outside-zone message" "$(cat "$T/err")" "evil.example.com is outside the zone home.arpa"
make_csr wild ec:P-256 "/CN=x" "DNS:*.home.arpa"
expect_exit "wildcard" 15 $LANCERT issue --state "$S" --csr "$T/wild.csr"
expect_match "wildcard message" "$(cat "$T/err")" "wildcard"
make_csr ip8 ec:P-256 "/CN=x" "IP:8.8.8.8"
expect_exit "IP outside the ranges" 16 $LANCERT issue --state "$S" --csr "$T/ip8.csr"
expect_match "address message" "$(cat "$T/err")" "8.8.8.8 is outside the allowed address ranges"
make_csr hex8 ec:P-256 "/CN=x" "DNS:08080808.home.arpa"
expect_exit "hex name outside the ranges" 16 $LANCERT issue --state "$S" --csr "$T/hex8.csr"
san=""
for n in $(seq 1 17); do san="${san}DNS:n$n.home.arpa,"; done
make_csr many ec:P-256 "/CN=x" "${san%,}"
expect_exit "17 names" 17 $LANCERT issue --state "$S" --csr "$T/many.csr"
expect_match "too-many message" "$(cat "$T/err")" "more than 16 names"
make_csr weak rsa:1024 "/CN=x" "DNS:weak.home.arpa"
expect_exit "RSA 1024" 13 $LANCERT issue --state "$S" --csr "$T/weak.csr"
expect_match "key message" "$(cat "$T/err")" "RSA key has 1024 bits; 2048 to 4096"
make_csr p521 ec:P-521 "/CN=x" "DNS:p521.home.arpa"
expect_exit "P-521" 13 $LANCERT issue --state "$S" --csr "$T/p521.csr"
# P-256 spelled out as explicit parameters: RFC 5480 forbids it in certificates.
openssl ecparam -name prime256v1 -param_enc explicit -genkey -noout -out "$T/explicit.key" 2>/dev/null
openssl req -new -key "$T/explicit.key" -subj /CN=x -addext "subjectAltName=DNS:explicit.home.arpa" \
    -out "$T/explicit.csr" 2>/dev/null || fail "explicit-parameter CSR"
expect_exit "EC key with explicit curve parameters" 13 $LANCERT issue --state "$S" --csr "$T/explicit.csr"
# A CSR whose signature does not verify: flip a byte inside the signature.
openssl req -in "$T/k1.csr" -outform DER -out "$T/k1.der"
size=$(stat -c %s "$T/k1.der")
cp "$T/k1.der" "$T/badsig.der"
byte=$(od -An -tu1 -j $((size - 3)) -N1 "$T/k1.der" | tr -d ' ')
# shellcheck disable=SC2059
printf "\\$(printf '%03o' $((byte ^ 1)))" | dd of="$T/badsig.der" bs=1 seek=$((size - 3)) conv=notrunc 2>/dev/null
cmp -s "$T/k1.der" "$T/badsig.der" && fail "the signature byte did not change"
expect_exit "bad signature" 12 $LANCERT issue --state "$S" --csr "$T/badsig.der"
expect_match "signature message" "$(cat "$T/err")" "signature does not verify"
expect_exit "DER CSR accepted" 0 $LANCERT issue --state "$S" --csr "$T/k1.der"
printf 'hello' >"$T/junk"
expect_exit "malformed input" 10 $LANCERT issue --state "$S" --csr "$T/junk"
printf -- '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n' >"$T/badpem"
expect_exit "malformed PEM" 10 $LANCERT issue --state "$S" --csr "$T/badpem"
cat "$T/k1.der" "$T/junk" >"$T/trailing.der"
expect_exit "DER with trailing bytes" 10 $LANCERT issue --state "$S" --csr "$T/trailing.der"
head -c 70000 /dev/zero >"$T/big"
expect_exit "oversized CSR" 11 $LANCERT issue --state "$S" --csr "$T/big"
expect_match "oversized message" "$(cat "$T/err")" "over 65536 bytes"
make_csr taken ec:P-256 "/CN=x" "DNS:dev1.home.arpa"
expect_exit "friendly name held by another key" 18 $LANCERT issue --state "$S" --csr "$T/taken.csr"
make_csr rsv ec:P-256 "/CN=x" "DNS:gateway.home.arpa"
expect_exit "the gateway's own name is reserved" 19 $LANCERT issue --state "$S" --csr "$T/rsv.csr"
expect_exit "issue without --csr" 2 $LANCERT issue --state "$S"
expect_exit "unknown verb" 2 $LANCERT frobnicate
expect_exit "--help" 0 $LANCERT issue --help

# --- the root's name constraints, enforced by OpenSSL ------------------------
# Leaves signed with the root key directly, bypassing lancert's policy.
sign_raw() { # NAME SAN
    make_csr "$1" ec:P-256 "/CN=$1" "$2"
    printf 'subjectAltName=%s\n' "$2" >"$T/$1.ext"
    openssl x509 -req -in "$T/$1.csr" -CA "$S/ca.pem" -CAkey "$S/ca.key" -CAcreateserial \
        -days 1 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null || fail "openssl x509 -req $1"
}
sign_raw rawok "DNS:printer.home.arpa"
openssl verify -CAfile "$S/ca.pem" "$T/rawok.pem" >/dev/null 2>&1
expect_eq "a zone leaf signed with the root key verifies" $? 0
sign_raw rawevil "DNS:evil.example.com"
out=$(openssl verify -CAfile "$S/ca.pem" "$T/rawevil.pem" 2>&1)
expect_match "evil.example.com fails openssl verify" "$out" "permitted subtree violation"
sign_raw rawip "IP:8.8.8.8"
out=$(openssl verify -CAfile "$S/ca.pem" "$T/rawip.pem" 2>&1)
expect_match "8.8.8.8 fails openssl verify" "$out" "permitted subtree violation"

# --- name encode / decode -----------------------------------------------------
expect_eq "encode IPv4" "$($LANCERT name encode 192.168.1.23)" c0a80117.home.arpa
expect_eq "decode IPv4" "$($LANCERT name decode c0a80117.home.arpa)" 192.168.1.23
expect_eq "decode is case-insensitive" "$($LANCERT name decode C0A80117.Home.Arpa.)" 192.168.1.23
expect_eq "encode IPv6" "$($LANCERT name encode fd00::17)" fd000000000000000000000000000017.home.arpa
expect_eq "decode IPv6" "$($LANCERT name decode fd000000000000000000000000000017.home.arpa)" fd00::17
expect_eq "encode in another zone" "$($LANCERT name encode --zone lan.example 10.0.0.1)" 0a000001.lan.example
expect_exit "encode outside the ranges" 16 $LANCERT name encode 8.8.8.8
expect_exit "decode outside the ranges" 16 $LANCERT name decode 08080808.home.arpa
expect_exit "encode loopback (not allowed by default)" 16 $LANCERT name encode 127.0.0.1
expect_exit "encode garbage" 10 $LANCERT name encode 300.1.1.1
expect_exit "decode a friendly name" 10 $LANCERT name decode printer.home.arpa
expect_exit "decode 7 digits" 10 $LANCERT name decode c0a8011.home.arpa
expect_exit "decode outside the zone" 14 $LANCERT name decode c0a80117.example.com
expect_exit "decode a bad name" 10 $LANCERT name decode 'c0a8..home.arpa'

# --- status -------------------------------------------------------------------
expect_exit "status" 0 $LANCERT status --state "$S" --json
expect_match "status counts certificates" "$(cat "$T/out")" '"certificates": 6'

# --- intermediate below an enterprise root -----------------------------------
E=$T/enterprise
mkdir -p "$E"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$E/root.key" \
    -subj "/CN=Enterprise Root" -days 30 -out "$E/root.pem" 2>/dev/null
I=$T/inter
expect_exit "ca csr" 0 $LANCERT ca csr --state "$I" --allow "10.0.0.0/8" --out "$T/inter.csr"
expect_eq "ca csr made a 0600 key" "$(stat -c %a "$I/ca.key")" 600
csrtext=$(openssl req -in "$T/inter.csr" -noout -text)
expect_match "CSR asks for name constraints" "$csrtext" "Name Constraints: critical"
cat >"$E/ext" <<EXT
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
nameConstraints=critical,permitted;DNS:home.arpa,permitted;IP:10.0.0.0/255.0.0.0
EXT
openssl x509 -req -in "$T/inter.csr" -CA "$E/root.pem" -CAkey "$E/root.key" -CAcreateserial \
    -days 30 -extfile "$E/ext" -out "$E/inter.pem" 2>/dev/null || fail "enterprise signing"
expect_exit "ca import without a chain" 20 $LANCERT ca import --state "$I" --cert "$E/inter.pem"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$E/other.key" \
    -subj "/CN=Other Root" -days 30 -out "$E/other.pem" 2>/dev/null
expect_exit "ca import with the wrong root" 20 $LANCERT ca import --state "$I" --cert "$E/inter.pem" --chain "$E/other.pem"
expect_exit "ca import of a cert for another key" 20 $LANCERT ca import --state "$I" --cert "$E/root.pem" --chain "$E/root.pem"
expect_exit "ca import" 0 $LANCERT ca import --state "$I" --cert "$E/inter.pem" --chain "$E/root.pem"
expect_exit "ca show intermediate" 0 $LANCERT ca show --state "$I" --json
expect_match "kind intermediate" "$(cat "$T/out")" '"kind": "intermediate"'
make_csr viaint ec:P-256 "/CN=x" "DNS:nas.home.arpa,IP:10.9.8.7"
expect_exit "issue below the intermediate" 0 $LANCERT issue --state "$I" --csr "$T/viaint.csr"
openssl verify -CAfile "$E/root.pem" -untrusted "$I/ca.pem" "$T/out" >/dev/null 2>&1
expect_eq "leaf verifies to the enterprise root" $? 0
$LANCERT ca export --state "$I" >"$T/anchor.pem"
expect_eq "export gives the enterprise root" "$(cat "$T/anchor.pem")" "$(cat "$E/root.pem")"

# --- ca init --force replaces the root ---------------------------------------
old=$(cat "$S/ca.pem")
expect_exit "ca init --force" 0 $LANCERT ca init --state "$S" --force --allow "$ALLOW"
[ "$(cat "$S/ca.pem")" != "$old" ] || fail "ca init --force kept the old root"
ok "ca init --force made a new root"

done_testing
