#include "app/audit_log.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "app/in_memory_records_test_util.hpp"
#include "core/crypto.hpp"
#include "core/id.hpp"

namespace ctims::app {
namespace {

using core::StatusCode;

// An in-memory Store with the contract's rules that the audit log relies on:
// write transactions are serialised (a mutex held from Begin to the end of
// the transaction), work is applied to a copy published at Commit, so
// rollback-on-destroy is real. Commit can be slowed down (like an fsync) or
// made to fail.
class FakeStore final : public Store {
 public:
  class Tx final : public testing::InMemoryRecordOps<StoreTransaction> {
   public:
    Tx(FakeStore& store, std::unique_lock<std::mutex> write_lock)
        : store_(store), write_lock_(std::move(write_lock)), data_(store.Snapshot()) {}
    core::Status Commit() override {
      if (!write_lock_.owns_lock()) return core::Status::Ok();
      if (store_.commit_delay.count() > 0) std::this_thread::sleep_for(store_.commit_delay);
      if (store_.fail_commit) return core::Status::Unavailable("disk full");
      const std::lock_guard lock(store_.data_mutex_);
      store_.data_ = data_;
      ++store_.commits;
      return core::Status::Ok();
    }

   protected:
    testing::InMemoryRecords& records() override { return data_; }
    bool writable() const override { return write_lock_.owns_lock(); }

   private:
    FakeStore& store_;
    std::unique_lock<std::mutex> write_lock_;
    testing::InMemoryRecords data_;
  };

  core::Result<std::unique_ptr<StoreTransaction>> Begin(TxMode mode) override {
    std::unique_lock<std::mutex> write_lock;
    if (mode == TxMode::kWrite) write_lock = std::unique_lock(write_mutex_);
    return std::unique_ptr<StoreTransaction>(std::make_unique<Tx>(*this, std::move(write_lock)));
  }
  core::Result<int> Migrate() override { return 1; }
  core::Result<int> SchemaVersion() override { return 1; }
  int LatestSchemaVersion() const override { return 1; }
  core::Status CheckIntegrity() override { return core::Status::Ok(); }
  std::string BackendName() const override { return "fake"; }

  testing::InMemoryRecords Snapshot() {
    const std::lock_guard lock(data_mutex_);
    return data_;
  }
  // Whether a committed audit row holds these record ids (JSON array text).
  bool HasCommittedAudit(const std::string& record_ids) {
    const std::lock_guard lock(data_mutex_);
    for (const auto& [seq, row] : data_.audit) {
      if (row.record_ids == record_ids) return true;
    }
    return false;
  }
  // Direct access to the stored rows, for tampering.
  std::map<std::int64_t, AuditRow>& audit() { return data_.audit; }

  std::atomic<bool> fail_commit = false;
  std::chrono::microseconds commit_delay{0};
  std::atomic<int> commits = 0;

