#!/bin/sh
# make-corpus.sh [DIR] — write the fuzz seed corpora into DIR (default
# tests/fuzz/corpus): csr/ (real CSRs from `openssl req`, PEM and DER, and
# broken variants), conf/ (configuration files and lines) and name/ (names,
# addresses, prefixes). Existing files of the same name are replaced; other
# files (crash reproducers) are left alone.
#
# The committed corpus is one run of this script. Names, configs, Ed25519
# CSRs (fixed keys) and the truncated/bit-flipped variants of them come out
# byte-identical on every run; EC and RSA keys and ECDSA signatures are
# random, so those CSRs differ from run to run but are equivalent.
set -eu

out=${1:-tests/fuzz/corpus}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$out/csr" "$out/conf" "$out/name"

# ---- helpers ---------------------------------------------------------------

# put FILE TEXT: FILE holds exactly TEXT (no newline added).
put() { printf '%s' "$2" >"$1"; }

# truncate_to SRC DST N: the first N bytes of SRC.
truncate_to() { dd if="$1" of="$2" bs=1 count="$3" 2>/dev/null; }

# flip SRC DST OFFSET: SRC with the lowest bit of byte OFFSET flipped.
flip() {
    size=$(wc -c <"$1")
    byte=$(od -An -tu1 -j "$3" -N1 "$1" | tr -d ' ')
    dd if="$1" bs=1 count="$3" 2>/dev/null >"$2"
    # shellcheck disable=SC2059
    printf "\\$(printf '%03o' $((byte ^ 1)))" >>"$2"
    dd if="$1" bs=1 skip=$(($3 + 1)) count=$((size - $3 - 1)) 2>/dev/null >>"$2"
}

# ---- csr/ ------------------------------------------------------------------

cat >"$tmp/req.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
EOF

# ed25519_key FILE HEXBYTE: an Ed25519 key whose 32-byte seed is HEXBYTE
# repeated, as PKCS#8 DER, so the CSRs made with it are the same every run.
ed25519_key() {
    {
        printf '\060\056\002\001\000\060\005\006\003\053\145\160\004\042\004\040'
        i=0
        while [ $i -lt 32 ]; do printf "\\$(printf '%03o' "0x$2")"; i=$((i + 1)); done
    } >"$tmp/ed.der"
    openssl pkey -inform DER -in "$tmp/ed.der" -out "$1"
}

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/p256.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/p384.key" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/rsa2048.key" 2>/dev/null
ed25519_key "$tmp/ed25519.key" 11
# Keys SPEC refuses.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$tmp/rsa1024.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$tmp/p521.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out "$tmp/k256.key" 2>/dev/null
openssl genpkey -algorithm ED448 -out "$tmp/ed448.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:explicit \
    -out "$tmp/p256-explicit.key" 2>/dev/null

