#include "storage/sqlite/sqlite_identity.hpp"

#include <sqlite3.h>

#include "storage/sqlite/sqlite_util.hpp"

namespace ctims::storage::sqlite {
namespace {

using app::RoleRecord;
using app::SessionRecord;
using app::ThrottleRecord;
using app::UserRecord;
using core::Result;
using core::Status;

// Messages name schema objects and operations only, never values.
Status ErrorFrom(int rc, sqlite3* db, std::string_view what) {
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) return UniqueViolation(db);
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return Status::InvalidArgument("a reference names no record", {{"", "reference", "unknown record"}});
  }
  return GenericError(rc, db, what);
}

// Runs a query and reads every row with `read`.
template <typename T, typename Read>
Result<std::vector<T>> QueryAll(sqlite3_stmt* stmt, sqlite3* db, Read read, std::string_view what) {
  std::vector<T> out;
  int rc = 0;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) out.push_back(read(stmt));
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) return ErrorFrom(rc, db, what);
  return out;
}

// Runs a query expected to return at most one row.
template <typename T, typename Read>
Result<std::optional<T>> QueryOne(sqlite3_stmt* stmt, sqlite3* db, Read read, std::string_view what) {
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    std::optional<T> out = read(stmt);
    sqlite3_reset(stmt);
    return out;
  }
  sqlite3_reset(stmt);
  if (rc == SQLITE_DONE) return std::optional<T>();
  return ErrorFrom(rc, db, what);
}

constexpr const char* kUserColumns =
    "id, version, username, display_name, agency_id, role_code, password_hash, disabled, is_demo, totp_secret, "
    "totp_pending_secret, totp_last_step, failed_logins, locked_until, created_at, updated_at";

UserRecord ReadUser(sqlite3_stmt* s) {
  UserRecord u;
  u.id = ColumnText(s, 0);
  u.version = sqlite3_column_int64(s, 1);
  u.username = ColumnText(s, 2);
  u.display_name = ColumnText(s, 3);
  u.agency_id = ColumnText(s, 4);
  u.role_code = ColumnText(s, 5);
  u.password_hash = ColumnText(s, 6);
  u.disabled = sqlite3_column_int64(s, 7) != 0;
  u.is_demo = sqlite3_column_int64(s, 8) != 0;
  u.totp_secret_sealed = ColumnOptionalText(s, 9);
  u.totp_pending_sealed = ColumnOptionalText(s, 10);
  u.totp_last_step = ColumnOptionalInt(s, 11);
  u.failed_logins = sqlite3_column_int64(s, 12);
  u.locked_until = ColumnOptionalText(s, 13);
  u.created_at = ColumnText(s, 14);
  u.updated_at = ColumnText(s, 15);
  return u;
}

// Binds every user column but id, version and created_at, from `first` on, in
// the order of the UPDATE statement below.
int BindUserFields(sqlite3_stmt* s, int i, const UserRecord& u) {
  BindText(s, i++, u.username);
  BindText(s, i++, u.display_name);
  BindText(s, i++, u.agency_id);
  BindText(s, i++, u.role_code);
  BindText(s, i++, u.password_hash);
  sqlite3_bind_int(s, i++, u.disabled ? 1 : 0);
  sqlite3_bind_int(s, i++, u.is_demo ? 1 : 0);
  BindOptional(s, i++, u.totp_secret_sealed);
  BindOptional(s, i++, u.totp_pending_sealed);
  BindOptional(s, i++, u.totp_last_step);
  sqlite3_bind_int64(s, i++, u.failed_logins);
  BindOptional(s, i++, u.locked_until);
  BindText(s, i++, u.updated_at);
  return i;
}

constexpr const char* kSessionColumns =
    "token_hash, user_id, csrf_token, created_at, last_seen_at, second_factor_done, client_ip";

SessionRecord ReadSession(sqlite3_stmt* s) {
  return {ColumnText(s, 0), ColumnText(s, 1), ColumnText(s, 2),
          ColumnText(s, 3), ColumnText(s, 4), sqlite3_column_int64(s, 5) != 0,
          ColumnText(s, 6)};
}

RoleRecord ReadRole(sqlite3_stmt* s) {
  return {ColumnText(s, 0), ColumnText(s, 1), sqlite3_column_int64(s, 2) != 0};
}

ThrottleRecord ReadThrottle(sqlite3_stmt* s) {
  return {ColumnText(s, 0), sqlite3_column_int64(s, 1), ColumnText(s, 2), ColumnOptionalText(s, 3)};
}

// A unique-constraint error of the users table always names "username" to
// callers (the id is ours, never the client's).
Status UserWriteError(Status s) {
  if (s.code() == core::StatusCode::kAlreadyExists) {
    return Status::AlreadyExists("a user with this username already exists",
                                 {{"username", "unique", "username is taken"}});
  }
  if (s.code() == core::StatusCode::kInvalidArgument) {
    return Status::InvalidArgument("the agency or role names no record", {{"", "reference", "unknown agency or role"}});
  }
  return s;
}

}  // namespace

