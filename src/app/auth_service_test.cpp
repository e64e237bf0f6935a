#include "app/auth_service.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "app/in_memory_records_test_util.hpp"
#include "app/record_service.hpp"
#include "core/crypto.hpp"
#include "core/id.hpp"
#include "core/totp.hpp"
#include "domain/schema.hpp"

namespace ctims::app {
namespace {

using core::StatusCode;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// An in-memory IdentityStore for the use-case logic alone. Transactions work
// on a copy published at Commit, so rollback-on-destroy is real. It enforces
// what the SQLite schema enforces and AuthService relies on: case-insensitive
// unique usernames, references from users to agencies and roles and from
// sessions to users, optimistic versions, cascade of sessions.
class FakeIdentityStore final : public IdentityStore {
 public:
  struct Data : testing::InMemoryRecords {
    std::map<std::string, UserRecord> users;
    std::map<std::string, RoleRecord> roles;
    std::map<std::string, SessionRecord> sessions;
    std::map<std::string, ThrottleRecord> throttle;
  };

  class Tx final : public testing::InMemoryRecordOps<IdentityTransaction> {
   public:
    Tx(FakeIdentityStore& store, bool write) : store_(store), data_(store.data_), write_(write) {}

    core::Result<std::optional<UserRecord>> GetUser(std::string_view id) override {
      auto it = data_.users.find(std::string(id));
      if (it == data_.users.end()) return std::optional<UserRecord>();
      return std::optional<UserRecord>(it->second);
    }
    core::Result<std::optional<UserRecord>> GetUserByUsername(std::string_view username) override {
      for (const auto& [id, u] : data_.users) {
        if (Lower(u.username) == Lower(username)) return std::optional<UserRecord>(u);
      }
      return std::optional<UserRecord>();
    }
    core::Status InsertUser(const UserRecord& u) override {
      if (!write_) return core::Status::Internal("read tx");
      CTIMS_RETURN_IF_ERROR(CheckUserRefs(u));
      if (data_.users.contains(u.id)) return core::Status::AlreadyExists("id");
      for (const auto& [id, other] : data_.users) {
        if (Lower(other.username) == Lower(u.username)) {
          return core::Status::AlreadyExists("taken", {{"username", "unique", "taken"}});
        }
      }
      data_.users[u.id] = u;
      return core::Status::Ok();
    }
    core::Status UpdateUser(const UserRecord& u, std::int64_t expected) override {
      if (!write_) return core::Status::Internal("read tx");
      auto it = data_.users.find(u.id);
      if (it == data_.users.end()) return core::Status::NotFound("no user");
      if (it->second.version != expected) return core::Status::Conflict("stale");
      CTIMS_RETURN_IF_ERROR(CheckUserRefs(u));
      UserRecord next = u;
      next.created_at = it->second.created_at;
      it->second = next;
      return core::Status::Ok();
    }
    core::Result<std::vector<UserRecord>> ListUsers() override {
      std::vector<UserRecord> out;
      for (const auto& [id, u] : data_.users) out.push_back(u);
      std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.username < b.username; });
      return out;
    }
    core::Status DeleteUser(std::string_view id) override {
      if (data_.users.erase(std::string(id)) == 0) return core::Status::NotFound("no user");
      std::erase_if(data_.sessions, [&](const auto& kv) { return kv.second.user_id == id; });
      return core::Status::Ok();
    }
    core::Status UpsertRole(const RoleRecord& role) override {
      if (!write_) return core::Status::Internal("read tx");
      data_.roles[role.code] = role;
      return core::Status::Ok();
    }
    core::Result<std::optional<RoleRecord>> GetRole(std::string_view code) override {
      auto it = data_.roles.find(std::string(code));
      if (it == data_.roles.end()) return std::optional<RoleRecord>();
      return std::optional<RoleRecord>(it->second);
    }
    core::Result<std::vector<RoleRecord>> ListRoles() override {
      std::vector<RoleRecord> out;
      for (const auto& [code, r] : data_.roles) out.push_back(r);
      return out;
    }
    core::Status InsertSession(const SessionRecord& s) override {
      if (!write_) return core::Status::Internal("read tx");
      if (!data_.users.contains(s.user_id)) return core::Status::InvalidArgument("no user");
      if (!data_.sessions.emplace(s.token_hash, s).second) return core::Status::AlreadyExists("session");
      return core::Status::Ok();
    }
    core::Result<std::optional<SessionRecord>> GetSession(std::string_view hash) override {
      auto it = data_.sessions.find(std::string(hash));
      if (it == data_.sessions.end()) return std::optional<SessionRecord>();
      return std::optional<SessionRecord>(it->second);
    }
    core::Status TouchSession(std::string_view hash, std::string_view at, std::string_view ip) override {
      if (!write_) return core::Status::Internal("read tx");
      auto it = data_.sessions.find(std::string(hash));
      if (it == data_.sessions.end()) return core::Status::NotFound("no session");
      it->second.last_seen_at = at;
      it->second.client_ip = ip;
      return core::Status::Ok();
    }
    core::Status MarkSecondFactorDone(std::string_view hash) override {
      if (!write_) return core::Status::Internal("read tx");
      auto it = data_.sessions.find(std::string(hash));
      if (it == data_.sessions.end()) return core::Status::NotFound("no session");
      it->second.second_factor_done = true;
      return core::Status::Ok();
    }
    core::Status DeleteSession(std::string_view hash) override {
      if (!write_) return core::Status::Internal("read tx");
      data_.sessions.erase(std::string(hash));
      return core::Status::Ok();
    }
    core::Result<std::int64_t> DeleteUserSessions(std::string_view user_id, std::string_view keep) override {
      if (!write_) return core::Status::Internal("read tx");
      return static_cast<std::int64_t>(std::erase_if(
          data_.sessions, [&](const auto& kv) { return kv.second.user_id == user_id && kv.first != keep; }));
    }
    core::Result<std::int64_t> DeleteExpiredSessions(std::string_view idle_before,
                                                     std::string_view created_before) override {
      if (!write_) return core::Status::Internal("read tx");
      return static_cast<std::int64_t>(std::erase_if(data_.sessions, [&](const auto& kv) {
        return kv.second.last_seen_at < idle_before || kv.second.created_at < created_before;
      }));
    }
    core::Result<std::optional<ThrottleRecord>> GetThrottle(std::string_view key) override {
      auto it = data_.throttle.find(std::string(key));
      if (it == data_.throttle.end()) return std::optional<ThrottleRecord>();
      return std::optional<ThrottleRecord>(it->second);
    }
    core::Status PutThrottle(const ThrottleRecord& e) override {
      if (!write_) return core::Status::Internal("read tx");
      data_.throttle[e.key] = e;
      return core::Status::Ok();
    }
    core::Status DeleteThrottle(std::string_view key) override {
      if (!write_) return core::Status::Internal("read tx");
      data_.throttle.erase(std::string(key));
      return core::Status::Ok();
    }
    core::Result<std::int64_t> DeleteStaleThrottles(std::string_view before) override {
      if (!write_) return core::Status::Internal("read tx");
      return static_cast<std::int64_t>(std::erase_if(data_.throttle, [&](const auto& kv) {
        return kv.second.window_start < before && (!kv.second.locked_until || *kv.second.locked_until < before);
      }));
    }

