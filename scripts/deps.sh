#!/bin/sh
# deps.sh GROUP... — install the Debian packages a make target needs.
# Idempotent and quiet when nothing is missing; needs root (or sudo) only
# when something is. Groups: build, check, fuzz, bench, dns (bench/dns.sh:
# dnsperf, and NSD and Knot to compare with; their services are not used),
# enroll (bench/enroll.sh: wrk, and cfssl to compare with),
# browser (tests/integration/test_browser.sh: Debian's Chromium, certutil for
# its NSS database, zbarimg to decode the landing page's QR code, and Node.js
# with npm for playwright-core unless a `node` is already installed).
set -eu

pkgs_build="gcc make autoconf pkg-config libssl-dev libmicrohttpd-dev libgnutls28-dev libc-ares-dev
            libcurl4-openssl-dev libjansson-dev libsqlite3-dev libjose-dev libqrencode-dev"
pkgs_check="check openssl curl sqlite3 procps libxml2-utils iproute2 bind9-dnsutils knot-dnsutils jq"
pkgs_fuzz="clang libclang-rt-14-dev"
pkgs_bench="openssl procps util-linux hyperfine"
pkgs_dns="dnsperf nsd knot bind9-dnsutils procps util-linux"
pkgs_enroll="wrk golang-cfssl openssl curl sqlite3 util-linux"
pkgs_browser="chromium fonts-dejavu-core libnss3-tools zbar-tools iproute2 openssl curl libxml2-utils"
# A node from elsewhere (NodeSource, nvm) is used as it is: Debian's nodejs
# package would conflict with it.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || pkgs_browser="$pkgs_browser nodejs npm"

want=""
for group in "$@"; do
    eval "want=\"\$want \$pkgs_$group\""
done

command -v dpkg-query >/dev/null 2>&1 || exit 0   # not Debian: the packager's job

missing=""
for p in $want; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *" installed") ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