Status SqliteIdentityOps::CheckWritable() const {
  if (!writable()) return Status::Internal("write in a read transaction");
  return Status::Ok();
}

Result<std::int64_t> SqliteIdentityOps::Execute(sqlite3_stmt* stmt, std::string_view what) {
  sqlite3* db = cache().db();
  const int rc = sqlite3_step(stmt);
  Status s = rc == SQLITE_DONE ? Status::Ok() : ErrorFrom(sqlite3_extended_errcode(db), db, what);
  sqlite3_reset(stmt);
  CTIMS_RETURN_IF_ERROR(s);
  return static_cast<std::int64_t>(sqlite3_changes64(db));
}

// ---- users ----

Result<std::optional<UserRecord>> SqliteIdentityOps::GetUser(std::string_view id) {
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                         cache().Prepare(std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?"));
  BindText(stmt, 1, id);
  return QueryOne<UserRecord>(stmt, cache().db(), ReadUser, "get user");
}

Result<std::optional<UserRecord>> SqliteIdentityOps::GetUserByUsername(std::string_view username) {
  // The column's NOCASE collation makes this comparison case-insensitive.
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                         cache().Prepare(std::string("SELECT ") + kUserColumns + " FROM users WHERE username = ?"));
  BindText(stmt, 1, username);
  return QueryOne<UserRecord>(stmt, cache().db(), ReadUser, "get user");
}

Status SqliteIdentityOps::InsertUser(const UserRecord& user) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      cache().Prepare("INSERT INTO users (username, display_name, agency_id, role_code, password_hash, disabled, "
                      "is_demo, totp_secret, totp_pending_secret, totp_last_step, failed_logins, locked_until, "
                      "updated_at, id, version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  int i = BindUserFields(stmt, 1, user);
  BindText(stmt, i++, user.id);
  sqlite3_bind_int64(stmt, i++, user.version);
  BindText(stmt, i, user.created_at);
  return UserWriteError(Execute(stmt, "insert user").status());
}

Status SqliteIdentityOps::UpdateUser(const UserRecord& user, std::int64_t expected_version) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      cache().Prepare("UPDATE users SET username = ?, display_name = ?, agency_id = ?, role_code = ?, "
                      "password_hash = ?, disabled = ?, is_demo = ?, totp_secret = ?, totp_pending_secret = ?, "
                      "totp_last_step = ?, failed_logins = ?, locked_until = ?, updated_at = ?, version = ? "
                      "WHERE id = ? AND version = ?"));
  int i = BindUserFields(stmt, 1, user);
  sqlite3_bind_int64(stmt, i++, user.version);
  BindText(stmt, i++, user.id);
  sqlite3_bind_int64(stmt, i, expected_version);
  auto changed = Execute(stmt, "update user");
  if (!changed.ok()) return UserWriteError(changed.status());
  if (*changed > 0) return Status::Ok();
  CTIMS_ASSIGN_OR_RETURN(const auto exists, GetUser(user.id));
  if (!exists) return Status::NotFound("no such user");
  return Status::Conflict("stale version", {{"version", "stale", "the user changed since it was read"}});
}

Result<std::vector<UserRecord>> SqliteIdentityOps::ListUsers() {
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                         cache().Prepare(std::string("SELECT ") + kUserColumns + " FROM users ORDER BY username"));
  return QueryAll<UserRecord>(stmt, cache().db(), ReadUser, "list users");
}

Status SqliteIdentityOps::DeleteUser(std::string_view id) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, cache().Prepare("DELETE FROM users WHERE id = ?"));
  BindText(stmt, 1, id);
  CTIMS_ASSIGN_OR_RETURN(const std::int64_t changed, Execute(stmt, "delete user"));
  if (changed == 0) return Status::NotFound("no such user");
  return Status::Ok();
}

// ---- roles ----

Status SqliteIdentityOps::UpsertRole(const RoleRecord& role) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                         cache().Prepare("INSERT INTO roles (code, body, builtin) VALUES (?, ?, ?) "
                                         "ON CONFLICT (code) DO UPDATE SET body = excluded.body, "
                                         "builtin = excluded.builtin"));
  BindText(stmt, 1, role.code);
  BindText(stmt, 2, role.body);
  sqlite3_bind_int(stmt, 3, role.builtin ? 1 : 0);
  return Execute(stmt, "upsert role").status();
}

Result<std::optional<RoleRecord>> SqliteIdentityOps::GetRole(std::string_view code) {
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, cache().Prepare("SELECT code, body, builtin FROM roles WHERE code = ?"));
  BindText(stmt, 1, code);
  return QueryOne<RoleRecord>(stmt, cache().db(), ReadRole, "get role");
}

Result<std::vector<RoleRecord>> SqliteIdentityOps::ListRoles() {
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, cache().Prepare("SELECT code, body, builtin FROM roles ORDER BY code"));
  return QueryAll<RoleRecord>(stmt, cache().db(), ReadRole, "list roles");
}

// ---- sessions ----

