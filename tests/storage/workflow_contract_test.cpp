// The storage contract of the referral mechanism (issue 4): case shares and
// the list filter that honours them, workflow tasks and notifications. Runs
// on every backend in backends.hpp.
#include <gtest/gtest.h>

#include <string>
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
using core::Result;
using testing_backends::Backends;

constexpr const char* kT0 = "2026-01-01T00:00:00.000Z";

class WorkflowContractTest : public testing_backends::ContractTest {
 protected:
  WorkflowContractTest() : ContractTest("ctims-workflow-") {}

  void SetUp() override {
    ContractTest::SetUp();
    if (HasFatalFailure()) return;
    agency_a_ = Put("agencies", {"A", std::nullopt, std::nullopt}, {});
    agency_b_ = Put("agencies", {"B", std::nullopt, std::nullopt}, {});
    person_ = Put("persons", {}, Tag(agency_a_, ""));
    case_ = core::NewId();
    Put("cases", {person_, agency_a_}, Tag(agency_a_, case_), case_);
  }

  static TableDef Table(const char* resource) { return app::TableFor(*domain::FindResource(resource)); }

  static AccessTag Tag(const std::string& agency, const std::string& case_id, bool prot = false) {
    return {"owner", agency, "/" + agency + "/", case_id, prot};
  }

