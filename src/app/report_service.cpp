#include "app/report_service.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "app/audit_log.hpp"
#include "app/ctdc_microdata.hpp"
#include "app/disclosure.hpp"
#include "app/field_cipher.hpp"
#include "app/record_helpers.hpp"
#include "app/record_service.hpp"
#include "app/record_service_util.hpp"
#include "app/report_facts.hpp"
#include "app/report_store.hpp"
#include "core/log.hpp"
#include "domain/schema.hpp"

namespace ctims::app {

using core::FieldError;
using core::Result;
using core::Status;
using nlohmann::json;

namespace {

constexpr std::size_t kPage = 5000;
constexpr const char* kDmc = "DistrictManagementCommittee";

const std::map<std::string, std::string>& TypeLabels() {
  static const std::map<std::string, std::string> kLabels = {
      {kDmc, "District Management Committees"},
      {"LawEnforcement", "Law enforcement (police)"},
      {"LocalGovernmentOrganisation", "Local government (provincial departments)"},
      {"CentralGovernmentOrganisation", "Central government"},
      {"NGO", "NGOs and mass organisations (shelters)"},
  };
  return kLabels;
}

std::string TypeLabel(const std::string& type) {
  auto it = TypeLabels().find(type);
  return it == TypeLabels().end() ? type : it->second;
}

const std::vector<std::string>& AgeBands() {
  static const std::vector<std::string> kBands = {"0--8",   "9--17",  "18--20", "21--23", "24--26",
                                                  "27--29", "30--38", "39--47", "48+",    "Unknown"};
  return kBands;
}

std::string StringOr(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string DateOf(const std::string& timestamp) {
  return timestamp.size() >= 10 ? timestamp.substr(0, 10) : "";
}

}  // namespace

struct ReportService::Period {
  std::string location_id;
  std::string location_code;
  std::string location_name;
  std::string from;  // "" = since the beginning
  std::string to;
};

// Everything a report reads, loaded in one read transaction.
struct ReportService::Data {
  struct Agency {
    std::string id, code, name_en, type, district;
    bool in_location = false;
  };
  struct Person {
    std::string sex;
    std::string nationality;  // first citizenship, "" when none
    std::optional<std::string> birthdate;
    std::optional<int> estimated_age;
    std::string estimated_on;
  };
  struct Counted {
    std::string person_id;
    std::size_t lead = 0;  // agency index
    std::string opened;
    std::vector<std::string> exploitation;
    std::string status;
    bool resolved = false;
    json ctdc;  // issue 5 CTDC microdata only: the case's victim fields it needs
  };
  std::vector<Agency> agencies;
  std::unordered_map<std::string, std::size_t> agency_index;
  std::vector<Counted> counted;                                    // lead-agency view, one per person
  std::vector<std::pair<std::string, std::size_t>> assisted;       // (person, agency) in the period, distinct
  std::map<std::string, std::set<std::string>> assisted_by_month;  // month -> persons
  std::unordered_map<std::string, Person> persons;
};

namespace {

using Visit = std::function<Status(const StoredRecord&)>;

// Aggregates cover every case; nothing identifying leaves.
Status ForEach(StoreTransaction& tx, const domain::ResourceSpec& spec, const std::string& now, const Visit& visit) {
  return detail::ForEachRecord(tx, TableFor(spec), kPage, visit, now);
}

// The record's body with its column fields (codes kept as columns, e.g.
// loc_Code, org_Code) merged in. Sealed fields stay sealed.
json Body(const TableDef& table, const StoredRecord& r) {
  json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) body = json::object();
  for (std::size_t i = 0; i < table.columns.size() && i < r.columns.size(); ++i) {
    if (r.columns[i]) body[table.columns[i]] = *r.columns[i];
  }
  return body;
}

// Published cells: a value, or null when suppressed.
class Cells {
 public:
  explicit Cells(std::int64_t k) : k_(k) {}
  std::size_t Add(std::int64_t v) { return table_.Add(v); }
  void Relate(std::size_t total, std::vector<std::size_t> parts) { table_.Relate(total, std::move(parts)); }
  void Apply() {
    SuppressSmallCells(table_, k_);
    for (bool s : table_.suppressed) count_ += s ? 1 : 0;
  }
  bool Hidden(std::size_t i) const { return table_.suppressed[i]; }
  json Value(std::size_t i) const { return Hidden(i) ? json(nullptr) : json(table_.values[i]); }
  std::int64_t suppressed_count() const { return count_; }