 private:
  std::mutex write_mutex_;
  std::mutex data_mutex_;
  testing::InMemoryRecords data_;
};

AuditEvent Event(const std::string& action = "read", std::vector<std::string> ids = {}) {
  AuditEvent e;
  e.user_id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
  e.role = "case_worker";
  e.agency_id = "0190a1b2-c3d4-7e5f-8a9b-000000000001";
  e.client_ip = "192.0.2.10";
  e.action = action;
  e.resource = "persons";
  e.record_ids = ids.empty() ? std::vector<std::string>{core::NewId()} : std::move(ids);
  e.outcome = "ok";
  return e;
}

class AuditLogTest : public ::testing::Test {
 protected:
  AuditVerifyResult Verify(const std::optional<AuditCheckpoint>& checkpoint = std::nullopt) {
    auto r = VerifyAudit(store_, checkpoint, keys_.public_key);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : AuditVerifyResult{};
  }
  void RecordN(int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(log_.Record(Event()).ok());
  }
  AuditCheckpoint Checkpoint() {
    auto c = MakeCheckpoint(store_, keys_.secret_key, clock_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : AuditCheckpoint{};
  }

  FakeStore store_;
  core::ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1'780'000'000))};
  AuditLog log_{store_, clock_};
  core::SigningKeyPair keys_ = core::NewSigningKeyPair();
};

// ---- the chain ----

TEST_F(AuditLogTest, FirstEventStartsFromTheGenesisHashAndHashesEveryField) {
  AuditEvent e = Event("update", {"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d"});
  ASSERT_TRUE(log_.Record(e).ok());
  const AuditRow row = store_.audit().at(1);
  EXPECT_EQ(row.seq, 1);
  EXPECT_EQ(row.prev_hash, std::string(64, '0'));
  EXPECT_EQ(row.at, core::FormatTimestamp(clock_.Now()));
  EXPECT_EQ(row.user_id, e.user_id);
  EXPECT_EQ(row.role, "case_worker");
  EXPECT_EQ(row.agency_id, e.agency_id);
  EXPECT_EQ(row.client_ip, "192.0.2.10");
  EXPECT_EQ(row.action, "update");
  EXPECT_EQ(row.resource, "persons");
  EXPECT_EQ(row.record_ids, R"(["0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c","0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d"])");
  EXPECT_EQ(row.outcome, "ok");

  // The documented formula, rebuilt here independently of the implementation.
  std::string message = std::string(64, '0') + "ctims-audit-v1";
  for (const std::string& part : {std::string("1"), row.at, row.user_id, row.role, row.agency_id, row.client_ip,
                                  row.action, row.resource, row.record_ids, row.outcome}) {
    for (int shift = 56; shift >= 0; shift -= 8) message += static_cast<char>((part.size() >> shift) & 0xFF);
    message += part;
  }
  EXPECT_EQ(row.hash, core::Sha256Hex(message));
  EXPECT_EQ(ComputeAuditHash(row), row.hash);

  // Every field is covered: changing any one changes the hash.
  for (std::string AuditRow::*field :
       {&AuditRow::at, &AuditRow::user_id, &AuditRow::role, &AuditRow::agency_id, &AuditRow::client_ip,
        &AuditRow::action, &AuditRow::resource, &AuditRow::record_ids, &AuditRow::outcome, &AuditRow::prev_hash}) {
    AuditRow changed = row;
    changed.*field += "x";
    EXPECT_NE(ComputeAuditHash(changed), row.hash);
  }
  AuditRow renumbered = row;
  renumbered.seq = 2;
  EXPECT_NE(ComputeAuditHash(renumbered), row.hash);
}

TEST_F(AuditLogTest, LengthPrefixesKeepShiftedFieldsApart) {
  AuditRow a;
  a.seq = 1;
  a.prev_hash = std::string(kAuditGenesisHash);
  a.user_id = "ab";
  a.role = "c";
  AuditRow b = a;
  b.user_id = "a";
  b.role = "bc";
  EXPECT_NE(ComputeAuditHash(a), ComputeAuditHash(b));
}

TEST_F(AuditLogTest, EachEventCommitsToThePreviousOne) {
  RecordN(5);
  clock_.Advance(std::chrono::minutes(1));
  RecordN(1);
  ASSERT_EQ(store_.audit().size(), 6u);
  std::string prev(64, '0');
  for (std::int64_t seq = 1; seq <= 6; ++seq) {
    const AuditRow& row = store_.audit().at(seq);
    EXPECT_EQ(row.prev_hash, prev) << seq;
    EXPECT_EQ(row.hash, ComputeAuditHash(row)) << seq;
    prev = row.hash;
  }
  const AuditVerifyResult v = Verify();
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.count, 6);
}

TEST_F(AuditLogTest, AppendIsPartOfTheCallersTransaction) {
  RecordN(2);
  {
    auto tx = store_.Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(log_.Append(**tx, Event("update")).ok());
    // Destroyed without Commit: the event goes with the change it records.
  }
  EXPECT_EQ(store_.Snapshot().audit.size(), 2u);
  {
    auto tx = store_.Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    StoredRecord r;
    r.id = core::NewId();
    r.version = 1;
    ASSERT_TRUE((*tx)->Insert({"persons", {}, true, ""}, r).ok());
    ASSERT_TRUE(log_.Append(**tx, Event("create", {r.id})).ok());
    ASSERT_TRUE(log_.Append(**tx, Event("update", {r.id})).ok());  // a second event in the same transaction
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  const auto data = store_.Snapshot();
  ASSERT_EQ(data.audit.size(), 4u);
  EXPECT_EQ(data.audit.at(3).action, "create");
  EXPECT_EQ(data.audit.at(4).prev_hash, data.audit.at(3).hash);
  EXPECT_EQ(data.tables.at("persons").size(), 1u);
  EXPECT_TRUE(Verify().ok);
}

TEST_F(AuditLogTest, AppendInAReadTransactionFails) {
  auto tx = store_.Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  EXPECT_FALSE(log_.Append(**tx, Event()).ok());
}

// ---- group commit ----

TEST_F(AuditLogTest, GroupCommitUnderSixteenThreads) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 200;
  store_.commit_delay = std::chrono::microseconds(200);  // an fsync, roughly
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        AuditEvent e = Event(i % 2 == 0 ? "read" : "list");
        e.client_ip = "10.0.0." + std::to_string(t);
        if (!log_.Record(e).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  const auto data = store_.Snapshot();
  ASSERT_EQ(data.audit.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(data.audit.begin()->first, 1);
  EXPECT_EQ(data.audit.rbegin()->first, kThreads * kPerThread);
  // Each thread's events all arrived.
  std::map<std::string, int> per_ip;
  for (const auto& [seq, row] : data.audit) ++per_ip[row.client_ip];
  ASSERT_EQ(per_ip.size(), static_cast<std::size_t>(kThreads));
  for (const auto& [ip, n] : per_ip) EXPECT_EQ(n, kPerThread) << ip;
  // Waiting callers were batched: far fewer commits than events.
  EXPECT_LT(store_.commits.load(), kThreads * kPerThread / 2) << "no group commit";
  // The chain is whole (and verification pages through 3,200 rows).
  const AuditVerifyResult v = Verify();
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.count, kThreads * kPerThread);
}

// Regression test for the batch wake-up (each batch wakes only its own
// callers; its opener leads it) and the head read once per batch: many
// threads, some appending inside write transactions of their own between the
// batches. Every caller returns only once its event is committed, the chain
// is exact, and batches stay large.
TEST_F(AuditLogTest, EveryCallerReturnsOnlyOnceItsEventIsCommitted) {
  constexpr int kThreads = 32;
  constexpr int kPerThread = 40;
  constexpr int kAppenders = 2;
  store_.commit_delay = std::chrono::microseconds(300);
  std::atomic<int> failures = 0;
  std::atomic<int> not_durable = 0;
  std::atomic<int> no_commit_since = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        const AuditEvent e = Event();
        const std::string ids = "[\"" + e.record_ids[0] + "\"]";
        const int commits_before = store_.commits.load();
        if (!log_.Record(e).ok()) {
          ++failures;
          continue;
        }
        if (store_.commits.load() <= commits_before) ++no_commit_since;
        if (!store_.HasCommittedAudit(ids)) ++not_durable;
      }
    });
  }
  for (int t = 0; t < kAppenders; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        auto tx = store_.Begin(TxMode::kWrite);
        if (!tx.ok() || !log_.Append(**tx, Event("update")).ok() || !(*tx)->Commit().ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(not_durable, 0) << "a caller returned before its event was committed";
  EXPECT_EQ(no_commit_since, 0);
  constexpr int kEvents = (kThreads + kAppenders) * kPerThread;
  EXPECT_EQ(store_.Snapshot().audit.size(), static_cast<std::size_t>(kEvents));
  // Batches gathered: far fewer commits than recorded events.
  EXPECT_LT(store_.commits.load(), kThreads * kPerThread / 2) << "batches too small";
  const AuditVerifyResult v = Verify();
  EXPECT_TRUE(v.ok) << v.reason << " at " << v.broken_seq;
  EXPECT_EQ(v.count, kEvents);
}

TEST_F(AuditLogTest, AFailedBatchFailsEveryCallerAndWritesNothing) {
  store_.fail_commit = true;
  store_.commit_delay = std::chrono::microseconds(200);
  std::atomic<int> unavailable = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if (log_.Record(Event()).code() == StatusCode::kUnavailable) ++unavailable;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(unavailable, 8 * 20);
  EXPECT_TRUE(store_.Snapshot().audit.empty());
  store_.fail_commit = false;
  RecordN(1);
  EXPECT_EQ(store_.Snapshot().audit.begin()->first, 1);
}

// ---- what may be stored ----

TEST_F(AuditLogTest, RefusesPersonalLookingText) {
  struct Case {
    const char* what;
    std::function<void(AuditEvent&)> change;
    const char* path;
  };
  const std::vector<Case> cases = {
      {"a name as user id", [](AuditEvent& e) { e.user_id = "Somchai Phommachanh"; }, "user_id"},
      {"an email as user id", [](AuditEvent& e) { e.user_id = "somchai@example.org"; }, "user_id"},
      {"Lao script in a record id", [](AuditEvent& e) { e.record_ids = {"ສົມພອນ"}; }, "record_ids"},
      {"a passport phrase as record id", [](AuditEvent& e) { e.record_ids = {"passport P1234567"}; }, "record_ids"},
      {"a quote in a record id", [](AuditEvent& e) { e.record_ids = {"a\"b"}; }, "record_ids"},
      {"an over-long id", [](AuditEvent& e) { e.agency_id = std::string(33, 'a'); }, "agency_id"},
      {"a narrative as outcome", [](AuditEvent& e) { e.outcome = "ok: she was sold twice"; }, "outcome"},
      {"a password as outcome", [](AuditEvent& e) { e.outcome = "password=hunter2!"; }, "outcome"},
      {"a capitalised action", [](AuditEvent& e) { e.action = "Read"; }, "action"},
      {"no action", [](AuditEvent& e) { e.action = ""; }, "action"},
      {"no outcome", [](AuditEvent& e) { e.outcome = ""; }, "outcome"},
      {"a search term as resource", [](AuditEvent& e) { e.resource = "persons?name=somchai"; }, "resource"},
      {"a spaced role", [](AuditEvent& e) { e.role = "case worker"; }, "role"},
      {"a host name as client ip", [](AuditEvent& e) { e.client_ip = "somchai-laptop"; }, "client_ip"},
      {"an ip with a port", [](AuditEvent& e) { e.client_ip = "192.0.2.1:443"; }, "client_ip"},
      {"a session token", [](AuditEvent& e) { e.record_ids = {core::RandomToken()}; }, "record_ids"},
      {"too many ids", [](AuditEvent& e) { e.record_ids.assign(kMaxAuditRecordIds + 1, "x"); }, "record_ids"},
  };
  for (const auto& c : cases) {
    AuditEvent e = Event();
    c.change(e);
    const core::Status s = log_.Record(e);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.what;
    ASSERT_FALSE(s.field_errors().empty()) << c.what;
    EXPECT_EQ(s.field_errors()[0].path, c.path) << c.what;
    EXPECT_EQ(s.message().find("Somchai"), std::string::npos);
    auto tx = store_.Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    EXPECT_EQ(log_.Append(**tx, e).code(), StatusCode::kInvalidArgument) << c.what;
  }
  EXPECT_TRUE(store_.Snapshot().audit.empty());
}

TEST_F(AuditLogTest, AcceptsIdsCodesAndIpLiterals) {
  AuditEvent e = Event();
  e.client_ip = "2001:db8::1";
  e.agency_id = "BK-DMC-TPH";
  e.user_id = "";  // a failed sign-in of an unknown user names nobody
  e.role = "";
  e.resource = "";
  e.record_ids = {};
  e.action = "sign_in";
  e.outcome = "bad_credentials";
  EXPECT_TRUE(log_.Record(e).ok());
  e.client_ip = "";  // the command line has no client
  e.user_id = "seed";
  EXPECT_TRUE(log_.Record(e).ok());
  EXPECT_EQ(store_.Snapshot().audit.at(1).record_ids, "[]");
}

// ---- verification ----

TEST_F(AuditLogTest, VerifyNamesTheEditedEvent) {
  RecordN(10);
  store_.audit().at(4).outcome = "denied";
  const AuditVerifyResult v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.broken_seq, 4);
  EXPECT_EQ(v.count, 3);
  EXPECT_NE(v.reason.find("edited"), std::string::npos) << v.reason;
}

