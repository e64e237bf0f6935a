#include "storage/postgres/postgres_identity.hpp"

#include "storage/postgres/postgres_util.hpp"

namespace ctims::storage::postgres {
namespace {

using app::RoleRecord;
using app::SessionRecord;
using app::ThrottleRecord;
using app::UserRecord;
using core::Result;
using core::Status;

// Messages name schema objects and operations only, never values.
Status ErrorFrom(const PgResult& r, std::string_view what) {
  const std::string state = r.SqlState();
  if (state == kUniqueViolation) return UniqueViolation(r);
  if (state == kForeignKeyViolation) {
    return Status::InvalidArgument("a reference names no record", {{"", "reference", "unknown record"}});
  }
  return GenericError(r, what);
}

// Reads every row of a successful query with `read`.
template <typename T, typename Read>
Result<std::vector<T>> All(const PgResult& r, Read read, std::string_view what) {
  if (!r.ok()) return ErrorFrom(r, what);
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(read(r, i));
  return out;
}

// Reads the row of a query expected to return at most one.
template <typename T, typename Read>
Result<std::optional<T>> One(const PgResult& r, Read read, std::string_view what) {
  if (!r.ok()) return ErrorFrom(r, what);
  if (r.rows() == 0) return std::optional<T>();
  return std::optional<T>(read(r, 0));
}

// The rows a write changed, or its error.
Result<std::int64_t> Changed(const PgResult& r, std::string_view what) {
  if (!r.ok()) return ErrorFrom(r, what);
  return r.Affected();
}

constexpr const char* kUserColumns =
    "id, version, username, display_name, agency_id, role_code, password_hash, disabled, is_demo, totp_secret, "
    "totp_pending_secret, totp_last_step, failed_logins, locked_until, created_at, updated_at";

constexpr int kUserColumnCount = 16;

// The user in columns c, c + 1, ... of row i.
UserRecord ReadUserAt(const PgResult& r, int i, int c) {
  UserRecord u;
  u.id = r.Text(i, c + 0);
  u.version = r.Int(i, c + 1);
  u.username = r.Text(i, c + 2);
  u.display_name = r.Text(i, c + 3);
  u.agency_id = r.Text(i, c + 4);
  u.role_code = r.Text(i, c + 5);
  u.password_hash = r.Text(i, c + 6);
  u.disabled = r.Bool(i, c + 7);
  u.is_demo = r.Bool(i, c + 8);
  u.totp_secret_sealed = r.OptionalText(i, c + 9);
  u.totp_pending_sealed = r.OptionalText(i, c + 10);
  u.totp_last_step = r.OptionalInt(i, c + 11);
  u.failed_logins = r.Int(i, c + 12);
  u.locked_until = r.OptionalText(i, c + 13);
  u.created_at = r.Text(i, c + 14);
  u.updated_at = r.Text(i, c + 15);
  return u;
}

UserRecord ReadUser(const PgResult& r, int i) {
  return ReadUserAt(r, i, 0);
}

// Every user column but id, version and created_at ($1..$13), in the order
// of the statements below.
Params UserFields(const UserRecord& u) {
  Params p;
  p.Text(u.username)
      .Text(u.display_name)
      .Text(u.agency_id)
      .Text(u.role_code)
      .Text(u.password_hash)
      .Bool(u.disabled)
      .Bool(u.is_demo)
      .Optional(u.totp_secret_sealed)
      .Optional(u.totp_pending_sealed)
      .Optional(u.totp_last_step)
      .Int(u.failed_logins)
      .Optional(u.locked_until)
      .Text(u.updated_at);
  return p;
}

constexpr const char* kSessionColumns =
    "token_hash, user_id, csrf_token, created_at, last_seen_at, second_factor_done, client_ip";

constexpr int kSessionColumnCount = 7;

SessionRecord ReadSession(const PgResult& r, int i) {
  return {r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3), r.Text(i, 4), r.Bool(i, 5), r.Text(i, 6)};
}

// "a.x, a.y, ..." for the column list "x, y, ...".
std::string Qualified(std::string_view alias, std::string_view columns) {
  std::string out;
  std::size_t at = 0;
  while (at < columns.size()) {
    std::size_t end = columns.find(", ", at);
    if (end == std::string_view::npos) end = columns.size();
    if (!out.empty()) out += ", ";
    out += alias;
    out += '.';
    out += columns.substr(at, end - at);
    at = end + 2;
  }
  return out;
}

RoleRecord ReadRole(const PgResult& r, int i) {
  return {r.Text(i, 0), r.Text(i, 1), r.Bool(i, 2)};
}

ThrottleRecord ReadThrottle(const PgResult& r, int i) {
  return {r.Text(i, 0), r.Int(i, 1), r.Text(i, 2), r.OptionalText(i, 3)};
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

Status PostgresIdentityOps::CheckWritable() const {
  if (!writable()) return Status::Internal("write in a read transaction");
  return Status::Ok();
}

// ---- users ----

Result<std::optional<UserRecord>> PostgresIdentityOps::GetUser(std::string_view id) {
  return One<UserRecord>(
      connection().Query(std::string("SELECT ") + kUserColumns + " FROM users WHERE id = $1", Params().Text(id)),
      ReadUser, "get user");
}

Result<std::optional<UserRecord>> PostgresIdentityOps::GetUserByUsername(std::string_view username) {
  // lower() on both sides: the unique index users_username is on
  // lower(username), as SQLite's NOCASE column is (ASCII only under "C").
  return One<UserRecord>(
      connection().Query(std::string("SELECT ") + kUserColumns + " FROM users WHERE lower(username) = lower($1)",
                         Params().Text(username)),
      ReadUser, "get user");
}

Status PostgresIdentityOps::InsertUser(const UserRecord& user) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  Params p = UserFields(user);
  p.Text(user.id).Int(user.version).Text(user.created_at);
  PgResult r = connection().Write(
      "INSERT INTO users (username, display_name, agency_id, role_code, password_hash, disabled, is_demo, "
      "totp_secret, totp_pending_secret, totp_last_step, failed_logins, locked_until, updated_at, id, version, "
      "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
      p);
  return UserWriteError(Changed(r, "insert user").status());
}

Status PostgresIdentityOps::UpdateUser(const UserRecord& user, std::int64_t expected_version) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  Params p = UserFields(user);
  p.Int(user.version).Text(user.id).Int(expected_version);
  PgResult r = connection().Write(
      "UPDATE users SET username = $1, display_name = $2, agency_id = $3, role_code = $4, password_hash = $5, "
      "disabled = $6, is_demo = $7, totp_secret = $8, totp_pending_secret = $9, totp_last_step = $10, "
      "failed_logins = $11, locked_until = $12, updated_at = $13, version = $14 WHERE id = $15 AND version = $16",
      p);
  auto changed = Changed(r, "update user");
  if (!changed.ok()) return UserWriteError(changed.status());
  if (*changed > 0) return Status::Ok();
  CTIMS_ASSIGN_OR_RETURN(const auto exists, GetUser(user.id));
  if (!exists) return Status::NotFound("no such user");
  return Status::Conflict("stale version", {{"version", "stale", "the user changed since it was read"}});
}

