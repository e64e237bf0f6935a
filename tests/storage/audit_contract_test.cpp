// The audit-log storage contract (the "audit log" block of
// app/record_store.hpp): every backend must pass this suite. It speaks only
// the interface; a backend is added by adding a factory to Backends().
#include <gtest/gtest.h>

#include <filesystem>

#include "app/audit_log.hpp"
#include "app/record_service.hpp"
#include "app/record_store.hpp"
#include "backends.hpp"
#include "core/crypto.hpp"
#include "core/id.hpp"
#include "domain/schema.hpp"

namespace ctims {
namespace {

using app::AuditRow;
using app::TxMode;
using core::StatusCode;

using testing_backends::Backends;

class AuditContractTest : public testing_backends::ContractTest {
 protected:
  AuditContractTest() : ContractTest("ctims-audit-contract-") {}

  // A well-formed row (the store does not check the chain; these are only
  // plausible values).
  static AuditRow Row(std::int64_t seq) {
    AuditRow r;
    r.seq = seq;
    r.at = "2026-01-05T08:00:00." + std::to_string(100 + seq % 900) + "Z";
    r.user_id = core::NewId();
    r.role = "case_worker";
    r.agency_id = core::NewId();
    r.client_ip = "2001:db8::" + std::to_string(seq);
    r.action = "read";
    r.resource = "persons";
    r.record_ids = "[\"" + core::NewId() + "\"]";
    r.outcome = "ok";
    r.prev_hash = std::string(64, static_cast<char>('a' + seq % 6));
    r.hash = std::string(64, static_cast<char>('0' + seq % 10));
    return r;
  }

  std::unique_ptr<app::StoreTransaction> Begin(TxMode mode) {
    auto tx = store_->Begin(mode);
    EXPECT_TRUE(tx.ok()) << tx.status().ToString();
    return tx.ok() ? std::move(tx).value() : nullptr;
  }

  void Append(const std::vector<AuditRow>& rows) {
    auto tx = Begin(TxMode::kWrite);
    for (const auto& r : rows) ASSERT_TRUE(tx->AppendAudit(r).ok()) << r.seq;
    ASSERT_TRUE(tx->Commit().ok());
  }

  std::vector<AuditRow> ReadAll() {
    auto tx = Begin(TxMode::kRead);
    auto rows = tx->ReadAudit(0, 1'000'000);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<AuditRow>{};
  }
};

TEST_P(AuditContractTest, EmptyLog) {
  auto tx = Begin(TxMode::kRead);
  auto last = tx->LastAudit();
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_FALSE(last->has_value());
  auto rows = tx->ReadAudit(0, 10);
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
}

TEST_P(AuditContractTest, RowsRoundTripExactly) {
  AuditRow odd = Row(1);
  odd.user_id = "";  // empty fields are kept as empty, not NULL
  odd.client_ip = "";
  odd.record_ids = "[]";
  const std::vector<AuditRow> rows = {odd, Row(2), Row(3)};
  Append(rows);
  EXPECT_EQ(ReadAll(), rows);
  auto tx = Begin(TxMode::kReadOne);
  auto last = tx->LastAudit();
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ(**last, rows[2]);
}

TEST_P(AuditContractTest, ReadAuditPagesInSeqOrder) {
  // Appended out of order: reads are in seq order all the same.
  Append({Row(3), Row(1), Row(5), Row(2), Row(4)});
  auto tx = Begin(TxMode::kRead);
  auto page = tx->ReadAudit(1, 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, 2);
  EXPECT_EQ((*page)[1].seq, 3);
  page = tx->ReadAudit(3, 100);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[1].seq, 5);
  EXPECT_TRUE(tx->ReadAudit(5, 100)->empty());
  EXPECT_TRUE(tx->ReadAudit(0, 0)->empty());
  EXPECT_EQ(tx->ReadAudit(-7, 1)->at(0).seq, 1);
  EXPECT_EQ((*tx->LastAudit())->seq, 5);
}

TEST_P(AuditContractTest, ATakenSeqIsAConflictAndChangesNothing) {
  Append({Row(1), Row(2)});
  auto tx = Begin(TxMode::kWrite);
  AuditRow again = Row(2);
  again.outcome = "denied";
  EXPECT_EQ(tx->AppendAudit(again).code(), StatusCode::kConflict);
  ASSERT_TRUE(tx->Commit().ok());
  const auto rows = ReadAll();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].outcome, "ok");
}