    core::Status Commit() override {
      if (write_) store_.data_ = data_;
      ++store_.commits_;
      return core::Status::Ok();
    }

   private:
    static std::string Lower(std::string_view s) {
      std::string out(s);
      for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return out;
    }
    core::Status CheckUserRefs(const UserRecord& u) {
      if (!data_.tables["agencies"].contains(u.agency_id) || !data_.roles.contains(u.role_code)) {
        return core::Status::InvalidArgument("reference");
      }
      return core::Status::Ok();
    }

   protected:
    testing::InMemoryRecords& records() override { return data_; }
    bool writable() const override { return write_; }

   private:
    FakeIdentityStore& store_;
    Data data_;
    bool write_;
  };

  core::Result<std::unique_ptr<IdentityTransaction>> BeginIdentity(TxMode mode) override {
    return std::unique_ptr<IdentityTransaction>(std::make_unique<Tx>(*this, mode == TxMode::kWrite));
  }

  Data data_;
  int commits_ = 0;
};

constexpr char kPassword[] = "correct horse battery staple";
constexpr char kOtherPassword[] = "tall giraffes eat acacia leaves";

// 2026-01-05T08:00:00Z, a multiple of 30 s: TOTP steps begin on the hour.
core::TimePoint Start() {
  return core::TimePoint(std::chrono::seconds(1767600000));
}

bool HasField(const core::Status& s, const std::string& path, const std::string& rule) {
  return std::any_of(s.field_errors().begin(), s.field_errors().end(),
                     [&](const core::FieldError& e) { return e.path == path && e.rule == rule; });
}

class AuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ppd_ = AddAgency("BK-PPD");
    fad_ = AddAgency("BK-FAD");
    Reset({});
  }

  // A fresh service with `options` over the same store.
  void Reset(AuthOptions options) {
    auth_ = std::make_unique<AuthService>(store_, clock_, std::move(options));
    ASSERT_TRUE(auth_->EnsureBuiltinRoles().ok());
  }

  std::string AddAgency(const std::string& code) {
    StoredRecord r;
    r.id = core::NewId();
    r.version = 1;
    r.columns = {code, std::nullopt, std::nullopt};
    r.body = "{}";
    auto tx = store_.BeginIdentity(TxMode::kWrite);
    EXPECT_TRUE((*tx)->Insert(TableFor(*domain::FindResource("agencies")), r).ok());
    EXPECT_TRUE((*tx)->Commit().ok());
    return r.id;
  }

  UserView MakeUser(const std::string& name, const std::string& role, const std::string& agency = "BK-PPD") {
    auto u = auth_->CreateUser({name, "Display " + name, agency, role, kPassword, false});
    EXPECT_TRUE(u.ok()) << u.status().ToString();
    return u.ok() ? *u : UserView{};
  }

  core::Result<SignInResult> SignIn(const std::string& name, const std::string& password,
                                    std::optional<std::string> code = std::nullopt, const std::string& ip = "10.0.0.1",
                                    SignInAudit* audit = nullptr) {
    return auth_->SignIn({name, password, std::move(code), ip}, audit);
  }

  SignInOutcome Outcome(const std::string& name, const std::string& password,
                        std::optional<std::string> code = std::nullopt, const std::string& ip = "10.0.0.1") {
    SignInAudit audit;
    (void)SignIn(name, password, std::move(code), ip, &audit);
    return audit.outcome;
  }

  Principal Auth(const std::string& token) {
    auto p = auth_->Authenticate(token, "10.0.0.1");
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : Principal{};
  }

  int64_t Unix() const { return std::chrono::duration_cast<seconds>(clock_.Now().time_since_epoch()).count(); }
  std::string Code(const std::string& secret, int64_t offset_seconds = 0) const {
    return core::TotpCode(secret, Unix() + offset_seconds);
  }

  // An administrator who has enrolled TOTP; returns its full principal and
  // the raw secret. The clock ends 30 s after enrolment so that the next code
  // is a fresh step.
  std::pair<Principal, std::string> EnrolledAdmin(const std::string& name = "admin") {
    MakeUser(name, "administrator");
    auto in = SignIn(name, kPassword);
    EXPECT_TRUE(in.ok()) << in.status().ToString();
    Principal restricted = Auth(in->token);
    auto enrolment = auth_->BeginTotpEnrolment(restricted);
    EXPECT_TRUE(enrolment.ok()) << enrolment.status().ToString();
    auto secret = core::Base32Decode(enrolment->secret_base32);
    EXPECT_TRUE(secret.ok());
    EXPECT_TRUE(auth_->ConfirmTotpEnrolment(restricted, Code(*secret)).ok());
    clock_.Advance(seconds(30));
    return {Auth(in->token), *secret};
  }

  FakeIdentityStore store_;
  core::ManualClock clock_{Start()};
  std::unique_ptr<AuthService> auth_;
  std::string ppd_, fad_;
};

