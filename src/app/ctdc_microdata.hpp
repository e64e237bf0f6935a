#pragma once

// CTDC-layout microdata (issue 5 §5): one row per person of the assistance
// report's lead-agency view, in the columns and value conventions of the
// CTDC global dataset's 2017-2021 k-anonymised layout (with the 2020
// isSlaveryAndPractices column): see shared reference standards.md §2.2 and
// the mapping hints of §2.6. -99 is "missing" (never "Unknown", which CTDC
// uses for hotline rows); binary columns are 1, 0 or -99; *Concatenated
// columns join the labels of the flags set to 1, sorted, with ';'.
//
// Anonymisation: k-anonymity with k = 11, as CTDC published it, enforced by
// suppression. The quasi-identifiers are the attributes someone who knows a
// victim can know from outside the case file: when they were registered
// (yearOfRegistration), sex (gender), age (ageBroad and majorityStatus),
// nationality (citizenship) and where they were exploited
// (CountryOfExploitation). The exploitation and means-of-control columns are
// the sensitive attributes the data set exists to publish. EnforceKAnonymity
// makes every combination of the quasi-identifiers occur at least k times:
// it suppresses (sets to -99) one quasi-identifier at a time, in the order
// of kCtdcSuppressionOrder, only in the rows whose combination is still
// rarer than k, and finally drops the rows that are still rare. Suppressing
// ageBroad first keeps majorityStatus: an age band generalises to
// Adult/Minor before anything else is lost. No name, date, id, place below
// the country or free text is ever in a row.
//
// Pure functions; thread-safe.

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ctims::app {

inline constexpr std::size_t kCtdcK = 11;

// The columns, in CTDC order.
const std::vector<std::string>& CtdcColumns();

// The quasi-identifier columns, in the order they are suppressed.
const std::vector<std::string>& CtdcQuasiIdentifiers();

// What a row is made of: codes from the person and their counting case.
struct CtdcSource {
  int year_of_registration = 0;  // 0: unknown
  std::string sex;               // prs_Sex code
  std::optional<int> age;        // at registration
  std::optional<int> age_when_trafficked;
  std::string citizenship;  // first prs_Citizenship, "" when none
  std::string country_of_exploitation;
  std::vector<std::string> exploitation;               // vic_TypeOfExploitation
  std::vector<std::string> industries;                 // vic_ForcedLabourIndustry
  std::vector<std::string> sex_types;                  // vic_TypeOfSexExploitation
  std::string relationship;                            // vic_RelationshipToTrafficker
  const nlohmann::json* methods_of_control = nullptr;  // vic_MethodsOfControl (Yes/No/Unknown per method)
};

// One row, parallel to CtdcColumns().
std::vector<std::string> CtdcRow(const CtdcSource& source);

struct KAnonymityResult {
  std::int64_t suppressed_values = 0;  // quasi-identifier values set to -99
  std::int64_t dropped_rows = 0;
};

// Makes every combination of the values in `qi_columns` occur at least `k`
// times among `rows` (described above). Rows keep their order.
KAnonymityResult EnforceKAnonymity(std::vector<std::vector<std::string>>& rows,
                                   const std::vector<std::size_t>& qi_columns, std::size_t k);

}  // namespace ctims::app