Result<std::vector<UserRecord>> PostgresIdentityOps::ListUsers() {
  return All<UserRecord>(
      connection().Query(std::string("SELECT ") + kUserColumns + " FROM users ORDER BY lower(username), username"),
      ReadUser, "list users");
}

Status PostgresIdentityOps::DeleteUser(std::string_view id) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(
      const std::int64_t changed,
      Changed(connection().Write("DELETE FROM users WHERE id = $1", Params().Text(id)), "delete user"));
  if (changed == 0) return Status::NotFound("no such user");
  return Status::Ok();
}

// ---- roles ----

Status PostgresIdentityOps::UpsertRole(const RoleRecord& role) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  return Changed(connection().Write("INSERT INTO roles (code, body, builtin) VALUES ($1, $2, $3) "
                                    "ON CONFLICT (code) DO UPDATE SET body = excluded.body, "
                                    "builtin = excluded.builtin",
                                    Params().Text(role.code).Text(role.body).Bool(role.builtin)),
                 "upsert role")
      .status();
}

Result<std::optional<RoleRecord>> PostgresIdentityOps::GetRole(std::string_view code) {
  return One<RoleRecord>(
      connection().Query("SELECT code, body, builtin FROM roles WHERE code = $1", Params().Text(code)), ReadRole,
      "get role");
}

Result<std::vector<RoleRecord>> PostgresIdentityOps::ListRoles() {
  return All<RoleRecord>(connection().Query("SELECT code, body, builtin FROM roles ORDER BY code"), ReadRole,
                         "list roles");
}

// ---- sessions ----

Status PostgresIdentityOps::InsertSession(const SessionRecord& session) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  Params p;
  p.Text(session.token_hash)
      .Text(session.user_id)
      .Text(session.csrf_token)
      .Text(session.created_at)
      .Text(session.last_seen_at)
      .Bool(session.second_factor_done)
      .Text(session.client_ip);
  Status s =
      Changed(connection().Write(
                  std::string("INSERT INTO sessions (") + kSessionColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7)", p),
              "insert session")
          .status();
  if (s.code() == core::StatusCode::kAlreadyExists) return Status::AlreadyExists("the session exists");
  if (s.code() == core::StatusCode::kInvalidArgument) {
    return Status::InvalidArgument("the session's user does not exist", {{"user_id", "reference", "no such user"}});
  }
  return s;
}

Result<std::optional<SessionRecord>> PostgresIdentityOps::GetSession(std::string_view token_hash) {
  return One<SessionRecord>(
      connection().Query(std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE token_hash = $1",
                         Params().Text(token_hash)),
      ReadSession, "get session");
}

