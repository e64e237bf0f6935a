// The maintenance part of the storage contract (app/record_store.hpp,
// "maintenance (key rotation)"): every backend must pass it, and key rotation
// must work end to end on it, TOTP secrets included.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <ctime>
#include <filesystem>

#include "app/auth_service.hpp"
#include "app/field_cipher.hpp"
#include "app/identity_store.hpp"
#include "app/key_rotation.hpp"
#include "app/keyring_test_util.hpp"
#include "app/record_service.hpp"
#include "app/record_store.hpp"
#include "backends.hpp"
#include "core/clock.hpp"
#include "core/id.hpp"
#include "core/totp.hpp"
#include "domain/diff.hpp"
#include "domain/schema.hpp"

namespace ctims {
namespace {

using app::HistoryEntry;
using app::StoredRecord;
using app::TableDef;
using app::TxMode;
using core::StatusCode;
using nlohmann::json;

using testing_backends::Backends;

class MaintenanceContractTest : public testing_backends::ContractTest {
 protected:
  MaintenanceContractTest() : ContractTest("ctims-maintenance-") {}

  static const domain::ResourceSpec& Persons() { return *domain::FindResource("persons"); }
  static TableDef PersonTable() { return app::TableFor(Persons()); }

  std::unique_ptr<app::StoreTransaction> Begin(TxMode mode) {
    auto tx = store_->Begin(mode);
    EXPECT_TRUE(tx.ok()) << tx.status().ToString();
    return tx.ok() ? std::move(tx).value() : nullptr;
  }

