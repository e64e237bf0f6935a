#include "app/auth_service.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <unordered_map>

#include "app/record_service.hpp"
#include "core/crypto.hpp"
#include "core/id.hpp"
#include "core/log.hpp"
#include "core/totp.hpp"
#include "domain/schema.hpp"

namespace ctims::app {
namespace {

using core::FieldError;
using core::Result;
using core::Status;
using core::StatusCode;
using core::TimePoint;

constexpr size_t kMinUsername = 3;
constexpr size_t kMaxUsername = 64;
constexpr size_t kMaxDisplayName = 200;  // code points
// No password the policy accepts is longer (128 code points of at most 4
// bytes); longer input is verified as the empty string and fails, so hashing
// cost stays bounded and timing the same.
constexpr size_t kMaxPasswordBytes = core::kPasswordMaxLength * 4;
constexpr size_t kMaxTokenBytes = 256;
constexpr std::string_view kPlainPrefix = "plain:";
constexpr std::string_view kSecretColumn = "totp_secret";
constexpr std::string_view kPendingColumn = "totp_pending_secret";

Status SignInFailed(std::vector<FieldError> fields = {}) {
  return Status(StatusCode::kUnauthenticated, "unknown user or wrong password", std::move(fields));
}
Status NoSession() {
  return Status(StatusCode::kUnauthenticated, "no valid session");
}
Status Denied(std::string message, std::vector<FieldError> fields = {}) {
  return Status(StatusCode::kPermissionDenied, std::move(message), std::move(fields));
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// `name` already lower-cased.
std::vector<FieldError> CheckUsername(std::string_view name) {
  if (name.size() < kMinUsername || name.size() > kMaxUsername) {
    return {{"username", "length", "a username has 3 to 64 characters"}};
  }
  const bool ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
  if (!ok) return {{"username", "pattern", "a username uses only a-z, 0-9, '.', '_' and '-'"}};
  return {};
}

// Number of code points of valid UTF-8 `s`, or nullopt when it is not valid
// UTF-8 (overlong forms, surrogates and values above U+10FFFF refused).
std::optional<size_t> Utf8Length(std::string_view s) {
  size_t count = 0;
  for (size_t i = 0; i < s.size(); ++count) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      len = 1, cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + len > s.size()) return std::nullopt;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    i += len;
  }
  return count;
}

std::vector<FieldError> CheckDisplayName(std::string_view name) {
  const auto length = Utf8Length(name);
  if (!length) return {{"display_name", "utf8", "display_name is not valid UTF-8"}};
  if (*length == 0) return {{"display_name", "required", "display_name must not be empty"}};
  if (*length > kMaxDisplayName) return {{"display_name", "max_length", "display_name has at most 200 characters"}};
  if (std::any_of(name.begin(), name.end(), [](char c) { return (c >= 0 && c < 0x20) || c == 0x7F; })) {
    return {{"display_name", "control_character", "display_name contains a control character"}};
  }
  return {};
}

// Parses core::FormatTimestamp's "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::optional<TimePoint> ParseTimestamp(std::string_view t) {
  if (t.size() != 24 || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != '.' || t[23] != 'Z') {
    return std::nullopt;
  }
  const auto days = core::ParseDateDays(t.substr(0, 10));
  if (!days) return std::nullopt;
  auto number = [&](size_t pos, size_t len, int max) -> std::optional<int> {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;
      v = v * 10 + (t[i] - '0');
    }
    return v <= max ? std::optional<int>(v) : std::nullopt;
  };
  const auto h = number(11, 2, 23), m = number(14, 2, 59), s = number(17, 2, 59), ms = number(20, 3, 999);
  if (!h || !m || !s || !ms) return std::nullopt;
  using std::chrono::duration_cast;
  const auto since_epoch = std::chrono::hours(24) * *days + std::chrono::hours(*h) + std::chrono::minutes(*m) +
                           std::chrono::seconds(*s) + std::chrono::milliseconds(*ms);
  return TimePoint(duration_cast<TimePoint::duration>(since_epoch));
}

// True while `until` is in the future. A value that does not parse counts as
// locked: fail closed.
bool LockedAt(const std::optional<std::string>& until, TimePoint now) {
  if (!until) return false;
  const auto t = ParseTimestamp(*until);
  return !t || now < *t;
}

int64_t UnixSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// A real argon2id hash of a random password with the current parameters, so
// that verifying against it costs what verifying a real user's hash costs.
const std::string& DummyHash() {
  static const std::string kHash = [] {
    auto hash = core::HashPassword(core::RandomToken(24));
    return hash.ok() ? *hash : std::string();
  }();
  return kHash;
}

bool VerifyBounded(std::string_view hash, std::string_view password) {
  const bool plausible = password.size() <= kMaxPasswordBytes;
  // "" rather than std::string_view(): libsodium's argument is declared
  // non-null, and a default string_view's data() is nullptr.
  const bool match = core::VerifyPassword(hash, plausible && !password.empty() ? password : std::string_view(""));
  return match && plausible;
}

TableDef AgencyTable() {
  return TableFor(*domain::FindResource("agencies"));
}

