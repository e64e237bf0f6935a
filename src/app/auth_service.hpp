#pragma once

// Authentication and account management (issue 3 §1–§2, security.md G11–G14):
// users, sign-in with argon2id passwords and an optional/mandatory TOTP second
// factor, server-side sessions with idle and absolute timeouts, CSRF tokens,
// per-account soft lock and per-IP throttle.
//
// Secrets: passwords, session tokens, CSRF tokens, TOTP secrets and codes
// never appear in a Status message, a field error or a log line. The session
// token is returned once by SignIn and stored only as its SHA-256; the TOTP
// secret is returned once by BeginTotpEnrolment and stored sealed.
//
// Thread-safe: holds references to the store, the clock and (optionally) the
// key ring, which must outlive it; keeps no mutable state of its own.
// Password hashing (~0.1 s) never runs inside a write transaction.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/identity_store.hpp"
#include "app/principal.hpp"
#include "core/clock.hpp"
#include "core/keyring.hpp"
#include "core/status.hpp"
#include "domain/access.hpp"

namespace ctims::app {

struct AuthOptions {
  std::chrono::seconds idle_timeout = std::chrono::minutes(30);    // ASVS 3.3.2 L2
  std::chrono::seconds absolute_timeout = std::chrono::hours(12);  // ASVS 3.3.2
  int max_failures = 5;                                            // consecutive failures that lock an account
  std::chrono::seconds lockout = std::chrono::minutes(15);         // account and IP lock duration
  int ip_max_failures = 20;                                        // failures from one IP ...
  std::chrono::seconds ip_window = std::chrono::minutes(15);       // ... within this window lock the IP
  // last_seen_at is written at most this often (spares a write per request);
  // the idle timeout can therefore end up to this much early, never late.
  std::chrono::seconds touch_interval = std::chrono::minutes(1);
  // Seals TOTP secrets (core::SealField, table "users"). nullptr only in
  // tests and on a development machine: secrets are then stored as
  // "plain:<base32>". TODO(lead): `ctims serve` must refuse to run without a
  // key file, and pass it here.
  const core::KeyRing* keyring = nullptr;
  std::string totp_issuer = "ctims";  // shown by authenticator apps
};

// A user as callers outside the app layer may see it: no password hash, no
// TOTP secret, no counters beyond "locked".
struct UserView {
  std::string id;
  std::int64_t version = 0;
  std::string username;
  std::string display_name;
  std::string agency_id;
  std::string role_code;
  bool disabled = false;
  bool is_demo = false;
  bool totp_enrolled = false;
  bool locked = false;  // soft-locked after failed sign-ins, now
  std::string created_at;
  std::string updated_at;
};

struct NewUser {
  std::string username;      // 3-64 of [a-z0-9._-], case-insensitive (stored lower-case)
  std::string display_name;  // 1-200 characters, no control characters
  std::string agency;        // agency id or org_Code
  std::string role_code;
  std::string password;  // core::CheckPasswordPolicy
  bool is_demo = false;  // demo accounts: `ctims serve` refuses them without --demo
};

// A partial update of a user; absent members stay as they are.
struct UserChanges {
  std::optional<std::string> display_name;
  std::optional<std::string> role_code;
  std::optional<std::string> agency;  // id or org_Code
  std::optional<bool> disabled;
  std::optional<std::string> password;           // set a new password (administrator reset)
  bool reset_totp = false;                       // forget the enrolled second factor (lost phone)
  std::optional<std::int64_t> expected_version;  // optimistic concurrency, as for records
};

struct SignInRequest {
  std::string username;
  std::string password;
  std::optional<std::string> totp_code;
  std::string client_ip;  // empty: no per-IP throttle (command line)
};

// What happened at a sign-in, for the audit log only: the client always gets
// the same generic error for every failure.
enum class SignInOutcome {
  kSuccess,
  kSuccessEnrolmentRequired,  // signed in; the session may only enrol TOTP
  kUnknownUser,
  kWrongPassword,
  kDisabled,
  kAccountLocked,
  kIpThrottled,
  kTotpMissing,
  kTotpInvalid,
  kTotpReplayed,  // a code whose time step was already used
  kError,         // storage or internal error
};
// Stable snake_case name ("wrong_password") for audit rows.
const char* SignInOutcomeName(SignInOutcome outcome);

struct SignInAudit {
  SignInOutcome outcome = SignInOutcome::kError;
  std::string user_id;  // empty when the username matched no user
  std::string agency_id;
  std::string role_code;
};

struct SignInResult {
  std::string token;       // the session token: Set-Cookie it, never log or store it
  std::string csrf_token;  // give to the client (response body); echoed in X-CSRF-Token
  UserView user;
  domain::Role role;
  bool second_factor_required = false;   // the user has or must have TOTP
  bool totp_enrolment_required = false;  // the session is enrolment-only (see Principal)
};

struct TotpEnrolment {
  std::string otpauth_uri;    // for the QR code; contains the secret: show once, never log
  std::string secret_base32;  // for typing in by hand
};

class AuthService {
 public:
  AuthService(IdentityStore& store, const core::Clock& clock, AuthOptions options = {});

