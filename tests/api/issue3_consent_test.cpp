// Issue 3 §4: consent per purpose on a case, who recorded it and when, and
// its withdrawal.

#include "test_server.hpp"

namespace ctims::api_test {
namespace {

TEST_F(ApiTest, Issue3_ConsentPerPurposeWithWithdrawal) {
  const World w = MakeWorld();
  json given = Create("consents", {{"case_id", w.case_id},
                                   {"cns_Purpose", "Statistics"},
                                   {"cns_Status", "Given"},
                                   {"cns_GivenBy", "ParentOrGuardian"},
                                   {"cns_Method", "Written"}});
  EXPECT_EQ(given["cns_Date"], kToday) << "the date defaults to today";
  const std::string id = given["id"];

  // Unknown purposes and statuses are refused by their code lists.
  EXPECT_TRUE(IsFieldError(
      Post(Url("consents"), {{"case_id", w.case_id}, {"cns_Purpose", "Marketing"}, {"cns_Status", "Given"}}),
      "cns_Purpose", "codelist"));
  // A withdrawal needs its date; only a withdrawal has one.
  EXPECT_TRUE(IsFieldError(Patch(Url("consents", id), {{"version", 1}, {"cns_Status", "Withdrawn"}}), "cns_WithdrawnOn",
                           "required_with"));
  EXPECT_TRUE(IsFieldError(Patch(Url("consents", id), {{"version", 1}, {"cns_WithdrawnOn", kToday}}), "cns_WithdrawnOn",
                           "forbidden_with"));
  server().clock().Advance(std::chrono::hours(2));
  RefreshSession();
  Reply withdrawn =
      Patch(Url("consents", id), {{"version", 1}, {"cns_Status", "Withdrawn"}, {"cns_WithdrawnOn", kToday}});
  ASSERT_EQ(withdrawn.status, 200) << Describe(withdrawn);

  // Who recorded the consent and who withdrew it, and when: the history.
  json history = History("consents", id);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["action"], "create");
  EXPECT_EQ(history[0]["actor"], server().tester_id());
  EXPECT_EQ(history[1]["action"], "update");
  EXPECT_EQ(history[1]["actor"], server().tester_id());
  EXPECT_NE(history[0]["at"], history[1]["at"]);

  // The case's consents, by purpose.
  EXPECT_EQ(Count("consents", "case_id=" + w.case_id), 2u);  // MakeWorld's referral consent and this one
  auto stats = ListAll("consents", "case_id=" + w.case_id + "&cns_Purpose=Statistics");
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0]["cns_Status"], "Withdrawn");
}

}  // namespace
}  // namespace ctims::api_test
