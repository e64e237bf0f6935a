#!/usr/bin/env bash
# bench-report-1m: the assistance report (issue 5 §6) over a large demo
# caseload on SQLite, next to "the equivalent plain GROUP BY" in the sqlite3
# shell. Prints one table:
#   - sqlite3 shell, .timer on: distinct persons per owner agency, of whom
#     women, and distinct nationalities, on the general columns (cases JOIN
#     persons, opened before the end of the period) -- the plain query the
#     report is compared with (it knows nothing of lead agency at the end of
#     the period, assistance, resolution, ages or disclosure control);
#   - `ctims report assistance` (one process, cold): the SQL path (issue 9
#     §4), and --facts (builds the in-memory report facts first);
#   - `ctims serve` (report facts on): the first report (builds the facts),
#     then BENCH_REQUESTS reports over 5 different periods (p50, p99, max),
#     the SDG 16.2.2 report, and the server's RSS;
#   - whether the server's JSON equals the CLI's SQL-path JSON byte for byte.
#
#   bench/report_1m.sh [CTIMS_BINARY]
#
# The binary: the argument, else $CTIMS_BIN, else build/release/ctims.
#
# Environment:
#   BENCH_DB=            an existing demo database (SQLite file) to measure;
#                        it gets a bench user and audit rows, nothing else.
#                        Unset: `ctims demo --persons $BENCH_PERSONS` in a
#                        temporary directory first (1,000,000: tens of minutes)
#   BENCH_KEY=           its key file (required with BENCH_DB)
#   BENCH_PERSONS=1000000
#   BENCH_REQUESTS=50    warm HTTP reports measured
#   BENCH_SKIP_CLI=0     1: skip the two CLI runs (minutes each at 1,000,000)
#   BENCH_KEEP=0         1: keep the temporary directory
#
# Exits non-zero when a step fails or a tool is missing; stops what it starts.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ctims="${1:-${CTIMS_BIN:-$repo/build/release/ctims}}"
requests="${BENCH_REQUESTS:-50}"
persons="${BENCH_PERSONS:-1000000}"

bench_name=bench-report-1m
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
require_ctims "$ctims"
require_tools "scripts/install-deps installs sqlite3 and curl" sqlite3 curl python3

make_work ctims-bench-report
ctims_pid=""
# Kept only with BENCH_KEEP=1, also after a failure (the database may be large).
cleanup() {
  stop_pids "$ctims_pid"
  finish_work 0
}
trap cleanup EXIT

if [ -n "${BENCH_DB:-}" ]; then
  db="$BENCH_DB"
  key="${BENCH_KEY:?BENCH_KEY: the key file of BENCH_DB}"
else
  db="$work/demo.db"
  key="$work/demo.key"
  init_key "$key"
  echo "generating $persons persons (ctims demo) ..." >&9
  "$ctims" demo --db "$db" --key-file "$key" --persons "$persons" >"$work/demo.log" 2>&1 ||
    die "ctims demo: $(tail -3 "$work/demo.log")"
fi
[ -f "$db" ] || die "no database at $db"

ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
rows=()
row() { rows+=("$(printf '%-62s %12s  %s' "$1" "$2" "${3:-}")"); }

