-- PostgreSQL twin of storage/sqlite/migrations/0007_workflow.sql: same tables, columns
-- and constraints. Every TEXT column is COLLATE "C" so that comparisons and
-- ORDER BY are bytewise, as SQLite's BINARY collation is (keyset pages in id
-- order, the jurisdiction prefix range on acl_path, timestamps as text).
-- The referral mechanism (issue 4): screening, referral, transfer,
-- repatriation and investigation records (personal tables laid out like the
-- case registry, with their reach in acl_* columns), agency shares of a case
-- given by an accepted referral, workflow tasks and in-app notifications.

CREATE TABLE screenings (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
  agency_id TEXT COLLATE "C" REFERENCES agencies(id),
  "scr_Status" TEXT COLLATE "C",
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL),
  acl_user TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_path TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_case TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_protected BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX screenings_case_id ON screenings(case_id);
CREATE INDEX screenings_agency_id ON screenings(agency_id);
CREATE INDEX screenings_scr_status ON screenings("scr_Status");
CREATE INDEX screenings_acl_agency ON screenings(acl_agency, id);
CREATE INDEX screenings_acl_path ON screenings(acl_path);
CREATE INDEX screenings_acl_user ON screenings(acl_user, id);
CREATE INDEX screenings_acl_case ON screenings(acl_case);

CREATE TABLE referrals (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
  to_agency_id TEXT COLLATE "C" NOT NULL REFERENCES agencies(id),
  from_agency_id TEXT COLLATE "C" REFERENCES agencies(id),
  "ref_Status" TEXT COLLATE "C",
  consent_id TEXT COLLATE "C" REFERENCES consents(id),
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL),
  acl_user TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_path TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_case TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_protected BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX referrals_case_id ON referrals(case_id);
CREATE INDEX referrals_to_agency_id ON referrals(to_agency_id);
CREATE INDEX referrals_from_agency_id ON referrals(from_agency_id);
CREATE INDEX referrals_ref_status ON referrals("ref_Status");
CREATE INDEX referrals_consent_id ON referrals(consent_id);
CREATE INDEX referrals_acl_agency ON referrals(acl_agency, id);
CREATE INDEX referrals_acl_path ON referrals(acl_path);
CREATE INDEX referrals_acl_user ON referrals(acl_user, id);
CREATE INDEX referrals_acl_case ON referrals(acl_case);

CREATE TABLE transfers (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
  to_agency_id TEXT COLLATE "C" NOT NULL REFERENCES agencies(id),
  from_agency_id TEXT COLLATE "C" REFERENCES agencies(id),
  "trf_Status" TEXT COLLATE "C",
  consent_id TEXT COLLATE "C" REFERENCES consents(id),
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL),
  acl_user TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_path TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_case TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_protected BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX transfers_case_id ON transfers(case_id);
CREATE INDEX transfers_to_agency_id ON transfers(to_agency_id);
CREATE INDEX transfers_from_agency_id ON transfers(from_agency_id);
CREATE INDEX transfers_trf_status ON transfers("trf_Status");
CREATE INDEX transfers_consent_id ON transfers(consent_id);
CREATE INDEX transfers_acl_agency ON transfers(acl_agency, id);
CREATE INDEX transfers_acl_path ON transfers(acl_path);
CREATE INDEX transfers_acl_user ON transfers(acl_user, id);
CREATE INDEX transfers_acl_case ON transfers(acl_case);

CREATE TABLE repatriations (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
  receiving_organisation_id TEXT COLLATE "C" REFERENCES organisations(id),
  "rep_Status" TEXT COLLATE "C",
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL),
  acl_user TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_path TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_case TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_protected BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX repatriations_case_id ON repatriations(case_id);
CREATE INDEX repatriations_receiving_organisation_id ON repatriations(receiving_organisation_id);
CREATE INDEX repatriations_rep_status ON repatriations("rep_Status");
CREATE INDEX repatriations_acl_agency ON repatriations(acl_agency, id);
CREATE INDEX repatriations_acl_path ON repatriations(acl_path);
CREATE INDEX repatriations_acl_user ON repatriations(acl_user, id);
CREATE INDEX repatriations_acl_case ON repatriations(acl_case);

CREATE TABLE investigations (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  agency_id TEXT COLLATE "C" REFERENCES agencies(id),
  "inv_Status" TEXT COLLATE "C",
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL),
  acl_user TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_path TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_case TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_protected BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX investigations_agency_id ON investigations(agency_id);
