-- PostgreSQL twin of storage/sqlite/migrations/0006_history_access.sql: same tables, columns
-- and constraints. Every TEXT column is COLLATE "C" so that comparisons and
-- ORDER BY are bytewise, as SQLite's BINARY collation is (keyset pages in id
-- order, the jurisdiction prefix range on acl_path, timestamps as text).
-- The reach of a personal record at each history entry (issue 3 §3, §5), so
-- that once the record is deleted its history is still answered only to
-- those who could reach it (a deleted protected case stays protected).
ALTER TABLE record_history ADD COLUMN acl_user TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE record_history ADD COLUMN acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE record_history ADD COLUMN acl_path TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE record_history ADD COLUMN acl_case TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE record_history ADD COLUMN acl_protected BOOLEAN NOT NULL DEFAULT FALSE;
