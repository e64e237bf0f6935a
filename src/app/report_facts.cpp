#include "app/report_facts.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "app/field_cipher.hpp"
#include "app/record_helpers.hpp"
#include "app/record_service.hpp"
#include "app/record_service_util.hpp"
#include "app/report_store.hpp"
#include "core/clock.hpp"
#include "core/id.hpp"
#include "domain/schema.hpp"

namespace ctims::app {

using core::Result;
using core::Status;
using nlohmann::json;

std::optional<int> ReportAgeOn(const std::string& born, const std::string& on) {
  if (!core::IsValidDate(born) || !core::IsValidDate(on)) return std::nullopt;
  const int y1 = std::stoi(born.substr(0, 4));
  const int y2 = std::stoi(on.substr(0, 4));
  int age = y2 - y1;
  if (on.substr(5) < born.substr(5)) --age;
  if (age < 0) return std::nullopt;
  return age;
}

namespace {

// CTDC ageBroad bands (standards.md §2.2), double hyphen as CTDC writes them.
constexpr const char* kBands[] = {"0--8",   "9--17",  "18--20", "21--23", "24--26",
                                  "27--29", "30--38", "39--47", "48+",    "Unknown"};
constexpr std::size_t kUnknownBand = 9;

std::size_t BandIndex(std::optional<int> age) {
  if (!age) return kUnknownBand;
  const int a = *age;
  constexpr int kUpper[] = {8, 17, 20, 23, 26, 29, 38, 47};
  for (std::size_t i = 0; i < 8; ++i) {
    if (a <= kUpper[i]) return i;
  }
  return 8;
}

constexpr const char* kForms[] = {"SexualExploitation", "ForcedLabour", "Other", "Unknown"};

std::size_t FormIndex(const std::vector<std::string>& types) {
  auto has = [&](const char* t) { return std::find(types.begin(), types.end(), t) != types.end(); };
  if (types.empty()) return 3;
  if (has("SexualExploitation")) return 0;
  if (has("ForcedLabour") || has("ChildLabour") || has("Servitude") || has("ForcedBegging") ||
      has("ForcedCriminality")) {
    return 1;
  }
  return 2;
}

}  // namespace

std::string ReportAgeBand(std::optional<int> age) {
  return kBands[BandIndex(age)];
}
std::string ReportExploitationForm(const std::vector<std::string>& types) {
  return kForms[FormIndex(types)];
}

namespace {

constexpr std::size_t kPage = 5000;
// The end of time for the full load of cases through ReportQueries: every
// case opened before it, owned by its current owner.
constexpr const char* kEndOfTime = "9999-12-31";

struct Uuid {
  std::array<unsigned char, 16> b{};
  bool operator==(const Uuid&) const = default;
  // Byte order is the order of the canonical text (fixed-width lower-case hex).
  bool operator<(const Uuid& o) const { return std::memcmp(b.data(), o.b.data(), 16) < 0; }
};

struct UuidHash {
  std::size_t operator()(const Uuid& u) const {
    // The last 8 bytes of a UUIDv7 are random.
    std::uint64_t x = 0;
    std::memcpy(&x, u.b.data() + 8, 8);
    std::uint64_t y = 0;
    std::memcpy(&y, u.b.data(), 8);
    return static_cast<std::size_t>(x ^ (y * 0x9E3779B97F4A7C15ULL));
  }
};

std::optional<Uuid> ParseUuid(std::string_view text) {
  if (!core::IsCanonicalId(text)) return std::nullopt;
  Uuid u;
  std::size_t k = 0;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i < text.size() && k < 16;) {
    if (text[i] == '-') {
      ++i;
      continue;
    }
    u.b[k++] = static_cast<unsigned char>(nibble(text[i]) * 16 + nibble(text[i + 1]));
    i += 2;
  }
  return u;
}

// yyyymmdd of a text shaped "DDDD-MM-DD" (digits, month 1-12, day 1-31),
// which orders as the text does; 0 for ""; -1 for anything else (the facts
// then decline).
int DateKey(std::string_view s) {
  if (s.empty()) return 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return -1;
  int v = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    if (i == 4 || i == 7) continue;
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  const int month = (v / 100) % 100;
  const int day = v % 100;
  return month < 1 || month > 12 || day < 1 || day > 31 ? -1 : v;
}

std::string MonthText(int yyyymm) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d", yyyymm / 100, yyyymm % 100);
  return buf;
}

// Age in whole years from yyyymmdd `born` to yyyymmdd `on` (both real dates).
std::optional<int> AgeInts(int born, int on) {
  int age = on / 10000 - born / 10000;
  if (on % 10000 < born % 10000) --age;
  if (age < 0) return std::nullopt;
  return age;
}

