#!/usr/bin/env bash
# Issue 8 §5: ctims's person search next to PostgreSQL pg_trgm (GIN) and
# SQLite FTS5 (trigram tokenizer) on the same Latin names and queries.
#   bench/trigram_compare.sh CTIMS PERSON_SEARCH_BENCH
# Environment: BENCH_PERSONS (100000), BENCH_QUERIES (500), BENCH_DIR (a temp
# dir; a database left there by bench/person_search.sh is reused).
#
# person_search_bench (with BENCH_EXPORT_DIR) prints ctims's own table and
# writes every person's Latin names and the Latin queries in PLAINTEXT to
# $BENCH_DIR/export: the comparison tables need the names in clear, which is
# exactly what ctims never stores. They live only in this throwaway
# directory, a throwaway PostgreSQL cluster (scripts/pg-test-cluster) and a
# throwaway SQLite file, all removed at the end (the ctims demo database is
# kept). Nothing is installed: postgresql-15 (with pg_trgm in its contrib)
# and python3's sqlite3 (Debian's libsqlite3, FTS5 built in) come from
# scripts/install-deps and Debian's python3.
#
# pg_trgm: `name % q` (similarity >= 0.3, the GIN index) ordered by
# similarity, top 10, timed inside the server (clock_timestamp, no client
# round trip). FTS5: every word of the query of 3 or more letters as a
# substring (the trigram tokenizer's MATCH), ordered by bm25, top 10, timed
# from python3 (adds ~20 µs). ctims: the whole search path without HTTP
# (tokens, candidates, decryption, scoring), native names included.
set -euo pipefail
die() { echo "trigram_compare: $*" >&2; exit 1; }
ctims=${1:?ctims binary}
bench=${2:?person_search_bench binary}
here=$(cd "$(dirname "$0")" && pwd)
persons=${BENCH_PERSONS:-100000}
queries=${BENCH_QUERIES:-500}
dir=${BENCH_DIR:-$(mktemp -d /tmp/ctims-trigram.XXXXXX)}
db="$dir/demo.db"
keys="$dir/keys"
export="$dir/export"
pgdir="$dir/pg"
port=$((20000 + RANDOM % 40000))
cleanup() {
  "$here/../scripts/pg-test-cluster" stop "$pgdir" "$port" > /dev/null 2>&1 || true
  rm -rf "$export"
}
trap cleanup EXIT
[ -f "$keys" ] || "$ctims" keys init --key-file "$keys" > /dev/null
if [ ! -f "$db" ]; then
  echo "== ctims demo --persons $persons"
  "$ctims" demo --db "$db" --key-file "$keys" --persons "$persons" > /dev/null
fi
mkdir -p "$export"
chmod 700 "$export"
echo "== ctims ($queries queries per spelling; person_search_bench)"
BENCH_EXPORT_DIR="$export" "$bench" "$db" "$keys" "$queries"
echo "== names: $(wc -l < "$export/names.tsv") Latin names; queries: $(wc -l < "$export/queries.tsv")"

"$here/../scripts/pg-test-cluster" start "$pgdir" "$port" > /dev/null
chmod 755 "$export"
chmod 644 "$export"/*.tsv  # the cluster runs as nobody when we are root
psql=(psql -X -q -v ON_ERROR_STOP=1 -h "$pgdir" -p "$port" -U ctims -d postgres)
"${psql[@]}" <<SQL
CREATE EXTENSION pg_trgm;
CREATE TABLE names (id text NOT NULL, name text NOT NULL);
CREATE TABLE queries (label text NOT NULL, q text NOT NULL, expected text NOT NULL);
\\copy names FROM '$export/names.tsv'
\\copy queries FROM '$export/queries.tsv'
\\timing on
CREATE INDEX names_trgm ON names USING gin (name gin_trgm_ops);
\\timing off
ANALYZE names;
CREATE TABLE results (label text, ms double precision, hit boolean);
DO \$\$
DECLARE
  r record;
  t0 timestamptz;
  found text[];
BEGIN
  FOR r IN SELECT * FROM queries LOOP
    t0 := clock_timestamp();
    SELECT array_agg(id) INTO found FROM (
      SELECT id FROM names WHERE name % r.q ORDER BY similarity(name, r.q) DESC, id LIMIT 10) s;
    INSERT INTO results VALUES (r.label, extract(epoch FROM clock_timestamp() - t0) * 1000,
                                coalesce(r.expected = ANY(found), false));
  END LOOP;
END
\$\$;
\\echo '== pg_trgm (GIN, name % q, similarity >= 0.3)'
SELECT label, count(*) AS n,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS p50_ms,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS p99_ms,
       round(avg(hit::int)::numeric, 3) AS recall_at_10
FROM results GROUP BY label ORDER BY label;
SQL

echo "== SQLite FTS5 (trigram tokenizer, words as substrings)"
python3 - "$export/names.tsv" "$export/queries.tsv" "$dir/fts5.db" <<'PY'
import sqlite3, sys, time, os
names, queries, path = sys.argv[1:4]
if os.path.exists(path):
    os.remove(path)
db = sqlite3.connect(path)
db.execute("CREATE VIRTUAL TABLE names USING fts5(id UNINDEXED, name, tokenize='trigram')")
with open(names, encoding="utf-8") as f:
    db.executemany("INSERT INTO names VALUES (?, ?)", (line.rstrip("\n").split("\t", 1) for line in f))
db.commit()
rows = {}
with open(queries, encoding="utf-8") as f:
    for line in f:
        label, q, expected = line.rstrip("\n").split("\t")
        words = ['"' + w.replace('"', '""') + '"' for w in q.split() if len(w) >= 3]
        t0 = time.perf_counter()
        found = [] if not words else [r[0] for r in db.execute(
            "SELECT id FROM names WHERE names MATCH ? ORDER BY rank LIMIT 10", (" ".join(words),))]
        ms = (time.perf_counter() - t0) * 1000
        rows.setdefault(label, []).append((ms, expected in found))
print("| query | n | p50 ms | p99 ms | recall@10 |")
for label, v in sorted(rows.items()):
    ms = sorted(m for m, _ in v)
    print("| %s | %d | %.2f | %.2f | %.3f |" % (label, len(v), ms[len(ms) // 2], ms[min(len(ms) - 1, int(0.99 * len(ms)))],
                                          sum(h for _, h in v) / len(v)))
db.close()
os.remove(path)
PY
echo "(ctims database kept in $dir; the plaintext exports and comparison tables were removed)"
