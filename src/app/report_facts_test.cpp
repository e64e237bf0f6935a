#include "app/report_facts.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "app/in_memory_records_test_util.hpp"

// The counting itself is compared byte for byte with the in-app and SQL
// paths on real databases (tests/api/issue5_report_facts_test.cpp); here:
// the shared rules and the freshness bookkeeping over history seqs, which a
// fake store lets us drive (PostgreSQL's out-of-order commits included).

namespace ctims::app {
namespace {

class FakeStore final : public Store {
 public:
  class Tx final : public testing::InMemoryRecordOps<StoreTransaction> {
   public:
    explicit Tx(FakeStore& store) : data_(store.data_) {}
    core::Status Commit() override { return core::Status::Ok(); }

   protected:
    testing::InMemoryRecords& records() override { return data_; }
    bool writable() const override { return false; }

   private:
    testing::InMemoryRecords data_;
  };

  core::Result<std::unique_ptr<StoreTransaction>> Begin(TxMode) override {
    ++begins;
    return std::unique_ptr<StoreTransaction>(std::make_unique<Tx>(*this));
  }
  core::Result<int> Migrate() override { return 1; }
  core::Result<int> SchemaVersion() override { return 1; }
  int LatestSchemaVersion() const override { return 1; }
  core::Status CheckIntegrity() override { return core::Status::Ok(); }
  std::string BackendName() const override { return "fake"; }

  // A history entry with this seq, as a committed transaction shows it.
  void Commit(std::int64_t seq) {
    HistoryEntry e;
    e.seq = seq;
    e.resource = "persons";
    e.record_id = "0190a000-0000-7000-8000-" + std::to_string(100000000000 + seq);
    e.action = "update";
    auto at = std::upper_bound(data_.history.begin(), data_.history.end(), seq,
                               [](std::int64_t s, const HistoryEntry& h) { return s < h.seq; });
    data_.history.insert(at, e);
  }

  testing::InMemoryRecords data_;
  int begins = 0;
};

TEST(ReportRules, AgeBandsAndFormsAreTheCtdcAndSdgOnes) {
  EXPECT_EQ(ReportAgeBand(std::nullopt), "Unknown");
  EXPECT_EQ(ReportAgeBand(0), "0--8");
  EXPECT_EQ(ReportAgeBand(8), "0--8");
  EXPECT_EQ(ReportAgeBand(9), "9--17");
  EXPECT_EQ(ReportAgeBand(17), "9--17");
  EXPECT_EQ(ReportAgeBand(18), "18--20");
  EXPECT_EQ(ReportAgeBand(47), "39--47");
  EXPECT_EQ(ReportAgeBand(48), "48+");
  EXPECT_EQ(ReportExploitationForm({}), "Unknown");
  EXPECT_EQ(ReportExploitationForm({"ForcedLabour", "SexualExploitation"}), "SexualExploitation");
  EXPECT_EQ(ReportExploitationForm({"ForcedBegging"}), "ForcedLabour");
  EXPECT_EQ(ReportExploitationForm({"Surrogacy"}), "Other");
  EXPECT_EQ(ReportAgeOn("2004-02-29", "2022-02-28"), 17);
  EXPECT_EQ(ReportAgeOn("2004-02-29", "2022-03-01"), 18);
  EXPECT_EQ(ReportAgeOn("2004-02-30", "2022-03-01"), std::nullopt);
  EXPECT_EQ(ReportAgeOn("2023-01-01", "2022-03-01"), std::nullopt);
}

TEST(ReportFactsFreshness, FindsTheLastSeqAndAppliesEachEntryOnceEvenWhenSeqsBecomeVisibleOutOfOrder) {
  FakeStore store;
  for (std::int64_t seq = 1; seq <= 700; ++seq) store.Commit(seq);
  ReportFacts facts(store, nullptr);
  ASSERT_TRUE(facts.Refresh().ok());
  EXPECT_EQ(facts.stats().last_seq, 700);
  EXPECT_EQ(facts.stats().rebuilds, 1);
  EXPECT_EQ(facts.stats().records_reloaded, 0);

  // Nothing new: nothing reloaded.
  ASSERT_TRUE(facts.Refresh().ok());
  EXPECT_EQ(facts.stats().records_reloaded, 0);

  // PostgreSQL: 702 commits first, 701 (handed out earlier) after it.
  store.Commit(702);
  ASSERT_TRUE(facts.Refresh().ok());
  EXPECT_EQ(facts.stats().records_reloaded, 1);
  EXPECT_EQ(facts.stats().last_seq, 702);
  store.Commit(701);
  ASSERT_TRUE(facts.Refresh().ok());
  EXPECT_EQ(facts.stats().records_reloaded, 2) << "a seq below the last seen, not applied yet";
  ASSERT_TRUE(facts.Refresh().ok());
  EXPECT_EQ(facts.stats().records_reloaded, 2) << "applied once";

  // A late commit inside the window, several entries after it.
  for (std::int64_t seq = 704; seq <= 750; ++seq) store.Commit(seq);
  ASSERT_TRUE(facts.Refresh().ok());
  EXPECT_EQ(facts.stats().records_reloaded, 49);
  store.Commit(703);
  ASSERT_TRUE(facts.Refresh().ok());
  EXPECT_EQ(facts.stats().records_reloaded, 50);
  EXPECT_EQ(facts.stats().rebuilds, 1);

  // Too many at once: one rebuild instead of reloading each record.
  for (std::int64_t seq = 751; seq <= 751 + static_cast<std::int64_t>(ReportFacts::kRebuildAbove); ++seq) {
    store.Commit(seq);
  }
  ASSERT_TRUE(facts.Refresh().ok());
  EXPECT_EQ(facts.stats().rebuilds, 2);
  EXPECT_EQ(facts.stats().records_reloaded, 50);
  EXPECT_EQ(facts.stats().last_seq, 751 + static_cast<std::int64_t>(ReportFacts::kRebuildAbove));

  // Invalidate: the next refresh rebuilds.
  facts.Invalidate();
  ASSERT_TRUE(facts.Refresh().ok());
  EXPECT_EQ(facts.stats().rebuilds, 3);
}

TEST(ReportFactsExactness, DeclinesWithoutTheStoresReportQueries) {
  // The facts load through ReportQueries; a store without them cannot be
  // counted exactly, so Count() declines and the report service falls back.
  FakeStore store;
  ReportFacts facts(store, nullptr);
  ReportScope scope;
  scope.to = "2022-09-01";
  auto tally = facts.Count(scope);
  ASSERT_TRUE(tally.ok()) << tally.status().ToString();
  EXPECT_FALSE(tally->has_value());
  EXPECT_FALSE(facts.stats().exact);
}

}  // namespace
}  // namespace ctims::app