std::string StringOr(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A top-level string member of a JSON object text, without parsing all of
// it when the member's key occurs once written `"key":"` (the stores'
// compact JSON); otherwise the whole text is parsed. "" when absent or not
// a string.
std::string MemberText(const std::string& body, const std::string& key) {
  const std::string quoted = "\"" + key + "\"";
  const std::size_t first = body.find(quoted);
  if (first == std::string::npos) return "";
  const std::string pattern = quoted + ":\"";
  if (body.compare(first, pattern.size(), pattern) == 0 && body.find(quoted, first + 1) == std::string::npos) {
    const std::size_t start = first + pattern.size();
    const std::size_t end = body.find('"', start);
    if (end != std::string::npos && body.find('\\', start) > end) return body.substr(start, end - start);
  }
  const json b = json::parse(body, nullptr, /*allow_exceptions=*/false);
  return b.is_object() ? StringOr(b, key.c_str()) : std::string();
}

using Visit = std::function<Status(const StoredRecord&)>;

// Counts cover every case; nothing identifying leaves.
Status ForEach(StoreTransaction& tx, const TableDef& table, const Visit& visit) {
  return detail::ForEachRecord(tx, table, kPage, visit);
}

const TableDef& Table(const char* resource) {
  static const auto* kTables = new std::map<std::string, TableDef>([] {
    std::map<std::string, TableDef> m;
    for (const char* r : {"persons", "cases", "assistance", "transfers", "investigations", "investigation-victims"}) {
      m[r] = TableFor(*domain::FindResource(r));
    }
    return m;
  }());
  return kTables->at(resource);
}

// The highest history seq visible to `tx` (0 when none): "is there an entry
// after x" is monotonic in x, so a doubling then a bisection find it with a
// few dozen indexed probes.
Result<std::int64_t> LastSeq(StoreTransaction& tx) {
  auto after = [&](std::int64_t x) -> Result<bool> {
    CTIMS_ASSIGN_OR_RETURN(auto rows, tx.ListHistory(x, 1));
    return !rows.empty();
  };
  std::int64_t lo = 0;  // an entry after lo exists, or lo = 0
  CTIMS_ASSIGN_OR_RETURN(bool any, after(0));
  if (!any) return 0;
  std::int64_t hi = 1;
  while (true) {
    CTIMS_ASSIGN_OR_RETURN(bool more, after(hi));
    if (!more) break;
    lo = hi;
    hi *= 2;
  }
  // An entry after lo exists, none after hi: the last seq is in (lo, hi].
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    CTIMS_ASSIGN_OR_RETURN(bool more, after(mid));
    (more ? lo : hi) = mid;
  }
  return hi;
}

}  // namespace

struct ReportFacts::State {
  // Hot fields only (the scans read them for every row); ids and child
  // chains live in parallel vectors.
  struct Person {
    std::uint16_t sex = 0, nationality = 0;  // codes; 0 = ""
    std::uint8_t birth_state = 0;            // 0 none, 1 a real date, 2 present but no date
    bool has_estimate = false;
    bool live = true;
    std::int32_t birth = 0;         // yyyymmdd
    std::int32_t estimate = 0;      // prs_EstimatedAge
    std::int32_t estimated_on = 0;  // yyyymmdd when a real date, else 0
  };
  struct Case {
    std::int32_t person = -1;
    std::int32_t owner = -1;   // agency
    std::int32_t opened = 0;   // yyyymmdd
    bool opened_real = false;  // a real calendar date (ages)
    bool live = true;
    std::uint16_t status = 0;  // code
    std::uint16_t exploitation = 0;
  };
  struct Heads {
    std::int32_t assist = -1, transfer = -1, link = -1;  // first child of each kind
  };
  struct Child {
    std::int32_t case_index = -1;
    std::int32_t value = -1;  // assistance: agency; transfer: sender agency; link: investigation
    std::int32_t day = 0;     // assistance: ast_Date; transfer: answer date
    std::int32_t next = -1;
    bool live = true;
  };
  struct Exploitation {
    std::vector<std::string> types;
    std::size_t form = 3;
  };

  bool exact = true;
  std::int64_t last_seq = 0;
  std::vector<std::string> agencies;
  std::unordered_map<std::string, std::int32_t> agency_ids;
  std::vector<std::string> codes{""};
  std::unordered_map<std::string, std::uint16_t> code_ids{{"", 0}};
  std::vector<Exploitation> exploitations{Exploitation{}};
  std::map<std::vector<std::string>, std::uint16_t> exploitation_ids{{{}, 0}};
  std::unordered_map<std::string, std::uint16_t> exploitation_texts;
  std::vector<Person> persons;
  std::vector<Uuid> person_uuids;
  std::vector<Case> cases;
  std::vector<Uuid> case_uuids;
  std::vector<Heads> heads;  // per case
  std::vector<Child> assists, transfers, links;
  std::vector<Uuid> assist_ids, transfer_ids, link_ids;
  std::vector<std::int32_t> resolved_on;  // per investigation: yyyymmdd, 0 when not resolved
  std::unordered_map<Uuid, std::int32_t, UuidHash> person_ids, case_ids, investigation_ids;

