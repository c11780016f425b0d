#!/bin/sh
# A real browser trusts what lancert issues, and only that: Debian's headless
# Chromium, driven by playwright-core (tests/browser/), inside a network
# namespace the test makes. In it: lo, a dummy interface with 10.77.0.1 (the
# gateway: lancertd's DNS on :53, plain HTTP on :80, HTTPS on :443) and
# 10.77.0.2 (a device: openssl s_server with a lancert certificate), and a
# resolv.conf naming lancertd on 127.0.0.1:53, so every name the browser
# looks up is answered by lancertd's own DNS, from the loopback as a router's
# dnsmasq asks it (exempt from dns_rrl by default). Nothing reaches outside the namespace; it is removed
# on exit. Needs root (CI is root) and fails loudly without it.
#
#   (a) the root in a fresh NSS database: the device's hex name loads with no
#       certificate error; without the root it fails; a leaf for a name
#       outside the constraint, signed with the root key, is refused.
#   (b) http://10.77.0.1/x?y and http://<its hex name>/x?y end at
#       https://<hex name>/x?y, trusted, path and query kept.
#   (c) the landing page: its fingerprint is the served root's, its QR code
#       decodes to its download link, /ca.mobileconfig is a profile whose
#       payload is exactly the root.
#   (d) the admin UI (/ui/): a wrong token refused, log in, approve a pending
#       enrolment, revoke a device, make an enrolment token (its QR code
#       decodes to it, and it enrols a device); checked through the API.
#   (e) the same UI with JavaScript off: the <noscript> links lead, through
#       the browser's own login (HTTP Basic, the token as the password), to
#       the read-only devices, certificates and health pages.
# Screenshots at a desktop and a phone viewport: tests/artifacts/browser/.
. tests/integration/lib.sh

ART=tests/artifacts/browser
NS=lc-browser-$$
MADE_NS=no
GW=10.77.0.1
DEV=10.77.0.2
GW_HEX=0a4d0001.home.arpa
DEV_HEX=0a4d0002.home.arpa
DEV_PORT=8443
EVIL_PORT=9443
RAW_PORT=9444
S=$T/state
SERVERS=""

browser_cleanup() {
    for pid in $SERVERS; do kill "$pid" 2>/dev/null; done
    if [ -n "$DAEMON_PID" ]; then
        kill -TERM "$DAEMON_PID" 2>/dev/null
        wait "$DAEMON_PID" 2>/dev/null
        DAEMON_PID=""
    fi
    if [ "$MADE_NS" = yes ]; then
        ip netns del "$NS" 2>/dev/null
        rm -rf "/etc/netns/$NS"
    fi
    cleanup
}
trap browser_cleanup EXIT INT TERM

[ "$(id -u)" -eq 0 ] || fail "needs root for a network namespace (ip netns add); run make check as root"
for tool in node npm /usr/bin/chromium certutil zbarimg xmllint ip openssl curl jq; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing: sh scripts/deps.sh browser"
done

# --- playwright-core from the lock file; no browser download ----------------
(cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) \
    >"$T/npm.log" 2>&1 || { cat "$T/npm.log" >&2; fail "npm ci in tests/browser"; }
ok "playwright-core installed by npm ci"

# --- the namespace ------------------------------------------------------------
ip netns add "$NS" 2>"$T/netns.err" || fail "ip netns add: $(cat "$T/netns.err")"
MADE_NS=yes
IN="ip netns exec $NS"
mkdir -p "/etc/netns/$NS"
# Every query then comes from 127.0.0.1, as from dnsmasq on a router: one
# Chromium page load sends about 30 (counted with /proc/net/snmp), over the
# default dns_rrl of 20 a second per source, which loopback is exempt from.
echo "nameserver 127.0.0.1" >"/etc/netns/$NS/resolv.conf"
# Only the out-of-zone name of case (a) is in a hosts file: lancertd's DNS
# answers for its zone alone, and that name is there to be refused.
printf '127.0.0.1 localhost\n%s evil.example.com\n' "$DEV" >"/etc/netns/$NS/hosts"
# A dummy interface carries the addresses; where the kernel has no dummy
# driver (some containers), the namespace's own loopback does: it is just as
# private to the namespace.
$IN ip link set lo up || fail "cannot bring up lo in the namespace"
if $IN ip link add lcb0 type dummy 2>/dev/null; then
    IFACE=lcb0
    $IN ip link set lcb0 up || fail "cannot bring up the dummy interface"
