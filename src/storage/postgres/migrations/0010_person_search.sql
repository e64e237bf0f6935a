-- Person search and duplicate review (issue 8); see the SQLite migration of
-- the same number for what each table holds and what it reveals.
CREATE TABLE person_name_keys (
  token BIGINT NOT NULL,
  person_id TEXT COLLATE "C" NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
  PRIMARY KEY (token, person_id)
);
CREATE INDEX person_name_keys_person ON person_name_keys(person_id);

CREATE TABLE person_duplicates (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  person_a TEXT COLLATE "C" NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
  person_b TEXT COLLATE "C" NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
  score DOUBLE PRECISION NOT NULL,
  explanation TEXT COLLATE "C" NOT NULL CHECK (explanation::jsonb IS NOT NULL),
  source TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('open', 'merged', 'not_same')),
  created_at TEXT COLLATE "C" NOT NULL,
  reviewed_by TEXT COLLATE "C" NOT NULL DEFAULT '',
  reviewed_at TEXT COLLATE "C" NOT NULL DEFAULT '',
  CHECK (person_a < person_b),
  UNIQUE (person_a, person_b)
);
CREATE INDEX person_duplicates_status ON person_duplicates(status, id);
CREATE INDEX person_duplicates_b ON person_duplicates(person_b);