TEST_F(AuditLogTest, VerifyNamesTheDeletedEvent) {
  RecordN(10);
  store_.audit().erase(6);
  const AuditVerifyResult v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.broken_seq, 6);
  EXPECT_NE(v.reason.find("missing"), std::string::npos) << v.reason;

  store_.audit().erase(1);
  EXPECT_EQ(Verify().broken_seq, 1);
}

TEST_F(AuditLogTest, VerifyNamesAReorderedEvent) {
  RecordN(10);
  AuditRow three = store_.audit().at(3);
  AuditRow seven = store_.audit().at(7);
  std::swap(three.seq, seven.seq);
  store_.audit()[3] = seven;
  store_.audit()[7] = three;
  const AuditVerifyResult v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.broken_seq, 3);
  EXPECT_NE(v.reason.find("reordered"), std::string::npos) << v.reason;
}

TEST_F(AuditLogTest, TruncationIsSeenOnlyWithACheckpoint) {
  RecordN(10);
  const AuditCheckpoint checkpoint = Checkpoint();
  EXPECT_EQ(checkpoint.seq, 10);
  EXPECT_TRUE(Verify(checkpoint).ok);
  store_.audit().erase(9);
  store_.audit().erase(10);
  const AuditVerifyResult plain = Verify();
  EXPECT_TRUE(plain.ok) << "a hash chain alone cannot see a cut tail";
  EXPECT_EQ(plain.count, 8);
  const AuditVerifyResult v = Verify(checkpoint);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.broken_seq, 9);
  EXPECT_NE(v.reason.find("truncated"), std::string::npos) << v.reason;
}

