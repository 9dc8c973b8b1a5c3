#!/usr/bin/env bash
# benches/console_page.sh — the sub-user console page of ../shared/bench, served by this
# project's release build from its own database, under ../shared/bench/load.sh.
#
# Usage: benches/console_page.sh [postgres] [sqlite]      (default: both, PostgreSQL first)
# Env:   DURATION=15 CONNECTIONS=16 RUNS=3 WARMUP_S=3 PORT=8091
#        SERVER_ARGS='--otlp-endpoint http://127.0.0.1:4318' (extra flags for the server)
#        PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres (a database ac_bench is recreated)
#
# For each backend: a fresh database seeded with the anchor's shape (one root with 1,000
# members, 50 projects, 1–3 memberships and 0–2 keys each, every 2nd member with an MFA
# device, 2,000 other accounts), the server started with --release, the page checked
# once, SQL statements per page counted over 20 sequential requests, then RUNS load runs.
# Prints one line per run and a median line per backend:
#   console_page backend=… rps=… p50_ms=… p99_ms=… sql_per_req=…
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/../shared/bench}
QUERY=$BENCH/queries/console-account-center.graphql
DURATION=${DURATION:-15} CONNECTIONS=${CONNECTIONS:-16} RUNS=${RUNS:-3} PORT=${PORT:-8091}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
OPS_TOKEN=bench-ops
URL=http://127.0.0.1:$PORT
BACKENDS=("$@"); [[ ${#BACKENDS[@]} -gt 0 ]] || BACKENDS=(postgres sqlite)

die() { printf 'console_page.sh: %s\n' "$*" >&2; exit 1; }
for tool in jq curl wrk; do command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install -y $tool)"; done
[[ -r $QUERY ]] || die "cannot read $QUERY"

cd "$ROOT"
cargo build -q --release --bin account-center
cargo bench -q --bench console_page --no-run 2>/dev/null

SERVER_PID=
stop_server() { [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
trap stop_server EXIT

ops() { # $1 query
    jq -n --arg q "$1" '{query: $q}' | curl -sS -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $OPS_TOKEN" --data-binary @- "$URL/ops/graphql"
}
page() { # one console page as the big root
    jq -n --rawfile q "$QUERY" '{query: $q}' | curl -sS -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $TOKEN" --data-binary @- "$URL/graphql"
}
statements() { ops '{ sqlStatementsExecuted }' | jq -r '.data.sqlStatementsExecuted'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { sed -nE "s/.*[[:space:]]$1=([^[:space:]]+).*/\1/p" <<<"$2" | head -1; }

for backend in "${BACKENDS[@]}"; do
    case $backend in
        postgres)
            psql -X -q -v ON_ERROR_STOP=1 "$PG_ADMIN_URL" -c 'SET client_min_messages = warning' -c 'DROP DATABASE IF EXISTS ac_bench WITH (FORCE)' -c 'CREATE DATABASE ac_bench'
            # Loopback: no TLS (sqlx would otherwise negotiate it, as PostGraphile does not).
            DB_URL="${PG_ADMIN_URL%/*}/ac_bench?sslmode=disable" ;;
        sqlite)
            rm -f /tmp/ac_bench.db /tmp/ac_bench.db-wal /tmp/ac_bench.db-shm
            DB_URL='sqlite:///tmp/ac_bench.db?mode=rwc' ;;
        *) die "unknown backend $backend (postgres or sqlite)" ;;
    esac
    TOKEN=$(cargo bench -q --bench console_page -- seed "$DB_URL")
    RUST_LOG=warn "$ROOT/target/release/account-center" serve --database-url "$DB_URL" \
        --listen "127.0.0.1:$PORT" --ops-token "$OPS_TOKEN" --scheduler-interval-secs 3600 \
        ${SERVER_ARGS:-} &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -sf "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
    curl -sf "$URL/readyz" >/dev/null || die "the server did not become ready"

    # The page is right: the anchor's counts (100 of 1,000 members 80/10/10, 50 projects of which 10 disabled).
    page | jq -e '.errors == null and (.data.viewer.account as $a
        | ($a.subUsers.totalCount == 1000) and ($a.subUsers.edges | length == 100)
        and ([$a.subUsers.edges[].node | select(.kind == "SUB_USER")] | length == 80)
        and ([$a.subUsers.edges[].node | select(.mfaDevice != null)] | length == 50)
        and ($a.projects.edges | length == 50)
        and ([$a.projects.edges[].node | select(.status == "DISABLED")] | length == 10)
        and ($a.mfaDevice.serialNumber == "MFA-A-000001") and ($a.verification.state == "APPROVED")
        and ($a.loginMethods | length == 4))' >/dev/null || die "$backend: the console page is not the seeded one"
    bytes=$(page | wc -c)

    before=$(statements)
    for _ in $(seq 20); do page >/dev/null; done
    after=$(statements)
    sql_per_req=$(awk -v a="$before" -v b="$after" 'BEGIN {printf "%.2f", (b - a) / 20}')

    rps_all=() p50_all=() p99_all=()
    for run in $(seq "$RUNS"); do
        out=$(AUTH_TOKEN=$TOKEN "$BENCH/load.sh" "$URL/graphql" "$QUERY" "$DURATION" "$CONNECTIONS" | grep '^load:')
        rps=$(field rps "$out") p50=$(field p50_ms "$out") p99=$(field p99_ms "$out")
        printf 'console_page backend=%s run=%s rps=%s p50_ms=%s p99_ms=%s sql_per_req=%s body_bytes=%s\n' \
            "$backend" "$run" "$rps" "$p50" "$p99" "$sql_per_req" "$bytes"
        rps_all+=("$rps") p50_all+=("$p50") p99_all+=("$p99")
    done
    printf 'console_page backend=%s median_of=%s rps=%s p50_ms=%s p99_ms=%s sql_per_req=%s\n' "$backend" "$RUNS" \
        "$(printf '%s\n' "${rps_all[@]}" | median)" "$(printf '%s\n' "${p50_all[@]}" | median)" \
        "$(printf '%s\n' "${p99_all[@]}" | median)" "$sql_per_req"
    stop_server
done
