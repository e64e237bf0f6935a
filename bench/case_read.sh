#!/usr/bin/env bash
# shellcheck disable=SC2154  # rps_*, p50_*, p99_* are set by run() with printf -v
# bench-case-read: GET /api/v1/cases/{id} from `ctims serve`, against nginx
# serving the very same bytes from a file, with wrk and keep-alive
# connections. Prints requests/s, p50 and p99 for both and the ratio of
# ctims's throughput to nginx's.
#
# ctims runs as in production: with a key file (identifying fields sealed at
# rest, opened on every read), a bench user (role supervisor of BK-DMC-TPH)
# signed in once, its session cookie on every request (CSRF token on POSTs),
# and every read of the case audited (group commit, durable before the
# answer). wrk sends the same Cookie header to nginx, so both get the same
# request bytes.
#
#   bench/case_read.sh [CTIMS_BINARY]
#
# The binary: the argument, else $CTIMS_BIN, else build/release/ctims.
#
# Environment:
#   BENCH_SECONDS=10       length of each measured wrk run
#   BENCH_CONNECTIONS=64   keep-alive connections (wrk -c)
#   BENCH_THREADS=2        wrk threads (wrk -t)
#   BENCH_WARMUP=2         seconds of unmeasured load before each run (0: none)
#   BENCH_RECORDS=1000     other persons and cases created so tables are not tiny
#   BENCH_ENFORCE=0        1: also exit non-zero when the issue's target is missed
#                          (ctims p99 <= 5 ms and >= 25% of nginx's requests/s)
#   BENCH_KEEP=0           1: keep the temporary directory (db, logs, configs)
#   BENCH_SERVER_CPUS=     pin ctims and nginx to these CPUs (taskset -c list, e.g. 0)
#   BENCH_WRK_CPUS=        pin wrk to these CPUs (e.g. 1); unset: no pinning
#   BENCH_BACKEND=sqlite   postgresql: run ctims on a throwaway PostgreSQL cluster
#                          (scripts/pg-test-cluster, fsync on) instead of a SQLite file
#
# Exits non-zero when a run had non-2xx answers or socket errors, when a
# server fails to start or dies, or when a tool is missing. Every process it
# starts is stopped on exit.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ctims="${1:-${CTIMS_BIN:-$repo/build/release/ctims}}"
seconds="${BENCH_SECONDS:-10}"
connections="${BENCH_CONNECTIONS:-64}"
threads="${BENCH_THREADS:-2}"
warmup="${BENCH_WARMUP:-2}"
records="${BENCH_RECORDS:-1000}"

bench_name=bench-case-read
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_ctims "$ctims"
require_tools "scripts/install-deps installs wrk, nginx-light and curl" wrk nginx curl
nginx_bin="$(command -v nginx)"
server_cpu=()
wrk_cpu=()
if [ -n "${BENCH_SERVER_CPUS:-}" ]; then server_cpu=(taskset -c "$BENCH_SERVER_CPUS"); fi
if [ -n "${BENCH_WRK_CPUS:-}" ]; then wrk_cpu=(taskset -c "$BENCH_WRK_CPUS"); fi

make_work ctims-bench
ctims_pid=""
nginx_pid=""
wrk_pid=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  stop_pids "$wrk_pid" "$ctims_pid" "$nginx_pid"
  if [ -n "${pg_dir:-}" ]; then "$repo/scripts/pg-test-cluster" stop "$pg_dir" 54330 >/dev/null 2>&1 || true; fi
  finish_work "$rc"
  exit "$rc"
}
on_exit cleanup

# ---- ctims: key file, database, bench user, server ------------------------
db="$work/bench.db"
pg_dir=""
if [ "${BENCH_BACKEND:-sqlite}" = postgresql ]; then
  pg_dir="$(mktemp -d /tmp/ctims-bench-pg.XXXXXX)"  # outside $work (0700): the cluster may run as nobody
  PG_DURABLE=1 "$repo/scripts/pg-test-cluster" start "$pg_dir" 54330 >"$work/pg.log" 2>&1 ||
    die "cannot start PostgreSQL: $(cat "$work/pg.log")"
  db="postgresql:///postgres?host=$pg_dir&port=54330&user=ctims"
fi
key="$work/bench.key"
init_key "$key"
"$ctims" seed --db "$db" >"$work/seed.log" 2>&1 || die "ctims seed failed: $(cat "$work/seed.log")"
# A supervisor sees and writes the cases of its own agency (scope agency),
# every field group: the case read below is the whole record.
bench_user=bench.reader
bench_agency=BK-DMC-TPH
add_bench_user "$db" "$key" "$bench_user" "$bench_agency"

