#!/usr/bin/env bash
# bench-audit-verify: how fast `ctims audit verify` walks a real audit log.
#
# The log is made the only honest way: by the server. A bench user signs in
# and wrk reads one case over and over (GET /api/v1/cases/{id}, keep-alive);
# every read is audited (group commit into the hash-chained audit_log), so
# BENCH_AUDIT_EVENTS reads leave as many chained events. Rows are never forged
# with sqlite3: the chain must be the one ctims writes. Then, with the server
# stopped, `ctims audit verify` runs BENCH_VERIFY_RUNS times on the chain
# alone and as many times against a signed checkpoint of its head; the script
# prints a table of seconds and events per minute for each run.
#
# Security goal G16 asks for at least 100,000 events verified per minute.
#
#   bench/audit_verify.sh [CTIMS_BINARY]
#
# The binary: the argument, else $CTIMS_BIN, else build/release/ctims.
#
# Environment:
#   BENCH_AUDIT_EVENTS=200000  audited reads to make (the log ends up a few more)
#   BENCH_CONNECTIONS=64       keep-alive connections while filling (wrk -c)
#   BENCH_THREADS=2            wrk threads (wrk -t)
#   BENCH_VERIFY_RUNS=3        timed runs of each verify mode
#   BENCH_ENFORCE=0            1: also exit 2 when the best run misses G16
#   BENCH_KEEP=0               1: keep the temporary directory (db, logs)
#
# Exits non-zero when a read failed, a server fails to start or dies, a verify
# does not print "ok N events", or a tool is missing. Every process it starts
# is stopped on exit.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ctims="${1:-${CTIMS_BIN:-$repo/build/release/ctims}}"
events="${BENCH_AUDIT_EVENTS:-200000}"
connections="${BENCH_CONNECTIONS:-64}"
threads="${BENCH_THREADS:-2}"
runs="${BENCH_VERIFY_RUNS:-3}"
goal=100000  # G16: events per minute

bench_name=bench-audit-verify
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_ctims "$ctims"
require_tools "scripts/install-deps installs wrk and curl" wrk curl
[ "$events" -ge "$threads" ] || die "BENCH_AUDIT_EVENTS must be at least BENCH_THREADS"

make_work ctims-audit-bench
ctims_pid=""
wrk_pid=""
verify_pid=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  stop_pids "$wrk_pid" "$verify_pid" "$ctims_pid"
  finish_work "$rc"
  exit "$rc"
}
on_exit cleanup

# seconds_since NANOSECONDS: wall-clock seconds since then, 3 decimals.
now_ns() { date +%s%N; }
seconds_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# ---- ctims: key file, database, bench user, server ------------------------
db="$work/audit.db"
key="$work/bench.key"
init_key "$key"
"$ctims" seed --db "$db" >"$work/seed.log" 2>&1 || die "ctims seed failed: $(cat "$work/seed.log")"
bench_user=bench.reader
bench_agency=BK-DMC-TPH
add_bench_user "$db" "$key" "$bench_user" "$bench_agency"

start_ctims "$db" "$key"
api="http://127.0.0.1:$ctims_port/api/v1"

sign_in "$api" "$bench_user" "$bench_password"

record_id() { grep -o '"id":"[0-9a-f-]*"' | head -1 | cut -d'"' -f4; }
post() {
  local out code
  out="$work/post.out"
  code=$(curl -sS -o "$out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H "$cookie" -H "$csrf_header" --data-binary "$2" "$api/$1") || die "POST $1 failed"
  [ "$code" = 201 ] || die "POST $1 -> $code: $(cat "$out")"
  cat "$out"
}

agency=$(curl -fsS -H "$cookie" "$api/agencies?org_Code=$bench_agency" | record_id) || die "GET agencies failed"
[ -n "$agency" ] || die "seed data missing (agency $bench_agency)"
person_id=$(post persons '{"prs_FirstName":"ນາງ ສົມພອນ","prs_SecondName":"ພົມມະຈັນ","prs_LatinNames":["Somphone Phommachanh"],"prs_Sex":"Female","prs_Birthdate":"2005-03-14","prs_Citizenship":["LA"],"prs_IdentityDocuments":[{"doc_Type":"Passport","doc_Number":"P2387710","doc_IssuingCountry":"LA","doc_Status":"WithheldByEmployer"}],"prs_MobilePhone":"+8562055512345"}' | record_id)
[ -n "$person_id" ] || die "no id for the person"
case_id=$(post cases "{\"person_id\":\"$person_id\",\"owner_agency_id\":\"$agency\",\"vic_TypeOfExploitation\":[\"ForcedLabour\",\"ForcedCriminality\"],\"vic_MethodsOfControl\":{\"DebtBondage\":\"Yes\",\"WithholdsDocuments\":\"Yes\"},\"cas_Summary\":\"Recruited through Facebook for a restaurant job; made to run online scams. Screened at the Houayxay crossing.\"}" | record_id)
[ -n "$case_id" ] || die "no id for the case"
url="http://127.0.0.1:$ctims_port/api/v1/cases/$case_id"
curl -fsS -o /dev/null -H "$cookie" "$url" || die "GET the case failed"

# ---- fill: BENCH_AUDIT_EVENTS audited reads -----------------------------------
# Each wrk thread stops after its share of answers (the few requests still in
# flight on its other connections are answered and audited too) and leaves a
# file saying so; wrk's main thread would sleep out its -d, so once every
# thread is done the script sends it SIGINT, on which wrk prints its summary.
per_thread=$(( (events + threads - 1) / threads ))
mkdir -p "$work/fill"
cat >"$work/fill.lua" <<LUA
local next_id = 0
setup = function(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
end
local quota = $per_thread
local count = 0
response = function(status, headers, body)
  count = count + 1
  if count == quota then
    local f = io.open("$work/fill/done-" .. id, "w")
    f:close()
    wrk.thread:stop()
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.0f %.0f %d %d %d %d %d\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout))
end
LUA