// The id of the agency named by id or org_Code, or nullopt.
Result<std::optional<std::string>> ResolveAgency(StoreTransaction& tx, std::string_view agency) {
  const TableDef table = AgencyTable();
  if (core::IsCanonicalId(agency)) {
    CTIMS_ASSIGN_OR_RETURN(const bool exists, tx.Exists(table, agency));
    return exists ? std::optional<std::string>(std::string(agency)) : std::nullopt;
  }
  ListQuery query;
  query.filters.push_back({Filter::Kind::kColumn, "org_Code", std::string(agency)});
  query.limit = 1;
  CTIMS_ASSIGN_OR_RETURN(const auto rows, tx.List(table, query));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.front().id);
}

// domain::ParseRoleText memoised: every authenticated request loads its
// role, and parsing the JSON cost a fifth of a case read's CPU. Keyed by the
// exact stored text, so it is a cache of a pure function: a role edited in
// the store has new text and is parsed (and validated) again. Roles are few;
// the cache is emptied if it ever grows past kRoleCacheMax texts.
class RoleCache {
 public:
  Result<domain::Role> Parse(const std::string& text) {
    {
      const std::lock_guard lock(mutex_);
      if (auto it = roles_.find(text); it != roles_.end()) return it->second;
    }
    CTIMS_ASSIGN_OR_RETURN(domain::Role role, domain::ParseRoleText(text));
    const std::lock_guard lock(mutex_);
    if (roles_.size() >= kRoleCacheMax) roles_.clear();
    roles_.emplace(text, role);
    return role;
  }

 private:
  static constexpr std::size_t kRoleCacheMax = 256;
  std::mutex mutex_;
  std::unordered_map<std::string, domain::Role> roles_;  // stored text -> parsed role; guarded by mutex_
};

RoleCache& Roles() {
  static RoleCache* cache = new RoleCache();  // never destroyed: used by threads until exit
  return *cache;
}

Result<std::optional<domain::Role>> ParseRole(const std::optional<RoleRecord>& record) {
  if (!record) return std::optional<domain::Role>();
  auto role = Roles().Parse(record->body);
  if (!role.ok()) return Status::Internal("stored role " + record->code + " is invalid");
  return std::optional<domain::Role>(std::move(role).value());
}

Result<std::optional<domain::Role>> LoadRole(IdentityTransaction& tx, std::string_view code) {
  CTIMS_ASSIGN_OR_RETURN(const auto record, tx.GetRole(code));
  return ParseRole(record);
}

// A user named by id or by username.
Result<std::optional<UserRecord>> LookupUser(IdentityTransaction& tx, std::string_view user) {
  if (core::IsCanonicalId(user)) return tx.GetUser(user);
  return tx.GetUserByUsername(AsciiLower(user));
}

bool GrantsAdministration(const domain::Role& role) {
  return std::any_of(role.permissions.begin(), role.permissions.end(),
                     [](const auto& p) { return p.second == "manage_users" || p.second == "manage_roles"; });
}

// Whether a manager with `actor` may hand out or edit a user holding `role`:
// a manager of everything may; a narrower one only for roles no wider than
// its own scope that cannot administer.
bool MayManageRole(const domain::Role& actor, const domain::Role& role) {
  if (actor.scope == domain::Scope::kAll) return true;
  return role.scope <= actor.scope && !GrantsAdministration(role);
}

Status CheckManager(const Principal& actor) {
  CTIMS_RETURN_IF_ERROR(RequireFullSession(actor));
  if (!actor.role.Allows("users", "manage_users")) return Denied("not allowed to manage users");
  return Status::Ok();
}

bool InScope(const Principal& actor, const UserRecord& user) {
  return actor.role.scope == domain::Scope::kAll || user.agency_id == actor.agency_id;
}

Status NoSuchUser() {
  return Status::NotFound("no such user");
}

}  // namespace

const char* SignInOutcomeName(SignInOutcome outcome) {
  switch (outcome) {
    case SignInOutcome::kSuccess: return "success";
    case SignInOutcome::kSuccessEnrolmentRequired: return "success_enrolment_required";
    case SignInOutcome::kUnknownUser: return "unknown_user";
    case SignInOutcome::kWrongPassword: return "wrong_password";
    case SignInOutcome::kDisabled: return "disabled";
    case SignInOutcome::kAccountLocked: return "account_locked";
    case SignInOutcome::kIpThrottled: return "ip_throttled";
    case SignInOutcome::kTotpMissing: return "totp_missing";
    case SignInOutcome::kTotpInvalid: return "totp_invalid";
    case SignInOutcome::kTotpReplayed: return "totp_replayed";
    case SignInOutcome::kError: return "error";
  }
  return "error";
}

