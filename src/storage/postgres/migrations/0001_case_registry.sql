-- PostgreSQL twin of storage/sqlite/migrations/0001_case_registry.sql: same tables, columns
-- and constraints. Every TEXT column is COLLATE "C" so that comparisons and
-- ORDER BY are bytewise, as SQLite's BINARY collation is (keyset pages in id
-- order, the jurisdiction prefix range on acl_path, timestamps as text).
-- The case registry: reference data, persons, cases and what hangs off a case.
--
-- Column layout mirrors domain::ResourceSpec: every reference and every field
-- marked Column()/Unique() has a column here (references with a foreign key);
-- the rest of a record lives in `body` (a JSON object).
-- tests/storage checks that every column the domain declares exists.

CREATE TABLE locations (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  "loc_Code" TEXT COLLATE "C" NOT NULL UNIQUE,
  "loc_Level" TEXT COLLATE "C" NOT NULL,
  parent_id TEXT COLLATE "C" REFERENCES locations(id),
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL)
);
CREATE INDEX locations_parent ON locations(parent_id);

CREATE TABLE agencies (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  "org_Code" TEXT COLLATE "C" NOT NULL UNIQUE,
  location_id TEXT COLLATE "C" REFERENCES locations(id),
  parent_id TEXT COLLATE "C" REFERENCES agencies(id),
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL)
);
CREATE INDEX agencies_location ON agencies(location_id);
CREATE INDEX agencies_parent ON agencies(parent_id);

CREATE TABLE organisations (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  location_id TEXT COLLATE "C" REFERENCES locations(id),
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL)
);
CREATE INDEX organisations_location ON organisations(location_id);

CREATE TABLE persons (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL)
);

CREATE TABLE cases (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  person_id TEXT COLLATE "C" NOT NULL REFERENCES persons(id),
  owner_agency_id TEXT COLLATE "C" NOT NULL REFERENCES agencies(id),
  "cas_Status" TEXT COLLATE "C",
  "vic_TraffickingStatus" TEXT COLLATE "C",
  recruitment_location_id TEXT COLLATE "C" REFERENCES locations(id),
  exploitation_location_id TEXT COLLATE "C" REFERENCES locations(id),
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL)
);
CREATE INDEX cases_person ON cases(person_id);
CREATE INDEX cases_owner ON cases(owner_agency_id);
CREATE INDEX cases_status ON cases("cas_Status");
CREATE INDEX cases_trafficking_status ON cases("vic_TraffickingStatus");
CREATE INDEX cases_recruitment_location ON cases(recruitment_location_id);
CREATE INDEX cases_exploitation_location ON cases(exploitation_location_id);

CREATE TABLE trafficking_events (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
  location_id TEXT COLLATE "C" REFERENCES locations(id),
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL)
);
CREATE INDEX trafficking_events_case ON trafficking_events(case_id);
CREATE INDEX trafficking_events_location ON trafficking_events(location_id);

CREATE TABLE employment_episodes (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
  employer_id TEXT COLLATE "C" REFERENCES organisations(id),
  previous_episode_id TEXT COLLATE "C" REFERENCES employment_episodes(id),
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL)
);
CREATE INDEX employment_episodes_case ON employment_episodes(case_id);
CREATE INDEX employment_episodes_employer ON employment_episodes(employer_id);
CREATE INDEX employment_episodes_previous ON employment_episodes(previous_episode_id);

CREATE TABLE claims (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
  employment_episode_id TEXT COLLATE "C" REFERENCES employment_episodes(id),
  claimant_id TEXT COLLATE "C" REFERENCES organisations(id),
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL)
);
CREATE INDEX claims_case ON claims(case_id);
CREATE INDEX claims_employment_episode ON claims(employment_episode_id);
CREATE INDEX claims_claimant ON claims(claimant_id);

CREATE TABLE immigration_statuses (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL)
);
CREATE INDEX immigration_statuses_case ON immigration_statuses(case_id);

CREATE TABLE assistance (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
  agency_id TEXT COLLATE "C" NOT NULL REFERENCES agencies(id),
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL)
);
CREATE INDEX assistance_case ON assistance(case_id);
CREATE INDEX assistance_agency ON assistance(agency_id);

-- Every create, update and delete: who, when, and the field-level diff.
-- Kept after a record is deleted.
CREATE TABLE record_history (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  resource TEXT COLLATE "C" NOT NULL,
  record_id TEXT COLLATE "C" NOT NULL,
  version BIGINT NOT NULL,
  action TEXT COLLATE "C" NOT NULL CONSTRAINT record_history_action CHECK (action IN ('create', 'update', 'delete')),
  actor TEXT COLLATE "C" NOT NULL,
  at TEXT COLLATE "C" NOT NULL,
  changes TEXT COLLATE "C" NOT NULL CHECK (changes::jsonb IS NOT NULL)
);
CREATE INDEX record_history_record ON record_history(resource, record_id, seq);