  std::string Put(const char* resource, std::vector<std::optional<std::string>> columns, const AccessTag& tag,
                  std::string id = "") {
    const TableDef t = Table(resource);
    StoredRecord r;
    r.id = id.empty() ? core::NewId() : id;
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

  std::vector<std::string> ListIds(const char* resource, const AccessFilter& filter) {
    auto tx = store_->Begin(TxMode::kRead);
    EXPECT_TRUE(tx.ok());
    app::ListQuery q;
    q.limit = 100;
    q.access = filter;
    auto rows = (*tx)->List(Table(resource), q);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    if (rows.ok()) {
      for (const auto& r : *rows) out.push_back(r.id);
    }
    return out;
  }

  AccessFilter AgencyFilter(const std::string& agency) {
    AccessFilter f;
    f.kind = AccessFilter::Kind::kAgency;
    f.value = agency;
    f.viewer_user = "someone";
    f.viewer_agency = agency;
    f.now = kT0;
    return f;
  }

  void Share(const std::string& agency, const std::string& source_id) {
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    app::CaseShare share{core::NewId(), case_, person_, agency, "referral", source_id, kT0};
    ASSERT_TRUE((*tx)->InsertShare(share).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }

  std::string agency_a_, agency_b_, person_, case_;
};

TEST_P(WorkflowContractTest, ASharedCaseReachesTheOtherAgencyInListsAndLookups) {
  const std::string event = Put("trafficking-events", {case_, std::nullopt}, Tag(agency_a_, case_));
  EXPECT_TRUE(ListIds("cases", AgencyFilter(agency_b_)).empty());
  EXPECT_TRUE(ListIds("persons", AgencyFilter(agency_b_)).empty());
  EXPECT_TRUE(ListIds("trafficking-events", AgencyFilter(agency_b_)).empty());

  const std::string referral = core::NewId();
  Share(agency_b_, referral);
  Share(agency_b_, referral);  // idempotent
  EXPECT_EQ(ListIds("cases", AgencyFilter(agency_b_)), std::vector<std::string>{case_});
  EXPECT_EQ(ListIds("persons", AgencyFilter(agency_b_)), std::vector<std::string>{person_});
  EXPECT_EQ(ListIds("trafficking-events", AgencyFilter(agency_b_)), std::vector<std::string>{event});

  auto tx = store_->Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  EXPECT_TRUE(*(*tx)->HasShare(agency_b_, case_, ""));
  EXPECT_TRUE(*(*tx)->HasShare(agency_b_, "", person_));
  EXPECT_FALSE(*(*tx)->HasShare(agency_a_, case_, ""));
  EXPECT_FALSE(*(*tx)->HasShare(agency_b_, "", ""));
  auto shares = (*tx)->ListShares(case_);
  ASSERT_TRUE(shares.ok());
  ASSERT_EQ(shares->size(), 1u);
  EXPECT_EQ((*shares)[0].agency_id, agency_b_);
  EXPECT_EQ((*shares)[0].source_id, referral);
}

TEST_P(WorkflowContractTest, ASharePassesProtectionOnlyForItsAgency) {
  const std::string protected_case = core::NewId();
  Put("cases", {person_, agency_a_}, Tag(agency_a_, protected_case, /*prot=*/true), protected_case);
  AccessFilter all;
  all.kind = AccessFilter::Kind::kAll;
  all.viewer_user = "someone";
  all.viewer_agency = agency_b_;
  all.now = kT0;
  EXPECT_EQ(ListIds("cases", all), std::vector<std::string>{case_}) << "protected: hidden from B";
  {
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    app::CaseShare share{core::NewId(), protected_case, person_, agency_b_, "referral", core::NewId(), kT0};
    ASSERT_TRUE((*tx)->InsertShare(share).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  auto ids = ListIds("cases", AgencyFilter(agency_b_));
  EXPECT_EQ(ids, std::vector<std::string>{protected_case}) << "shared with B, protection included";
  EXPECT_TRUE(ListIds("cases", AgencyFilter(core::NewId())).empty());
}

TEST_P(WorkflowContractTest, TasksListCloseAndCheckTheirVersion) {
  auto tx = store_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  app::WorkTask early{core::NewId(), 1,    "AnswerReferral",           "Open", agency_b_, "", case_,
                      "referrals",   "r1", "2026-01-03T00:00:00.000Z", kT0,    "",        ""};
  app::WorkTask late = early;
  late.id = core::NewId();
  late.kind = "FollowUpReturn";
  late.resource = "repatriations";
  late.record_id = "p1";
  late.due_at = "2026-02-01T00:00:00.000Z";
  app::WorkTask mine = early;
  mine.id = core::NewId();
  mine.agency_id = agency_a_;
  mine.user_id = "u1";
  mine.record_id = "r2";
  for (const auto* t : {&late, &early, &mine}) ASSERT_TRUE((*tx)->InsertTask(*t).ok());
  ASSERT_TRUE((*tx)->Commit().ok());

  tx = Result<std::unique_ptr<app::StoreTransaction>>(core::Status::Internal("released"));  // one writer at a time
  tx = store_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  app::TaskQuery q;
  q.agency_id = agency_b_;
  auto listed = (*tx)->ListTasks(q);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0], early) << "earliest due first, every field round-trips";
  EXPECT_EQ((*listed)[1].id, late.id);
  q.due_before = "2026-01-10T00:00:00.000Z";
  EXPECT_EQ((*tx)->ListTasks(q)->size(), 1u);
  app::TaskQuery by_user;
  by_user.user_id = "u1";
  EXPECT_EQ((*tx)->ListTasks(by_user)->size(), 1u);

  auto closed = (*tx)->CloseTasks("referrals", "r1", "AnswerReferral", "Done", "2026-01-02T00:00:00.000Z", "u9");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(*closed, 1);
  EXPECT_EQ(*(*tx)->CloseTasks("referrals", "r1", "", "Done", kT0, "u9"), 0) << "already closed";
  auto got = (*tx)->GetTask(early.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->status, "Done");
  EXPECT_EQ((*got)->closed_by, "u9");
  EXPECT_EQ((*got)->version, 2);
  q.due_before.clear();
  EXPECT_EQ((*tx)->ListTasks(q)->size(), 1u) << "closed tasks leave the open list";
  q.open_only = false;
  EXPECT_EQ((*tx)->ListTasks(q)->size(), 2u);

  app::WorkTask done = late;
  done.status = "Cancelled";
  done.version = 2;
  EXPECT_EQ((*tx)->UpdateTask(done, 5).code(), core::StatusCode::kConflict);
  EXPECT_TRUE((*tx)->UpdateTask(done, 1).ok());
  done.id = core::NewId();
  EXPECT_EQ((*tx)->UpdateTask(done, 1).code(), core::StatusCode::kNotFound);
  EXPECT_FALSE((*tx)->GetTask(core::NewId())->has_value());
  ASSERT_TRUE((*tx)->Commit().ok());
}

TEST_P(WorkflowContractTest, NotificationsAreCreatedOnceAndReadPerUser) {
  auto tx = store_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  app::Notification to_agency{core::NewId(), "ReferralReceived", "",   agency_b_, "referrals:accept",
                              case_,         "referrals",        "r1", kT0,       "ReferralReceived:r1",
                              false};
  app::Notification to_user{core::NewId(),
                            "ApprovalAnswered",
                            "u1",
                            "",
                            "",
                            case_,
                            "cases",
                            case_,
                            "2026-01-02T00:00:00.000Z",
                            "ApprovalAnswered:x",
                            false};
  EXPECT_TRUE(*(*tx)->InsertNotification(to_agency));
  EXPECT_TRUE(*(*tx)->InsertNotification(to_user));
  app::Notification again = to_agency;
  again.id = core::NewId();
  EXPECT_FALSE(*(*tx)->InsertNotification(again)) << "same dedupe key: one row";
  ASSERT_TRUE((*tx)->Commit().ok());

  tx = Result<std::unique_ptr<app::StoreTransaction>>(core::Status::Internal("released"));  // one writer at a time
  tx = store_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  auto for_u1 = (*tx)->ListNotifications("u1", agency_b_, 50);
  ASSERT_TRUE(for_u1.ok());
  ASSERT_EQ(for_u1->size(), 2u);
  EXPECT_EQ((*for_u1)[0], to_user) << "newest first, every field round-trips";
  EXPECT_EQ((*for_u1)[1], to_agency);
  EXPECT_EQ((*tx)->ListNotifications("u2", agency_a_, 50)->size(), 0u);

  ASSERT_TRUE((*tx)->MarkNotificationRead(to_agency.id, "u1", kT0).ok());
  ASSERT_TRUE((*tx)->MarkNotificationRead(to_agency.id, "u1", kT0).ok()) << "twice is fine";
  EXPECT_EQ((*tx)->MarkNotificationRead(core::NewId(), "u1", kT0).code(), core::StatusCode::kNotFound);
  EXPECT_TRUE((*tx)->ListNotifications("u1", agency_b_, 50)->at(1).read);
  EXPECT_FALSE((*tx)->ListNotifications("u3", agency_b_, 50)->at(0).read) << "read state is per user";
  ASSERT_TRUE((*tx)->Commit().ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkflowContractTest, ::testing::ValuesIn(Backends()),
                         testing_backends::BackendName);

}  // namespace
}  // namespace ctims
