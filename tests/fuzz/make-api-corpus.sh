#!/bin/sh
# make-api-corpus.sh [DIR] — write fuzz_api seeds into DIR (default
# tests/fuzz/corpus/api). The first byte of a seed picks the endpoint
# (0 POST enroll, 1 POST tokens, 2 POST renew, 3 PUT names/printer); the
# rest is the body: good requests (a CSR for the hex name of the fuzz peer,
# 192.168.1.5, and for a friendly name; a token for two names) and hostile
# ones (wrong types, missing fields, duplicates, deep nesting, NULs, a JWS
# whose certificate this CA never issued). Keys are random, so the files
# differ from run to run but are equivalent.
set -eu
out=${1:-tests/fuzz/corpus/api}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$out"

# seed NAME BYTE BODY: one input, the endpoint byte then the body
seed() { { printf "\\$(printf '%03o' "$2")"; printf '%s' "$3"; } >"$out/$1"; }
json_csr() { # json_csr SUBJECT-NAME [MORE-NAMES]: {"csr": PEM} for a new P-256 key
    san="DNS:$1"
    [ $# -gt 1 ] && san="$san,DNS:$2"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/k" \
        -subj "/CN=$1" -addext "subjectAltName=$san" -out "$tmp/csr" 2>/dev/null
    awk 'BEGIN { printf "{\"csr\": \"" } { printf "%s\\n", $0 } END { printf "\"}" }' "$tmp/csr"
}

seed enroll-hex 0 "$(json_csr c0a80105.home.arpa)"
seed enroll-friendly 0 "$(json_csr printer.home.arpa)"
seed enroll-both 0 "$(json_csr c0a80105.home.arpa camera.home.arpa)"
seed enroll-other-address 0 "$(json_csr c0a80106.home.arpa)"
seed enroll-outside-zone 0 "$(json_csr www.example.com)"
seed enroll-token 0 "$(json_csr printer.home.arpa | sed 's/}$/, "token": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}/')"
seed enroll-number 0 '{"csr": 42}'
seed enroll-dup 0 '{"csr": "x", "csr": "y"}'
seed enroll-token-type 0 '{"csr": "x", "token": 7}'
seed enroll-array 0 '[{"csr": "x"}]'
seed enroll-nul 0 '{"csr": "\u0000"}'
seed enroll-deep 0 "$(printf '%0500d' 0 | tr 0 '[')"
seed enroll-empty 0 ''
seed tokens-good 1 '{"names": ["printer", "camera"], "expires_in": 3600}'
seed tokens-hex 1 '{"names": ["c0a80105"]}'
seed tokens-empty 1 '{"names": []}'
seed tokens-type 1 '{"names": "printer"}'
seed tokens-expiry 1 '{"names": ["printer"], "expires_in": -1}'
seed tokens-huge 1 '{"names": ["printer"], "expires_in": 99999999999999999999}'
seed tokens-underscore 1 '{"names": ["_acme"]}'
seed renew-shape 2 '{"protected": "e30", "payload": "e30", "signature": "AA"}'
seed renew-extra 2 '{"protected": "e30", "payload": "e30", "signature": "AA", "header": {}}'
seed renew-types 2 '{"protected": 1, "payload": null, "signature": []}'
seed names-shape 3 '{"protected": "e30", "payload": "e30", "signature": "AA"}'
seed names-plain 3 '{"addresses": ["192.168.1.50"]}'
# A JWS signed by a self-signed key: well formed, but not from this CA.
if [ -x tests/bin/jwssign ]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/d.key" 2>/dev/null
    openssl req -x509 -new -key "$tmp/d.key" -subj /CN=dev -days 1 -out "$tmp/d.pem" 2>/dev/null
    seed renew-foreign 2 "$(tests/bin/jwssign "$tmp/d.key" "$tmp/d.pem" "$(json_csr c0a80105.home.arpa)" 0 | tr -d '\n')"
    seed names-foreign 3 "$(tests/bin/jwssign "$tmp/d.key" "$tmp/d.pem" '{"addresses": ["192.168.1.50"]}' 0 | tr -d '\n')"
fi
