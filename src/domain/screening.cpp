#include "domain/screening.hpp"

#include <array>
#include <cstddef>
#include <set>
#include <unordered_map>

namespace ctims::domain {
namespace {

constexpr std::size_t kDimensionCount = 6;

constexpr std::array<Dimension, kDimensionCount> kDimensions = {
    Dimension::kDeceptiveRecruitment,
    Dimension::kCoerciveRecruitment,
    Dimension::kRecruitmentAbuseOfVulnerability,
    Dimension::kExploitativeConditions,
    Dimension::kCoercionAtDestination,
    Dimension::kAbuseOfVulnerabilityAtDestination,
};

// The ILO forced-labour indicators in the ILO's order (ILO 2012), which is
// also the order of code list "ilo_forced_labour_indicator".
constexpr std::array<const char*, 11> kIloOrder = {
    "AbuseOfVulnerability",
    "Deception",
    "RestrictionOfMovement",
    "Isolation",
    "PhysicalSexualViolence",
    "IntimidationThreats",
    "RetentionOfIdentityDocuments",
    "WithholdingOfWages",
    "DebtBondage",
    "AbusiveWorkingLivingConditions",
    "ExcessiveOvertime",
};

// Plain-English names for the explanation sentence.
const char* DimensionPhrase(Dimension d) {
  switch (d) {
    case Dimension::kDeceptiveRecruitment: return "deceptive recruitment";
    case Dimension::kCoerciveRecruitment: return "coercive recruitment";
    case Dimension::kRecruitmentAbuseOfVulnerability: return "recruitment by abuse of vulnerability";
    case Dimension::kExploitativeConditions: return "exploitative conditions";
    case Dimension::kCoercionAtDestination: return "coercion at destination";
    case Dimension::kAbuseOfVulnerabilityAtDestination: return "abuse of vulnerability at destination";
  }
  return "";
}

std::vector<Indicator> BuildCatalogue() {
  using D = Dimension;
  using S = Strength;
  auto add = [](std::vector<Indicator>& v, const char* code, D d, S s, const char* ilo) {
    v.push_back(Indicator{code, d, s, ilo});
  };
  std::vector<Indicator> v;

  // Deceptive recruitment: lied to about the job, pay, papers or journey.
  add(v, "DeceivedAboutJob", D::kDeceptiveRecruitment, S::kStrong, "Deception");
  add(v, "DeceivedAboutConditions", D::kDeceptiveRecruitment, S::kStrong, "Deception");
  add(v, "DeceivedAboutLegalStatus", D::kDeceptiveRecruitment, S::kMedium, "Deception");
  add(v, "DeceivedAboutTravelOrRecruitment", D::kDeceptiveRecruitment, S::kMedium, "Deception");
  add(v, "DeceivedAboutMarriage", D::kDeceptiveRecruitment, S::kMedium, "Deception");

  // Coercive recruitment: force, threats, confinement or debt to get the person moving.
  add(v, "AbductedOrKidnapped", D::kCoerciveRecruitment, S::kStrong, "");
  add(v, "SoldToExploiter", D::kCoerciveRecruitment, S::kStrong, "");
  add(v, "ViolenceDuringRecruitment", D::kCoerciveRecruitment, S::kStrong, "PhysicalSexualViolence");
  add(v, "ThreatsDuringRecruitment", D::kCoerciveRecruitment, S::kMedium, "IntimidationThreats");
  add(v, "ConfinedDuringTransit", D::kCoerciveRecruitment, S::kMedium, "RestrictionOfMovement");
  add(v, "RecruitmentFeeDebt", D::kCoerciveRecruitment, S::kMedium, "DebtBondage");

  // Recruitment by abuse of vulnerability.
  add(v, "PaymentToPersonInControl", D::kRecruitmentAbuseOfVulnerability, S::kStrong, "AbuseOfVulnerability");
  add(v, "RecruitedByPersonWithPower", D::kRecruitmentAbuseOfVulnerability, S::kMedium, "AbuseOfVulnerability");
  add(v, "RecruitedThroughEmotionalManipulation", D::kRecruitmentAbuseOfVulnerability, S::kMedium,
      "AbuseOfVulnerability");
  add(v, "RecruitedExploitingPoverty", D::kRecruitmentAbuseOfVulnerability, S::kWeak, "AbuseOfVulnerability");
  add(v, "RecruitedExploitingLackOfInformation", D::kRecruitmentAbuseOfVulnerability, S::kWeak, "AbuseOfVulnerability");

  // Exploitative conditions of work and living.
  add(v, "ExcessiveWorkingHours", D::kExploitativeConditions, S::kStrong, "ExcessiveOvertime");
  add(v, "ForcedIntoCriminalActivity", D::kExploitativeConditions, S::kStrong, "");
  add(v, "CannotRefuseClientsOrSexualActs", D::kExploitativeConditions, S::kStrong, "PhysicalSexualViolence");
  add(v, "NoRestDays", D::kExploitativeConditions, S::kMedium, "ExcessiveOvertime");
  add(v, "WagesWithheld", D::kExploitativeConditions, S::kMedium, "WithholdingOfWages");
  add(v, "ExcessiveDeductionsOrFines", D::kExploitativeConditions, S::kMedium, "WithholdingOfWages");
  add(v, "PoorLivingConditions", D::kExploitativeConditions, S::kMedium, "AbusiveWorkingLivingConditions");
  add(v, "HazardousWork", D::kExploitativeConditions, S::kMedium, "AbusiveWorkingLivingConditions");
  add(v, "UnpaidOvertimeOrLowWages", D::kExploitativeConditions, S::kWeak, "WithholdingOfWages");
  add(v, "NoContract", D::kExploitativeConditions, S::kWeak, "");

  // Coercion at destination: what keeps the person working.
  add(v, "ContractSoldToAnotherEmployer", D::kCoercionAtDestination, S::kStrong, "");
  add(v, "IdentityDocumentsWithheld", D::kCoercionAtDestination, S::kStrong, "RetentionOfIdentityDocuments");
  add(v, "DebtImposed", D::kCoercionAtDestination, S::kStrong, "DebtBondage");
  add(v, "ReleaseFeeDemanded", D::kCoercionAtDestination, S::kStrong, "DebtBondage");
  add(v, "RestrictedMovement", D::kCoercionAtDestination, S::kStrong, "RestrictionOfMovement");
  add(v, "ThreatsOfViolence", D::kCoercionAtDestination, S::kStrong, "IntimidationThreats");
  add(v, "PhysicalOrSexualViolence", D::kCoercionAtDestination, S::kStrong, "PhysicalSexualViolence");
  add(v, "ConstantSurveillance", D::kCoercionAtDestination, S::kMedium, "RestrictionOfMovement");
  add(v, "Isolation", D::kCoercionAtDestination, S::kMedium, "Isolation");
  add(v, "ThreatsAgainstFamily", D::kCoercionAtDestination, S::kMedium, "IntimidationThreats");
  add(v, "ThreatOfDenunciation", D::kCoercionAtDestination, S::kMedium, "IntimidationThreats");
  add(v, "PunishedToEnforceWork", D::kCoercionAtDestination, S::kMedium, "IntimidationThreats");

  // Abuse of vulnerability at destination.
  add(v, "DependentOnExploiterForBasics", D::kAbuseOfVulnerabilityAtDestination, S::kStrong, "AbuseOfVulnerability");
  add(v, "IrregularStatusExploited", D::kAbuseOfVulnerabilityAtDestination, S::kMedium, "AbuseOfVulnerability");
  add(v, "EconomicPressureToStay", D::kAbuseOfVulnerabilityAtDestination, S::kMedium, "AbuseOfVulnerability");
  add(v, "EmotionalDependencyAtDestination", D::kAbuseOfVulnerabilityAtDestination, S::kMedium, "AbuseOfVulnerability");
  add(v, "NoAccessToHelp", D::kAbuseOfVulnerabilityAtDestination, S::kWeak, "Isolation");
  add(v, "LanguageOrPlaceUnfamiliar", D::kAbuseOfVulnerabilityAtDestination, S::kWeak, "Isolation");
  return v;
}

struct Counts {
  int strong = 0;
  int medium = 0;
  int weak = 0;
};

bool Positive(const Counts& c) {
  return c.strong >= 2 || (c.strong >= 1 && c.medium + c.weak >= 1) || c.medium >= 3 || (c.medium >= 2 && c.weak >= 1);
}

bool IsRecruitment(Dimension d) {
  return d == Dimension::kDeceptiveRecruitment || d == Dimension::kCoerciveRecruitment ||
         d == Dimension::kRecruitmentAbuseOfVulnerability;
}

bool IsCoercion(Dimension d) {
  return d == Dimension::kCoercionAtDestination || d == Dimension::kAbuseOfVulnerabilityAtDestination;
}

// "a", "a and b", "a, b and c".
std::string JoinEnglish(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += (i + 1 == parts.size()) ? " and " : ", ";
    out += parts[i];
  }
  return out;
}

}  // namespace