TEST_F(AuthServiceTest, DefaultsAreThoseOfIssue3) {
  const AuthOptions o;
  EXPECT_EQ(o.idle_timeout, minutes(30));
  EXPECT_EQ(o.absolute_timeout, hours(12));
  EXPECT_EQ(o.max_failures, 5);
  EXPECT_EQ(o.lockout, minutes(15));
  EXPECT_EQ(o.ip_max_failures, 20);
  EXPECT_EQ(o.ip_window, minutes(15));
}

TEST_F(AuthServiceTest, EnsureBuiltinRolesIsIdempotent) {
  EXPECT_EQ(store_.data_.roles.size(), domain::BuiltinRoles().size());
  const int commits = store_.commits_;
  const auto roles = store_.data_.roles;
  ASSERT_TRUE(auth_->EnsureBuiltinRoles().ok());
  EXPECT_EQ(store_.data_.roles, roles);
  EXPECT_EQ(store_.commits_, commits + 1);
  auto listed = auth_->ListRoles();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), domain::BuiltinRoles().size());
}

TEST_F(AuthServiceTest, PasswordPolicyAndArgon2idHash) {
  auto short_pw = auth_->CreateUser({"somchai", "Somchai", "BK-PPD", "case_worker", "short", false});
  ASSERT_EQ(short_pw.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasField(short_pw.status(), "password", "min_length"));
  auto common = auth_->CreateUser({"somchai", "Somchai", "BK-PPD", "case_worker", "password1234", false});
  ASSERT_EQ(common.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasField(common.status(), "password", "common_password"));
  EXPECT_TRUE(store_.data_.users.empty());

  const UserView u = MakeUser("somchai", "case_worker");
  const UserRecord& stored = store_.data_.users.at(u.id);
  EXPECT_TRUE(stored.password_hash.starts_with("$argon2id$")) << "not argon2id";
  EXPECT_NE(stored.password_hash.find("m=65536,t=2,"), std::string::npos);  // >= 19 MiB, >= 2 passes
  EXPECT_EQ(stored.password_hash.find(kPassword), std::string::npos);
  EXPECT_FALSE(core::PasswordNeedsRehash(stored.password_hash));
  for (const auto& e : short_pw.status().field_errors()) EXPECT_EQ(e.message.find("short"), std::string::npos);
}

TEST_F(AuthServiceTest, UsernamesAreCaseInsensitiveAndRuled) {
  auto bad = auth_->CreateUser({"a b", "", "BK-PPD", "case_worker", kPassword, false});
  ASSERT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasField(bad.status(), "username", "pattern"));
  EXPECT_TRUE(HasField(bad.status(), "display_name", "required"));
  EXPECT_TRUE(HasField(auth_->CreateUser({"ab", "x", "BK-PPD", "case_worker", kPassword, false}).status(), "username",
                       "length"));
  EXPECT_TRUE(
      HasField(auth_->CreateUser({std::string(65, 'a'), "x", "BK-PPD", "case_worker", kPassword, false}).status(),
               "username", "length"));
  EXPECT_TRUE(HasField(auth_->CreateUser({"ສົມໃຈ", "x", "BK-PPD", "case_worker", kPassword, false}).status(), "username",
                       "pattern"));

  auto u = auth_->CreateUser({"Somchai.K", "ສົມໃຈ", ppd_, "case_worker", kPassword, false});  // agency by id
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->username, "somchai.k");
  EXPECT_EQ(u->agency_id, ppd_);
  auto dup = auth_->CreateUser({"SOMCHAI.K", "Other", "BK-FAD", "case_worker", kPassword, false});
  ASSERT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(HasField(dup.status(), "username", "unique"));

  auto refs = auth_->CreateUser({"nobody", "Nobody", "NO-SUCH", "superuser", kPassword, false});
  ASSERT_EQ(refs.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasField(refs.status(), "agency", "reference"));
  EXPECT_TRUE(HasField(refs.status(), "role", "reference"));
  EXPECT_EQ(store_.data_.users.size(), 1u);

  // Sign-in is case-insensitive too.
  EXPECT_TRUE(SignIn("SOMCHAI.k", kPassword).ok());
}

