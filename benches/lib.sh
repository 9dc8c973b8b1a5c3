# benches/lib.sh — what the console-page benches share: a fresh seeded database, the
# release server on it, and the page. Sourced, not run.
#
# Env: MEMBERS=1000 (members of the big root), FIRST=100 (members the page shows),
#      PORT=8091, PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres,
#      SERVER_ARGS (extra server flags), BUILD=0 (use the binaries as built: to measure a
#      variant built by hand without the bench harness being rebuilt for it),
#      SERVER_BIN=path (another build of the server, e.g. a copy of an earlier commit's),
#      SEEDER=path (the seeder as built, target/release/deps/console_page-*: with BUILD=0,
#      the seed step then does not rebuild it either after a change to src/)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/../shared/bench}
MEMBERS=${MEMBERS:-1000} FIRST=${FIRST:-100} PORT=${PORT:-8091}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
OPS_TOKEN=bench-ops
URL=http://127.0.0.1:$PORT
SERVER_PID=

die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
for tool in jq curl; do command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install -y $tool)"; done
[[ $MEMBERS =~ ^[0-9]+$ && $MEMBERS -ge 1 && $MEMBERS -le 100000 ]] || die "MEMBERS must be 1..100000"
[[ $FIRST =~ ^[0-9]+$ && $FIRST -ge 1 && $FIRST -le 100 ]] || die "FIRST must be 1..100 (SUB-05's page size)"

# The anchor's page, showing FIRST members.
QUERY=$(mktemp /tmp/console-page-XXXX.graphql)
sed -E "s/subUsers\(first: 100\)/subUsers(first: $FIRST)/" "$BENCH/queries/console-account-center.graphql" >"$QUERY"
grep -q "subUsers(first: $FIRST)" "$QUERY" || die "the anchor's query no longer selects subUsers(first: 100)"

stop_server() { [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
trap 'stop_server; rm -f "$QUERY"' EXIT

build() {
    cd "$ROOT"
    [[ ${BUILD:-1} == 0 ]] && return
    cargo build -q --release --bin account-center
    cargo bench -q --bench console_page --no-run 2>/dev/null
}

# fresh_database BACKEND: sets DB_URL to a new, empty database.
fresh_database() {
    case $1 in
        postgres)
            psql -X -q -v ON_ERROR_STOP=1 "$PG_ADMIN_URL" -c 'SET client_min_messages = warning' \
                -c 'DROP DATABASE IF EXISTS ac_bench WITH (FORCE)' -c 'CREATE DATABASE ac_bench'
            # Loopback: no TLS (sqlx would otherwise negotiate it, as PostGraphile does not).
            DB_URL="${PG_ADMIN_URL%/*}/ac_bench?sslmode=disable" ;;
        sqlite)
            rm -f /tmp/ac_bench.db /tmp/ac_bench.db-wal /tmp/ac_bench.db-shm
            DB_URL='sqlite:///tmp/ac_bench.db?mode=rwc' ;;
        *) die "unknown backend $1 (postgres or sqlite)" ;;
    esac
}

# seed: the anchor's shape with MEMBERS members; sets TOKEN (the big root's session).
seed() {
    if [[ -n ${SEEDER:-} ]]; then
        TOKEN=$("$SEEDER" seed "$DB_URL" "$MEMBERS")
    else
        TOKEN=$(cd "$ROOT" && cargo bench -q --bench console_page -- seed "$DB_URL" "$MEMBERS")
    fi
}

# start_server [WRAPPER...]: the release server on DB_URL (under WRAPPER, e.g. valgrind).
start_server() {
    RUST_LOG=${RUST_LOG:-warn} "$@" "${SERVER_BIN:-$ROOT/target/release/account-center}" serve --database-url "$DB_URL" \
        --listen "127.0.0.1:$PORT" --ops-token "$OPS_TOKEN" --scheduler-interval-secs 3600 \
        ${SERVER_ARGS:-} &
    SERVER_PID=$!
    local tries=${READY_TRIES:-100}
    for _ in $(seq "$tries"); do curl -sf "$URL/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
    die "the server did not become ready"
}

ops() { # $1 query
    jq -n --arg q "$1" '{query: $q}' | curl -sS -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $OPS_TOKEN" --data-binary @- "$URL/ops/graphql"
}
page() { # one console page as the big root
    jq -n --rawfile q "$QUERY" '{query: $q}' | curl -sS -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $TOKEN" --data-binary @- "$URL/graphql"
}
statements() { ops '{ sqlStatementsExecuted }' | jq -r '.data.sqlStatementsExecuted'; }

# check_page: the page is the seeded one (the anchor's counts: 50 projects of which 10
# disabled, 4 login methods; min(FIRST, MEMBERS) of MEMBERS members).
check_page() {
    page | jq -e --argjson members "$MEMBERS" --argjson first "$FIRST" '.errors == null
        and (.data.viewer.account as $a
        | ($a.subUsers.totalCount == $members)
        and ($a.subUsers.edges | length == ([$first, $members] | min))
        and ($a.projects.edges | length == 50)
        and ([$a.projects.edges[].node | select(.status == "DISABLED")] | length == 10)
        and ($a.mfaDevice.serialNumber == "MFA-A-000001") and ($a.verification.state == "APPROVED")
        and ($a.loginMethods | length == 4))' >/dev/null || die "the console page is not the seeded one"
}
