-- Identity: roles, user accounts, server-side sessions and the sign-in
-- throttle (app/identity_store.hpp). Secrets are stored only in derived
-- forms: argon2id password hashes, SHA-256 of session tokens, sealed TOTP
-- secrets (core::SealField). Timestamps are core::FormatTimestamp text.

-- A role's definition is a JSON document (domain::RoleToText); built-in roles
-- are rewritten from data/roles.json at start-up.
CREATE TABLE roles (
  code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 2 AND 64),
  body TEXT NOT NULL CHECK (json_valid(body)),
  builtin INTEGER NOT NULL CHECK (builtin IN (0, 1))
) STRICT;

-- Usernames are stored lower-case and compared without case (ASCII only: the
-- app allows [a-z0-9._-]), so "Somchai" and "somchai" cannot both exist.
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version > 0),
  username TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(username) BETWEEN 3 AND 64),
  display_name TEXT NOT NULL,
  agency_id TEXT NOT NULL REFERENCES agencies(id),
  role_code TEXT NOT NULL REFERENCES roles(code),
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  is_demo INTEGER NOT NULL DEFAULT 0 CHECK (is_demo IN (0, 1)),
  totp_secret TEXT,
  totp_pending_secret TEXT,
  totp_last_step INTEGER,
  failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
  locked_until TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX users_agency ON users(agency_id);
CREATE INDEX users_role ON users(role_code);

-- One row per signed-in session, keyed by the SHA-256 (hex) of its token.
-- Deleting a user deletes their sessions.
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  second_factor_done INTEGER NOT NULL CHECK (second_factor_done IN (0, 1)),
  client_ip TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_last_seen ON sessions(last_seen_at);
CREATE INDEX sessions_created ON sessions(created_at);

-- Failed sign-ins per key ("ip:<address>") in a fixed window.
CREATE TABLE login_throttle (
  throttle_key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL CHECK (failures >= 0),
  window_start TEXT NOT NULL,
  locked_until TEXT
) STRICT;
CREATE INDEX login_throttle_window ON login_throttle(window_start);
