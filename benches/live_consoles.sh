#!/usr/bin/env bash
# benches/live_consoles.sh — live consoles at scale (issue 20): idle WebSocket subscriptions
# (NTF-06) on one release server, its resident memory per connection, and one notice fanned
# out to every subscriber of one account. Loopback only; every wait is bounded.
#
# Usage: benches/live_consoles.sh [sqlite|postgres]      (default: sqlite)
# Env:   CONNECTIONS=10000 (1..20000)  SUBSCRIPTIONS=1 (messageAdded per connection: 0, 1, 2, 5, 10)
#        FANOUT=1000 (subscriptions of the notified account, a multiple of 10)
#        ROUNDS=1 (notices, 0..2)  PER_ADDRESS=40/SUBSCRIPTIONS (connections per source address)
#        SETTLE_S=5 IDLE_S=10 PORT=8092  SERVER_ARGS (extra server flags)
#        SERVER_BIN (another server binary to measure, e.g. an older build; default: the
#        release build, built first)
#        PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres (a database ac_live is recreated)
#
# Within the server's limits (10 subscriptions per session, 50 per client address): sessions
# of 10 subscriptions, FANOUT/10 of them of the notified account and the rest spread over
# other accounts of as many sessions, and connections bound to source addresses 127.1.0.1, …
# (the server counts the peer address; it is started without --trusted-proxies). Prints:
#   live_consoles connections=… rss_before_kib=… rss_after_kib=… per_connection_kib=…
#   live_idle seconds=… server_cpu_pct=… sql_per_s=…
#   live_fanout round=1 subscribers=… first_ms=… p50_ms=… last_ms=…
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKEND=${1:-sqlite}
CONNECTIONS=${CONNECTIONS:-10000} SUBSCRIPTIONS=${SUBSCRIPTIONS:-1} FANOUT=${FANOUT:-1000}
ROUNDS=${ROUNDS:-1} SETTLE_S=${SETTLE_S:-5} IDLE_S=${IDLE_S:-10} PORT=${PORT:-8092}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
OPS_TOKEN=bench-ops
URL=http://127.0.0.1:$PORT

die() { printf 'live_consoles.sh: %s\n' "$*" >&2; exit 1; }
number() { [[ $2 =~ ^[0-9]+$ ]] && (($2 >= $3 && $2 <= $4)) || die "$1 must be $3..$4, not '$2'"; }
number CONNECTIONS "$CONNECTIONS" 1 20000
[[ $SUBSCRIPTIONS =~ ^(0|1|2|5|10)$ ]] || die "SUBSCRIPTIONS must be 0, 1, 2, 5 or 10 (a session holds 10)"
# A session's 10 subscriptions: on 10 connections of 1, …, or on 1 connection of 10.
SLOTS=$((CONNECTIONS * (SUBSCRIPTIONS > 0 ? SUBSCRIPTIONS : 1)))
PER_ADDRESS=${PER_ADDRESS:-$((40 / (SUBSCRIPTIONS > 0 ? SUBSCRIPTIONS : 1)))}
number FANOUT "$FANOUT" 10 "$SLOTS"
((FANOUT % 10 == 0)) || die "FANOUT must be a multiple of 10 (sessions of 10 subscriptions)"
number ROUNDS "$ROUNDS" 0 2
number PER_ADDRESS "$PER_ADDRESS" 1 50
number SETTLE_S "$SETTLE_S" 0 120
number IDLE_S "$IDLE_S" 0 120
number PORT "$PORT" 1024 65535
command -v curl >/dev/null || die "curl is not installed (apt-get install -y curl)"

# Both sides hold one descriptor per connection, plus the server's database and the rest.
need=$((CONNECTIONS + 1024)) hard=$(ulimit -Hn)
[[ $hard == unlimited || $hard -ge $need ]] || die "the hard limit on open files is $hard; $need needed"
ulimit -n "$need"

# The notified account's sessions first (the bench notifies the first line's account).
SESSIONS=$((FANOUT / 10)) ACCOUNTS=$(((SLOTS + FANOUT - 1) / FANOUT))

cd "$ROOT"
if [[ -z ${SERVER_BIN:-} ]]; then
    cargo build -q --release --bin account-center
    SERVER_BIN=$ROOT/target/release/account-center
fi
[[ -x $SERVER_BIN ]] || die "$SERVER_BIN is not an executable"
cargo bench -q --bench live_consoles --no-run 2>/dev/null

SERVER_PID=
TOKENS=$(mktemp /tmp/ac-live-tokens-XXXX)
stop_server() { [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
trap 'stop_server; rm -f "$TOKENS"' EXIT

case $BACKEND in
    postgres)
        command -v psql >/dev/null || die "psql is not installed"
        psql -X -q -v ON_ERROR_STOP=1 "$PG_ADMIN_URL" -c 'SET client_min_messages = warning' \
            -c 'DROP DATABASE IF EXISTS ac_live WITH (FORCE)' -c 'CREATE DATABASE ac_live'
        DB_URL="${PG_ADMIN_URL%/*}/ac_live?sslmode=disable" ;;
    sqlite)
        rm -f /tmp/ac_live.db /tmp/ac_live.db-wal /tmp/ac_live.db-shm
        DB_URL='sqlite:///tmp/ac_live.db?mode=rwc' ;;
    *) die "unknown backend $BACKEND (sqlite or postgres)" ;;
esac
cargo bench -q --bench live_consoles -- seed "$DB_URL" "$ACCOUNTS" "$SESSIONS" >"$TOKENS"

curl -sf "$URL/readyz" >/dev/null 2>&1 && die "something already answers on port $PORT"
RUST_LOG=warn "$SERVER_BIN" serve --database-url "$DB_URL" \
    --listen "127.0.0.1:$PORT" --ops-token "$OPS_TOKEN" --scheduler-interval-secs 3600 \
    ${SERVER_ARGS:-} &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$URL/readyz" >/dev/null || die "the server did not become ready"

echo "# backend=$BACKEND accounts=$ACCOUNTS sessions_per_account=$SESSIONS nofile=$(ulimit -n)"
timeout 900 cargo bench -q --bench live_consoles -- run "$URL" "$TOKENS" \
    --connections "$CONNECTIONS" --subscriptions "$SUBSCRIPTIONS" --per-address "$PER_ADDRESS" --server-pid "$SERVER_PID" \
    --ops-token "$OPS_TOKEN" --settle-secs "$SETTLE_S" --idle-secs "$IDLE_S" --rounds "$ROUNDS"
