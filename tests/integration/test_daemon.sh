#!/bin/sh
# lancertd as a service: detaching into the background, dropping root to the
# configured user after binding, and handing the state to that user.
. tests/integration/lib.sh

S=$T/state
HTTP_PORT=$(free_port)
DNS="--dns_listen=127.0.0.1:$(free_port) --https_listen=127.0.0.1:$(free_port)"
ALLOW="127.0.0.0/8 192.168.0.0/16"
chmod 755 "$T" # the service user must reach the state directory
$LANCERT ca init --state "$S" --allow "$ALLOW" >/dev/null || fail "ca init"

# --- detached: the start command returns, the daemon serves ----------------------
expect_exit "lancertd detaches" 0 $LANCERTD --state_dir="$S" --allow="$ALLOW" --http_listen=127.0.0.1:$HTTP_PORT $DNS
i=0
until curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/ca.pem" || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
pid=$(pgrep -f "lancertd --state_dir=$S" | head -n 1)
[ -n "$pid" ] || fail "no detached lancertd found"
DAEMON_PID=$pid # stopped by cleanup if a check below fails
ok "detached lancertd runs as pid $pid"
expect_eq "detached lancertd serves" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/ca.pem")" 200
expect_eq "it has no controlling terminal" "$(ps -o tty= -p "$pid" | tr -d ' ')" "?"
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -0 "$pid" 2>/dev/null && fail "detached lancertd did not stop on SIGTERM"
DAEMON_PID=""
ok "detached lancertd stops on SIGTERM"

# --- dropping root ------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
    echo "# not root: the privilege drop cannot be tested here"
    done_testing
fi
user=nobody
uid=$(id -u $user)
start_daemon --state_dir="$S" --allow="$ALLOW" --http_listen=127.0.0.1:$HTTP_PORT $DNS --user=$user
expect_eq "runs as $user after binding" "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/$DAEMON_PID/status)" "$uid $uid $uid $uid"
expect_eq "no supplementary groups" "$(awk '/^Groups:/ { print $2 }' /proc/$DAEMON_PID/status)" ""
expect_eq "the state directory is handed over" "$(stat -c %U "$S")" $user
expect_eq "the CA key is handed over" "$(stat -c %U "$S/ca.key")" $user
expect_eq "the CA key stays 0600" "$(stat -c %a "$S/ca.key")" 600
expect_eq "the store is handed over" "$(stat -c %U "$S/lancert.db")" $user
expect_eq "serves after dropping root" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/crl")" 200
kill -HUP "$DAEMON_PID"
wait_log reloaded
expect_eq "reloads as $user" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/")" 200
expect_match "reload logged" "$(cat "$T/daemon.log")" "reloaded"
stop_daemon
expect_eq "stops cleanly" $? 0
expect_exit "unknown user refused" 3 $LANCERTD --foreground --state_dir="$S" --allow="$ALLOW" \
    --http_listen=127.0.0.1:$HTTP_PORT $DNS --user=no-such-user-here
expect_match "unknown user message" "$(cat "$T/err")" "no such user"

done_testing
