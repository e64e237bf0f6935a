#!/usr/bin/env bash
# Person search speed (issue 8): ctims demo --persons N on SQLite, then
# person_search_bench (search p50/p99 and recall@10 per spelling, duplicate
# check of one person) and ctims dedupe under /usr/bin/time -v.
#   bench/person_search.sh CTIMS PERSON_SEARCH_BENCH
# Environment: BENCH_PERSONS (100000), BENCH_QUERIES (2000), BENCH_DIR (a temp dir).
set -euo pipefail
ctims=${1:?ctims binary}
bench=${2:?person_search_bench binary}
persons=${BENCH_PERSONS:-100000}
queries=${BENCH_QUERIES:-2000}
dir=${BENCH_DIR:-$(mktemp -d /tmp/ctims-person-search.XXXXXX)}
db="$dir/demo.db"
keys="$dir/keys"
[ -f "$keys" ] || "$ctims" keys init --key-file "$keys" > /dev/null
if [ ! -f "$db" ]; then
  echo "== ctims demo --persons $persons"
  /usr/bin/time -f "demo: %e s, peak %M KiB" "$ctims" demo --db "$db" --key-file "$keys" --persons "$persons"
fi
echo "== index rows: $(sqlite3 "$db" 'SELECT COUNT(*) FROM person_name_keys') for $(sqlite3 "$db" 'SELECT COUNT(*) FROM persons') persons"
echo "== search ($queries queries per spelling)"
"$bench" "$db" "$keys" "$queries"
echo "== ctims dedupe"
/usr/bin/time -v "$ctims" dedupe --db "$db" --key-file "$keys" 2> "$dir/dedupe.time"
grep -E "Elapsed|Maximum resident" "$dir/dedupe.time"
echo "(database kept in $dir)"