  // Inserts or refreshes domain::BuiltinRoles() in the store. Idempotent;
  // call at start-up (after migrations), before any other method.
  core::Status EnsureBuiltinRoles();

  // ---- operator commands (`ctims user ...`): whoever can run them owns the
  // database file, so they check no permission. Never route HTTP to them.

  // kInvalidArgument with field errors ("username", "display_name",
  // "password" with core::CheckPasswordPolicy's rules, "agency" and "role"
  // with rule "reference"); kAlreadyExists (field "username") when the name
  // is taken in any case.
  core::Result<UserView> CreateUser(const NewUser& user);
  // `user` is a username or a user id. kNotFound when no such user. Setting
  // the password, disabling, changing role or agency, or resetting TOTP
  // signs the user out everywhere.
  core::Result<UserView> ChangeUser(std::string_view user, const UserChanges& changes);
  core::Status SetPassword(std::string_view user, std::string_view password);
  core::Status DisableUser(std::string_view user);
  core::Status EnableUser(std::string_view user);  // also lifts a soft lock
  // Enrols a new TOTP secret for the user at once (confirmed, no code asked)
  // and signs the user out everywhere: for `ctims user add --role
  // administrator`, so that an administrator account never exists without a
  // second factor (otherwise whoever first signs in with its password can
  // enrol their own authenticator). Returns the secret once.
  core::Result<TotpEnrolment> EnrolTotpForUser(std::string_view user);
  core::Result<UserView> FindUser(std::string_view user);
  core::Result<std::vector<UserView>> ListUsers();  // by username
  // True when any demo account exists (`ctims serve` refuses them without --demo).
  core::Result<bool> HasDemoUsers();

  // ---- user management through the API: the actor's role must allow
  // ("users", "manage_users") (else kPermissionDenied) and the session must be
  // complete (RequireFullSession). An actor whose scope is not kAll reaches
  // only users of its own agency (others are kNotFound, like a missing user)
  // and can give or edit only roles no wider than its own scope and without
  // manage_users / manage_roles. Nobody changes their own role, agency or
  // disabled flag, or resets their own TOTP: kPermissionDenied naming the
  // field (rule "self_change").
  core::Result<UserView> CreateUserAs(const Principal& actor, const NewUser& user);
  core::Result<UserView> UpdateUser(const Principal& actor, std::string_view user_id, const UserChanges& changes);
  core::Result<std::vector<UserView>> ListUsersAs(const Principal& actor);