CREATE INDEX investigations_inv_status ON investigations("inv_Status");
CREATE INDEX investigations_acl_agency ON investigations(acl_agency, id);
CREATE INDEX investigations_acl_path ON investigations(acl_path);
CREATE INDEX investigations_acl_user ON investigations(acl_user, id);
CREATE INDEX investigations_acl_case ON investigations(acl_case);

CREATE TABLE investigation_victims (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  investigation_id TEXT COLLATE "C" NOT NULL REFERENCES investigations(id),
  case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL),
  acl_user TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_agency TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_path TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_case TEXT COLLATE "C" NOT NULL DEFAULT '',
  acl_protected BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX investigation_victims_investigation_id ON investigation_victims(investigation_id);
CREATE INDEX investigation_victims_case_id ON investigation_victims(case_id);
CREATE INDEX investigation_victims_acl_agency ON investigation_victims(acl_agency, id);
CREATE INDEX investigation_victims_acl_path ON investigation_victims(acl_path);
CREATE INDEX investigation_victims_acl_user ON investigation_victims(acl_user, id);
CREATE INDEX investigation_victims_acl_case ON investigation_victims(acl_case);

CREATE UNIQUE INDEX investigation_victims_link ON investigation_victims(investigation_id, case_id);

-- An agency reaches a case (and its person and everything under it) outside
-- its role's scope once it accepted a referral of that case: the referring
-- agency chose to share, with the person's consent or an audited override.
CREATE TABLE case_shares (
  id TEXT COLLATE "C" PRIMARY KEY,
  case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
  person_id TEXT COLLATE "C" NOT NULL REFERENCES persons(id),
  agency_id TEXT COLLATE "C" NOT NULL REFERENCES agencies(id),
  source TEXT COLLATE "C" NOT NULL,
  source_id TEXT COLLATE "C" NOT NULL,
  granted_at TEXT COLLATE "C" NOT NULL,
  UNIQUE (agency_id, case_id, source_id)
);
CREATE INDEX case_shares_case ON case_shares(case_id, agency_id);
CREATE INDEX case_shares_person ON case_shares(person_id, agency_id);

-- Work the workflow creates: answer a referral, approve a closure, follow up
-- 30 days after a return. Addressed to an agency (user_id '') or a user.
-- Carries no personal data: a kind and the record it is about.
CREATE TABLE tasks (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  kind TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('Open', 'Done', 'Cancelled')),
  agency_id TEXT COLLATE "C" NOT NULL,
  user_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  case_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  resource TEXT COLLATE "C" NOT NULL,
  record_id TEXT COLLATE "C" NOT NULL,
  due_at TEXT COLLATE "C" NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL,
  closed_at TEXT COLLATE "C" NOT NULL DEFAULT '',
  closed_by TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX tasks_agency_open ON tasks(agency_id, status, due_at);
CREATE INDEX tasks_user_open ON tasks(user_id, status, due_at);
CREATE INDEX tasks_record ON tasks(resource, record_id, status);

-- In-app notifications, addressed to a user or to an agency's users whose
-- role holds `audience` ("resource:action"). dedupe_key makes creation
-- idempotent, so two servers sweeping the same due task notify once.
CREATE TABLE notifications (
  id TEXT COLLATE "C" PRIMARY KEY,
  kind TEXT COLLATE "C" NOT NULL,
  user_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  agency_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  audience TEXT COLLATE "C" NOT NULL DEFAULT '',
  case_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  resource TEXT COLLATE "C" NOT NULL,
  record_id TEXT COLLATE "C" NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL,
  dedupe_key TEXT COLLATE "C" NOT NULL UNIQUE
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);
CREATE INDEX notifications_agency ON notifications(agency_id, created_at);

CREATE TABLE notification_reads (
  notification_id TEXT COLLATE "C" NOT NULL REFERENCES notifications(id),
  user_id TEXT COLLATE "C" NOT NULL,
  read_at TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (notification_id, user_id)
);

-- History entries of workflow steps are named after the step ("accept",
-- "approve_closure", "screening_decision", ...), so the action is no longer
-- one of create/update/delete: a lower-case identifier. (SQLite rebuilds the
-- table; PostgreSQL replaces the named constraint.)
ALTER TABLE record_history DROP CONSTRAINT record_history_action;
ALTER TABLE record_history ADD CONSTRAINT record_history_action CHECK (action ~ '^[a-z_]{1,64}$');