AuthService::AuthService(IdentityStore& store, const core::Clock& clock, AuthOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {
  // Made now rather than at the first unknown username, whose sign-in would
  // otherwise take twice as long as any other.
  (void)DummyHash();
}

UserView AuthService::View(const UserRecord& u) const {
  return {u.id,
          u.version,
          u.username,
          u.display_name,
          u.agency_id,
          u.role_code,
          u.disabled,
          u.is_demo,
          u.totp_secret_sealed.has_value(),
          LockedAt(u.locked_until, clock_.Now()),
          u.created_at,
          u.updated_at};
}

Result<std::string> AuthService::SealSecret(std::string_view column, std::string_view user_id,
                                            std::string_view secret) {
  if (options_.keyring != nullptr) return core::SealField(*options_.keyring, "users", column, user_id, secret);
  // TODO(lead): development/test fallback only; production passes a key ring.
  return std::string(kPlainPrefix) + core::Base32Encode(secret);
}

Result<std::string> AuthService::OpenSecret(std::string_view column, std::string_view user_id,
                                            std::string_view stored) {
  if (options_.keyring == nullptr) {
    if (!stored.starts_with(kPlainPrefix)) return Status::Internal("a TOTP secret is sealed but no key ring is loaded");
    auto raw = core::Base32Decode(stored.substr(kPlainPrefix.size()));
    if (!raw.ok()) return Status::Internal("stored TOTP secret is malformed");
    return raw;
  }
  // With a key ring, an unsealed secret is refused (fail closed): whoever can
  // write the database must not be able to plant a known secret.
  auto opened = core::OpenField(*options_.keyring, "users", column, user_id, stored);
  if (!opened.ok()) return Status::Internal("stored TOTP secret cannot be opened");
  return opened;
}

Status AuthService::EnsureBuiltinRoles() {
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kWrite));
  for (const auto& role : domain::BuiltinRoles()) {
    RoleRecord wanted{role.code, domain::RoleToText(role), true};
    CTIMS_ASSIGN_OR_RETURN(const auto existing, tx->GetRole(role.code));
    if (existing && *existing == wanted) continue;
    CTIMS_RETURN_IF_ERROR(tx->UpsertRole(wanted));
  }
  return tx->Commit();
}

// ---- users ----------------------------------------------------------------

Result<UserView> AuthService::InsertUser(const Principal* actor, const NewUser& in) {
  const std::string username = AsciiLower(in.username);
  std::vector<FieldError> errors = CheckUsername(username);
  auto more = CheckDisplayName(in.display_name);
  errors.insert(errors.end(), more.begin(), more.end());
  more = core::CheckPasswordPolicy(in.password);
  errors.insert(errors.end(), more.begin(), more.end());
  if (actor != nullptr && in.is_demo) {
    errors.push_back({"is_demo", "operator_only", "demo accounts are created from the command line only"});
  }
  if (!errors.empty()) {
    const std::string message = "the user breaks " + std::to_string(errors.size()) + " rule(s)";
    return Status::InvalidArgument(message, std::move(errors));
  }
  if (actor != nullptr) CTIMS_RETURN_IF_ERROR(CheckManager(*actor));

  CTIMS_ASSIGN_OR_RETURN(std::string hash, core::HashPassword(in.password));  // before the write lock

  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(const auto agency_id, ResolveAgency(*tx, in.agency));
  CTIMS_ASSIGN_OR_RETURN(const auto role, LoadRole(*tx, in.role_code));
  if (!agency_id) errors.push_back({"agency", "reference", "no agency with this id or code"});
  if (!role) errors.push_back({"role", "reference", "no role with this code"});
  if (!errors.empty()) return Status::InvalidArgument("the user names missing records", std::move(errors));
  if (actor != nullptr && actor->role.scope != domain::Scope::kAll && *agency_id != actor->agency_id) {
    return Denied("not allowed to create users of another agency", {{"agency", "scope", "outside your agency"}});
  }
  if (actor != nullptr && !MayManageRole(actor->role, *role)) {
    return Denied("not allowed to give this role", {{"role", "scope", "role wider than yours"}});
  }
  CTIMS_ASSIGN_OR_RETURN(const auto taken, tx->GetUserByUsername(username));
  if (taken) {
    return Status::AlreadyExists("a user with this username already exists",
                                 {{"username", "unique", "username is taken"}});
  }
  const std::string now = core::FormatTimestamp(clock_.Now());
  UserRecord user;
  user.id = core::NewId(clock_);
  user.version = 1;
  user.username = username;
  user.display_name = in.display_name;
  user.agency_id = *agency_id;
  user.role_code = in.role_code;
  user.password_hash = std::move(hash);
  user.is_demo = in.is_demo;
  user.created_at = user.updated_at = now;
  CTIMS_RETURN_IF_ERROR(tx->InsertUser(user));
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  return View(user);
}

Result<UserView> AuthService::CreateUser(const NewUser& user) {
  return InsertUser(nullptr, user);
}

Result<UserView> AuthService::CreateUserAs(const Principal& actor, const NewUser& user) {
  return InsertUser(&actor, user);
}

