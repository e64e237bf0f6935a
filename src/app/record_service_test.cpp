#include "app/record_service.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <map>

#include "app/in_memory_records_test_util.hpp"

namespace ctims::app {
namespace {

using nlohmann::json;

// An in-memory Store for testing the use-case logic alone. Transactions apply
// to a copy and publish it on Commit, so rollback-on-destroy is real.
class FakeStore final : public Store {
 public:
  using Data = testing::InMemoryRecords;

  class Tx final : public testing::InMemoryRecordOps<StoreTransaction> {
   public:
    Tx(FakeStore& store, bool write) : store_(store), data_(store.data_), write_(write) {}
    core::Status Commit() override {
      if (store_.fail_commit) return core::Status::Unavailable("disk full");
      store_.data_ = data_;
      return core::Status::Ok();
    }

   protected:
    testing::InMemoryRecords& records() override { return data_; }
    bool writable() const override { return write_; }

   private:
    FakeStore& store_;
    Data data_;
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

  bool fail_commit = false;
  Data data_;
};

class RecordServiceTest : public ::testing::Test {
 protected:
  const domain::ResourceSpec& Spec(const char* name) { return *domain::FindResource(name); }
  json MakeAgency(const char* code) {
    auto r = service_.Create(Spec("agencies"),
                             {{"org_Code", code},
                              {"org_NameLo", "ກົມ"},
                              {"org_NameEn", "Dept"},
                              {"org_Type", "LawEnforcement"},
                              {"org_Level", "provincial"}},
                             actor_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *r;
  }

  FakeStore store_;
  core::ManualClock clock_{core::TimePoint{std::chrono::milliseconds(1661990400000)}};  // 2022-09-01
  RecordService service_{store_, domain::CodeLists::Builtin(), clock_};
  Principal actor_ = [] {
    Principal p = SystemPrincipal();
    p.user_id = "tester";
    return p;
  }();
};

TEST_F(RecordServiceTest, CreateAppliesDefaultsAndSplitsColumns) {
  json agency = MakeAgency("BK-PPD");
  auto person = service_.Create(Spec("persons"), {{"prs_FirstName", "ນາງ ແກ້ວ"}, {"prs_Sex", nullptr}}, actor_);
  ASSERT_TRUE(person.ok());
  EXPECT_FALSE(person->contains("prs_Sex"));  // nulls are dropped, not stored
  auto c = service_.Create(Spec("cases"), {{"person_id", (*person)["id"]}, {"owner_agency_id", agency["id"]}}, actor_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)["cas_Status"], "Active");
  EXPECT_EQ((*c)["cas_OpenedOn"], "2022-09-01");
  EXPECT_EQ((*c)["version"], 1);
  const auto& stored = store_.data_.tables["cases"].at((*c)["id"].get<std::string>());
  ASSERT_EQ(stored.columns.size(), 6u);
  EXPECT_EQ(stored.columns[0], (*person)["id"].get<std::string>());
  EXPECT_EQ(stored.columns[2], "Active");
  EXPECT_EQ(json::parse(stored.body).count("person_id"), 0u);  // columns are not duplicated in the body
}

TEST_F(RecordServiceTest, MissingReferencesAreRejectedAndNothingIsWritten) {
  auto c = service_.Create(Spec("cases"),
                           {{"person_id", "01a221cf-ab36-7382-a598-52dc54a05a6d"},
                            {"owner_agency_id", "01a221cf-a727-7125-846f-da648bd477d8"}},
                           actor_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), core::StatusCode::kInvalidArgument);
  ASSERT_EQ(c.status().field_errors().size(), 2u);
  EXPECT_EQ(c.status().field_errors()[0].rule, "reference");
  EXPECT_TRUE(store_.data_.tables["cases"].empty());
  EXPECT_TRUE(store_.data_.history.empty());
}

TEST_F(RecordServiceTest, ReadOnlyFieldsAreRefused) {
  auto r = service_.Create(Spec("persons"), {{"prs_FirstName", "A"}, {"id", "x"}, {"version", 3}}, actor_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field_errors().size(), 2u);
  EXPECT_EQ(r.status().field_errors()[0].rule, "read_only");
}

TEST_F(RecordServiceTest, UpdateNeedsTheCurrentVersion) {
  auto p = service_.Create(Spec("persons"), {{"prs_FirstName", "A"}}, actor_);
  const std::string id = (*p)["id"];
  auto no_version = service_.Update(Spec("persons"), id, {{"prs_FirstName", "B"}}, std::nullopt, actor_);
  EXPECT_EQ(no_version.status().field_errors().at(0).rule, "required");
  auto mismatch = service_.Update(Spec("persons"), id, {{"prs_FirstName", "B"}, {"version", 1}}, 2, actor_);
  EXPECT_EQ(mismatch.status().field_errors().at(0).rule, "mismatch");
  auto stale = service_.Update(Spec("persons"), id, {{"prs_FirstName", "B"}}, 7, actor_);
  EXPECT_EQ(stale.status().code(), core::StatusCode::kConflict);
  clock_.Advance(std::chrono::seconds(5));
  auto ok = service_.Update(Spec("persons"), id, {{"prs_FirstName", "B"}, {"version", 1}}, std::nullopt, actor_);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)["version"], 2);
  EXPECT_NE((*ok)["updated_at"], (*ok)["created_at"]);
}

