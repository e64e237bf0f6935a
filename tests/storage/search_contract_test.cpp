// The storage contract of person search and duplicate review (issue 8): name
// index tokens (add, count, find within an AccessFilter, delete, cascade on
// delete) and the review queue. Runs on every backend in backends.hpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "app/record_service.hpp"
#include "app/record_store.hpp"
#include "backends.hpp"
#include "core/id.hpp"
#include "domain/schema.hpp"

namespace ctims {
namespace {

using app::AccessFilter;
using app::AccessTag;
using app::StoredRecord;
using app::TableDef;
using app::TxMode;
using testing_backends::Backends;

constexpr const char* kT0 = "2026-01-01T00:00:00.000Z";
constexpr std::int64_t kSom = -4242424242424242;  // tokens are signed 64-bit
constexpr std::int64_t kPhon = 77;
constexpr std::int64_t kRare = 9000000000000000001;

class SearchContractTest : public testing_backends::ContractTest {
 protected:
  SearchContractTest() : ContractTest("ctims-search-") {}

  void SetUp() override {
    ContractTest::SetUp();
    if (HasFatalFailure()) return;
    agency_a_ = Put("agencies", {"A", std::nullopt, std::nullopt}, {});
    agency_b_ = Put("agencies", {"B", std::nullopt, std::nullopt}, {});
    p1_ = Put("persons", {}, Tag(agency_a_));
    p2_ = Put("persons", {}, Tag(agency_a_));
    p3_ = Put("persons", {}, Tag(agency_b_));
    p4_ = Put("persons", {}, Tag(agency_b_, /*prot=*/true));
  }

  static TableDef Table(const char* resource) { return app::TableFor(*domain::FindResource(resource)); }
  static AccessTag Tag(const std::string& agency, bool prot = false) {
    return {"owner", agency, "/" + agency + "/", prot ? core::NewId() : "", prot};
  }

  std::string Put(const char* resource, std::vector<std::optional<std::string>> columns, const AccessTag& tag) {
    const TableDef t = Table(resource);
    StoredRecord r;
    r.id = core::NewId();
    r.version = 1;
    r.created_at = r.updated_at = kT0;
    r.columns = std::move(columns);
    r.columns.resize(t.columns.size());
    r.body = "{}";
    r.access = tag;
    auto tx = store_->Begin(TxMode::kWrite);
    EXPECT_TRUE(tx.ok());
    auto s = (*tx)->Insert(t, r);
    EXPECT_TRUE(s.ok()) << resource << ": " << s.ToString();
    EXPECT_TRUE((*tx)->Commit().ok());
    return r.id;
  }

  void AddTokens(const std::vector<std::pair<std::string, std::int64_t>>& rows) {
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    auto s = (*tx)->AddPersonNameTokens(rows);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE((*tx)->Commit().ok());
  }

  // (id, shared) of FindPersonsByNameTokens.
  std::vector<std::pair<std::string, int>> Find(const std::vector<std::int64_t>& tokens, const AccessFilter& access,
                                                std::size_t limit = 10) {
    auto tx = store_->Begin(TxMode::kRead);
    EXPECT_TRUE(tx.ok());
    auto hits = (*tx)->FindPersonsByNameTokens(Table("persons"), tokens, access, limit);
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    std::vector<std::pair<std::string, int>> out;
    if (hits.ok()) {
      for (const auto& h : *hits) out.emplace_back(h.record.id, h.shared);
    }
    return out;
  }

  std::vector<std::int64_t> Count(const std::vector<std::int64_t>& tokens, std::size_t cap) {
    auto tx = store_->Begin(TxMode::kRead);
    EXPECT_TRUE(tx.ok());
    auto counts = (*tx)->CountPersonNameTokens(tokens, cap);
    EXPECT_TRUE(counts.ok()) << counts.status().ToString();
    return counts.ok() ? *counts : std::vector<std::int64_t>{};
  }

