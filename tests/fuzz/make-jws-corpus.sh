#!/bin/sh
# make-jws-corpus.sh [DIR] — write fuzz_jws seeds into DIR (default
# tests/fuzz/corpus/jws): requests signed by tests/bin/jwssign at the fuzz
# target's fixed clock (FUZZ_NOW) with self-signed certificates of every key
# type, and hostile variants (alg none, alg not the key's, no x5c, bad
# base64, an unprotected header, truncated, empty). Keys and ECDSA
# signatures are random, so the files differ from run to run but are
# equivalent. Needs `make tests/bin/jwssign` first.
set -eu
out=${1:-tests/fuzz/corpus/jws}
jwssign=${JWSSIGN:-tests/bin/jwssign}
now=1800000000 # FUZZ_NOW in fuzz_jws.c
off=$((now - $(date +%s)))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$out"

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

for k in ec256 ec384 rsa ed25519; do
    case $k in
        ec256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/$k.key" ;;
        ec384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/$k.key" ;;
        rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/$k.key" ;;
        ed25519) openssl genpkey -algorithm ED25519 -out "$tmp/$k.key" ;;
    esac 2>/dev/null
    openssl req -x509 -new -key "$tmp/$k.key" -subj /CN=dev -days 1 -out "$tmp/$k.pem" 2>/dev/null
    "$jwssign" "$tmp/$k.key" "$tmp/$k.pem" '{"csr":"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"}' "$off" |
        tr -d '\n' >"$out/good-$k"
done
"$jwssign" "$tmp/ec256.key" "$tmp/ec256.pem" '{"addresses":["192.168.1.50","fd00::1"]}' "$off" |
    tr -d '\n' >"$out/good-names"
"$jwssign" "$tmp/ec256.key" "$tmp/ec256.pem" '{"csr":"x"}' "$((off - 3600))" | tr -d '\n' >"$out/stale"

x5c=$(openssl x509 -in "$tmp/ec256.pem" -outform DER | openssl base64 -A)
pay=$(printf '{"csr":"x"}' | b64url)
forge() { # FILE HEADER
    printf '{"protected":"%s","payload":"%s","signature":"AAAA"}' "$(printf '%s' "$2" | b64url)" \
        "$pay" >"$out/$1"
}
forge alg-none "{\"alg\":\"none\",\"x5c\":[\"$x5c\"],\"iat\":$now,\"nonce\":\"n\"}"
forge alg-mismatch "{\"alg\":\"RS256\",\"x5c\":[\"$x5c\"],\"iat\":$now,\"nonce\":\"n\"}"
forge no-x5c "{\"alg\":\"ES256\",\"iat\":$now,\"nonce\":\"n\"}"
forge crit "{\"alg\":\"ES256\",\"x5c\":[\"$x5c\"],\"iat\":$now,\"nonce\":\"n\",\"crit\":[\"b64\"]}"
forge x5c-garbage "{\"alg\":\"ES256\",\"x5c\":[\"$x5c\",\"@@\"],\"iat\":$now,\"nonce\":\"n\"}"
sed 's/"protected":"/"protected":"+/' "$out/good-ec256" >"$out/bad-base64"
sed 's/^{/{"header":{"alg":"none"},/' "$out/good-ec256" >"$out/unprotected-header"
head -c 200 "$out/good-ec256" >"$out/truncated"
printf '' >"$out/empty"
printf '{}' >"$out/empty-object"
printf '[1,2' >"$out/bad-json"
