-- Consent per purpose on a case (issue 3 §4): services, referral and
-- disclosure, statistics. A personal table under a case, like assistance.
CREATE TABLE consents (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  case_id TEXT NOT NULL REFERENCES cases(id),
  body TEXT NOT NULL CHECK (json_valid(body)),
  acl_user TEXT NOT NULL DEFAULT '',
  acl_agency TEXT NOT NULL DEFAULT '',
  acl_path TEXT NOT NULL DEFAULT '',
  acl_case TEXT NOT NULL DEFAULT '',
  acl_protected INTEGER NOT NULL DEFAULT 0 CHECK (acl_protected IN (0, 1))
) STRICT;
CREATE INDEX consents_case ON consents(case_id);
CREATE INDEX consents_acl_agency ON consents(acl_agency, id);
CREATE INDEX consents_acl_path ON consents(acl_path);
CREATE INDEX consents_acl_user ON consents(acl_user, id);
