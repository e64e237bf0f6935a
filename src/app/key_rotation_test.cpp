#include "app/key_rotation.hpp"

#include "app/record_service.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <memory>

#include "app/in_memory_records_test_util.hpp"
#include "app/keyring_test_util.hpp"
#include "domain/diff.hpp"
#include "domain/schema.hpp"

namespace ctims::app {
namespace {

using nlohmann::json;

// Records only (no identity side). Transactions work on a copy published at
// Commit; `commits_left` makes a commit fail, like a crash between batches.
class FakeStore final : public Store {
 public:
  class Tx final : public testing::InMemoryRecordOps<StoreTransaction> {
   public:
    Tx(FakeStore& store, bool write) : store_(store), data_(store.data_), write_(write) {}
    core::Status Commit() override {
      if (write_ && store_.commits_left == 0) return core::Status::Unavailable("disk full");
      if (write_ && store_.commits_left > 0) --store_.commits_left;
      if (write_) ++store_.write_commits;
      store_.data_ = data_;
      return core::Status::Ok();
    }

   protected:
    testing::InMemoryRecords& records() override { return data_; }
    bool writable() const override { return write_; }

   private:
    FakeStore& store_;
    testing::InMemoryRecords data_;
    bool write_;
  };

  core::Result<std::unique_ptr<StoreTransaction>> Begin(TxMode mode) override {
    return std::unique_ptr<StoreTransaction>(std::make_unique<Tx>(*this, mode == TxMode::kWrite));
  }
  core::Result<int> Migrate() override { return 1; }
  core::Result<int> SchemaVersion() override { return 1; }
  int LatestSchemaVersion() const override { return 1; }
  core::Status CheckIntegrity() override { return core::Status::Ok(); }
  std::string BackendName() const override { return "fake"; }

  int commits_left = -1;  // < 0: never fail
  int write_commits = 0;
  testing::InMemoryRecords data_;
};

class KeyRotationTest : public ::testing::Test {
 protected:
  static constexpr int kPersons = 120;

  KeyRotationTest() {
    keys_.Add();
    const core::KeyRing ring = keys_.Ring();
    const FieldCipher cipher(ring);
    const auto& persons = Persons();
    auto tx = std::move(store_.Begin(TxMode::kWrite)).value();
    for (int i = 0; i < kPersons; ++i) {
      const std::string id = "person-" + std::to_string(1000 + i);
      const json plain = Plain(i);
      json body = plain;
      EXPECT_TRUE(cipher.SealBody(persons, id, body).ok());
      StoredRecord r{id,          1, "t", "t", std::vector<std::optional<std::string>>(persons.ColumnNames().size()),
                     body.dump(), {}};
      EXPECT_TRUE(tx->Insert(TableFor(persons), r).ok());
      json changes = domain::Diff(json(), plain);
      EXPECT_TRUE(cipher.SealChanges(persons, id, 1, changes).ok());
      EXPECT_TRUE(tx->AppendHistory({0, persons.name, id, 1, "create", "local", "t", changes.dump(), {}}).ok());
    }
    EXPECT_TRUE(tx->Commit().ok());
  }

  static const domain::ResourceSpec& Persons() { return *domain::FindResource("persons"); }
  static json Plain(int i) {
    return {{"prs_FirstName", "Somphone " + std::to_string(i)}, {"prs_Aliases", {"Noy"}}, {"prs_Sex", "F"}};
  }

  // Every body and history entry opens with `ring` and holds what was written.
  void ExpectAllReadable(const core::KeyRing& ring) {
    const FieldCipher cipher(ring);
    const auto& persons = Persons();
    int i = 0;
    for (const auto& [id, r] : store_.data_.tables[persons.table]) {
      json body = json::parse(r.body);
      ASSERT_TRUE(cipher.OpenBody(persons, id, body).ok()) << id;
      EXPECT_EQ(body, Plain(i++));
    }
    EXPECT_EQ(i, kPersons);
    for (const auto& e : store_.data_.history) {
      json changes = json::parse(e.changes);
      ASSERT_TRUE(cipher.OpenChanges(persons, e.record_id, e.version, changes).ok()) << e.seq;
    }
  }

  std::map<int, std::int64_t> Counts() {
    auto counts = CountSealedByVersion(store_);
    EXPECT_TRUE(counts.ok()) << counts.status().ToString();
    return counts.ok() ? *counts : std::map<int, std::int64_t>();
  }