# ---- the plain GROUP BY in the sqlite3 shell (read-only) ----
counts=$(sqlite3 -readonly "$db" "SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM cases),
  (SELECT count(*) FROM assistance);")
cat >"$work/groupby.sql" <<'SQL'
.timer on
SELECT c.owner_agency_id,
       count(DISTINCT c.person_id) AS persons,
       count(DISTINCT CASE WHEN json_extract(p.body, '$.prs_Sex') = 'Female' THEN p.id END) AS women,
       count(DISTINCT json_extract(p.body, '$.prs_Citizenship[0]')) AS nationalities
FROM cases c JOIN persons p ON p.id = c.person_id
WHERE coalesce(nullif(json_extract(c.body, '$.cas_OpenedOn'), ''), substr(c.created_at, 1, 10)) < '2022-09-01'
GROUP BY c.owner_agency_id;
SQL
sqlite3 -readonly "$db" <"$work/groupby.sql" >"$work/groupby.out" 2>&1 || die "sqlite3: $(cat "$work/groupby.out")"
real=$(sed -n 's/^Run Time: real \([0-9.]*\).*/\1/p' "$work/groupby.out" | tail -1)
row "sqlite3 shell: plain GROUP BY (persons, women, nationalities)" "$(ms "$real") ms"

# ---- the CLI, cold ----
period=(--location LA-BK --to 2022-09-01)
if [ "${BENCH_SKIP_CLI:-0}" != 1 ]; then
  /usr/bin/time -f '%e %M' -o "$work/cli_sql.time" "$ctims" report assistance "${period[@]}" --format json \
    --db "$db" --key-file "$key" >"$work/cli_sql.json" 2>"$work/cli_sql.err" || die "ctims report: $(cat "$work/cli_sql.err")"
  read -r secs kb <"$work/cli_sql.time"
  row "ctims report assistance (CLI, SQL path, cold process)" "$(ms "$secs") ms" "RSS $((kb / 1024)) MiB"
  /usr/bin/time -f '%e %M' -o "$work/cli_facts.time" "$ctims" report assistance "${period[@]}" --format json --facts \
    --db "$db" --key-file "$key" >"$work/cli_facts.json" 2>"$work/cli_facts.err" ||
    die "ctims report --facts: $(cat "$work/cli_facts.err")"
  read -r secs kb <"$work/cli_facts.time"
  row "ctims report assistance --facts (CLI, builds the facts)" "$(ms "$secs") ms" "RSS $((kb / 1024)) MiB"
fi

# ---- the server ----
bench_user="bench.report.$$"
add_bench_user "$db" "$key" "$bench_user" BK-DMC-TPH
start_ctims "$db" "$key"
api="http://127.0.0.1:$ctims_port/api/v1"
sign_in "$api" "$bench_user" "$bench_password"
rss_before=$(awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$ctims_pid/status")

timed_get() {  # timed_get PATH OUT -> seconds on stdout
  local code t
  read -r code t < <(curl -sS -o "$2" -w '%{http_code} %{time_total}\n' -H "Cookie: $session" "$api/$1") ||
    die "GET $1 failed"
  [ "$code" = 200 ] || die "GET $1 -> $code: $(head -c 300 "$2")"
  echo "$t"
}
t=$(timed_get "reports/assistance?location=LA-BK&to=2022-09-01" "$work/first.json")
row "HTTP report, first (cold: builds the report facts)" "$(ms "$t") ms"
rss_built=$(awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$ctims_pid/status")
periods=("to=2022-09-01" "from=2022-01-01&to=2022-09-01" "from=2022-03-01&to=2022-06-01" "to=2023-01-01"
  "from=2022-07-15&to=2022-07-16")
: >"$work/times"
# CPU of the server process (utime + stime, clock ticks): on a shared,
# loaded machine the wall time mostly measures the wait for a core.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$ctims_pid/stat"; }
hz=$(getconf CLK_TCK)
cpu_before=$(cpu_ticks)
for i in $(seq "$requests"); do
  p=${periods[$(((i - 1) % ${#periods[@]}))]}
  timed_get "reports/assistance?location=LA-BK&$p" "$work/warm.json" >>"$work/times"
done
cpu_after=$(cpu_ticks)
sort -n "$work/times" >"$work/times.sorted"
n=$(wc -l <"$work/times.sorted")
p50=$(sed -n "$(((n + 1) / 2))p" "$work/times.sorted")
p99=$(sed -n "$(((n * 99 + 99) / 100))p" "$work/times.sorted")
max=$(tail -1 "$work/times.sorted")
row "HTTP report, warm, $n requests over 5 periods: p50" "$(ms "$p50") ms"
row "HTTP report, warm: p99" "$(ms "$p99") ms"
row "HTTP report, warm: max" "$(ms "$max") ms"
row "HTTP report, warm: server CPU per request (user + sys)" \
  "$(awk -v t=$((cpu_after - cpu_before)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.1f", t * 1000 / hz / n }') ms"
t=$(timed_get "reports/sdg-16-2-2?location=LA-BK&to=2022-09-01" "$work/sdg.json")
row "HTTP SDG 16.2.2 report, warm" "$(ms "$t") ms"
rss_after=$(awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$ctims_pid/status")
hwm=$(awk '/^VmHWM/ { print int($2 / 1024) }' "/proc/$ctims_pid/status")
row "ctims serve RSS: before / after the facts / after the run" "${rss_before} / ${rss_built} / ${rss_after} MiB" \
  "peak $hwm MiB"

identical="n/a (BENCH_SKIP_CLI=1)"
if [ -f "$work/cli_sql.json" ]; then
  # The CLI indents its JSON: compare the parsed documents, dumped alike.
  same() { python3 -c 'import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); sys.exit(a != b)' "$1" "$2"; }
  if same "$work/first.json" "$work/cli_sql.json"; then
    identical="yes"
  else
    identical="NO"
  fi
fi

echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "Assistance report, LA-BK, to 2022-09-01: $counts (persons|cases|assistance) in $db"
printf '%-62s %12s  %s\n' "STEP" "TIME" ""
printf '%s\n' "${rows[@]}"
echo "server JSON (facts) == CLI JSON (SQL path), byte for byte: $identical"
echo "lead-agency total: $(grep -o '"total":{[^}]*}' "$work/first.json" | head -1)"
echo "sqlite3 GROUP BY rows:"
grep -v '^Run Time' "$work/groupby.out" | sed 's/^/  /'
[ "$identical" != NO ] || die "the server's report differs from the CLI's"
