// The storage contract: every app::Store adapter must pass this suite. It
// speaks only the interface in app/record_store.hpp; a backend is added by
// adding a factory to Backends().
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include "app/identity_store.hpp"
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

using testing_backends::Backends;

class StoreContractTest : public testing_backends::ContractTest {
 protected:
  StoreContractTest() : ContractTest("ctims-contract-") {}

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
    ASSERT_TRUE((*tx)->AppendHistory({0, "persons", r.id, 1, "create", "t", r.created_at, "[]", {}}).ok());
  }  // destroyed without Commit
  EXPECT_FALSE(Read(persons, r.id));
  auto tx = store_->Begin(TxMode::kRead);
  EXPECT_TRUE((*(*tx)->History("persons", r.id)).empty());
}

// Issue 9 §6: PostgreSQL sends BEGIN with a transaction's first statement,
// does not wait for a reader's ROLLBACK and prepares statements per
// connection; none of that may show.
TEST_P(StoreContractTest, EmptyAndReadOnlyTransactionsLeaveEveryConnectionUsable) {
  auto persons = Table("persons");
  for (int i = 0; i < 3; ++i) {
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Commit().ok());  // nothing ran
    EXPECT_FALSE((*tx)->Commit().ok());
  }
  { auto dropped = store_->Begin(TxMode::kWrite); }
  { auto dropped = store_->Begin(TxMode::kRead); }
  const StoredRecord a = Put(persons, Record(persons, {}));
  // More reads than any pool has connections: each closes without waiting.
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(Read(persons, a.id)) << i;
  auto tx = store_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  // A failed statement leaves the transaction usable; the same statement text
  // runs again with other values.
  EXPECT_EQ((*tx)->Insert(persons, a).code(), core::StatusCode::kAlreadyExists);
  const StoredRecord b = Record(persons, {});
  ASSERT_TRUE((*tx)->Insert(persons, b).ok());
  EXPECT_TRUE(*(*tx)->Get(persons, a.id));
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_TRUE(Read(persons, b.id));
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

