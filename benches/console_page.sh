#!/usr/bin/env bash
# benches/console_page.sh — the sub-user console page of ../shared/bench, served by this
# project's release build from its own database, under ../shared/bench/load.sh.
#
# Usage: benches/console_page.sh [postgres] [sqlite]      (default: both, PostgreSQL first)
# Env:   DURATION=15 CONNECTIONS=16 RUNS=3 WARMUP_S=3 PORT=8091
#        MEMBERS=1000 (the big root's members), FIRST=100 (members on the page)
#        SERVER_ARGS='--otlp-endpoint http://127.0.0.1:4318' (extra flags for the server)
#        PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres (a database ac_bench is recreated)
#
# For each backend: a fresh database seeded with the anchor's shape (one root with MEMBERS
# members, 50 projects, 1–3 memberships and 0–2 keys each, every 2nd member with an MFA
# device, 2,000 other accounts), the server started with --release, the page checked
# once, SQL statements per page counted over 20 sequential requests, then RUNS load runs.
# Every request resolves the page from the database (no response cache).
# Prints one line per run (with the CPU time per request of the server and of PostgreSQL's
# processes, from /proc: on PostgreSQL they share the machine; server_kernel_ms is the
# server's part spent in the kernel: sockets, and on SQLite its worker threads' hand-offs)
# and a median line per backend:
#   console_page backend=… members=… first=… rps=… p50_ms=… p99_ms=… sql_per_req=…
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=${DURATION:-15} CONNECTIONS=${CONNECTIONS:-16} RUNS=${RUNS:-3} WARMUP=${WARMUP_S:-3}
BACKENDS=("$@"); [[ ${#BACKENDS[@]} -gt 0 ]] || BACKENDS=(postgres sqlite)
command -v wrk >/dev/null || die "wrk is not installed (apt-get install -y wrk)"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { sed -nE "s/.*[[:space:]]$1=([^[:space:]]+).*/\1/p" <<<"$2" | head -1; }
# CPU time (clock ticks) of one process, and of every PostgreSQL process on this machine.
process_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
kernel_ticks() { awk '{ print $15 }' "/proc/$1/stat"; }
postgres_ticks() {
    cat /proc/[0-9]*/stat 2>/dev/null | awk '$2 == "(postgres)" { t += $14 + $15 } END { print t + 0 }'
}
# per_request BEFORE AFTER LOAD_LINE: milliseconds of CPU per request over the measured run.
per_request() {
    awk -v b="$1" -v a="$2" -v n="$(field requests "$3")" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.2f", (n > 0 ? (a - b) * 1000 / hz / n : 0) }'
}

build
for backend in "${BACKENDS[@]}"; do
    fresh_database "$backend"
    seed
    start_server
    check_page
    bytes=$(page | wc -c)

    before=$(statements)
    for _ in $(seq 20); do page >/dev/null; done
    after=$(statements)
    sql_per_req=$(awk -v a="$before" -v b="$after" 'BEGIN {printf "%.2f", (b - a) / 20}')

    rps_all=() p50_all=() p99_all=()
    for run in $(seq "$RUNS"); do
        # The warm-up is a run of its own, so the CPU counted below is the measured run's.
        if [[ $WARMUP != 0 ]]; then
            AUTH_TOKEN=$TOKEN WARMUP_S=0 "$BENCH/load.sh" "$URL/graphql" "$QUERY" "$WARMUP" "$CONNECTIONS" >/dev/null \
                || die "$backend: the warm-up failed (see $BENCH/out/load)"
        fi
        server_before=$(process_ticks "$SERVER_PID") kernel_before=$(kernel_ticks "$SERVER_PID")
        db_before=$(postgres_ticks)
        out=$(AUTH_TOKEN=$TOKEN WARMUP_S=0 "$BENCH/load.sh" "$URL/graphql" "$QUERY" "$DURATION" "$CONNECTIONS" | grep '^load:') \
            || die "$backend: the load run failed (see $BENCH/out/load)"
        server_ms=$(per_request "$server_before" "$(process_ticks "$SERVER_PID")" "$out")
        kernel_ms=$(per_request "$kernel_before" "$(kernel_ticks "$SERVER_PID")" "$out")
        db_ms=$(per_request "$db_before" "$(postgres_ticks)" "$out")
        [[ $backend == postgres ]] || db_ms=in-process
        rps=$(field rps "$out") p50=$(field p50_ms "$out") p99=$(field p99_ms "$out")
        printf 'console_page backend=%s members=%s first=%s run=%s rps=%s p50_ms=%s p99_ms=%s sql_per_req=%s body_bytes=%s server_cpu_ms=%s server_kernel_ms=%s db_cpu_ms=%s\n' \
            "$backend" "$MEMBERS" "$FIRST" "$run" "$rps" "$p50" "$p99" "$sql_per_req" "$bytes" "$server_ms" "$kernel_ms" "$db_ms"
        rps_all+=("$rps") p50_all+=("$p50") p99_all+=("$p99")
    done
    printf 'console_page backend=%s members=%s first=%s median_of=%s rps=%s p50_ms=%s p99_ms=%s sql_per_req=%s\n' \
        "$backend" "$MEMBERS" "$FIRST" "$RUNS" \
        "$(printf '%s\n' "${rps_all[@]}" | median)" "$(printf '%s\n' "${p50_all[@]}" | median)" \
        "$(printf '%s\n' "${p99_all[@]}" | median)" "$sql_per_req"
    stop_server
done
