-- Merging duplicate persons and undoing it (issue 8 §4).
--
-- A merged person is never deleted: persons.merged_into names the person it
-- was merged into (NULL for every live person), so old links still resolve
-- and lists leave it out. The foreign key keeps the kept person from being
-- deleted while a merged one points at it.
ALTER TABLE persons ADD COLUMN merged_into TEXT REFERENCES persons(id);
CREATE INDEX persons_merged_into ON persons(merged_into);

-- One row per merge. `moved` is a JSON array of exactly the references the
-- merge re-pointed ([{"table", "id", "field", "from"}]): undo puts back
-- those and no others. Ids and table names only, never a name. A merge is
-- undone when undone_at is set; a person is merged by at most one live merge.
CREATE TABLE person_merges (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  kept_id TEXT NOT NULL REFERENCES persons(id),
  merged_id TEXT NOT NULL REFERENCES persons(id),
  duplicate_id TEXT NOT NULL DEFAULT '',
  moved TEXT NOT NULL CHECK (json_valid(moved) AND json_type(moved) = 'array'),
  merged_by TEXT NOT NULL,
  merged_at TEXT NOT NULL,
  undone_by TEXT NOT NULL DEFAULT '',
  undone_at TEXT NOT NULL DEFAULT '',
  CHECK (kept_id <> merged_id)
) STRICT;
CREATE INDEX person_merges_kept ON person_merges(kept_id, id);
CREATE INDEX person_merges_merged ON person_merges(merged_id, id);
CREATE UNIQUE INDEX person_merges_live ON person_merges(merged_id) WHERE undone_at = '';