const char* DimensionCode(Dimension dimension) {
  switch (dimension) {
    case Dimension::kDeceptiveRecruitment: return "DeceptiveRecruitment";
    case Dimension::kCoerciveRecruitment: return "CoerciveRecruitment";
    case Dimension::kRecruitmentAbuseOfVulnerability: return "RecruitmentAbuseOfVulnerability";
    case Dimension::kExploitativeConditions: return "ExploitativeConditions";
    case Dimension::kCoercionAtDestination: return "CoercionAtDestination";
    case Dimension::kAbuseOfVulnerabilityAtDestination: return "AbuseOfVulnerabilityAtDestination";
  }
  return "";
}

const char* StrengthCode(Strength strength) {
  switch (strength) {
    case Strength::kStrong: return "Strong";
    case Strength::kMedium: return "Medium";
    case Strength::kWeak: return "Weak";
  }
  return "";
}

const std::vector<Indicator>& ScreeningIndicators() {
  static const std::vector<Indicator> kCatalogue = BuildCatalogue();
  return kCatalogue;
}

const Indicator* FindIndicator(std::string_view code) {
  static const std::unordered_map<std::string_view, const Indicator*> kIndex = [] {
    std::unordered_map<std::string_view, const Indicator*> index;
    for (const auto& indicator : ScreeningIndicators()) index.emplace(indicator.code, &indicator);
    return index;
  }();
  auto it = kIndex.find(code);
  return it == kIndex.end() ? nullptr : it->second;
}