  std::int32_t Agency(const std::optional<std::string>& id) {
    if (!id) return -1;
    auto [it, inserted] = agency_ids.try_emplace(*id, static_cast<std::int32_t>(agencies.size()));
    if (inserted) agencies.push_back(*id);
    return it->second;
  }
  std::uint16_t Code(const std::string& text) {
    auto it = code_ids.find(text);
    if (it != code_ids.end()) return it->second;
    if (codes.size() >= 65535) {
      exact = false;
      return 0;
    }
    const auto id = static_cast<std::uint16_t>(codes.size());
    codes.push_back(text);
    code_ids.emplace(text, id);
    return id;
  }
  std::uint16_t ExploitationOf(std::vector<std::string> types) {
    auto it = exploitation_ids.find(types);
    if (it != exploitation_ids.end()) return it->second;
    if (exploitations.size() >= 65535) {
      exact = false;
      return 0;
    }
    const auto id = static_cast<std::uint16_t>(exploitations.size());
    exploitations.push_back({types, FormIndex(types)});
    exploitation_ids.emplace(std::move(types), id);
    return id;
  }
  // The exploitation of a JSON text of vic_TypeOfExploitation ("" absent).
  std::uint16_t ExploitationText(const std::string& text) {
    auto it = exploitation_texts.find(text);
    if (it != exploitation_texts.end()) return it->second;
    std::vector<std::string> types;
    if (!text.empty()) {
      const json e = json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (e.is_array()) {
        for (const auto& v : e) {
          if (v.is_string()) types.push_back(v.get<std::string>());
        }
      }
    }
    const std::uint16_t id = ExploitationOf(std::move(types));
    if (exploitation_texts.size() < 100000) exploitation_texts.emplace(text, id);
    return id;
  }
  // Index of the record `id` in `index`, created by `make` when absent; -1
  // (and inexact) when the id is not a canonical UUID.
  template <typename V>
  std::int32_t Slot(std::unordered_map<Uuid, std::int32_t, UuidHash>& index, std::vector<V>& rows,
                    std::vector<Uuid>& uuids, const std::string& id) {
    auto u = ParseUuid(id);
    if (!u) {
      exact = false;
      return -1;
    }
    auto [it, inserted] = index.try_emplace(*u, static_cast<std::int32_t>(rows.size()));
    if (inserted) {
      rows.emplace_back();
      uuids.push_back(*u);
      if constexpr (std::is_same_v<V, Case>) heads.emplace_back();
    }
    return it->second;
  }
  std::int32_t Investigation(const std::string& id) {
    auto u = ParseUuid(id);
    if (!u) {
      exact = false;
      return -1;
    }
    auto [it, inserted] = investigation_ids.try_emplace(*u, static_cast<std::int32_t>(resolved_on.size()));
    if (inserted) resolved_on.push_back(0);
    return it->second;
  }
  int Date(std::string_view text) {
    const int d = DateKey(text);
    if (d < 0) exact = false;
    return d < 0 ? 0 : d;
  }
};

namespace {

using State = ReportFacts::State;

// Fills person `row.person_id` from the members the reports read.
Status PutPerson(State& s, const FieldCipher* cipher, const ReportPersonRow& row) {
  const std::int32_t i = s.Slot(s.person_ids, s.persons, s.person_uuids, row.person_id);
  if (i < 0) return Status::Ok();
  State::Person& p = s.persons[static_cast<std::size_t>(i)];
  p.live = true;
  p.sex = s.Code(row.sex);
  p.nationality = s.Code(row.nationality);
  p.birth_state = 0;
  p.birth = 0;
  if (row.birthdate) {
    static const auto* kPersons = domain::FindResource("persons");
    const json bd = json::parse(*row.birthdate, nullptr, /*allow_exceptions=*/false);
    std::optional<std::string> born;
    if (cipher != nullptr) {
      auto opened = cipher->OpenMember(*kPersons, row.person_id, "prs_Birthdate", bd);
      if (!opened.ok()) return opened.status();
      if (opened->is_string()) born = opened->get<std::string>();
    } else if (bd.is_string()) {
      born = bd.get<std::string>();
    }
    if (born) {
      p.birth_state = core::IsValidDate(*born) ? 1 : 2;
      if (p.birth_state == 1) p.birth = DateKey(*born);
    }
  }
  p.has_estimate = row.estimated_age.has_value();
  p.estimate = row.estimated_age.value_or(0);
  p.estimated_on = core::IsValidDate(row.estimated_on) ? DateKey(row.estimated_on) : 0;
  return Status::Ok();
}

ReportPersonRow PersonRowOf(const StoredRecord& r) {
  ReportPersonRow row;
  row.person_id = r.id;
  const json b = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!b.is_object()) return row;
  row.sex = StringOr(b, "prs_Sex");
  if (auto c = b.find("prs_Citizenship"); c != b.end() && c->is_array() && !c->empty() && (*c)[0].is_string()) {
    row.nationality = (*c)[0].get<std::string>();
  }
  if (auto bd = b.find("prs_Birthdate"); bd != b.end()) row.birthdate = bd->dump();
  if (auto ea = b.find("prs_EstimatedAge"); ea != b.end() && ea->is_number_integer()) {
    row.estimated_age = ea->get<int>();
    row.estimated_on = StringOr(b, "prs_AgeEstimatedOn");
  }
  return row;
}

// The person of `id`, loaded when the facts do not have it yet.
Result<std::int32_t> PersonIndex(State& s, StoreTransaction& tx, const FieldCipher* cipher, const std::string& id) {
  if (auto u = ParseUuid(id); u) {
    if (auto it = s.person_ids.find(*u); it != s.person_ids.end()) return it->second;
  }
  CTIMS_ASSIGN_OR_RETURN(auto r, tx.Get(Table("persons"), id));
  if (!r) {
    s.exact = false;  // a case of nobody: the in-app path counts it under an empty person
    return -1;
  }
  CTIMS_RETURN_IF_ERROR(PutPerson(s, cipher, PersonRowOf(*r)));
  auto u = ParseUuid(id);
  return u ? s.person_ids.at(*u) : -1;
}

void PutCase(State& s, std::int32_t i, std::int32_t person, const std::optional<std::string>& owner,
             const std::string& opened, std::uint16_t exploitation, const std::string& status) {
  State::Case& c = s.cases[static_cast<std::size_t>(i)];
  c.live = true;
  c.person = person;
  c.owner = s.Agency(owner);
  c.opened = s.Date(opened);
  c.opened_real = core::IsValidDate(opened);
  if (c.opened == 0) s.exact = false;  // every case has an opening date
  c.exploitation = exploitation;
  c.status = s.Code(status);
}