 private:
  std::int64_t k_;
  CellTable table_;
  std::int64_t count_ = 0;
};

// A row of named cells rendered as {"<name>": n|null, ..., "suppressed": [names]}.
void PutCells(json& row, const Cells& cells, const std::vector<std::pair<const char*, std::size_t>>& named) {
  json suppressed = json::array();
  for (const auto& [name, idx] : named) {
    row[name] = cells.Value(idx);
    if (cells.Hidden(idx)) suppressed.push_back(name);
  }
  row["suppressed"] = std::move(suppressed);
}

}  // namespace

ReportService::ReportService(Store& store, const core::Clock& clock, ReportServiceOptions options)
    : store_(store), clock_(clock), options_(options) {}

void ReportService::Audit(const Principal& caller, const char* outcome) {
  if (options_.audit == nullptr) return;
  AuditEvent e;
  e.user_id = caller.user_id;
  e.role = caller.role.code;
  e.agency_id = caller.agency_id;
  e.client_ip = caller.client_ip;
  e.action = "report";
  e.resource = "statistics";
  e.outcome = outcome;
  if (auto s = options_.audit->Record(e); !s.ok()) core::Log(core::LogLevel::kError, "report audit: " + s.ToString());
}

Result<ReportService::Period> ReportService::ParsePeriod(const ReportRequest& request) const {
  Period p;
  std::vector<FieldError> errors;
  std::set<std::string> seen;
  std::string location;
  bool has_to = false;
  for (const auto& [key, value] : request.params) {
    if (!seen.insert(key).second) {
      errors.push_back({key, "duplicate", "give " + key + " once"});
      continue;
    }
    if (key == "location") {
      location = value;
    } else if (key == "from" || key == "to") {
      if (!core::IsValidDate(value)) {
        errors.push_back({key, "date", key + " must be a date YYYY-MM-DD"});
        continue;
      }
      (key == "from" ? p.from : p.to) = value;
      has_to = has_to || key == "to";
    } else {
      errors.push_back({key, "unknown_parameter", "reports take location, from and to"});
    }
  }
  if (location.empty()) errors.push_back({"location", "required", "give a location code, e.g. LA-BK"});
  if (!has_to) {
    // Up to and including today.
    const int days = core::ParseDateDays(core::FormatDate(clock_.Now())).value_or(0) + 1;
    p.to = core::FormatDate(core::TimePoint(std::chrono::hours(24) * days));
  }
  if (!p.from.empty() && !p.to.empty() && p.to <= p.from) {
    errors.push_back({"to", "date_order", "to must be after from (the period is [from, to))"});
  }
  if (!errors.empty()) return Status::InvalidArgument("bad report parameters", std::move(errors));
  p.location_code = location;
  return p;
}

Result<json> ReportService::Assistance(const ReportRequest& request, const Principal& caller) {
  return Run("assistance", request, caller);
}
Result<json> ReportService::Sdg(const ReportRequest& request, const Principal& caller) {
  return Run("sdg", request, caller);
}
Result<json> ReportService::Flows(const ReportRequest& request, const Principal& caller) {
  return Run("flows", request, caller);
}

Result<json> ReportService::CtdcMicrodata(const ReportRequest& request, const Principal& caller) {
  return Run("ctdc-microdata", request, caller);
}

namespace {

struct Loaded {
  std::string now;
  std::unordered_map<std::string, std::string> location_parent;
  std::unordered_map<std::string, std::string> location_level;
  std::unordered_map<std::string, std::string> location_code;
};

// True when location `id` is `target` or lies inside it.
bool Within(const Loaded& l, std::string id, const std::string& target) {
  for (int depth = 0; depth < 16 && !id.empty(); ++depth) {
    if (id == target) return true;
    auto it = l.location_parent.find(id);
    if (it == l.location_parent.end()) return false;
    id = it->second;
  }
  return false;
}

// The code of the district that holds location `id`, or `fallback`.
std::string DistrictOf(const Loaded& l, std::string id, const std::string& fallback) {
  for (int depth = 0; depth < 16 && !id.empty(); ++depth) {
    auto level = l.location_level.find(id);
    if (level != l.location_level.end() && level->second == "district") return l.location_code.at(id);
    auto it = l.location_parent.find(id);
    if (it == l.location_parent.end()) break;
    id = it->second;
  }
  return fallback;
}

}  // namespace

Status ReportService::LoadFromQueries(
    ReportQueries& queries, const ReportPeriod& period,
    const std::function<std::optional<std::size_t>(const std::optional<std::string>&)>& agency_in, Data& d) const {
  // The rules of the in-app path below (Run), on rows the database has
  // already joined and filtered by period: here only the location filter
  // and the choice of each person's counting case remain.
  CTIMS_ASSIGN_OR_RETURN(auto cases, queries.ReportCases(period));
  std::unordered_map<std::string, Data::Counted> best;  // person -> counting case
  for (auto& row : cases) {
    auto lead = agency_in(row.lead_agency_id);
    if (!lead) continue;
    Data::Counted c;
    c.person_id = std::move(row.person_id);
    c.lead = *lead;
    c.opened = std::move(row.opened);
    if (!row.exploitation.empty()) {
      const json e = json::parse(row.exploitation, nullptr, /*allow_exceptions=*/false);
      if (e.is_array()) {
        for (const auto& v : e) {
          if (v.is_string()) c.exploitation.push_back(v.get<std::string>());
        }
      }
    }
    c.status = std::move(row.status);
    c.resolved = row.resolved;
    const bool resolved = c.resolved;
    auto [pos, inserted] = best.try_emplace(c.person_id, c);
    if (!inserted) {
      const bool was_resolved = pos->second.resolved;
      if (c.opened > pos->second.opened) pos->second = std::move(c);
      pos->second.resolved = pos->second.resolved || was_resolved || resolved;
    }
  }
  CTIMS_ASSIGN_OR_RETURN(auto assists, queries.ReportAssistance(period));
  std::set<std::pair<std::string, std::size_t>> assisted;
  for (const auto& a : assists) {
    auto agency = agency_in(a.agency_id);
    if (!agency) continue;
    assisted.insert({a.person_id, *agency});
    d.assisted_by_month[a.month].insert(a.person_id);
  }
  d.assisted.assign(assisted.begin(), assisted.end());
  d.counted.reserve(best.size());
  for (auto& [person, c] : best) d.counted.push_back(std::move(c));
  std::sort(d.counted.begin(), d.counted.end(),
            [](const Data::Counted& a, const Data::Counted& b) { return a.person_id < b.person_id; });

  // Persons: sex, nationality, age (birth date opened in memory only).
  std::unordered_set<std::string> wanted;
  for (const auto& c : d.counted) wanted.insert(c.person_id);
  for (const auto& a : d.assisted) wanted.insert(a.first);
  const auto* persons_spec = domain::FindResource("persons");
  CTIMS_ASSIGN_OR_RETURN(auto persons, queries.ReportPersons());
  for (auto& row : persons) {
    if (!wanted.contains(row.person_id)) continue;
    Data::Person p;
    p.sex = std::move(row.sex);
    p.nationality = std::move(row.nationality);
    if (row.birthdate) {
      const json bd = json::parse(*row.birthdate, nullptr, /*allow_exceptions=*/false);
      if (options_.cipher != nullptr) {
        auto opened = options_.cipher->OpenMember(*persons_spec, row.person_id, "prs_Birthdate", bd);
        if (!opened.ok()) return opened.status();
        if (opened->is_string()) p.birthdate = opened->get<std::string>();
      } else if (bd.is_string()) {
        p.birthdate = bd.get<std::string>();
      }
    }
    if (row.estimated_age) {
      p.estimated_age = row.estimated_age;
      p.estimated_on = std::move(row.estimated_on);
    }
    d.persons.emplace(row.person_id, std::move(p));
  }
  return Status::Ok();
}

Result<json> ReportService::Run(const char* name, const ReportRequest& request, const Principal& caller,
                                bool use_facts) {
  if (auto full = RequireFullSession(caller); !full.ok()) {
    Audit(caller, "denied");
    return full;  // enrol the second factor first
  }
  if (!caller.operator_access && !caller.Allows("statistics", "report")) {
    Audit(caller, "denied");
    return Status::PermissionDenied("your role may not read statistics", {{"", "permission", "statistics:report"}});
  }
  auto period_or = ParsePeriod(request);
  if (!period_or.ok()) {
    Audit(caller, "invalid");
    return period_or.status();
  }
  Period period = std::move(period_or).value();
  const std::string report = name;

  const auto* locations_spec = domain::FindResource("locations");
  const auto* agencies_spec = domain::FindResource("agencies");
  const auto* persons_spec = domain::FindResource("persons");
  const TableDef locations_table = TableFor(*locations_spec);
  const TableDef agencies_table = TableFor(*agencies_spec);
  const TableDef persons_table = TableFor(*persons_spec);

  Loaded l;
  l.now = core::FormatTimestamp(clock_.Now());
  Data d;
  auto tx_or = store_.Begin(TxMode::kRead);
  if (!tx_or.ok()) return tx_or.status();
  StoreTransaction& tx = **tx_or;

  CTIMS_RETURN_IF_ERROR(ForEach(tx, *locations_spec, l.now, [&](const StoredRecord& r) {
    const json b = Body(locations_table, r);
    l.location_code[r.id] = StringOr(b, "loc_Code");
    l.location_level[r.id] = detail::ColumnValue(locations_table, r, "loc_Level").value_or("");
    if (auto parent = detail::ColumnValue(locations_table, r, "parent_id"); parent) l.location_parent[r.id] = *parent;
    if (StringOr(b, "loc_Code") == period.location_code) {
      period.location_id = r.id;
      period.location_name = StringOr(b, "loc_NameEn");
    }
    return Status::Ok();
  }));
  if (period.location_id.empty()) {
    Audit(caller, "invalid");
    return Status::InvalidArgument("bad report parameters", {{"location", "unknown", "no location with this code"}});
  }
  CTIMS_RETURN_IF_ERROR(ForEach(tx, *agencies_spec, l.now, [&](const StoredRecord& r) {
    const json b = Body(agencies_table, r);
    Data::Agency a;
    a.id = r.id;
    a.code = StringOr(b, "org_Code");
    a.name_en = StringOr(b, "org_NameEn");
    const std::string type = StringOr(b, "org_Type");
    const std::string level = StringOr(b, "org_Level");
    a.type = (type == "LocalGovernmentOrganisation" && level == "district") ? kDmc : type;
    const std::string loc = detail::ColumnValue(agencies_table, r, "location_id").value_or("");
    a.in_location = Within(l, loc, period.location_id);
    a.district = DistrictOf(l, loc, period.location_code);
    d.agency_index[a.id] = d.agencies.size();
    d.agencies.push_back(std::move(a));
    return Status::Ok();
  }));
  std::sort(d.agencies.begin(), d.agencies.end(),
            [](const Data::Agency& a, const Data::Agency& b) { return a.code < b.code; });
  for (std::size_t i = 0; i < d.agencies.size(); ++i) d.agency_index[d.agencies[i].id] = i;

  auto in_period = [&](const std::string& date) {
    return !date.empty() && date < period.to && (period.from.empty() || date >= period.from);
  };
  auto agency_in = [&](const std::optional<std::string>& id) -> std::optional<std::size_t> {
    if (!id) return std::nullopt;
    auto it = d.agency_index.find(*id);
    if (it == d.agency_index.end() || !d.agencies[it->second].in_location) return std::nullopt;
    return it->second;
  };

  json out = json::object();
  Cells cells(caller.operator_access || caller.role.CanRead(domain::FieldGroup::kIdentity) ? 0 : options_.min_cell);
  const bool controlled = !(caller.operator_access || caller.role.CanRead(domain::FieldGroup::kIdentity));

  if (report == "flows") {
    // ---- referrals by agency pair, repatriations, investigations ----
    const auto* referrals_spec = domain::FindResource("referrals");
    const TableDef rt = TableFor(*referrals_spec);
    struct Pair {
      std::int64_t sent = 0, accepted = 0, declined = 0, revoked = 0, pending = 0, overdue = 0;
    };
    std::map<std::pair<std::string, std::string>, Pair> pairs;
    const std::string end = std::min(l.now, period.to + "T00:00:00.000Z");
    CTIMS_RETURN_IF_ERROR(ForEach(tx, *referrals_spec, l.now, [&](const StoredRecord& r) {
      const json b = Body(rt, r);
      const std::string requested = StringOr(b, "ref_RequestedAt");
      if (!in_period(DateOf(requested.empty() ? r.created_at : requested))) return Status::Ok();
      auto from = agency_in(detail::ColumnValue(rt, r, "from_agency_id"));
      auto to = agency_in(detail::ColumnValue(rt, r, "to_agency_id"));
      if (!from && !to) return Status::Ok();
      auto code = [&](const std::optional<std::string>& id) {
        auto it = id ? d.agency_index.find(*id) : d.agency_index.end();
        return it == d.agency_index.end() ? std::string("?") : d.agencies[it->second].code;
      };
      Pair& p =
          pairs[{code(detail::ColumnValue(rt, r, "from_agency_id")), code(detail::ColumnValue(rt, r, "to_agency_id"))}];
      const std::string status = detail::ColumnValue(rt, r, "ref_Status").value_or("Requested");
      const std::string due = StringOr(b, "ref_DueAt");
      const std::string answered = StringOr(b, "ref_AnsweredAt");
      ++p.sent;
      if (status == "Accepted" || status == "Completed") ++p.accepted;
      if (status == "Declined") ++p.declined;
      if (status == "Revoked") ++p.revoked;
      if (status == "Requested") ++p.pending;
      if (!due.empty() &&
          ((!answered.empty() && answered > due) || (answered.empty() && status == "Requested" && due < end))) {
        ++p.overdue;
      }
      return Status::Ok();
    }));
    // Repatriations of cases whose lead agency is in the location.
    const auto* cases_spec = domain::FindResource("cases");
    const TableDef ct = TableFor(*cases_spec);
    std::unordered_set<std::string> local_cases;
    CTIMS_RETURN_IF_ERROR(ForEach(tx, *cases_spec, l.now, [&](const StoredRecord& r) {
      if (agency_in(detail::ColumnValue(ct, r, "owner_agency_id"))) local_cases.insert(r.id);
      return Status::Ok();
    }));
    const auto* rep_spec = domain::FindResource("repatriations");
    const TableDef rpt = TableFor(*rep_spec);
    std::map<std::string, std::map<std::string, std::int64_t>> reps;  // destination -> status -> n
    std::set<std::string> rep_states;
    CTIMS_RETURN_IF_ERROR(ForEach(tx, *rep_spec, l.now, [&](const StoredRecord& r) {
      if (!local_cases.contains(detail::ColumnValue(rpt, r, "case_id").value_or(""))) return Status::Ok();
      const json b = Body(rpt, r);
      std::string date = StringOr(b, "rep_DepartureDate");
      if (date.empty()) date = StringOr(b, "rep_PlannedDate");
      if (date.empty()) date = DateOf(r.created_at);
      if (!in_period(date)) return Status::Ok();
      const std::string status = detail::ColumnValue(rpt, r, "rep_Status").value_or("Planned");
      rep_states.insert(status);
      ++reps[StringOr(b, "rep_DestinationCountry")][status];
      return Status::Ok();
    }));
    const auto* inv_spec = domain::FindResource("investigations");
    const TableDef it = TableFor(*inv_spec);
    std::map<std::string, std::int64_t> invs;
    CTIMS_RETURN_IF_ERROR(ForEach(tx, *inv_spec, l.now, [&](const StoredRecord& r) {
      if (!agency_in(detail::ColumnValue(it, r, "agency_id"))) return Status::Ok();
      const json b = Body(it, r);
      const std::string opened =
          StringOr(b, "inv_OpenedOn").empty() ? DateOf(r.created_at) : StringOr(b, "inv_OpenedOn");
      const std::string resolved = StringOr(b, "inv_ResolvedOn");
      if (opened >= period.to || (!resolved.empty() && !period.from.empty() && resolved < period.from)) {
        return Status::Ok();
      }
      ++invs[detail::ColumnValue(it, r, "inv_Status").value_or("Open")];
      return Status::Ok();
    }));

    // Cells: referral columns sum to their totals; repatriations are a
    // destination x state grid with margins; investigations sum to a total.
    const std::vector<const char*> kRefCols = {"sent", "accepted", "declined", "revoked", "pending", "overdue"};
    std::vector<std::vector<std::size_t>> ref_cells;
    std::vector<std::size_t> ref_totals;
    std::vector<Pair> pair_values;
    pair_values.reserve(pairs.size());
    for (const auto& [key, p] : pairs) pair_values.push_back(p);
    for (std::size_t c = 0; c < kRefCols.size(); ++c) {
      std::vector<std::size_t> parts;
      std::int64_t sum = 0;
      for (const Pair& p : pair_values) {
        const std::int64_t v =
            std::array<std::int64_t, 6>{p.sent, p.accepted, p.declined, p.revoked, p.pending, p.overdue}[c];
        parts.push_back(cells.Add(v));
        sum += v;
      }
      ref_totals.push_back(cells.Add(sum));
      cells.Relate(ref_totals.back(), parts);
      ref_cells.push_back(std::move(parts));
    }
    std::vector<std::string> dests;
    dests.reserve(reps.size());
    for (const auto& [dest, m] : reps) dests.push_back(dest);
    std::vector<std::string> states(rep_states.begin(), rep_states.end());
    std::vector<std::vector<std::size_t>> rep_cell(dests.size(), std::vector<std::size_t>(states.size()));
    std::vector<std::size_t> rep_row, rep_col;
    std::int64_t rep_all = 0;
    for (std::size_t i = 0; i < dests.size(); ++i) {
      std::int64_t row = 0;
      for (std::size_t j = 0; j < states.size(); ++j) {
        auto f = reps[dests[i]].find(states[j]);
        const std::int64_t v = f == reps[dests[i]].end() ? 0 : f->second;
        rep_cell[i][j] = cells.Add(v);
        row += v;
      }
      rep_row.push_back(cells.Add(row));
      cells.Relate(rep_row.back(), rep_cell[i]);
      rep_all += row;
    }
    for (std::size_t j = 0; j < states.size(); ++j) {
      std::vector<std::size_t> parts;
      std::int64_t col = 0;
      for (std::size_t i = 0; i < dests.size(); ++i) {
        parts.push_back(rep_cell[i][j]);
        col += reps[dests[i]][states[j]];
      }
      rep_col.push_back(cells.Add(col));
      cells.Relate(rep_col.back(), parts);
    }
    const std::size_t rep_total = cells.Add(rep_all);
    cells.Relate(rep_total, rep_row);
    cells.Relate(rep_total, rep_col);
    std::vector<std::size_t> inv_cells;
    std::int64_t inv_all = 0;
    for (const auto& [status, n] : invs) {
      inv_cells.push_back(cells.Add(n));
      inv_all += n;
    }
    const std::size_t inv_total = cells.Add(inv_all);
    cells.Relate(inv_total, inv_cells);
    cells.Apply();

    json ref_items = json::array();
    std::size_t pi = 0;
    for (const auto& [key, p] : pairs) {
      json row = {{"from_agency", key.first}, {"to_agency", key.second}};
      std::vector<std::pair<const char*, std::size_t>> named;
      for (std::size_t c = 0; c < kRefCols.size(); ++c) named.emplace_back(kRefCols[c], ref_cells[c][pi]);
      PutCells(row, cells, named);
      ref_items.push_back(std::move(row));
      ++pi;
    }
    json ref_total = json::object();
    {
      std::vector<std::pair<const char*, std::size_t>> named;
      for (std::size_t c = 0; c < kRefCols.size(); ++c) named.emplace_back(kRefCols[c], ref_totals[c]);
      PutCells(ref_total, cells, named);
    }
    json rep_items = json::array();
    for (std::size_t i = 0; i < dests.size(); ++i) {
      json by_state = json::object();
      json suppressed = json::array();
      for (std::size_t j = 0; j < states.size(); ++j) {
        by_state[states[j]] = cells.Value(rep_cell[i][j]);
        if (cells.Hidden(rep_cell[i][j])) suppressed.push_back(states[j]);
      }
      json row = {{"destination", dests[i]}, {"by_state", std::move(by_state)}};
      PutCells(row, cells, {{"total", rep_row[i]}});
      for (auto& s : suppressed) row["suppressed"].push_back(s);
      rep_items.push_back(std::move(row));
    }
    json rep_by_state = json::object();
    json rep_sup = json::array();
    for (std::size_t j = 0; j < states.size(); ++j) {
      rep_by_state[states[j]] = cells.Value(rep_col[j]);
      if (cells.Hidden(rep_col[j])) rep_sup.push_back(states[j]);
    }
    json inv_items = json::array();
    std::size_t ii = 0;
    for (const auto& [status, n] : invs) {
      json row = {{"state", status}};
      PutCells(row, cells, {{"investigations", inv_cells[ii++]}});
      inv_items.push_back(std::move(row));
    }
    out["referrals"] = {{"definition",
                         "referrals requested in the period (ref_RequestedAt) from or to an agency in the location; "
                         "overdue: answered after ref_DueAt, or still requested past it"},
                        {"items", std::move(ref_items)},
                        {"total", std::move(ref_total)}};
    out["repatriations"] = {
        {"definition",
         "repatriations of cases led by an agency in the location, dated in the period (departure, else planned "
         "date, else creation)"},
        {"items", std::move(rep_items)},
        {"by_state", std::move(rep_by_state)},
        {"by_state_suppressed", std::move(rep_sup)},
        {"total", cells.Value(rep_total)}};
    out["investigations"] = {{"definition",
                              "investigations by an agency in the location, opened before the end of the period and "
                              "not resolved before its start, by current state"},
                             {"items", std::move(inv_items)},
                             {"total", cells.Value(inv_total)}};
  } else {
    // ---- who counts: cases, their lead agency, assistance, resolution ----
    // The CTDC microdata needs more of each case's body: it stays on the
    // in-app path.
    // Issue 5 §6: the assistance and SDG reports from the in-memory facts
    // (app/report_facts.hpp) when the server keeps them; the same counts.
    std::optional<ReportTally> tally;
    if (use_facts && options_.facts != nullptr && report != "ctdc-microdata") {
      ReportScope scope;
      scope.from = period.from;
      scope.to = period.to;
      for (const auto& a : d.agencies) scope.agencies.push_back({a.id, a.type, a.district, a.in_location});
      tx_or->reset();  // the facts read in their own transaction (the pool is bounded)
      CTIMS_ASSIGN_OR_RETURN(tally, options_.facts->Count(scope));
      // Facts that cannot answer exactly: the same request on the SQL path.
      if (!tally) return Run(name, request, caller, /*use_facts=*/false);
    }
    ReportQueries* queries =
        options_.aggregate_in_database && report != "ctdc-microdata" && !tally ? AsReportQueries(tx) : nullptr;
    if (tally) {
      // counted above
    } else if (queries != nullptr) {
      CTIMS_RETURN_IF_ERROR(LoadFromQueries(*queries, {period.from, period.to}, agency_in, d));
    } else {
      const auto* cases_spec = domain::FindResource("cases");
      const TableDef ct = TableFor(*cases_spec);
      const auto* transfers_spec = domain::FindResource("transfers");
      const TableDef tt = TableFor(*transfers_spec);
      const auto* assistance_spec = domain::FindResource("assistance");
      const TableDef at = TableFor(*assistance_spec);
      const auto* inv_spec = domain::FindResource("investigations");
      const TableDef it = TableFor(*inv_spec);
      const auto* ivv_spec = domain::FindResource("investigation-victims");
      const TableDef vt = TableFor(*ivv_spec);

      // Accepted transfers answered on or after `to`: the owner at the end of
      // the period is the sender of the earliest one.
      std::unordered_map<std::string, std::pair<std::string, std::string>> owner_then;  // case -> (answered, from)
      CTIMS_RETURN_IF_ERROR(ForEach(tx, *transfers_spec, l.now, [&](const StoredRecord& r) {
        if (detail::ColumnValue(tt, r, "trf_Status").value_or("") != "Accepted") return Status::Ok();
        const json b = Body(tt, r);
        const std::string answered = DateOf(StringOr(b, "trf_AnsweredAt"));
        if (answered.empty() || answered < period.to) return Status::Ok();
        const std::string case_id = detail::ColumnValue(tt, r, "case_id").value_or("");
        const std::string from = detail::ColumnValue(tt, r, "from_agency_id").value_or("");
        auto [pos, inserted] = owner_then.try_emplace(case_id, answered, from);
        if (!inserted && answered < pos->second.first) pos->second = {answered, from};
        return Status::Ok();
      }));
      std::unordered_set<std::string> resolved_invs;
      CTIMS_RETURN_IF_ERROR(ForEach(tx, *inv_spec, l.now, [&](const StoredRecord& r) {
        if (detail::ColumnValue(it, r, "inv_Status").value_or("") != "Resolved") return Status::Ok();
        if (in_period(StringOr(Body(it, r), "inv_ResolvedOn"))) resolved_invs.insert(r.id);
        return Status::Ok();
      }));
      std::unordered_set<std::string> resolved_cases;
      CTIMS_RETURN_IF_ERROR(ForEach(tx, *ivv_spec, l.now, [&](const StoredRecord& r) {
        if (resolved_invs.contains(detail::ColumnValue(vt, r, "investigation_id").value_or(""))) {
          resolved_cases.insert(detail::ColumnValue(vt, r, "case_id").value_or(""));
        }
        return Status::Ok();
      }));
      struct Assist {
        std::string case_id;
        std::size_t agency;
        std::string date;
      };
      std::vector<Assist> assists;
      std::unordered_set<std::string> assisted_cases;
      CTIMS_RETURN_IF_ERROR(ForEach(tx, *assistance_spec, l.now, [&](const StoredRecord& r) {
        const std::string date = StringOr(Body(at, r), "ast_Date");
        if (!in_period(date)) return Status::Ok();
        const std::string case_id = detail::ColumnValue(at, r, "case_id").value_or("");
        assisted_cases.insert(case_id);
        if (auto agency = agency_in(detail::ColumnValue(at, r, "agency_id")); agency) {
          assists.push_back({case_id, *agency, date});
        }
        return Status::Ok();
      }));
      std::unordered_map<std::string, std::string> case_person;
      std::unordered_map<std::string, Data::Counted> best;  // person -> counting case
      CTIMS_RETURN_IF_ERROR(ForEach(tx, *cases_spec, l.now, [&](const StoredRecord& r) {
        const std::string person = detail::ColumnValue(ct, r, "person_id").value_or("");
        case_person[r.id] = person;
        const json b = Body(ct, r);
        std::string opened = StringOr(b, "cas_OpenedOn");
        if (opened.empty()) opened = DateOf(r.created_at);
        if (opened >= period.to) return Status::Ok();
        std::optional<std::string> owner = detail::ColumnValue(ct, r, "owner_agency_id");
        if (auto t = owner_then.find(r.id); t != owner_then.end()) owner = t->second.second;
        auto lead = agency_in(owner);
        if (!lead) return Status::Ok();
        const bool resolved = resolved_cases.contains(r.id);
        if (!(in_period(opened) || assisted_cases.contains(r.id) || resolved)) return Status::Ok();
        Data::Counted c;
        c.person_id = person;
        c.lead = *lead;
        c.opened = opened;
        if (auto e = b.find("vic_TypeOfExploitation"); e != b.end() && e->is_array()) {
          for (const auto& v : *e) {
            if (v.is_string()) c.exploitation.push_back(v.get<std::string>());
          }
        }
        c.status = detail::ColumnValue(ct, r, "vic_TraffickingStatus").value_or("");
        c.resolved = resolved;
        if (report == "ctdc-microdata") {
          c.ctdc = json::object();
          for (const char* f : {"vic_ForcedLabourIndustry", "vic_TypeOfSexExploitation", "vic_RelationshipToTrafficker",
                                "vic_MethodsOfControl", "vic_AgeWhenTrafficked"}) {
            if (auto v = b.find(f); v != b.end()) c.ctdc[f] = *v;
          }
        }
        auto [pos, inserted] = best.try_emplace(person, c);
        if (!inserted) {
          const bool was_resolved = pos->second.resolved;
          if (c.opened > pos->second.opened) pos->second = c;
          pos->second.resolved = pos->second.resolved || was_resolved || resolved;
        }
        return Status::Ok();
      }));
      std::set<std::pair<std::string, std::size_t>> assisted;
      for (const Assist& a : assists) {
        const std::string& person = case_person[a.case_id];
        assisted.insert({person, a.agency});
        d.assisted_by_month[a.date.substr(0, 7)].insert(person);
      }
      d.assisted.assign(assisted.begin(), assisted.end());
      d.counted.reserve(best.size());
      for (auto& [person, c] : best) d.counted.push_back(std::move(c));
      std::sort(d.counted.begin(), d.counted.end(),
                [](const Data::Counted& a, const Data::Counted& b) { return a.person_id < b.person_id; });

      // Persons: sex, nationality, age (birth date opened in memory only).
      std::unordered_set<std::string> wanted;
      for (const auto& c : d.counted) wanted.insert(c.person_id);
      for (const auto& a : d.assisted) wanted.insert(a.first);
      CTIMS_RETURN_IF_ERROR(ForEach(tx, *persons_spec, l.now, [&](const StoredRecord& r) {
        if (!wanted.contains(r.id)) return Status::Ok();
        const json b = Body(persons_table, r);
        Data::Person p;
        p.sex = StringOr(b, "prs_Sex");
        if (auto c = b.find("prs_Citizenship"); c != b.end() && c->is_array() && !c->empty() && (*c)[0].is_string()) {
          p.nationality = (*c)[0].get<std::string>();
        }
        if (auto bd = b.find("prs_Birthdate"); bd != b.end()) {
          if (options_.cipher != nullptr) {
            auto opened = options_.cipher->OpenMember(*persons_spec, r.id, "prs_Birthdate", *bd);
            if (!opened.ok()) return opened.status();
            if (opened->is_string()) p.birthdate = opened->get<std::string>();
          } else if (bd->is_string()) {
            p.birthdate = bd->get<std::string>();
          }
        }
        if (auto ea = b.find("prs_EstimatedAge"); ea != b.end() && ea->is_number_integer()) {
          p.estimated_age = ea->get<int>();
          p.estimated_on = StringOr(b, "prs_AgeEstimatedOn");
        }
        d.persons.emplace(r.id, std::move(p));
        return Status::Ok();
      }));
    }
    tx_or->reset();

    auto person = [&](const std::string& id) -> const Data::Person& {
      static const Data::Person kNobody;
      auto found = d.persons.find(id);
      return found == d.persons.end() ? kNobody : found->second;
    };
    auto age_of = [&](const Data::Counted& c) -> std::optional<int> {
      const Data::Person& p = person(c.person_id);
      if (p.birthdate) return ReportAgeOn(*p.birthdate, c.opened);
      if (p.estimated_age) {
        auto years = ReportAgeOn(p.estimated_on, c.opened);
        return *p.estimated_age + years.value_or(0);
      }
      return std::nullopt;
    };
    auto is_nationality = [](const std::string& n) { return !n.empty() && n != "XX" && n != "XS"; };

    if (report != "ctdc-microdata" && !tally) {
      // The counts of the rows loaded above (the facts path makes the same
      // ReportTally from its integer-coded facts).
      ReportTally t;
      const std::size_t na = d.agencies.size();
      t.persons.assign(na, 0);
      t.women.assign(na, 0);
      t.resolved.assign(na, 0);
      t.nationalities.assign(na, {});
      for (const auto& c : d.counted) {
        const Data::Person& p = person(c.person_id);
        const bool woman = p.sex == "Female";
        ++t.persons[c.lead];
        if (woman) ++t.women[c.lead];
        if (is_nationality(p.nationality)) {
          t.nationalities[c.lead].insert(p.nationality);
          t.all_nationalities.insert(p.nationality);
        }
        if (c.resolved) {
          ++t.resolved[c.lead];
          if (woman) ++t.resolved_women;
          if (is_nationality(p.nationality)) t.resolved_nationalities.insert(p.nationality);
        }
        const auto age = age_of(c);
        ++t.dims["nationality"][p.nationality.empty() ? "XX" : p.nationality];
        ++t.dims["sex"][p.sex.empty() ? "Unknown" : p.sex];
        ++t.dims["age_band"][ReportAgeBand(age)];
        ++t.dims["exploitation_form"][ReportExploitationForm(c.exploitation)];
        ++t.dims["trafficking_status"][c.status.empty() ? "Unknown" : c.status];
        ++t.dims["district"][d.agencies[c.lead].district];
        ++t.new_by_month[in_period(c.opened) ? c.opened.substr(0, 7) : "before"];
        for (const auto& type : c.exploitation) ++t.exploitation_types[type];
        const std::size_t s = woman ? 0 : p.sex == "Male" ? 1 : 2;
        const std::size_t a = !age ? 2 : *age < 18 ? 0 : 1;
        static const std::vector<std::string> kForms = {"SexualExploitation", "ForcedLabour", "Other", "Unknown"};
        const std::string form = ReportExploitationForm(c.exploitation);
        ++t.sdg[s][a][static_cast<std::size_t>(std::find(kForms.begin(), kForms.end(), form) - kForms.begin())];
      }
      for (const auto& [month, ps] : d.assisted_by_month) {
        t.assisted_by_month[month] = static_cast<std::int64_t>(ps.size());
      }
      std::vector<std::set<std::string>> ab_persons(na);
      std::map<std::string, std::set<std::string>> ab_type;
      std::set<std::string> ab_all;
      for (const auto& [pid, agency] : d.assisted) {
        ab_persons[agency].insert(pid);
        ab_type[d.agencies[agency].type].insert(pid);
        ab_all.insert(pid);
      }
      auto summary = [&](const std::set<std::string>& ps) {
        std::int64_t w = 0;
        std::set<std::string> n;
        for (const auto& pid : ps) {
          w += person(pid).sex == "Female" ? 1 : 0;
          if (is_nationality(person(pid).nationality)) n.insert(person(pid).nationality);
        }
        return std::array<std::int64_t, 3>{static_cast<std::int64_t>(ps.size()), w,
                                           static_cast<std::int64_t>(n.size())};
      };
      t.ab_persons.assign(na, 0);
      t.ab_women.assign(na, 0);
      t.ab_nationalities.assign(na, 0);
      for (std::size_t i = 0; i < na; ++i) {
        const auto sum = summary(ab_persons[i]);
        t.ab_persons[i] = sum[0];
        t.ab_women[i] = sum[1];
        t.ab_nationalities[i] = sum[2];
      }
      for (const auto& [type, ps] : ab_type) t.ab_types[type] = summary(ps);
      t.ab_total = summary(ab_all);
      tally = std::move(t);
    }

    if (report == "ctdc-microdata") {
      // issue 5 exports: one CTDC row per person of the lead-agency view,
      // k-anonymised (app/ctdc_microdata.hpp). The country of exploitation
      // is not recorded; CTDC's proxy is the country of first assistance,
      // the location's.
      const std::string country = period.location_code.substr(0, period.location_code.find('-'));
      std::vector<std::vector<std::string>> rows;
      rows.reserve(d.counted.size());
      for (const auto& c : d.counted) {
        const Data::Person& p = person(c.person_id);
        CtdcSource src;
        src.year_of_registration = c.opened.size() >= 4 ? std::stoi(c.opened.substr(0, 4)) : 0;
        src.sex = p.sex;
        src.age = age_of(c);
        if (auto a = c.ctdc.find("vic_AgeWhenTrafficked"); a != c.ctdc.end() && a->is_number_integer()) {
          src.age_when_trafficked = a->get<int>();
        }
        src.citizenship = is_nationality(p.nationality) ? p.nationality : "";
        src.country_of_exploitation = country;
        src.exploitation = c.exploitation;
        auto strings = [&](const char* f) {
          std::vector<std::string> codes;
          if (auto v = c.ctdc.find(f); v != c.ctdc.end() && v->is_array()) {
            for (const auto& x : *v) {
              if (x.is_string()) codes.push_back(x.get<std::string>());
            }
          }
          return codes;
        };
        src.industries = strings("vic_ForcedLabourIndustry");
        src.sex_types = strings("vic_TypeOfSexExploitation");
        src.relationship = StringOr(c.ctdc, "vic_RelationshipToTrafficker");
        if (auto m = c.ctdc.find("vic_MethodsOfControl"); m != c.ctdc.end()) src.methods_of_control = &*m;
        rows.push_back(CtdcRow(src));
      }
      std::vector<std::size_t> qi;
      for (const auto& q : CtdcQuasiIdentifiers()) {
        qi.push_back(
            static_cast<std::size_t>(std::find(CtdcColumns().begin(), CtdcColumns().end(), q) - CtdcColumns().begin()));
      }
      const KAnonymityResult k = EnforceKAnonymity(rows, qi, kCtdcK);
      out["anonymisation"] = {{"method", "k-anonymity by suppression"},      {"k", kCtdcK},
                              {"quasi_identifiers", CtdcQuasiIdentifiers()}, {"persons", d.counted.size()},
                              {"suppressed_values", k.suppressed_values},    {"dropped_rows", k.dropped_rows}};
      out["columns"] = CtdcColumns();
      out["rows"] = std::move(rows);
    } else if (report == "sdg") {
      const std::vector<std::string> sexes = {"Female", "Male", "Other"};
      const std::vector<std::string> ages = {"Child", "Adult", "Unknown"};
      const std::vector<std::string> forms = {"SexualExploitation", "ForcedLabour", "Other", "Unknown"};
      const auto& n = tally->sdg;
      std::size_t cell[3][3][4];
      std::size_t sa[3][3], s_tot[3], a_tot[3], f_tot[4];
      std::int64_t sa_v[3][3] = {}, s_v[3] = {}, a_v[3] = {}, f_v[4] = {}, all = 0;
      for (std::size_t s = 0; s < 3; ++s) {
        for (std::size_t a = 0; a < 3; ++a) {
          for (std::size_t f = 0; f < 4; ++f) {
            cell[s][a][f] = cells.Add(n[s][a][f]);
            sa_v[s][a] += n[s][a][f];
            s_v[s] += n[s][a][f];
            a_v[a] += n[s][a][f];
            f_v[f] += n[s][a][f];
            all += n[s][a][f];
          }
        }
      }
      for (std::size_t s = 0; s < 3; ++s) {
        for (std::size_t a = 0; a < 3; ++a) {
          sa[s][a] = cells.Add(sa_v[s][a]);
          cells.Relate(sa[s][a], {cell[s][a][0], cell[s][a][1], cell[s][a][2], cell[s][a][3]});
        }
      }
      for (std::size_t s = 0; s < 3; ++s) {
        s_tot[s] = cells.Add(s_v[s]);
        cells.Relate(s_tot[s], {sa[s][0], sa[s][1], sa[s][2]});
      }
      for (std::size_t a = 0; a < 3; ++a) {
        a_tot[a] = cells.Add(a_v[a]);
        cells.Relate(a_tot[a], {sa[0][a], sa[1][a], sa[2][a]});
      }
      for (std::size_t f = 0; f < 4; ++f) {
        f_tot[f] = cells.Add(f_v[f]);
        std::vector<std::size_t> parts;
        for (std::size_t s = 0; s < 3; ++s) {
          for (std::size_t a = 0; a < 3; ++a) parts.push_back(cell[s][a][f]);
        }
        cells.Relate(f_tot[f], parts);
      }
      const std::size_t total = cells.Add(all);
      cells.Relate(total, {s_tot[0], s_tot[1], s_tot[2]});
      cells.Relate(total, {a_tot[0], a_tot[1], a_tot[2]});
      cells.Relate(total, {f_tot[0], f_tot[1], f_tot[2], f_tot[3]});
      cells.Apply();
      json items = json::array();
      for (std::size_t s = 0; s < 3; ++s) {
        for (std::size_t a = 0; a < 3; ++a) {
          for (std::size_t f = 0; f < 4; ++f) {
            items.push_back({{"sex", sexes[s]},
                             {"age_group", ages[a]},
                             {"form", forms[f]},
                             {"persons", cells.Value(cell[s][a][f])},
                             {"suppressed", cells.Hidden(cell[s][a][f])}});
          }
        }
      }
      json by_sex_age = json::array();
      for (std::size_t s = 0; s < 3; ++s) {
        for (std::size_t a = 0; a < 3; ++a) {
          by_sex_age.push_back({{"sex", sexes[s]},
                                {"age_group", ages[a]},
                                {"persons", cells.Value(sa[s][a])},
                                {"suppressed", cells.Hidden(sa[s][a])}});
        }
      }
      auto margin = [&](const std::vector<std::string>& keys, const std::size_t* idx, const char* key_name) {
        json rows = json::array();
        for (std::size_t i = 0; i < keys.size(); ++i) {
          rows.push_back({{key_name, keys[i]}, {"persons", cells.Value(idx[i])}, {"suppressed", cells.Hidden(idx[i])}});
        }
        return rows;
      };
      out["view"] = "lead_agency";
      out["definition"] =
          "SDG 16.2.2: detected victims (the persons of the assistance report's lead-agency view) by sex, age "
          "group (Child under 18, Adult 18 or older, at the opening of the counting case) and form of "
          "exploitation (SexualExploitation if present, else ForcedLabour incl. child labour, servitude, forced "
          "begging and criminality, else Other, e.g. surrogacy; Unknown when none is recorded)";
      out["cells"] = std::move(items);
      out["by_sex_and_age_group"] = std::move(by_sex_age);
      out["by_sex"] = margin(sexes, s_tot, "sex");
      out["by_age_group"] = margin(ages, a_tot, "age_group");
      out["by_form"] = margin(forms, f_tot, "form");
      out["total"] = cells.Value(total);
    } else {
      // ---- the assistance report ----
      const std::size_t na = d.agencies.size();
      const ReportTally& tl = *tally;
      const auto& persons = tl.persons;
      const auto& women = tl.women;
      const auto& resolved = tl.resolved;
      const auto& nats = tl.nationalities;
      const auto& all_nats = tl.all_nationalities;
      const auto& resolved_nats = tl.resolved_nationalities;
      const std::int64_t resolved_women = tl.resolved_women;
      auto dims = tl.dims;                                     // dimension -> key -> persons
      const auto& exploitation_types = tl.exploitation_types;  // overlapping
      const auto& new_by_month = tl.new_by_month;
      for (const auto& band : AgeBands()) dims["age_band"].try_emplace(band, 0);
      // Types present among the agencies in the location, in a fixed order.
      std::map<std::string, std::vector<std::size_t>> type_agencies;
      for (std::size_t i = 0; i < na; ++i) {
        if (d.agencies[i].in_location) type_agencies[d.agencies[i].type].push_back(i);
      }

      // Lead-agency cells: agencies within types within the total.
      std::int64_t total_persons = 0, total_women = 0, total_resolved = 0;
      for (std::size_t i = 0; i < na; ++i) {
        total_persons += persons[i];
        total_women += women[i];
        total_resolved += resolved[i];
      }
      const std::size_t t_persons = cells.Add(total_persons);
      const std::size_t t_women = cells.Add(total_women);
      const std::size_t t_resolved = cells.Add(total_resolved);
      std::vector<std::size_t> a_persons(na), a_women(na), a_resolved(na);
      std::map<std::string, std::array<std::size_t, 3>> ty;
      std::vector<std::size_t> ty_p, ty_w, ty_r;
      for (const auto& [type, members] : type_agencies) {
        std::int64_t p = 0, w = 0, r = 0;
        std::vector<std::size_t> mp, mw, mr;
        for (std::size_t i : members) {
          a_persons[i] = cells.Add(persons[i]);
          a_women[i] = cells.Add(women[i]);
          a_resolved[i] = cells.Add(resolved[i]);
          mp.push_back(a_persons[i]);
          mw.push_back(a_women[i]);
          mr.push_back(a_resolved[i]);
          p += persons[i];
          w += women[i];
          r += resolved[i];
        }
        ty[type] = {cells.Add(p), cells.Add(w), cells.Add(r)};
        cells.Relate(ty[type][0], mp);
        cells.Relate(ty[type][1], mw);
        cells.Relate(ty[type][2], mr);
        ty_p.push_back(ty[type][0]);
        ty_w.push_back(ty[type][1]);
        ty_r.push_back(ty[type][2]);
      }
      cells.Relate(t_persons, ty_p);
      cells.Relate(t_women, ty_w);
      cells.Relate(t_resolved, ty_r);
      const std::size_t r_women = cells.Add(resolved_women);
      // Breakdowns partition the total.
      std::map<std::string, std::map<std::string, std::size_t>> dim_cells;
      for (const auto& [dim, keys] : dims) {
        std::vector<std::size_t> parts;
        for (const auto& [key, v] : keys) {
          dim_cells[dim][key] = cells.Add(v);
          parts.push_back(dim_cells[dim][key]);
        }
        cells.Relate(t_persons, parts);
      }
      std::map<std::string, std::size_t> month_cells;
      {
        std::vector<std::size_t> parts;
        for (const auto& [month, v] : new_by_month) {
          month_cells[month] = cells.Add(v);
          parts.push_back(month_cells[month]);
        }
        cells.Relate(t_persons, parts);
      }
      // Overlapping counts: primary suppression only.
      std::map<std::string, std::size_t> type_cells;
      for (const auto& [t, v] : exploitation_types) type_cells[t] = cells.Add(v);
      std::map<std::string, std::size_t> assisted_month_cells;
      for (const auto& [month, n] : tl.assisted_by_month) assisted_month_cells[month] = cells.Add(n);
      // Assisted-by view.
      auto ab_type = [&](const std::string& type) {
        auto it = tl.ab_types.find(type);
        return it == tl.ab_types.end() ? std::array<std::int64_t, 3>{0, 0, 0} : it->second;
      };
      std::vector<std::array<std::size_t, 2>> ab_cells(na);
      for (std::size_t i = 0; i < na; ++i) {
        ab_cells[i] = {cells.Add(tl.ab_persons[i]), cells.Add(tl.ab_women[i])};
      }
      std::map<std::string, std::array<std::size_t, 2>> ab_type_cells;
      for (const auto& [type, members] : type_agencies) {
        ab_type_cells[type] = {cells.Add(ab_type(type)[0]), cells.Add(ab_type(type)[1])};
      }
      const std::array<std::size_t, 2> ab_total = {cells.Add(tl.ab_total[0]), cells.Add(tl.ab_total[1])};
      cells.Apply();

      // Distinct nationalities are not counts of persons: shown when the
      // row's persons are.
      auto nat_value = [&](std::size_t persons_cell, std::int64_t n) {
        return cells.Hidden(persons_cell) ? json(nullptr) : json(n);
      };
      auto lead_row = [&](json row, std::size_t p, std::size_t w, std::size_t r, std::int64_t n) {
        PutCells(row, cells, {{"persons", p}, {"women", w}, {"resolved", r}});
        row["nationalities"] = nat_value(p, n);
        if (cells.Hidden(p)) row["suppressed"].push_back("nationalities");
        return row;
      };
      json lead_types = json::array();
      json lead_agencies = json::array();
      json ab_types = json::array();
      json ab_agencies = json::array();
      for (const auto& [type, members] : type_agencies) {
        std::set<std::string> tn;
        for (std::size_t i : members) tn.insert(nats[i].begin(), nats[i].end());
        lead_types.push_back(lead_row({{"type", type}, {"label", TypeLabel(type)}}, ty[type][0], ty[type][1],
                                      ty[type][2], static_cast<std::int64_t>(tn.size())));
        json ab = {{"type", type}, {"label", TypeLabel(type)}};
        PutCells(ab, cells, {{"persons", ab_type_cells[type][0]}, {"women", ab_type_cells[type][1]}});
        ab["nationalities"] = nat_value(ab_type_cells[type][0], ab_type(type)[2]);
        ab_types.push_back(std::move(ab));
        for (std::size_t i : members) {
          const auto& a = d.agencies[i];
          json base = {{"agency_id", a.id},
                       {"code", a.code},
                       {"name_en", a.name_en},
                       {"type", a.type},
                       {"district", a.district}};
          lead_agencies.push_back(
              lead_row(base, a_persons[i], a_women[i], a_resolved[i], static_cast<std::int64_t>(nats[i].size())));
          PutCells(base, cells, {{"persons", ab_cells[i][0]}, {"women", ab_cells[i][1]}});
          base["nationalities"] = nat_value(ab_cells[i][0], tl.ab_nationalities[i]);
          ab_agencies.push_back(std::move(base));
        }
      }
      json lead_total =
          lead_row(json::object(), t_persons, t_women, t_resolved, static_cast<std::int64_t>(all_nats.size()));
      json ab_total_row = json::object();
      PutCells(ab_total_row, cells, {{"persons", ab_total[0]}, {"women", ab_total[1]}});
      ab_total_row["nationalities"] = nat_value(ab_total[0], tl.ab_total[2]);

      out["lead_agency"] = {
          {"view", "lead_agency"},
          {"definition",
           "each person once, under the agency that led their counting case at the end of the period; agency "
           "types and agencies partition the total"},
          {"total", std::move(lead_total)},
          {"agency_types", std::move(lead_types)},
          {"agencies", std::move(lead_agencies)}};
      out["assisted_by"] = {
          {"view", "assisted_by"},
          {"definition",
           "each agency in the location that recorded assistance dated in the period, with the distinct persons "
           "it assisted; a person assisted by several agencies is in several rows and once in the total"},
          {"total", std::move(ab_total_row)},
          {"agency_types", std::move(ab_types)},
          {"agencies", std::move(ab_agencies)}};
      json resolved_row = json::object();
      PutCells(resolved_row, cells, {{"persons", t_resolved}, {"women", r_women}});
      resolved_row["nationalities"] = nat_value(t_resolved, static_cast<std::int64_t>(resolved_nats.size()));
      resolved_row["view"] = "lead_agency";
      resolved_row["definition"] =
          "persons of the lead-agency view with a case linked to an investigation resolved in the period "
          "(inv_Status Resolved, inv_ResolvedOn in the period)";
      out["resolved_by_police"] = std::move(resolved_row);
      json breakdowns = {{"view", "lead_agency"}};
      for (const auto& [dim, keys] : dim_cells) {
        json rows = json::array();
        std::vector<std::pair<std::string, std::size_t>> ordered(keys.begin(), keys.end());
        if (dim == "age_band") {
          ordered.clear();
          for (const auto& band : AgeBands()) ordered.emplace_back(band, keys.at(band));
        }
        for (const auto& [key, idx] : ordered) {
          rows.push_back({{"key", key}, {"persons", cells.Value(idx)}, {"suppressed", cells.Hidden(idx)}});
        }
        breakdowns[dim] = std::move(rows);
      }
      json types_rows = json::array();
      for (const auto& [t, idx] : type_cells) {
        types_rows.push_back({{"key", t}, {"persons", cells.Value(idx)}, {"suppressed", cells.Hidden(idx)}});
      }
      breakdowns["exploitation_type"] = std::move(types_rows);
      breakdowns["notes"] = {
          {"exploitation_type", "a person with several types is counted under each: rows do not add up to the total"},
          {"exploitation_form", "one form per person (see the SDG 16.2.2 report): rows add up to the total"},
          {"age_band", "CTDC ageBroad bands, age at the opening of the counting case"},
          {"district",
           "district of the lead agency's location; the location's own code for agencies above "
           "district level"}};
      out["breakdowns"] = std::move(breakdowns);
      json months = json::array();
      std::set<std::string> all_months;
      for (const auto& [m, idx] : month_cells) all_months.insert(m);
      for (const auto& [m, idx] : assisted_month_cells) all_months.insert(m);
      for (const auto& m : all_months) {
        json row = {{"month", m}};
        auto nm = month_cells.find(m);
        auto am = assisted_month_cells.find(m);
        row["new_persons"] = nm == month_cells.end() ? json(0) : cells.Value(nm->second);
        row["assisted_persons"] = am == assisted_month_cells.end() ? json(0) : cells.Value(am->second);
        json sup = json::array();
        if (nm != month_cells.end() && cells.Hidden(nm->second)) sup.push_back("new_persons");
        if (am != assisted_month_cells.end() && cells.Hidden(am->second)) sup.push_back("assisted_persons");
        row["suppressed"] = std::move(sup);
        months.push_back(std::move(row));
      }
      out["monthly"] = {{"view", "lead_agency"},
                        {"definition",
                         "new_persons: persons of the lead-agency view by month their counting case opened "
                         "(\"before\": opened before the period, counted for assistance or resolution in it; the "
                         "rows add up to the total); assisted_persons: distinct persons assisted in the month by "
                         "agencies in the location (assisted-by view)"},
                        {"items", std::move(months)}};
    }
  }

  json result = {{"report", report == "sdg" ? "sdg-16-2-2" : report},
                 {"location", {{"code", period.location_code}, {"name_en", period.location_name}}},
                 {"period",
                  {{"from", period.from.empty() ? json(nullptr) : json(period.from)},
                   {"to", period.to},
                   {"definition",
                    "half-open [from, to): to is the first day not counted; no from: since the "
                    "beginning"}}},
                 {"disclosure_control",
                  {{"applied", controlled},
                   {"min_cell", controlled ? options_.min_cell : 0},
                   {"suppressed_cells", cells.suppressed_count()},
                   {"rule",
                    "counts of 1 to min_cell-1 are null and listed in \"suppressed\", with enough other cells "
                    "that no published total gives them away"}}}};
  result.update(out);
  Audit(caller, "ok");
  return result;
}

std::string FormatAssistanceReport(const json& report) {
  std::ostringstream os;
  auto num = [](const json& v) { return v.is_number() ? std::to_string(v.get<std::int64_t>()) : std::string("-"); };
  const char* views[] = {"lead_agency", "assisted_by"};
  const json& period = report.at("period");
  os << "Assistance report " << report.at("location").value("code", "") << ", "
     << (period.at("from").is_string() ? "from " + period.at("from").get<std::string>()
                                       : std::string("since the beginning"))
     << " to before " << period.value("to", "") << "\n";
  for (const char* view : views) {
    const json& v = report.at(view);
    os << "\n"
       << (std::string(view) == "lead_agency" ? "Lead-agency view" : "Assisted-by view") << " ("
       << v.value("definition", "") << ")\n";
    char line[256];
    std::snprintf(line, sizeof(line), "  %-46s %8s %8s %14s %9s\n", "AGENCY TYPE / AGENCY", "PERSONS", "WOMEN",
                  "NATIONALITIES", "RESOLVED");
    os << line;
    for (const auto& t : v.at("agency_types")) {
      std::snprintf(line, sizeof(line), "  %-46s %8s %8s %14s %9s\n", t.value("label", "").c_str(),
                    num(t.value("persons", json())).c_str(), num(t.value("women", json())).c_str(),
                    num(t.value("nationalities", json())).c_str(), num(t.value("resolved", json())).c_str());
      os << line;
      for (const auto& a : v.at("agencies")) {
        if (a.value("type", "") != t.value("type", "")) continue;
        std::snprintf(line, sizeof(line), "    %-44s %8s %8s %14s %9s\n", a.value("code", "").c_str(),
                      num(a.value("persons", json())).c_str(), num(a.value("women", json())).c_str(),
                      num(a.value("nationalities", json())).c_str(), num(a.value("resolved", json())).c_str());
        os << line;
      }
    }
    const json& total = v.at("total");
    std::snprintf(line, sizeof(line), "  %-46s %8s %8s %14s %9s\n", "TOTAL (distinct persons)",
                  num(total.value("persons", json())).c_str(), num(total.value("women", json())).c_str(),
                  num(total.value("nationalities", json())).c_str(), num(total.value("resolved", json())).c_str());
    os << line;
  }
  const json& r = report.at("resolved_by_police");
  os << "\nResolved by the police (lead-agency view): " << num(r.value("persons", json())) << " persons, "
     << num(r.value("women", json())) << " women, " << num(r.value("nationalities", json())) << " nationalities\n";
  return os.str();
}

}  // namespace ctims::app
