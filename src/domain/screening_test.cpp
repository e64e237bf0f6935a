#include "domain/screening.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "domain/codelists.hpp"

namespace ctims::domain {
namespace {

using Codes = std::vector<std::string>;

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool HasAll(const std::vector<std::string>& v, const std::vector<std::string>& xs) {
  return std::all_of(xs.begin(), xs.end(), [&](const std::string& x) { return Has(v, x); });
}

bool Mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<IndicatorAnswer> Yes(const std::vector<std::string>& codes) {
  std::vector<IndicatorAnswer> answers;
  for (const auto& code : codes) answers.push_back({code, "Yes"});
  return answers;
}

const DimensionResult& ResultFor(const ScreeningSuggestion& s, Dimension d) {
  return s.dimensions.at(static_cast<std::size_t>(d));
}

// Catalogue codes of one dimension and strength, in catalogue order.
std::vector<std::string> CodesOf(Dimension d, Strength s) {
  std::vector<std::string> out;
  for (const auto& indicator : ScreeningIndicators()) {
    if (indicator.dimension == d && indicator.strength == s) out.push_back(indicator.code);
  }
  return out;
}

constexpr Dimension kAllDimensions[] = {
    Dimension::kDeceptiveRecruitment,
    Dimension::kCoerciveRecruitment,
    Dimension::kRecruitmentAbuseOfVulnerability,
    Dimension::kExploitativeConditions,
    Dimension::kCoercionAtDestination,
    Dimension::kAbuseOfVulnerabilityAtDestination,
};

// --- The catalogue ----------------------------------------------------------

TEST(ScreeningCatalogueTest, CodesAreUniqueAndFindable) {
  const auto& catalogue = ScreeningIndicators();
  EXPECT_GE(catalogue.size(), 30u);
  EXPECT_LE(catalogue.size(), 45u);
  std::set<std::string> codes;
  for (const auto& indicator : catalogue) {
    EXPECT_TRUE(codes.insert(indicator.code).second) << "duplicate " << indicator.code;
    const Indicator* found = FindIndicator(indicator.code);
    ASSERT_NE(found, nullptr) << indicator.code;
    EXPECT_EQ(found, &indicator);
  }
  EXPECT_EQ(FindIndicator("NoSuchIndicator"), nullptr);
  EXPECT_EQ(FindIndicator(""), nullptr);
  EXPECT_EQ(FindIndicator("deceivedaboutjob"), nullptr);  // codes are case-sensitive
}

TEST(ScreeningCatalogueTest, MatchesCodeListBothWays) {
  const CodeList* list = CodeLists::Builtin().Find("screening_indicator");
  ASSERT_NE(list, nullptr);
  for (const auto& indicator : ScreeningIndicators()) {
    EXPECT_TRUE(list->Contains(indicator.code)) << indicator.code;
  }
  for (const auto& item : list->items()) {
    EXPECT_NE(FindIndicator(item.code), nullptr) << item.code;
  }
  EXPECT_EQ(list->items().size(), ScreeningIndicators().size());
}

TEST(ScreeningCatalogueTest, IloCodesAreInTheirListAndAllElevenAreCovered) {
  const CodeList* ilo = CodeLists::Builtin().Find("ilo_forced_labour_indicator");
  ASSERT_NE(ilo, nullptr);
  EXPECT_EQ(ilo->items().size(), 11u);
  std::set<std::string> evidenced;
  for (const auto& indicator : ScreeningIndicators()) {
    if (indicator.ilo_forced_labour.empty()) continue;
    EXPECT_TRUE(ilo->Contains(indicator.ilo_forced_labour)) << indicator.code;
    evidenced.insert(indicator.ilo_forced_labour);
  }
  for (const auto& item : ilo->items()) {
    EXPECT_TRUE(evidenced.contains(item.code)) << "no indicator evidences " << item.code;
  }
}

TEST(ScreeningCatalogueTest, EveryDimensionHasAStrongIndicatorAndIsContiguous) {
  for (Dimension d : kAllDimensions) {
    EXPECT_FALSE(CodesOf(d, Strength::kStrong).empty()) << DimensionCode(d);
  }
  // Grouped by dimension in enum order.
  const auto& catalogue = ScreeningIndicators();
  EXPECT_TRUE(std::is_sorted(catalogue.begin(), catalogue.end(), [](const Indicator& a, const Indicator& b) {
    return static_cast<int>(a.dimension) < static_cast<int>(b.dimension);
  }));
}

TEST(ScreeningCatalogueTest, BokeoIndicatorsHaveTheAgreedPlaces) {
  struct Expected {
    const char* code;
    Dimension dimension;
    Strength strength;
    const char* ilo;
  };
  const Expected expected[] = {
      {"DeceivedAboutJob", Dimension::kDeceptiveRecruitment, Strength::kStrong, "Deception"},
      {"DeceivedAboutConditions", Dimension::kDeceptiveRecruitment, Strength::kStrong, "Deception"},
      {"ContractSoldToAnotherEmployer", Dimension::kCoercionAtDestination, Strength::kStrong, ""},
      {"IdentityDocumentsWithheld", Dimension::kCoercionAtDestination, Strength::kStrong,
       "RetentionOfIdentityDocuments"},
      {"DebtImposed", Dimension::kCoercionAtDestination, Strength::kStrong, "DebtBondage"},
      {"ExcessiveWorkingHours", Dimension::kExploitativeConditions, Strength::kStrong, "ExcessiveOvertime"},
      {"WagesWithheld", Dimension::kExploitativeConditions, Strength::kMedium, "WithholdingOfWages"},
      {"PoorLivingConditions", Dimension::kExploitativeConditions, Strength::kMedium, "AbusiveWorkingLivingConditions"},
      {"RestrictedMovement", Dimension::kCoercionAtDestination, Strength::kStrong, "RestrictionOfMovement"},
  };
  for (const auto& e : expected) {
    const Indicator* indicator = FindIndicator(e.code);
    ASSERT_NE(indicator, nullptr) << e.code;
    EXPECT_EQ(indicator->dimension, e.dimension) << e.code;
    EXPECT_EQ(indicator->strength, e.strength) << e.code;
    EXPECT_EQ(indicator->ilo_forced_labour, e.ilo) << e.code;
  }
  for (const char* code : {"ThreatsOfViolence", "PhysicalOrSexualViolence", "Isolation", "ThreatOfDenunciation",
                           "NoContract", "UnpaidOvertimeOrLowWages"}) {
    EXPECT_NE(FindIndicator(code), nullptr) << code;
  }
}

TEST(ScreeningCatalogueTest, CodeNames) {
  EXPECT_STREQ(DimensionCode(Dimension::kDeceptiveRecruitment), "DeceptiveRecruitment");
  EXPECT_STREQ(DimensionCode(Dimension::kRecruitmentAbuseOfVulnerability), "RecruitmentAbuseOfVulnerability");
  EXPECT_STREQ(DimensionCode(Dimension::kAbuseOfVulnerabilityAtDestination), "AbuseOfVulnerabilityAtDestination");
  EXPECT_STREQ(StrengthCode(Strength::kStrong), "Strong");
  EXPECT_STREQ(StrengthCode(Strength::kMedium), "Medium");
  EXPECT_STREQ(StrengthCode(Strength::kWeak), "Weak");
}

// --- The combination rule, per dimension -----------------------------------

struct Combination {
  int strong;
  int medium;
  int weak;
  bool positive;
};

// The four positive combinations and the cases just below them.
constexpr Combination kCombinations[] = {
    {2, 0, 0, true},  {1, 1, 0, true},  {1, 0, 1, true},  {0, 3, 0, true},  {0, 2, 1, true},
    {1, 0, 0, false}, {0, 2, 0, false}, {0, 1, 2, false}, {0, 1, 1, false}, {0, 0, 2, false},
    {0, 1, 0, false}, {0, 0, 1, false}, {0, 0, 0, false},
};

TEST(ScreeningRuleTest, EachDimensionFollowsTheCombinationRule) {
  for (Dimension d : kAllDimensions) {
    const auto strong = CodesOf(d, Strength::kStrong);
    const auto medium = CodesOf(d, Strength::kMedium);
    const auto weak = CodesOf(d, Strength::kWeak);
    for (const auto& c : kCombinations) {
      if (static_cast<int>(strong.size()) < c.strong || static_cast<int>(medium.size()) < c.medium ||
          static_cast<int>(weak.size()) < c.weak) {
        continue;  // this dimension has too few indicators of a strength for the case
      }
      std::vector<std::string> codes;
      codes.insert(codes.end(), strong.begin(), strong.begin() + c.strong);
      codes.insert(codes.end(), medium.begin(), medium.begin() + c.medium);
      codes.insert(codes.end(), weak.begin(), weak.begin() + c.weak);
      const auto s = SuggestTraffickingStatus(Yes(codes));
      const auto& result = ResultFor(s, d);
      EXPECT_EQ(result.positive, c.positive)
          << DimensionCode(d) << " strong=" << c.strong << " medium=" << c.medium << " weak=" << c.weak;
      EXPECT_EQ(result.indicators.size(), codes.size()) << DimensionCode(d);
      for (Dimension other : kAllDimensions) {
        if (other != d) {
          EXPECT_FALSE(ResultFor(s, other).positive);
        }
      }
    }
  }
}

TEST(ScreeningRuleTest, EveryDimensionCanReachEachPositiveCombinationItHasIndicatorsFor) {
  // Guards the previous test against silently skipping: each dimension has at
  // least two medium or a weak to pair with its strong one.
  for (Dimension d : kAllDimensions) {
    EXPECT_GE(CodesOf(d, Strength::kMedium).size() + CodesOf(d, Strength::kWeak).size(), 1u) << DimensionCode(d);
  }
  EXPECT_GE(CodesOf(Dimension::kCoercionAtDestination, Strength::kMedium).size(), 3u);
  EXPECT_GE(CodesOf(Dimension::kExploitativeConditions, Strength::kMedium).size(), 3u);
  EXPECT_GE(CodesOf(Dimension::kExploitativeConditions, Strength::kWeak).size(), 2u);
}

TEST(ScreeningRuleTest, MoreWeakIndicatorsNeverMakeUpForAStrongOrMediumOne) {
  const auto s = SuggestTraffickingStatus(Yes({"UnpaidOvertimeOrLowWages", "NoContract", "WagesWithheld"}));
  EXPECT_FALSE(ResultFor(s, Dimension::kExploitativeConditions).positive);  // medium + weak + weak
}

TEST(ScreeningRuleTest, NoAndUnknownNeverCount) {
  std::vector<IndicatorAnswer> answers;
  for (const auto& indicator : ScreeningIndicators()) {
    answers.push_back({indicator.code, "No"});
    answers.push_back({indicator.code, "Unknown"});
    answers.push_back({indicator.code, "yes"});  // not "Yes"
    answers.push_back({indicator.code, ""});
  }
  const auto s = SuggestTraffickingStatus(answers);
  EXPECT_EQ(s.assessment, "InsufficientIndicators");
  EXPECT_EQ(s.trafficking_status, "");
  EXPECT_TRUE(s.basis.empty());
  EXPECT_TRUE(s.ilo_forced_labour.empty());
  ASSERT_EQ(s.dimensions.size(), 6u);
  for (const auto& d : s.dimensions) {
    EXPECT_FALSE(d.positive) << d.dimension;
    EXPECT_TRUE(d.indicators.empty()) << d.dimension;
  }
  EXPECT_TRUE(Mentions(s.explanation, "No indicator"));
}

TEST(ScreeningRuleTest, UnknownCodesAndRepeatedYesCountForNothingExtra) {
  // One strong indicator answered Yes twice is still one strong indicator.
  auto s = SuggestTraffickingStatus(Yes({"DeceivedAboutJob", "DeceivedAboutJob", "NotAnIndicator"}));
  EXPECT_FALSE(ResultFor(s, Dimension::kDeceptiveRecruitment).positive);
  EXPECT_EQ(ResultFor(s, Dimension::kDeceptiveRecruitment).indicators, (Codes{"DeceivedAboutJob"}));
  for (const auto& d : s.dimensions) EXPECT_FALSE(Has(d.indicators, "NotAnIndicator"));
}

TEST(ScreeningRuleTest, DimensionsAreReportedInEnumOrder) {
  const auto s = SuggestTraffickingStatus({});
  ASSERT_EQ(s.dimensions.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(s.dimensions[i].dimension, DimensionCode(kAllDimensions[i]));
}

// --- The four assessments ---------------------------------------------------

TEST(ScreeningSuggestionTest, BokeoSpecialEconomicZoneCaseIsPossibleTrafficking) {
  // A worker promised a different job and pay, whose passport was taken, who
  // was charged for Covid tests, quarantine and transport, worked very long
  // hours in crowded housing and whose contract was sold to another company.
  const auto s = SuggestTraffickingStatus(
      Yes({"DeceivedAboutJob", "DeceivedAboutConditions", "IdentityDocumentsWithheld", "DebtImposed",
           "ExcessiveWorkingHours", "ContractSoldToAnotherEmployer", "PoorLivingConditions"}));
  EXPECT_EQ(s.assessment, "PossibleTrafficking");
  EXPECT_EQ(s.trafficking_status, "PossibleVictimOfTrafficking");
  EXPECT_TRUE(
      HasAll(s.basis, {"DeceivedAboutJob", "DeceivedAboutConditions", "IdentityDocumentsWithheld", "DebtImposed",
                       "ExcessiveWorkingHours", "ContractSoldToAnotherEmployer", "PoorLivingConditions"}));
  EXPECT_EQ(s.basis.size(), 7u);
  EXPECT_TRUE(
      HasAll(s.ilo_forced_labour, {"Deception", "RetentionOfIdentityDocuments", "DebtBondage", "ExcessiveOvertime"}));
  // In the ILO's order, each once.
  EXPECT_EQ(s.ilo_forced_labour, (Codes{"Deception", "RetentionOfIdentityDocuments", "DebtBondage",
                                        "AbusiveWorkingLivingConditions", "ExcessiveOvertime"}));
  EXPECT_TRUE(ResultFor(s, Dimension::kDeceptiveRecruitment).positive);
  EXPECT_TRUE(ResultFor(s, Dimension::kExploitativeConditions).positive);
  EXPECT_TRUE(ResultFor(s, Dimension::kCoercionAtDestination).positive);
  EXPECT_FALSE(ResultFor(s, Dimension::kCoerciveRecruitment).positive);
  EXPECT_EQ(ResultFor(s, Dimension::kCoercionAtDestination).indicators,
            (Codes{"ContractSoldToAnotherEmployer", "IdentityDocumentsWithheld", "DebtImposed"}));
  EXPECT_TRUE(Mentions(s.explanation, "All three elements"));
  EXPECT_TRUE(Mentions(s.explanation, "deceptive recruitment"));
  EXPECT_TRUE(Mentions(s.explanation, "coercion at destination"));
}

TEST(ScreeningSuggestionTest, SexualExploitationThroughAFalseBoyfriendIsPossibleTrafficking) {
  const auto s =
      SuggestTraffickingStatus(Yes({"RecruitedThroughEmotionalManipulation", "DeceivedAboutMarriage",
                                    "PaymentToPersonInControl", "CannotRefuseClientsOrSexualActs", "WagesWithheld",
                                    "DependentOnExploiterForBasics", "LanguageOrPlaceUnfamiliar"}));
  EXPECT_EQ(s.assessment, "PossibleTrafficking");
  EXPECT_TRUE(ResultFor(s, Dimension::kRecruitmentAbuseOfVulnerability).positive);
  EXPECT_FALSE(ResultFor(s, Dimension::kDeceptiveRecruitment).positive);  // one medium alone
  EXPECT_TRUE(ResultFor(s, Dimension::kAbuseOfVulnerabilityAtDestination).positive);
  // The Yes answer in a dimension that is not positive is not part of the basis.
  EXPECT_FALSE(Has(s.basis, "DeceivedAboutMarriage"));
  EXPECT_EQ(s.ilo_forced_labour,
            (Codes{"AbuseOfVulnerability", "Deception", "Isolation", "PhysicalSexualViolence", "WithholdingOfWages"}));
}

TEST(ScreeningSuggestionTest, ExploitationAndCoercionWithoutRecruitmentNeedsFurtherScreening) {
  // A worker who came on their own, found in a scam compound they cannot leave.
  const auto s = SuggestTraffickingStatus(Yes({"ForcedIntoCriminalActivity", "ExcessiveWorkingHours",
                                               "RestrictedMovement", "ReleaseFeeDemanded", "ThreatsOfViolence"}));
  EXPECT_EQ(s.assessment, "FurtherScreeningNeeded");
  EXPECT_EQ(s.trafficking_status, "PossibleVictimOfTrafficking");
  EXPECT_EQ(s.basis, (Codes{"ExcessiveWorkingHours", "ForcedIntoCriminalActivity", "ReleaseFeeDemanded",
                            "RestrictedMovement", "ThreatsOfViolence"}));
  EXPECT_TRUE(Mentions(s.explanation, "but recruitment is not"));
}

TEST(ScreeningSuggestionTest, RecruitmentAndCoercionWithoutExploitationNeedsFurtherScreening) {
  const auto s = SuggestTraffickingStatus(
      Yes({"DeceivedAboutJob", "DeceivedAboutTravelOrRecruitment", "IdentityDocumentsWithheld", "Isolation"}));
  EXPECT_EQ(s.assessment, "FurtherScreeningNeeded");
  EXPECT_EQ(s.trafficking_status, "PossibleVictimOfTrafficking");
  EXPECT_TRUE(Mentions(s.explanation, "but exploitation is not"));
}

TEST(ScreeningSuggestionTest, RecruitmentAndExploitationWithoutCoercionNeedsFurtherScreening) {
  const auto s = SuggestTraffickingStatus(Yes({"DeceivedAboutConditions", "RecruitmentFeeDebt", "AbductedOrKidnapped",
                                               "HazardousWork", "NoRestDays", "NoContract"}));
  EXPECT_EQ(s.assessment, "FurtherScreeningNeeded");
  EXPECT_TRUE(ResultFor(s, Dimension::kCoerciveRecruitment).positive);
  EXPECT_EQ(s.basis, (Codes{"AbductedOrKidnapped", "RecruitmentFeeDebt", "NoRestDays", "HazardousWork", "NoContract"}));
  EXPECT_TRUE(Mentions(s.explanation, "but coercion is not"));
}

TEST(ScreeningSuggestionTest, PureWageDisputeIsALabourDispute) {
  const auto s = SuggestTraffickingStatus(Yes({"WagesWithheld", "ExcessiveWorkingHours"}));
  EXPECT_EQ(s.assessment, "LabourDispute");
  EXPECT_EQ(s.trafficking_status, "NotAVictimOfTrafficking");
  EXPECT_EQ(s.basis, (Codes{"ExcessiveWorkingHours", "WagesWithheld"}));
  EXPECT_EQ(s.ilo_forced_labour, (Codes{"WithholdingOfWages", "ExcessiveOvertime"}));
  EXPECT_TRUE(ResultFor(s, Dimension::kExploitativeConditions).positive);
  EXPECT_TRUE(Mentions(s.explanation, "labour inspection"));
}

TEST(ScreeningSuggestionTest, LabourDisputeAllowsNonStrongSignsElsewhereAndNonPositiveExploitation) {
  // Low pay, a recruiter who misrepresented the work permit (medium), little
  // contact with others (medium) and no local language (weak): no strong sign
  // of recruitment or coercion, so still a labour dispute.
  const auto s = SuggestTraffickingStatus(
      Yes({"UnpaidOvertimeOrLowWages", "DeceivedAboutLegalStatus", "LanguageOrPlaceUnfamiliar", "Isolation"}));
  EXPECT_FALSE(ResultFor(s, Dimension::kExploitativeConditions).positive);
  EXPECT_EQ(s.assessment, "LabourDispute");
  EXPECT_EQ(s.trafficking_status, "NotAVictimOfTrafficking");
  EXPECT_EQ(s.basis, (Codes{"UnpaidOvertimeOrLowWages"}));
}

TEST(ScreeningSuggestionTest, AStrongCoercionOrRecruitmentSignRulesOutALabourDispute) {
  for (const char* strong : {"IdentityDocumentsWithheld", "DependentOnExploiterForBasics", "DeceivedAboutJob",
                             "AbductedOrKidnapped", "PaymentToPersonInControl"}) {
    const auto s = SuggestTraffickingStatus(Yes({"WagesWithheld", "ExcessiveWorkingHours", strong}));
    EXPECT_EQ(s.assessment, "InsufficientIndicators") << strong;
    EXPECT_EQ(s.trafficking_status, "") << strong;
    EXPECT_TRUE(s.basis.empty()) << strong;
    EXPECT_TRUE(Mentions(s.explanation, "Only exploitation")) << strong;
  }
}

TEST(ScreeningSuggestionTest, CoercionAloneIsInsufficient) {
  const auto s = SuggestTraffickingStatus(Yes({"IdentityDocumentsWithheld", "RestrictedMovement"}));
  EXPECT_EQ(s.assessment, "InsufficientIndicators");
  EXPECT_EQ(s.trafficking_status, "");
  EXPECT_TRUE(ResultFor(s, Dimension::kCoercionAtDestination).positive);
  EXPECT_TRUE(s.basis.empty());
  EXPECT_EQ(s.ilo_forced_labour, (Codes{"RestrictionOfMovement", "RetentionOfIdentityDocuments"}));
  EXPECT_TRUE(Mentions(s.explanation, "coercion (coercion at destination)"));
  EXPECT_TRUE(Mentions(s.explanation, "recruitment and exploitation are not"));
}

TEST(ScreeningSuggestionTest, ScatteredWeakSignsAreInsufficient) {
  const auto s =
      SuggestTraffickingStatus(Yes({"RecruitedExploitingPoverty", "NoAccessToHelp", "ThreatOfDenunciation"}));
  EXPECT_EQ(s.assessment, "InsufficientIndicators");
  EXPECT_EQ(s.trafficking_status, "");
  EXPECT_TRUE(Mentions(s.explanation, "No element"));
}

TEST(ScreeningSuggestionTest, ExplanationsAreOneSentence) {
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"WagesWithheld"},
      {"IdentityDocumentsWithheld", "RestrictedMovement"},
      {"DeceivedAboutJob", "DeceivedAboutConditions", "ExcessiveWorkingHours", "NoRestDays"},
      {"DeceivedAboutJob", "DeceivedAboutConditions", "ExcessiveWorkingHours", "NoRestDays", "DebtImposed", "Isolation",
       "DependentOnExploiterForBasics", "EconomicPressureToStay"},
  };
  for (const auto& codes : cases) {
    const auto s = SuggestTraffickingStatus(Yes(codes));
    ASSERT_FALSE(s.explanation.empty());
    EXPECT_EQ(s.explanation.back(), '.') << s.explanation;
    EXPECT_EQ(std::count(s.explanation.begin(), s.explanation.end(), '.'), 1) << s.explanation;
  }
}

}  // namespace
}  // namespace ctims::domain
