-- The case registry: reference data, persons, cases and what hangs off a case.
-- Column layout mirrors domain::ResourceSpec: every reference and every field
-- marked Column()/Unique() has a column here (references with a foreign key);
-- the rest of a record lives in `body` (a JSON object).
-- tests/storage checks that every column the domain declares exists.

CREATE TABLE locations (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  loc_Code TEXT NOT NULL UNIQUE,
  loc_Level TEXT NOT NULL,
  parent_id TEXT REFERENCES locations(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX locations_parent ON locations(parent_id);

CREATE TABLE agencies (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  org_Code TEXT NOT NULL UNIQUE,
  location_id TEXT REFERENCES locations(id),
  parent_id TEXT REFERENCES agencies(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX agencies_location ON agencies(location_id);
CREATE INDEX agencies_parent ON agencies(parent_id);

CREATE TABLE organisations (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  location_id TEXT REFERENCES locations(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX organisations_location ON organisations(location_id);

CREATE TABLE persons (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;

CREATE TABLE cases (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  person_id TEXT NOT NULL REFERENCES persons(id),
  owner_agency_id TEXT NOT NULL REFERENCES agencies(id),
  cas_Status TEXT,
  vic_TraffickingStatus TEXT,
  recruitment_location_id TEXT REFERENCES locations(id),
  exploitation_location_id TEXT REFERENCES locations(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX cases_person ON cases(person_id);
CREATE INDEX cases_owner ON cases(owner_agency_id);
CREATE INDEX cases_status ON cases(cas_Status);
CREATE INDEX cases_trafficking_status ON cases(vic_TraffickingStatus);
CREATE INDEX cases_recruitment_location ON cases(recruitment_location_id);
CREATE INDEX cases_exploitation_location ON cases(exploitation_location_id);

CREATE TABLE trafficking_events (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  case_id TEXT NOT NULL REFERENCES cases(id),
  location_id TEXT REFERENCES locations(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX trafficking_events_case ON trafficking_events(case_id);
CREATE INDEX trafficking_events_location ON trafficking_events(location_id);

CREATE TABLE employment_episodes (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  case_id TEXT NOT NULL REFERENCES cases(id),
  employer_id TEXT REFERENCES organisations(id),
  previous_episode_id TEXT REFERENCES employment_episodes(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX employment_episodes_case ON employment_episodes(case_id);
CREATE INDEX employment_episodes_employer ON employment_episodes(employer_id);
CREATE INDEX employment_episodes_previous ON employment_episodes(previous_episode_id);

CREATE TABLE claims (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  case_id TEXT NOT NULL REFERENCES cases(id),
  employment_episode_id TEXT REFERENCES employment_episodes(id),
  claimant_id TEXT REFERENCES organisations(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX claims_case ON claims(case_id);
CREATE INDEX claims_employment_episode ON claims(employment_episode_id);
CREATE INDEX claims_claimant ON claims(claimant_id);

CREATE TABLE immigration_statuses (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  case_id TEXT NOT NULL REFERENCES cases(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX immigration_statuses_case ON immigration_statuses(case_id);

CREATE TABLE assistance (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  case_id TEXT NOT NULL REFERENCES cases(id),
  agency_id TEXT NOT NULL REFERENCES agencies(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX assistance_case ON assistance(case_id);
CREATE INDEX assistance_agency ON assistance(agency_id);

-- Every create, update and delete: who, when, and the field-level diff.
-- Kept after a record is deleted.
CREATE TABLE record_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  resource TEXT NOT NULL,
  record_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
  actor TEXT NOT NULL,
  at TEXT NOT NULL,
  changes TEXT NOT NULL CHECK (json_valid(changes))
) STRICT;
CREATE INDEX record_history_record ON record_history(resource, record_id, seq);