Status LoadCase(State& s, StoreTransaction& tx, const FieldCipher* cipher, const std::string& id) {
  const TableDef& t = Table("cases");
  CTIMS_ASSIGN_OR_RETURN(auto r, tx.Get(t, id));
  const std::int32_t i = s.Slot(s.case_ids, s.cases, s.case_uuids, id);
  if (i < 0) return Status::Ok();
  if (!r) {
    s.cases[static_cast<std::size_t>(i)].live = false;
    return Status::Ok();
  }
  const json b = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  const json body = b.is_object() ? b : json::object();
  std::string opened = StringOr(body, "cas_OpenedOn");
  if (opened.empty()) opened = r->created_at.size() >= 10 ? r->created_at.substr(0, 10) : "";
  std::string exploitation;
  if (auto e = body.find("vic_TypeOfExploitation"); e != body.end()) exploitation = e->dump();
  CTIMS_ASSIGN_OR_RETURN(std::int32_t person,
                         PersonIndex(s, tx, cipher, detail::ColumnValue(t, *r, "person_id").value_or("")));
  PutCase(s, i, person, detail::ColumnValue(t, *r, "owner_agency_id"), opened, s.ExploitationText(exploitation),
          detail::ColumnValue(t, *r, "vic_TraffickingStatus").value_or(""));
  return Status::Ok();
}

// The case index of `id`, loaded when the facts do not have it yet.
Result<std::int32_t> CaseIndex(State& s, StoreTransaction& tx, const FieldCipher* cipher, const std::string& id) {
  if (auto u = ParseUuid(id); u) {
    if (auto it = s.case_ids.find(*u); it != s.case_ids.end()) return it->second;
  } else {
    s.exact = false;
    return -1;
  }
  CTIMS_RETURN_IF_ERROR(LoadCase(s, tx, cipher, id));
  return s.case_ids.at(*ParseUuid(id));
}

enum class Kind { kAssist, kTransfer, kLink };

std::vector<State::Child>& Rows(State& s, Kind k) {
  return k == Kind::kAssist ? s.assists : k == Kind::kTransfer ? s.transfers : s.links;
}
std::vector<Uuid>& Ids(State& s, Kind k) {
  return k == Kind::kAssist ? s.assist_ids : k == Kind::kTransfer ? s.transfer_ids : s.link_ids;
}
std::int32_t& Head(State& s, std::int32_t case_index, Kind k) {
  State::Heads& h = s.heads[static_cast<std::size_t>(case_index)];
  return k == Kind::kAssist ? h.assist : k == Kind::kTransfer ? h.transfer : h.link;
}

// The facts of one child record (nullopt: it does not count, e.g. a
// transfer not accepted): (value, day).
Result<std::optional<std::pair<std::int32_t, std::int32_t>>> ChildFacts(State& s, Kind k, const TableDef& t,
                                                                        const StoredRecord& r) {
  using Out = std::optional<std::pair<std::int32_t, std::int32_t>>;
  if (k == Kind::kAssist) {
    return Out(std::pair{s.Agency(detail::ColumnValue(t, r, "agency_id")), s.Date(MemberText(r.body, "ast_Date"))});
  }
  if (k == Kind::kTransfer) {
    if (detail::ColumnValue(t, r, "trf_Status").value_or("") != "Accepted") return Out();
    const std::string answered = MemberText(r.body, "trf_AnsweredAt");
    if (answered.size() < 10) return Out();  // no answer date: never moves the owner back
    return Out(std::pair{s.Agency(detail::ColumnValue(t, r, "from_agency_id").value_or("")),
                         s.Date(std::string_view(answered).substr(0, 10))});
  }
  return Out(std::pair{s.Investigation(detail::ColumnValue(t, r, "investigation_id").value_or("")), 0});
}

void AddChild(State& s, Kind k, std::int32_t case_index, const Uuid& id, std::pair<std::int32_t, std::int32_t> f) {
  auto& rows = Rows(s, k);
  State::Child ch;
  ch.case_index = case_index;
  ch.value = f.first;
  ch.day = f.second;
  ch.next = Head(s, case_index, k);
  Head(s, case_index, k) = static_cast<std::int32_t>(rows.size());
  rows.push_back(ch);
  Ids(s, k).push_back(id);
}

// Reloads child record `id` of kind `k`: its entry (if any) is dropped and
// the record's current facts added.
Status LoadChild(State& s, StoreTransaction& tx, const FieldCipher* cipher, Kind k, const char* resource,
                 const std::string& id) {
  auto u = ParseUuid(id);
  if (!u) {
    s.exact = false;
    return Status::Ok();
  }
  auto& rows = Rows(s, k);
  // Deletes are rare; a child's case does not change: search its case's
  // chain when the record still exists, else every row.
  const TableDef& t = Table(resource);
  CTIMS_ASSIGN_OR_RETURN(auto r, tx.Get(t, id));
  std::int32_t case_index = -1;
  if (r) {
    CTIMS_ASSIGN_OR_RETURN(case_index, CaseIndex(s, tx, cipher, detail::ColumnValue(t, *r, "case_id").value_or("")));
  }
  if (case_index >= 0) {
    for (std::int32_t j = Head(s, case_index, k); j >= 0; j = rows[static_cast<std::size_t>(j)].next) {
      if (Ids(s, k)[static_cast<std::size_t>(j)] == *u) rows[static_cast<std::size_t>(j)].live = false;
    }
  } else {
    const auto& ids = Ids(s, k);
    for (std::size_t j = 0; j < rows.size(); ++j) {
      if (ids[j] == *u) rows[j].live = false;
    }
  }
  if (!r || case_index < 0) return Status::Ok();
  CTIMS_ASSIGN_OR_RETURN(auto f, ChildFacts(s, k, t, *r));
  if (f) AddChild(s, k, case_index, *u, *f);
  return Status::Ok();
}

