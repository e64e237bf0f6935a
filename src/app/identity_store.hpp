#pragma once

// The storage contract for identity: user accounts, roles, sessions and the
// sign-in throttle. Owned by the app layer like record_store.hpp; adapters
// implement it and tests/storage/identity_contract_test.cpp runs against each.
//
// Design: an IdentityTransaction IS a StoreTransaction with more operations,
// begun by IdentityStore::BeginIdentity(). One unit of work can therefore
// touch identity tables and records (and, when it lands, the audit log)
// atomically: a failed sign-in updates the throttle and will append its audit
// event in one commit. IdentityStore is a separate interface rather than new
// members of Store so that record_store.hpp and every existing Store (the
// in-memory fakes of unit tests included) stay as they are: a backend's store
// class implements both, and AsIdentityStore() finds the identity side of a
// Store. Every operation of IdentityTransaction is pure virtual, so a backend
// that offers identity implements all of it.
//
// Errors are values: no adapter lets an exception cross this interface.
// Timestamps are core::FormatTimestamp text (UTC, sorts as text).
// The store keeps what it is given: hashing passwords and session tokens and
// sealing TOTP secrets is the caller's job (AuthService); no secret travels
// through here in clear text except the CSRF token, which is not a credential
// on its own.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/record_store.hpp"
#include "core/status.hpp"

namespace ctims::app {

struct UserRecord {
  std::string id;  // core::NewId
  std::int64_t version = 1;
  std::string username;  // stored lower-case; unique case-insensitively
  std::string display_name;
  std::string agency_id;      // an agencies record
  std::string role_code;      // a roles record
  std::string password_hash;  // argon2id PHC string
  bool disabled = false;
  bool is_demo = false;
  // The confirmed TOTP secret, sealed (core::SealField, table "users",
  // column "totp_secret", row id) or, without a key ring, "plain:<base32>".
  std::optional<std::string> totp_secret_sealed;
  // A secret shown to the user but not yet confirmed with a code (column
  // "totp_pending_secret"); replaced by each new enrolment attempt.
  std::optional<std::string> totp_pending_sealed;
  std::optional<std::int64_t> totp_last_step;  // the last accepted TOTP time step
  std::int64_t failed_logins = 0;              // consecutive failed sign-ins
  std::optional<std::string> locked_until;     // soft lock end (timestamp)
  std::string created_at;
  std::string updated_at;

  bool operator==(const UserRecord&) const = default;
};

struct RoleRecord {
  std::string code;
  std::string body;  // domain::RoleToText
  bool builtin = false;

  bool operator==(const RoleRecord&) const = default;
};

struct SessionRecord {
  std::string token_hash;  // core::Sha256Hex of the token; the token is never stored
  std::string user_id;
  std::string csrf_token;
  std::string created_at;
  std::string last_seen_at;
  // True once a TOTP code was verified for this session (at sign-in or by
  // confirming an enrolment).
  bool second_factor_done = false;
  std::string client_ip;  // where the session was last seen from

  bool operator==(const SessionRecord&) const = default;
};

// Failed sign-ins counted under one key ("ip:<address>").
struct ThrottleRecord {
  std::string key;
  std::int64_t failures = 0;
  std::string window_start;
  std::optional<std::string> locked_until;

  bool operator==(const ThrottleRecord&) const = default;
};

// A StoreTransaction that also reaches the identity tables. Same rules:
// atomic at Commit(), rolled back on destruction without one, one thread at a
// time. Writes in a read transaction fail with kInternal.
class IdentityTransaction : public StoreTransaction {
 public:
  // ---- users ----
  // nullopt when absent.
  virtual core::Result<std::optional<UserRecord>> GetUser(std::string_view id) = 0;
  // Case-insensitive (ASCII) match on username.
  virtual core::Result<std::optional<UserRecord>> GetUserByUsername(std::string_view username) = 0;
  // kAlreadyExists (field "username") when the username is taken in any
  // case, or the id is; kInvalidArgument (rule "reference") when agency_id or
  // role_code names nothing.
  virtual core::Status InsertUser(const UserRecord& user) = 0;
  // Replaces the user whose stored version is `expected_version` (all fields
  // but id and created_at). kNotFound when absent; kConflict (field
  // "version") when the version differs; the errors of InsertUser.
  virtual core::Status UpdateUser(const UserRecord& user, std::int64_t expected_version) = 0;
  // Every user, ordered by username.
  virtual core::Result<std::vector<UserRecord>> ListUsers() = 0;
  // Deletes the user and, with it, every session of the user. kNotFound when
  // absent. (Accounts are normally disabled, not deleted: ids stay in the
  // history and the audit log.)
  virtual core::Status DeleteUser(std::string_view id) = 0;

