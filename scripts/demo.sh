#!/bin/sh
# demo.sh — `make demo`: a demo gateway on loopback with its own state in
# ./demo/, started in the foreground. Ctrl-C stops it; the state stays for
# the next run (remove ./demo/ to start over).
set -eu
cd "$(dirname "$0")/.."

dir=$PWD/demo
state=$dir/state
conf=$dir/lancert.conf
allow="127.0.0.0/8 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7"

mkdir -p "$dir"
if [ ! -f "$conf" ]; then
    cat >"$conf" <<CONF
# The demo gateway: loopback only. See lancert.conf(5).
state_dir = $state
zone = home.arpa
allow = $allow
dns_listen = 127.0.0.1:5300
http_listen = 127.0.0.1:8080
https_listen = 127.0.0.1:8443
dns_rrl = 0
enroll_policy = approve
CONF
fi
if [ ! -f "$state/ca.pem" ]; then
    ./lancert --config "$conf" ca init --allow "$allow" >/dev/null
fi

fp=$(./lancert --config "$conf" ca show --json | sed -n 's/.*"sha256_fingerprint": "\(.*\)".*/\1/p')
cat <<MSG

lancert demo gateway
  state:        $state
  config:       $conf
  root:         SHA256 $fp

Open in a browser:
  http://127.0.0.1:8080/            the landing page: fingerprint and install steps
  https://127.0.0.1:8443/healthz    the HTTPS listener (trust $state/ca.pem first)
  https://127.0.0.1:8443/ui/        the admin web UI: log in with $state/admin.token

Try:
  curl -si -H 'Host: 192.168.1.23' 'http://127.0.0.1:8080/admin?x=1' | grep -i location
      -> https://c0a80117.home.arpa/admin?x=1   (an address becomes its hex name)
  curl -s -o /dev/null -w '%{http_code}\\n' -H 'Host: example.com' http://127.0.0.1:8080/
      -> 421   (not a local name: never redirected)
  ./lancert name encode 192.168.1.23
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout dev.key \\
      -subj /CN=printer -addext 'subjectAltName=DNS:printer.home.arpa,IP:192.168.1.23' -out dev.csr
  ./lancert --config $conf issue --csr dev.csr > dev.pem
  openssl verify -CAfile $state/ca.pem dev.pem
  ./lancert --config $conf status
  dig +short -p 5300 @127.0.0.1 c0a80117.home.arpa          -> 192.168.1.23
  dig +short -p 5300 @127.0.0.1 _lancert._tcp.home.arpa SRV
  curl --cacert $state/ca.pem --resolve gateway.home.arpa:8443:127.0.0.1 \\
      https://gateway.home.arpa:8443/healthz
  curl --cacert $state/ca.pem --resolve gateway.home.arpa:8443:127.0.0.1 \\
      -H "Authorization: Bearer \$(cat $state/admin.token)" https://gateway.home.arpa:8443/api/v1/certificates

Not built yet: ACME. Ctrl-C stops the gateway.

MSG
exec ./lancertd --foreground --config "$conf"
