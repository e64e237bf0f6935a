-- Issue 7: taskforces, their plan of action (objectives, activities,
-- indicators), meetings, and directives between agencies with one answer per
-- recipient. Reference-style tables (no acl_* columns): they hold no personal
-- data; who may write them is decided in the app layer
-- (app/taskforce_service.cpp). Column layout mirrors domain/schema.cpp.

CREATE TABLE taskforces (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  tfc_Code TEXT NOT NULL UNIQUE,
  location_id TEXT REFERENCES locations(id),
  chair_agency_id TEXT NOT NULL REFERENCES agencies(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX taskforces_location_id ON taskforces(location_id);
CREATE INDEX taskforces_chair_agency_id ON taskforces(chair_agency_id);

CREATE TABLE taskforce_members (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  taskforce_id TEXT NOT NULL REFERENCES taskforces(id),
  agency_id TEXT NOT NULL REFERENCES agencies(id),
  tfm_UserId TEXT,
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX taskforce_members_taskforce_id ON taskforce_members(taskforce_id);
CREATE INDEX taskforce_members_agency_id ON taskforce_members(agency_id);
CREATE INDEX taskforce_members_tfm_userid ON taskforce_members(tfm_UserId);

CREATE TABLE taskforce_meetings (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  taskforce_id TEXT NOT NULL REFERENCES taskforces(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX taskforce_meetings_taskforce_id ON taskforce_meetings(taskforce_id);

CREATE TABLE plan_objectives (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  taskforce_id TEXT NOT NULL REFERENCES taskforces(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX plan_objectives_taskforce_id ON plan_objectives(taskforce_id);

CREATE TABLE plan_activities (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  objective_id TEXT NOT NULL REFERENCES plan_objectives(id),
  taskforce_id TEXT NOT NULL REFERENCES taskforces(id),
  responsible_agency_id TEXT NOT NULL REFERENCES agencies(id),
  act_Status TEXT,
  meeting_id TEXT REFERENCES taskforce_meetings(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX plan_activities_objective_id ON plan_activities(objective_id);
CREATE INDEX plan_activities_taskforce_id ON plan_activities(taskforce_id);
CREATE INDEX plan_activities_responsible_agency_id ON plan_activities(responsible_agency_id);
CREATE INDEX plan_activities_meeting_id ON plan_activities(meeting_id);

CREATE TABLE plan_indicators (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  objective_id TEXT NOT NULL REFERENCES plan_objectives(id),
  taskforce_id TEXT NOT NULL REFERENCES taskforces(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX plan_indicators_objective_id ON plan_indicators(objective_id);
CREATE INDEX plan_indicators_taskforce_id ON plan_indicators(taskforce_id);

CREATE TABLE directives (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  issuing_agency_id TEXT REFERENCES agencies(id),
  taskforce_id TEXT REFERENCES taskforces(id),
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX directives_issuing_agency_id ON directives(issuing_agency_id);
CREATE INDEX directives_taskforce_id ON directives(taskforce_id);

CREATE TABLE directive_recipients (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  directive_id TEXT NOT NULL REFERENCES directives(id),
  agency_id TEXT NOT NULL REFERENCES agencies(id),
  drc_Status TEXT,
  body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX directive_recipients_directive_id ON directive_recipients(directive_id);
CREATE INDEX directive_recipients_agency_id ON directive_recipients(agency_id);
