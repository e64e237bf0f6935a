-- The tamper-evident audit log (app/audit_log.hpp): one row per event, each
-- committing to the previous one through prev_hash/hash. seq is assigned by
-- the app (1, 2, 3, ... with no gaps) and is part of the hash, so it is an
-- explicit INTEGER PRIMARY KEY, not AUTOINCREMENT. Rows hold ids, codes and
-- outcomes only, never personal data.
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY CHECK (seq > 0),
  at TEXT NOT NULL,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL,
  agency_id TEXT NOT NULL,
  client_ip TEXT NOT NULL,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  record_ids TEXT NOT NULL CHECK (json_valid(record_ids) AND json_type(record_ids) = 'array'),
  outcome TEXT NOT NULL,
  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash TEXT NOT NULL CHECK (length(hash) = 64)
) STRICT;

-- Append-only for the application: a bug that tries to change or remove an
-- event fails loudly. This is not the tamper protection (anyone with the file
-- can drop these triggers); the hash chain and signed checkpoints are.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