Status LoadInvestigation(State& s, const TableDef& t, const StoredRecord& r) {
  const std::int32_t i = s.Investigation(r.id);
  if (i < 0) return Status::Ok();
  std::int32_t day = 0;
  if (detail::ColumnValue(t, r, "inv_Status").value_or("") == "Resolved")
    day = s.Date(MemberText(r.body, "inv_ResolvedOn"));
  s.resolved_on[static_cast<std::size_t>(i)] = day;
  return Status::Ok();
}

Status Apply(State& s, StoreTransaction& tx, const FieldCipher* cipher, const HistoryEntry& e) {
  if (e.resource == "persons") {
    CTIMS_ASSIGN_OR_RETURN(auto r, tx.Get(Table("persons"), e.record_id));
    if (r) return PutPerson(s, cipher, PersonRowOf(*r));
    if (auto u = ParseUuid(e.record_id); u) {
      if (auto it = s.person_ids.find(*u); it != s.person_ids.end())
        s.persons[static_cast<std::size_t>(it->second)].live = false;
    }
    return Status::Ok();
  }
  if (e.resource == "cases") return LoadCase(s, tx, cipher, e.record_id);
  if (e.resource == "assistance") return LoadChild(s, tx, cipher, Kind::kAssist, "assistance", e.record_id);
  if (e.resource == "transfers") return LoadChild(s, tx, cipher, Kind::kTransfer, "transfers", e.record_id);
  if (e.resource == "investigation-victims") {
    return LoadChild(s, tx, cipher, Kind::kLink, "investigation-victims", e.record_id);
  }
  if (e.resource == "investigations") {
    const TableDef& t = Table("investigations");
    CTIMS_ASSIGN_OR_RETURN(auto r, tx.Get(t, e.record_id));
    if (r) return LoadInvestigation(s, t, *r);
    const std::int32_t i = s.Investigation(e.record_id);
    if (i >= 0) s.resolved_on[static_cast<std::size_t>(i)] = 0;
  }
  return Status::Ok();  // other resources do not feed these facts
}

}  // namespace

ReportFacts::ReportFacts(Store& store, const FieldCipher* cipher) : store_(store), cipher_(cipher) {}
ReportFacts::~ReportFacts() = default;

void ReportFacts::Invalidate() {
  std::lock_guard refresh(refresh_mu_);
  std::unique_lock lock(data_mu_);
  state_.reset();
  applied_.clear();
}

Status ReportFacts::Rebuild(StoreTransaction& tx) {
  auto s = std::make_unique<State>();
  CTIMS_ASSIGN_OR_RETURN(s->last_seq, LastSeq(tx));
  ReportQueries* queries = AsReportQueries(tx);
  if (queries == nullptr) {
    s->exact = false;  // the facts load through the report queries
  } else {
    CTIMS_ASSIGN_OR_RETURN(auto persons, queries->ReportPersons());
    s->persons.reserve(persons.size());
    s->person_ids.reserve(persons.size());
    for (const auto& row : persons) CTIMS_RETURN_IF_ERROR(PutPerson(*s, cipher_, row));
    persons = {};
    // Every case opened before the end of time, under its current owner.
    CTIMS_ASSIGN_OR_RETURN(auto cases, queries->ReportCases({"", kEndOfTime}));
    s->cases.reserve(cases.size());
    s->case_ids.reserve(cases.size());
    for (const auto& row : cases) {
      const std::int32_t i = s->Slot(s->case_ids, s->cases, s->case_uuids, row.case_id);
      if (i < 0) continue;
      std::int32_t person = -1;
      if (auto u = ParseUuid(row.person_id); u) {
        if (auto it = s->person_ids.find(*u); it != s->person_ids.end()) person = it->second;
      }
      if (person < 0) s->exact = false;
      PutCase(*s, i, person, row.lead_agency_id, row.opened, s->ExploitationText(row.exploitation), row.status);
    }
    cases = {};
    auto children = [&](Kind k, const char* resource) {
      const TableDef& t = Table(resource);
      return ForEach(tx, t, [&](const StoredRecord& r) {
        auto u = ParseUuid(r.id);
        const std::string case_id = detail::ColumnValue(t, r, "case_id").value_or("");
        auto cu = ParseUuid(case_id);
        auto it = cu ? s->case_ids.find(*cu) : s->case_ids.end();
        if (!u || it == s->case_ids.end()) {
          s->exact = false;
          return Status::Ok();
        }
        CTIMS_ASSIGN_OR_RETURN(auto f, ChildFacts(*s, k, t, r));
        if (f) AddChild(*s, k, it->second, *u, *f);
        return Status::Ok();
      });
    };
    CTIMS_RETURN_IF_ERROR(children(Kind::kAssist, "assistance"));
    CTIMS_RETURN_IF_ERROR(children(Kind::kTransfer, "transfers"));
    CTIMS_RETURN_IF_ERROR(children(Kind::kLink, "investigation-victims"));
    const TableDef& it = Table("investigations");
    CTIMS_RETURN_IF_ERROR(ForEach(tx, it, [&](const StoredRecord& r) { return LoadInvestigation(*s, it, r); }));
  }
  // The window of seqs already in these facts.
  std::set<std::int64_t> applied;
  for (std::int64_t after = std::max<std::int64_t>(0, s->last_seq - kSeqWindow);;) {
    CTIMS_ASSIGN_OR_RETURN(auto rows, tx.ListHistory(after, 1000));
    for (const auto& e : rows) applied.insert(e.seq);
    if (rows.size() < 1000) break;
    after = rows.back().seq;
  }
  std::unique_lock lock(data_mu_);
  state_ = std::move(s);
  applied_ = std::move(applied);
  ++rebuilds_;
  return Status::Ok();
}

