#include "app/taskforce_service.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>

#include "core/id.hpp"
#include "domain/schema.hpp"

namespace ctims::app {
namespace {

using core::Result;
using core::Status;
using nlohmann::json;

std::string Str(const json& record, const char* key) {
  if (!record.is_object()) return {};
  auto it = record.find(key);
  return (it != record.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

const domain::ResourceSpec& Spec(const char* name) {
  return *domain::FindResource(name);
}

std::optional<double> Number(const json& record, const char* key) {
  if (!record.is_object()) return std::nullopt;
  auto it = record.find(key);
  if (it == record.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// The named queries of indicators (code list indicator_query): each is a
// figure of a report of the report service (issue 5), for the indicator's
// location and period ([ind_PeriodFrom, ind_PeriodTo); by default from
// 1 January of the current year up to today).
struct NamedQuery {
  const char* code;
  const char* report;  // "assistance" | "flows"
  const char* definition;
};
constexpr NamedQuery kQueries[] = {
    {"PersonsRepatriatedThisYear", "flows",
     "repatriations of cases led in the location, dated in the period, that have departed (Departed, Received or "
     "FollowedUp): /reports/flows repatriations.by_state"},
    {"ReferralsAnsweredWithin48h", "flows",
     "percentage of referrals requested in the period that were not overdue (answered within the answer time of 48 "
     "hours, or still within it): 100 x (sent - overdue) / sent of /reports/flows referrals.total"},
    {"VictimsResolvedInvestigations", "assistance",
     "persons with a case linked to an investigation resolved in the period: /reports/assistance resolved_by_police"},
    {"PersonsAssistedByDistrictCommittees", "assistance",
     "distinct persons to whom a District Management Committee recorded assistance in the period: /reports/assistance "
     "assisted_by, agency type DistrictManagementCommittee"},
};

const NamedQuery* FindQuery(const std::string& code) {
  for (const auto& q : kQueries) {
    if (code == q.code) return &q;
  }
  return nullptr;
}

}  // namespace

std::string EffectiveActivityStatus(const json& activity, const std::string& today) {
  std::string status = Str(activity, "act_Status");
  if (status.empty()) status = "NotStarted";
  if (status == "Done") return status;
  const std::string end = Str(activity, "act_EndDate");
  if (!end.empty() && end < today) return "Late";
  return status;
}

Result<json> TaskforceService::ListAll(const char* resource, const std::string& field, const std::string& value,
                                       const Principal& caller) {
  ListRequest request;
  if (!field.empty()) request.filters.emplace_back(field, value);
  request.limit = std::to_string(kMaxPageSize);
  json items = json::array();
  while (true) {
    CTIMS_ASSIGN_OR_RETURN(json page, records_.List(Spec(resource), request, caller));
    for (auto& item : page["items"]) items.push_back(std::move(item));
    if (!page["next_cursor"].is_string()) break;
    request.cursor = page["next_cursor"].get<std::string>();
  }
  return items;
}

json TaskforceService::ComputeIndicator(const json& indicator, const Principal& caller) {
  json out = indicator;
  const bool computed = Str(indicator, "ind_Source") == "Query";
  out["computed"] = computed;
  std::optional<double> value;
  if (!computed) {
    value = Number(indicator, "ind_CurrentValue");
  } else {
    const NamedQuery* query = FindQuery(Str(indicator, "ind_Query"));
    if (query == nullptr || reports_ == nullptr) {
      out["error"] = "statistics are not available";
    } else {
      out["definition"] = query->definition;
      const std::string year = core::FormatDate(clock_.Now()).substr(0, 4);
      ReportRequest request;
      const std::string from =
          Str(indicator, "ind_PeriodFrom").empty() ? year + "-01-01" : Str(indicator, "ind_PeriodFrom");
      const std::string to = Str(indicator, "ind_PeriodTo");
      request.params = {{"location", Str(indicator, "ind_Location")}, {"from", from}};
      if (!to.empty()) request.params.emplace_back("to", to);
      out["period"] = {{"from", from}, {"to", to.empty() ? json(nullptr) : json(to)}};
      const std::string key = std::string(query->report) + "|" + Str(indicator, "ind_Location") + "|" + from + "|" + to;
      auto cached = report_cache_.find(key);
      if (cached == report_cache_.end()) {
        auto r = std::string(query->report) == "flows" ? reports_->Flows(request, caller)
                                                       : reports_->Assistance(request, caller);
        cached = report_cache_.emplace(key, r.ok() ? *r : json{{"error", r.status().message()}}).first;
      }
      const json& report = cached->second;
      auto num = [](const json& v) -> std::optional<double> {
        if (v.is_number()) return v.get<double>();
        return std::nullopt;
      };
      if (report.contains("error")) {
        out["error"] = report["error"];
      } else if (std::string(query->code) == "PersonsRepatriatedThisYear") {
        double sum = 0;
        bool hidden = false;
        const json& by_state = report["repatriations"]["by_state"];
        for (const char* s : {"Departed", "Received", "FollowedUp"}) {
          if (!by_state.contains(s)) continue;
          auto v = num(by_state[s]);
          if (!v) hidden = true;
          sum += v.value_or(0);
        }
        if (!hidden) value = sum;
      } else if (std::string(query->code) == "ReferralsAnsweredWithin48h") {
        const json& total = report["referrals"]["total"];
        auto sent = num(total.value("sent", json()));
        auto overdue = num(total.value("overdue", json()));
        if (sent && overdue && *sent > 0) value = 100.0 * (*sent - *overdue) / *sent;
      } else if (std::string(query->code) == "VictimsResolvedInvestigations") {
        value = num(report["resolved_by_police"].value("persons", json()));
      } else {
        value = 0;
        for (const auto& t : report["assisted_by"]["agency_types"]) {
          if (t.value("type", "") == "DistrictManagementCommittee") value = num(t.value("persons", json()));
        }
      }
      if (!value && !out.contains("error")) out["suppressed"] = true;
    }
  }
  out["current_value"] = value ? json(*value) : json(nullptr);
  const auto baseline = Number(indicator, "ind_Baseline").value_or(0);
  const auto target = Number(indicator, "ind_Target");
  if (value && target && *target != baseline) {
    out["progress"] = std::clamp((*value - baseline) / (*target - baseline), 0.0, 1.0);
  } else {
    out["progress"] = nullptr;
  }
  return out;
}

Result<json> TaskforceService::Plan(const std::string& id, const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(RequireFullSession(caller));
  CTIMS_ASSIGN_OR_RETURN(json taskforce, records_.Get(Spec("taskforces"), id, caller));
  const std::string today = core::FormatDate(clock_.Now());
  CTIMS_ASSIGN_OR_RETURN(json members, ListAll("taskforce-members", "taskforce_id", id, caller));
  CTIMS_ASSIGN_OR_RETURN(json objectives, ListAll("plan-objectives", "taskforce_id", id, caller));
  CTIMS_ASSIGN_OR_RETURN(json activities, ListAll("plan-activities", "taskforce_id", id, caller));
  CTIMS_ASSIGN_OR_RETURN(json indicators, ListAll("plan-indicators", "taskforce_id", id, caller));
  CTIMS_ASSIGN_OR_RETURN(json meetings, ListAll("taskforce-meetings", "taskforce_id", id, caller));
  json directives = json::array();
  if (caller.Allows("directives", "list")) {
    CTIMS_ASSIGN_OR_RETURN(directives, ListAll("directives", "taskforce_id", id, caller));
  }
  // Agency names, for readers of the plan (and its exports).
  CTIMS_ASSIGN_OR_RETURN(json agencies, ListAll("agencies", "", "", caller));
  std::map<std::string, json> agency_names;
  for (const auto& a : agencies) {
    agency_names[Str(a, "id")] = {
        {"code", Str(a, "org_Code")}, {"name_en", Str(a, "org_NameEn")}, {"name_lo", Str(a, "org_NameLo")}};
  }
  auto agency = [&](const std::string& agency_id) {
    auto it = agency_names.find(agency_id);
    return it == agency_names.end() ? json(nullptr) : it->second;
  };
  for (auto& m : members) m["agency"] = agency(Str(m, "agency_id"));
  taskforce["chair_agency"] = agency(Str(taskforce, "chair_agency_id"));

  {
    std::lock_guard lock(cache_mu_);
    report_cache_.clear();
    for (auto& o : objectives) {
      o["activities"] = json::array();
      o["indicators"] = json::array();
      for (const auto& a : activities) {
        if (Str(a, "objective_id") != Str(o, "id")) continue;
        json item = a;
        item["effective_status"] = EffectiveActivityStatus(a, today);
        item["late"] = item["effective_status"] == "Late";
        item["responsible_agency"] = agency(Str(a, "responsible_agency_id"));
        json partners = json::array();
        for (const auto& p : a.value("act_PartnerAgencyIds", json::array())) {
          partners.push_back(agency(p.is_string() ? p.get<std::string>() : ""));
        }
        item["partner_agencies"] = std::move(partners);
        o["activities"].push_back(std::move(item));
      }
      for (const auto& i : indicators) {
        if (Str(i, "objective_id") == Str(o, "id")) o["indicators"].push_back(ComputeIndicator(i, caller));
      }
    }
    report_cache_.clear();
  }
  std::sort(objectives.begin(), objectives.end(),
            [](const json& a, const json& b) { return Str(a, "obj_Code") < Str(b, "obj_Code"); });
  std::sort(meetings.begin(), meetings.end(),
            [](const json& a, const json& b) { return Str(a, "mtg_Date") < Str(b, "mtg_Date"); });
  return json{{"taskforce", std::move(taskforce)},   {"members", std::move(members)},
              {"objectives", std::move(objectives)}, {"meetings", std::move(meetings)},
              {"directives", std::move(directives)}, {"as_of", today}};
}

Result<json> TaskforceService::Directives(bool outbox, const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(RequireFullSession(caller));
  if (caller.agency_id.empty()) return Status::InvalidArgument("no agency", {{"agency_id", "required", "no agency"}});
  const std::string today = core::FormatDate(clock_.Now());
  auto overdue = [&](const json& directive, const json& recipient) {
    return Str(recipient, "drc_Status") != "Done" && Str(directive, "dir_DueDate") < today;
  };
  json items = json::array();
  if (outbox) {
    CTIMS_ASSIGN_OR_RETURN(json directives, ListAll("directives", "issuing_agency_id", caller.agency_id, caller));
    for (auto& d : directives) {
      CTIMS_ASSIGN_OR_RETURN(json recipients, ListAll("directive-recipients", "directive_id", Str(d, "id"), caller));
      bool any = false;
      for (auto& r : recipients) {
        r["overdue"] = overdue(d, r);
        any = any || r["overdue"].get<bool>();
      }
      items.push_back({{"directive", std::move(d)}, {"recipients", std::move(recipients)}, {"overdue", any}});
    }
  } else {
    CTIMS_ASSIGN_OR_RETURN(json mine, ListAll("directive-recipients", "agency_id", caller.agency_id, caller));
    for (auto& r : mine) {
      CTIMS_ASSIGN_OR_RETURN(json d, records_.Get(Spec("directives"), Str(r, "directive_id"), caller));
      r["overdue"] = overdue(d, r);
      const bool late = r["overdue"].get<bool>();
      items.push_back({{"directive", std::move(d)}, {"recipients", json::array({std::move(r)})}, {"overdue", late}});
    }
  }
  std::sort(items.begin(), items.end(), [](const json& a, const json& b) {
    return Str(a["directive"], "dir_DueDate") < Str(b["directive"], "dir_DueDate");
  });
  return json{{"items", std::move(items)}, {"as_of", today}};
}

Result<json> TaskforceService::Overdue(const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(RequireFullSession(caller));
  const std::string today = core::FormatDate(clock_.Now());
  json activities = json::array();
  if (caller.Allows("plan-activities", "list")) {
    // Taskforces the caller's agency belongs to.
    std::set<std::string> taskforces;
    CTIMS_ASSIGN_OR_RETURN(json all_taskforces, ListAll("taskforces", "", "", caller));
    for (const auto& t : all_taskforces) {
      if (!caller.agency_id.empty() && Str(t, "chair_agency_id") == caller.agency_id) taskforces.insert(Str(t, "id"));
    }
    if (caller.Allows("taskforce-members", "list") && !caller.agency_id.empty()) {
      CTIMS_ASSIGN_OR_RETURN(json memberships, ListAll("taskforce-members", "agency_id", caller.agency_id, caller));
      for (const auto& m : memberships) {
        const std::string user = Str(m, "tfm_UserId");
        if (user.empty() || user == caller.user_id) taskforces.insert(Str(m, "taskforce_id"));
      }
    }
    CTIMS_ASSIGN_OR_RETURN(json all, ListAll("plan-activities", "", "", caller));
    for (auto& a : all) {
      const bool mine =
          Str(a, "responsible_agency_id") == caller.agency_id || taskforces.contains(Str(a, "taskforce_id"));
      if (!mine || EffectiveActivityStatus(a, today) != "Late") continue;
      a["effective_status"] = "Late";
      activities.push_back(std::move(a));
    }
  }
  json received = json::array();
  json issued = json::array();
  if (caller.Allows("directives", "list") && caller.Allows("directive-recipients", "list") &&
      !caller.agency_id.empty()) {
    CTIMS_ASSIGN_OR_RETURN(json inbox, Directives(false, caller));
    for (auto& item : inbox["items"]) {
      if (item["overdue"].get<bool>()) received.push_back(std::move(item));
    }
    CTIMS_ASSIGN_OR_RETURN(json outbox, Directives(true, caller));
    for (auto& item : outbox["items"]) {
      if (item["overdue"].get<bool>()) issued.push_back(std::move(item));
    }
  }
  return json{{"overdue_activities", std::move(activities)},
              {"overdue_directives_received", std::move(received)},
              {"overdue_directives_issued", std::move(issued)},
              {"as_of", today}};
}

Result<json> TaskforceService::FollowUpToActivity(const std::string& meeting_id, const std::string& index_text,
                                                  const json& body, const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(RequireFullSession(caller));
  if (!body.is_object()) return Status::InvalidArgument("expected a JSON object", {{"", "type", "object"}});
  for (auto it = body.begin(); it != body.end(); ++it) {
    static const std::set<std::string> kAllowed = {"objective_id", "responsible_agency_id", "act_StartDate",
                                                   "act_EndDate"};
    if (!kAllowed.contains(it.key())) {
      return Status::InvalidArgument("unknown member " + it.key(), {{it.key(), "unknown_field", "not accepted here"}});
    }
  }
  std::size_t index = 0;
  auto [ptr, ec] = std::from_chars(index_text.data(), index_text.data() + index_text.size(), index);
  if (ec != std::errc() || ptr != index_text.data() + index_text.size()) {
    return Status::InvalidArgument("bad follow-up index", {{"index", "format", "a follow-up's position, from 0"}});
  }
  CTIMS_ASSIGN_OR_RETURN(json meeting, records_.Get(Spec("taskforce-meetings"), meeting_id, caller));
  json fups = meeting.value("mtg_FollowUps", json::array());
  if (index >= fups.size()) {
    return Status::InvalidArgument("no follow-up at this index", {{"index", "range", "no such follow-up"}});
  }
  if (!Str(fups[index], "activity_id").empty()) {
    return Status::Conflict("the follow-up is already a plan activity",
                            {{"index", "already_linked", "activity " + Str(fups[index], "activity_id")}});
  }
  if (Str(body, "objective_id").empty()) {
    return Status::InvalidArgument("name the objective", {{"objective_id", "required", "the activity's objective"}});
  }
  // Made already (a retry after a failed link)? Link that one.
  CTIMS_ASSIGN_OR_RETURN(json existing, ListAll("plan-activities", "meeting_id", meeting_id, caller));
  json activity;
  for (const auto& a : existing) {
    if (a.value("act_FollowUpIndex", -1) == static_cast<int>(index)) activity = a;
  }
  if (activity.is_null()) {
    std::string title = Str(fups[index], "fup_Action");
    json create = {{"objective_id", body["objective_id"]},
                   {"taskforce_id", Str(meeting, "taskforce_id")},
                   {"act_Title", title.size() > 300 ? title.substr(0, 300) : title},
                   {"act_Description", title},
                   {"act_StartDate", body.contains("act_StartDate") ? body["act_StartDate"] : meeting["mtg_Date"]},
                   {"meeting_id", meeting_id},
                   {"act_FollowUpIndex", index}};
    const json responsible =
        body.contains("responsible_agency_id") ? body["responsible_agency_id"] : fups[index].value("agency_id", json());
    if (!responsible.is_null()) create["responsible_agency_id"] = responsible;
    const json end = body.contains("act_EndDate") ? body["act_EndDate"] : fups[index].value("fup_Due", json());
    if (!end.is_null()) create["act_EndDate"] = end;
    CTIMS_ASSIGN_OR_RETURN(activity, records_.Create(Spec("plan-activities"), create, caller));
  }
  fups[index]["activity_id"] = activity["id"];
  json patch = {{"mtg_FollowUps", fups}, {"version", meeting["version"]}};
  CTIMS_ASSIGN_OR_RETURN(json updated,
                         records_.Update(Spec("taskforce-meetings"), meeting_id, patch, std::nullopt, caller));
  return json{{"activity", std::move(activity)}, {"meeting", std::move(updated)}};
}

}  // namespace ctims::app
