-- Merging duplicate persons and undoing it (issue 8 §4); see the SQLite
-- migration of the same number for what each column holds.
ALTER TABLE persons ADD COLUMN merged_into TEXT COLLATE "C" REFERENCES persons(id);
CREATE INDEX persons_merged_into ON persons(merged_into);

CREATE TABLE person_merges (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  kept_id TEXT COLLATE "C" NOT NULL REFERENCES persons(id),
  merged_id TEXT COLLATE "C" NOT NULL REFERENCES persons(id),
  duplicate_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  moved TEXT COLLATE "C" NOT NULL CHECK (jsonb_typeof(moved::jsonb) = 'array'),
  merged_by TEXT COLLATE "C" NOT NULL,
  merged_at TEXT COLLATE "C" NOT NULL,
  undone_by TEXT COLLATE "C" NOT NULL DEFAULT '',
  undone_at TEXT COLLATE "C" NOT NULL DEFAULT '',
  CHECK (kept_id <> merged_id)
);
CREATE INDEX person_merges_kept ON person_merges(kept_id, id);
CREATE INDEX person_merges_merged ON person_merges(merged_id, id);
CREATE UNIQUE INDEX person_merges_live ON person_merges(merged_id) WHERE undone_at = '';
