-- PostgreSQL twin of storage/sqlite/migrations/0005_consent.sql: same tables, columns
-- and constraints. Every TEXT column is COLLATE "C" so that comparisons and
-- ORDER BY are bytewise, as SQLite's BINARY collation is (keyset pages in id
-- order, the jurisdiction prefix range on acl_path, timestamps as text).
-- Consent per purpose on a case (issue 3 §4): services, referral and
-- disclosure, statistics. A personal table under a case, like assistance.
CREATE TABLE consents (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL),
  acl_user TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_path TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_case TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_protected BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX consents_case ON consents(case_id);
CREATE INDEX consents_acl_agency ON consents(acl_agency, id);
CREATE INDEX consents_acl_path ON consents(acl_path);
CREATE INDEX consents_acl_user ON consents(acl_user, id);
