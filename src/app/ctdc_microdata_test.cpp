#include "app/ctdc_microdata.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <random>

namespace ctims::app {
namespace {

std::string Col(const std::vector<std::string>& row, const std::string& name) {
  const auto& cols = CtdcColumns();
  const auto at = static_cast<std::size_t>(std::find(cols.begin(), cols.end(), name) - cols.begin());
  return at < row.size() ? row[at] : "<no column " + name + ">";
}

TEST(CtdcMicrodataTest, ColumnsFollowTheCodebook) {
  const auto& c = CtdcColumns();
  EXPECT_EQ(c.size(), 63u);  // 2020+ layout: 62 + isSlaveryAndPractices
  EXPECT_EQ(c.front(), "yearOfRegistration");
  EXPECT_EQ(c[1], "Datasource");
  EXPECT_EQ(c.back(), "recruiterRelationUnknown");
  for (const char* name : {"RecruiterRelationship", "CountryOfExploitation", "meansOfControlWithholdsDocuments",
                           "meansOfControlNotSpecified", "typeOfLabourMiningOrDrilling", "isSlaveryAndPractices",
                           "typeOfSexRemoteInteractiveServices"}) {
    EXPECT_NE(std::find(c.begin(), c.end(), name), c.end()) << name;
  }
}

TEST(CtdcMicrodataTest, RowValuesFollowTheConventions) {
  const nlohmann::json moc = {{"DebtBondage", "Yes"}, {"Threats", "No"}, {"PhysicalAbuse", "Unknown"}};
  CtdcSource s;
  s.year_of_registration = 2022;
  s.sex = "Female";
  s.age = 15;
  s.citizenship = "MM";
  s.country_of_exploitation = "LA";
  s.exploitation = {"ForcedLabour", "SexualExploitation"};
  s.industries = {"C_Manufacturing"};
  s.sex_types = {"RemoteInteractiveServices"};
  s.relationship = "Acquainted";
  s.methods_of_control = &moc;
  const auto row = CtdcRow(s);
  ASSERT_EQ(row.size(), CtdcColumns().size());
  EXPECT_EQ(Col(row, "yearOfRegistration"), "2022");
  EXPECT_EQ(Col(row, "Datasource"), "Case management");
  EXPECT_EQ(Col(row, "gender"), "Female");
  EXPECT_EQ(Col(row, "ageBroad"), "9--17");
  EXPECT_EQ(Col(row, "majorityStatus"), "Minor");
  EXPECT_EQ(Col(row, "majorityEntry"), "-99");
  EXPECT_EQ(Col(row, "citizenship"), "MM");
  EXPECT_EQ(Col(row, "meansOfControlDebtBondage"), "1");
  EXPECT_EQ(Col(row, "meansOfControlThreats"), "0");
  EXPECT_EQ(Col(row, "meansOfControlPhysicalAbuse"), "-99");
  EXPECT_EQ(Col(row, "meansOfControlSexualAbuse"), "-99");
  EXPECT_EQ(Col(row, "meansOfControlNotSpecified"), "0");
  EXPECT_EQ(Col(row, "meansOfControlConcatenated"), "Debt bondage");
  EXPECT_EQ(Col(row, "isForcedLabour"), "1");
  EXPECT_EQ(Col(row, "isSexualExploit"), "1");
  EXPECT_EQ(Col(row, "isSexAndLabour"), "1");
  EXPECT_EQ(Col(row, "isOtherExploit"), "0");
  EXPECT_EQ(Col(row, "typeOfExploitConcatenated"), "Forced labour and/or services;Sexual exploitation");
  EXPECT_EQ(Col(row, "typeOfLabourManufacturing"), "1");
  EXPECT_EQ(Col(row, "typeOfLabourConstruction"), "0");
  EXPECT_EQ(Col(row, "typeOfSexRemoteInteractiveServices"), "1");
  EXPECT_EQ(Col(row, "typeOfSexProstitution"), "0");
  EXPECT_EQ(Col(row, "RecruiterRelationship"), "Friend/Acquaintance");
  EXPECT_EQ(Col(row, "recruiterRelationFriend"), "1");
  EXPECT_EQ(Col(row, "recruiterRelationUnknown"), "0");
  EXPECT_EQ(Col(row, "CountryOfExploitation"), "LA");

  // Nothing known: -99 everywhere it is not a constant.
  const auto empty = CtdcRow(CtdcSource{});
  for (const char* name : {"yearOfRegistration", "gender", "ageBroad", "majorityStatus", "citizenship",
                           "isForcedLabour", "typeOfLabourAgriculture", "typeOfSexPornography",
                           "meansOfControlConcatenated", "RecruiterRelationship", "CountryOfExploitation"}) {
    EXPECT_EQ(Col(empty, name), "-99") << name;
  }
  EXPECT_EQ(Col(empty, "recruiterRelationUnknown"), "1");
}

std::vector<std::size_t> QiColumns() {
  std::vector<std::size_t> qi;
  for (const auto& q : CtdcQuasiIdentifiers()) {
    qi.push_back(
        static_cast<std::size_t>(std::find(CtdcColumns().begin(), CtdcColumns().end(), q) - CtdcColumns().begin()));
  }
  return qi;
}

std::size_t SmallestGroup(const std::vector<std::vector<std::string>>& rows, const std::vector<std::size_t>& qi) {
  std::map<std::vector<std::string>, std::size_t> counts;
  for (const auto& r : rows) {
    std::vector<std::string> key;
    for (auto c : qi) key.push_back(r[c]);
    ++counts[key];
  }
  std::size_t smallest = SIZE_MAX;
  for (const auto& [key, n] : counts) smallest = std::min(smallest, n);
  return smallest;
}

TEST(CtdcMicrodataTest, KAnonymityHoldsAfterSuppression) {
  std::mt19937 rng(7);
  const std::vector<std::string> nationalities = {"LA", "LA", "LA", "LA", "MM", "MM", "TH", "CN", "VN", "KH", "PH"};
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < 600; ++i) {
    CtdcSource s;
    s.year_of_registration = 2019 + static_cast<int>(rng() % 4);
    s.sex = rng() % 3 == 0 ? "Male" : "Female";
    s.age = static_cast<int>(10 + rng() % 45);
    s.citizenship = nationalities[rng() % nationalities.size()];
    s.country_of_exploitation = "LA";
    s.exploitation = {rng() % 2 ? "ForcedLabour" : "SexualExploitation"};
    rows.push_back(CtdcRow(s));
  }
  const auto qi = QiColumns();
  ASSERT_LT(SmallestGroup(rows, qi), kCtdcK) << "the test data must need suppression";
  const auto result = EnforceKAnonymity(rows, qi, kCtdcK);
  EXPECT_GT(result.suppressed_values, 0);
  EXPECT_EQ(rows.size() + static_cast<std::size_t>(result.dropped_rows), 600u);
  ASSERT_FALSE(rows.empty());
  EXPECT_GE(SmallestGroup(rows, qi), kCtdcK);
  // Age bands went before anything else: Adult/Minor survive more often.
  std::size_t age_gone = 0, majority_gone = 0;
  for (const auto& r : rows) {
    age_gone += Col(r, "ageBroad") == "-99";
    majority_gone += Col(r, "majorityStatus") == "-99";
  }
  EXPECT_GT(age_gone, majority_gone);
}

TEST(CtdcMicrodataTest, AlreadyAnonymousDataIsLeftAlone) {
  CtdcSource s;
  s.year_of_registration = 2022;
  s.sex = "Female";
  s.age = 25;
  s.citizenship = "LA";
  std::vector<std::vector<std::string>> rows(kCtdcK, CtdcRow(s));
  const auto before = rows;
  const auto result = EnforceKAnonymity(rows, QiColumns(), kCtdcK);
  EXPECT_EQ(result.suppressed_values, 0);
  EXPECT_EQ(result.dropped_rows, 0);
  EXPECT_EQ(rows, before);
  // One fewer: nothing can make ten identical rows anonymous: all dropped.
  rows.pop_back();
  const auto small = EnforceKAnonymity(rows, QiColumns(), kCtdcK);
  EXPECT_TRUE(rows.empty());
  EXPECT_EQ(small.dropped_rows, static_cast<std::int64_t>(kCtdcK - 1));
}

}  // namespace
}  // namespace ctims::app