Result<UserView> AuthService::ModifyUser(const Principal* actor, std::string_view user_ref,
                                         const UserChanges& changes) {
  std::vector<FieldError> errors;
  if (changes.display_name) errors = CheckDisplayName(*changes.display_name);
  if (changes.password) {
    auto more = core::CheckPasswordPolicy(*changes.password);
    errors.insert(errors.end(), more.begin(), more.end());
  }
  if (!errors.empty()) {
    const std::string message = "the change breaks " + std::to_string(errors.size()) + " rule(s)";
    return Status::InvalidArgument(message, std::move(errors));
  }
  if (actor != nullptr) CTIMS_RETURN_IF_ERROR(CheckManager(*actor));
  std::optional<std::string> new_hash;
  if (changes.password) {
    CTIMS_ASSIGN_OR_RETURN(new_hash, core::HashPassword(*changes.password));  // before the write lock
  }

  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(const auto found, LookupUser(*tx, user_ref));
  if (!found || (actor != nullptr && !InScope(*actor, *found))) return NoSuchUser();
  const UserRecord& before = *found;
  const bool self = actor != nullptr && before.id == actor->user_id;
  if (actor != nullptr && !self) {
    CTIMS_ASSIGN_OR_RETURN(const auto current_role, LoadRole(*tx, before.role_code));
    if (current_role && !MayManageRole(actor->role, *current_role)) {
      return Denied("not allowed to manage a user with a wider role", {{"role", "scope", "role wider than yours"}});
    }
  }
  if (changes.expected_version && *changes.expected_version != before.version) {
    return Status::Conflict("stale version", {{"version", "stale", "the user changed since it was read"}});
  }

  UserRecord next = before;
  bool end_sessions = false;
  std::vector<FieldError> self_changes;
  std::vector<FieldError> scope_errors;
  if (changes.display_name) next.display_name = *changes.display_name;
  if (changes.role_code && *changes.role_code != before.role_code) {
    CTIMS_ASSIGN_OR_RETURN(const auto role, LoadRole(*tx, *changes.role_code));
    if (!role) return Status::InvalidArgument("no such role", {{"role", "reference", "no role with this code"}});
    if (self) self_changes.push_back({"role", "self_change", "nobody changes their own role"});
    if (actor != nullptr && !MayManageRole(actor->role, *role)) {
      scope_errors.push_back({"role", "scope", "role wider than yours"});
    }
    next.role_code = *changes.role_code;
    end_sessions = true;
  }
  if (changes.agency) {
    CTIMS_ASSIGN_OR_RETURN(const auto agency_id, ResolveAgency(*tx, *changes.agency));
    if (!agency_id) {
      return Status::InvalidArgument("no such agency", {{"agency", "reference", "no agency with this id or code"}});
    }
    if (*agency_id != before.agency_id) {
      if (self) self_changes.push_back({"agency", "self_change", "nobody changes their own agency"});
      if (actor != nullptr && actor->role.scope != domain::Scope::kAll && *agency_id != actor->agency_id) {
        scope_errors.push_back({"agency", "scope", "outside your agency"});
      }
      next.agency_id = *agency_id;
      end_sessions = true;
    }
  }
  if (changes.disabled && *changes.disabled != before.disabled) {
    if (self) self_changes.push_back({"disabled", "self_change", "nobody disables or enables themselves"});
    next.disabled = *changes.disabled;
    if (next.disabled) end_sessions = true;
  }
  if (changes.disabled && !*changes.disabled && !self) {
    next.failed_logins = 0;  // enabling also lifts a soft lock
    next.locked_until.reset();
  }
  if (changes.reset_totp && (before.totp_secret_sealed || before.totp_pending_sealed)) {
    if (self) self_changes.push_back({"totp", "self_change", "ask another administrator to reset your TOTP"});
    next.totp_secret_sealed.reset();
    next.totp_pending_sealed.reset();
    next.totp_last_step.reset();
    end_sessions = true;
  }
  if (new_hash) {
    if (self) self_changes.push_back({"password", "self_change", "change your own password with your current one"});
    next.password_hash = *new_hash;
    next.failed_logins = 0;
    next.locked_until.reset();
    end_sessions = true;
  }
  if (!self_changes.empty()) return Denied("nobody can change these of their own account", std::move(self_changes));
  if (!scope_errors.empty()) return Denied("not allowed to make this change", std::move(scope_errors));
  if (next == before) return View(before);  // nothing changes, nothing written

  next.version = before.version + 1;
  next.updated_at = core::FormatTimestamp(clock_.Now());
  CTIMS_RETURN_IF_ERROR(tx->UpdateUser(next, before.version));
  if (end_sessions) CTIMS_RETURN_IF_ERROR(tx->DeleteUserSessions(next.id, {}).status());
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  return View(next);
}

Result<UserView> AuthService::ChangeUser(std::string_view user, const UserChanges& changes) {
  return ModifyUser(nullptr, user, changes);
}

Result<UserView> AuthService::UpdateUser(const Principal& actor, std::string_view user_id, const UserChanges& changes) {
  if (!core::IsCanonicalId(user_id)) {
    CTIMS_RETURN_IF_ERROR(CheckManager(actor));
    return NoSuchUser();
  }
  return ModifyUser(&actor, user_id, changes);
}

Status AuthService::SetPassword(std::string_view user, std::string_view password) {
  UserChanges changes;
  changes.password = std::string(password);
  return ModifyUser(nullptr, user, changes).status();
}

