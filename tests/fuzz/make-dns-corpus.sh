#!/bin/sh
# make-dns-corpus.sh [DIR] — write DNS and Host-header seeds into DIR
# (default tests/fuzz/corpus): dns/ (queries and updates, good and hostile,
# built byte by byte here) and host/ ("HOST\nTARGET" pairs). Byte-identical
# on every run.
set -eu
out=${1:-tests/fuzz/corpus}
mkdir -p "$out/dns" "$out/host"

# bytes OCTAL... — raw bytes from decimal values.
bytes() { for b in "$@"; do printf "\\$(printf '%03o' "$b")"; done; }
u16() { bytes $(($1 >> 8)) $(($1 & 255)); }
# name a.b.c — wire form, uncompressed.
name() {
    IFS=.
    for l in $1; do
        [ -n "$l" ] || continue
        bytes ${#l}
        printf '%s' "$l"
    done
    unset IFS
    bytes 0
}
hdr() { u16 "$1"; u16 "$2"; u16 "$3"; u16 "$4"; u16 "$5"; u16 "$6"; } # id flags qd an ns ar
opt() { bytes 0; u16 41; u16 "${1:-1232}"; bytes 0 "${2:-0}" 0 0; u16 0; } # payload version
query() { # FILE NAME TYPE [edns]
    f=$out/dns/$1
    { hdr 4660 256 1 0 0 "$([ -n "${4:-}" ] && echo 1 || echo 0)"; name "$2"; u16 "$3"; u16 1
      if [ -n "${4:-}" ]; then opt; fi; } >"$f"
}

query q-hex-a c0a80117.home.arpa 1
query q-hex-a-edns C0A80117.Home.Arpa 1 edns
query q-hex-aaaa fd000000000000000000000000000017.home.arpa 28 edns
query q-soa home.arpa 6
query q-ns home.arpa 2 edns
query q-any home.arpa 255
query q-gateway gateway.home.arpa 1
query q-srv _lancert._tcp.home.arpa 33
query q-ent _tcp.home.arpa 1
query q-friendly printer.home.arpa 1 edns
query q-txt _acme-challenge.printer.home.arpa 16
query q-nx nope.home.arpa 1
query q-outside example.com 1
query q-hex-outside 08080808.home.arpa 1
query q-ptr 50.1.168.192.in-addr.arpa 12
query q-ptr-partial 168.192.in-addr.arpa 12
query q-root . 2

# Hostile and malformed ones.
{ hdr 1 256 1 0 0 1; name c0a80117.home.arpa; u16 1; u16 1; opt 1232 1; } >"$out/dns/edns-version-1"
{ hdr 1 256 1 0 0 2; name c0a80117.home.arpa; u16 1; u16 1; opt; opt; } >"$out/dns/two-opts"
{ hdr 1 256 1 1 0 0; name c0a80117.home.arpa; u16 1; u16 1; opt; } >"$out/dns/opt-in-answer"
{ hdr 1 256 65535 0 0 0; name a.home.arpa; u16 1; u16 1; } >"$out/dns/65535-questions"
{ hdr 1 256 1 0 0 0; bytes 63; printf 'abc'; } >"$out/dns/label-past-end"
{ hdr 1 256 1 0 0 0; bytes 192 12; u16 1; u16 1; } >"$out/dns/pointer-to-itself"
{ hdr 1 256 1 0 0 0; bytes 1 97 192 12; u16 1; u16 1; } >"$out/dns/pointer-loop"
{ hdr 1 256 1 0 0 0; bytes 192 2; u16 1; u16 1; } >"$out/dns/pointer-into-header"
{ hdr 1 256 1 0 0 0; bytes 192 40; u16 1; u16 1; } >"$out/dns/pointer-forward"
{ hdr 1 256 1 0 0 0; bytes 64 97 0; u16 1; u16 1; } >"$out/dns/label-type-0x40"
{ hdr 1 256 2 0 0 0; name a.home.arpa; u16 1; u16 1; name b.home.arpa; u16 1; u16 1; } >"$out/dns/two-questions"
{ hdr 1 33024 1 0 0 0; name a.home.arpa; u16 1; u16 1; } >"$out/dns/a-response"
{ hdr 1 4352 1 0 0 0; name a.home.arpa; u16 1; u16 1; } >"$out/dns/opcode-2"
{ hdr 1 256 1 0 0 0; name a.home.arpa; u16 1; u16 1; bytes 1 2 3; } >"$out/dns/trailing-bytes"
{ hdr 1 256 1 0 0 0; name a.home.arpa; u16 1; u16 3; } >"$out/dns/class-chaos"
hdr 1 256 1 0 0 0 | head -c 7 >"$out/dns/short-header"
# An UPDATE: zone home.arpa SOA, one prerequisite (name in use), one add.
{ hdr 7 10240 1 1 1 0; name home.arpa; u16 6; u16 1
  name printer.home.arpa; u16 255; u16 255; bytes 0 0 0 0; u16 0
  name printer.home.arpa; u16 1; u16 1; bytes 0 0 0 60; u16 4; bytes 192 168 1 51; } >"$out/dns/update-add"
# The same UPDATE with a TSIG record that is not last.
{ hdr 7 10240 1 0 0 2; name home.arpa; u16 6; u16 1
  name key.; u16 250; u16 255; bytes 0 0 0 0; u16 0; opt; } >"$out/dns/tsig-not-last"

# host/: "HOST\nTARGET"
h() { printf '%s\n%s' "$2" "$3" >"$out/host/$1"; }
h printer printer.home.arpa '/admin?x=1'
h v4 192.168.1.23:80 '/x/%41?y=1&z'
h v6 '[fd00::17]' /
h outside example.com /
h hexcase C0A80117.Home.Arpa. /a
h space 'bad host' /
h bracket '[fd00::1' /
h port a.home.arpa:99999 /
h gateway gateway.home.arpa /ui/
h gwaddr 127.0.0.1 /setup
h crlf printer.home.arpa "$(printf '/a\r\nX: y')"
h hexout 08080808.home.arpa /

# tsig/: messages with and without TSIG. The two BIND-signed messages
# (bind-dig256, bind-up512) are the vectors of tests/unit/test_tsig.c, kept
# as files; the others are copies of dns/ seeds.
mkdir -p "$out/tsig"
for f in q-hex-a update-add tsig-not-last; do cp "$out/dns/$f" "$out/tsig/$f"; done
