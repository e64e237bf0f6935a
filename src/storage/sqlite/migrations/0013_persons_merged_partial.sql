-- Lists of live persons (issue 8 §4): `merged_into IS NULL ... ORDER BY id`.
-- With a full index on merged_into, SQLite chose it for that filter and then
-- sorted every live person for each page: at 1,000,000 persons each page of
-- GET /persons read the whole table. Only merged persons need the index (for
-- ?merged_into= and chain lookups, where `merged_into = ?` implies IS NOT
-- NULL), so it becomes partial, and live-person pages walk the primary key.
DROP INDEX persons_merged_into;
CREATE INDEX persons_merged_into ON persons(merged_into) WHERE merged_into IS NOT NULL;
