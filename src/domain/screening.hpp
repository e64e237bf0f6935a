#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ctims::domain {

// Screening for trafficking: a catalogue of indicators and the status the
// answers suggest. The catalogue follows the six dimensions of the ILO–European
// Commission "Operational indicators of trafficking in human beings" (2009),
// covering adults in labour and sexual exploitation, and links each indicator
// to the ILO forced-labour indicator (ILO 2012) it evidences. Indicator texts
// are ctims's own; their labels live in code list "screening_indicator".
//
// The suggestion is advice for a supervisor, never a decision: a screening is
// submitted with it, and a supervisor confirms or overrides it.

// The six ILO–EC dimensions; the first three are recruitment.
enum class Dimension {
  kDeceptiveRecruitment,
  kCoerciveRecruitment,
  kRecruitmentAbuseOfVulnerability,
  kExploitativeConditions,
  kCoercionAtDestination,
  kAbuseOfVulnerabilityAtDestination,
};

// How much weight one Yes answer carries within its dimension.
enum class Strength { kStrong, kMedium, kWeak };

// "DeceptiveRecruitment", "CoerciveRecruitment", "RecruitmentAbuseOfVulnerability",
// "ExploitativeConditions", "CoercionAtDestination", "AbuseOfVulnerabilityAtDestination".
const char* DimensionCode(Dimension dimension);
// "Strong", "Medium" or "Weak".
const char* StrengthCode(Strength strength);

struct Indicator {
  std::string code;  // e.g. "DeceivedAboutJob"; also a code of code list "screening_indicator"
  Dimension dimension;
  Strength strength;
  std::string ilo_forced_labour;  // code in list "ilo_forced_labour_indicator" it evidences, or ""
};

// The catalogue, grouped by dimension in enum order. Codes are unique and
// stable (they are stored in screenings). Built once; thread-safe.
const std::vector<Indicator>& ScreeningIndicators();
// The catalogue entry for `code`, or nullptr.
const Indicator* FindIndicator(std::string_view code);

struct IndicatorAnswer {
  std::string code;
  std::string answer;  // "Yes" | "No" | "Unknown"
};

struct DimensionResult {
  std::string dimension;                // DimensionCode()
  bool positive = false;                // the combination rule below holds
  std::vector<std::string> indicators;  // codes answered Yes, in catalogue order
};

struct ScreeningSuggestion {
  // Code of list "screening_assessment": PossibleTrafficking,
  // FurtherScreeningNeeded, LabourDispute or InsufficientIndicators.
  std::string assessment;
  // Code of list "trafficking_status" (PossibleVictimOfTrafficking or
  // NotAVictimOfTrafficking), or "" when nothing is suggested.
  std::string trafficking_status;
  // The indicator codes that drove the suggestion, in catalogue order: the Yes
  // answers in positive dimensions, or for LabourDispute the Yes answers on
  // exploitative conditions. Empty for InsufficientIndicators.
  std::vector<std::string> basis;
  // Distinct codes of list "ilo_forced_labour_indicator" evidenced by any Yes
  // answer, in the ILO's order (the order of that code list).
  std::vector<std::string> ilo_forced_labour;
  std::vector<DimensionResult> dimensions;  // all six, in enum order
  // One English sentence naming the elements found and missing. Contains only
  // catalogue vocabulary, never personal data.
  std::string explanation;
};

// Suggests a trafficking status from screening answers, after the ILO–EC
// (2009) method.
//
// Each distinct indicator code answered "Yes" counts once; "No", "Unknown",
// any other answer and codes not in the catalogue count for nothing (codes and
// answers are validated elsewhere).
//
// A dimension is positive when its Yes answers include
//   - two strong indicators, or
//   - one strong and at least one medium or weak, or
//   - three medium, or
//   - two medium and one weak.
// Weak indicators alone, one strong alone, two medium alone, or one medium
// with any number of weak, are not enough.
//
// Trafficking needs three elements:
//   recruitment  — any of the three recruitment dimensions positive;
//   exploitation — exploitative conditions positive;
//   coercion     — coercion at destination or abuse of vulnerability at
//                  destination positive.
// The assessment is
//   - PossibleTrafficking / PossibleVictimOfTrafficking when all three hold;
//   - FurtherScreeningNeeded / PossibleVictimOfTrafficking when exactly two
//     hold (the explanation names the missing one);
//   - otherwise LabourDispute / NotAVictimOfTrafficking when exploitative
//     conditions has at least one Yes (positive or not) and none of the other
//     five dimensions (recruitment or coercion) has a strong Yes: a labour
//     dispute, to refer to labour inspection rather than treat as trafficking;
//   - otherwise InsufficientIndicators / "" (no suggestion).
ScreeningSuggestion SuggestTraffickingStatus(const std::vector<IndicatorAnswer>& answers);

}  // namespace ctims::domain