Status ReportFacts::Refresh() {
  std::lock_guard refresh(refresh_mu_);
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kRead));
  if (state_ == nullptr) return Rebuild(*tx);
  const std::int64_t last = state_->last_seq;
  std::vector<HistoryEntry> todo;
  for (std::int64_t after = std::max<std::int64_t>(0, last - kSeqWindow);;) {
    CTIMS_ASSIGN_OR_RETURN(auto rows, tx->ListHistory(after, 1000));
    for (auto& e : rows) {
      if (!applied_.contains(e.seq)) todo.push_back(std::move(e));
    }
    if (todo.size() > kRebuildAbove) return Rebuild(*tx);
    if (rows.size() < 1000) break;
    after = rows.back().seq;
  }
  if (todo.empty()) return Status::Ok();
  // Apply on a copy of nothing: the exclusive lock keeps counts out while
  // records are reloaded; on error the facts are dropped and rebuilt next time
  // (a half-applied batch must not answer).
  std::unique_lock lock(data_mu_);
  std::int64_t top = last;
  for (const auto& e : todo) {
    if (Status st = Apply(*state_, *tx, cipher_, e); !st.ok()) {
      state_.reset();
      applied_.clear();
      return st;
    }
    applied_.insert(e.seq);
    top = std::max(top, e.seq);
    ++reloaded_;
  }
  state_->last_seq = top;
  applied_.erase(applied_.begin(), applied_.lower_bound(top - kSeqWindow + 1));
  return Status::Ok();
}

ReportFacts::Stats ReportFacts::stats() const {
  std::shared_lock lock(data_mu_);
  Stats st;
  st.rebuilds = rebuilds_;
  st.records_reloaded = reloaded_;
  if (state_ == nullptr) return st;
  st.persons = state_->persons.size();
  st.cases = state_->cases.size();
  st.assistance = state_->assists.size();
  st.transfers = state_->transfers.size();
  st.investigations = state_->resolved_on.size();
  st.last_seq = state_->last_seq;
  st.exact = state_->exact;
  return st;
}

