#include "app/ctdc_microdata.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <unordered_map>

namespace ctims::app {

namespace {

constexpr const char* kMissing = "-99";

// HTCDS vic_MethodsOfControl members (the CTDC names without the
// "meansOfControl" prefix) with CTDC's labels.
const std::vector<std::pair<std::string, std::string>>& Methods() {
  static const std::vector<std::pair<std::string, std::string>> kMethods = {
      {"DebtBondage", "Debt bondage"},
      {"TakesEarnings", "Takes/Withholds Earnings"},
      {"RestrictsFinancialAccess", "Restricts access to finances"},
      {"Threats", "Threats to individual or others"},
      {"PsychologicalAbuse", "Psychological abuse"},
      {"PhysicalAbuse", "Physical abuse"},
      {"SexualAbuse", "Sexual abuse"},
      {"FalsePromises", "False promises/deception"},
      {"PsychoactiveSubstances", "Use of psychoactive substances"},
      {"RestrictsMovement", "Denied freedom of movement/kept in isolation"},
      {"RestrictsMedicalCare", "Limits/restricts medical services"},
      {"ExcessiveWorkingHours", "Excessive working hours"},
      {"UsesChildren", "Restricts access to/manipulates children"},
      {"ThreatOfLawEnforcement", "Threat of action by law enforcement"},
      {"WithholdsNecessities", "Withholds/denies basic necessities"},
      {"WithholdsDocuments", "Withholds/Destroys Important Documents"},
      {"Other", "Other"},
  };
  return kMethods;
}

const std::vector<std::pair<std::string, std::string>>& LabourTypes() {
  static const std::vector<std::pair<std::string, std::string>> kTypes = {
      {"Agriculture", "Agriculture/Farms/Animal Husbandry"},
      {"Aquafarming", "Aquafarming/Fishing"},
      {"Begging", "Begging"},
      {"Construction", "Construction"},
      {"DomesticWork", "Domestic Work"},
      {"Hospitality", "Hospitality/Restaurant/Food Service/Hotel"},
      {"IllicitActivities", "Illicit Activities"},
      {"Manufacturing", "Manufacturing/Factory work"},
      {"MiningOrDrilling", "Mining, Quarrying, Oil/Gas Extraction"},
      {"Peddling", "Peddling/informal street commerce"},
      {"Transportation", "Transportation"},
      {"Other", "Other"},
      {"NotSpecified", "Not Specified"},
  };
  return kTypes;
}

const std::vector<std::pair<std::string, std::string>>& SexTypes() {
  static const std::vector<std::pair<std::string, std::string>> kTypes = {
      {"Prostitution", "Prostitution"},
      {"Pornography", "Pornography"},
      {"RemoteInteractiveServices", "Remote interactive services"},
      {"PrivateSexualServices", "Private sexual services"},
  };
  return kTypes;
}

// ISIC section (the forced_labour_industry code's letter) -> CTDC labour type.
std::string LabourTypeOf(const std::string& industry) {
  switch (industry.empty() ? ' ' : industry[0]) {
    case 'A': return "Agriculture";
    case 'B': return "MiningOrDrilling";
    case 'C': return "Manufacturing";
    case 'F': return "Construction";
    case 'H': return "Transportation";
    case 'I': return "Hospitality";
    case 'T': return "DomesticWork";
    default: return "Other";
  }
}

std::string AgeBroad(std::optional<int> age) {
  if (!age) return kMissing;
  const int a = *age;
  if (a <= 8) return "0--8";
  if (a <= 17) return "9--17";
  if (a <= 20) return "18--20";
  if (a <= 23) return "21--23";
  if (a <= 26) return "24--26";
  if (a <= 29) return "27--29";
  if (a <= 38) return "30--38";
  if (a <= 47) return "39--47";
  return "48+";
}

std::string Majority(std::optional<int> age) {
  if (!age) return kMissing;
  return *age >= 18 ? "Adult" : "Minor";
}

std::string Flag(bool on) {
  return on ? "1" : "0";
}

std::string Concatenated(std::vector<std::string> labels) {
  if (labels.empty()) return kMissing;
  std::sort(labels.begin(), labels.end());
  std::string out;
  for (const auto& l : labels) out += (out.empty() ? "" : ";") + l;
  return out;
}

}  // namespace

const std::vector<std::string>& CtdcColumns() {
  static const std::vector<std::string> kColumns = [] {
    std::vector<std::string> c = {"yearOfRegistration", "Datasource",     "gender",
                                  "ageBroad",           "majorityStatus", "majorityStatusAtExploit",
                                  "majorityEntry",      "citizenship"};
    for (const auto& [m, label] : Methods()) c.push_back("meansOfControl" + m);
    // CTDC's order: ... WithholdsDocuments, Other, NotSpecified, Concatenated.
    c.push_back("meansOfControlNotSpecified");
    c.push_back("meansOfControlConcatenated");
    for (const char* e : {"isForcedLabour", "isSexualExploit", "isOtherExploit", "isSexAndLabour", "isForcedMarriage",
                          "isForcedMilitary", "isOrganRemoval", "isSlaveryAndPractices", "typeOfExploitConcatenated"}) {
      c.emplace_back(e);
    }
    for (const auto& [t, label] : LabourTypes()) c.push_back("typeOfLabour" + t);
    c.push_back("typeOfLabourConcatenated");
    for (const auto& [t, label] : SexTypes()) c.push_back("typeOfSex" + t);
    c.push_back("typeOfSexConcatenated");
    for (const char* e :
         {"isAbduction", "RecruiterRelationship", "CountryOfExploitation", "recruiterRelationIntimatePartner",
          "recruiterRelationFriend", "recruiterRelationFamily", "recruiterRelationOther", "recruiterRelationUnknown"}) {
      c.emplace_back(e);
    }
    return c;
  }();
  return kColumns;
}

const std::vector<std::string>& CtdcQuasiIdentifiers() {
  static const std::vector<std::string> kQi = {"ageBroad",           "citizenship", "CountryOfExploitation",
                                               "yearOfRegistration", "gender",      "majorityStatus"};
  return kQi;
}

std::vector<std::string> CtdcRow(const CtdcSource& s) {
  std::map<std::string, std::string> v;
  v["yearOfRegistration"] = s.year_of_registration > 0 ? std::to_string(s.year_of_registration) : kMissing;
  v["Datasource"] = "Case management";
  v["gender"] = s.sex == "Female" ? "Female" : s.sex == "Male" ? "Male" : s.sex.empty() ? kMissing : "Unknown";
  v["ageBroad"] = AgeBroad(s.age);
  v["majorityStatus"] = Majority(s.age);
  v["majorityStatusAtExploit"] = Majority(s.age_when_trafficked);
  v["majorityEntry"] = kMissing;
  v["citizenship"] = s.citizenship.empty() ? kMissing : s.citizenship;

  // Means of control: Yes 1, No 0, Unknown or not recorded -99.
  std::vector<std::string> moc_labels;
  bool any_recorded = false;
  for (const auto& [m, label] : Methods()) {
    std::string value = kMissing;
    if (s.methods_of_control != nullptr && s.methods_of_control->is_object()) {
      auto it = s.methods_of_control->find(m);
      if (it != s.methods_of_control->end() && it->is_string()) {
        if (*it == "Yes") {
          value = "1";
          moc_labels.push_back(label);
        }
        if (*it == "No") value = "0";
        if (*it != "Unknown") any_recorded = true;
      }
    }
    v["meansOfControl" + m] = value;
  }
  v["meansOfControlNotSpecified"] = Flag(!any_recorded);
  v["meansOfControlConcatenated"] = Concatenated(moc_labels);

  // Type of exploitation (standards.md §2.6).
  auto has = [&](const char* t) {
    return std::find(s.exploitation.begin(), s.exploitation.end(), t) != s.exploitation.end();
  };
  const bool known = !s.exploitation.empty();
  const bool labour = has("ForcedLabour") || has("ChildLabour") || has("ForcedBegging") || has("ForcedCriminality");
  const bool sexual = has("SexualExploitation");
  const bool marriage = has("ForcedMarriage"), military = has("ForcedMilitaryByNonStateActors");
  const bool organ = has("OrganRemoval"), servitude = has("Servitude");
  bool other = false;
  for (const auto& t : s.exploitation) {
    if (t != "ForcedLabour" && t != "ChildLabour" && t != "ForcedBegging" && t != "ForcedCriminality" &&
        t != "SexualExploitation" && t != "ForcedMarriage" && t != "ForcedMilitaryByNonStateActors" &&
        t != "OrganRemoval") {
      other = true;
    }
  }
  auto flag = [&](bool on) { return known ? Flag(on) : std::string(kMissing); };
  v["isForcedLabour"] = flag(labour);
  v["isSexualExploit"] = flag(sexual);
  v["isOtherExploit"] = flag(other);
  v["isSexAndLabour"] = flag(labour && sexual);
  v["isForcedMarriage"] = flag(marriage);
  v["isForcedMilitary"] = flag(military);
  v["isOrganRemoval"] = flag(organ);
  v["isSlaveryAndPractices"] = flag(servitude);
  std::vector<std::string> exploit_labels;
  if (labour) exploit_labels.emplace_back("Forced labour and/or services");
  if (sexual) exploit_labels.emplace_back("Sexual exploitation");
  if (other || marriage || military || organ) exploit_labels.emplace_back("Other");
  v["typeOfExploitConcatenated"] = Concatenated(exploit_labels);

  // Sector of forced labour: only for labour exploitation, else -99.
  std::set<std::string> sectors;
  for (const auto& i : s.industries) sectors.insert(LabourTypeOf(i));
  if (has("ForcedBegging")) sectors.insert("Begging");
  if (has("ForcedCriminality")) sectors.insert("IllicitActivities");
  if (labour && sectors.empty()) sectors.insert("NotSpecified");
  std::vector<std::string> labour_labels;
  for (const auto& [t, label] : LabourTypes()) {
    v["typeOfLabour" + t] = labour ? Flag(sectors.contains(t)) : std::string(kMissing);
    if (labour && sectors.contains(t)) labour_labels.push_back(label);
  }
  v["typeOfLabourConcatenated"] = Concatenated(labour_labels);
  std::vector<std::string> sex_labels;
  for (const auto& [t, label] : SexTypes()) {
    const bool on = std::find(s.sex_types.begin(), s.sex_types.end(), t) != s.sex_types.end();
    v["typeOfSex" + t] = sexual ? Flag(on) : std::string(kMissing);
    if (sexual && on) sex_labels.push_back(label);
  }
  v["typeOfSexConcatenated"] = Concatenated(sex_labels);

  v["isAbduction"] = kMissing;
  const std::string& r = s.relationship;
  const bool rel_known = !r.empty();
  v["RecruiterRelationship"] = r == "IntimatePartner" ? "Intimate Partner"
                               : r == "Acquainted"    ? "Friend/Acquaintance"
                               : r == "Familial"      ? "Family/Relative"
                               : r == "Unaquainted"   ? "Other"
                                                      : kMissing;
  v["CountryOfExploitation"] = s.country_of_exploitation.empty() ? kMissing : s.country_of_exploitation;
  v["recruiterRelationIntimatePartner"] = rel_known ? Flag(r == "IntimatePartner") : kMissing;
  v["recruiterRelationFriend"] = rel_known ? Flag(r == "Acquainted") : kMissing;
  v["recruiterRelationFamily"] = rel_known ? Flag(r == "Familial") : kMissing;
  v["recruiterRelationOther"] = rel_known ? Flag(r == "Unaquainted") : kMissing;
  v["recruiterRelationUnknown"] = Flag(!rel_known);

  std::vector<std::string> row;
  row.reserve(CtdcColumns().size());
  for (const auto& c : CtdcColumns()) row.push_back(v[c]);
  return row;
}

KAnonymityResult EnforceKAnonymity(std::vector<std::vector<std::string>>& rows,
                                   const std::vector<std::size_t>& qi_columns, std::size_t k) {
  KAnonymityResult result;
  auto key_of = [&](const std::vector<std::string>& row) {
    std::string key;
    for (std::size_t c : qi_columns) {
      key += row[c];
      key += '\x1f';
    }
    return key;
  };
  auto rare_rows = [&]() {
    std::unordered_map<std::string, std::size_t> counts;
    for (const auto& row : rows) ++counts[key_of(row)];
    std::vector<bool> rare(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) rare[i] = counts[key_of(rows[i])] < k;
    return rare;
  };
  for (std::size_t c : qi_columns) {
    const auto rare = rare_rows();
    if (std::none_of(rare.begin(), rare.end(), [](bool b) { return b; })) return result;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (rare[i] && rows[i][c] != kMissing) {
        rows[i][c] = kMissing;
        ++result.suppressed_values;
      }
    }
  }
  const auto rare = rare_rows();
  std::vector<std::vector<std::string>> kept;
  kept.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rare[i]) {
      ++result.dropped_rows;
    } else {
      kept.push_back(std::move(rows[i]));
    }
  }
  rows = std::move(kept);
  return result;
}

}  // namespace ctims::app
