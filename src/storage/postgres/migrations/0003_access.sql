-- PostgreSQL twin of storage/sqlite/migrations/0003_access.sql: same tables, columns
-- and constraints. Every TEXT column is COLLATE "C" so that comparisons and
-- ORDER BY are bytewise, as SQLite's BINARY collation is (keyset pages in id
-- order, the jurisdiction prefix range on acl_path, timestamps as text).
-- Access control (issue 3 §3, §5). Every personal table carries who reaches
-- each row: its owner, owning agency, the owning agency's location path (for
-- jurisdiction scope: a prefix range on an index), the case whose protection
-- covers it, and whether that case is protected. Lists filter on these in SQL.
-- Rows written before this migration belong to nobody but "all" scopes until
-- an administrator reassigns them (a fresh database has none).

ALTER TABLE persons ADD COLUMN acl_user TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE persons ADD COLUMN acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE persons ADD COLUMN acl_path TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE persons ADD COLUMN acl_case TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE persons ADD COLUMN acl_protected BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX persons_acl_agency ON persons(acl_agency, id);
CREATE INDEX persons_acl_path ON persons(acl_path);
CREATE INDEX persons_acl_user ON persons(acl_user, id);

ALTER TABLE cases ADD COLUMN acl_user TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN acl_path TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN acl_case TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN acl_protected BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX cases_acl_agency ON cases(acl_agency, id);
CREATE INDEX cases_acl_path ON cases(acl_path);
CREATE INDEX cases_acl_user ON cases(acl_user, id);

ALTER TABLE trafficking_events ADD COLUMN acl_user TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE trafficking_events ADD COLUMN acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE trafficking_events ADD COLUMN acl_path TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE trafficking_events ADD COLUMN acl_case TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE trafficking_events ADD COLUMN acl_protected BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX trafficking_events_acl_agency ON trafficking_events(acl_agency, id);
CREATE INDEX trafficking_events_acl_path ON trafficking_events(acl_path);
CREATE INDEX trafficking_events_acl_user ON trafficking_events(acl_user, id);

ALTER TABLE employment_episodes ADD COLUMN acl_user TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE employment_episodes ADD COLUMN acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE employment_episodes ADD COLUMN acl_path TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE employment_episodes ADD COLUMN acl_case TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE employment_episodes ADD COLUMN acl_protected BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX employment_episodes_acl_agency ON employment_episodes(acl_agency, id);
CREATE INDEX employment_episodes_acl_path ON employment_episodes(acl_path);
CREATE INDEX employment_episodes_acl_user ON employment_episodes(acl_user, id);

ALTER TABLE claims ADD COLUMN acl_user TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE claims ADD COLUMN acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE claims ADD COLUMN acl_path TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE claims ADD COLUMN acl_case TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE claims ADD COLUMN acl_protected BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX claims_acl_agency ON claims(acl_agency, id);
CREATE INDEX claims_acl_path ON claims(acl_path);
CREATE INDEX claims_acl_user ON claims(acl_user, id);

ALTER TABLE immigration_statuses ADD COLUMN acl_user TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE immigration_statuses ADD COLUMN acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE immigration_statuses ADD COLUMN acl_path TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE immigration_statuses ADD COLUMN acl_case TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE immigration_statuses ADD COLUMN acl_protected BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX immigration_statuses_acl_agency ON immigration_statuses(acl_agency, id);
CREATE INDEX immigration_statuses_acl_path ON immigration_statuses(acl_path);
CREATE INDEX immigration_statuses_acl_user ON immigration_statuses(acl_user, id);

ALTER TABLE assistance ADD COLUMN acl_user TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE assistance ADD COLUMN acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE assistance ADD COLUMN acl_path TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE assistance ADD COLUMN acl_case TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE assistance ADD COLUMN acl_protected BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX assistance_acl_agency ON assistance(acl_agency, id);
CREATE INDEX assistance_acl_path ON assistance(acl_path);
CREATE INDEX assistance_acl_user ON assistance(acl_user, id);

-- Break-the-glass grants: a user outside a protected case's agency, with the
-- permission, stated a reason and may reach the case until expires_at.
CREATE TABLE access_grants (
  id TEXT COLLATE "C" PRIMARY KEY,
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
  case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
  reason TEXT COLLATE "C" NOT NULL,
  granted_at TEXT COLLATE "C" NOT NULL,
  expires_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX access_grants_user_case ON access_grants(user_id, case_id, expires_at);
CREATE INDEX access_grants_case ON access_grants(case_id, granted_at);
