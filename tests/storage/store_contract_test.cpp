// The storage contract: every app::Store adapter must pass this suite. It
// speaks only the interface in app/record_store.hpp; a backend is added by
// adding a factory to Backends().
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include "app/record_service.hpp"
#include "app/record_store.hpp"
#include "backends.hpp"
#include "core/id.hpp"
#include "domain/schema.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace ctims {
namespace {

using app::StoredRecord;
using app::TableDef;
using app::TxMode;

using testing_backends::Backend;
using testing_backends::Backends;

class StoreContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ctims-contract-" + std::to_string(::getpid()) + "-" + core::NewId().substr(24));
    std::filesystem::create_directories(dir_);
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
    auto v = store_->Migrate();
    ASSERT_TRUE(v.ok()) << v.status().ToString();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  static TableDef Table(const char* resource) { return app::TableFor(*domain::FindResource(resource)); }

  static StoredRecord Record(const TableDef& t, std::vector<std::optional<std::string>> columns,
                             std::string body = "{}") {
    StoredRecord r;
    r.id = core::NewId();
    r.version = 1;
    r.created_at = r.updated_at = "2022-09-01T00:00:00.000Z";
    r.columns = std::move(columns);
    r.columns.resize(t.columns.size());
    r.body = std::move(body);
    return r;
  }

  // Inserts and commits; returns the record.
  StoredRecord Put(const TableDef& t, StoredRecord r) {
    auto tx = store_->Begin(TxMode::kWrite);
    EXPECT_TRUE(tx.ok());
    auto s = (*tx)->Insert(t, r);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE((*tx)->Commit().ok());
    return r;
  }

  std::optional<StoredRecord> Read(const TableDef& t, const std::string& id) {
    auto tx = store_->Begin(TxMode::kRead);
    EXPECT_TRUE(tx.ok());
    auto r = (*tx)->Get(t, id);
    EXPECT_TRUE(r.ok());
    return *r;
  }

  std::filesystem::path dir_;
  std::unique_ptr<app::Store> store_;
};

TEST_P(StoreContractTest, MigrationsAreIdempotentAndRecorded) {
  EXPECT_EQ(*store_->SchemaVersion(), store_->LatestSchemaVersion());
  auto again = store_->Migrate();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, store_->LatestSchemaVersion());
  EXPECT_GE(store_->LatestSchemaVersion(), 1);
  EXPECT_TRUE(store_->CheckIntegrity().ok());
}

TEST_P(StoreContractTest, RoundTripsColumnsAndBody) {
  auto persons = Table("persons");
  auto agencies = Table("agencies");
  auto cases = Table("cases");
  auto person = Put(persons, Record(persons, {}, R"({"prs_FirstName":"ສົມພອນ"})"));
  auto agency = Put(agencies, Record(agencies, {"BK-PPD", std::nullopt, std::nullopt}));
  auto c =
      Put(cases, Record(cases, {person.id, agency.id, "Active", std::nullopt}, R"({"cas_OpenedOn":"2022-01-02"})"));
  auto back = Read(cases, c.id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->columns, c.columns);
  EXPECT_EQ(back->body, c.body);
  EXPECT_EQ(back->version, 1);
  EXPECT_EQ(back->created_at, c.created_at);
  EXPECT_EQ(Read(persons, person.id)->body, R"({"prs_FirstName":"ສົມພອນ"})");
  EXPECT_FALSE(Read(cases, core::NewId()));
}