Status AuthService::DisableUser(std::string_view user) {
  UserChanges changes;
  changes.disabled = true;
  return ModifyUser(nullptr, user, changes).status();
}

Status AuthService::EnableUser(std::string_view user) {
  UserChanges changes;
  changes.disabled = false;
  return ModifyUser(nullptr, user, changes).status();
}

Result<TotpEnrolment> AuthService::EnrolTotpForUser(std::string_view user) {
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(auto found, LookupUser(*tx, user));
  if (!found) return NoSuchUser();
  const std::string secret = core::NewTotpSecret();
  const std::int64_t expected = found->version;
  CTIMS_ASSIGN_OR_RETURN(found->totp_secret_sealed, SealSecret(kSecretColumn, found->id, secret));
  found->totp_pending_sealed.reset();
  found->totp_last_step.reset();
  found->version += 1;
  found->updated_at = core::FormatTimestamp(clock_.Now());
  CTIMS_RETURN_IF_ERROR(tx->UpdateUser(*found, expected));
  CTIMS_RETURN_IF_ERROR(tx->DeleteUserSessions(found->id, {}).status());
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  std::string base32 = core::Base32Encode(secret);
  base32.erase(std::remove(base32.begin(), base32.end(), '='), base32.end());
  return TotpEnrolment{core::OtpauthUri(options_.totp_issuer, found->username, secret), std::move(base32)};
}

Result<UserView> AuthService::FindUser(std::string_view user) {
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kRead));
  CTIMS_ASSIGN_OR_RETURN(const auto found, LookupUser(*tx, user));
  if (!found) return NoSuchUser();
  return View(*found);
}

Result<std::vector<UserView>> AuthService::ListUsers() {
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kRead));
  CTIMS_ASSIGN_OR_RETURN(const auto users, tx->ListUsers());
  std::vector<UserView> out;
  out.reserve(users.size());
  for (const auto& u : users) out.push_back(View(u));
  return out;
}

Result<std::vector<UserView>> AuthService::ListUsersAs(const Principal& actor) {
  CTIMS_RETURN_IF_ERROR(CheckManager(actor));
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kRead));
  CTIMS_ASSIGN_OR_RETURN(const auto users, tx->ListUsers());
  std::vector<UserView> out;
  for (const auto& u : users) {
    if (InScope(actor, u)) out.push_back(View(u));
  }
  return out;
}

Result<bool> AuthService::HasDemoUsers() {
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kRead));
  CTIMS_ASSIGN_OR_RETURN(const auto users, tx->ListUsers());
  return std::any_of(users.begin(), users.end(), [](const UserRecord& u) { return u.is_demo; });
}

Status AuthService::ChangeOwnPassword(const Principal& actor, std::string_view current, std::string_view password) {
  CTIMS_RETURN_IF_ERROR(RequireFullSession(actor));
  auto errors = core::CheckPasswordPolicy(password);
  if (!errors.empty()) return Status::InvalidArgument("the new password breaks the policy", std::move(errors));
  std::optional<UserRecord> user;
  {
    CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kRead));
    CTIMS_ASSIGN_OR_RETURN(user, tx->GetUser(actor.user_id));
  }
  if (!user || user->disabled) return NoSession();
  const bool ok = VerifyBounded(user->password_hash, current);
  std::optional<std::string> hash;
  if (ok) {
    CTIMS_ASSIGN_OR_RETURN(hash, core::HashPassword(password));
  }

  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(auto fresh, tx->GetUser(actor.user_id));
  if (!fresh) return NoSession();
  if (fresh->password_hash != user->password_hash) {
    return Status::Conflict("the password changed meanwhile", {{"current_password", "stale", "sign in again"}});
  }
  if (!ok) {
    // Counted like a failed sign-in, so a stolen session cannot guess the
    // password without locking the account.
    const auto now = clock_.Now();
    if (fresh->locked_until && !LockedAt(fresh->locked_until, now)) {
      fresh->failed_logins = 0;
      fresh->locked_until.reset();
    }
    fresh->failed_logins += 1;
    if (fresh->failed_logins >= options_.max_failures) {
      fresh->locked_until = core::FormatTimestamp(now + options_.lockout);
    }
    CTIMS_RETURN_IF_ERROR(tx->UpdateUser(*fresh, fresh->version));
    CTIMS_RETURN_IF_ERROR(tx->Commit());
    return Denied("the current password is wrong", {{"current_password", "invalid", "wrong password"}});
  }
  const std::int64_t expected = fresh->version;
  fresh->password_hash = *hash;
  fresh->version += 1;
  fresh->updated_at = core::FormatTimestamp(clock_.Now());
  CTIMS_RETURN_IF_ERROR(tx->UpdateUser(*fresh, expected));
  CTIMS_RETURN_IF_ERROR(tx->DeleteUserSessions(fresh->id, actor.session_token_hash).status());
  return tx->Commit();
}

// ---- roles ------------------------------------------------------------------

