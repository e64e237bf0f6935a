#include "app/export_service.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "app/audit_log.hpp"
#include "app/record_service.hpp"
#include "core/log.hpp"
#include "domain/schema.hpp"

namespace ctims::app {

namespace {

bool IsShortCode(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

}  // namespace

std::string AuditFilterCode(std::string_view name, std::string_view value) {
  std::string code = std::string(name) + "." + std::string(value);
  return IsShortCode(code) ? code : std::string(name) + ".invalid";
}

core::Result<ExportFile> ExportService::Report(std::string_view report_name, const ReportRequest& request,
                                               const ExportOptions& options, const Principal& caller) {
  const auto formats = renderer_.Formats();
  if (std::find(formats.begin(), formats.end(), options.format) == formats.end()) {
    std::string list;
    for (const auto& f : formats) list += (list.empty() ? "" : ", ") + f;
    Audit(caller, report_name, request, options, "invalid", 0);
    return core::Status::InvalidArgument("bad export parameters", {{"format", "one_of", "one of: json, " + list}});
  }
  // The report service checks the permission, applies disclosure control
  // and audits the report itself.
  auto r = report_name == "sdg-16-2-2"       ? reports_.Sdg(request, caller)
           : report_name == "flows"          ? reports_.Flows(request, caller)
           : report_name == "ctdc-microdata" ? reports_.CtdcMicrodata(request, caller)
                                             : reports_.Assistance(request, caller);
  if (!r.ok()) {
    Audit(caller, report_name, request, options,
          r.status().code() == core::StatusCode::kPermissionDenied ? "denied" : "invalid", 0);
    return r.status();
  }
  auto file = renderer_.Render(report_name, *r, options);
  if (!file.ok()) {
    Audit(caller, report_name, request, options,
          file.status().code() == core::StatusCode::kInternal ? "error" : "invalid", 0);
    return file.status();
  }
  Audit(caller, report_name, request, options, "ok", file->rows);
  return file;
}

core::Result<ExportFile> ExportService::Htcds(const HtcdsExportRequest& request, const Principal& caller) {
  auto audit = [&](const char* outcome, std::int64_t rows) {
    if (audit_ == nullptr) return;
    AuditEvent e;
    e.user_id = caller.user_id;
    e.role = caller.role.code;
    e.agency_id = caller.agency_id;
    e.client_ip = caller.client_ip;
    e.action = "export";
    e.resource = "cases";
    e.record_ids.emplace_back("format.htcds-zip");
    for (const auto& [key, value] : request.filters) e.record_ids.push_back(AuditFilterCode(key, value));
    e.record_ids.push_back("rows." + std::to_string(rows));
    e.outcome = outcome;
    if (auto s = audit_->Record(e); !s.ok()) core::Log(core::LogLevel::kError, "export audit: " + s.ToString());
  };
  if (records_ == nullptr) return core::Status::Unavailable("case export is not enabled");
  if (auto full = RequireFullSession(caller); !full.ok()) {
    audit("denied", 0);
    return full;
  }
  if (!caller.Allows("cases", "export") || !caller.role.CanRead(domain::FieldGroup::kIdentity)) {
    audit("denied", 0);
    return core::Status::PermissionDenied("your role may not export cases", {{"", "permission", "cases:export"}});
  }
  std::size_t chars = 0;
  for (unsigned char c : request.password) chars += (c & 0xC0) != 0x80;
  if (request.password.empty()) {
    audit("invalid", 0);
    return core::Status::InvalidArgument("no archive password",
                                         {{"password", "required", "the archive password (12+ characters)"}});
  }
  if (chars < kMinExportPasswordChars) {
    audit("invalid", 0);
    return core::Status::InvalidArgument(
        "the archive password is too short",
        {{"password", "min_length", "at least " + std::to_string(kMinExportPasswordChars) + " characters"}});
  }
  // Every page of the caller's own case list, then the persons of those cases
  // from the caller's own person list: the same scope as the lists.
  auto all = [&](const char* resource,
                 const std::vector<std::pair<std::string, std::string>>& filters) -> core::Result<nlohmann::json> {
    nlohmann::json items = nlohmann::json::array();
    ListRequest list;
    list.filters = filters;
    list.limit = std::to_string(kMaxPageSize);
    for (;;) {
      auto page = records_->List(*domain::FindResource(resource), list, caller);
      if (!page.ok()) return page.status();
      for (auto& item : (*page)["items"]) items.push_back(std::move(item));
      if (!(*page)["next_cursor"].is_string()) return items;
      list.cursor = (*page)["next_cursor"].get<std::string>();
    }
  };
  auto cases = all("cases", request.filters);
  if (!cases.ok()) {
    audit(cases.status().code() == core::StatusCode::kPermissionDenied ? "denied" : "invalid", 0);
    return cases.status();
  }
  std::set<std::string> wanted;
  for (const auto& c : *cases) {
    if (c.contains("person_id") && c["person_id"].is_string()) wanted.insert(c["person_id"].get<std::string>());
  }
  nlohmann::json persons = nlohmann::json::array();
  if (!wanted.empty()) {
    auto listed = all("persons", {});
    if (!listed.ok()) {
      audit(listed.status().code() == core::StatusCode::kPermissionDenied ? "denied" : "error", 0);
      return listed.status();
    }
    for (auto& p : *listed) {
      if (p.contains("id") && p["id"].is_string() && wanted.contains(p["id"].get<std::string>())) {
        persons.push_back(std::move(p));
      }
    }
  }
  auto file = renderer_.RenderHtcds(persons, *cases, request.password);
  if (!file.ok()) {
    audit(file.status().code() == core::StatusCode::kInternal ? "error" : "invalid", 0);
    return file.status();
  }
  file->rows = static_cast<std::int64_t>(cases->size());
  audit("ok", file->rows);
  return file;
}

void ExportService::Audit(const Principal& caller, std::string_view report_name, const ReportRequest& request,
                          const ExportOptions& options, const char* outcome, std::int64_t rows) {
  if (audit_ == nullptr) return;
  AuditEvent e;
  e.user_id = caller.user_id;
  e.role = caller.role.code;
  e.agency_id = caller.agency_id;
  e.client_ip = caller.client_ip;
  e.action = "export";
  e.resource = "statistics";
  e.outcome = outcome;
  e.record_ids.push_back(AuditFilterCode("report", report_name));
  e.record_ids.push_back(AuditFilterCode("format", options.format));
  for (const auto& [key, value] : request.params) e.record_ids.push_back(AuditFilterCode(key, value));
  if (!options.table.empty()) e.record_ids.push_back(AuditFilterCode("table", options.table));
  e.record_ids.push_back("rows." + std::to_string(rows));
  if (auto s = audit_->Record(e); !s.ok()) core::Log(core::LogLevel::kError, "export audit: " + s.ToString());
}

}  // namespace ctims::app