start_ctims "$db" "$key" "${server_cpu[@]}"
api="http://127.0.0.1:$ctims_port/api/v1"

# Sign in once: the session cookie goes on every request from here on, the
# CSRF token on every POST. Both stay in $work (mode 0700 until nginx's
# chmod below, which makes it traversable but not listable).
sign_in "$api" "$bench_user" "$bench_password"

# get PATH: GET with the session and print the body; fails unless 2xx.
get() { curl -fsS -H "$cookie" "$api/$1"; }

# post RESOURCE JSON_FILE: POST and print the body; fails unless 201.
post() {
  local out code
  out="$work/post.out"
  code=$(curl -sS -o "$out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H "$cookie" -H "$csrf_header" --data-binary "@$2" "$api/$1") || die "POST $1 failed"
  [ "$code" = 201 ] || die "POST $1 -> $code: $(cat "$out")"
  cat "$out"
}
# The "id" member of a record (ids are [0-9a-f-]; "location_id" and the like
# never match because the key must be exactly "id").
record_id() { grep -o '"id":"[0-9a-f-]*"' | head -1 | cut -d'"' -f4; }
ids_of() { grep -o '"id":"[0-9a-f-]*"' | cut -d'"' -f4; }
# The first "id" of each line: one answer per line (curl's write-out), whose
# nested objects (a new person's "possible_duplicates", issue 8) have ids too.
# Keys are in alphabetical order, so the record's own "id" comes first.
first_id_per_line() { awk 'match($0, /"id":"[0-9a-f-]*"/) { print substr($0, RSTART + 6, RLENGTH - 7) }'; }

# The bench user's own agency owns every case (its role's scope).
agency=$(get "agencies?org_Code=$bench_agency" | record_id) || die "GET agencies failed"
mapfile -t locations < <(get "locations?limit=50" | ids_of)
if [ -z "$agency" ] || [ ${#locations[@]} -eq 0 ]; then die "seed data missing (agency $bench_agency/locations)"; fi

# The case that is read: a person and case filled the way a caseworker
# would after a screening interview.
cat >"$work/person.json" <<'JSON'
{
  "prs_FirstName": "ນາງ ສົມພອນ",
  "prs_MiddleName": "ແກ້ວ",
  "prs_SecondName": "ພົມມະຈັນ",
  "prs_LatinNames": ["Somphone Phommachanh", "Somphon Phommachan", "Sompone Keo Phommachanh"],
  "prs_Aliases": ["ນ້ອຍ", "Noy", "Nong Noy"],
  "prs_Sex": "Female",
  "prs_Gender": "Feminine",
  "prs_Birthdate": "2005-03-14",
  "prs_Citizenship": ["LA"],
  "prs_PrimaryLanguage": "lo",
  "prs_Languages": ["lo", "th", "zh"],
  "prs_MaritalStatus": "Single",
  "prs_NumberOfChildren": 0,
  "prs_HighestLevelOfEducation": "LowerSecondaryEducation",
  "prs_IdentityDocuments": [
    {"doc_Type": "NationalIdCard", "doc_Number": "0510-2005-031477", "doc_IssuingCountry": "LA", "doc_Status": "HeldByPerson"},
    {"doc_Type": "Passport", "doc_Number": "P2387710", "doc_IssuingCountry": "LA", "doc_Status": "WithheldByEmployer", "doc_ExpiryDate": "2031-08-19"},
    {"doc_Type": "BorderPass", "doc_Number": "BK-77315", "doc_IssuingCountry": "LA", "doc_Status": "Lost"},
    {"doc_Type": "HouseholdRegistration", "doc_IssuingCountry": "LA", "doc_Status": "HeldByPerson"}
  ],
  "prs_MobilePhone": "+8562055512345",
  "prs_MailingCountry": "LA",
  "prs_MailingState": "ບໍ່ແກ້ວ (Bokeo)",
  "prs_MailingCity": "ຫ້ວຍຊາຍ (Houayxay)",
  "prs_MailingStreet": "ບ້ານ ຫ້ວຍຊາຍເໜືອ, ໜ່ວຍ 7",
  "prs_Deceased": false
}
JSON
person_id=$(post persons "$work/person.json" | record_id)
[ -n "$person_id" ] || die "no id for the person"

cat >"$work/case.json" <<JSON
{
  "person_id": "$person_id",
  "owner_agency_id": "$agency",
  "cas_OpenedOn": "2024-02-06",
  "vic_RelationshipToTrafficker": "Acquainted",
  "vic_AgeWhenTrafficked": 17,
  "vic_MethodOfRecruitment": ["ThroughOnlineSocialNetworks", "ThroughFriendsOrSocialEvents"],
  "vic_RecruitmentWebsitesAndApps": ["Facebook", "WhatsApp"],
  "vic_PlaceOfRecruitment": "ຕະຫຼາດເຊົ້າ ຫ້ວຍຊາຍ (Houayxay morning market)",
  "recruitment_location_id": "${locations[$(( ${#locations[@]} - 1 ))]}",
  "vic_TypeOfExploitation": ["ForcedLabour", "ForcedCriminality", "SexualExploitation"],
  "vic_ForcedLabourIndustry": ["I_AccommodationAndFoodServiceActivities", "J_InformationAndCommunication"],
  "vic_ExploitationWebsitesAndApps": ["Telegram", "WeChat", "Line"],
  "exploitation_location_id": "${locations[0]}",
  "vic_ExploitationStartDate": "2023-05-02",
  "vic_ExploitationEndDate": "2024-01-28",
  "vic_MethodsOfControl": {
    "DebtBondage": "Yes", "TakesEarnings": "Yes", "RestrictsFinancialAccess": "Yes", "Threats": "Yes",
    "PsychologicalAbuse": "Yes", "PhysicalAbuse": "Unknown", "SexualAbuse": "Unknown", "FalsePromises": "Yes",
    "PsychoactiveSubstances": "No", "RestrictsMovement": "Yes", "RestrictsMedicalCare": "Yes",
    "ExcessiveWorkingHours": "Yes", "UsesChildren": "No", "ThreatOfLawEnforcement": "Yes",
    "WithholdsNecessities": "Unknown", "WithholdsDocuments": "Yes", "Other": "No"
  },
  "vic_Vulnerabilities": ["Poverty", "Migration", "Education", "AbuseSocialMedia"],
  "cas_Summary": "ນາງ ສົມພອນ ໄດ້ຮັບການສະເໜີວຽກເຮັດເປັນພະນັກງານຮ້ານອາຫານ ຢູ່ເຂດເສດຖະກິດພິເສດ ສາມຫຼ່ຽມຄຳ ຜ່ານ Facebook. Recruited in May 2023 by an acquaintance with a promise of a restaurant job at 4,000 THB a month in the Golden Triangle Special Economic Zone. On arrival her passport was taken and she was made to run online scams 14-16 hours a day under threat of fines and resale; a recruitment debt of 25,000 THB was deducted from wages she never received. She contacted her family by WhatsApp in January 2024 and was intercepted at the Houayxay crossing with two other women. Screened by the Bokeo anti-trafficking police; referred for shelter and legal aid."
}
JSON
case_id=$(post cases "$work/case.json" | record_id)
[ -n "$case_id" ] || die "no id for the case"

# BENCH_RECORDS other persons and cases, over one keep-alive connection per
# batch (curl --config with "next" between requests; each request carries
# the Cookie and X-CSRF-Token headers, since "next" resets them).
first_names=("ບຸນມີ" "ວັນນະ" "ມະນີ" "ສຸກສະຫວັນ" "ຄຳຫຼ້າ" "ນາງ ແສງເດືອນ" "ທອງສີ" "ນາງ ພອນທິບ")
family_names=("ສີສຸວັນ" "ແສງທອງ" "ວົງສາ" "ພົມວິຫານ" "ອິນທະວົງ" "ສີຫາລາດ")
latin=("Bounmy" "Vanna" "Manee" "Souksavanh" "Khamla" "Sengdeuane" "Thongsy" "Phonethip")
sexes=("Male" "Male" "Female" "Male" "Male" "Female" "Male" "Female")
exploitation=('"ForcedLabour"' '"ForcedLabour","ForcedCriminality"' '"SexualExploitation"' '"ForcedMarriage"' '"ForcedBegging"')
: >"$work/persons.curl"
for i in $(seq "$records"); do
  f=$((i % ${#first_names[@]}))
  s=$((i % ${#family_names[@]}))
  [ "$i" -gt 1 ] && echo next >>"$work/persons.curl"
  printf 'url = "%s/persons"\nheader = "Content-Type: application/json"\nheader = "%s"\nheader = "%s"\nwrite-out = "\\n"\ndata-binary = "{\\"prs_FirstName\\":\\"%s\\",\\"prs_SecondName\\":\\"%s\\",\\"prs_LatinNames\\":[\\"%s %d\\"],\\"prs_Sex\\":\\"%s\\",\\"prs_Citizenship\\":[\\"LA\\"],\\"prs_EstimatedAge\\":%d,\\"prs_AgeEstimatedOn\\":\\"2024-01-15\\",\\"prs_IdentityDocuments\\":[{\\"doc_Type\\":\\"NationalIdCard\\",\\"doc_Number\\":\\"ID-%06d\\",\\"doc_IssuingCountry\\":\\"LA\\",\\"doc_Status\\":\\"HeldByPerson\\"}]}"\n' \
    "$api" "$cookie" "$csrf_header" "${first_names[$f]}" "${family_names[$s]}" "${latin[$f]}" "$i" "${sexes[$f]}" $((14 + i % 30)) "$i" \
    >>"$work/persons.curl"
done
mapfile -t persons < <(curl -sS --config "$work/persons.curl" | first_id_per_line)
[ ${#persons[@]} -eq "$records" ] || die "created ${#persons[@]} of $records persons (see $work/ctims.log)"
: >"$work/cases.curl"
for i in "${!persons[@]}"; do
  [ "$i" -gt 0 ] && echo next >>"$work/cases.curl"
  printf 'url = "%s/cases"\nheader = "Content-Type: application/json"\nheader = "%s"\nheader = "%s"\nwrite-out = "\\n"\ndata-binary = "{\\"person_id\\":\\"%s\\",\\"owner_agency_id\\":\\"%s\\",\\"vic_TypeOfExploitation\\":[%s],\\"vic_MethodsOfControl\\":{\\"DebtBondage\\":\\"Yes\\",\\"WithholdsDocuments\\":\\"Yes\\"},\\"cas_Summary\\":\\"Screened at the border, case %d.\\"}"\n' \
    "$api" "$cookie" "$csrf_header" "${persons[$i]}" "$agency" "${exploitation[$((i % ${#exploitation[@]}))]//\"/\\\"}" "$i" \
    >>"$work/cases.curl"
done
ncases=$(curl -sS --config "$work/cases.curl" | first_id_per_line | wc -l) || die "creating cases failed (see $work/ctims.log)"
[ "$ncases" -eq "$records" ] || die "created $ncases of $records cases (see $work/ctims.log)"

# The exact bytes ctims answers; nginx serves them at the same path.
path="/api/v1/cases/$case_id"
mkdir -p "$work/www/api/v1/cases"
curl -fsS -H "$cookie" -o "$work/www$path" "http://127.0.0.1:$ctims_port$path" || die "GET $path failed"
chmod 711 "$work"  # nginx workers may run as another user
chmod -R a+rX "$work/www"

# ---- nginx: same bytes from a file ----------------------------------------
mkdir -p "$work/nginx/tmp"
nginx_temp_paths="client_body_temp_path $work/nginx/tmp/body;"
for m in proxy fastcgi uwsgi scgi; do
  if ! "$nginx_bin" -V 2>&1 | grep -q -- "--without-http_${m}_module"; then
    nginx_temp_paths+=" ${m}_temp_path $work/nginx/tmp/$m;"
  fi
done
start_nginx() {
  for _ in 1 2 3 4 5; do
    nginx_port=$(free_port)
    cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  types { }
  default_type application/json;
  $nginx_temp_paths
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
    location / { try_files \$uri =404; }
  }
}
CONF
    "${server_cpu[@]}" "$nginx_bin" -e "$work/nginx/error.log" -p "$work/nginx/" -c "$work/nginx/nginx.conf" >>"$work/nginx/stdout.log" 2>&1 &
    nginx_pid=$!
    if wait_http "$nginx_pid" "http://127.0.0.1:$nginx_port$path"; then return 0; fi
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=""
  done
  die "nginx did not start: $(tail -5 "$work/nginx/error.log")"
}
start_nginx

curl -fsS -H "$cookie" -o "$work/from-nginx.json" "http://127.0.0.1:$nginx_port$path"
cmp -s "$work/www$path" "$work/from-nginx.json" || die "nginx does not serve the same bytes as ctims"

# ---- measure ----------------------------------------------------------------
cat >"$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.0f %.0f %.0f %.0f %d %d %d %d %d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
LUA

failed=0
# wrk in the background, so that a signal to this script stops it at once
# (bash runs traps only between foreground commands; `wait` is interrupted).
run_wrk() {
  "${wrk_cpu[@]}" wrk "$@" &
  wrk_pid=$!
  local rc=0
  wait "$wrk_pid" || rc=$?
  wrk_pid=""
  return $rc
}
# run NAME URL: one wrk run; sets rps_NAME, p50_NAME, p99_NAME (ms).
run() {
  local name=$1 url=$2 out result
  if [ "$warmup" != 0 ]; then
    run_wrk -t"$threads" -c"$connections" -d"${warmup}s" -H "$cookie" "$url" >/dev/null 2>&1 || true
  fi
  out="$work/wrk-$name.txt"
  run_wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s "$work/report.lua" -H "$cookie" "$url" >"$out" 2>&1 ||
    die "wrk against $name failed: $(cat "$out")"
  result=$(grep '^RESULT ' "$out") || die "no wrk result for $name: $(cat "$out")"
  read -r _ req dur p50 p99 e_connect e_read e_write e_status e_timeout <<<"$result"
  printf -v "rps_$name" '%s' "$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.0f", r / (d / 1e6) }')"
  printf -v "p50_$name" '%s' "$(awk -v v="$p50" 'BEGIN { printf "%.2f", v / 1000 }')"
  printf -v "p99_$name" '%s' "$(awk -v v="$p99" 'BEGIN { printf "%.2f", v / 1000 }')"
  if [ "$e_status" -ne 0 ] || [ $((e_connect + e_read + e_write + e_timeout)) -ne 0 ]; then
    echo "bench-case-read: $name: $e_status non-2xx answers; socket errors connect $e_connect, read $e_read," \
      "write $e_write, timeout $e_timeout" >&2
    failed=1
  fi
}

echo "bench-case-read: GET $path ($(stat -c %s "$work/www$path") bytes), wrk -t$threads -c$connections -d${seconds}s --latency"
echo "bench-case-read: ctims: signed in as $bench_user (supervisor, $bench_agency), identifying fields sealed, every read audited"
if [ -n "${BENCH_SERVER_CPUS:-}${BENCH_WRK_CPUS:-}" ]; then
  echo "bench-case-read: ${records} other persons and cases; servers on CPUs ${BENCH_SERVER_CPUS:-any}, wrk on CPUs ${BENCH_WRK_CPUS:-any}"
else
  echo "bench-case-read: ${records} other persons and cases; $(nproc) CPUs shared by wrk and the server"
fi
# Busy CPUs just before measuring (both servers idle now) mean someone
# else's work will skew the numbers.
cpu_busy_percent() {
  local a b
  read -r _ a < <(awk '/^cpu /{print "x", $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
  sleep 1
  read -r _ b < <(awk '/^cpu /{print "x", $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[1] - x[1]; i = y[2] - x[2];
    printf "%d", (t > 0 ? 100 * (t - i) / t : 0) }'
}
busy=$(cpu_busy_percent)
if [ "$busy" -gt 10 ]; then
  echo "bench-case-read: warning: the CPUs were ${busy}% busy before the run; other work on this machine skews the numbers" >&2
fi
run ctims "http://127.0.0.1:$ctims_port$path"
kill -0 "$ctims_pid" 2>/dev/null || { echo "bench-case-read: ctims died during the run: $(tail -5 "$work/ctims.log")" >&2; failed=1; }
run nginx "http://127.0.0.1:$nginx_port$path"
kill -0 "$nginx_pid" 2>/dev/null || { echo "bench-case-read: nginx died during the run" >&2; failed=1; }

ratio=$(awk -v a="$rps_ctims" -v b="$rps_nginx" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }')
echo
printf '%-8s %12s %10s %10s\n' target "requests/s" "p50 ms" "p99 ms"
printf '%-8s %12s %10s %10s\n' ctims "$rps_ctims" "$p50_ctims" "$p99_ctims"
printf '%-8s %12s %10s %10s\n' nginx "$rps_nginx" "$p50_nginx" "$p99_nginx"
echo "ctims/nginx throughput: ${ratio}%"

met=$(awk -v p="$p99_ctims" -v r="$ratio" 'BEGIN { print (p <= 5 && r >= 25) ? "met" : "MISSED" }')
echo "target (ctims p99 <= 5 ms and >= 25% of nginx's requests/s): $met"
if [ "$failed" -ne 0 ]; then
  echo "bench-case-read: FAILED (errors above)" >&2
  exit 1
fi
if [ "$met" != met ] && [ "${BENCH_ENFORCE:-0}" = 1 ]; then exit 2; fi
exit 0