Result<std::vector<domain::Role>> AuthService::ListRoles() {
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kRead));
  CTIMS_ASSIGN_OR_RETURN(const auto records, tx->ListRoles());
  std::vector<domain::Role> out;
  out.reserve(records.size());
  for (const auto& r : records) {
    auto role = domain::ParseRoleText(r.body);
    if (!role.ok()) return Status::Internal("stored role " + r.code + " is invalid");
    out.push_back(std::move(role).value());
  }
  return out;
}

Result<domain::Role> AuthService::PutRole(const Principal& actor, std::string_view role_json) {
  CTIMS_RETURN_IF_ERROR(RequireFullSession(actor));
  if (!actor.role.Allows("roles", "manage_roles")) return Denied("not allowed to manage roles");
  CTIMS_ASSIGN_OR_RETURN(domain::Role role, domain::ParseRoleText(role_json));
  if (domain::FindBuiltinRole(role.code) != nullptr) {
    return Status::Conflict("built-in roles cannot be changed", {{"code", "builtin", "a built-in role's code"}});
  }
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(const auto existing, tx->GetRole(role.code));
  if (existing && existing->builtin) {
    return Status::Conflict("built-in roles cannot be changed", {{"code", "builtin", "a built-in role's code"}});
  }
  CTIMS_RETURN_IF_ERROR(tx->UpsertRole({role.code, domain::RoleToText(role), false}));
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  return role;
}

// ---- sign-in ------------------------------------------------------------------

Result<SignInResult> AuthService::SignIn(const SignInRequest& request, SignInAudit* audit) {
  SignInAudit local;
  auto result = SignInImpl(request, local);
  if (!result.ok() && result.status().code() != StatusCode::kUnauthenticated) local.outcome = SignInOutcome::kError;
  if (audit != nullptr) *audit = std::move(local);
  return result;
}