Result<std::optional<ReportTally>> ReportFacts::Count(const ReportScope& scope) {
  CTIMS_RETURN_IF_ERROR(Refresh());
  std::shared_lock lock(data_mu_);
  if (state_ == nullptr || !state_->exact) return std::optional<ReportTally>();
  const State& s = *state_;
  const int from = scope.from.empty() ? 0 : DateKey(scope.from);
  const int to = DateKey(scope.to);
  if (from < 0 || to <= 0) return std::optional<ReportTally>();
  auto in_period = [&](int d) { return d > 0 && d < to && d >= from; };

  const std::size_t na = scope.agencies.size();
  std::unordered_map<std::string, std::int32_t> scope_index;
  for (std::size_t i = 0; i < na; ++i) scope_index.emplace(scope.agencies[i].id, static_cast<std::int32_t>(i));
  std::vector<std::int32_t> amap(s.agencies.size(), -1);  // fact agency -> scope agency in the location
  for (std::size_t j = 0; j < s.agencies.size(); ++j) {
    auto it = scope_index.find(s.agencies[j]);
    if (it != scope_index.end() && scope.agencies[static_cast<std::size_t>(it->second)].in_location) {
      amap[j] = it->second;
    }
  }
  auto in_location = [&](std::int32_t agency) { return agency >= 0 ? amap[static_cast<std::size_t>(agency)] : -1; };

  const std::size_t nc = s.cases.size();
  const std::size_t np = s.persons.size();
  const std::size_t words = (np + 63) / 64;
  // Per case: 1 assisted in the period (any agency), 2 resolved in the period.
  std::vector<std::uint8_t> flag(nc, 0);
  for (const auto& l : s.links) {
    if (l.live && l.value >= 0 && in_period(s.resolved_on[static_cast<std::size_t>(l.value)])) {
      flag[static_cast<std::size_t>(l.case_index)] |= 2;
    }
  }
  std::vector<std::vector<std::uint64_t>> ab_bits(na);  // scope agency -> persons assisted
  // Months as y * 12 + m - 1 (a flat index: no map lookup per row).
  constexpr std::size_t kMonths = std::size_t{10000} * 12;
  auto month_index = [](int yyyymmdd) {
    return static_cast<std::size_t>((yyyymmdd / 10000) * 12 + (yyyymmdd / 100) % 100 - 1) % kMonths;
  };
  std::vector<std::int32_t> month_slot(kMonths, -1);
  std::vector<int> slot_month;                         // slot -> yyyymm
  std::vector<std::vector<std::uint64_t>> month_bits;  // slot -> persons assisted
  for (const auto& a : s.assists) {
    if (!a.live || !in_period(a.day)) continue;
    flag[static_cast<std::size_t>(a.case_index)] |= 1;
    const std::int32_t ag = in_location(a.value);
    if (ag < 0) continue;
    const std::int32_t p = s.cases[static_cast<std::size_t>(a.case_index)].person;
    if (p < 0) continue;
    auto& bits = ab_bits[static_cast<std::size_t>(ag)];
    if (bits.empty()) bits.assign(words, 0);
    bits[static_cast<std::size_t>(p) / 64] |= std::uint64_t{1} << (static_cast<std::size_t>(p) % 64);
    std::int32_t& slot = month_slot[month_index(a.day)];
    if (slot < 0) {
      slot = static_cast<std::int32_t>(month_bits.size());
      month_bits.emplace_back();
      slot_month.push_back(a.day / 100);
    }
    auto& mb = month_bits[static_cast<std::size_t>(slot)];
    if (mb.empty()) mb.assign(words, 0);
    mb[static_cast<std::size_t>(p) / 64] |= std::uint64_t{1} << (static_cast<std::size_t>(p) % 64);
  }
  // The owner at the end of the period: the sender of the earliest accepted
  // transfer answered on or after `to` (ties: lowest transfer id).
  std::unordered_map<std::int32_t, std::int32_t> owner_then;  // case -> transfer
  for (std::size_t j = 0; j < s.transfers.size(); ++j) {
    const auto& t = s.transfers[j];
    if (!t.live || t.day < to) continue;
    auto [it, inserted] = owner_then.try_emplace(t.case_index, static_cast<std::int32_t>(j));
    if (!inserted) {
      const auto& cur = s.transfers[static_cast<std::size_t>(it->second)];
      if (t.day < cur.day ||
          (t.day == cur.day && s.transfer_ids[j] < s.transfer_ids[static_cast<std::size_t>(it->second)]))
        it->second = static_cast<std::int32_t>(j);
    }
  }
  // Per person: the counting case (latest opened, then lowest id), its lead
  // agency, and whether any counting case was resolved.
  std::vector<std::int32_t> best(np, -1);
  std::vector<std::int32_t> lead_of(np, -1);
  std::vector<std::uint8_t> resolved(np, 0);
  for (std::size_t i = 0; i < nc; ++i) {
    const State::Case& c = s.cases[i];
    if (!c.live || c.person < 0 || c.opened >= to) continue;
    std::int32_t owner = c.owner;
    if (!owner_then.empty()) {
      if (auto t = owner_then.find(static_cast<std::int32_t>(i)); t != owner_then.end()) {
        owner = s.transfers[static_cast<std::size_t>(t->second)].value;
      }
    }
    const std::int32_t lead = in_location(owner);
    if (lead < 0) continue;
    const bool res = (flag[i] & 2) != 0;
    if (!(in_period(c.opened) || (flag[i] & 1) != 0 || res)) continue;
    const auto p = static_cast<std::size_t>(c.person);
    const std::int32_t b = best[p];
    if (b < 0 || c.opened > s.cases[static_cast<std::size_t>(b)].opened ||
        (c.opened == s.cases[static_cast<std::size_t>(b)].opened &&
         s.case_uuids[i] < s.case_uuids[static_cast<std::size_t>(b)])) {
      best[p] = static_cast<std::int32_t>(i);
      lead_of[p] = lead;
    }
    resolved[p] |= res ? 1 : 0;
  }

  // ---- the tally ----
  const std::size_t ncode = s.codes.size();
  std::vector<bool> is_nationality(ncode, false);
  for (std::size_t k = 0; k < ncode; ++k) {
    is_nationality[k] = !s.codes[k].empty() && s.codes[k] != "XX" && s.codes[k] != "XS";
  }
  const auto female = s.code_ids.find("Female");
  const std::int32_t female_code = female == s.code_ids.end() ? -1 : female->second;
  const auto male = s.code_ids.find("Male");
  const std::int32_t male_code = male == s.code_ids.end() ? -1 : male->second;

  ReportTally t;
  t.persons.assign(na, 0);
  t.women.assign(na, 0);
  t.resolved.assign(na, 0);
  t.nationalities.assign(na, {});
  std::vector<std::vector<bool>> nat(na, std::vector<bool>(ncode, false));
  std::vector<bool> all_nat(ncode, false), resolved_nat(ncode, false);
  std::vector<std::int64_t> by_nat(ncode, 0), by_sex(ncode, 0), by_status(ncode, 0), by_agency(na, 0);
  std::vector<std::int64_t> by_band(10, 0), by_form(4, 0), by_exploitation(s.exploitations.size(), 0);
  std::vector<std::int64_t> by_month(kMonths, 0);  // month index; "before" apart
  std::int64_t before = 0;
  auto age_of = [&](const State::Person& p, const State::Case& c) -> std::optional<int> {
    if (p.birth_state == 1) return c.opened_real ? AgeInts(p.birth, c.opened) : std::nullopt;
    if (p.birth_state == 2) return std::nullopt;
    if (p.has_estimate) {
      std::optional<int> years;
      if (p.estimated_on != 0 && c.opened_real) years = AgeInts(p.estimated_on, c.opened);
      return p.estimate + years.value_or(0);
    }
    return std::nullopt;
  };
  // In case order (cases and their persons are mostly stored in the same
  // order: sequential reads), each person's counting case once.
  for (std::size_t i = 0; i < nc; ++i) {
    const State::Case& c = s.cases[i];
    if (c.person < 0) continue;
    const auto p = static_cast<std::size_t>(c.person);
    if (best[p] != static_cast<std::int32_t>(i)) continue;
    const State::Person& person = s.persons[p];
    const auto lead = static_cast<std::size_t>(lead_of[p]);
    const bool woman = person.sex == female_code;
    const std::size_t n = person.nationality;
    ++t.persons[lead];
    if (woman) ++t.women[lead];
    if (is_nationality[n]) {
      nat[lead][n] = true;
      all_nat[n] = true;
    }
    if (resolved[p] != 0) {
      ++t.resolved[lead];
      if (woman) ++t.resolved_women;
      if (is_nationality[n]) resolved_nat[n] = true;
    }
    ++by_nat[n];
    ++by_sex[person.sex];
    const auto age = age_of(person, c);
    ++by_band[BandIndex(age)];
    const std::size_t form = s.exploitations[c.exploitation].form;
    ++by_form[form];
    ++by_status[c.status];
    ++by_agency[lead];
    if (in_period(c.opened)) {
      ++by_month[month_index(c.opened)];
    } else {
      ++before;
    }
    ++by_exploitation[c.exploitation];
    const std::size_t sx = woman ? 0 : person.sex == male_code ? 1 : 2;
    const std::size_t ag = !age ? 2 : *age < 18 ? 0 : 1;
    ++t.sdg[sx][ag][form];
  }
  auto names = [&](const std::vector<bool>& set) {
    std::set<std::string> out;
    for (std::size_t k = 0; k < set.size(); ++k) {
      if (set[k]) out.insert(s.codes[k]);
    }
    return out;
  };
  for (std::size_t i = 0; i < na; ++i) t.nationalities[i] = names(nat[i]);
  t.all_nationalities = names(all_nat);
  t.resolved_nationalities = names(resolved_nat);
  for (std::size_t k = 0; k < ncode; ++k) {
    if (by_nat[k] > 0) t.dims["nationality"][s.codes[k].empty() ? "XX" : s.codes[k]] += by_nat[k];
    if (by_sex[k] > 0) t.dims["sex"][s.codes[k].empty() ? "Unknown" : s.codes[k]] += by_sex[k];
    if (by_status[k] > 0) t.dims["trafficking_status"][s.codes[k].empty() ? "Unknown" : s.codes[k]] += by_status[k];
  }
  for (std::size_t b = 0; b < 10; ++b) {
    if (by_band[b] > 0) t.dims["age_band"][kBands[b]] += by_band[b];
  }
  for (std::size_t f = 0; f < 4; ++f) {
    if (by_form[f] > 0) t.dims["exploitation_form"][kForms[f]] += by_form[f];
  }
  for (std::size_t i = 0; i < na; ++i) {
    if (by_agency[i] > 0) t.dims["district"][scope.agencies[i].district] += by_agency[i];
  }
  if (before > 0) t.new_by_month["before"] = before;
  for (std::size_t m = 0; m < kMonths; ++m) {
    if (by_month[m] > 0)
      t.new_by_month[MonthText(static_cast<int>(m / 12) * 100 + static_cast<int>(m % 12) + 1)] = by_month[m];
  }
  for (std::size_t e = 0; e < by_exploitation.size(); ++e) {
    if (by_exploitation[e] == 0) continue;
    for (const auto& type : s.exploitations[e].types) t.exploitation_types[type] += by_exploitation[e];
  }

  // Assisted-by view: distinct persons of bit sets.
  auto summary = [&](const std::vector<std::uint64_t>& bits) {
    std::array<std::int64_t, 3> out = {0, 0, 0};
    std::vector<bool> seen(ncode, false);
    for (std::size_t w = 0; w < bits.size(); ++w) {
      for (std::uint64_t x = bits[w]; x != 0; x &= x - 1) {
        const std::size_t p = w * 64 + static_cast<std::size_t>(std::countr_zero(x));
        const State::Person& person = s.persons[p];
        ++out[0];
        if (person.sex == female_code) ++out[1];
        if (is_nationality[person.nationality] && !seen[person.nationality]) {
          seen[person.nationality] = true;
          ++out[2];
        }
      }
    }
    return out;
  };
  t.ab_persons.assign(na, 0);
  t.ab_women.assign(na, 0);
  t.ab_nationalities.assign(na, 0);
  std::map<std::string, std::vector<std::uint64_t>> type_bits;
  std::vector<std::uint64_t> all_bits(words, 0);
  for (std::size_t i = 0; i < na; ++i) {
    if (!scope.agencies[i].in_location) continue;
    auto& tb = type_bits[scope.agencies[i].type];
    if (tb.empty()) tb.assign(words, 0);
    if (ab_bits[i].empty()) continue;
    const auto sum = summary(ab_bits[i]);
    t.ab_persons[i] = sum[0];
    t.ab_women[i] = sum[1];
    t.ab_nationalities[i] = sum[2];
    for (std::size_t w = 0; w < words; ++w) {
      tb[w] |= ab_bits[i][w];
      all_bits[w] |= ab_bits[i][w];
    }
  }
  for (const auto& [type, bits] : type_bits) t.ab_types[type] = summary(bits);
  t.ab_total = summary(all_bits);
  for (std::size_t slot = 0; slot < month_bits.size(); ++slot) {
    const auto& bits = month_bits[slot];
    const int m = slot_month[slot];
    std::int64_t n = 0;
    for (std::uint64_t x : bits) n += std::popcount(x);
    t.assisted_by_month[MonthText(m)] = n;
  }
  return std::optional<ReportTally>(std::move(t));
}

}  // namespace ctims::app
