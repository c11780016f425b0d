#!/bin/sh
# make-answer-corpus.sh [DIR] — write the seed corpus of fuzz_answer into
# DIR (default tests/fuzz/corpus/answer): the gateway's answers to a device,
# with certificates for the fuzzer's fixed test key (so they are accepted),
# and broken variants. Needs openssl and jq. The certificates' signatures
# differ from run to run; the answers are equivalent.
set -eu

out=${1:-tests/fuzz/corpus/answer}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$out"

# The test key of fuzz_answer.c (it guards nothing).
cat >"$tmp/key.pem" <<'KEY'
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZINeAWAR0vypA66K
dMOguXEBh7WsOqJewM+X/RZUTKGhRANCAAR2twsi9J/zTO7M2jptGGbdv+6vC5Du
HbeNeXTPUfZUEgRUrcfOlFO0rQoHV+eXIhGb6u6kwnzv7EIpSUHPLrCh
-----END PRIVATE KEY-----
KEY
openssl req -x509 -new -key "$tmp/key.pem" -subj /CN=7f000005.home.arpa -days 1 \
    -addext subjectAltName=DNS:7f000005.home.arpa -out "$tmp/cert.pem" 2>/dev/null
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/root.key" -subj /CN=root -days 1 -out "$tmp/root.pem" 2>/dev/null

good() { # update_key? — a 201 answer
    jq -n --rawfile c "$tmp/cert.pem" --rawfile r "$tmp/root.pem" --argjson uk "$1" \
        '{id: 5, status: "active", names: ["7f000005.home.arpa", "printer.home.arpa"],
          certificate: $c, chain: $r, not_after: "2027-02-23T12:00:00Z",
          renew_after: "2027-01-24T12:00:00Z"} + (if $uk then {update_key: $uk} else {} end)'
}
good '{"name": "5.device.lancert", "algorithm": "hmac-sha256", "secret": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0cw=="}' >"$out/enrolled"
good null >"$out/renewed"
good '{"name": "5.device.lancert", "algorithm": "hmac-sha256", "secret": "x\";};key \"y"}' >"$out/uk-quote"
jq '.names = []' "$out/renewed" >"$out/no-names"
jq '.chain = .certificate + .chain' "$out/renewed" >"$out/chain2"
jq '.certificate = .chain' "$out/renewed" >"$out/other-key"
jq '.id = -1' "$out/renewed" >"$out/negative-id"
head -c 300 "$out/enrolled" >"$out/truncated"
printf '{"id": 12, "status": "pending"}' >"$out/pending"
printf '{"id": 12, "status": "refused"}' >"$out/refused"
printf '{"zone": "home.arpa", "root": "x", "chain": "x", "fingerprint_sha256": "AB"}' >"$out/ca"
printf '{"zone": "a..b"}' >"$out/ca-bad-zone"
printf '{"id": 1, "id": 2}' >"$out/duplicate"
printf '[]' >"$out/array"