Result<SignInResult> AuthService::SignInImpl(const SignInRequest& request, SignInAudit& audit) {
  const TimePoint now = clock_.Now();
  const std::string username = AsciiLower(request.username);
  const bool plausible_name = CheckUsername(username).empty();
  const std::string ip_key = request.client_ip.empty() ? std::string() : "ip:" + request.client_ip;
  audit.outcome = SignInOutcome::kError;

  // 1. Cheap refusals and the user, in a read transaction.
  std::optional<UserRecord> user;
  {
    CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kRead));
    if (!ip_key.empty()) {
      CTIMS_ASSIGN_OR_RETURN(const auto entry, tx->GetThrottle(ip_key));
      // A throttled IP is refused before hashing: that is what spares the
      // CPU. It reveals the throttle, not whether the username exists.
      if (entry && entry->locked_until && LockedAt(entry->locked_until, now)) {
        audit.outcome = SignInOutcome::kIpThrottled;
        return SignInFailed();
      }
    }
    if (plausible_name) {
      CTIMS_ASSIGN_OR_RETURN(user, tx->GetUserByUsername(username));
    }
  }
  if (user) {
    audit.user_id = user->id;
    audit.agency_id = user->agency_id;
    audit.role_code = user->role_code;
  }

  // 2. The expensive step, outside any transaction: exactly one argon2id
  // verification whatever the case, against a dummy hash for unknown users.
  const bool password_ok =
      VerifyBounded(user ? user->password_hash : DummyHash(), request.password) && user.has_value();
  std::optional<std::string> rehash;
  if (password_ok && core::PasswordNeedsRehash(user->password_hash)) {
    auto h = core::HashPassword(request.password);
    if (h.ok()) rehash = std::move(h).value();
  }

  // 3. Every decision on fresh data, under the write lock, so concurrent
  // attempts cannot both slip under a limit or reuse one TOTP step.
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kWrite));
  std::optional<ThrottleRecord> ip_entry;
  if (!ip_key.empty()) {
    CTIMS_ASSIGN_OR_RETURN(ip_entry, tx->GetThrottle(ip_key));
    if (ip_entry && ip_entry->locked_until && LockedAt(ip_entry->locked_until, now)) {
      audit.outcome = SignInOutcome::kIpThrottled;
      return SignInFailed();
    }
  }
  std::optional<UserRecord> fresh;
  if (user) {
    CTIMS_ASSIGN_OR_RETURN(fresh, tx->GetUser(user->id));
  }
  const std::optional<UserRecord> loaded = fresh;
  if (fresh && fresh->locked_until && !LockedAt(fresh->locked_until, now)) {
    fresh->failed_logins = 0;  // the lock is over: the count starts again
    fresh->locked_until.reset();
  }

  auto fail = [&](SignInOutcome outcome, bool count_account, std::vector<FieldError> fields) -> Result<SignInResult> {
    audit.outcome = outcome;
    if (!ip_key.empty()) {
      const auto window_start = ip_entry ? ParseTimestamp(ip_entry->window_start) : std::nullopt;
      ThrottleRecord entry;
      if (ip_entry && window_start && now < *window_start + options_.ip_window) {
        entry = *ip_entry;
      } else {
        entry = {ip_key, 0, core::FormatTimestamp(now), std::nullopt};
      }
      entry.failures += 1;
      if (entry.failures >= options_.ip_max_failures) {
        entry.locked_until = core::FormatTimestamp(now + options_.lockout);
      }
      CTIMS_RETURN_IF_ERROR(tx->PutThrottle(entry));
    }
    if (count_account && fresh) {
      fresh->failed_logins += 1;
      if (fresh->failed_logins >= options_.max_failures) {
        fresh->locked_until = core::FormatTimestamp(now + options_.lockout);
      }
      // Sign-in bookkeeping keeps the version: it is not an edit.
      CTIMS_RETURN_IF_ERROR(tx->UpdateUser(*fresh, fresh->version));
    }
    CTIMS_RETURN_IF_ERROR(tx->Commit());
    return SignInFailed(std::move(fields));
  };

  if (!fresh) return fail(SignInOutcome::kUnknownUser, false, {});
  if (fresh->disabled) return fail(SignInOutcome::kDisabled, false, {});
  if (LockedAt(fresh->locked_until, now)) return fail(SignInOutcome::kAccountLocked, false, {});
  if (!password_ok) return fail(SignInOutcome::kWrongPassword, true, {});
  if (fresh->password_hash != user->password_hash) {
    return fail(SignInOutcome::kWrongPassword, false, {});  // changed while we verified: try again
  }

  CTIMS_ASSIGN_OR_RETURN(const auto role, LoadRole(*tx, fresh->role_code));
  if (!role) return Status::Internal("the user's role does not exist");

  const bool enrolled = fresh->totp_secret_sealed.has_value();
  if (enrolled) {
    if (!request.totp_code || request.totp_code->empty()) {
      audit.outcome = SignInOutcome::kTotpMissing;  // not a failure: the client asks for the code
      return SignInFailed({{"totp_code", "required", "enter the code from your authenticator app"}});
    }
    CTIMS_ASSIGN_OR_RETURN(const std::string secret, OpenSecret(kSecretColumn, fresh->id, *fresh->totp_secret_sealed));
    const auto step = core::VerifyTotp(secret, *request.totp_code, UnixSeconds(now));
    const FieldError invalid{"totp_code", "invalid", "the code is wrong or was already used"};
    if (!step) return fail(SignInOutcome::kTotpInvalid, true, {invalid});
    if (fresh->totp_last_step && *step <= *fresh->totp_last_step) {
      return fail(SignInOutcome::kTotpReplayed, true, {invalid});
    }
    fresh->totp_last_step = *step;
  }

  // Success.
  fresh->failed_logins = 0;
  fresh->locked_until.reset();
  if (rehash) fresh->password_hash = *rehash;
  if (fresh != loaded) CTIMS_RETURN_IF_ERROR(tx->UpdateUser(*fresh, fresh->version));

  SignInResult result;
  result.token = core::RandomToken();
  result.csrf_token = core::RandomToken();
  const std::string now_text = core::FormatTimestamp(now);
  SessionRecord session{core::Sha256Hex(result.token),   fresh->id,        result.csrf_token, now_text, now_text,
                        /*second_factor_done=*/enrolled, request.client_ip};
  CTIMS_RETURN_IF_ERROR(tx->InsertSession(session));
  CTIMS_RETURN_IF_ERROR(tx->Commit());

  result.user = View(*fresh);
  result.role = *role;
  result.second_factor_required = enrolled || role->requires_totp;
  result.totp_enrolment_required = role->requires_totp && !enrolled;
  audit.outcome = result.totp_enrolment_required ? SignInOutcome::kSuccessEnrolmentRequired : SignInOutcome::kSuccess;
  return result;
}

// ---- sessions ----------------------------------------------------------------

Result<Principal> AuthService::Authenticate(std::string_view token, std::string_view client_ip) {
  if (token.empty() || token.size() > kMaxTokenBytes) return NoSession();
  const TimePoint now = clock_.Now();
  const std::string hash = core::Sha256Hex(token);
  std::optional<SessionRecord> session;
  std::optional<UserRecord> user;
  std::optional<domain::Role> role;
  {
    CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kRead));
    CTIMS_ASSIGN_OR_RETURN(auto found, tx->GetSessionWithUser(hash));
    if (!found.session) return NoSession();
    session = std::move(found.session);
    user = std::move(found.user);
    if (user) {
      CTIMS_ASSIGN_OR_RETURN(role, ParseRole(found.role));
    }
  }
  const auto created = ParseTimestamp(session->created_at);
  const auto last_seen = ParseTimestamp(session->last_seen_at);
  const bool expired = !created || !last_seen || now >= *created + options_.absolute_timeout ||
                       now >= *last_seen + options_.idle_timeout;
  const bool enrolled = user && user->totp_secret_sealed.has_value();
  // A session begun before the user enrolled a second factor cannot complete
  // it any more: it goes.
  if (expired || !user || user->disabled || (enrolled && !session->second_factor_done)) {
    CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kWrite));
    CTIMS_RETURN_IF_ERROR(tx->DeleteSession(hash));
    CTIMS_RETURN_IF_ERROR(tx->Commit());
    return NoSession();
  }
  if (!role) return Status::Internal("the user's role does not exist");

  if (now >= *last_seen + options_.touch_interval) {
    // Failing to refresh only makes the session expire sooner (the safe
    // side), so a busy database does not fail the request.
    Status touched = [&]() -> Status {
      CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kWrite));
      CTIMS_RETURN_IF_ERROR(tx->TouchSession(hash, core::FormatTimestamp(now), client_ip));
      return tx->Commit();
    }();
    if (!touched.ok() && touched.code() != StatusCode::kNotFound) {
      core::Log(core::LogLevel::kWarning,
                std::string("session refresh failed: ") + core::StatusCodeName(touched.code()));
    }
  }

  Principal p;
  p.user_id = user->id;
  p.username = user->username;
  p.display_name = user->display_name;
  p.agency_id = user->agency_id;
  p.role = std::move(*role);
  p.session_token_hash = hash;
  p.csrf_token = session->csrf_token;
  p.second_factor_done = session->second_factor_done;
  p.totp_enrolment_required = p.role.requires_totp && !enrolled;
  return p;
}