TEST_F(AuthServiceTest, SameGenericErrorForUnknownUserWrongPasswordAndDisabled) {
  MakeUser("somchai", "case_worker");
  MakeUser("noy", "case_worker");
  ASSERT_TRUE(auth_->DisableUser("noy").ok());
  SignInAudit a1, a2, a3, a4;
  auto unknown = SignIn("nobody", kPassword, std::nullopt, "10.0.0.1", &a1);
  auto wrong = SignIn("somchai", kOtherPassword, std::nullopt, "10.0.0.1", &a2);
  auto disabled = SignIn("noy", kPassword, std::nullopt, "10.0.0.1", &a3);
  auto malformed = SignIn("no such user!", kPassword, std::nullopt, "10.0.0.1", &a4);
  for (const auto* r : {&unknown, &wrong, &disabled, &malformed}) {
    ASSERT_FALSE(r->ok());
    EXPECT_EQ(r->status().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(r->status().message(), unknown.status().message());
    EXPECT_TRUE(r->status().field_errors().empty());
  }
  EXPECT_EQ(unknown.status().message(), "unknown user or wrong password");
  EXPECT_EQ(a1.outcome, SignInOutcome::kUnknownUser);
  EXPECT_TRUE(a1.user_id.empty());
  EXPECT_EQ(a2.outcome, SignInOutcome::kWrongPassword);
  EXPECT_FALSE(a2.user_id.empty());
  EXPECT_EQ(a3.outcome, SignInOutcome::kDisabled);
  EXPECT_EQ(a4.outcome, SignInOutcome::kUnknownUser);
  EXPECT_STREQ(SignInOutcomeName(a2.outcome), "wrong_password");
  // An over-long password is refused like any wrong one.
  EXPECT_EQ(Outcome("somchai", std::string(10000, 'x')), SignInOutcome::kWrongPassword);
}

TEST_F(AuthServiceTest, LockoutAfterFiveFailuresUnlocksAfterFifteenMinutes) {
  MakeUser("somchai", "case_worker");
  // A success in between resets the count.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Outcome("somchai", kOtherPassword), SignInOutcome::kWrongPassword);
  EXPECT_EQ(Outcome("somchai", kPassword), SignInOutcome::kSuccess);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Outcome("somchai", kOtherPassword), SignInOutcome::kWrongPassword);
  EXPECT_EQ(Outcome("somchai", kPassword), SignInOutcome::kSuccess);

  for (int i = 0; i < 5; ++i) EXPECT_EQ(Outcome("somchai", kOtherPassword), SignInOutcome::kWrongPassword);
  auto locked = SignIn("somchai", kPassword);
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(locked.status().message(), "unknown user or wrong password");  // the lock is not revealed
  EXPECT_EQ(Outcome("somchai", kPassword), SignInOutcome::kAccountLocked);
  EXPECT_TRUE(auth_->FindUser("somchai")->locked);
  clock_.Advance(minutes(14));
  EXPECT_EQ(Outcome("somchai", kPassword), SignInOutcome::kAccountLocked);
  clock_.Advance(minutes(1));
  EXPECT_EQ(Outcome("somchai", kPassword), SignInOutcome::kSuccess);
  EXPECT_FALSE(auth_->FindUser("somchai")->locked);
}

TEST_F(AuthServiceTest, EnableLiftsALock) {
  MakeUser("somchai", "case_worker");
  for (int i = 0; i < 5; ++i) (void)SignIn("somchai", kOtherPassword);
  EXPECT_EQ(Outcome("somchai", kPassword), SignInOutcome::kAccountLocked);
  ASSERT_TRUE(auth_->EnableUser("somchai").ok());
  EXPECT_EQ(Outcome("somchai", kPassword), SignInOutcome::kSuccess);
}

TEST_F(AuthServiceTest, PerIpThrottle) {
  AuthOptions options;
  options.ip_max_failures = 3;  // the default (20) costs 20 argon2id verifications
  Reset(options);
  MakeUser("somchai", "case_worker");
  for (const char* name : {"nobody1", "nobody2", "nobody3"}) {
    EXPECT_EQ(Outcome(name, kPassword, std::nullopt, "192.0.2.7"), SignInOutcome::kUnknownUser);
  }
  auto throttled = SignIn("somchai", kPassword, std::nullopt, "192.0.2.7");
  ASSERT_FALSE(throttled.ok());
  EXPECT_EQ(throttled.status().message(), "unknown user or wrong password");
  EXPECT_EQ(Outcome("somchai", kPassword, std::nullopt, "192.0.2.7"), SignInOutcome::kIpThrottled);
  EXPECT_EQ(Outcome("somchai", kPassword, std::nullopt, "192.0.2.8"), SignInOutcome::kSuccess);
  clock_.Advance(minutes(15));
  EXPECT_EQ(Outcome("somchai", kPassword, std::nullopt, "192.0.2.7"), SignInOutcome::kSuccess);
}

TEST_F(AuthServiceTest, IpFailuresOutsideTheWindowDoNotAddUp) {
  AuthOptions options;
  options.ip_max_failures = 3;
  Reset(options);
  MakeUser("somchai", "case_worker");
  EXPECT_EQ(Outcome("nobody", kPassword, std::nullopt, "192.0.2.7"), SignInOutcome::kUnknownUser);
  EXPECT_EQ(Outcome("nobody", kPassword, std::nullopt, "192.0.2.7"), SignInOutcome::kUnknownUser);
  clock_.Advance(minutes(16));
  EXPECT_EQ(Outcome("nobody", kPassword, std::nullopt, "192.0.2.7"), SignInOutcome::kUnknownUser);
  EXPECT_EQ(Outcome("somchai", kPassword, std::nullopt, "192.0.2.7"), SignInOutcome::kSuccess);
  ASSERT_TRUE(auth_->PurgeExpired().ok());
}

