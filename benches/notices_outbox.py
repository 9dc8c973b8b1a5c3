"""Outbox throughput and the cost of a notifying mutation (NTF-04), against a release
server on SQLite started with `--ops-token dev --database-url sqlite:///tmp/ac-bench.db?mode=rwc`.

    python3 benches/notices_outbox.py /tmp/ac-bench.db 3000

Prints the statements and latency of a mutation without a notice (updateAccountInfo) and
with one (createAccessKey), then drains N pending deliveries with runScheduledJobs.
"""
import json, urllib.request, sys, time, sqlite3
BASE = "http://127.0.0.1:8000"; DB = sys.argv[1]; N = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
def post(path, query, variables=None, token=None):
    req = urllib.request.Request(BASE + path, data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"content-type": "application/json", **({"authorization": "Bearer " + token} if token else {})})
    return json.load(urllib.request.urlopen(req))
def ops(q, v=None): return post("/ops/graphql", q, v, "dev")
def code(t): return ops('query($t:String!){ outbox(target:$t, last:1){ code } }', {"t": t})["data"]["outbox"][0]["code"]
def stmts(): return int(ops('{ sqlStatementsExecuted }')["data"]["sqlStatementsExecuted"])
post("/graphql", 'mutation { sendVerificationCode(input: { channel: EMAIL, target: "bench@example.com", purpose: REGISTER }) { userErrors { code } } }')
r = post("/graphql", 'mutation($c:String!){ registerAccount(input: { site: CHINA, method: EMAIL, email: "bench@example.com", password: "Secret#123", emailCode: $c }) { session { token } } }', {"c": code("bench@example.com")})
tok = r["data"]["registerAccount"]["session"]["token"]
ops('mutation($s:Int!){ advanceClock(seconds:$s) }', {"s": 61})
post("/graphql", 'mutation { sendVerificationCode(input: { channel: EMAIL, target: "sec@example.com", purpose: BIND_EMAIL }) { userErrors { code } } }')
r = post("/graphql", 'mutation($c:String!){ changeSecurityEmail(input: { newEmail: "sec@example.com", newEmailCode: $c }) { userErrors { code message } } }', {"c": code("sec@example.com")}, tok); print(r)
# cost of a mutation that writes a notice: updateAccountInfo (none) vs createAccessKey (one notice, one delivery)
def measure(q, n=20):
    s0 = stmts(); t0 = time.perf_counter()
    for _ in range(n):
        out = post("/graphql", q, None, tok); assert "errors" not in out, out
    t = (time.perf_counter() - t0) / n * 1000; s = (stmts() - s0) / n
    return s, t
s_plain, t_plain = measure('mutation { updateAccountInfo(input: { nickname: "bench" }) { userErrors { code } } }')
keys = []
s0 = stmts(); t0 = time.perf_counter()
for _ in range(2):
    out = post("/graphql", 'mutation { createAccessKey(input: {}) { userErrors { code } accessKey { id } } }', None, tok); assert "errors" not in out, out
    keys.append(out["data"]["createAccessKey"]["accessKey"]["id"])
t_key = (time.perf_counter() - t0) / 2 * 1000; s_key = (stmts() - s0) / 2
print(f"updateAccountInfo (no notice): {s_plain:.1f} statements, {t_plain:.2f} ms")
print(f"createAccessKey (1 message + 1 delivery, dispatched inline): {s_key:.1f} statements, {t_key:.2f} ms")
# throughput: N pending deliveries, drained by runScheduledJobs (500 per run)
con = sqlite3.connect(DB)
fmt = con.execute("select next_attempt_at, created_at from deliveries order by id desc limit 1").fetchone()
rows = [(None, "EMAIL", f"bulk{i}@example.com", "BENCH", "bench: a notice", "PENDING", 0, fmt[0], None, None, None, f"bench-{i}", fmt[1]) for i in range(N)]
con.executemany("insert into deliveries (account_id, channel, target, purpose, body, state, attempts, next_attempt_at, claimed_until, last_attempt_at, last_error, idempotency_key, created_at) values (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
con.commit()
t0 = time.perf_counter(); runs = 0
while con.execute("select count(*) from deliveries where state='PENDING'").fetchone()[0] > 0 and runs < 100:
    ops('mutation { runScheduledJobs { ok message } }'); runs += 1
dt = time.perf_counter() - t0
print(f"{N} deliveries in {dt:.2f} s over {runs} runs: {N/dt:.0f} notices/s")