TEST_F(AuditLogTest, ARewrittenChainDiffersFromTheCheckpoint) {
  RecordN(10);
  const AuditCheckpoint checkpoint = Checkpoint();
  // Whoever knows the formula can edit event 5 and recompute every hash after
  // it: the chain is sound again, but no longer the one that was signed.
  store_.audit().at(5).outcome = "denied";
  for (std::int64_t seq = 5; seq <= 10; ++seq) {
    AuditRow& row = store_.audit().at(seq);
    row.prev_hash = store_.audit().at(seq - 1).hash;
    row.hash = ComputeAuditHash(row);
  }
  EXPECT_TRUE(Verify().ok);
  const AuditVerifyResult v = Verify(checkpoint);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.broken_seq, 10);
  EXPECT_NE(v.reason.find("rewritten"), std::string::npos) << v.reason;
}

TEST_F(AuditLogTest, ACheckpointMustBeSignedByTheKeyGiven) {
  RecordN(3);
  AuditCheckpoint checkpoint = Checkpoint();
  EXPECT_TRUE(CheckpointSignatureValid(checkpoint, keys_.public_key));
  // Another key.
  const auto other = core::NewSigningKeyPair();
  auto v = VerifyAudit(store_, checkpoint, other.public_key);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_NE(v->reason.find("signature"), std::string::npos);
  // No key at all.
  v = VerifyAudit(store_, checkpoint);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  // An altered checkpoint (a lower seq, to hide a truncation).
  checkpoint.seq = 2;
  checkpoint.hash = store_.audit().at(2).hash;
  EXPECT_FALSE(Verify(checkpoint).ok);
}