Result<app::IdentityTransaction::SessionWithUser> PostgresIdentityOps::GetSessionWithUser(std::string_view token_hash) {
  // One statement, so one snapshot and one round trip: the session, its user
  // and the user's role (each NULL when missing).
  static const std::string kSql = "SELECT " + Qualified("s", kSessionColumns) + ", " + Qualified("u", kUserColumns) +
                                  ", r.code, r.body, r.builtin FROM sessions s LEFT JOIN users u ON u.id = s.user_id "
                                  "LEFT JOIN roles r ON r.code = u.role_code WHERE s.token_hash = $1";
  PgResult r = connection().Query(kSql, Params().Text(token_hash));
  if (!r.ok()) return ErrorFrom(r, "get session");
  SessionWithUser out;
  if (r.rows() == 0) return out;
  out.session = ReadSession(r, 0);
  constexpr int kUser = kSessionColumnCount;
  if (r.OptionalText(0, kUser) == std::nullopt) return out;
  out.user = ReadUserAt(r, 0, kUser);
  constexpr int kRole = kUser + kUserColumnCount;
  if (r.OptionalText(0, kRole) == std::nullopt) return out;
  out.role = RoleRecord{r.Text(0, kRole), r.Text(0, kRole + 1), r.Bool(0, kRole + 2)};
  return out;
}

Status PostgresIdentityOps::TouchSession(std::string_view token_hash, std::string_view last_seen_at,
                                         std::string_view client_ip) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(
      const std::int64_t changed,
      Changed(connection().Write("UPDATE sessions SET last_seen_at = $1, client_ip = $2 WHERE token_hash = $3",
                                 Params().Text(last_seen_at).Text(client_ip).Text(token_hash)),
              "touch session"));
  if (changed == 0) return Status::NotFound("no such session");
  return Status::Ok();
}

Status PostgresIdentityOps::MarkSecondFactorDone(std::string_view token_hash) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  CTIMS_ASSIGN_OR_RETURN(
      const std::int64_t changed,
      Changed(connection().Write("UPDATE sessions SET second_factor_done = TRUE WHERE token_hash = $1",
                                 Params().Text(token_hash)),
              "mark session"));
  if (changed == 0) return Status::NotFound("no such session");
  return Status::Ok();
}

Status PostgresIdentityOps::DeleteSession(std::string_view token_hash) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  return Changed(connection().Write("DELETE FROM sessions WHERE token_hash = $1", Params().Text(token_hash)),
                 "delete session")
      .status();
}

Result<std::int64_t> PostgresIdentityOps::DeleteUserSessions(std::string_view user_id,
                                                             std::string_view keep_token_hash) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  return Changed(connection().Write("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2",
                                    Params().Text(user_id).Text(keep_token_hash)),
                 "delete sessions");
}

Result<std::int64_t> PostgresIdentityOps::DeleteExpiredSessions(std::string_view idle_before,
                                                                std::string_view created_before) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  return Changed(connection().Write("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2",
                                    Params().Text(idle_before).Text(created_before)),
                 "purge sessions");
}

// ---- sign-in throttle ----

Result<std::optional<ThrottleRecord>> PostgresIdentityOps::GetThrottle(std::string_view key) {
  return One<ThrottleRecord>(connection().Query("SELECT throttle_key, failures, window_start, locked_until "
                                                "FROM login_throttle WHERE throttle_key = $1",
                                                Params().Text(key)),
                             ReadThrottle, "get throttle");
}

Status PostgresIdentityOps::PutThrottle(const ThrottleRecord& entry) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  return Changed(
             connection().Write(
                 "INSERT INTO login_throttle (throttle_key, failures, window_start, "
                 "locked_until) VALUES ($1, $2, $3, $4) ON CONFLICT (throttle_key) DO UPDATE "
                 "SET failures = excluded.failures, window_start = excluded.window_start, "
                 "locked_until = excluded.locked_until",
                 Params().Text(entry.key).Int(entry.failures).Text(entry.window_start).Optional(entry.locked_until)),
             "put throttle")
      .status();
}

Status PostgresIdentityOps::DeleteThrottle(std::string_view key) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  return Changed(connection().Write("DELETE FROM login_throttle WHERE throttle_key = $1", Params().Text(key)),
                 "delete throttle")
      .status();
}

Result<std::int64_t> PostgresIdentityOps::DeleteStaleThrottles(std::string_view before) {
  CTIMS_RETURN_IF_ERROR(CheckWritable());
  // $1 twice: one parameter, compared in both places.
  return Changed(connection().Write("DELETE FROM login_throttle WHERE window_start < $1 "
                                    "AND (locked_until IS NULL OR locked_until < $1)",
                                    Params().Text(before)),
                 "purge throttle");
}

}  // namespace ctims::storage::postgres