Status SqliteIdentityOps::InsertSession(const SessionRecord& session) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, cache().Prepare(std::string("INSERT INTO sessions (") + kSessionColumns +
                                                              ") VALUES (?, ?, ?, ?, ?, ?, ?)"));
  BindText(stmt, 1, session.token_hash);
  BindText(stmt, 2, session.user_id);
  BindText(stmt, 3, session.csrf_token);
  BindText(stmt, 4, session.created_at);
  BindText(stmt, 5, session.last_seen_at);
  sqlite3_bind_int(stmt, 6, session.second_factor_done ? 1 : 0);
  BindText(stmt, 7, session.client_ip);
  Status s = Execute(stmt, "insert session").status();
  if (s.code() == core::StatusCode::kAlreadyExists) return Status::AlreadyExists("the session exists");
  if (s.code() == core::StatusCode::kInvalidArgument) {
    return Status::InvalidArgument("the session's user does not exist", {{"user_id", "reference", "no such user"}});
  }
  return s;
}

Result<std::optional<SessionRecord>> SqliteIdentityOps::GetSession(std::string_view token_hash) {
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, cache().Prepare(std::string("SELECT ") + kSessionColumns +
                                                              " FROM sessions WHERE token_hash = ?"));
  BindText(stmt, 1, token_hash);
  return QueryOne<SessionRecord>(stmt, cache().db(), ReadSession, "get session");
}

Status SqliteIdentityOps::TouchSession(std::string_view token_hash, std::string_view last_seen_at,
                                       std::string_view client_ip) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                         cache().Prepare("UPDATE sessions SET last_seen_at = ?, client_ip = ? WHERE token_hash = ?"));
  BindText(stmt, 1, last_seen_at);
  BindText(stmt, 2, client_ip);
  BindText(stmt, 3, token_hash);
  CTIMS_ASSIGN_OR_RETURN(const std::int64_t changed, Execute(stmt, "touch session"));
  if (changed == 0) return Status::NotFound("no such session");
  return Status::Ok();
}

Status SqliteIdentityOps::MarkSecondFactorDone(std::string_view token_hash) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                         cache().Prepare("UPDATE sessions SET second_factor_done = 1 WHERE token_hash = ?"));
  BindText(stmt, 1, token_hash);
  CTIMS_ASSIGN_OR_RETURN(const std::int64_t changed, Execute(stmt, "mark session"));
  if (changed == 0) return Status::NotFound("no such session");
  return Status::Ok();
}

Status SqliteIdentityOps::DeleteSession(std::string_view token_hash) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, cache().Prepare("DELETE FROM sessions WHERE token_hash = ?"));
  BindText(stmt, 1, token_hash);
  return Execute(stmt, "delete session").status();
}

Result<std::int64_t> SqliteIdentityOps::DeleteUserSessions(std::string_view user_id, std::string_view keep_token_hash) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                         cache().Prepare("DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?"));
  BindText(stmt, 1, user_id);
  BindText(stmt, 2, keep_token_hash);
  return Execute(stmt, "delete sessions");
}

Result<std::int64_t> SqliteIdentityOps::DeleteExpiredSessions(std::string_view idle_before,
                                                              std::string_view created_before) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                         cache().Prepare("DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?"));
  BindText(stmt, 1, idle_before);
  BindText(stmt, 2, created_before);
  return Execute(stmt, "purge sessions");
}

// ---- sign-in throttle ----

Result<std::optional<ThrottleRecord>> SqliteIdentityOps::GetThrottle(std::string_view key) {
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                         cache().Prepare("SELECT throttle_key, failures, window_start, locked_until "
                                         "FROM login_throttle WHERE throttle_key = ?"));
  BindText(stmt, 1, key);
  return QueryOne<ThrottleRecord>(stmt, cache().db(), ReadThrottle, "get throttle");
}

Status SqliteIdentityOps::PutThrottle(const ThrottleRecord& entry) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                         cache().Prepare("INSERT INTO login_throttle (throttle_key, failures, window_start, "
                                         "locked_until) VALUES (?, ?, ?, ?) ON CONFLICT (throttle_key) DO UPDATE "
                                         "SET failures = excluded.failures, window_start = excluded.window_start, "
                                         "locked_until = excluded.locked_until"));
  BindText(stmt, 1, entry.key);
  sqlite3_bind_int64(stmt, 2, entry.failures);
  BindText(stmt, 3, entry.window_start);
  BindOptional(stmt, 4, entry.locked_until);
  return Execute(stmt, "put throttle").status();
}

Status SqliteIdentityOps::DeleteThrottle(std::string_view key) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, cache().Prepare("DELETE FROM login_throttle WHERE throttle_key = ?"));
  BindText(stmt, 1, key);
  return Execute(stmt, "delete throttle").status();
}

Result<std::int64_t> SqliteIdentityOps::DeleteStaleThrottles(std::string_view before) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, cache().Prepare("DELETE FROM login_throttle WHERE window_start < ? "
                                                              "AND (locked_until IS NULL OR locked_until < ?)"));
  BindText(stmt, 1, before);
  BindText(stmt, 2, before);
  return Execute(stmt, "purge throttle");
}

}  // namespace ctims::storage::sqlite