// Issue 9 §6: the audit log's group commit appends a batch in one call (one
// round trip on PostgreSQL).
TEST_P(AuditContractTest, AppendAuditManyAppendsInOrderAndATakenSeqKeepsNothing) {
  Append({Row(1)});
  {
    auto tx = Begin(TxMode::kWrite);
    ASSERT_TRUE(tx->AppendAuditMany({Row(2), Row(3), Row(4)}).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  {
    auto tx = Begin(TxMode::kWrite);
    EXPECT_EQ(tx->AppendAuditMany({Row(5), Row(3)}).code(), StatusCode::kConflict);
  }  // dropped, as the group commit does on an error
  const auto rows = ReadAll();
  ASSERT_EQ(rows.size(), 4u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(rows[i].hash, Row(rows[i].seq).hash);
  }
  auto tx = Begin(TxMode::kWrite);
  EXPECT_TRUE(tx->AppendAuditMany({}).ok());
  ASSERT_TRUE(tx->AppendAuditMany({Row(5)}).ok());
  ASSERT_TRUE(tx->Commit().ok());
  EXPECT_EQ(ReadAll().size(), 5u);
}

TEST_P(AuditContractTest, RowsCommitOrRollBackWithTheirTransaction) {
  Append({Row(1)});
  const app::TableDef agencies = app::TableFor(*domain::FindResource("agencies"));
  app::StoredRecord agency;
  agency.id = core::NewId();
  agency.version = 1;
  agency.created_at = agency.updated_at = "2026-01-05T08:00:00.000Z";
  agency.columns = {"BK-PPD", std::nullopt, std::nullopt};
  agency.columns.resize(agencies.columns.size());
  agency.body = R"({"org_NameLo":"x","org_NameEn":"x","org_Type":"LawEnforcement","org_Level":"provincial"})";
  {
    auto tx = Begin(TxMode::kWrite);
    ASSERT_TRUE(tx->Insert(agencies, agency).ok());
    ASSERT_TRUE(tx->AppendAudit(Row(2)).ok());
    // Seen inside the transaction before commit.
    EXPECT_EQ((*tx->LastAudit())->seq, 2);
  }  // rolled back: neither the record nor its event
  EXPECT_EQ(ReadAll().size(), 1u);
  {
    auto tx = Begin(TxMode::kWrite);
    ASSERT_TRUE(tx->Insert(agencies, agency).ok());
    ASSERT_TRUE(tx->AppendAudit(Row(2)).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  EXPECT_EQ(ReadAll().size(), 2u);
  auto tx = Begin(TxMode::kRead);
  EXPECT_TRUE(*tx->Exists(agencies, agency.id));
}

TEST_P(AuditContractTest, ReadTransactionsCannotAppend) {
  auto tx = Begin(TxMode::kRead);
  EXPECT_FALSE(tx->AppendAudit(Row(1)).ok());
  tx.reset();
  EXPECT_TRUE(ReadAll().empty());
}

TEST_P(AuditContractTest, AReadSnapshotDoesNotSeeLaterAppends) {
  Append({Row(1)});
  auto reader = Begin(TxMode::kRead);
  ASSERT_EQ(reader->ReadAudit(0, 10)->size(), 1u);
  Append({Row(2)});
  EXPECT_EQ(reader->ReadAudit(0, 10)->size(), 1u);
  EXPECT_EQ((*reader->LastAudit())->seq, 1);
}

TEST_P(AuditContractTest, AuditLogOverTheRealStoreVerifies) {
  const core::ManualClock clock(std::chrono::system_clock::time_point(std::chrono::seconds(1'780'000'000)));
  app::AuditLog log(*store_, clock);
  for (int i = 0; i < 25; ++i) {
    app::AuditEvent e{core::NewId(), "supervisor", core::NewId(), "192.0.2.7", "read", "cases", {core::NewId()}, "ok"};
    ASSERT_TRUE(log.Record(e).ok());
  }
  {
    auto tx = Begin(TxMode::kWrite);
    ASSERT_TRUE(log.Append(*tx, {"", "", "", "192.0.2.8", "sign_in", "", {}, "bad_credentials"}).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  const auto keys = core::NewSigningKeyPair();
  auto checkpoint = app::MakeCheckpoint(*store_, keys.secret_key, clock);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().ToString();
  EXPECT_EQ(checkpoint->seq, 26);
  auto v = app::VerifyAudit(*store_, *checkpoint, keys.public_key);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->ok) << v->reason;
  EXPECT_EQ(v->count, 26);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditContractTest, ::testing::ValuesIn(Backends()), testing_backends::BackendName);

}  // namespace
}  // namespace ctims
