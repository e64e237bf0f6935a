-- PostgreSQL twin of storage/sqlite/migrations/0004_audit.sql: same tables, columns
-- and constraints. Every TEXT column is COLLATE "C" so that comparisons and
-- ORDER BY are bytewise, as SQLite's BINARY collation is (keyset pages in id
-- order, the jurisdiction prefix range on acl_path, timestamps as text).
-- The tamper-evident audit log (app/audit_log.hpp): one row per event, each
-- committing to the previous one through prev_hash/hash. seq is assigned by
-- the app (1, 2, 3, ... with no gaps) and is part of the hash, so it is an
-- explicit BIGINT PRIMARY KEY, not an identity column. Rows hold ids, codes and
-- outcomes only, never personal data.
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY CHECK (seq > 0),
  at TEXT COLLATE "C" NOT NULL,
  user_id TEXT COLLATE "C" NOT NULL,
  role TEXT COLLATE "C" NOT NULL,
  agency_id TEXT COLLATE "C" NOT NULL,
  client_ip TEXT COLLATE "C" NOT NULL,
  action TEXT COLLATE "C" NOT NULL,
  resource TEXT COLLATE "C" NOT NULL,
  record_ids TEXT COLLATE "C" NOT NULL CHECK (jsonb_typeof(record_ids::jsonb) = 'array'),
  outcome TEXT COLLATE "C" NOT NULL,
  prev_hash TEXT COLLATE "C" NOT NULL CHECK (length(prev_hash) = 64),
  hash TEXT COLLATE "C" NOT NULL CHECK (length(hash) = 64)
);

-- Append-only for the application: a bug that tries to change or remove an
-- event fails loudly. This is not the tamper protection (anyone with the file
-- can drop these triggers); the hash chain and signed checkpoints are.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
-- TRUNCATE skips row triggers; refuse it too.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