ScreeningSuggestion SuggestTraffickingStatus(const std::vector<IndicatorAnswer>& answers) {
  std::set<std::string_view> yes;
  for (const auto& a : answers) {
    if (a.answer == "Yes" && FindIndicator(a.code) != nullptr) yes.insert(FindIndicator(a.code)->code);
  }

  ScreeningSuggestion out;
  std::array<Counts, kDimensionCount> counts{};
  std::array<std::vector<std::string>, kDimensionCount> yes_by_dimension;
  std::set<std::string_view> ilo;
  for (const auto& indicator : ScreeningIndicators()) {
    if (!yes.contains(indicator.code)) continue;
    const auto d = static_cast<std::size_t>(indicator.dimension);
    switch (indicator.strength) {
      case Strength::kStrong: ++counts[d].strong; break;
      case Strength::kMedium: ++counts[d].medium; break;
      case Strength::kWeak: ++counts[d].weak; break;
    }
    yes_by_dimension[d].push_back(indicator.code);
    if (!indicator.ilo_forced_labour.empty()) ilo.insert(indicator.ilo_forced_labour);
  }
  for (const char* code : kIloOrder) {
    if (ilo.contains(code)) out.ilo_forced_labour.push_back(code);
  }

  bool recruitment = false;
  bool exploitation = false;
  bool coercion = false;
  bool strong_outside_exploitation = false;
  std::vector<std::string> recruitment_found;
  std::vector<std::string> coercion_found;
  for (Dimension d : kDimensions) {
    const auto i = static_cast<std::size_t>(d);
    const bool positive = Positive(counts[i]);
    out.dimensions.push_back(DimensionResult{DimensionCode(d), positive, yes_by_dimension[i]});
    if (d != Dimension::kExploitativeConditions && counts[i].strong > 0) strong_outside_exploitation = true;
    if (!positive) continue;
    if (IsRecruitment(d)) {
      recruitment = true;
      recruitment_found.push_back(DimensionPhrase(d));
    } else if (IsCoercion(d)) {
      coercion = true;
      coercion_found.push_back(DimensionPhrase(d));
    } else {
      exploitation = true;
    }
  }
  const std::size_t exploitation_index = static_cast<std::size_t>(Dimension::kExploitativeConditions);
  const int elements = int{recruitment} + int{exploitation} + int{coercion};

  auto positive_basis = [&] {
    for (Dimension d : kDimensions) {
      const auto i = static_cast<std::size_t>(d);
      if (out.dimensions[i].positive) {
        out.basis.insert(out.basis.end(), yes_by_dimension[i].begin(), yes_by_dimension[i].end());
      }
    }
  };
  // "recruitment (deceptive recruitment)", "exploitation", "coercion (…)".
  std::vector<std::string> found;
  std::vector<std::string> missing;
  if (recruitment) {
    found.push_back("recruitment (" + JoinEnglish(recruitment_found) + ")");
  } else {
    missing.push_back("recruitment");
  }
  if (exploitation) {
    found.push_back("exploitation (exploitative conditions)");
  } else {
    missing.push_back("exploitation");
  }
  if (coercion) {
    found.push_back("coercion (" + JoinEnglish(coercion_found) + ")");
  } else {
    missing.push_back("coercion");
  }

  if (elements == 3) {
    out.assessment = "PossibleTrafficking";
    out.trafficking_status = "PossibleVictimOfTrafficking";
    positive_basis();
    out.explanation = "All three elements of trafficking are indicated, " + JoinEnglish(found) +
                      ", so the person should be treated as a possible victim of trafficking.";
  } else if (elements == 2) {
    out.assessment = "FurtherScreeningNeeded";
    out.trafficking_status = "PossibleVictimOfTrafficking";
    positive_basis();
    out.explanation = "Two elements of trafficking are indicated, " + JoinEnglish(found) + ", but " + missing[0] +
                      " is not, so further screening is needed while the person is treated as a possible victim "
                      "of trafficking.";
  } else if (!yes_by_dimension[exploitation_index].empty() && !strong_outside_exploitation) {
    out.assessment = "LabourDispute";
    out.trafficking_status = "NotAVictimOfTrafficking";
    out.basis = yes_by_dimension[exploitation_index];
    out.explanation =
        "Exploitative conditions are reported but no recruitment or coercion dimension has a strong indicator, so "
        "this looks like a labour dispute to refer to labour inspection rather than trafficking.";
  } else {
    out.assessment = "InsufficientIndicators";
    if (yes.empty()) {
      out.explanation = "No indicator was answered Yes, so no trafficking status is suggested.";
    } else if (found.empty()) {
      out.explanation =
          "No element of trafficking (recruitment, exploitation or coercion) is indicated strongly enough, so no "
          "trafficking status is suggested.";
    } else {
      out.explanation = "Only " + found[0] + " is indicated, while " + JoinEnglish(missing) +
                        " are not, so no trafficking status is suggested.";
    }
  }
  return out;
}

}  // namespace ctims::domain