TEST_F(RecordServiceTest, NoOpUpdateWritesNothing) {
  auto p = service_.Create(Spec("persons"), {{"prs_FirstName", "A"}}, actor_);
  auto same = service_.Update(Spec("persons"), (*p)["id"], {{"prs_FirstName", "A"}}, 1, actor_);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ((*same)["version"], 1);
  EXPECT_EQ(store_.data_.history.size(), 1u);
}

TEST_F(RecordServiceTest, FailedCommitLeavesNoTrace) {
  store_.fail_commit = true;
  auto p = service_.Create(Spec("persons"), {{"prs_FirstName", "A"}}, actor_);
  EXPECT_EQ(p.status().code(), core::StatusCode::kUnavailable);
  EXPECT_TRUE(store_.data_.tables["persons"].empty());
  EXPECT_TRUE(store_.data_.history.empty());
}

TEST_F(RecordServiceTest, ListValidatesItsParameters) {
  ListRequest bad;
  bad.limit = "0";
  bad.cursor = "nope";
  bad.filters = {{"prs_FirstName", "A"}, {"prs_Sex", "Woman"}};
  auto r = service_.List(Spec("persons"), bad, actor_);
  ASSERT_FALSE(r.ok());
  std::vector<std::string> rules;
  for (const auto& e : r.status().field_errors()) rules.push_back(e.path + "/" + e.rule);
  EXPECT_EQ(rules, (std::vector<std::string>{"limit/range", "cursor/format", "prs_FirstName/unknown_filter",
                                             "prs_Sex/codelist"}));
}

TEST_F(RecordServiceTest, ListPagesWithACursor) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(service_.Create(Spec("persons"), {{"prs_FirstName", "P" + std::to_string(i)}}, actor_).ok());
  }
  ListRequest req;
  req.limit = "2";
  std::vector<std::string> names;
  for (int page = 0; page < 5; ++page) {
    auto r = service_.List(Spec("persons"), req, actor_);
    ASSERT_TRUE(r.ok());
    for (const auto& item : (*r)["items"]) names.push_back(item["prs_FirstName"]);
    if ((*r)["next_cursor"].is_null()) break;
    req.cursor = (*r)["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"P0", "P1", "P2", "P3", "P4"}));
}

TEST_F(RecordServiceTest, HistoryRecordsActorAndDiff) {
  auto p = service_.Create(Spec("persons"), {{"prs_FirstName", "A"}}, actor_);
  const std::string id = (*p)["id"];
  ASSERT_TRUE(service_.Update(Spec("persons"), id, {{"prs_Sex", "Female"}}, 1, actor_).ok());
  ASSERT_TRUE(service_.Delete(Spec("persons"), id, 2, actor_).ok());
  auto h = service_.History(Spec("persons"), id, actor_);
  ASSERT_TRUE(h.ok());
  const auto& items = (*h)["items"];
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[1]["action"], "update");
  EXPECT_EQ(items[1]["actor"], "tester");
  EXPECT_EQ(items[1]["changes"], (json::array({{{"path", "prs_Sex"}, {"from", nullptr}, {"to", "Female"}}})));
  EXPECT_EQ(items[2]["action"], "delete");
  EXPECT_EQ(items[2]["version"], 3);
  EXPECT_EQ(service_.Get(Spec("persons"), id, actor_).status().code(), core::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ctims::app
