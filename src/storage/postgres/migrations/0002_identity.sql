-- PostgreSQL twin of storage/sqlite/migrations/0002_identity.sql: same tables, columns
-- and constraints. Every TEXT column is COLLATE "C" so that comparisons and
-- ORDER BY are bytewise, as SQLite's BINARY collation is (keyset pages in id
-- order, the jurisdiction prefix range on acl_path, timestamps as text).
-- Identity: roles, user accounts, server-side sessions and the sign-in
-- throttle (app/identity_store.hpp). Secrets are stored only in derived
-- forms: argon2id password hashes, SHA-256 of session tokens, sealed TOTP
-- secrets (core::SealField). Timestamps are core::FormatTimestamp text.

-- A role's definition is a JSON document (domain::RoleToText); built-in roles
-- are rewritten from data/roles.json at start-up.
CREATE TABLE roles (
  code TEXT COLLATE "C" PRIMARY KEY CHECK (length(code) BETWEEN 2 AND 64),
  body TEXT COLLATE "C" NOT NULL CHECK (body::jsonb IS NOT NULL),
  builtin BOOLEAN NOT NULL
);

-- Usernames are stored lower-case and compared without case (ASCII only: the
-- app allows [a-z0-9._-]), so "Somchai" and "somchai" cannot both exist.
CREATE TABLE users (
  id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL CHECK (version > 0),
  username TEXT COLLATE "C" NOT NULL CHECK (length(username) BETWEEN 3 AND 64),
  display_name TEXT COLLATE "C" NOT NULL,
  agency_id TEXT COLLATE "C" NOT NULL REFERENCES agencies(id),
  role_code TEXT COLLATE "C" NOT NULL REFERENCES roles(code),
  password_hash TEXT COLLATE "C" NOT NULL,
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  is_demo BOOLEAN NOT NULL DEFAULT FALSE,
  totp_secret TEXT COLLATE "C",
  totp_pending_secret TEXT COLLATE "C",
  totp_last_step BIGINT,
  failed_logins BIGINT NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
  locked_until TEXT COLLATE "C",
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL
);
-- SQLite's NOCASE is ASCII-only; lower() under the "C" collation is too.
CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE INDEX users_agency ON users(agency_id);
CREATE INDEX users_role ON users(role_code);

-- One row per signed-in session, keyed by the SHA-256 (hex) of its token.
-- Deleting a user deletes their sessions.
CREATE TABLE sessions (
  token_hash TEXT COLLATE "C" PRIMARY KEY CHECK (length(token_hash) = 64),
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT COLLATE "C" NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL,
  last_seen_at TEXT COLLATE "C" NOT NULL,
  second_factor_done BOOLEAN NOT NULL,
  client_ip TEXT COLLATE "C" NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_last_seen ON sessions(last_seen_at);
CREATE INDEX sessions_created ON sessions(created_at);

-- Failed sign-ins per key ("ip:<address>") in a fixed window.
CREATE TABLE login_throttle (
  throttle_key TEXT COLLATE "C" PRIMARY KEY,
  failures BIGINT NOT NULL CHECK (failures >= 0),
  window_start TEXT COLLATE "C" NOT NULL,
  locked_until TEXT COLLATE "C"
);
CREATE INDEX login_throttle_window ON login_throttle(window_start);
