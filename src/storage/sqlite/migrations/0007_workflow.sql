-- The referral mechanism (issue 4): screening, referral, transfer,
-- repatriation and investigation records (personal tables laid out like the
-- case registry, with their reach in acl_* columns), agency shares of a case
-- given by an accepted referral, workflow tasks and in-app notifications.

CREATE TABLE screenings (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  case_id TEXT NOT NULL REFERENCES cases(id),
  agency_id TEXT REFERENCES agencies(id),
  scr_Status TEXT,
  body TEXT NOT NULL CHECK (json_valid(body)),
  acl_user TEXT NOT NULL DEFAULT '',
  acl_agency TEXT NOT NULL DEFAULT '',
  acl_path TEXT NOT NULL DEFAULT '',
  acl_case TEXT NOT NULL DEFAULT '',
  acl_protected INTEGER NOT NULL DEFAULT 0 CHECK (acl_protected IN (0, 1))
) STRICT;
CREATE INDEX screenings_case_id ON screenings(case_id);
CREATE INDEX screenings_agency_id ON screenings(agency_id);
CREATE INDEX screenings_scr_status ON screenings(scr_Status);
CREATE INDEX screenings_acl_agency ON screenings(acl_agency, id);
CREATE INDEX screenings_acl_path ON screenings(acl_path);
CREATE INDEX screenings_acl_user ON screenings(acl_user, id);
CREATE INDEX screenings_acl_case ON screenings(acl_case);

CREATE TABLE referrals (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  case_id TEXT NOT NULL REFERENCES cases(id),
  to_agency_id TEXT NOT NULL REFERENCES agencies(id),
  from_agency_id TEXT REFERENCES agencies(id),
  ref_Status TEXT,
  consent_id TEXT REFERENCES consents(id),
  body TEXT NOT NULL CHECK (json_valid(body)),
  acl_user TEXT NOT NULL DEFAULT '',
  acl_agency TEXT NOT NULL DEFAULT '',
  acl_path TEXT NOT NULL DEFAULT '',
  acl_case TEXT NOT NULL DEFAULT '',
  acl_protected INTEGER NOT NULL DEFAULT 0 CHECK (acl_protected IN (0, 1))
) STRICT;
CREATE INDEX referrals_case_id ON referrals(case_id);
CREATE INDEX referrals_to_agency_id ON referrals(to_agency_id);
CREATE INDEX referrals_from_agency_id ON referrals(from_agency_id);
CREATE INDEX referrals_ref_status ON referrals(ref_Status);
CREATE INDEX referrals_consent_id ON referrals(consent_id);
CREATE INDEX referrals_acl_agency ON referrals(acl_agency, id);
CREATE INDEX referrals_acl_path ON referrals(acl_path);
CREATE INDEX referrals_acl_user ON referrals(acl_user, id);
CREATE INDEX referrals_acl_case ON referrals(acl_case);

CREATE TABLE transfers (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  case_id TEXT NOT NULL REFERENCES cases(id),
  to_agency_id TEXT NOT NULL REFERENCES agencies(id),
  from_agency_id TEXT REFERENCES agencies(id),
  trf_Status TEXT,
  consent_id TEXT REFERENCES consents(id),
  body TEXT NOT NULL CHECK (json_valid(body)),
  acl_user TEXT NOT NULL DEFAULT '',
  acl_agency TEXT NOT NULL DEFAULT '',
  acl_path TEXT NOT NULL DEFAULT '',
  acl_case TEXT NOT NULL DEFAULT '',
  acl_protected INTEGER NOT NULL DEFAULT 0 CHECK (acl_protected IN (0, 1))
) STRICT;
CREATE INDEX transfers_case_id ON transfers(case_id);
CREATE INDEX transfers_to_agency_id ON transfers(to_agency_id);
CREATE INDEX transfers_from_agency_id ON transfers(from_agency_id);
CREATE INDEX transfers_trf_status ON transfers(trf_Status);
CREATE INDEX transfers_consent_id ON transfers(consent_id);
CREATE INDEX transfers_acl_agency ON transfers(acl_agency, id);
CREATE INDEX transfers_acl_path ON transfers(acl_path);
CREATE INDEX transfers_acl_user ON transfers(acl_user, id);
CREATE INDEX transfers_acl_case ON transfers(acl_case);

CREATE TABLE repatriations (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  case_id TEXT NOT NULL REFERENCES cases(id),
  receiving_organisation_id TEXT REFERENCES organisations(id),
  rep_Status TEXT,
  body TEXT NOT NULL CHECK (json_valid(body)),
  acl_user TEXT NOT NULL DEFAULT '',
  acl_agency TEXT NOT NULL DEFAULT '',
  acl_path TEXT NOT NULL DEFAULT '',
  acl_case TEXT NOT NULL DEFAULT '',
  acl_protected INTEGER NOT NULL DEFAULT 0 CHECK (acl_protected IN (0, 1))
) STRICT;
CREATE INDEX repatriations_case_id ON repatriations(case_id);
CREATE INDEX repatriations_receiving_organisation_id ON repatriations(receiving_organisation_id);
CREATE INDEX repatriations_rep_status ON repatriations(rep_Status);
CREATE INDEX repatriations_acl_agency ON repatriations(acl_agency, id);
CREATE INDEX repatriations_acl_path ON repatriations(acl_path);
CREATE INDEX repatriations_acl_user ON repatriations(acl_user, id);
CREATE INDEX repatriations_acl_case ON repatriations(acl_case);