TEST_F(AuthServiceTest, EverySignInMakesANewSessionAndStoresOnlyTheTokenHash) {
  MakeUser("somchai", "case_worker");
  auto a = SignIn("somchai", kPassword);
  auto b = SignIn("somchai", kPassword);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->token, b->token);
  EXPECT_NE(a->csrf_token, b->csrf_token);
  EXPECT_GE(a->token.size(), 43u);  // 256 bits
  EXPECT_EQ(store_.data_.sessions.size(), 2u);
  EXPECT_FALSE(store_.data_.sessions.contains(a->token));
  ASSERT_TRUE(store_.data_.sessions.contains(core::Sha256Hex(a->token)));
  for (const auto& [hash, s] : store_.data_.sessions) {
    EXPECT_NE(hash, a->token);
    EXPECT_NE(s.csrf_token, a->token);
  }
  EXPECT_EQ(Auth(a->token).user_id, a->user.id);
  EXPECT_EQ(Auth(b->token).csrf_token, b->csrf_token);
  EXPECT_EQ(auth_->Authenticate(a->token + "x", "").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->Authenticate("", "").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, IdleTimeoutOfThirtyMinutes) {
  MakeUser("somchai", "case_worker");
  auto in = SignIn("somchai", kPassword);
  ASSERT_TRUE(in.ok());
  clock_.Advance(minutes(29));
  Auth(in->token);  // refreshes last_seen_at
  clock_.Advance(minutes(29));
  Auth(in->token);
  clock_.Advance(minutes(30));
  auto expired = auth_->Authenticate(in->token, "10.0.0.1");
  EXPECT_EQ(expired.status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(store_.data_.sessions.empty());  // deleted, not only refused
}

TEST_F(AuthServiceTest, RequestsWithinAMinuteDoNotWrite) {
  MakeUser("somchai", "case_worker");
  auto in = SignIn("somchai", kPassword);
  ASSERT_TRUE(in.ok());
  const int commits = store_.commits_;
  clock_.Advance(seconds(30));
  Auth(in->token);
  const std::string seen = store_.data_.sessions.begin()->second.last_seen_at;
  clock_.Advance(seconds(31));
  Auth(in->token);
  EXPECT_NE(store_.data_.sessions.begin()->second.last_seen_at, seen);
  EXPECT_EQ(store_.commits_, commits + 1);
}

TEST_F(AuthServiceTest, AbsoluteTimeoutOfTwelveHours) {
  MakeUser("somchai", "case_worker");
  auto in = SignIn("somchai", kPassword);
  ASSERT_TRUE(in.ok());
  for (int i = 0; i < 35; ++i) {  // active every 20 minutes for 11 h 40 min
    clock_.Advance(minutes(20));
    Auth(in->token);
  }
  clock_.Advance(minutes(19));
  Auth(in->token);  // 11:59
  clock_.Advance(minutes(1));
  EXPECT_EQ(auth_->Authenticate(in->token, "").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, SignOutInvalidatesAtOnce) {
  const UserView u = MakeUser("somchai", "case_worker");
  auto a = SignIn("somchai", kPassword);
  auto b = SignIn("somchai", kPassword);
  auto c = SignIn("somchai", kPassword);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_TRUE(auth_->SignOut(a->token).ok());
  EXPECT_EQ(auth_->Authenticate(a->token, "").status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(auth_->SignOut(a->token).ok());  // twice is harmless
  Auth(b->token);
  auto n = auth_->SignOutEverywhere(u.id);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(auth_->Authenticate(b->token, "").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->Authenticate(c->token, "").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, DisablingAUserEndsTheirSessions) {
  MakeUser("somchai", "case_worker");
  auto in = SignIn("somchai", kPassword);
  ASSERT_TRUE(in.ok());
  ASSERT_TRUE(auth_->DisableUser("somchai").ok());
  EXPECT_EQ(auth_->Authenticate(in->token, "").status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(auth_->FindUser("somchai")->disabled);
}

TEST_F(AuthServiceTest, AdministratorMustEnrolTotpBeforeAnythingElse) {
  MakeUser("admin", "administrator");
  SignInAudit audit;
  auto in = SignIn("admin", kPassword, std::nullopt, "10.0.0.1", &audit);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(audit.outcome, SignInOutcome::kSuccessEnrolmentRequired);
  EXPECT_TRUE(in->second_factor_required);
  EXPECT_TRUE(in->totp_enrolment_required);
  Principal p = Auth(in->token);
  EXPECT_TRUE(p.totp_enrolment_required);
  EXPECT_FALSE(p.second_factor_done);
  EXPECT_EQ(RequireFullSession(p).code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(p.Allows("users", "manage_users"));
  EXPECT_EQ(auth_->ListUsersAs(p).status().code(), StatusCode::kPermissionDenied);
  auto other = SignIn("admin", kPassword);  // a second enrolment-only session
  ASSERT_TRUE(other.ok());

  auto enrolment = auth_->BeginTotpEnrolment(p);
  ASSERT_TRUE(enrolment.ok()) << enrolment.status().ToString();
  EXPECT_TRUE(enrolment->otpauth_uri.starts_with("otpauth://totp/ctims:admin?secret=" + enrolment->secret_base32));
  auto secret = core::Base32Decode(enrolment->secret_base32);
  ASSERT_TRUE(secret.ok());
  const UserRecord& pending = store_.data_.users.begin()->second;
  ASSERT_TRUE(pending.totp_pending_sealed);
  EXPECT_FALSE(pending.totp_secret_sealed);
  EXPECT_EQ(pending.totp_pending_sealed->find(enrolment->secret_base32 + "x"), std::string::npos);

  auto wrong = auth_->ConfirmTotpEnrolment(p, Code(*secret, 300));
  EXPECT_EQ(wrong.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasField(wrong, "totp_code", "invalid"));
  ASSERT_TRUE(auth_->ConfirmTotpEnrolment(p, Code(*secret)).ok());
  EXPECT_EQ(auth_->BeginTotpEnrolment(p).status().code(), StatusCode::kConflict);  // already enrolled

  Principal full = Auth(in->token);
  EXPECT_FALSE(full.totp_enrolment_required);
  EXPECT_TRUE(full.second_factor_done);
  EXPECT_TRUE(RequireFullSession(full).ok());
  EXPECT_TRUE(auth_->ListUsersAs(full).ok());
  EXPECT_EQ(auth_->Authenticate(other->token, "").status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(auth_->FindUser("admin")->totp_enrolled);

  // From now on the code is needed in the sign-in request.
  clock_.Advance(seconds(30));
  auto missing = SignIn("admin", kPassword);
  ASSERT_EQ(missing.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(missing.status().message(), "unknown user or wrong password");
  EXPECT_TRUE(HasField(missing.status(), "totp_code", "required"));
  auto bad = SignIn("admin", kPassword, Code(*secret, 600));
  EXPECT_TRUE(HasField(bad.status(), "totp_code", "invalid"));
  // A wrong password with a right code reveals nothing about the code.
  auto wrong_password = SignIn("admin", kOtherPassword, Code(*secret));
  EXPECT_TRUE(wrong_password.status().field_errors().empty());
  auto good = SignIn("admin", kPassword, Code(*secret));
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_FALSE(good->totp_enrolment_required);
  EXPECT_TRUE(Auth(good->token).second_factor_done);
}

TEST_F(AuthServiceTest, ATotpCodeIsAcceptedOnceWithinItsWindow) {
  auto [admin, secret] = EnrolledAdmin();
  const std::string code = Code(secret);
  EXPECT_EQ(Outcome("admin", kPassword, code), SignInOutcome::kSuccess);
  EXPECT_EQ(Outcome("admin", kPassword, code), SignInOutcome::kTotpReplayed);
  clock_.Advance(seconds(10));  // same step, still inside the window
  EXPECT_EQ(Outcome("admin", kPassword, code), SignInOutcome::kTotpReplayed);
  auto replay = SignIn("admin", kPassword, code);
  EXPECT_EQ(replay.status().message(), "unknown user or wrong password");
  EXPECT_TRUE(HasField(replay.status(), "totp_code", "invalid"));
  clock_.Advance(seconds(20));
  EXPECT_EQ(Outcome("admin", kPassword, Code(secret)), SignInOutcome::kSuccess);
  // An older step than the last one used is refused even inside the window.
  EXPECT_EQ(Outcome("admin", kPassword, Code(secret, -30)), SignInOutcome::kTotpReplayed);
}

TEST_F(AuthServiceTest, CodesOutsideOneStepOfDriftAreRefused) {
  auto [admin, secret] = EnrolledAdmin();
  clock_.Advance(minutes(5));
  EXPECT_EQ(Outcome("admin", kPassword, Code(secret, -60)), SignInOutcome::kTotpInvalid);
  EXPECT_EQ(Outcome("admin", kPassword, Code(secret, 60)), SignInOutcome::kTotpInvalid);
  EXPECT_EQ(Outcome("admin", kPassword, Code(secret, -30)), SignInOutcome::kSuccess);
  EXPECT_EQ(Outcome("admin", kPassword, Code(secret, 30)), SignInOutcome::kSuccess);
  EXPECT_EQ(Outcome("admin", kPassword, Code(secret)), SignInOutcome::kTotpReplayed);  // behind the last
  EXPECT_EQ(Outcome("admin", kPassword, "12345"), SignInOutcome::kTotpInvalid);
}

TEST_F(AuthServiceTest, WrongTotpCodesCountTowardsTheLock) {
  auto [admin, secret] = EnrolledAdmin();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Outcome("admin", kPassword, Code(secret, 3600 + 30 * i)), SignInOutcome::kTotpInvalid);
  }
  EXPECT_EQ(Outcome("admin", kPassword, Code(secret)), SignInOutcome::kAccountLocked);
}

TEST_F(AuthServiceTest, TotpSecretIsSealedWithAKeyRing) {
  auto ring = core::ParseKeyRing("ctims-keyring 1\nv1 " + core::Base64Encode(core::NewSecretKey()) + " " +
                                 core::Base64Encode(core::NewSecretKey()) + "\n");
  ASSERT_TRUE(ring.ok());
  AuthOptions options;
  options.keyring = &*ring;
  Reset(options);
  auto [admin, secret] = EnrolledAdmin();
  const UserRecord& stored = store_.data_.users.at(admin.user_id);
  ASSERT_TRUE(stored.totp_secret_sealed);
  EXPECT_TRUE(core::IsSealed(*stored.totp_secret_sealed));
  auto opened = core::OpenField(*ring, "users", "totp_secret", admin.user_id, *stored.totp_secret_sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, secret);
  EXPECT_EQ(Outcome("admin", kPassword, Code(secret)), SignInOutcome::kSuccess);
  // Without the key ring the sealed secret does not open: fail closed.
  Reset({});
  EXPECT_EQ(Outcome("admin", kPassword, Code(secret, 30)), SignInOutcome::kError);
}

TEST_F(AuthServiceTest, OperatorEnrolsAnAdministratorAtCreation) {
  MakeUser("admin", "administrator");
  auto before = SignIn("admin", kPassword);
  ASSERT_TRUE(before.ok());
  auto enrolment = auth_->EnrolTotpForUser("admin");
  ASSERT_TRUE(enrolment.ok()) << enrolment.status().ToString();
  EXPECT_EQ(auth_->EnrolTotpForUser("nobody").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(auth_->Authenticate(before->token, "").status().code(), StatusCode::kUnauthenticated);
  auto secret = core::Base32Decode(enrolment->secret_base32);
  ASSERT_TRUE(secret.ok());
  // No enrolment-only window: the first sign-in already needs the code.
  EXPECT_EQ(Outcome("admin", kPassword), SignInOutcome::kTotpMissing);
  auto in = SignIn("admin", kPassword, Code(*secret));
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_FALSE(in->totp_enrolment_required);
  EXPECT_TRUE(RequireFullSession(Auth(in->token)).ok());
}

TEST_F(AuthServiceTest, CsrfTokenComparison) {
  MakeUser("somchai", "case_worker");
  auto in = SignIn("somchai", kPassword);
  ASSERT_TRUE(in.ok());
  const Principal p = Auth(in->token);
  EXPECT_TRUE(AuthService::CheckCsrf(p, in->csrf_token));
  EXPECT_FALSE(AuthService::CheckCsrf(p, ""));
  EXPECT_FALSE(AuthService::CheckCsrf(p, in->csrf_token.substr(1)));
  EXPECT_FALSE(AuthService::CheckCsrf(p, in->csrf_token + "A"));
  std::string flipped = in->csrf_token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(AuthService::CheckCsrf(p, flipped));
  EXPECT_FALSE(AuthService::CheckCsrf(p, in->token));
  Principal empty = p;
  empty.csrf_token.clear();
  EXPECT_FALSE(AuthService::CheckCsrf(empty, ""));
}

TEST_F(AuthServiceTest, NobodyChangesTheirOwnRoleAgencyOrDisabledFlag) {
  auto [admin, secret] = EnrolledAdmin();
  const std::string admin_id = admin.user_id;
  UserChanges role;
  role.role_code = "case_worker";
  auto self_role = auth_->UpdateUser(admin, admin_id, role);
  ASSERT_EQ(self_role.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(HasField(self_role.status(), "role", "self_change"));
  UserChanges agency;
  agency.agency = "BK-FAD";
  EXPECT_TRUE(HasField(auth_->UpdateUser(admin, admin_id, agency).status(), "agency", "self_change"));
  UserChanges disable;
  disable.disabled = true;
  EXPECT_TRUE(HasField(auth_->UpdateUser(admin, admin_id, disable).status(), "disabled", "self_change"));
  UserChanges totp;
  totp.reset_totp = true;
  EXPECT_TRUE(HasField(auth_->UpdateUser(admin, admin_id, totp).status(), "totp", "self_change"));
  EXPECT_EQ(store_.data_.users.at(admin_id).role_code, "administrator");
  EXPECT_FALSE(store_.data_.users.at(admin_id).disabled);
  // Own display name is fine; the unchanged role may be restated.
  UserChanges name;
  name.display_name = "ຜູ້ບໍລິຫານ";
  name.role_code = "administrator";
  auto renamed = auth_->UpdateUser(admin, admin_id, name);
  ASSERT_TRUE(renamed.ok()) << renamed.status().ToString();
  EXPECT_EQ(renamed->display_name, "ຜູ້ບໍລິຫານ");

  // The administrator changes somebody else's role, which signs them out.
  const UserView worker = MakeUser("somchai", "case_worker");
  auto worker_in = SignIn("somchai", kPassword);
  ASSERT_TRUE(worker_in.ok());
  UserChanges promote;
  promote.role_code = "supervisor";
  promote.expected_version = worker.version;
  auto promoted = auth_->UpdateUser(admin, worker.id, promote);
  ASSERT_TRUE(promoted.ok()) << promoted.status().ToString();
  EXPECT_EQ(promoted->role_code, "supervisor");
  EXPECT_EQ(promoted->version, worker.version + 1);
  EXPECT_EQ(auth_->Authenticate(worker_in->token, "").status().code(), StatusCode::kUnauthenticated);
  // A stale version changes nothing.
  promote.role_code = "case_worker";
  EXPECT_EQ(auth_->UpdateUser(admin, worker.id, promote).status().code(), StatusCode::kConflict);

  // A case worker manages nobody.
  auto again = SignIn("somchai", kPassword);
  ASSERT_TRUE(again.ok());
  const Principal cw = Auth(again->token);
  UserChanges escalate;
  escalate.role_code = "administrator";
  EXPECT_EQ(auth_->UpdateUser(cw, cw.user_id, escalate).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(auth_->UpdateUser(cw, admin_id, disable).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(auth_->ListUsersAs(cw).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(auth_->CreateUserAs(cw, {"eve", "Eve", "BK-PPD", "administrator", kPassword, false}).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(auth_->PutRole(cw, domain::RoleToText(*domain::FindBuiltinRole("case_worker"))).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(store_.data_.users.at(cw.user_id).role_code, "supervisor");
}

TEST_F(AuthServiceTest, AnAgencyScopedManagerStaysInsideItsAgency) {
  auto [admin, secret] = EnrolledAdmin();
  auto role =
      auth_->PutRole(admin, R"({"code": "agency_admin", "name_lo": "ຜູ້ຄຸ້ມຄອງຜູ້ໃຊ້", "name_en": "Agency user manager",
      "scope": "agency", "permissions": [{"resource": "users", "actions": ["manage_users"]}],
      "read_groups": [], "write_groups": [], "requires_totp": true})");
  ASSERT_TRUE(role.ok()) << role.status().ToString();
  EXPECT_EQ(auth_->PutRole(admin, domain::RoleToText(*domain::FindBuiltinRole("analyst"))).status().code(),
            StatusCode::kConflict);

  const UserView other_agency = MakeUser("noy", "case_worker", "BK-FAD");
  // A principal holding the custom role (built directly: its sign-in and
  // enrolment are the administrator's, tested above).
  Principal manager;
  manager.user_id = core::NewId();
  manager.agency_id = ppd_;
  manager.role = *role;
  manager.second_factor_done = true;

  auto created = auth_->CreateUserAs(manager, {"somchai", "Somchai", "BK-PPD", "case_worker", kPassword, false});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(auth_->CreateUserAs(manager, {"dao", "Dao", "BK-FAD", "case_worker", kPassword, false}).status().code(),
            StatusCode::kPermissionDenied);
  auto wide = auth_->CreateUserAs(manager, {"dao", "Dao", "BK-PPD", "administrator", kPassword, false});
  EXPECT_TRUE(HasField(wide.status(), "role", "scope"));
  auto demo = auth_->CreateUserAs(manager, {"dao", "Dao", "BK-PPD", "case_worker", kPassword, true});
  EXPECT_TRUE(HasField(demo.status(), "is_demo", "operator_only"));

  auto listed = auth_->ListUsersAs(manager);
  ASSERT_TRUE(listed.ok());
  for (const auto& u : *listed) EXPECT_EQ(u.agency_id, ppd_) << u.username;
  UserChanges disable;
  disable.disabled = true;
  EXPECT_EQ(auth_->UpdateUser(manager, other_agency.id, disable).status().code(), StatusCode::kNotFound);
  // The administrator is in the manager's agency but holds a wider role.
  auto wider = auth_->UpdateUser(manager, admin.user_id, disable);
  EXPECT_EQ(wider.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(HasField(wider.status(), "role", "scope"));
  UserChanges move;
  move.agency = "BK-FAD";
  EXPECT_TRUE(HasField(auth_->UpdateUser(manager, created->id, move).status(), "agency", "scope"));
  EXPECT_TRUE(auth_->UpdateUser(manager, created->id, disable).ok());
}

TEST_F(AuthServiceTest, ChangingOwnPasswordNeedsTheCurrentOneAndEndsOtherSessions) {
  MakeUser("somchai", "case_worker");
  auto a = SignIn("somchai", kPassword);
  auto b = SignIn("somchai", kPassword);
  ASSERT_TRUE(a.ok() && b.ok());
  const Principal p = Auth(a->token);
  auto wrong = auth_->ChangeOwnPassword(p, kOtherPassword, "a brand new passphrase here");
  EXPECT_EQ(wrong.code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(HasField(wrong, "current_password", "invalid"));
  EXPECT_TRUE(HasField(auth_->ChangeOwnPassword(p, kPassword, "short"), "password", "min_length"));
  ASSERT_TRUE(auth_->ChangeOwnPassword(p, kPassword, "a brand new passphrase here").ok());
  Auth(a->token);
  EXPECT_EQ(auth_->Authenticate(b->token, "").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Outcome("somchai", kPassword), SignInOutcome::kWrongPassword);
  EXPECT_EQ(Outcome("somchai", "a brand new passphrase here"), SignInOutcome::kSuccess);
}

TEST_F(AuthServiceTest, OperatorPasswordResetSignsOutAndUnlocks) {
  MakeUser("somchai", "case_worker");
  auto in = SignIn("somchai", kPassword);
  ASSERT_TRUE(in.ok());
  EXPECT_TRUE(HasField(auth_->SetPassword("somchai", "short"), "password", "min_length"));
  ASSERT_TRUE(auth_->SetPassword("somchai", kOtherPassword).ok());
  EXPECT_EQ(auth_->Authenticate(in->token, "").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Outcome("somchai", kOtherPassword), SignInOutcome::kSuccess);
  EXPECT_EQ(auth_->SetPassword("nobody", kOtherPassword).code(), StatusCode::kNotFound);
  auto listed = auth_->ListUsers();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_FALSE(*auth_->HasDemoUsers());
  ASSERT_TRUE(auth_->CreateUser({"demo.worker", "Demo", "BK-PPD", "case_worker", kPassword, true}).ok());
  EXPECT_TRUE(*auth_->HasDemoUsers());
}

TEST_F(AuthServiceTest, NoSecretInAnyMessage) {
  auto [admin, secret] = EnrolledAdmin();
  const std::string code = Code(secret);
  std::vector<core::Status> statuses = {
      SignIn("admin", kOtherPassword, code).status(),
      SignIn("admin", kPassword, "000000").status(),
      SignIn("nobody", kPassword).status(),
      auth_->ChangeOwnPassword(admin, kOtherPassword, kPassword),
      auth_->CreateUser({"x", "x", "BK-PPD", "case_worker", "password1234", false}).status(),
  };
  for (const auto& s : statuses) {
    std::string all = s.ToString();
    for (const auto& e : s.field_errors()) all += e.path + e.rule + e.message;
    for (const std::string& secret_text : {std::string(kPassword), std::string(kOtherPassword), code,
                                           std::string("password1234"), core::Base32Encode(secret)}) {
      EXPECT_EQ(all.find(secret_text), std::string::npos) << all;
    }
  }
}

}  // namespace
}  // namespace ctims::app
