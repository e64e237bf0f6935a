#include "domain/validation.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ctims::domain {
namespace {

using nlohmann::json;

constexpr const char* kPersonA = "01a221cf-ab36-7382-a598-52dc54a05a6d";
constexpr const char* kAgencyA = "01a221cf-a727-7125-846f-da648bd477d8";

class ValidationTest : public ::testing::Test {
 protected:
  std::vector<core::FieldError> Check(const char* resource, const json& record) {
    return Validate(*FindResource(resource), record, CodeLists::Builtin(), context_);
  }
  // The single (path, rule) pair reported, or "" when valid / several.
  std::string One(const char* resource, const json& record) {
    auto errors = Check(resource, record);
    if (errors.size() != 1) {
      std::string all = std::to_string(errors.size()) + " errors:";
      for (const auto& e : errors) all += " " + e.path + "/" + e.rule;
      return all;
    }
    return errors[0].path + "/" + errors[0].rule;
  }
  CheckContext context_{"2022-09-01"};
};

TEST_F(ValidationTest, AcceptsACompletePerson) {
  json p = {{"prs_FirstName", "ສົມພອນ"},
            {"prs_SecondName", "ພົມມະຈັກ"},
            {"prs_LatinNames", {"Somphone Phommachack", "Somphon Phommachak"}},
            {"prs_Sex", "Female"},
            {"prs_Birthdate", "1999-02-28"},
            {"prs_Citizenship", {"LA", "NA"}},
            {"prs_Languages", {"lo", "th"}},
            {"prs_IdentityDocuments",
             {{{"doc_Type", "Passport"}, {"doc_Number", "P1234567"}, {"doc_Status", "WithheldByEmployer"}}}},
            {"prs_MobilePhone", "+8562055555555"}};
  EXPECT_TRUE(Check("persons", p).empty()) << One("persons", p);
}

TEST_F(ValidationTest, ReportsEachRuleWithItsPath) {
  EXPECT_EQ(One("persons", {{"prs_FirstName", "A"}, {"bogus", 1}}), "bogus/unknown_field");
  EXPECT_EQ(One("persons", {{"prs_FirstName", 12}}), "prs_FirstName/type");
  EXPECT_EQ(One("persons", {{"prs_FirstName", "A"}, {"prs_Sex", "F"}}), "prs_Sex/codelist");
  EXPECT_EQ(One("persons", {{"prs_FirstName", "A"}, {"prs_Birthdate", "2023-02-29"}}), "prs_Birthdate/date");
  EXPECT_EQ(One("persons", {{"prs_FirstName", std::string(201, 'a')}}), "prs_FirstName/max_length");
  EXPECT_EQ(One("persons", {{"prs_FirstName", "A"}, {"prs_NumberOfChildren", 31}}), "prs_NumberOfChildren/max");
  EXPECT_EQ(One("persons", {{"prs_FirstName", "A"}, {"prs_NumberOfChildren", -1}}), "prs_NumberOfChildren/min");
  EXPECT_EQ(One("persons", {{"prs_FirstName", "A"}, {"prs_NumberOfChildren", 1.5}}), "prs_NumberOfChildren/type");
  EXPECT_EQ(One("persons", {{"prs_FirstName", "A"}, {"prs_MobilePhone", "call me"}}), "prs_MobilePhone/pattern");
  EXPECT_EQ(One("persons", {{"prs_FirstName", "   "}}), "prs_FirstName/not_empty");
  EXPECT_EQ(One("persons", {{"prs_FirstName", "a\nb"}}), "prs_FirstName/control_characters");
  EXPECT_EQ(One("persons", {{"prs_FirstName", "A"}, {"prs_Citizenship", {"LA", "LA"}}}),
            "prs_Citizenship[1]/duplicate");
  EXPECT_EQ(One("persons", {{"prs_FirstName", "A"}, {"prs_IdentityDocuments", {{{"doc_Type", "Passport"}}}}}),
            "prs_IdentityDocuments[0].doc_Status/required");
  EXPECT_EQ(One("persons", {{"prs_FirstName", "A"},
                            {"prs_IdentityDocuments", {{{"doc_Type", "Passport"}, {"doc_Status", "Lost"}, {"x", 1}}}}}),
            "prs_IdentityDocuments[0].x/unknown_field");
  EXPECT_EQ(One("cases", {{"person_id", "P1"}, {"owner_agency_id", kAgencyA}}), "person_id/id_format");
  EXPECT_EQ(One("cases", {{"owner_agency_id", kAgencyA}}), "person_id/required");
}

TEST_F(ValidationTest, CrossFieldRules) {
  EXPECT_EQ(One("persons", json::object()), "prs_FirstName/one_of_required");
  EXPECT_EQ(One("persons", {{"prs_FirstName", "A"}, {"prs_Birthdate", "2022-09-02"}}), "prs_Birthdate/not_future");
  EXPECT_EQ(One("persons", {{"prs_FirstName", "A"}, {"prs_Citizenship", {"XX", "LA"}}}), "prs_Citizenship/exclusive");
  json c = {{"person_id", kPersonA}, {"owner_agency_id", kAgencyA}, {"cas_Status", "Closed"}};
  EXPECT_EQ(One("cases", c), "cas_ClosureReason/required_with");
  c["cas_ClosureReason"] = "ReturnedHome";
  c["cas_OpenedOn"] = "2022-05-01";
  c["cas_ClosedOn"] = "2022-04-30";
  EXPECT_EQ(One("cases", c), "cas_ClosedOn/date_order");
  c["cas_ClosedOn"] = "2022-05-01";
  EXPECT_TRUE(Check("cases", c).empty());
  c["vic_TypeOfSexExploitation"] = {"RemoteInteractiveServices"};
  EXPECT_EQ(One("cases", c), "vic_TypeOfSexExploitation/required_with");
  c["vic_TypeOfExploitation"] = {"SexualExploitation"};
  EXPECT_TRUE(Check("cases", c).empty());
}

TEST_F(ValidationTest, MethodsOfControlAreTriState) {
  json c = {{"person_id", kPersonA}, {"owner_agency_id", kAgencyA}};
  c["vic_MethodsOfControl"] = {{"DebtBondage", "Yes"}, {"WithholdsDocuments", "Unknown"}};
  EXPECT_TRUE(Check("cases", c).empty());
  c["vic_MethodsOfControl"]["DebtBondage"] = true;
  EXPECT_EQ(One("cases", c), "vic_MethodsOfControl.DebtBondage/type");
}

TEST_F(ValidationTest, DefaultsFillOnlyAbsentFields) {
  json c = {{"person_id", kPersonA}};
  ApplyDefaults(*FindResource("cases"), c, context_);
  EXPECT_EQ(c["cas_Status"], "Active");
  EXPECT_EQ(c["cas_OpenedOn"], "2022-09-01");
  json d = {{"cas_Status", "FollowUp"}};
  ApplyDefaults(*FindResource("cases"), d, context_);
  EXPECT_EQ(d["cas_Status"], "FollowUp");
}

TEST_F(ValidationTest, MergePatchAndDropNulls) {
  json target = {{"a", 1}, {"o", {{"x", 1}, {"y", 2}}}};
  MergePatch(target, {{"a", nullptr}, {"o", {{"y", nullptr}, {"z", 3}}}, {"b", {1, nullptr}}});
  EXPECT_EQ(target, (json{{"o", {{"x", 1}, {"z", 3}}}, {"b", {1, nullptr}}}));
  json v = {{"a", nullptr}, {"o", {{"x", nullptr}}}};
  DropNulls(v);
  EXPECT_EQ(v, (json{{"o", json::object()}}));
}

}  // namespace
}  // namespace ctims::domain