Status AuthService::SignOut(std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenBytes) return Status::Ok();
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kWrite));
  CTIMS_RETURN_IF_ERROR(tx->DeleteSession(core::Sha256Hex(token)));
  return tx->Commit();
}

Result<std::int64_t> AuthService::SignOutEverywhere(std::string_view user_id) {
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(const std::int64_t n, tx->DeleteUserSessions(user_id, {}));
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  return n;
}

Result<std::int64_t> AuthService::PurgeExpired() {
  const TimePoint now = clock_.Now();
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(const std::int64_t sessions,
                         tx->DeleteExpiredSessions(core::FormatTimestamp(now - options_.idle_timeout),
                                                   core::FormatTimestamp(now - options_.absolute_timeout)));
  CTIMS_ASSIGN_OR_RETURN(const std::int64_t throttles,
                         tx->DeleteStaleThrottles(core::FormatTimestamp(now - options_.ip_window)));
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  return sessions + throttles;
}

bool AuthService::CheckCsrf(const Principal& principal, std::string_view header_value) {
  if (principal.csrf_token.empty() || header_value.empty()) return false;
  return core::ConstantTimeEquals(principal.csrf_token, header_value);
}

// ---- second factor --------------------------------------------------------------

Result<TotpEnrolment> AuthService::BeginTotpEnrolment(const Principal& principal) {
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(auto user, tx->GetUser(principal.user_id));
  if (!user || user->disabled) return NoSession();
  if (user->totp_secret_sealed) {
    return Status::Conflict("a second factor is already enrolled; an administrator can reset it",
                            {{"totp", "enrolled", "already enrolled"}});
  }
  const std::string secret = core::NewTotpSecret();
  CTIMS_ASSIGN_OR_RETURN(user->totp_pending_sealed, SealSecret(kPendingColumn, user->id, secret));
  // A pending secret is not visible in UserView: the version stays.
  CTIMS_RETURN_IF_ERROR(tx->UpdateUser(*user, user->version));
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  std::string base32 = core::Base32Encode(secret);
  base32.erase(std::remove(base32.begin(), base32.end(), '='), base32.end());
  return TotpEnrolment{core::OtpauthUri(options_.totp_issuer, user->username, secret), std::move(base32)};
}

Status AuthService::ConfirmTotpEnrolment(const Principal& principal, std::string_view code) {
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.BeginIdentity(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(auto user, tx->GetUser(principal.user_id));
  if (!user || user->disabled) return NoSession();
  if (user->totp_secret_sealed) {
    return Status::Conflict("a second factor is already enrolled", {{"totp", "enrolled", "already enrolled"}});
  }
  if (!user->totp_pending_sealed) {
    return Status::Conflict("no second-factor enrolment is in progress", {{"totp", "not_pending", "begin first"}});
  }
  CTIMS_ASSIGN_OR_RETURN(const std::string secret, OpenSecret(kPendingColumn, user->id, *user->totp_pending_sealed));
  const auto step = core::VerifyTotp(secret, code, UnixSeconds(clock_.Now()));
  if (!step || (user->totp_last_step && *step <= *user->totp_last_step)) {
    return Status::InvalidArgument("the code is wrong", {{"totp_code", "invalid", "the code is wrong or was used"}});
  }
  const std::int64_t expected = user->version;
  CTIMS_ASSIGN_OR_RETURN(user->totp_secret_sealed, SealSecret(kSecretColumn, user->id, secret));
  user->totp_pending_sealed.reset();
  user->totp_last_step = *step;
  user->version += 1;
  user->updated_at = core::FormatTimestamp(clock_.Now());
  CTIMS_RETURN_IF_ERROR(tx->UpdateUser(*user, expected));
  CTIMS_RETURN_IF_ERROR(tx->MarkSecondFactorDone(principal.session_token_hash));
  CTIMS_RETURN_IF_ERROR(tx->DeleteUserSessions(user->id, principal.session_token_hash).status());
  return tx->Commit();
}

}  // namespace ctims::app