TEST_P(StoreContractTest, StaleUpdateChangesNothing) {
  auto persons = Table("persons");
  auto p = Put(persons, Record(persons, {}, R"({"prs_FirstName":"A"})"));
  auto tx = store_->Begin(TxMode::kWrite);
  StoredRecord next = p;
  next.version = 2;
  next.body = R"({"prs_FirstName":"B"})";
  auto stale = (*tx)->Update(persons, next, /*expected_version=*/5);
  EXPECT_EQ(stale.code(), core::StatusCode::kConflict);
  StoredRecord ghost = next;
  ghost.id = core::NewId();
  EXPECT_EQ((*tx)->Update(persons, ghost, 1).code(), core::StatusCode::kNotFound);
  ASSERT_TRUE((*tx)->Update(persons, next, 1).ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_EQ(Read(persons, p.id)->body, R"({"prs_FirstName":"B"})");
  EXPECT_EQ(Read(persons, p.id)->version, 2);
}

TEST_P(StoreContractTest, UncommittedWorkRollsBack) {
  auto persons = Table("persons");
  auto r = Record(persons, {});
  {
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE((*tx)->Insert(persons, r).ok());
    ASSERT_TRUE((*tx)->AppendHistory({0, "persons", r.id, 1, "create", "t", r.created_at, "[]"}).ok());
  }  // destroyed without Commit
  EXPECT_FALSE(Read(persons, r.id));
  auto tx = store_->Begin(TxMode::kRead);
  EXPECT_TRUE((*(*tx)->History("persons", r.id)).empty());
}

TEST_P(StoreContractTest, UncommittedWritesAreInvisibleToReaders) {
  auto persons = Table("persons");
  auto r = Record(persons, {});
  auto writer = store_->Begin(TxMode::kWrite);
  ASSERT_TRUE((*writer)->Insert(persons, r).ok());
  std::thread reader([&] { EXPECT_FALSE(Read(persons, r.id)); });
  reader.join();
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_TRUE(Read(persons, r.id));
}

TEST_P(StoreContractTest, DeleteChecksVersionAndReferences) {
  auto persons = Table("persons");
  auto agencies = Table("agencies");
  auto cases = Table("cases");
  auto person = Put(persons, Record(persons, {}));
  auto agency = Put(agencies, Record(agencies, {"A1"}));
  Put(cases, Record(cases, {person.id, agency.id}));
  auto tx = store_->Begin(TxMode::kWrite);
  EXPECT_EQ((*tx)->Delete(persons, person.id, 9).code(), core::StatusCode::kConflict);
  EXPECT_EQ((*tx)->Delete(persons, person.id, 1).code(), core::StatusCode::kConflict);  // a case refers to it
  EXPECT_EQ((*tx)->Delete(persons, core::NewId(), 1).code(), core::StatusCode::kNotFound);
  tx = core::Status::Internal("released");  // a write transaction must end before the next begins
  tx = store_->Begin(TxMode::kWrite);
  auto lonely = Record(persons, {});
  ASSERT_TRUE((*tx)->Insert(persons, lonely).ok());
  ASSERT_TRUE((*tx)->Delete(persons, lonely.id, 1).ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_TRUE(Read(persons, person.id));
  EXPECT_FALSE(Read(persons, lonely.id));
}

TEST_P(StoreContractTest, UniqueColumnsNameTheColumn) {
  auto locations = Table("locations");
  Put(locations, Record(locations, {"LA-BK", "province"}));
  auto tx = store_->Begin(TxMode::kWrite);
  auto s = (*tx)->Insert(locations, Record(locations, {"LA-BK", "province"}));
  EXPECT_EQ(s.code(), core::StatusCode::kAlreadyExists);
  ASSERT_EQ(s.field_errors().size(), 1u);
  EXPECT_EQ(s.field_errors()[0].path, "loc_Code");
  EXPECT_EQ(s.field_errors()[0].rule, "unique");
}

TEST_P(StoreContractTest, InsertWithDanglingReferenceFails) {
  auto cases = Table("cases");
  auto tx = store_->Begin(TxMode::kWrite);
  auto s = (*tx)->Insert(cases, Record(cases, {core::NewId(), core::NewId()}));
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
}

TEST_P(StoreContractTest, ListsInIdOrderWithFiltersAndPages) {
  auto persons = Table("persons");
  auto locations = Table("locations");
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) {
    std::string body = std::string(R"({"prs_Sex":")") + (i % 3 == 0 ? "Female" : "Male") + R"(","prs_Citizenship":[")" +
                       (i % 2 == 0 ? "NA" : "LA") + R"(","TH"]})";
    ids.push_back(Put(persons, Record(persons, {}, body)).id);
  }
  std::sort(ids.begin(), ids.end());
  auto tx = store_->Begin(TxMode::kRead);
  app::ListQuery q;
  q.limit = 7;
  std::vector<std::string> seen;
  while (true) {
    auto page = (*tx)->List(persons, q);
    ASSERT_TRUE(page.ok());
    for (const auto& r : *page) seen.push_back(r.id);
    if (page->size() < q.limit) break;
    q.after_id = page->back().id;
  }
  EXPECT_EQ(seen, ids);

  app::ListQuery women;
  women.limit = 100;
  women.filters = {{app::Filter::Kind::kBody, "prs_Sex", "Female"}};
  EXPECT_EQ((*tx)->List(persons, women)->size(), 10u);
  app::ListQuery namibians;
  namibians.limit = 100;
  namibians.filters = {{app::Filter::Kind::kBodyContains, "prs_Citizenship", "NA"}};
  EXPECT_EQ((*tx)->List(persons, namibians)->size(), 15u);
  namibians.filters.push_back({app::Filter::Kind::kBody, "prs_Sex", "Female"});
  EXPECT_EQ((*tx)->List(persons, namibians)->size(), 5u);  // i = 0, 6, 12, 18, 24
  app::ListQuery injection;
  injection.limit = 100;
  injection.filters = {{app::Filter::Kind::kBody, "prs_Sex", "' OR 1=1 --"}};
  EXPECT_TRUE((*tx)->List(persons, injection)->empty());
  tx = core::Status::Internal("released");
  tx = store_->Begin(TxMode::kWrite);
  auto country = Record(locations, {"LA", "country"});
  ASSERT_TRUE((*tx)->Insert(locations, country).ok());
  ASSERT_TRUE((*tx)->Insert(locations, Record(locations, {"LA-BK", "province", country.id})).ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  tx = core::Status::Internal("released");
  tx = store_->Begin(TxMode::kRead);
  app::ListQuery children;
  children.limit = 10;
  children.filters = {{app::Filter::Kind::kColumn, "parent_id", country.id}};
  auto kids = (*tx)->List(locations, children);
  ASSERT_EQ(kids->size(), 1u);
  EXPECT_EQ((*kids)[0].columns[0], "LA-BK");
}

