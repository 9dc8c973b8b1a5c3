#!/usr/bin/env bash
# benches/callgrind_page.sh — instructions per console page, counted by valgrind's callgrind
# in the release server: a count that does not drift with the machine's load.
#
# Usage: benches/callgrind_page.sh [postgres] [sqlite]     (default: both)
# Env:   PAGES=50 (pages counted, after 5 warm-up pages), MEMBERS=1000, FIRST=100, PORT=8091
#        KEEP=1 keeps callgrind.out.* in benches/out/ for callgrind_annotate
#
# The server starts under callgrind with instrumentation off; after the warm-up (connection
# pool, caches, the parsed document) it is switched on for exactly PAGES
# sequential pages and off again. Only the server process is counted: on PostgreSQL the
# database's own work is not in the figure; on SQLite it is (SQLite runs in-process).
# Prints: callgrind_page backend=… members=… first=… pages=… instructions_per_page=…
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PAGES=${PAGES:-50}
BACKENDS=("$@"); [[ ${#BACKENDS[@]} -gt 0 ]] || BACKENDS=(postgres sqlite)
[[ $PAGES =~ ^[0-9]+$ && $PAGES -ge 1 && $PAGES -le 10000 ]] || die "PAGES must be 1..10000"
command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install -y valgrind)"

OUT=$ROOT/benches/out; mkdir -p "$OUT"
build
for backend in "${BACKENDS[@]}"; do
    fresh_database "$backend"
    seed
    dump=$OUT/callgrind.out.$backend
    rm -f "$dump"*
    READY_TRIES=600 start_server valgrind --tool=callgrind --instr-atstart=no \
        --callgrind-out-file="$dump" --quiet
    check_page
    for _ in $(seq 5); do page >/dev/null; done
    callgrind_control --instr=on "$SERVER_PID" >/dev/null 2>&1
    for _ in $(seq "$PAGES"); do page >/dev/null; done
    callgrind_control --instr=off "$SERVER_PID" >/dev/null 2>&1
    stop_server
    total=$(cat "$dump"* | sed -nE 's/^(summary|totals): ([0-9]+).*/\2/p' | awk '{s += $1} END {print s}')
    [[ -n $total && $total -gt 0 ]] || die "$backend: callgrind counted nothing (see $dump)"
    printf 'callgrind_page backend=%s members=%s first=%s pages=%s instructions_per_page=%s\n' \
        "$backend" "$MEMBERS" "$FIRST" "$PAGES" "$((total / PAGES))"
    [[ ${KEEP:-0} == 1 ]] || rm -f "$dump"*
done
