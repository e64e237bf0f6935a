#include "domain/codelists.hpp"

#include <gtest/gtest.h>

namespace ctims::domain {
namespace {

TEST(CodeListsTest, BuiltinListsCarryLaoAndEnglish) {
  const auto& lists = CodeLists::Builtin();
  EXPECT_GE(lists.Names().size(), 30u);
  for (const auto& name : lists.Names()) {
    const auto* list = lists.Find(name);
    ASSERT_NE(list, nullptr);
    EXPECT_FALSE(list->items().empty()) << name;
    for (const auto& item : list->items()) {
      EXPECT_FALSE(item.labels.at("lo").empty()) << name << "/" << item.code;
      EXPECT_FALSE(item.labels.at("en").empty()) << name << "/" << item.code;
    }
  }
}

TEST(CodeListsTest, NamibiaIsACountryNotNull) {
  const auto* country = CodeLists::Builtin().Find("country");
  ASSERT_NE(country, nullptr);
  EXPECT_TRUE(country->Contains("NA"));
  EXPECT_TRUE(country->Contains("LA"));
  EXPECT_TRUE(country->Contains("XS"));  // stateless
  EXPECT_TRUE(country->Contains("XX"));  // unknown
  EXPECT_FALSE(country->Contains("na"));
  for (const auto& item : country->items()) {
    if (item.code == "NA") {
      EXPECT_EQ(item.labels.at("en"), "Namibia");
    }
  }
}

TEST(CodeListsTest, HtcdsListsKeepTheStandardsCodes) {
  const auto& lists = CodeLists::Builtin();
  EXPECT_TRUE(lists.Find("exploitation_type")->Contains("Surrogacy"));
  EXPECT_TRUE(lists.Find("exploitation_type")->Contains("ForcedCriminality"));
  EXPECT_TRUE(lists.Find("sex_exploitation_type")->Contains("RemoteInteractiveServices"));
  EXPECT_TRUE(lists.Find("relationship_to_trafficker")->Contains("Unaquainted"));  // sic, as in HTCDS
  EXPECT_EQ(lists.Find("control_method")->items().size(), 17u);
  EXPECT_EQ(lists.Find("forced_labour_industry")->items().size(), 21u);
}

TEST(CodeListsTest, ReferralMechanismListsHaveTheirCodesInOrder) {
  const auto& lists = CodeLists::Builtin();
  const std::map<std::string, std::vector<std::string>> expected = {
      {"ilo_forced_labour_indicator",
       {"AbuseOfVulnerability", "Deception", "RestrictionOfMovement", "Isolation", "PhysicalSexualViolence",
        "IntimidationThreats", "RetentionOfIdentityDocuments", "WithholdingOfWages", "DebtBondage",
        "AbusiveWorkingLivingConditions", "ExcessiveOvertime"}},
      {"screening_assessment",
       {"PossibleTrafficking", "FurtherScreeningNeeded", "LabourDispute", "InsufficientIndicators"}},
      {"screening_status", {"Submitted", "Confirmed", "Overridden"}},
      {"referral_status", {"Requested", "Accepted", "Declined", "Revoked", "Completed"}},
      {"referral_urgency", {"Routine", "Urgent", "Emergency"}},
      {"transfer_status", {"Requested", "Accepted", "Declined", "Revoked"}},
      {"repatriation_status", {"Planned", "DocumentsReady", "Departed", "Received", "FollowedUp", "Cancelled"}},
      {"repatriation_direction", {"Outbound", "Inbound"}},
      {"travel_document_status", {"None", "Requested", "Issued", "NotRequired"}},
      {"embassy_contact_status", {"NotContacted", "Contacted", "Confirmed", "NotApplicable"}},
      {"followup_outcome", {"Reintegrating", "NeedsSupport", "LostContact", "ReTrafficked", "Other"}},
      {"investigation_status", {"Open", "Investigating", "SentToProsecution", "Resolved", "ClosedWithoutAction"}},
      {"offence",
       {"LaoPenalCode215", "ForcedLabour", "Fraud", "UnlawfulDetention", "DocumentFraud", "MoneyLaundering", "Other"}},
      {"perpetrator_role",
       {"TravellingPartner", "Transporter", "RecruiterOrIntermediary", "BrokerTravelAgent", "TransferredIndividual",
        "HarbouredIndividual", "SoldIndividual", "BoughtIndividual", "ReceivedIndividual", "ControlledIndividual",
        "Smuggler", "Abuser", "Kidnapper", "Exploiter", "Other"}},
      {"suspect_kind", {"Person", "Organisation"}},
      {"organisation_involvement", {"Employer", "ContractBuyer", "RecruitmentAgency", "Transporter", "Other"}},
      {"task_kind",
       {"AnswerReferral", "AnswerTransfer", "ConfirmScreening", "ApproveClosure", "FollowUpReturn", "ActOnDirective",
        "CompleteActivity", "Other"}},  // issue 7: directives and plan activities
      {"task_status", {"Open", "Done", "Cancelled"}},
      {"notification_kind",
       {"ReferralReceived", "ReferralAnswered", "TransferReceived", "TransferAnswered", "ApprovalRequested",
        "ApprovalAnswered", "TaskDue", "ProtectedCaseAccessed"}},
  };
  for (const auto& [name, codes] : expected) {
    const auto* list = lists.Find(name);
    ASSERT_NE(list, nullptr) << name;
    std::vector<std::string> actual;
    for (const auto& item : list->items()) {
      actual.push_back(item.code);
      for (const char* lang : {"lo", "en", "th", "zh", "vi", "my"}) {
        EXPECT_TRUE(item.labels.contains(lang)) << name << "/" << item.code << " lacks " << lang;
      }
    }
    EXPECT_EQ(actual, codes) << name;
  }
  EXPECT_TRUE(lists.Find("case_status")->Contains("ClosureRequested"));
  EXPECT_EQ(lists.Find("perpetrator_role")->source(), "HTCDS 2.0 per_RoleInProcess");
}

TEST(CodeListsTest, ParseRejectsBrokenFiles) {
  const core::EmbeddedFile missing_lo[] = {{"a.json", R"({"name":"a","items":[{"code":"X","labels":{"en":"X"}}]})"}};
  EXPECT_FALSE(CodeLists::Parse(missing_lo).ok());
  const core::EmbeddedFile duplicate[] = {{"b.json",
                                           R"({"name":"b","items":[{"code":"X","labels":{"en":"X","lo":"X"}},)"
                                           R"({"code":"X","labels":{"en":"Y","lo":"Y"}}]})"}};
  EXPECT_FALSE(CodeLists::Parse(duplicate).ok());
  const core::EmbeddedFile not_json[] = {{"c.json", "{"}};
  EXPECT_FALSE(CodeLists::Parse(not_json).ok());
  const core::EmbeddedFile good[] = {
      {"d.json", R"({"name":"d","source":"test","items":[{"code":"X","labels":{"en":"X","lo":"ເອັກ"}}]})"}};
  auto parsed = CodeLists::Parse(good);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE((*parsed)->Find("d")->Contains("X"));
  EXPECT_EQ((*parsed)->Find("d")->source(), "test");
}

}  // namespace
}  // namespace ctims::domain
