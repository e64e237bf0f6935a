-- Person search and duplicate review (issue 8).
--
-- person_name_keys: the blind index of every phonetic key of a person's
-- names (search::FuzzyKeys of the full written name, of each Latin name and
-- of each alias). `token` is the first 64 bits of
-- core::BlindIndex(ring, "person.name_key", key) as a signed integer: an
-- HMAC under the key file's index key, so the file holds no name and no key
-- in clear. What it reveals: which persons share a key and how many keys a
-- person has (docs/security.md, "Person search").
CREATE TABLE person_name_keys (
  token INTEGER NOT NULL,
  person_id TEXT NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
  PRIMARY KEY (token, person_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX person_name_keys_person ON person_name_keys(person_id);

-- The duplicate review queue: one row per pair of persons (person_a <
-- person_b) proposed as possibly the same. `explanation` is a JSON object of
-- per-field agreement levels and weights: codes and numbers, never a name.
-- `status` open | merged | not_same; reviewer and times when decided.
CREATE TABLE person_duplicates (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  person_a TEXT NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
  person_b TEXT NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
  score REAL NOT NULL,
  explanation TEXT NOT NULL CHECK (json_valid(explanation)),
  source TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'merged', 'not_same')),
  created_at TEXT NOT NULL,
  reviewed_by TEXT NOT NULL DEFAULT '',
  reviewed_at TEXT NOT NULL DEFAULT '',
  CHECK (person_a < person_b),
  UNIQUE (person_a, person_b)
) STRICT;
CREATE INDEX person_duplicates_status ON person_duplicates(status, id);
CREATE INDEX person_duplicates_b ON person_duplicates(person_b);
