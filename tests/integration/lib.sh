# lib.sh — shared by the integration tests (POSIX sh). Source it from the
# repository root. It gives each test a temporary directory, free loopback
# ports, lancertd start/stop, and small assertions that count and explain.
set -u

LANCERT=${LANCERT:-./lancert}
LANCERTD=${LANCERTD:-./lancertd}
T=$(mktemp -d "${TMPDIR:-/tmp}/lancert-test.XXXXXX")
DAEMON_PID=""
n_ok=0

cleanup() {
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -TERM "$DAEMON_PID" 2>/dev/null
        wait "$DAEMON_PID" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/daemon.log" ] && { echo "--- daemon log" >&2; tail -n 20 "$T/daemon.log" >&2; }
    exit 1
}

ok() {
    n_ok=$((n_ok + 1))
    echo "ok $n_ok - $*"
}

# expect_eq WHAT GOT WANT
expect_eq() {
    [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
    ok "$1"
}

# expect_match WHAT TEXT PATTERN (grep -E)
expect_match() {
    printf '%s' "$2" | grep -Eq -- "$3" || fail "$1: '$2' does not match /$3/"
    ok "$1"
}

# expect_exit WHAT WANT_STATUS COMMAND... — runs it, keeps stderr in $T/err
expect_exit() {
    what=$1
    want=$2
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "$what: exit $got, want $want (stderr: $(cat "$T/err"))"
    ok "$what (exit $want)"
}

# free_port — a port nobody listens on now (TCP or UDP), from a high random
# range.
free_port() {
    while :; do
        # /dev/urandom, not awk's srand: mawk truncates a pid+nanoseconds seed
        # to the same value every time, so every call gave the same port.
        p=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
        if ! (echo >/dev/tcp/127.0.0.1/"$p") 2>/dev/null; then
            # /dev/tcp is bash-only; under dash the probe fails and we trust the range.
            ss -ltun 2>/dev/null | grep -q ":$p " || { echo "$p"; return; }
        fi
    done
}

# start_daemon ARGS... — runs lancertd in the foreground in the background
# and waits until its plain-HTTP port answers. Uses $HTTP_PORT.
start_daemon() {
    "$LANCERTD" --foreground "$@" >"$T/daemon.log" 2>&1 &
    DAEMON_PID=$!
    i=0
    while [ $i -lt 100 ]; do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/ca.pem")" = 200 ]; then
            return 0
        fi
        kill -0 "$DAEMON_PID" 2>/dev/null || fail "lancertd exited at start"
        sleep 0.05
        i=$((i + 1))
    done
    fail "lancertd did not answer on port $HTTP_PORT"
}

# wait_log PATTERN — waits (up to 5 s) until the daemon log matches.
wait_log() {
    i=0
    until grep -Eq -- "$1" "$T/daemon.log" 2>/dev/null || [ $i -ge 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
}

stop_daemon() {
    kill -TERM "$DAEMON_PID"
    wait "$DAEMON_PID"
    status=$?
    DAEMON_PID=""
    return $status
}

# make_csr NAME KEYSPEC SUBJ [SAN] — writes $T/NAME.key and $T/NAME.csr
make_csr() {
    name=$1
    keyspec=$2
    subj=$3
    san=${4:-}
    case "$keyspec" in
        ec:*) openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${keyspec#ec:}" -out "$T/$name.key" 2>/dev/null ;;
        rsa:*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${keyspec#rsa:}" -out "$T/$name.key" 2>/dev/null ;;
        ed25519) openssl genpkey -algorithm ED25519 -out "$T/$name.key" 2>/dev/null ;;
    esac
    if [ -n "$san" ]; then
        openssl req -new -key "$T/$name.key" -subj "$subj" -addext "subjectAltName=$san" -out "$T/$name.csr" 2>/dev/null
    else
        openssl req -new -key "$T/$name.key" -subj "$subj" -out "$T/$name.csr" 2>/dev/null
    fi
    [ -s "$T/$name.csr" ] || fail "could not make CSR $name"
}

done_testing() {
    echo "# $n_ok checks passed"
    exit 0
}
