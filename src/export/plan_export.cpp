#include "export/plan_export.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <functional>

namespace ctims::exports {
namespace {

using nlohmann::json;

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

Cell Text(const json& j, const char* key) {
  std::string s = Str(j, key);
  if (s.empty()) return std::monostate{};
  return s;
}

Cell Num(const json& j, const char* key) {
  if (!j.is_object()) return std::monostate{};
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::monostate{};
  return it->get<double>();
}

std::string AgencyCode(const json& agency) {
  return agency.is_object() ? Str(agency, "code") : std::string();
}

std::string Join(const json& list, const char* sep, const std::function<std::string(const json&)>& f) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    std::string s = f(item);
    if (s.empty()) continue;
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string Escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatNumber(const json& v) {
  if (!v.is_number()) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v.get<double>());
  return buf;
}

std::string Progress(const json& indicator) {
  const json p = indicator.value("progress", json());
  if (!p.is_number()) return "";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", p.get<double>() * 100);
  return buf;
}

std::string Progressions(const json& activity) {
  return Join(activity.value("act_Progress", json::array()), "\n", [](const json& p) {
    std::string s = Str(p, "prg_Date") + ": " + Str(p, "prg_Note");
    if (p.contains("prg_Percent")) s += " (" + Str(p, "prg_Percent") + "%)";
    return s;
  });
}

}  // namespace

std::vector<Table> PlanTables(const json& plan) {
  Table objectives{"Objectives", {"Code", "Objective", "Problems addressed", "Activities", "Late activities"}, {}};
  Table activities{"Activities",
                   {"Objective", "Activity", "Responsible", "Partners", "Start", "End", "Status", "Effective status",
                    "Budget", "Currency", "Latest progress"},
                   {}};
  Table indicators{"Indicators",
                   {"Objective", "Indicator", "Unit", "Baseline", "Target", "Current value", "Source", "Query",
                    "Progress towards target", "Definition"},
                   {}};
  for (const auto& o : plan.value("objectives", json::array())) {
    const std::string code = Str(o, "obj_Code");
    double late = 0;
    for (const auto& a : o.value("activities", json::array())) {
      if (a.value("late", false)) ++late;
      activities.rows.push_back({code, Text(a, "act_Title"), AgencyCode(a.value("responsible_agency", json())),
                                 Join(a.value("partner_agencies", json::array()), ", ", AgencyCode),
                                 Text(a, "act_StartDate"), Text(a, "act_EndDate"), Text(a, "act_Status"),
                                 Text(a, "effective_status"), Num(a, "act_BudgetAmount"), Text(a, "act_BudgetCurrency"),
                                 Progressions(a)});
    }
    for (const auto& i : o.value("indicators", json::array())) {
      indicators.rows.push_back({code, Text(i, "ind_Name"), Text(i, "ind_Unit"), Num(i, "ind_Baseline"),
                                 Num(i, "ind_Target"), Num(i, "current_value"), Text(i, "ind_Source"),
                                 Text(i, "ind_Query"), Progress(i), Text(i, "definition")});
    }
    objectives.rows.push_back({code, Text(o, "obj_Title"),
                               Join(o.value("obj_Problems", json::array()), ", ",
                                    [](const json& p) { return p.is_string() ? p.get<std::string>() : ""; }),
                               static_cast<double>(o.value("activities", json::array()).size()), late});
  }
  Table meetings{"Meetings", {"Date", "Place", "Attendees", "Decisions", "Follow-up actions", "Minutes"}, {}};
  for (const auto& m : plan.value("meetings", json::array())) {
    meetings.rows.push_back(
        {Text(m, "mtg_Date"), Text(m, "mtg_Place"),
         Join(m.value("mtg_Attendees", json::array()), ", ", [](const json& a) { return Str(a, "att_Name"); }),
         Join(m.value("mtg_Decisions", json::array()), "\n",
              [](const json& d) { return d.is_string() ? d.get<std::string>() : ""; }),
         Join(m.value("mtg_FollowUps", json::array()), "\n",
              [](const json& f) {
                std::string s = Str(f, "fup_Action");
                if (!Str(f, "fup_Due").empty()) s += " (due " + Str(f, "fup_Due") + ")";
                if (!Str(f, "activity_id").empty()) s += " [plan activity]";
                return s;
              }),
         Text(m, "mtg_Minutes")});
  }
  Table members{"Members", {"Agency", "Name", "Function", "User"}, {}};
  for (const auto& m : plan.value("members", json::array())) {
    const json agency = m.value("agency", json());
    members.rows.push_back(
        {AgencyCode(agency), Text(agency, "name_en"), Text(m, "tfm_Function"), Text(m, "tfm_UserId")});
  }
  return {std::move(objectives), std::move(activities), std::move(indicators), std::move(meetings), std::move(members)};
}

core::Result<std::string> PlanXlsx(const json& plan) {
  return WriteXlsx(PlanTables(plan));
}

std::string PlanHtml(const json& plan) {
  const json taskforce = plan.value("taskforce", json::object());
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  h += "<title>Plan of action: " + Escape(Str(taskforce, "tfc_NameEn")) + "</title>";
  h += "<style>"
       "body{font-family:'Noto Sans Lao','Noto Sans',sans-serif;font-size:11pt;margin:1.5cm;color:#000}"
       "h1{font-size:16pt;margin:0}h2{font-size:13pt;margin:1.2em 0 .3em;page-break-after:avoid}"
       "table{border-collapse:collapse;width:100%;margin:.3em 0 1em;page-break-inside:auto}"
       "tr{page-break-inside:avoid}th,td{border:1px solid #555;padding:2px 4px;vertical-align:top;text-align:left}"
       "th{background:#eee}.Late{font-weight:bold;color:#a00}.Done{color:#060}.AtRisk{color:#a60}"
       ".meta{color:#333;margin:.2em 0 1em}"
       "@page{size:A4 landscape;margin:1cm}@media print{body{margin:0}}"
       "</style></head><body>\n";
  h += "<h1>Plan of action — " + Escape(Str(taskforce, "tfc_NameEn")) + "</h1>";
  h += "<div class=\"meta\">" + Escape(Str(taskforce, "tfc_NameLo")) +
       "<br>Chair: " + Escape(Str(taskforce.value("chair_agency", json::object()), "name_en")) +
       " · Period: " + Escape(Str(taskforce, "tfc_PlanStart")) + " – " + Escape(Str(taskforce, "tfc_PlanEnd")) +
       " · As of: " + Escape(Str(plan, "as_of")) + "</div>\n";
  for (const auto& table : PlanTables(plan)) {
    h += "<h2>" + Escape(table.name) + "</h2><table><thead><tr>";
    for (const auto& c : table.header) h += "<th>" + Escape(c) + "</th>";
    h += "</tr></thead><tbody>";
    for (const auto& row : table.rows) {
      h += "<tr>";
      for (const auto& cell : row) {
        std::string text;
        if (const auto* s = std::get_if<std::string>(&cell)) text = *s;
        if (const auto* d = std::get_if<double>(&cell)) text = FormatNumber(*d);
        // Status cells carry their code as a class for the print colours.
        const bool status = text == "Late" || text == "Done" || text == "AtRisk";
        h += status ? "<td class=\"" + text + "\">" : "<td>";
        std::string escaped = Escape(text);
        std::string with_breaks;
        for (char c : escaped) with_breaks += c == '\n' ? std::string("<br>") : std::string(1, c);
        h += with_breaks + "</td>";
      }
      h += "</tr>";
    }
    h += "</tbody></table>\n";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace ctims::exports
