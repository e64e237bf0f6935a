#include "app/person_search.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "app/field_cipher.hpp"
#include "app/record_service.hpp"
#include "app/record_service_util.hpp"
#include "domain/schema.hpp"
#include "search/fuzzy.hpp"
#include "search/person_match.hpp"

namespace ctims::app {
using core::Result;
using core::Status;
using nlohmann::json;

namespace {

void AddString(const json& person, const char* field, std::vector<std::string>& out) {
  auto it = person.find(field);
  if (it == person.end()) return;
  if (it->is_string()) {
    if (!it->get_ref<const std::string&>().empty()) out.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (const auto& v : *it) {
      if (v.is_string() && !v.get_ref<const std::string&>().empty()) out.push_back(v.get<std::string>());
    }
  }
}

int YearOf(std::string_view date) {
  int year = 0;
  if (date.size() < 4) return 0;
  std::from_chars(date.data(), date.data() + 4, year);
  return year;
}

// Document numbers compare without spaces, dashes and case.
std::string NormalizeDocument(std::string_view number) {
  std::string out;
  for (char c : number) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
      out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> PersonNameForms(const json& person) {
  std::vector<std::string> forms;
  if (!person.is_object()) return forms;
  std::string full;
  for (const char* field : {"prs_FirstName", "prs_MiddleName", "prs_SecondName"}) {
    auto it = person.find(field);
    if (it == person.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) continue;
    if (!full.empty()) full += ' ';
    full += it->get<std::string>();
  }
  if (!full.empty()) forms.push_back(std::move(full));
  AddString(person, "prs_LatinNames", forms);
  AddString(person, "prs_Aliases", forms);
  return forms;
}

std::vector<std::string> NameKeysOf(const std::vector<std::string>& forms) {
  std::set<std::string> keys;
  for (const auto& form : forms) {
    for (auto& k : search::FuzzyKeys(form)) keys.insert(std::move(k));
  }
  return {keys.begin(), keys.end()};
}

std::int64_t NameKeyToken(const core::KeyRing& ring, std::string_view key) {
  const std::string hex = core::BlindIndex(ring, kPersonNameKeyPurpose, key);
  std::uint64_t v = 0;
  std::from_chars(hex.data(), hex.data() + 16, v, 16);
  return static_cast<std::int64_t>(v);
}

void AppendPersonTokenRows(const core::KeyRing& ring, const std::string& person_id, const json& person,
                           std::vector<std::pair<std::string, std::int64_t>>& rows) {
  std::set<std::int64_t> tokens;
  for (const auto& key : NameKeysOf(PersonNameForms(person))) tokens.insert(NameKeyToken(ring, key));
  for (std::int64_t t : tokens) rows.emplace_back(person_id, t);
}

void PersonTokenBatch::Add(const FieldCipher* cipher, std::string_view resource, const std::string& id,
                           const json& record) {
  if (cipher != nullptr && resource == "persons") AppendPersonTokenRows(cipher->ring(), id, record, rows_);
}

Status PersonTokenBatch::Flush(StoreTransaction& tx) {
  if (rows_.empty()) return Status::Ok();
  Status s = tx.AddPersonNameTokens(rows_);
  rows_.clear();
  return s;
}

Status IndexPersonInTx(StoreTransaction& tx, const FieldCipher* cipher, const std::string& person_id,
                       const json& person, bool fresh) {
  if (cipher == nullptr) return Status::Ok();
  if (!fresh) CTIMS_RETURN_IF_ERROR(tx.DeletePersonNameTokens(person_id));
  std::vector<std::pair<std::string, std::int64_t>> rows;
  AppendPersonTokenRows(cipher->ring(), person_id, person, rows);
  if (rows.empty()) return Status::Ok();
  return tx.AddPersonNameTokens(rows);
}

Result<ReindexReport> ReindexPersonNames(Store& store, const FieldCipher& cipher) {
  const auto* spec = domain::FindResource("persons");
  if (spec == nullptr) return Status::Internal("no persons resource");
  const TableDef table = TableFor(*spec);
  ReindexReport report;
  {
    CTIMS_ASSIGN_OR_RETURN(auto tx, store.Begin(TxMode::kWrite));
    CTIMS_RETURN_IF_ERROR(tx->DeletePersonNameTokens(""));
    CTIMS_RETURN_IF_ERROR(tx->Commit());
  }
  ListQuery query;
  query.limit = 500;
  query.access = AccessFilter{};
  query.access->include_protected = true;
  for (;;) {
    CTIMS_ASSIGN_OR_RETURN(auto tx, store.Begin(TxMode::kWrite));
    CTIMS_ASSIGN_OR_RETURN(auto page, tx->List(table, query));
    std::vector<std::pair<std::string, std::int64_t>> rows;
    for (const auto& stored : page) {
      CTIMS_ASSIGN_OR_RETURN(json person, detail::Fields(*spec, table, stored, &cipher));
      // A merged person's names find the person it was merged into (issue 8 §4).
      const auto merged_into = detail::ColumnValue(table, stored, "merged_into");
      AppendPersonTokenRows(cipher.ring(), merged_into ? *merged_into : stored.id, person, rows);
    }
    if (!rows.empty()) CTIMS_RETURN_IF_ERROR(tx->AddPersonNameTokens(rows));
    CTIMS_RETURN_IF_ERROR(tx->Commit());
    report.persons += static_cast<std::int64_t>(page.size());
    report.tokens += static_cast<std::int64_t>(rows.size());
    if (page.size() < query.limit) break;
    query.after_id = page.back().id;
  }
  return report;
}

Result<std::vector<PersonTokenHit>> RetrieveCandidates(StoreTransaction& tx, const TableDef& persons,
                                                       const core::KeyRing& ring, const std::vector<std::string>& keys,
                                                       const AccessFilter& access, const CandidateOptions& options) {
  std::vector<std::int64_t> tokens;
  tokens.reserve(keys.size());
  for (const auto& k : keys) tokens.push_back(NameKeyToken(ring, k));
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  if (tokens.empty()) return std::vector<PersonTokenHit>();
  CTIMS_ASSIGN_OR_RETURN(auto counts, tx.CountPersonNameTokens(tokens, options.max_key_frequency));
  std::vector<std::pair<std::int64_t, std::int64_t>> by_count;  // (count, token)
  std::vector<std::int64_t> kept;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (counts[i] == 0) continue;
    by_count.emplace_back(counts[i], tokens[i]);
    if (static_cast<std::size_t>(counts[i]) <= options.max_key_frequency) kept.push_back(tokens[i]);
  }
  if (kept.empty()) {
    // A very common name: the two rarest keys still say something.
    std::sort(by_count.begin(), by_count.end());
    for (std::size_t i = 0; i < by_count.size() && i < 2; ++i) kept.push_back(by_count[i].second);
  }
  if (kept.empty()) return std::vector<PersonTokenHit>();
  return tx.FindPersonsByNameTokens(persons, kept, access, options.max_candidates);
}

PersonProbe ProbeOf(const json& person) {
  PersonProbe p;
  p.names = PersonNameForms(person);
  if (!person.is_object()) return p;
  p.sex = person.value("prs_Sex", std::string());
  p.birthdate = person.value("prs_Birthdate", std::string());
  if (core::IsValidDate(p.birthdate)) {
    p.birth_year = YearOf(p.birthdate);
  } else {
    p.birthdate.clear();
    auto age = person.find("prs_EstimatedAge");
    const std::string on = person.value("prs_AgeEstimatedOn", std::string());
    if (age != person.end() && age->is_number_integer() && core::IsValidDate(on)) {
      p.birth_year = YearOf(on) - age->get<int>();
      p.birth_year_estimated = true;
    }
  }
  auto cit = person.find("prs_Citizenship");
  if (cit != person.end() && cit->is_array()) {
    for (const auto& c : *cit) {
      if (c.is_string() && c.get<std::string>() != "XX") p.citizenship.push_back(c.get<std::string>());
    }
  }
  auto docs = person.find("prs_IdentityDocuments");
  if (docs != person.end() && docs->is_array()) {
    for (const auto& d : *docs) {
      if (!d.is_object()) continue;
      std::string n = NormalizeDocument(d.value("doc_Number", std::string()));
      if (n.size() >= 4) p.documents.push_back(std::move(n));
    }
  }
  return p;
}

namespace {

// The other fields move the name score by a bounded amount each, only when
// both sides know them: a missing value is no evidence either way. Fills
// `out.score` and, when `explain`, `out.explanation` (from out.name_score).
void AdjustByFields(const PersonProbe& probe, const PersonProbe& candidate, bool explain, CandidateScore& out) {
  double adjust = 0;
  json explanation;
  if (explain) {
    explanation = json::object();
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.3f", out.name_score);
    explanation["name"] = std::strtod(buf, nullptr);
  }
  if (!probe.sex.empty() && !candidate.sex.empty() && probe.sex != "Unknown" && candidate.sex != "Unknown") {
    const bool agree = probe.sex == candidate.sex;
    adjust += agree ? 0.02 : -0.15;
    if (explain) explanation["sex"] = agree ? "agree" : "disagree";
  }
  if (probe.birth_year && candidate.birth_year) {
    const int diff = std::abs(*probe.birth_year - *candidate.birth_year);
    const bool estimated = probe.birth_year_estimated || candidate.birth_year_estimated;
    const char* level = nullptr;
    if (!probe.birthdate.empty() && probe.birthdate == candidate.birthdate) {
      level = "same_date";
      adjust += 0.06;
    } else if (diff == 0) {
      level = "same_year";
      adjust += 0.03;
    } else if (diff <= (estimated ? 3 : 1)) {
      level = "close";
    } else {
      level = "far";
      adjust -= std::min(0.25, 0.04 * diff);
    }
    if (explain) explanation["birth_year"] = level;
  }
  if (!probe.citizenship.empty() && !candidate.citizenship.empty()) {
    bool shared = false;
    for (const auto& c : probe.citizenship) {
      shared = shared ||
               std::find(candidate.citizenship.begin(), candidate.citizenship.end(), c) != candidate.citizenship.end();
    }
    adjust += shared ? 0.01 : -0.05;
    if (explain) explanation["citizenship"] = shared ? "agree" : "disagree";
  }
  if (!probe.documents.empty() && !candidate.documents.empty()) {
    bool same = false;
    for (const auto& d : probe.documents) {
      same = same || std::find(candidate.documents.begin(), candidate.documents.end(), d) != candidate.documents.end();
    }
    // A shared document number is strong evidence; different numbers are not
    // (people hold several documents).
    if (same) adjust += 0.15;
    if (explain) explanation["document"] = same ? "same_number" : "different_numbers";
  }
  out.score = std::clamp(out.name_score + adjust, 0.0, 1.0);
  if (explain) {
    explanation["model"] = "names+fields-v1";
    out.explanation = explanation.dump();
  }
}

}  // namespace

CandidateScore ScoreCandidate(const PersonProbe& probe, const PersonProbe& candidate) {
  CandidateScore out;
  for (const auto& a : probe.names) {
    for (const auto& b : candidate.names) {
      search::NameMatch m = search::MatchNames(a, b);
      if (m.score > out.name_score) {
        out.name_score = m.score;
        out.reason = std::move(m.reason);
      }
    }
  }
  AdjustByFields(probe, candidate, /*explain=*/true, out);
  return out;
}

PreparedProbe PrepareProbe(PersonProbe probe) {
  PreparedProbe p;
  p.names.reserve(probe.names.size());
  for (const auto& n : probe.names) p.names.push_back(search::PrepareName(n));
  p.probe = std::move(probe);
  return p;
}

CandidateScore ScorePrepared(const PreparedProbe& probe, const PreparedProbe& candidate, bool explain,
                             bool with_reason) {
  CandidateScore out;
  // The first pair reaching the best score, as ScoreCandidate picks it.
  std::size_t best_a = 0;
  std::size_t best_b = 0;
  bool any = false;
  for (std::size_t i = 0; i < probe.names.size(); ++i) {
    for (std::size_t j = 0; j < candidate.names.size(); ++j) {
      const double s = search::MatchPrepared(probe.names[i], candidate.names[j]);
      if (s > out.name_score) {
        out.name_score = s;
        best_a = i;
        best_b = j;
        any = true;
      }
    }
  }
  if (with_reason && any && best_a < probe.probe.names.size() && best_b < candidate.probe.names.size()) {
    out.reason = search::MatchNames(probe.probe.names[best_a], candidate.probe.names[best_b]).reason;
  }
  AdjustByFields(probe.probe, candidate.probe, explain, out);
  return out;
}

search::ComparisonVector ProbeLevels(const PreparedProbe& a, const PreparedProbe& b, double name_score) {
  return ProbeLevels(a.probe, b.probe,
                     !a.names.empty() && !b.names.empty() ? std::optional<double>(name_score) : std::nullopt);
}

search::ComparisonVector ProbeLevels(const PersonProbe& a, const PersonProbe& b, std::optional<double> name_score) {
  using search::PersonField;
  search::ComparisonVector levels(search::kPersonFieldCount, search::kLevelMissing);
  auto at = [&levels](PersonField f) -> std::int16_t& { return levels[static_cast<std::size_t>(f)]; };
  if (name_score) at(PersonField::kName) = search::NameLevel(*name_score);
  at(PersonField::kBirth) = search::BirthLevel(a.birth_year, a.birthdate, b.birth_year, b.birthdate);
  auto known_sex = [](const std::string& sex) { return sex == "Unknown" ? std::string_view() : sex; };
  at(PersonField::kSex) = search::SexLevel(known_sex(a.sex), known_sex(b.sex));
  at(PersonField::kCitizenship) = search::OverlapLevel(a.citizenship, b.citizenship);
  at(PersonField::kDocument) = search::OverlapLevel(a.documents, b.documents);
  return levels;
}

double PreScore(const PersonProbe& probe, const PersonProbe& candidate, int shared) {
  double score = shared;
  if (!probe.sex.empty() && !candidate.sex.empty() && probe.sex != "Unknown" && candidate.sex != "Unknown" &&
      probe.sex != candidate.sex) {
    score -= 2;
  }
  if (probe.birth_year && candidate.birth_year) {
    const int tolerance = probe.birth_year_estimated || candidate.birth_year_estimated ? 3 : 1;
    if (std::abs(*probe.birth_year - *candidate.birth_year) > tolerance) score -= 2;
  }
  for (const auto& d : probe.documents) {
    if (std::find(candidate.documents.begin(), candidate.documents.end(), d) != candidate.documents.end()) {
      score += 4;
      break;
    }
  }
  return score;
}

std::vector<ScoredCandidate> ScoreShortlist(const PersonProbe& probe, const std::vector<PersonProbe>& candidates,
                                            const std::vector<int>& shared, std::size_t max_scored) {
  struct Pre {
    double score;
    int shared;
    std::size_t index;
  };
  std::vector<Pre> pre;
  pre.reserve(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const int s = i < shared.size() ? shared[i] : 0;
    pre.push_back({PreScore(probe, candidates[i], s), s, i});
  }
  const std::size_t keep = std::min(pre.size(), max_scored);
  std::partial_sort(pre.begin(), pre.begin() + static_cast<std::ptrdiff_t>(keep), pre.end(),
                    [](const Pre& a, const Pre& b) {
                      if (a.score != b.score) return a.score > b.score;
                      return a.index < b.index;
                    });
  std::vector<ScoredCandidate> out;
  out.reserve(keep);
  // The probe's names are romanised once, not once per candidate name.
  const PreparedProbe prepared = PrepareProbe(probe);
  for (std::size_t r = 0; r < keep; ++r) {
    const PreparedProbe candidate = PrepareProbe(candidates[pre[r].index]);
    out.push_back({pre[r].index, ScorePrepared(prepared, candidate, /*explain=*/true, /*with_reason=*/true)});
  }
  std::stable_sort(out.begin(), out.end(), [&](const ScoredCandidate& a, const ScoredCandidate& b) {
    if (a.score.score != b.score.score) return a.score.score > b.score.score;
    const int sa = a.index < shared.size() ? shared[a.index] : 0;
    const int sb = b.index < shared.size() ? shared[b.index] : 0;
    if (sa != sb) return sa > sb;
    return a.index < b.index;
  });
  return out;
}

}  // namespace ctims::app