CREATE TABLE investigations (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  agency_id TEXT REFERENCES agencies(id),
  inv_Status TEXT,
  body TEXT NOT NULL CHECK (json_valid(body)),
  acl_user TEXT NOT NULL DEFAULT '',
  acl_agency TEXT NOT NULL DEFAULT '',
  acl_path TEXT NOT NULL DEFAULT '',
  acl_case TEXT NOT NULL DEFAULT '',
  acl_protected INTEGER NOT NULL DEFAULT 0 CHECK (acl_protected IN (0, 1))
) STRICT;
CREATE INDEX investigations_agency_id ON investigations(agency_id);
CREATE INDEX investigations_inv_status ON investigations(inv_Status);
CREATE INDEX investigations_acl_agency ON investigations(acl_agency, id);
CREATE INDEX investigations_acl_path ON investigations(acl_path);
CREATE INDEX investigations_acl_user ON investigations(acl_user, id);
CREATE INDEX investigations_acl_case ON investigations(acl_case);

CREATE TABLE investigation_victims (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  investigation_id TEXT NOT NULL REFERENCES investigations(id),
  case_id TEXT NOT NULL REFERENCES cases(id),
  body TEXT NOT NULL CHECK (json_valid(body)),
  acl_user TEXT NOT NULL DEFAULT '',
  acl_agency TEXT NOT NULL DEFAULT '',
  acl_path TEXT NOT NULL DEFAULT '',
  acl_case TEXT NOT NULL DEFAULT '',
  acl_protected INTEGER NOT NULL DEFAULT 0 CHECK (acl_protected IN (0, 1))
) STRICT;
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
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id),
  person_id TEXT NOT NULL REFERENCES persons(id),
  agency_id TEXT NOT NULL REFERENCES agencies(id),
  source TEXT NOT NULL,
  source_id TEXT NOT NULL,
  granted_at TEXT NOT NULL,
  UNIQUE (agency_id, case_id, source_id)
) STRICT;
CREATE INDEX case_shares_case ON case_shares(case_id, agency_id);
CREATE INDEX case_shares_person ON case_shares(person_id, agency_id);

-- Work the workflow creates: answer a referral, approve a closure, follow up
-- 30 days after a return. Addressed to an agency (user_id '') or a user.
-- Carries no personal data: a kind and the record it is about.
CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  kind TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('Open', 'Done', 'Cancelled')),
  agency_id TEXT NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  case_id TEXT NOT NULL DEFAULT '',
  resource TEXT NOT NULL,
  record_id TEXT NOT NULL,
  due_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  closed_at TEXT NOT NULL DEFAULT '',
  closed_by TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX tasks_agency_open ON tasks(agency_id, status, due_at);
CREATE INDEX tasks_user_open ON tasks(user_id, status, due_at);
CREATE INDEX tasks_record ON tasks(resource, record_id, status);

-- In-app notifications, addressed to a user or to an agency's users whose
-- role holds `audience` ("resource:action"). dedupe_key makes creation
-- idempotent, so two servers sweeping the same due task notify once.
CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  agency_id TEXT NOT NULL DEFAULT '',
  audience TEXT NOT NULL DEFAULT '',
  case_id TEXT NOT NULL DEFAULT '',
  resource TEXT NOT NULL,
  record_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  dedupe_key TEXT NOT NULL UNIQUE
) STRICT;
CREATE INDEX notifications_user ON notifications(user_id, created_at);
CREATE INDEX notifications_agency ON notifications(agency_id, created_at);

CREATE TABLE notification_reads (
  notification_id TEXT NOT NULL REFERENCES notifications(id),
  user_id TEXT NOT NULL,
  read_at TEXT NOT NULL,
  PRIMARY KEY (notification_id, user_id)
) STRICT;

-- History entries of workflow steps are named after the step ("accept",
-- "approve_closure", "screening_decision", ...), so the action is no longer
-- one of create/update/delete: a lower-case identifier. SQLite cannot alter
-- a CHECK, so the table is rebuilt (nothing refers to it by key).
CREATE TABLE record_history_new (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  resource TEXT NOT NULL,
  record_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64 AND action NOT GLOB '*[^a-z_]*'),
  actor TEXT NOT NULL,
  at TEXT NOT NULL,
  changes TEXT NOT NULL CHECK (json_valid(changes)),
  acl_user TEXT NOT NULL DEFAULT '',
  acl_agency TEXT NOT NULL DEFAULT '',
  acl_path TEXT NOT NULL DEFAULT '',
  acl_case TEXT NOT NULL DEFAULT '',
  acl_protected INTEGER NOT NULL DEFAULT 0 CHECK (acl_protected IN (0, 1))
) STRICT;
INSERT INTO record_history_new (seq, resource, record_id, version, action, actor, at, changes, acl_user, acl_agency,
                                acl_path, acl_case, acl_protected)
  SELECT seq, resource, record_id, version, action, actor, at, changes, acl_user, acl_agency, acl_path, acl_case,
         acl_protected FROM record_history;
DROP TABLE record_history;
ALTER TABLE record_history_new RENAME TO record_history;
CREATE INDEX record_history_record ON record_history(resource, record_id, seq);