else
    IFACE=lo
fi
for a in "$GW" "$DEV" 10.77.0.3 10.77.0.4 10.77.0.5; do
    $IN ip addr add "$a/24" dev $IFACE || fail "cannot add $a to $IFACE"
done
ok "namespace $NS with $GW and $DEV on $IFACE"

# --- the CA and the device's certificates (before lancertd holds the store) --
$LANCERT ca init --state "$S" --allow "10.77.0.0/16" >/dev/null || fail "ca init"
make_csr dev ec:P-256 "/CN=device" "DNS:$DEV_HEX"
$LANCERT issue --state "$S" --csr "$T/dev.csr" >"$T/dev.chain" || fail "lancert issue"
# Leaves signed with the root key directly, bypassing lancert's policy: one
# outside the constraint, and its control made the same way inside it.
sign_raw() { # NAME SAN
    make_csr "$1" ec:P-256 "/CN=$1" "$2"
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$2" >"$T/$1.ext"
    openssl x509 -req -in "$T/$1.csr" -CA "$S/ca.pem" -CAkey "$S/ca.key" -CAcreateserial -days 1 \
        -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null || fail "signing $1 with the root key"
}
sign_raw evil "DNS:evil.example.com"
sign_raw raw "DNS:$DEV_HEX"
ok "device certificate issued; leaves in and out of the constraint signed with the root key"