# csr NAME KEY FORMS SUBJECT [SAN]: csr/NAME.der and/or csr/NAME.pem
# (FORMS: der, pem or "der pem").
csr() {
    name=$1 key=$2 forms=$3 subj=$4
    shift 4
    for form in $forms; do
        up=$(echo "$form" | tr a-z A-Z)
        if [ $# -gt 0 ]; then
            openssl req -new -config "$tmp/req.cnf" -key "$tmp/$key.key" -subj "$subj" \
                -addext "subjectAltName=$1" -outform "$up" -out "$out/csr/$name.$form"
        else
            openssl req -new -config "$tmp/req.cnf" -key "$tmp/$key.key" -subj "$subj" \
                -outform "$up" -out "$out/csr/$name.$form"
        fi
    done
}

# The four accepted key types, both encodings.
csr ec256-sans p256 "der pem" /CN=printer "DNS:printer.home.arpa,DNS:c0a80117.home.arpa"
csr ec384-sans p384 "der pem" /CN=nas "DNS:nas.home.arpa,IP:192.168.1.50"
csr rsa2048-sans rsa2048 "der pem" /CN=tv "DNS:tv.home.arpa"
csr ed25519-sans ed25519 "der pem" /CN=cam "DNS:cam.home.arpa,IP:fd00::17"
# Names from the subject only; addresses only.
csr ec256-cn-only p256 "der pem" /CN=printer.home.arpa
csr ed25519-cn-label ed25519 der /CN=printer
csr ec256-ip-sans p256 "der pem" /CN=ips "IP:10.0.0.5,IP:192.168.1.23,IP:fd00::17,IP:::ffff:192.168.1.1"
# Limits: 16 names pass csr_parse, 17 do not.
names16=""
i=1
while [ $i -le 16 ]; do names16="${names16}DNS:host$i.home.arpa,"; i=$((i + 1)); done
csr ed25519-16-names ed25519 der /CN=many "${names16%,}"
csr ed25519-17-names ed25519 der /CN=many "${names16}DNS:host17.home.arpa"
csr ed25519-16-names-1-ip ed25519 der /CN=many "${names16}IP:192.168.1.1"
# Names policy refuses or rewrites.
csr ed25519-wildcard ed25519 "der pem" /CN=wild "DNS:*.home.arpa"
csr ed25519-outside ed25519 der /CN=evil "DNS:evil.example.com,IP:8.8.8.8"
csr ed25519-hex-v6 ed25519 der /CN=v6 "DNS:fd000000000000000000000000000017.home.arpa"
csr ed25519-hex-mapped ed25519 der /CN=m "DNS:00000000000000000000ffffc0a80101.home.arpa"
csr ed25519-gateway ed25519 der /CN=gw "DNS:gateway.home.arpa"
csr ed25519-apex ed25519 der /CN=apex "DNS:home.arpa"
csr ed25519-service ed25519 der /CN=srv "DNS:_lancert._tcp.home.arpa"
csr ed25519-email ed25519 der /CN=mail "email:admin@home.arpa"
csr ed25519-mixed-case ed25519 der /CN=mc "DNS:Printer.HOME.arpa.,DNS:printer,DNS:printer.home.arpa"
csr ed25519-long-label ed25519 der /CN=long \
    "DNS:abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123.home.arpa"
# Keys outside SPEC.
csr rsa1024 rsa1024 der /CN=old "DNS:old.home.arpa"
csr ec521 p521 der /CN=big "DNS:big.home.arpa"
csr secp256k1 k256 der /CN=k1 "DNS:k1.home.arpa"
csr ed448 ed448 der /CN=ed448 "DNS:ed448.home.arpa"
csr ec256-explicit-params p256-explicit der /CN=explicit "DNS:explicit.home.arpa"
# Broken encodings: truncated, bit-flipped (in the signature, and in a name
# the signature covers), and PEM with its base64 cut short.
der=$out/csr/ed25519-sans.der
len=$(wc -c <"$der")
truncate_to "$der" "$out/csr/ed25519-sans-truncated.der" $((len / 2))
truncate_to "$der" "$out/csr/ed25519-sans-last-byte-missing.der" $((len - 1))
flip "$der" "$out/csr/ed25519-sans-flipped-signature.der" $((len - 5))
flip "$der" "$out/csr/ed25519-sans-flipped-name.der" $(grep -abo 'cam.home' "$der" | head -n 1 | cut -d: -f1)
head -c 200 "$out/csr/ed25519-sans.pem" >"$out/csr/ed25519-sans-truncated.pem"
{ cat "$out/csr/ed25519-sans.der"; printf 'trailing'; } >"$out/csr/ed25519-sans-trailing.der"
put "$out/csr/empty" ""
put "$out/csr/pem-header-only" "-----BEGIN CERTIFICATE REQUEST-----
-----END CERTIFICATE REQUEST-----
"

# ---- conf/ -----------------------------------------------------------------

put "$out/conf/full.conf" "# lancert.conf: every key
zone = home.arpa
allow = 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7
gateway_name = gateway
gateway_address = 192.168.1.1 fd00::1
state_dir = /var/lib/lancert
dns_listen = 127.0.0.1:5300 [::1]:5300
http_listen = 0.0.0.0:80
https_listen = [::]:443 192.168.1.1:8443
user = lancert
leaf_days = 90
enroll_policy = approve
dns_rrl = 20
dns_rrl_exempt = 127.0.0.0/8 ::1
reverse = no
log_level = info
"
put "$out/conf/demo.conf" "zone = home.arpa
allow = 127.0.0.0/8 10.0.0.0/8 192.168.0.0/16 fc00::/7 ::1/128
dns_listen = 127.0.0.1:5300
http_listen = 127.0.0.1:8080
https_listen = 127.0.0.1:8443
enroll_policy = open
log_level = debug
"
put "$out/conf/comments-and-blanks.conf" "

# a comment
   # an indented comment
zone = lan # a trailing comment
user = web#1
	leaf_days	=	30	
"
printf 'zone = corp.example\r\nleaf_days = 7\r\nreverse = yes\r\n' >"$out/conf/crlf.conf"
put "$out/conf/no-final-newline.conf" "zone = home.arpa"
put "$out/conf/later-wins.conf" "leaf_days = 10
leaf_days = 20
"
# One file per key.
put "$out/conf/key-zone" "zone = Office.Example.COM."
put "$out/conf/key-allow" "allow = 10.1.0.0/16,192.168.7.0/24 fd12:3456::/32"
put "$out/conf/key-gateway_name" "gateway_name = router"
put "$out/conf/key-gateway_address" "gateway_address = 10.0.0.1 ::ffff:10.0.0.2 fd00::1"
put "$out/conf/key-state_dir" "state_dir = /etc/lancert"
put "$out/conf/key-dns_listen" "dns_listen = [fd00::1]:53 10.0.0.1:53 127.0.0.1:5353 [::1]:5353"
put "$out/conf/key-http_listen" "http_listen = 192.168.1.1:80"
put "$out/conf/key-https_listen" "https_listen = [::]:443"
put "$out/conf/key-user" "user = nobody"
put "$out/conf/key-leaf_days" "leaf_days = 397"
put "$out/conf/key-enroll_policy" "enroll_policy = token"
put "$out/conf/key-dns_rrl" "dns_rrl = 1000000"
put "$out/conf/key-dns_rrl_exempt" "dns_rrl_exempt = 127.0.0.0/8 ::1 10.0.0.53/32"
put "$out/conf/key-dns_rrl_exempt-none" "dns_rrl_exempt = none"
put "$out/conf/key-reverse" "reverse = yes"
put "$out/conf/key-log_level" "log_level = warning"
# Lines that must be refused.
put "$out/conf/bad-unknown-key" "colour = blue"
put "$out/conf/bad-no-equals" "zone home.arpa"
put "$out/conf/bad-empty-value" "zone ="
put "$out/conf/bad-empty-key" "= home.arpa"
put "$out/conf/bad-zone" "zone = home..arpa"
put "$out/conf/bad-zone-wildcard" "zone = *.arpa"
put "$out/conf/bad-gateway-hex" "gateway_name = c0a80101"
put "$out/conf/bad-gateway-dotted" "gateway_name = gw.home"
put "$out/conf/bad-allow-host-bits" "allow = 10.0.0.1/8"
put "$out/conf/bad-dns_rrl_exempt" "dns_rrl_exempt = loopback"
put "$out/conf/bad-allow-17" "allow = 10.0.0.0/24 10.0.1.0/24 10.0.2.0/24 10.0.3.0/24 10.0.4.0/24 10.0.5.0/24 10.0.6.0/24 10.0.7.0/24 10.0.8.0/24 10.0.9.0/24 10.0.10.0/24 10.0.11.0/24 10.0.12.0/24 10.0.13.0/24 10.0.14.0/24 10.0.15.0/24 10.0.16.0/24"
put "$out/conf/bad-listen-v6-no-brackets" "https_listen = ::1:443"
put "$out/conf/bad-listen-port-0" "http_listen = 127.0.0.1:0"
put "$out/conf/bad-listen-port-65536" "http_listen = 127.0.0.1:65536"
put "$out/conf/bad-listen-5" "dns_listen = 127.0.0.1:1 127.0.0.1:2 127.0.0.1:3 127.0.0.1:4 127.0.0.1:5"
put "$out/conf/bad-leaf-days-0" "leaf_days = 0"
put "$out/conf/bad-leaf-days-398" "leaf_days = 398"
put "$out/conf/bad-leaf-days-hex" "leaf_days = 0x10"
put "$out/conf/bad-gateway-address-9" "gateway_address = 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6 10.0.0.7 10.0.0.8 10.0.0.9"
put "$out/conf/bad-enroll-policy" "enroll_policy = anyone"
put "$out/conf/bad-log-level" "log_level = verbose"
put "$out/conf/bad-second-line" "zone = home.arpa
allow = 8.8.8.8/33
"
printf 'zone = home\000.arpa\n' >"$out/conf/bad-nul"
{ printf 'user = '; i=0; while [ $i -lt 1030 ]; do printf x; i=$((i + 1)); done; } >"$out/conf/bad-long-line"

# ---- name/ -----------------------------------------------------------------

put "$out/name/hex-v4" "c0a80117.home.arpa"
put "$out/name/hex-v4-upper-dot" "C0A80117.Home.Arpa."
put "$out/name/hex-v6" "fd000000000000000000000000000017.home.arpa"
put "$out/name/hex-v6-mapped" "00000000000000000000ffffc0a80101.home.arpa"
put "$out/name/hex-7-digits" "c0a8011.home.arpa"
put "$out/name/hex-9-digits" "c0a801170.home.arpa"
put "$out/name/hex-not-hex" "g0a80117.home.arpa"
put "$out/name/friendly" "printer.home.arpa"
put "$out/name/friendly-hyphen" "living-room-tv.home.arpa"
put "$out/name/bad-hyphen-start" "-printer.home.arpa"
put "$out/name/gateway" "gateway.home.arpa"
put "$out/name/service" "_lancert._tcp.home.arpa"
put "$out/name/deeper" "a.printer.home.arpa"
put "$out/name/wildcard" "*.home.arpa"
put "$out/name/apex" "home.arpa"
put "$out/name/outside" "www.example.com"
put "$out/name/outside-suffix" "xhome.arpa"
put "$out/name/empty-label" "printer..home.arpa"
put "$out/name/only-dot" "."
put "$out/name/label-63" "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123.home.arpa"
put "$out/name/label-64" "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234.home.arpa"
l60=abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij
long=$l60.$l60.$l60.$l60
put "$out/name/name-253" "$long.home.arpa"
put "$out/name/name-254" "${long}x.home.arpa"
put "$out/name/addr-v4" "192.168.1.23"
put "$out/name/addr-v6" "fd00::17"
put "$out/name/addr-v6-full" "FD00:0000:0000:0000:0000:0000:0000:0017"
put "$out/name/addr-v4-mapped" "::ffff:192.168.1.1"
put "$out/name/addr-v4-compat" "::1.2.3.4"
put "$out/name/addr-loopback" "::1"
put "$out/name/addr-bad-octet" "256.1.1.1"
put "$out/name/addr-five-parts" "1.2.3.4.5"
put "$out/name/addr-scope" "fe80::1%eth0"
put "$out/name/prefix-v4" "10.0.0.0/8"
put "$out/name/prefix-v6" "fc00::/7"
put "$out/name/prefix-host-bits" "10.0.0.1/8"
put "$out/name/prefix-too-long" "192.168.0.0/33"
put "$out/name/prefix-no-bits" "10.0.0.0/"
put "$out/name/prefix-no-addr" "/8"
put "$out/name/prefix-leading-zeros" "10.0.0.0/008"
put "$out/name/prefix-set" "10.0.0.0/8 172.16.0.0/12,192.168.0.0/16	fc00::/7"
printf '\300\250\001\027' >"$out/name/raw-v4"
printf '\375\000\000\000\000\000\000\000\000\000\000\000\000\000\000\027' >"$out/name/raw-v6"

echo "corpus: $(ls "$out/csr" | wc -l) csr, $(ls "$out/conf" | wc -l) conf, $(ls "$out/name" | wc -l) name files in $out"