  // ---- roles ----
  // Inserts or replaces the role with this code.
  virtual core::Status UpsertRole(const RoleRecord& role) = 0;
  virtual core::Result<std::optional<RoleRecord>> GetRole(std::string_view code) = 0;
  // Ordered by code.
  virtual core::Result<std::vector<RoleRecord>> ListRoles() = 0;

  // ---- sessions ----
  // kAlreadyExists when the hash exists; kInvalidArgument when the user does not.
  virtual core::Status InsertSession(const SessionRecord& session) = 0;
  virtual core::Result<std::optional<SessionRecord>> GetSession(std::string_view token_hash) = 0;
  // The session, its user and the user's role: what every signed-in request
  // checks. `user` is nullopt when there is no session or the user is gone,
  // `role` when there is no user or the role is gone. The default runs
  // GetSession, GetUser and GetRole; a backend where each statement is a
  // round trip to a server does it in one (PostgreSQL, issue 9 §6).
  struct SessionWithUser {
    std::optional<SessionRecord> session;
    std::optional<UserRecord> user;
    std::optional<RoleRecord> role;
  };
  virtual core::Result<SessionWithUser> GetSessionWithUser(std::string_view token_hash) {
    SessionWithUser out;
    CTIMS_ASSIGN_OR_RETURN(out.session, GetSession(token_hash));
    if (!out.session) return out;
    CTIMS_ASSIGN_OR_RETURN(out.user, GetUser(out.session->user_id));
    if (!out.user) return out;
    CTIMS_ASSIGN_OR_RETURN(out.role, GetRole(out.user->role_code));
    return out;
  }
  // Sets last_seen_at and client_ip. kNotFound when the session is gone.
  virtual core::Status TouchSession(std::string_view token_hash, std::string_view last_seen_at,
                                    std::string_view client_ip) = 0;
  // Sets second_factor_done. kNotFound when the session is gone.
  virtual core::Status MarkSecondFactorDone(std::string_view token_hash) = 0;
  // OK whether or not the session existed (signing out twice is harmless).
  virtual core::Status DeleteSession(std::string_view token_hash) = 0;
  // Deletes every session of `user_id` except `keep_token_hash` (empty: all).
  // Returns how many were deleted.
  virtual core::Result<std::int64_t> DeleteUserSessions(std::string_view user_id, std::string_view keep_token_hash) = 0;
  // Deletes sessions last seen before `idle_before` or created before
  // `created_before` (timestamps). Returns how many.
  virtual core::Result<std::int64_t> DeleteExpiredSessions(std::string_view idle_before,
                                                           std::string_view created_before) = 0;

  // ---- sign-in throttle ----
  virtual core::Result<std::optional<ThrottleRecord>> GetThrottle(std::string_view key) = 0;
  // Inserts or replaces the entry with this key.
  virtual core::Status PutThrottle(const ThrottleRecord& entry) = 0;
  // OK whether or not it existed.
  virtual core::Status DeleteThrottle(std::string_view key) = 0;
  // Deletes entries whose window started before `before` and that are not
  // locked at or after `before`. Returns how many.
  virtual core::Result<std::int64_t> DeleteStaleThrottles(std::string_view before) = 0;
};

// The identity side of a database. Thread-safe, with Store's rules: write
// transactions are serialised (with Store::Begin(kWrite) too), so a thread
// holding a write transaction of either kind must finish it before it begins
// another.
class IdentityStore {
 public:
  virtual ~IdentityStore() = default;
  virtual core::Result<std::unique_ptr<IdentityTransaction>> BeginIdentity(TxMode mode) = 0;
};

// The IdentityStore of a backend whose Store also implements it (SQLite
// does), or nullptr. The pointer lives as long as `store`.
inline IdentityStore* AsIdentityStore(Store& store) {
  return dynamic_cast<IdentityStore*>(&store);
}

}  // namespace ctims::app