  testing::TestKeys keys_;
  FakeStore store_;
};

TEST_F(KeyRotationTest, ResealsBodiesAndHistoryInBatchesAndOldVersionCanGo) {
  // Two sealed fields per body and two "to" values per create entry.
  EXPECT_EQ(Counts(), (std::map<int, std::int64_t>{{1, 4 * kPersons}}));
  keys_.Add();
  const core::KeyRing ring = keys_.Ring();
  const int before = store_.write_commits;
  auto report = ResealAll(store_, ring, {.batch_size = 50});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->key_version, 2);
  EXPECT_EQ(report->records.resealed, 2 * kPersons);
  EXPECT_EQ(report->history.resealed, 2 * kPersons);
  EXPECT_EQ(report->rows_rewritten, 2 * kPersons);
  EXPECT_EQ(report->unreadable, 0);
  // 120 rows in batches of 50: 3 write transactions for bodies, 3 for history
  // (the other resources have no rows: nothing to commit).
  EXPECT_EQ(store_.write_commits - before, 6);
  EXPECT_EQ(Counts(), (std::map<int, std::int64_t>{{2, 4 * kPersons}}));

  testing::TestKeys only2 = keys_;
  only2.data.erase(1);
  ExpectAllReadable(only2.Ring());

  // Idempotent: a second run rewrites nothing and commits nothing.
  const int commits = store_.write_commits;
  auto again = ResealAll(store_, ring, {.batch_size = 50});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rows_rewritten, 0);
  EXPECT_EQ(store_.write_commits, commits);
  EXPECT_EQ(again->records.current, 2 * kPersons);
}

TEST_F(KeyRotationTest, CrashHalfWayLeavesEverythingReadableAndARerunFinishes) {
  keys_.Add();
  const core::KeyRing ring = keys_.Ring();
  store_.commits_left = 1;  // the first batch commits, the second fails
  auto report = ResealAll(store_, ring, {.batch_size = 50});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), core::StatusCode::kUnavailable);
  const auto mixed = Counts();
  EXPECT_EQ(mixed.at(2), 2 * 50);  // one batch of bodies
  EXPECT_EQ(mixed.at(1), 4 * kPersons - 2 * 50);
  ExpectAllReadable(ring);  // old and new versions are both in the ring

  store_.commits_left = -1;
  report = ResealAll(store_, ring, {.batch_size = 50});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->records.current, 2 * 50);
  EXPECT_EQ(report->records.resealed, 2 * (kPersons - 50));
  EXPECT_EQ(Counts(), (std::map<int, std::int64_t>{{2, 4 * kPersons}}));
}

TEST_F(KeyRotationTest, ClearValuesAreCountedAsZeroAndSealed) {
  const auto& persons = Persons();
  StoredRecord legacy{"person-legacy",
                      3,
                      "t",
                      "t",
                      std::vector<std::optional<std::string>>(0),
                      json{{"prs_FirstName", "Bounmy"}, {"prs_Sex", "M"}}.dump(),
                      {}};
  legacy.columns.resize(persons.ColumnNames().size());
  store_.data_.tables[persons.table][legacy.id] = legacy;
  EXPECT_EQ(Counts().at(0), 1);

  auto report = ResealAll(store_, keys_.Ring());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->records.sealed_plaintext, 1);
  EXPECT_EQ(Counts().count(0), 0u);
  json body = json::parse(store_.data_.tables[persons.table][legacy.id].body);
  EXPECT_EQ(store_.data_.tables[persons.table][legacy.id].version, 3);  // no version bump
  const core::KeyRing ring = keys_.Ring();
  ASSERT_TRUE(FieldCipher(ring).OpenBody(persons, legacy.id, body).ok());
  EXPECT_EQ(body["prs_FirstName"], "Bounmy");
}

TEST_F(KeyRotationTest, UnreadableValueIsReportedByIdAndKeepsItsVersion) {
  const auto& persons = Persons();
  auto& victim = store_.data_.tables[persons.table]["person-1005"];
  json body = json::parse(victim.body);
  std::swap(body["prs_FirstName"], body["prs_Aliases"]);  // moved between fields: does not open
  victim.body = body.dump();

  keys_.Add();
  auto report = ResealAll(store_, keys_.Ring(), {.batch_size = 50});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->unreadable, 1);
  ASSERT_EQ(report->unreadable_rows.size(), 1u);
  EXPECT_EQ(report->unreadable_rows[0], "persons/person-1005");
  EXPECT_EQ(report->records.resealed, 2 * (kPersons - 1));
  // The old version is still in use, so it must not be removed.
  EXPECT_EQ(Counts().at(1), 2);
}

TEST_F(KeyRotationTest, ZeroBatchIsRefused) {
  EXPECT_EQ(ResealAll(store_, keys_.Ring(), {.batch_size = 0}).status().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ctims::app