  // A user changes their own password. kPermissionDenied (field
  // "current_password", rule "invalid") when `current` is wrong (counted as a
  // failed sign-in); policy errors as CreateUser. Signs out every other
  // session of the user; this one stays.
  core::Status ChangeOwnPassword(const Principal& actor, std::string_view current, std::string_view password);

  // ---- roles ----
  core::Result<std::vector<domain::Role>> ListRoles();
  // Creates or replaces a custom role from its JSON text (domain::ParseRole's
  // rules). Needs ("roles", "manage_roles"). kConflict (field "code", rule
  // "builtin") for a built-in role's code.
  core::Result<domain::Role> PutRole(const Principal& actor, std::string_view role_json);

  // ---- sessions ----

  // Signs in. Every failure is the same kUnauthenticated "unknown user or
  // wrong password" (unknown user, wrong password, disabled, locked account,
  // throttled IP), so the response reveals neither which usernames exist nor
  // whether an account is locked; the password is verified (against a dummy
  // hash for unknown users) so timing does not tell either. Once the password
  // is right, a user with TOTP enrolled also needs `totp_code`: missing → the
  // same error with field "totp_code" rule "required" (not counted as a
  // failure); wrong or already used → rule "invalid" (counted). A role that
  // requires TOTP without enrolment gets an enrolment-only session.
  // `max_failures` consecutive failures lock the account for `lockout`
  // (attempts during the lock fail and are not counted; the count restarts
  // after it); `ip_max_failures` failures from one IP within `ip_window` lock
  // the IP for `lockout` (a success does not reset the IP count). Each
  // success makes a new session (ASVS 3.2.1) and resets the account count.
  // `audit` (optional) receives the real outcome for the audit log.
  core::Result<SignInResult> SignIn(const SignInRequest& request, SignInAudit* audit = nullptr);

  // The principal of a session token. kUnauthenticated "no valid session"
  // when the token is unknown, idle for `idle_timeout`, older than
  // `absolute_timeout`, or its user is disabled or gone (those sessions are
  // deleted). Refreshes last_seen_at (and the client IP) at most once per
  // `touch_interval`.
  core::Result<Principal> Authenticate(std::string_view token, std::string_view client_ip);

  // Ends the session at once. OK when it did not exist.
  core::Status SignOut(std::string_view token);
  // Ends every session of the user. Returns how many.
  core::Result<std::int64_t> SignOutEverywhere(std::string_view user_id);
  // Deletes expired sessions and stale throttle entries (run hourly).
  core::Result<std::int64_t> PurgeExpired();

  // True when `header_value` is the session's CSRF token; constant time.
  static bool CheckCsrf(const Principal& principal, std::string_view header_value);

  // ---- second factor ----

  // Starts (or restarts) enrolment: a new secret kept pending in the user
  // record until confirmed. kConflict when a second factor is already
  // enrolled (an administrator resets it with UserChanges::reset_totp).
  core::Result<TotpEnrolment> BeginTotpEnrolment(const Principal& principal);
  // Confirms the pending secret with a current code: the second factor is
  // enrolled, this session counts as second-factor verified, and every other
  // session of the user is signed out. kInvalidArgument (field "totp_code",
  // rule "invalid") for a wrong code; kConflict when no enrolment is pending.
  core::Status ConfirmTotpEnrolment(const Principal& principal, std::string_view code);

 private:
  core::Result<UserView> ModifyUser(const Principal* actor, std::string_view user, const UserChanges& changes);
  core::Result<UserView> InsertUser(const Principal* actor, const NewUser& user);
  core::Result<std::string> SealSecret(std::string_view column, std::string_view user_id, std::string_view secret);
  core::Result<std::string> OpenSecret(std::string_view column, std::string_view user_id, std::string_view stored);
  core::Result<SignInResult> SignInImpl(const SignInRequest& request, SignInAudit& audit);
  UserView View(const UserRecord& user) const;

  IdentityStore& store_;
  const core::Clock& clock_;
  AuthOptions options_;
};

}  // namespace ctims::app