echo "bench-audit-verify: filling the log: $events audited reads of GET /api/v1/cases/{id}, wrk -t$threads -c$connections"
echo "bench-audit-verify: load before: $(uptime | sed 's/^ *//')"
# Background, so that a signal to this script stops wrk at once.
wrk -t"$threads" -c"$connections" -d3600s -s "$work/fill.lua" -H "$cookie" "$url" >"$work/wrk-fill.txt" 2>&1 &
wrk_pid=$!
while kill -0 "$wrk_pid" 2>/dev/null && [ "$(find "$work/fill" -name 'done-*' | wc -l)" -lt "$threads" ]; do
  kill -0 "$ctims_pid" 2>/dev/null || die "ctims died while filling: $(tail -5 "$work/ctims.log")"
  sleep 0.2
done
kill -INT "$wrk_pid" 2>/dev/null || true
rc=0
wait "$wrk_pid" || rc=$?
wrk_pid=""
[ "$rc" -eq 0 ] || die "wrk failed (exit $rc): $(cat "$work/wrk-fill.txt")"
result=$(grep '^RESULT ' "$work/wrk-fill.txt") || die "no wrk result: $(cat "$work/wrk-fill.txt")"
read -r _ req dur e_connect e_read e_write e_status e_timeout <<<"$result"
if [ "$e_status" -ne 0 ] || [ $((e_connect + e_read + e_write + e_timeout)) -ne 0 ]; then
  die "fill: $e_status non-2xx answers; socket errors connect $e_connect, read $e_read, write $e_write, timeout $e_timeout"
fi
fill_rps=$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
fill_s=$(awk -v d="$dur" 'BEGIN { printf "%.1f", d / 1e6 }')
echo "bench-audit-verify: $req audited reads in ${fill_s} s (${fill_rps} reads/s)"
kill -0 "$ctims_pid" 2>/dev/null || die "ctims died while filling: $(tail -5 "$work/ctims.log")"
stop_ctims  # a quiescent database: verify reads what is committed and nothing moves under it

# ---- verify ---------------------------------------------------------------------
"$ctims" audit checkpoint --db "$db" --signing-key "$work/signing.key" >"$work/checkpoint.txt" 2>"$work/checkpoint.log" ||
  die "ctims audit checkpoint failed: $(cat "$work/checkpoint.log")"
db_mb=$(du -cm "$db"* | awk 'END { print $1 }')

# verify_once MODE: one timed `ctims audit verify`; sets v_count (events it
# found sound) and v_secs (wall-clock seconds).
verify_once() {
  local mode=$1 args=(audit verify --db "$db") start rc=0 out
  if [ "$mode" = checkpoint ]; then args+=(--checkpoint "$work/checkpoint.txt" --signing-key "$work/signing.key"); fi
  out="$work/verify.out"
  start=$(now_ns)
  "$ctims" "${args[@]}" >"$out" 2>&1 &
  verify_pid=$!
  wait "$verify_pid" || rc=$?
  verify_pid=""
  v_secs=$(seconds_since "$start")
  [ "$rc" -eq 0 ] || die "ctims audit verify ($mode) exited $rc: $(cat "$out")"
  v_count=$(sed -n 's/^ok \([0-9][0-9]*\) events$/\1/p' "$out")
  [ -n "$v_count" ] || die "ctims audit verify ($mode) said: $(cat "$out")"
}

echo "bench-audit-verify: database $db_mb MB (with WAL); load before verifying: $(uptime | sed 's/^ *//')"
echo
printf '%-12s %4s %10s %9s %14s\n' mode run events seconds "events/min"
best=0
for mode in chain checkpoint; do
  for r in $(seq "$runs"); do
    verify_once "$mode"
    per_min=$(awk -v n="$v_count" -v s="$v_secs" 'BEGIN { printf "%.0f", (s > 0 ? 60 * n / s : 0) }')
    best=$(awk -v a="$best" -v b="$per_min" 'BEGIN { print (b > a ? b : a) }')
    printf '%-12s %4s %10s %9s %14s\n' "$mode" "$r" "$v_count" "$v_secs" "$per_min"
  done
done
echo
met=$(awk -v b="$best" -v g="$goal" 'BEGIN { print (b >= g) ? "met" : "MISSED" }')
echo "goal G16 (>= $goal events/min verified): $met (best $best events/min)"
if [ "$met" != met ] && [ "${BENCH_ENFORCE:-0}" = 1 ]; then exit 2; fi
exit 0
