// The identity storage contract (app/identity_store.hpp): every backend that
// offers app::IdentityStore must pass this suite. It speaks only the
// interfaces; a backend is added by adding a factory to Backends().
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "app/auth_service.hpp"
#include "app/identity_store.hpp"
#include "app/record_service.hpp"
#include "backends.hpp"
#include "core/crypto.hpp"
#include "core/id.hpp"
#include "domain/access.hpp"
#include "domain/schema.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace ctims {
namespace {

using app::RoleRecord;
using app::SessionRecord;
using app::ThrottleRecord;
using app::TxMode;
using app::UserRecord;
using core::StatusCode;

using testing_backends::Backends;

class IdentityContractTest : public testing_backends::ContractTest {
 protected:
  IdentityContractTest() : ContractTest("ctims-identity-") {}
  void SetUp() override {
    ContractTest::SetUp();
    if (HasFatalFailure()) return;
    identity_ = app::AsIdentityStore(*store_);
    ASSERT_NE(identity_, nullptr);

    auto tx = Write();
    agency_ = core::NewId();
    other_agency_ = core::NewId();
    for (const auto& [id, code] : {std::pair{agency_, "BK-PPD"}, std::pair{other_agency_, "BK-FAD"}}) {
      app::StoredRecord r;
      r.id = id;
      r.version = 1;
      r.created_at = r.updated_at = "2026-01-05T08:00:00.000Z";
      r.columns = {code, std::nullopt, std::nullopt};
      r.body = R"({"org_NameLo":"x","org_NameEn":"x","org_Type":"LawEnforcement","org_Level":"provincial"})";
      ASSERT_TRUE(tx->Insert(AgencyTable(), r).ok());
    }
    ASSERT_TRUE(tx->UpsertRole(Role("case_worker")).ok());
    ASSERT_TRUE(tx->UpsertRole(Role("administrator")).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }

  static app::TableDef AgencyTable() { return app::TableFor(*domain::FindResource("agencies")); }
  static RoleRecord Role(const char* code) { return {code, domain::RoleToText(*domain::FindBuiltinRole(code)), true}; }

  std::unique_ptr<app::IdentityTransaction> Write() {
    auto tx = identity_->BeginIdentity(TxMode::kWrite);
    EXPECT_TRUE(tx.ok()) << tx.status().ToString();
    return tx.ok() ? std::move(tx).value() : nullptr;
  }
  std::unique_ptr<app::IdentityTransaction> Read() {
    auto tx = identity_->BeginIdentity(TxMode::kRead);
    EXPECT_TRUE(tx.ok()) << tx.status().ToString();
    return tx.ok() ? std::move(tx).value() : nullptr;
  }

  UserRecord User(const std::string& username) const {
    UserRecord u;
    u.id = core::NewId();
    u.version = 1;
    u.username = username;
    u.display_name = "ສົມໃຈ " + username;
    u.agency_id = agency_;
    u.role_code = "case_worker";
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo";
    u.created_at = u.updated_at = "2026-01-05T08:00:00.000Z";
    return u;
  }

  UserRecord PutUser(const std::string& username) {
    UserRecord u = User(username);
    auto tx = Write();
    auto s = tx->InsertUser(u);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(tx->Commit().ok());
    return u;
  }

  static SessionRecord Session(const std::string& user_id, const std::string& seed, const std::string& at) {
    return {core::Sha256Hex(seed), user_id, "csrf-" + seed, at, at, false, "192.0.2.1"};
  }

  app::IdentityStore* identity_ = nullptr;
  std::string agency_, other_agency_;
};

TEST_P(IdentityContractTest, UsersRoundTripEveryField) {
  UserRecord u = User("somchai");
  u.disabled = true;
  u.is_demo = true;
  u.totp_secret_sealed = "enc:v1:AAAA";
  u.totp_pending_sealed = "enc:v1:BBBB";
  u.totp_last_step = 58920000;
  u.failed_logins = 3;
  u.locked_until = "2026-01-05T08:15:00.000Z";
  {
    auto tx = Write();
    ASSERT_TRUE(tx->InsertUser(u).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Read();
  auto by_id = tx->GetUser(u.id);
  ASSERT_TRUE(by_id.ok() && *by_id);
  EXPECT_EQ(**by_id, u);
  auto missing = tx->GetUser(core::NewId());
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);
  const UserRecord plain = PutUser("noy");
  auto again = Read()->GetUser(plain.id);
  ASSERT_TRUE(again.ok() && *again);
  EXPECT_EQ(**again, plain);  // nulls stay nulls
}

TEST_P(IdentityContractTest, UsernamesAreUniqueCaseInsensitively) {
  const UserRecord u = PutUser("somchai.k");
  auto found = Read()->GetUserByUsername("SomChai.K");
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_EQ((*found)->id, u.id);
  auto tx = Write();
  auto clash = tx->InsertUser(User("SOMCHAI.K"));
  EXPECT_EQ(clash.code(), StatusCode::kAlreadyExists);
  ASSERT_EQ(clash.field_errors().size(), 1u);
  EXPECT_EQ(clash.field_errors()[0].path, "username");
  // Renaming another user onto the name clashes too.
  UserRecord other = User("noy");
  ASSERT_TRUE(tx->InsertUser(other).ok());
  UserRecord renamed = other;
  renamed.username = "Somchai.k";
  renamed.version = 2;
  EXPECT_EQ(tx->UpdateUser(renamed, 1).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(tx->Commit().ok());
  auto list = Read()->ListUsers();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].username, "noy");  // by username
  EXPECT_EQ((*list)[1].username, "somchai.k");
}

TEST_P(IdentityContractTest, UsersReferToAnAgencyAndARole) {
  {
    auto tx = Write();  // a write transaction holds the write lock until destroyed
    UserRecord no_agency = User("a.user");
    no_agency.agency_id = core::NewId();
    EXPECT_EQ(tx->InsertUser(no_agency).code(), StatusCode::kInvalidArgument);
    UserRecord no_role = User("b.user");
    no_role.role_code = "superuser";
    EXPECT_EQ(tx->InsertUser(no_role).code(), StatusCode::kInvalidArgument);
    ASSERT_TRUE(tx->InsertUser(User("c.user")).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  // An agency with users cannot be deleted.
  auto del = Write();
  EXPECT_EQ(del->Delete(AgencyTable(), agency_, 1).code(), StatusCode::kConflict);
  EXPECT_TRUE(del->Delete(AgencyTable(), other_agency_, 1).ok());
}

TEST_P(IdentityContractTest, UserUpdatesCheckTheVersion) {
  const UserRecord u = PutUser("somchai");
  UserRecord next = u;
  next.version = 2;
  next.role_code = "administrator";
  next.agency_id = other_agency_;
  next.failed_logins = 2;
  next.updated_at = "2026-01-05T09:00:00.000Z";
  {
    auto tx = Write();
    EXPECT_EQ(tx->UpdateUser(next, 7).code(), StatusCode::kConflict);
    UserRecord ghost = next;
    ghost.id = core::NewId();
    EXPECT_EQ(tx->UpdateUser(ghost, 1).code(), StatusCode::kNotFound);
    ASSERT_TRUE(tx->Commit().ok());
  }
  EXPECT_EQ(**Read()->GetUser(u.id), u);  // nothing changed
  {
    auto tx = Write();
    ASSERT_TRUE(tx->UpdateUser(next, 1).ok());
    UserRecord bad = next;
    bad.role_code = "superuser";
    bad.version = 3;
    EXPECT_EQ(tx->UpdateUser(bad, 2).code(), StatusCode::kInvalidArgument);
    ASSERT_TRUE(tx->Commit().ok());
  }
  EXPECT_EQ(**Read()->GetUser(u.id), next);
}

TEST_P(IdentityContractTest, SessionsGoWithTheirUser) {
  const UserRecord a = PutUser("somchai");
  const UserRecord b = PutUser("noy");
  const auto s1 = Session(a.id, "one", "2026-01-05T08:00:00.000Z");
  const auto s2 = Session(a.id, "two", "2026-01-05T08:01:00.000Z");
  const auto s3 = Session(b.id, "three", "2026-01-05T08:02:00.000Z");
  {
    auto tx = Write();
    for (const auto& s : {s1, s2, s3}) ASSERT_TRUE(tx->InsertSession(s).ok());
    EXPECT_EQ(tx->InsertSession(s1).code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(tx->InsertSession(Session(core::NewId(), "four", "2026-01-05T08:00:00.000Z")).code(),
              StatusCode::kInvalidArgument);
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto got = Read()->GetSession(s1.token_hash);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ(**got, s1);
  {
    auto tx = Write();
    ASSERT_TRUE(tx->TouchSession(s1.token_hash, "2026-01-05T08:20:00.000Z", "192.0.2.9").ok());
    ASSERT_TRUE(tx->MarkSecondFactorDone(s1.token_hash).ok());
    EXPECT_EQ(tx->TouchSession(core::Sha256Hex("gone"), "2026-01-05T08:20:00.000Z", "").code(), StatusCode::kNotFound);
    EXPECT_EQ(tx->MarkSecondFactorDone(core::Sha256Hex("gone")).code(), StatusCode::kNotFound);
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto touched = **Read()->GetSession(s1.token_hash);
  EXPECT_EQ(touched.last_seen_at, "2026-01-05T08:20:00.000Z");
  EXPECT_EQ(touched.client_ip, "192.0.2.9");
  EXPECT_TRUE(touched.second_factor_done);
  EXPECT_EQ(touched.created_at, s1.created_at);
  {
    auto tx = Write();
    auto n = tx->DeleteUserSessions(a.id, s1.token_hash);  // all but s1
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 1);
    ASSERT_TRUE(tx->DeleteUser(a.id).ok());  // takes s1 with it
    EXPECT_EQ(tx->DeleteUser(a.id).code(), StatusCode::kNotFound);
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Read();
  EXPECT_FALSE(*tx->GetSession(s1.token_hash));
  EXPECT_FALSE(*tx->GetSession(s2.token_hash));
  EXPECT_TRUE(*tx->GetSession(s3.token_hash));
}

// Issue 9 §6: the check on every signed-in request reads the session, its
// user and the role together (one statement on PostgreSQL).
TEST_P(IdentityContractTest, SessionWithUserReadsTheSessionItsUserAndRole) {
  UserRecord a = PutUser("somchai");
  const auto s1 = Session(a.id, "one", "2026-01-05T08:00:00.000Z");
  {
    auto tx = Write();
    ASSERT_TRUE(tx->InsertSession(s1).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Read();
  auto got = tx->GetSessionWithUser(s1.token_hash);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->session && got->user && got->role);
  EXPECT_EQ(*got->session, s1);
  EXPECT_EQ(*got->user, **tx->GetUser(a.id));
  EXPECT_EQ(*got->role, **tx->GetRole("case_worker"));
  EXPECT_EQ(got->role->code, "case_worker");

  auto none = tx->GetSessionWithUser(core::Sha256Hex("no such token"));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->session);
  EXPECT_FALSE(none->user);
  EXPECT_FALSE(none->role);
}

TEST_P(IdentityContractTest, SessionDeletionAndPurge) {
  const UserRecord a = PutUser("somchai");
  const auto old_idle = Session(a.id, "idle", "2026-01-05T08:00:00.000Z");
  auto old_created = Session(a.id, "old", "2026-01-04T20:00:00.000Z");
  old_created.last_seen_at = "2026-01-05T09:55:00.000Z";
  const auto live = Session(a.id, "live", "2026-01-05T09:50:00.000Z");
  {
    auto tx = Write();
    for (const auto& s : {old_idle, old_created, live}) ASSERT_TRUE(tx->InsertSession(s).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  {
    auto tx = Write();
    auto n = tx->DeleteExpiredSessions("2026-01-05T09:30:00.000Z", "2026-01-04T22:00:00.000Z");
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 2);
    ASSERT_TRUE(tx->DeleteSession(live.token_hash).ok());
    EXPECT_TRUE(tx->DeleteSession(live.token_hash).ok());  // absent is fine
    auto none = tx->DeleteUserSessions(a.id, "");
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(*none, 0);
    ASSERT_TRUE(tx->Commit().ok());
  }
  EXPECT_FALSE(*Read()->GetSession(live.token_hash));
}

TEST_P(IdentityContractTest, ThrottleEntriesAreUpserted) {
  ThrottleRecord e{"ip:192.0.2.7", 1, "2026-01-05T08:00:00.000Z", std::nullopt};
  {
    auto tx = Write();
    ASSERT_TRUE(tx->PutThrottle(e).ok());
    e.failures = 20;
    e.locked_until = "2026-01-05T08:20:00.000Z";
    ASSERT_TRUE(tx->PutThrottle(e).ok());
    ASSERT_TRUE(tx->PutThrottle({"ip:192.0.2.8", 2, "2026-01-05T08:00:00.000Z", std::nullopt}).ok());
    ASSERT_TRUE(tx->PutThrottle({"ip:192.0.2.9", 2, "2026-01-05T08:30:00.000Z", std::nullopt}).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto got = Read()->GetThrottle(e.key);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ(**got, e);
  EXPECT_FALSE(*Read()->GetThrottle("ip:203.0.113.1"));
  {
    auto tx = Write();
    // Windows started before 08:10 and not locked past it: only .8 goes.
    auto n = tx->DeleteStaleThrottles("2026-01-05T08:10:00.000Z");
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 1);
    ASSERT_TRUE(tx->DeleteThrottle("ip:192.0.2.9").ok());
    EXPECT_TRUE(tx->DeleteThrottle("ip:192.0.2.9").ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Read();
  EXPECT_TRUE(*tx->GetThrottle(e.key));
  EXPECT_FALSE(*tx->GetThrottle("ip:192.0.2.8"));
  EXPECT_FALSE(*tx->GetThrottle("ip:192.0.2.9"));
}

TEST_P(IdentityContractTest, RolesAreUpsertedAndListedByCode) {
  {
    auto tx = Write();
    RoleRecord custom{"zz_custom", R"({"code":"zz_custom"})", false};
    ASSERT_TRUE(tx->UpsertRole(custom).ok());
    custom.body = R"({"code":"zz_custom","changed":true})";
    ASSERT_TRUE(tx->UpsertRole(custom).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Read();
  auto got = tx->GetRole("zz_custom");
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ((*got)->body, R"({"code":"zz_custom","changed":true})");
  EXPECT_FALSE((*got)->builtin);
  EXPECT_FALSE(*tx->GetRole("nobody"));
  auto all = tx->ListRoles();
  ASSERT_TRUE(all.ok());
  std::vector<std::string> codes;
  for (const auto& r : *all) codes.push_back(r.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"administrator", "case_worker", "zz_custom"}));
  EXPECT_EQ((*all)[1], Role("case_worker"));
}

TEST_P(IdentityContractTest, ReadTransactionsRefuseWritesAndUncommittedWorkRollsBack) {
  {
    auto tx = Read();
    EXPECT_EQ(tx->InsertUser(User("somchai")).code(), StatusCode::kInternal);
    EXPECT_EQ(tx->PutThrottle({"ip:x", 1, "2026-01-05T08:00:00.000Z", std::nullopt}).code(), StatusCode::kInternal);
    EXPECT_EQ(tx->DeleteSession(core::Sha256Hex("x")).code(), StatusCode::kInternal);
  }
  const UserRecord u = User("somchai");
  {
    auto tx = Write();
    ASSERT_TRUE(tx->InsertUser(u).ok());
    ASSERT_TRUE(tx->InsertSession(Session(u.id, "s", "2026-01-05T08:00:00.000Z")).ok());
  }  // no Commit
  EXPECT_FALSE(*Read()->GetUser(u.id));
  EXPECT_FALSE(*Read()->GetSession(core::Sha256Hex("s")));
}

// The use case over the real store: what the HTTP layer will run.
TEST_P(IdentityContractTest, AuthServiceSignsInAndOutOverTheRealStore) {
  core::ManualClock clock(core::TimePoint(std::chrono::seconds(1767600000)));
  app::AuthService auth(*identity_, clock);
  ASSERT_TRUE(auth.EnsureBuiltinRoles().ok());
  ASSERT_TRUE(auth.EnsureBuiltinRoles().ok());
  auto user = auth.CreateUser({"Somchai", "ສົມໃຈ", "BK-PPD", "case_worker", "correct horse battery staple", false});
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(
      auth.CreateUser({"SOMCHAI", "x", "BK-FAD", "case_worker", "correct horse battery staple", false}).status().code(),
      StatusCode::kAlreadyExists);
  app::SignInAudit audit;
  auto wrong = auth.SignIn({"somchai", "wrong horse battery staple", std::nullopt, "192.0.2.1"}, &audit);
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(audit.outcome, app::SignInOutcome::kWrongPassword);
  auto in = auth.SignIn({"somchai", "correct horse battery staple", std::nullopt, "192.0.2.1"});
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  auto p = auth.Authenticate(in->token, "192.0.2.1");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->user_id, user->id);
  EXPECT_EQ(p->role.code, "case_worker");
  EXPECT_TRUE(app::AuthService::CheckCsrf(*p, in->csrf_token));
  auto stored = Read()->GetUser(user->id);
  EXPECT_TRUE((*stored)->password_hash.starts_with("$argon2id$"));
  EXPECT_EQ((*stored)->failed_logins, 0);  // reset by the success
  clock.Advance(std::chrono::minutes(30));
  EXPECT_EQ(auth.Authenticate(in->token, "").status().code(), StatusCode::kUnauthenticated);
  auto again = auth.SignIn({"somchai", "correct horse battery staple", std::nullopt, "192.0.2.1"});
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(auth.SignOut(again->token).ok());
  EXPECT_EQ(auth.Authenticate(again->token, "").status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(store_->CheckIntegrity().ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, IdentityContractTest, ::testing::ValuesIn(Backends()),
                         testing_backends::BackendName);

}  // namespace
}  // namespace ctims
