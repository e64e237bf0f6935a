-- Lists of live persons (issue 8 §4): `merged_into IS NULL ... ORDER BY id`.
-- Only merged persons need an index on merged_into (for ?merged_into= and
-- chain lookups, where `merged_into = $1` implies IS NOT NULL); a partial
-- index keeps it small and leaves live-person pages to the primary key, as
-- on SQLite (see the SQLite migration of the same number).
DROP INDEX persons_merged_into;
CREATE INDEX persons_merged_into ON persons (merged_into) WHERE merged_into IS NOT NULL;