TEST_P(StoreContractTest, HistoryIsAppendOnlyInOrder) {
  auto tx = store_->Begin(TxMode::kWrite);
  const std::string id = core::NewId();
  for (int v = 1; v <= 3; ++v) {
    ASSERT_TRUE((*tx)
                    ->AppendHistory({0, "persons", id, v, v == 1 ? "create" : "update", "u", "t",
                                     R"([{"path":"a","from":null,"to":1}])"})
                    .ok());
  }
  ASSERT_TRUE((*tx)->AppendHistory({0, "cases", id, 1, "create", "u", "t", "[]"}).ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  tx = core::Status::Internal("released");
  tx = store_->Begin(TxMode::kRead);
  auto h = (*tx)->History("persons", id);
  ASSERT_EQ(h->size(), 3u);
  EXPECT_LT((*h)[0].seq, (*h)[1].seq);
  EXPECT_EQ((*h)[2].version, 3);
  EXPECT_EQ((*h)[0].action, "create");
  EXPECT_EQ((*h)[0].changes, R"([{"path":"a","from":null,"to":1}])");
}

TEST_P(StoreContractTest, ConcurrentWritersAreSerialised) {
  auto persons = Table("persons");
  auto p = Put(persons, Record(persons, {}));
  constexpr int kThreads = 8;
  constexpr int kEach = 15;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto tx = store_->Begin(TxMode::kWrite);
        if (!tx.ok()) {
          ++failures;
          continue;
        }
        auto cur = (*tx)->Get(persons, p.id);
        StoredRecord next = **cur;
        next.version++;
        if (!(*tx)->Update(persons, next, (*cur)->version).ok() || !(*tx)->Commit().ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Read(persons, p.id)->version, 1 + kThreads * kEach);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest, ::testing::ValuesIn(Backends()), testing_backends::BackendName);

}  // namespace
}  // namespace ctims