TEST_F(AuditLogTest, CheckpointOfAnEmptyLog) {
  const AuditCheckpoint checkpoint = Checkpoint();
  EXPECT_EQ(checkpoint.seq, 0);
  EXPECT_EQ(checkpoint.hash, kAuditGenesisHash);
  const AuditVerifyResult v = Verify(checkpoint);
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.count, 0);
  RecordN(2);
  EXPECT_TRUE(Verify(checkpoint).ok);
}

TEST_F(AuditLogTest, CheckpointTextRoundTrips) {
  RecordN(4);
  const AuditCheckpoint checkpoint = Checkpoint();
  const std::string line = FormatCheckpoint(checkpoint);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_TRUE(line.starts_with("ctims-audit-checkpoint 1 4 " + store_.audit().at(4).hash + " ")) << line;
  auto parsed = ParseCheckpoint(line + "\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, checkpoint);
  EXPECT_TRUE(CheckpointSignatureValid(*parsed, keys_.public_key));

  for (const std::string& bad :
       {std::string(""), std::string("ctims-audit-checkpoint 1 4"), line.substr(0, line.size() - 4),
        std::string("ctims-audit-checkpoint 2") + line.substr(24), line + " extra",
        "ctims-audit-checkpoint 1 -4 " + line.substr(27), "ctims-audit-checkpoint 1 04 " + line.substr(27)}) {
    EXPECT_EQ(ParseCheckpoint(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST_F(AuditLogTest, ACheckpointFileStandsForItsLastLine) {
  RecordN(2);
  const AuditCheckpoint older = Checkpoint();
  RecordN(1);
  const AuditCheckpoint newer = Checkpoint();
  auto parsed = ParseCheckpointFile("# kept off the server\n" + FormatCheckpoint(older) + "\n\n" +
                                    FormatCheckpoint(newer) + "\r\n\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, newer);
  EXPECT_FALSE(ParseCheckpointFile("").ok());
  EXPECT_FALSE(ParseCheckpointFile("# nothing\n\n").ok());
  EXPECT_FALSE(ParseCheckpointFile(FormatCheckpoint(older) + "\ngarbage\n").ok());
}

}  // namespace
}  // namespace ctims::app