cat >"$T/lancert.conf" <<CONF
state_dir = $S
allow = 10.77.0.0/16
dns_listen = $GW:53 127.0.0.1:53
http_listen = $GW:80
https_listen = $GW:443
log_level = debug
CONF
$IN "$LANCERTD" --foreground --config "$T/lancert.conf" >"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
i=0
until [ "$($IN curl -s -o /dev/null -w '%{http_code}' "http://$GW/ca.pem")" = 200 ]; do
    kill -0 "$DAEMON_PID" 2>/dev/null || fail "lancertd exited at start"
    [ $i -lt 100 ] || fail "lancertd did not answer on $GW:80"
    sleep 0.05
    i=$((i + 1))
done
wait_log "gateway certificate"
ok "lancertd in the namespace on $GW (:53, :80, :443) and 127.0.0.1:53"

# s_server -www answers every GET with a page about the TLS session.
serve() { # PORT CERT KEY
    $IN openssl s_server -accept "$DEV:$1" -cert "$2" -key "$3" -www -quiet >/dev/null 2>&1 &
    SERVERS="$SERVERS $!"
    i=0
    until $IN sh -c "echo | timeout 2 openssl s_client -connect $DEV:$1 >/dev/null 2>&1"; do
        [ $i -lt 100 ] || fail "s_server on $DEV:$1 did not start"
        sleep 0.05
        i=$((i + 1))
    done
}
serve $DEV_PORT "$T/dev.chain" "$T/dev.key"
serve $EVIL_PORT "$T/evil.pem" "$T/evil.key"
serve $RAW_PORT "$T/raw.pem" "$T/raw.key"

# --- the browser -------------------------------------------------------------
mkdir -p "$ART"
rm -f "$ART"/*.png
TRUSTING=$T/home-trusting
BARE=$T/home-bare
mkdir -p "$TRUSTING/.pki/nssdb" "$BARE/.pki/nssdb"
certutil -d "sql:$TRUSTING/.pki/nssdb" -N --empty-password || fail "certutil -N"
certutil -d "sql:$TRUSTING/.pki/nssdb" -A -t "C,," -n "lancert root" -i "$S/ca.pem" || fail "certutil -A"
certutil -d "sql:$BARE/.pki/nssdb" -N --empty-password || fail "certutil -N (bare)"
expect_match "the root is in the trusting NSS database" \
    "$(certutil -d "sql:$TRUSTING/.pki/nssdb" -L)" "lancert root +C,,"

# browse HOME CMD URL [SHOT] — the browser's JSON in $T/b.json, its exit status returned
browse() {
    home=$1
    shift
    $IN env HOME="$home" node tests/browser/browser.js "$@" >"$T/b.json" 2>"$T/b.err"
    rc=$?
    echo "# browser $1 $2: $(cut -c1-300 "$T/b.json") $(head -c 600 "$T/b.err")"
    return $rc
}
field() { # NAME — a string field of $T/b.json
    node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(String(r[process.argv[2]] ?? ""))' "$T/b.json" "$1"
}

# (a) a device's page, by its hex name, resolved by lancertd's DNS
DEV_URL="https://$DEV_HEX:$DEV_PORT/"
browse "$TRUSTING" load "$DEV_URL" "$ART/device"
expect_eq "with the root trusted, $DEV_URL loads (exit)" "$?" 0
expect_eq "no certificate error" "$(field error)" ""
expect_eq "it ends where it started" "$(field url)" "$DEV_URL"
expect_match "the page is the device's TLS server" "$(field text)" "Ciphers supported in s_server"
browse "$BARE" load "$DEV_URL"
expect_eq "without the root the same page fails (exit)" "$?" 3
expect_eq "... with an unknown-authority error" "$(field error)" "net::ERR_CERT_AUTHORITY_INVALID"
browse "$TRUSTING" load "https://$DEV_HEX:$RAW_PORT/"
expect_eq "control: a leaf for $DEV_HEX signed the same way loads (exit)" "$?" 0
EVIL_URL="https://evil.example.com:$EVIL_PORT/"
browse "$TRUSTING" load "$EVIL_URL"
expect_eq "a leaf for evil.example.com signed with the root key fails (exit)" "$?" 3
expect_match "... refused by the name constraint" "$(field error)" "^net::ERR_CERT_(INVALID|NAME_CONSTRAINT_VIOLATION|AUTHORITY_INVALID)$"
echo "# the out-of-zone leaf failed with $(field error)"

# (b) a typed address or hex name over plain HTTP ends at a trusted HTTPS page
for start in "http://$GW/x?y" "http://$GW_HEX/x?y"; do
    browse "$TRUSTING" load "$start"
    expect_eq "$start loads with no certificate error (exit)" "$?" 0
    expect_eq "$start ends at the hex name, path and query kept" "$(field url)" "https://$GW_HEX/x?y"
done
browse "$TRUSTING" load "https://$GW_HEX/healthz" "$ART/gateway-healthz"
expect_eq "the gateway's own page is trusted" "$(field text)" '{"status":"ok"}'

# (c) the landing page
browse "$BARE" landing "http://$GW/" "$ART/landing"
expect_eq "the landing page loads (exit)" "$?" 0
$IN curl -s "http://$GW/ca.pem" >"$T/served.pem"
want_fp=$(openssl x509 -in "$T/served.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
expect_eq "the fingerprint shown is the served root's" "$(field fingerprint_text)" "$want_fp"
expect_eq "... and so is the one in its data attribute" "$(field fingerprint_attr)" "$want_fp"
link=$(field download_href)
expect_eq "the download link names the gateway by address" "$link" "http://$GW/ca.crt"
for shot in "$ART/landing-desktop-qr.png" "$ART/landing-phone-qr.png"; do
    qr=$(zbarimg -q --raw "$shot" 2>/dev/null)
    expect_eq "the QR code ($(basename "$shot")) decodes to the download link" "$qr" "$link"
done
$IN curl -s -o "$T/linked.der" "$link"
expect_eq "the link gives the root" "$(openssl x509 -inform DER -in "$T/linked.der" 2>/dev/null)" \
    "$(cat "$T/served.pem")"
$IN curl -s -o "$T/profile.xml" "http://$GW/ca.mobileconfig"
xmllint --noout --nonet "$T/profile.xml" || fail "the profile is not well-formed XML"
ok "/ca.mobileconfig parses"
expect_eq "the profile is a plist of one root payload" \
    "$(xmllint --nonet --xpath 'count(/plist/dict/array/dict[string="com.apple.security.root"])' "$T/profile.xml")" 1
xmllint --nonet --xpath 'string(/plist/dict/array/dict[string="com.apple.security.root"]/data)' \
    "$T/profile.xml" | tr -d ' \n\t' | base64 -d >"$T/profile.der"
cmp -s "$T/profile.der" "$T/linked.der"
expect_eq "the profile's payload is exactly the root" $? 0

# (d) the admin UI, over HTTPS on the gateway's hex name
API="https://$GW_HEX/api/v1"
ADMIN=$(cat "$S/admin.token")
a() { $IN curl -sS --max-time 5 --cacert "$S/ca.pem" "$@"; }
enrol() { # FROM-ADDR CSR-NAME [TOKEN] — POST enroll; the reply in $T/r, the status out
    if [ -n "${3:-}" ]; then
        jq -n --rawfile csr "$T/$2.csr" --arg t "$3" '{csr: $csr, token: $t}' >"$T/$2.json"
    else
        jq -n --rawfile csr "$T/$2.csr" '{csr: $csr}' >"$T/$2.json"
    fi
    a --interface "$1" -o "$T/r" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data-binary "@$T/$2.json" "$API/enroll"
}
make_csr active ec:P-256 "/CN=active" "DNS:0a4d0003.home.arpa"
expect_eq "a device enrols its hex name from its own address" "$(enrol 10.77.0.3 active)" 201
ACTIVE_ID=$(jq -r .id "$T/r")
make_csr printer ec:P-256 "/CN=printer" "DNS:printer.home.arpa"
expect_eq "a friendly name waits for the admin" "$(enrol 10.77.0.4 printer)" 202
PENDING_ID=$(jq -r .id "$T/r")
browse "$BARE" ui "https://$GW_HEX/ui/" "$ADMIN" "$PENDING_ID" "$ACTIVE_ID" "$ART/ui"
expect_eq "the UI is not trusted without the root (exit)" "$?" 3
browse "$TRUSTING" ui "https://$GW_HEX/ui/" "$ADMIN" "$PENDING_ID" "$ACTIVE_ID" "$ART/ui"
expect_eq "the UI flow ran (exit)" "$?" 0
ui() { jq -r "$1" "$T/b.json"; }
expect_match "a wrong token is refused" "$(ui .desktop.wrong_token)" "not accepted"
expect_match "the UI says it approved" "$(ui .desktop.approved)" "Device $PENDING_ID .* approved"
expect_match "it asked before revoking" "$(ui .desktop.revoke_question)" "Revoke device $ACTIVE_ID"
expect_match "the UI says it revoked" "$(ui .desktop.revoked)" "Device $ACTIVE_ID revoked \(1 certificate\)"
expect_eq "a reload keeps the tab logged in" "$(ui .desktop.still_logged_in_after_reload)" true
expect_eq "the token is in sessionStorage" "$(ui .desktop.session_token_kept)" true
expect_eq "and in no cookie" "$(ui .desktop.cookies)" ""
expect_eq "logging out forgets it" "$(ui .desktop.logged_out)" true
expect_match "the health view shows the root fingerprint" "$(ui .desktop.health)" "$want_fp"
ah() { a -H "Authorization: Bearer $ADMIN" "$@"; }
expect_eq "API: the approved device is active" "$(ah "$API/devices/$PENDING_ID" | jq -r .status)" active
expect_eq "API: it has a certificate" "$(ah "$API/devices/$PENDING_ID" | jq -r '.certificates | length')" 1
expect_eq "API: the revoked device is revoked" "$(ah "$API/devices/$ACTIVE_ID" | jq -r .status)" revoked
serial=$(ah "$API/devices/$ACTIVE_ID" | jq -r '.certificates[0]')
expect_eq "API: its certificate is revoked" \
    "$(ah "$API/certificates" | jq -r --arg s "$serial" '.certificates[] | select(.serial == $s) | .revoked')" true
# The gateway's own key is no device: the list is dev (lancert issue), active
# and printer, none holding a gateway name; its certificate has no device.
ah "$API/devices" >"$T/devices.json"
expect_eq "API: three devices, none of them the gateway" "$(jq '.devices | length' "$T/devices.json")" 3
expect_eq "API: no device holds the gateway's names" "$(jq --arg h "$GW_HEX" \
    '[.devices[].names[] | select(. == $h or . == "gateway.home.arpa")] | length' "$T/devices.json")" 0
expect_eq "API: the gateway's certificate is listed, tied to no device" "$(ah "$API/certificates" |
    jq -r '[.certificates[] | select(.names | index("gateway.home.arpa")) | .device_id] | unique | tostring')" "[null]"
TOKEN=$(ui .desktop.enrol_token)
expect_eq "the token's QR code decodes to the token" "$(zbarimg -q --raw "$(ui .desktop.token_qr)" 2>/dev/null)" "$TOKEN"
make_csr camera ec:P-256 "/CN=camera" "DNS:camera.home.arpa"
expect_eq "the token from the UI enrols camera at once" "$(enrol 10.77.0.5 camera "$TOKEN")" 201

# (e) without JavaScript: read-only pages behind the browser's Basic login
browse "$TRUSTING" nojs "https://$GW_HEX/ui/" admin "$ADMIN" "$ART/nojs"
expect_eq "the read-only pages ran with JavaScript off (exit)" "$?" 0
for size in desktop phone; do
    expect_match "$size: the noscript note links the read-only pages" "$(ui .$size.noscript)" \
        "Read without JavaScript"
    for view in devices certificates health; do
        expect_eq "$size: $view.html with the token: 200" "$(ui .$size.${view}_status)" 200
    done
    expect_match "$size: the device list shows the approved printer" "$(ui .$size.devices)" \
        "printer.home.arpa"
    # A row is one line on a desktop, one line per cell on a phone.
    expect_match "$size: and the revoked device, its names forgotten" \
        "$(ui .$size.devices | tr '\n\t' '  ')" "#$ACTIVE_ID [^#]*revoked"
    expect_match "$size: and camera, enrolled with the token" "$(ui .$size.devices)" "camera.home.arpa"
    expect_match "$size: the certificate list shows one revoked" "$(ui .$size.certificates)" "revoked"
    expect_match "$size: the health page shows the root fingerprint" "$(ui .$size.health)" "$want_fp"
    expect_eq "$size: no request left the gateway" "$(ui ".$size.elsewhere | length")" 0
done
a -D "$T/uih" -o /dev/null "https://$GW_HEX/ui/app.js"
expect_match "the UI's CSP allows its own scripts only" "$(cat "$T/uih")" \
    "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'"
expect_match "HSTS on the UI" "$(cat "$T/uih")" "Strict-Transport-Security: max-age="
# The QR endpoint the UI uses: the admin's only, and strict about its body.
qr() { # BODY [curl args] — the status of POST /api/v1/qr
    body=$1
    shift
    a -o "$T/qr.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary "$body" \
        "$@" "$API/qr"
}
expect_eq "POST qr without the admin token" "$(qr '{"text":"x"}')" 401
expect_eq "POST qr, not JSON" "$(qr '{"text":' -H "Authorization: Bearer $ADMIN")" 400
expect_eq "POST qr, text not a string" "$(qr '{"text":1}' -H "Authorization: Bearer $ADMIN")" 400
expect_eq "POST qr, empty text" "$(qr '{"text":""}' -H "Authorization: Bearer $ADMIN")" 400
long=$(head -c 513 /dev/zero | tr '\0' x)
expect_eq "POST qr, 513 bytes" "$(qr "{\"text\":\"$long\"}" -H "Authorization: Bearer $ADMIN")" 400
expect_eq "POST qr" "$(qr '{"text":"hello"}' -H "Authorization: Bearer $ADMIN")" 200
expect_match "it is an SVG" "$(head -c 60 "$T/qr.out")" '^<svg xmlns="http://www.w3.org/2000/svg"'

# Every browser query came from 127.0.0.1, well over dns_rrl's 20 a second at
# each page load, and none was dropped: loopback is exempt.
a -H "Authorization: Bearer $ADMIN" "https://$GW_HEX/metrics" >"$T/metrics" || fail "GET /metrics"
queries=$(awk '$1 ~ /^lancert_dns_queries_total/ { n += $2 } END { print n + 0 }' "$T/metrics")
[ "$queries" -gt 20 ] || fail "only $queries DNS queries counted"
ok "$queries DNS queries answered from the loopback"
expect_eq "none rate limited" "$(awk '$1 == "lancert_dns_rate_limited_total" { print $2 }' "$T/metrics")" 0

for shot in "$ART"/*.png; do echo "# screenshot: $shot"; done
done_testing
