#pragma once

// Report exports (issue 5 §5): a report rendered as a file (CSV, XLSX, HXL,
// DHIS2 dataValueSets, ADX), permissioned and audited.
//
// The app layer cannot know the file formats (they live in the export
// layer, above it), so the formats come in through ReportRenderer, which
// main.cpp wires to exports::ReportExporter. ExportService runs the report
// through ReportService (same permission "statistics:report", same
// disclosure control: a suppressed cell is null in the JSON and stays empty
// in every file), renders it and records one audit event per export.
//
// Audit. An export event has action "export", resource "statistics" and, as
// record_ids, short codes that say what was exported and with which filters
// and how many rows (never any content): the report name, "format.<f>",
// "location.<code>", "from.<date>", "to.<date>", "table.<name>" and
// "rows.<n>". The audit log accepts only short codes there
// ([A-Za-z0-9_.-]{1,32}), so a filter value that does not fit is recorded as
// "<name>.invalid"; the report service has refused it anyway.
//
// Errors: those of ReportService; kInvalidArgument with field "format" (rule
// "one_of") or "table" (rule "one_of") for an unknown format or table (DHIS2
// formats are offered only when a mapping is configured), and the
// renderer's own errors. Thread-safe when the renderer is.

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/principal.hpp"
#include "app/report_service.hpp"
#include "core/status.hpp"

namespace ctims::app {

class AuditLog;
class RecordService;

// One produced file.
struct ExportFile {
  std::string content_type;  // e.g. "text/csv; charset=utf-8"
  std::string filename;      // for Content-Disposition, [A-Za-z0-9._-] only
  std::string body;
  std::int64_t rows = 0;  // data rows (or data values) written, for the audit
  // What the file leaves out and says so (DHIS2: "Unmapped-Cells",
  // "Unmatched-Cells", "Suppressed-Cells"), as cell paths: codes only.
  std::vector<std::pair<std::string, std::vector<std::string>>> notes;
};

// What an export asks for, besides the report's own parameters.
struct ExportOptions {
  std::string format;  // as ReportRenderer::Formats()
  std::string table;   // CSV and HXL: which table of the report; empty: its main table
};

class ReportRenderer {
 public:
  virtual ~ReportRenderer() = default;
  // The formats Render accepts.
  virtual std::vector<std::string> Formats() const = 0;
  // `report_name` is "assistance", "sdg-16-2-2", "flows" or
  // "ctdc-microdata"; `report` its JSON as ReportService returns it. Errors
  // as described above.
  virtual core::Result<ExportFile> Render(std::string_view report_name, const nlohmann::json& report,
                                          const ExportOptions& options) const = 0;
  // The HTCDS case export: `persons` and `cases` (arrays of records as
  // RecordService lists them) as HTCDS JSON and XLSX in a ZIP encrypted
  // with AES-256 under `password`.
  virtual core::Result<ExportFile> RenderHtcds(const nlohmann::json& persons, const nlohmann::json& cases,
                                               std::string_view password) const = 0;
};

// Smallest archive password, in characters (UTF-8 code points).
inline constexpr std::size_t kMinExportPasswordChars = 12;

// The HTCDS case export's parameters: list filters of cases (as GET
// /api/v1/cases takes them) and the archive password.
struct HtcdsExportRequest {
  std::vector<std::pair<std::string, std::string>> filters;
  std::string password;
};

class ExportService {
 public:
  // Holds references; all must outlive it. `audit` may be nullptr in unit
  // tests only.
  ExportService(ReportService& reports, const ReportRenderer& renderer, AuditLog* audit,
                RecordService* records = nullptr)
      : reports_(reports), renderer_(renderer), audit_(audit), records_(records) {}

  // `report_name`: "assistance", "sdg-16-2-2", "flows" or "ctdc-microdata"
  // (anonymised microdata: csv or xlsx). `request` holds the report's
  // parameters only (location, from, to).
  core::Result<ExportFile> Report(std::string_view report_name, const ReportRequest& request,
                                  const ExportOptions& options, const Principal& caller);

  // The HTCDS case export (personal data): the cases the caller may list
  // (same scope and filters as GET /api/v1/cases, field groups the role may
  // not read left out) and their persons, as an encrypted ZIP. Permission
  // ("cases", "export") and the identity field group: roles without
  // identity access (analysts, taskforce members, administrators) never get
  // it. Errors: kPermissionDenied; kInvalidArgument (field "password", rule
  // "min_length") for a password under 12 characters, or the list's filter
  // errors. The listing is audited as lists are, and the export once more
  // (action "export", resource "cases", "format.htcds-zip",
  // "rows.<cases>"). kUnavailable when built without a RecordService.
  core::Result<ExportFile> Htcds(const HtcdsExportRequest& request, const Principal& caller);

 private:
  void Audit(const Principal& caller, std::string_view report_name, const ReportRequest& request,
             const ExportOptions& options, const char* outcome, std::int64_t rows);

  ReportService& reports_;
  const ReportRenderer& renderer_;
  AuditLog* audit_;
  RecordService* records_;
};

// The audit code for a filter: "<name>.<value>" when it is a short code the
// audit log accepts, else "<name>.invalid".
std::string AuditFilterCode(std::string_view name, std::string_view value);

}  // namespace ctims::app