  // Inserts a person with `body` and its create entry; returns the record.
  StoredRecord PutPerson(const std::string& body) {
    StoredRecord r;
    r.id = core::NewId();
    r.version = 1;
    r.created_at = r.updated_at = "2026-01-05T08:00:00.000Z";
    r.columns.resize(PersonTable().columns.size());
    r.body = body;
    auto tx = Begin(TxMode::kWrite);
    EXPECT_TRUE(tx->Insert(PersonTable(), r).ok());
    EXPECT_TRUE(tx->AppendHistory({0, "persons", r.id, 1, "create", "local", r.created_at, "[]", {}}).ok());
    EXPECT_TRUE(tx->Commit().ok());
    return r;
  }
};

TEST_P(MaintenanceContractTest, RewriteBodyReplacesOnlyTheBodyWhenTheVersionMatches) {
  const StoredRecord r = PutPerson(R"({"prs_Sex":"F"})");
  {
    auto tx = Begin(TxMode::kWrite);
    ASSERT_TRUE(tx->RewriteBody(PersonTable(), r.id, 1, R"({"prs_Sex":"M"})").ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin(TxMode::kRead);
  auto got = tx->Get(PersonTable(), r.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(json::parse((*got)->body), json::parse(R"({"prs_Sex":"M"})"));
  EXPECT_EQ((*got)->version, 1);  // no version bump
  EXPECT_EQ((*got)->updated_at, r.updated_at);
  auto history = tx->History("persons", r.id);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 1u);  // no history entry
}

TEST_P(MaintenanceContractTest, RewriteBodyRefusesStaleVersionsUnknownIdsAndReadTransactions) {
  const StoredRecord r = PutPerson(R"({"prs_Sex":"F"})");
  {
    auto tx = Begin(TxMode::kWrite);
    EXPECT_EQ(tx->RewriteBody(PersonTable(), r.id, 2, "{}").code(), StatusCode::kConflict);
    EXPECT_EQ(tx->RewriteBody(PersonTable(), core::NewId(), 1, "{}").code(), StatusCode::kNotFound);
    ASSERT_TRUE(tx->RewriteBody(PersonTable(), r.id, 1, R"({"prs_Sex":"X"})").ok());
    // Destroyed without Commit: rolled back.
  }
  {
    auto tx = Begin(TxMode::kRead);
    EXPECT_FALSE(tx->RewriteBody(PersonTable(), r.id, 1, "{}").ok());
  }
  auto tx = Begin(TxMode::kRead);
  auto got = tx->Get(PersonTable(), r.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->body, r.body);
}

TEST_P(MaintenanceContractTest, ListHistoryPagesOverEveryResourceInSeqOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(PutPerson("{}").id);
  {
    auto tx = Begin(TxMode::kWrite);
    ASSERT_TRUE(tx->AppendHistory({0, "cases", ids[0], 1, "create", "local", "t", "[]", {}}).ok());
    ASSERT_TRUE(tx->AppendHistory({0, "persons", ids[0], 2, "update", "local", "t", "[]", {}}).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin(TxMode::kRead);
  std::vector<HistoryEntry> all;
  std::int64_t after = 0;
  int pages = 0;
  while (true) {
    auto page = tx->ListHistory(after, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_LE(page->size(), 2u);
    if (page->empty()) break;
    ++pages;
    all.insert(all.end(), page->begin(), page->end());
    after = page->back().seq;
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(all.size(), 5u);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].seq, all[i].seq);
  EXPECT_EQ(all[3].resource, "cases");
  EXPECT_EQ(all[4].version, 2);
  EXPECT_EQ(all[4].record_id, ids[0]);
}

TEST_P(MaintenanceContractTest, RewriteHistoryChangesReplacesTheChangesOnly) {
  const StoredRecord r = PutPerson("{}");
  auto read = Begin(TxMode::kRead);
  const auto before = std::move(read->History("persons", r.id)).value();
  read.reset();
  ASSERT_EQ(before.size(), 1u);
  const std::string changes = R"([{"from":null,"path":"prs_FirstName","to":"enc:v2:AAAA"}])";
  {
    auto tx = Begin(TxMode::kWrite);
    ASSERT_TRUE(tx->RewriteHistoryChanges(before[0].seq, changes).ok());
    EXPECT_EQ(tx->RewriteHistoryChanges(before[0].seq + 1000, "[]").code(), StatusCode::kNotFound);
    ASSERT_TRUE(tx->Commit().ok());
  }
  {
    auto tx = Begin(TxMode::kRead);
    EXPECT_FALSE(tx->RewriteHistoryChanges(before[0].seq, "[]").ok());
  }
  auto tx = Begin(TxMode::kRead);
  auto after = tx->History("persons", r.id);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  HistoryEntry expected = before[0];
  expected.changes = changes;
  EXPECT_EQ((*after)[0].seq, expected.seq);
  EXPECT_EQ((*after)[0].action, expected.action);
  EXPECT_EQ((*after)[0].at, expected.at);
  EXPECT_EQ(json::parse((*after)[0].changes), json::parse(changes));
}

// Issue 3 §7 end to end on a real database: records, history and a TOTP
// secret sealed under v1; after ResealAll, v1 can be removed from the ring and
// everything still opens (the user signs in with their authenticator code).
TEST_P(MaintenanceContractTest, Issue3_RotationResealsRecordsHistoryAndTotpSecrets) {
  app::testing::TestKeys keys;
  keys.Add();
  const core::KeyRing ring1 = keys.Ring();
  app::IdentityStore* identity = app::AsIdentityStore(*store_);
  ASSERT_NE(identity, nullptr);

  // Reference data and a user with a sealed TOTP secret, through the app.
  app::RecordService records(*store_, domain::CodeLists::Builtin(), core::SystemClock());
  auto agency = records.Create(*domain::FindResource("agencies"),
                               {{"org_Code", "BK-PPD"},
                                {"org_NameLo", "ຕຳຫຼວດ"},
                                {"org_NameEn", "Police"},
                                {"org_Type", "LawEnforcement"},
                                {"org_Level", "provincial"}},
                               app::SystemPrincipal());
  ASSERT_TRUE(agency.ok()) << agency.status().ToString();
  app::AuthOptions options1;
  options1.keyring = &ring1;
  app::AuthService auth1(*identity, core::SystemClock(), options1);
  ASSERT_TRUE(auth1.EnsureBuiltinRoles().ok());
  const std::string password = "correct horse battery staple";
  auto user = auth1.CreateUser({"somchai", "Somchai", "BK-PPD", "case_worker", password});
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  auto enrolment = auth1.EnrolTotpForUser("somchai");
  ASSERT_TRUE(enrolment.ok()) << enrolment.status().ToString();

  // 7 persons sealed with FieldCipher (RecordService does not seal yet).
  const app::FieldCipher cipher1(ring1);
  std::vector<std::pair<std::string, json>> persons;
  for (int i = 0; i < 7; ++i) {
    const json plain = {{"prs_FirstName", "ສົມພອນ " + std::to_string(i)}, {"prs_Sex", "F"}};
    json body = plain;
    StoredRecord r;
    r.id = core::NewId();
    ASSERT_TRUE(cipher1.SealBody(Persons(), r.id, body).ok());
    json changes = domain::Diff(json(), plain);
    ASSERT_TRUE(cipher1.SealChanges(Persons(), r.id, 1, changes).ok());
    r.version = 1;
    r.created_at = r.updated_at = "2026-01-05T08:00:00.000Z";
    r.columns.resize(PersonTable().columns.size());
    r.body = body.dump();
    auto tx = Begin(TxMode::kWrite);
    ASSERT_TRUE(tx->Insert(PersonTable(), r).ok());
    ASSERT_TRUE(tx->AppendHistory({0, "persons", r.id, 1, "create", "local", r.created_at, changes.dump(), {}}).ok());
    ASSERT_TRUE(tx->Commit().ok());
    persons.emplace_back(r.id, plain);
  }
  auto counts = app::CountSealedByVersion(*store_);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(*counts, (std::map<int, std::int64_t>{{1, 7 + 7 + 1}}));

  keys.Add();
  const core::KeyRing ring12 = keys.Ring();
  auto report = app::ResealAll(*store_, ring12, {.batch_size = 3});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->records.resealed, 7);
  EXPECT_EQ(report->history.resealed, 7);
  EXPECT_EQ(report->secrets.resealed, 1);
  EXPECT_EQ(report->unreadable, 0);
  counts = app::CountSealedByVersion(*store_);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, (std::map<int, std::int64_t>{{2, 15}}));

  // Version 1 removed: everything still opens.
  keys.data.erase(1);
  const core::KeyRing ring2 = keys.Ring();
  const app::FieldCipher cipher2(ring2);
  auto tx = Begin(TxMode::kRead);
  for (const auto& [id, plain] : persons) {
    auto got = tx->Get(PersonTable(), id);
    ASSERT_TRUE(got.ok() && got->has_value());
    json body = json::parse((*got)->body);
    ASSERT_TRUE(cipher2.OpenBody(Persons(), id, body).ok());
    EXPECT_EQ(body, plain);
    auto history = tx->History("persons", id);
    ASSERT_TRUE(history.ok() && history->size() == 1u);
    json changes = json::parse((*history)[0].changes);
    ASSERT_TRUE(cipher2.OpenChanges(Persons(), id, 1, changes).ok());
    EXPECT_EQ(changes, domain::Diff(json(), plain));
  }
  tx.reset();

  app::AuthOptions options2;
  options2.keyring = &ring2;
  app::AuthService auth2(*identity, core::SystemClock(), options2);
  auto secret = core::Base32Decode(enrolment->secret_base32);
  ASSERT_TRUE(secret.ok());
  auto signed_in = auth2.SignIn({"somchai", password, core::TotpCode(*secret, std::time(nullptr)), ""});
  ASSERT_TRUE(signed_in.ok()) << signed_in.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(Backends, MaintenanceContractTest, ::testing::ValuesIn(Backends()),
                         testing_backends::BackendName);

}  // namespace
}  // namespace ctims