// Personal tables: lists filter by the caller's reach in the query, and a
// protected row shows only to its agency or a grant holder (issue 3 §3, §5).
TEST_P(StoreContractTest, ListsFilterByAccessTagAndProtection) {
  auto persons = Table("persons");
  struct Row {
    std::string user, agency, path;
    bool is_protected;
  };
  const std::vector<Row> rows = {
      {"u1", "A", "/la/bk/tp/", false},  // district of Bokeo
      {"u2", "A", "/la/bk/tp/", false},  //
      {"u3", "B", "/la/bk/", false},     // province of Bokeo
      {"u4", "C", "/la/vt/", false},     // another province
      {"u5", "C", "/la/bk/hx/", true},   // protected, agency C, in Bokeo
      {"u6", "D", "/la/bka/", false},    // a sibling whose path shares a prefix string
  };
  std::vector<std::string> ids;
  std::string protected_case = core::NewId();
  for (const auto& r : rows) {
    StoredRecord rec = Record(persons, {}, R"({"prs_Sex":"Female"})");
    rec.access = {r.user, r.agency, r.path, r.is_protected ? protected_case : "", r.is_protected};
    ids.push_back(Put(persons, rec).id);
  }
  auto count = [&](app::AccessFilter f) -> std::size_t {
    f.now = "2025-01-01T00:00:00.000Z";
    auto tx = store_->Begin(TxMode::kRead);
    app::ListQuery q;
    q.limit = 100;
    q.access = f;
    auto page = (*tx)->List(persons, q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->size() : 0;
  };
  using K = app::AccessFilter::Kind;
  EXPECT_EQ(count({K::kOwner, "u1", "u1", "A", ""}), 1u);
  EXPECT_EQ(count({K::kAgency, "A", "u1", "A", ""}), 2u);
  EXPECT_EQ(count({K::kAgency, "C", "u4", "C", ""}), 2u);     // its own protected row too
  EXPECT_EQ(count({K::kPath, "/la/bk/", "x", "B", ""}), 3u);  // not the protected one, not /la/bka/
  EXPECT_EQ(count({K::kPath, "/la/", "x", "Z", ""}), 5u);
  EXPECT_EQ(count({K::kAll, "", "x", "Z", ""}), 5u);
  EXPECT_EQ(count({K::kAll, "", "x", "C", ""}), 6u);
  {
    app::ListQuery q;
    q.limit = 100;
    auto tx = store_->Begin(TxMode::kRead);
    EXPECT_FALSE((*tx)->List(persons, q).ok()) << "a personal list without an access filter must fail";
  }
  // A grant opens the protected row to one user until it expires.
  {
    auto tx = store_->Begin(TxMode::kWrite);
    auto cases = Table("cases");
    // The grant names a case: make a real one (foreign key).
    auto agencies = Table("agencies");
    StoredRecord agency = Record(agencies, {"AG-1"});
    ASSERT_TRUE((*tx)->Insert(agencies, agency).ok());
    StoredRecord c = Record(cases, {ids[4], agency.id});
    c.id = protected_case;
    c.access = {"u5", "C", "/la/bk/hx/", protected_case, true};
    ASSERT_TRUE((*tx)->Insert(cases, c).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  {
    auto tx = store_->Begin(TxMode::kWrite);
    // users: the grant's user must exist when the backend enforces it; the
    // identity suite covers users, so insert through SQL-free identity ops.
    auto* identity = app::AsIdentityStore(*store_);
    ASSERT_NE(identity, nullptr);
    tx = core::Status::Internal("released");
    auto itx = identity->BeginIdentity(TxMode::kWrite);
    ASSERT_TRUE(itx.ok());
    auto roles = (*itx)->ListRoles();
    ASSERT_TRUE(roles.ok());
    app::RoleRecord role{"rr", R"({"code":"rr","name_lo":"r","name_en":"r","scope":"all","permissions":[]})", false};
    auto upserted = (*itx)->UpsertRole(role);
    ASSERT_TRUE(upserted.ok()) << upserted.ToString();
    app::UserRecord user;
    user.id = core::NewId();
    user.username = "granted";
    user.display_name = "granted";
    user.agency_id = (*(*itx)->List(Table("agencies"), {}))[0].id;
    user.role_code = "rr";
    user.password_hash = "x";
    user.created_at = user.updated_at = "2025-01-01T00:00:00.000Z";
    ASSERT_TRUE((*itx)->InsertUser(user).ok());
    app::AccessGrant grant{
        core::NewId(), user.id, protected_case, "court order", "2025-01-01T00:00:00.000Z", "2025-01-01T03:00:00.000Z"};
    ASSERT_TRUE((*itx)->InsertGrant(grant).ok());
    ASSERT_TRUE((*itx)->Commit().ok());
    EXPECT_EQ(count({K::kPath, "/la/bk/", user.id, "B", ""}), 4u);
    auto rtx = store_->Begin(TxMode::kRead);
    EXPECT_TRUE(*(*rtx)->HasGrant(user.id, protected_case, "2025-01-01T02:59:59.999Z"));
    EXPECT_FALSE(*(*rtx)->HasGrant(user.id, protected_case, "2025-01-01T03:00:00.000Z"));
    EXPECT_FALSE(*(*rtx)->HasGrant("someone else", protected_case, "2025-01-01T01:00:00.000Z"));
    auto grants = (*rtx)->ListGrants(protected_case);
    ASSERT_TRUE(grants.ok());
    ASSERT_EQ(grants->size(), 1u);
    EXPECT_EQ((*grants)[0], grant);
  }
  // SetAccess / SetAccessByCase move rows between reaches.
  {
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE((*tx)->SetAccess(persons, ids[3], {"u4", "A", "/la/bk/tp/", "", false}).ok());
    EXPECT_EQ((*tx)->SetAccess(persons, core::NewId(), {}).code(), core::StatusCode::kNotFound);
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_EQ(count({K::kAgency, "A", "u1", "A", ""}), 3u);
  auto read = Read(persons, ids[3]);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->access, (app::AccessTag{"u4", "A", "/la/bk/tp/", "", false}));
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
  q.access = app::AccessFilter{};  // kAll
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
  women.access = app::AccessFilter{};  // kAll
  women.limit = 100;
  women.filters = {{app::Filter::Kind::kBody, "prs_Sex", "Female"}};
  EXPECT_EQ((*tx)->List(persons, women)->size(), 10u);
  app::ListQuery namibians;
  namibians.access = app::AccessFilter{};  // kAll
  namibians.limit = 100;
  namibians.filters = {{app::Filter::Kind::kBodyContains, "prs_Citizenship", "NA"}};
  EXPECT_EQ((*tx)->List(persons, namibians)->size(), 15u);
  namibians.filters.push_back({app::Filter::Kind::kBody, "prs_Sex", "Female"});
  EXPECT_EQ((*tx)->List(persons, namibians)->size(), 5u);  // i = 0, 6, 12, 18, 24
  app::ListQuery injection;
  injection.access = app::AccessFilter{};  // kAll
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
                    ->AppendHistory({0,
                                     "persons",
                                     id,
                                     v,
                                     v == 1 ? "create" : "update",
                                     "u",
                                     "t",
                                     R"([{"path":"a","from":null,"to":1}])",
                                     {}})
                    .ok());
  }
  ASSERT_TRUE((*tx)->AppendHistory({0, "cases", id, 1, "create", "u", "t", "[]", {}}).ok());
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

// Bulk loads (issue 9 §4): InsertMany and AppendHistoryMany store exactly
// what Insert and AppendHistory store, including text COPY would have to
// escape, and fail as they do.
TEST_P(StoreContractTest, BulkInsertAndHistoryRoundTripAndFailLikeSingleInserts) {
  auto persons = Table("persons");
  auto agencies = Table("agencies");
  auto cases = Table("cases");
  const std::string tricky = R"({"prs_FirstName":"a\tb\nc\\d \\N ສົມພອນ 张伟 \"q\"","x":"\r"})";
  std::vector<StoredRecord> people;
  for (int i = 0; i < 50; ++i) {
    StoredRecord r = Record(persons, {}, i == 7 ? tricky : R"({"prs_FirstName":"P)" + std::to_string(i) + "\"}");
    r.access = {"user-" + std::to_string(i % 3), "agency\tA", "/LA/BK/" + std::to_string(i % 5), "", i % 2 == 0};
    people.push_back(r);
  }
  const StoredRecord agency = Put(agencies, Record(agencies, {"BK-PPD", std::nullopt, std::nullopt}));
  std::vector<StoredRecord> kases = {Record(cases, {people[0].id, agency.id, "Active", std::nullopt}),
                                     Record(cases, {people[7].id, agency.id, std::nullopt, std::nullopt})};
  std::vector<app::HistoryEntry> history;
  for (const auto& p : people) {
    history.push_back({0, "persons", p.id, 1, "create", "u\\1", "2022-09-01T00:00:00.000Z", R"(["\\N"])", p.access});
  }
  {
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->InsertMany(persons, people).ok());
    ASSERT_TRUE((*tx)->InsertMany(cases, kases).ok());
    ASSERT_TRUE((*tx)->InsertMany(cases, {}).ok());
    auto appended = (*tx)->AppendHistoryMany(history);
    ASSERT_TRUE(appended.ok()) << appended.ToString();
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  auto tricky_back = Read(persons, people[7].id);
  ASSERT_TRUE(tricky_back);
  EXPECT_EQ(tricky_back->body, tricky);
  EXPECT_EQ(Read(cases, kases[1].id)->columns, kases[1].columns);
  EXPECT_EQ(Read(cases, kases[0].id)->columns, kases[0].columns);
  {
    auto tx = store_->Begin(TxMode::kRead);
    auto h = (*tx)->History("persons", people[7].id);
    ASSERT_TRUE(h.ok());
    ASSERT_EQ(h->size(), 1u);
    EXPECT_EQ((*h)[0].actor, "u\\1");
    EXPECT_EQ((*h)[0].changes, R"(["\\N"])");
    EXPECT_EQ((*h)[0].access.agency, "agency\tA");
    EXPECT_EQ((*h)[0].access.is_protected, false);
    app::ListQuery all;
    all.access = app::AccessFilter{};
    all.access->include_protected = true;
    all.limit = 100;
    auto listed = (*tx)->List(persons, all);
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    EXPECT_EQ(listed->size(), 50u);
  }
  // The access tags went in too: an agency-scoped list sees its rows only.
  {
    app::AccessFilter only;
    only.kind = app::AccessFilter::Kind::kAgency;
    only.value = "agency\tA";
    only.viewer_agency = "agency\tA";
    only.include_protected = true;
    app::ListQuery q;
    q.access = only;
    q.limit = 100;
    auto tx = store_->Begin(TxMode::kRead);
    auto listed = (*tx)->List(persons, q);
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    EXPECT_EQ(listed->size(), 50u);
    EXPECT_EQ((*listed)[0].access.path.rfind("/LA/BK/", 0), 0u);
  }
  // A clash or a dangling reference anywhere in the batch fails it.
  {
    auto tx = store_->Begin(TxMode::kWrite);
    auto clash = (*tx)->InsertMany(persons, {Record(persons, {}), people[3]});
    EXPECT_EQ(clash.code(), core::StatusCode::kAlreadyExists) << clash.ToString();
  }
  {
    auto tx = store_->Begin(TxMode::kWrite);
    auto dangling = (*tx)->InsertMany(cases, {Record(cases, {core::NewId(), agency.id, "Active", std::nullopt})});
    EXPECT_EQ(dangling.code(), core::StatusCode::kInvalidArgument) << dangling.ToString();
  }
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
