-- The reach of a personal record at each history entry (issue 3 §3, §5), so
-- that once the record is deleted its history is still answered only to
-- those who could reach it (a deleted protected case stays protected).
ALTER TABLE record_history ADD COLUMN acl_user TEXT NOT NULL DEFAULT '';
ALTER TABLE record_history ADD COLUMN acl_agency TEXT NOT NULL DEFAULT '';
ALTER TABLE record_history ADD COLUMN acl_path TEXT NOT NULL DEFAULT '';
ALTER TABLE record_history ADD COLUMN acl_case TEXT NOT NULL DEFAULT '';
ALTER TABLE record_history ADD COLUMN acl_protected INTEGER NOT NULL DEFAULT 0 CHECK (acl_protected IN (0, 1));