  std::string agency_a_, agency_b_, p1_, p2_, p3_, p4_;
};

TEST_P(SearchContractTest, TokensAreCountedAndFoundByMostSharedWithinTheAccessFilter) {
  AddTokens(
      {{p1_, kSom}, {p1_, kPhon}, {p2_, kSom}, {p3_, kSom}, {p3_, kPhon}, {p4_, kSom}, {p4_, kPhon}, {p4_, kRare}});
  AddTokens({{p1_, kSom}});  // a row already present is kept, not doubled
  EXPECT_EQ(Count({kSom, kPhon, kRare, 5}, 100), (std::vector<std::int64_t>{4, 3, 1, 0}));
  EXPECT_EQ(Count({kSom}, 2), (std::vector<std::int64_t>{3})) << "counting stops after cap + 1";

  AccessFilter all;
  all.include_protected = true;
  const auto everyone = Find({kSom, kPhon, kRare}, all);
  ASSERT_EQ(everyone.size(), 4u);
  EXPECT_EQ(everyone[0], std::make_pair(p4_, 3));
  // p1 and p3 share two tokens: by id.
  EXPECT_EQ(everyone[1].second, 2);
  EXPECT_EQ(everyone[2].second, 2);
  EXPECT_LT(everyone[1].first, everyone[2].first);
  EXPECT_EQ(everyone[3], std::make_pair(p2_, 1));
  EXPECT_EQ(Find({kSom, kPhon, kRare}, all, 2).size(), 2u);

  AccessFilter agency_a;
  agency_a.kind = AccessFilter::Kind::kAgency;
  agency_a.value = agency_a_;
  agency_a.viewer_agency = agency_a_;
  agency_a.viewer_user = "u";
  agency_a.now = kT0;
  const auto in_a = Find({kSom, kPhon}, agency_a);
  EXPECT_EQ(in_a, (std::vector<std::pair<std::string, int>>{{p1_, 2}, {p2_, 1}}));

  AccessFilter agency_b = agency_a;
  agency_b.value = agency_b_;
  agency_b.viewer_agency = agency_a_;  // in scope, but the protected row belongs to B
  const auto in_b = Find({kSom, kPhon, kRare}, agency_b);
  EXPECT_EQ(in_b, (std::vector<std::pair<std::string, int>>{{p3_, 2}}));
  EXPECT_TRUE(Find({}, all).empty());
}

// Issue 8 §5: the store may rank the persons on the index before reading
// their rows (a window of the best), but the answer must stay that of
// ranking them all: here the 100 persons sharing the most tokens are out of
// the caller's reach and the ones within it come after all of them.
TEST_P(SearchContractTest, Issue8_PersonsWithinReachAreFoundBehindManyOutOfReach) {
  std::vector<std::pair<std::string, std::int64_t>> rows;
  for (int i = 0; i < 100; ++i) {
    const std::string b = Put("persons", {}, Tag(agency_b_));
    rows.emplace_back(b, kSom);
    rows.emplace_back(b, kPhon);
  }
  rows.emplace_back(p1_, kSom);
  rows.emplace_back(p2_, kPhon);
  AddTokens(rows);
  AccessFilter agency_a;
  agency_a.kind = AccessFilter::Kind::kAgency;
  agency_a.value = agency_a_;
  agency_a.viewer_agency = agency_a_;
  agency_a.viewer_user = "u";
  agency_a.now = kT0;
  const auto in_a = Find({kSom, kPhon}, agency_a, 5);
  ASSERT_EQ(in_a.size(), 2u);
  EXPECT_EQ(in_a[0].second, 1);
  EXPECT_EQ(in_a[1].second, 1);
  EXPECT_LT(in_a[0].first, in_a[1].first);
  EXPECT_TRUE((in_a[0].first == p1_ && in_a[1].first == p2_) || (in_a[0].first == p2_ && in_a[1].first == p1_));

  AccessFilter all;
  all.include_protected = true;
  const auto best = Find({kSom, kPhon}, all, 3);
  ASSERT_EQ(best.size(), 3u);
  for (const auto& [id, shared] : best) EXPECT_EQ(shared, 2) << "the most shared first";
  EXPECT_EQ(Find({kSom, kPhon}, all, 500).size(), 102u);
}

TEST_P(SearchContractTest, TokensAreDeletedPerPersonOrAllAndFollowTheirPerson) {
  AddTokens({{p1_, kSom}, {p2_, kSom}, {p3_, kSom}});
  {
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->DeletePersonNameTokens(p1_).ok());
    ASSERT_TRUE((*tx)->Delete(Table("persons"), p2_, 1).ok()) << "tokens must not block deleting a person";
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_EQ(Count({kSom}, 10), (std::vector<std::int64_t>{1}));
  {
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    auto bad = (*tx)->AddPersonNameTokens({{core::NewId(), kSom}});
    EXPECT_EQ(bad.code(), core::StatusCode::kInvalidArgument) << bad.ToString();
  }
  {
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->DeletePersonNameTokens("").ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_EQ(Count({kSom}, 10), (std::vector<std::int64_t>{0}));
  auto ro = store_->Begin(TxMode::kRead);
  ASSERT_TRUE(ro.ok());
  EXPECT_EQ((*ro)->AddPersonNameTokens({{p1_, kSom}}).code(), core::StatusCode::kInternal);
}

TEST_P(SearchContractTest, DuplicatePairsAreQueuedOncePerPairAndReviewedByVersion) {
  app::DuplicatePair pair;
  pair.id = core::NewId();
  pair.person_a = std::min(p1_, p2_);
  pair.person_b = std::max(p1_, p2_);
  pair.score = 0.912;
  pair.explanation = R"({"name":0.9,"sex":"agree"})";
  pair.source = "registration";
  pair.created_at = kT0;
  {
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    auto inserted = (*tx)->InsertDuplicatePair(pair);
    ASSERT_TRUE(inserted.ok()) << inserted.status().ToString();
    EXPECT_TRUE(*inserted);
    app::DuplicatePair again = pair;
    again.id = core::NewId();
    auto twice = (*tx)->InsertDuplicatePair(again);
    ASSERT_TRUE(twice.ok());
    EXPECT_FALSE(*twice) << "one row per pair";
    app::DuplicatePair reversed = pair;
    std::swap(reversed.person_a, reversed.person_b);
    EXPECT_EQ((*tx)->InsertDuplicatePair(reversed).status().code(), core::StatusCode::kInternal);
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  auto tx = store_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  auto got = (*tx)->GetDuplicatePair(pair.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, pair);
  app::DuplicatePair decided = pair;
  decided.version = 2;
  decided.status = "not_same";
  decided.reviewed_by = "reviewer";
  decided.reviewed_at = kT0;
  EXPECT_EQ((*tx)->UpdateDuplicatePair(decided, 5).code(), core::StatusCode::kConflict);
  app::DuplicatePair missing = decided;
  missing.id = core::NewId();
  EXPECT_EQ((*tx)->UpdateDuplicatePair(missing, 1).code(), core::StatusCode::kNotFound);
  ASSERT_TRUE((*tx)->UpdateDuplicatePair(decided, 1).ok());
  auto open = (*tx)->ListDuplicatePairs("open", "", 10);
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->empty());
  auto closed = (*tx)->ListDuplicatePairs("not_same", "", 10);
  ASSERT_TRUE(closed.ok());
  ASSERT_EQ(closed->size(), 1u);
  EXPECT_EQ((*closed)[0], decided);
  auto any = (*tx)->ListDuplicatePairs("", pair.id, 10);
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->empty()) << "keyset: after the last id";
}

// issue 8 §4: the queue looks a pair up by its persons (either order, any
// status), through the UNIQUE (person_a, person_b) index.
TEST_P(SearchContractTest, Issue8_DuplicatePairsAreFoundByTheirPersons) {
  app::DuplicatePair pair;
  pair.id = core::NewId();
  pair.person_a = std::min(p1_, p3_);
  pair.person_b = std::max(p1_, p3_);
  pair.score = 0.875;
  pair.explanation = R"({"name":0.8})";
  pair.source = "review";
  pair.status = "not_same";
  pair.created_at = kT0;
  pair.reviewed_by = "reviewer";
  pair.reviewed_at = kT0;
  {
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    auto none = (*tx)->FindDuplicatePair(p1_, p3_);
    ASSERT_TRUE(none.ok()) << none.status().ToString();
    EXPECT_FALSE(none->has_value());
    auto inserted = (*tx)->InsertDuplicatePair(pair);
    ASSERT_TRUE(inserted.ok() && *inserted);
    auto in_tx = (*tx)->FindDuplicatePair(p3_, p1_);
    ASSERT_TRUE(in_tx.ok());
    EXPECT_TRUE(in_tx->has_value()) << "a write transaction sees its own pair";
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  auto tx = store_->Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  for (const auto& [x, y] : {std::pair{p1_, p3_}, std::pair{p3_, p1_}}) {
    auto found = (*tx)->FindDuplicatePair(x, y);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    ASSERT_TRUE(found->has_value()) << "either order";
    EXPECT_EQ(**found, pair);
  }
  for (const auto& [x, y] : {std::pair{p1_, p2_}, std::pair{p3_, p4_}, std::pair{p1_, p1_}}) {
    auto absent = (*tx)->FindDuplicatePair(x, y);
    ASSERT_TRUE(absent.ok());
    EXPECT_FALSE(absent->has_value()) << "no pair of these persons";
  }
}

std::size_t ColumnOf(const TableDef& t, const std::string& name) {
  return static_cast<std::size_t>(std::find(t.columns.begin(), t.columns.end(), name) - t.columns.begin());
}

// issue 8 §4: merged persons leave lists (kColumnIsNull), merge rows keep
// what moved, one live merge per merged person, and shares follow a person.
TEST_P(SearchContractTest, Issue8_MergesAreRecordedOncePerLivePersonAndSharesAreRepointed) {
  const TableDef persons = Table("persons");
  const std::size_t into = ColumnOf(persons, "merged_into");
  ASSERT_LT(into, persons.columns.size());
  {
    // p2 merged into p1: its column says so, and the IS NULL filter leaves it out.
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    auto p2 = (*tx)->Get(persons, p2_);
    ASSERT_TRUE(p2.ok() && p2->has_value());
    StoredRecord marked = **p2;
    marked.version = 2;
    marked.columns[into] = p1_;
    ASSERT_TRUE((*tx)->Update(persons, marked, 1).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  app::ListQuery live;
  live.access = AccessFilter{};
  live.access->include_protected = true;
  live.filters.push_back({app::Filter::Kind::kColumnIsNull, "merged_into", ""});
  app::ListQuery merged_into_p1;
  merged_into_p1.access = live.access;
  merged_into_p1.filters.push_back({app::Filter::Kind::kColumn, "merged_into", p1_});
  {
    auto tx = store_->Begin(TxMode::kRead);
    ASSERT_TRUE(tx.ok());
    auto rows = (*tx)->List(persons, live);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> ids;
    for (const auto& r : *rows) ids.push_back(r.id);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), p2_), 0) << "a merged person leaves the list";
    EXPECT_EQ(std::count(ids.begin(), ids.end(), p1_), 1);
    EXPECT_EQ(ids.size(), 3u);
    auto by_kept = (*tx)->List(persons, merged_into_p1);
    ASSERT_TRUE(by_kept.ok());
    ASSERT_EQ(by_kept->size(), 1u);
    EXPECT_EQ((*by_kept)[0].id, p2_);
  }

  // A case and a share of p2, re-pointed and put back as the service does.
  const std::string case_id = core::NewId();
  {
    const TableDef cases = Table("cases");
    StoredRecord c;
    c.id = case_id;
    c.version = 1;
    c.created_at = c.updated_at = kT0;
    c.columns.resize(cases.columns.size());
    c.columns[ColumnOf(cases, "person_id")] = p2_;
    c.columns[ColumnOf(cases, "owner_agency_id")] = agency_a_;
    c.body = "{}";
    c.access = Tag(agency_a_);
    c.access.case_id = case_id;
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    auto s = (*tx)->Insert(cases, c);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE((*tx)->InsertShare({core::NewId(), case_id, p2_, agency_b_, "referral", core::NewId(), kT0}).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  auto tx = store_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  auto shares = (*tx)->ListSharesOfPerson(p2_);
  ASSERT_TRUE(shares.ok()) << shares.status().ToString();
  ASSERT_EQ(shares->size(), 1u);
  const std::string share_id = (*shares)[0].id;
  ASSERT_TRUE((*tx)->RepointShare(share_id, p2_, p1_).ok());
  EXPECT_EQ((*tx)->RepointShare(share_id, p2_, p1_).code(), core::StatusCode::kConflict) << "moved since";
  EXPECT_EQ((*tx)->RepointShare(core::NewId(), p2_, p1_).code(), core::StatusCode::kNotFound);
  EXPECT_TRUE((*tx)->ListSharesOfPerson(p2_)->empty());
  ASSERT_EQ((*tx)->ListSharesOfPerson(p1_)->size(), 1u);
  auto reach = (*tx)->HasShare(agency_b_, "", p1_);
  ASSERT_TRUE(reach.ok());
  EXPECT_TRUE(*reach) << "the sharing agency reaches the kept person";

  app::PersonMerge m;
  m.id = core::NewId();
  m.kept_id = p1_;
  m.merged_id = p2_;
  m.duplicate_id = core::NewId();
  m.moved = R"([{"table":"case_shares","id":")" + share_id + R"(","field":"person_id","from":")" + p2_ + R"("}])";
  m.merged_by = "reviewer";
  m.merged_at = kT0;
  ASSERT_TRUE((*tx)->InsertPersonMerge(m).ok());
  app::PersonMerge again = m;
  again.id = core::NewId();
  EXPECT_EQ((*tx)->InsertPersonMerge(again).code(), core::StatusCode::kAlreadyExists) << "one live merge per person";
  app::PersonMerge dangling = m;
  dangling.id = core::NewId();
  dangling.merged_id = p3_;
  dangling.kept_id = core::NewId();
  EXPECT_EQ((*tx)->InsertPersonMerge(dangling).code(), core::StatusCode::kInvalidArgument);
  auto got = (*tx)->GetPersonMerge(m.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, m);
  EXPECT_FALSE((*tx)->GetPersonMerge(core::NewId())->has_value());

  app::PersonMerge undone = m;
  undone.version = 2;
  undone.undone_by = "reviewer";
  undone.undone_at = kT0;
  EXPECT_EQ((*tx)->UpdatePersonMerge(undone, 7).code(), core::StatusCode::kConflict);
  app::PersonMerge missing = undone;
  missing.id = core::NewId();
  EXPECT_EQ((*tx)->UpdatePersonMerge(missing, 1).code(), core::StatusCode::kNotFound);
  ASSERT_TRUE((*tx)->UpdatePersonMerge(undone, 1).ok());
  ASSERT_TRUE((*tx)->InsertPersonMerge(again).ok()) << "merged again once the first is undone";

  for (const std::string& person : {p1_, p2_}) {
    auto list = (*tx)->ListPersonMerges(person, "", 10);
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[0].id, std::min(m.id, again.id));
  }
  EXPECT_TRUE((*tx)->ListPersonMerges(p3_, "", 10)->empty());
  EXPECT_EQ((*tx)->ListPersonMerges("", std::min(m.id, again.id), 10)->size(), 1u) << "keyset";
  EXPECT_EQ((*tx)->ListPersonMerges("", "", 1)->size(), 1u);
  ASSERT_TRUE((*tx)->Commit().ok());
  auto ro = store_->Begin(TxMode::kRead);
  ASSERT_TRUE(ro.ok());
  EXPECT_EQ((*ro)->InsertPersonMerge(m).code(), core::StatusCode::kInternal);
  EXPECT_EQ((*ro)->RepointShare(share_id, p1_, p2_).code(), core::StatusCode::kInternal);
}

INSTANTIATE_TEST_SUITE_P(Backends, SearchContractTest, ::testing::ValuesIn(Backends()), testing_backends::BackendName);

}  // namespace
}  // namespace ctims
