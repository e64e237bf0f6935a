#pragma once

// Statistics (issue 5): the assistance report the Bokeo provincial police
// gave the ministry, the SDG 16.2.2 breakdown and the referral-mechanism
// flow counts, as aggregates over the case registry.
//
// Who counts (docs/api.md "Reports" has the full definitions):
// - The period is half-open, [from, to): `to` is the first day NOT counted;
//   no `from` means since the beginning.
// - A case counts in the period when it was opened before `to` (cas_OpenedOn;
//   its creation date when it has none), its lead agency is in the location
//   (the agency's location is the location or inside it), and it was opened
//   on or after `from`, or received assistance dated in the period, or a
//   police investigation covering it was resolved in the period.
// - Its lead agency is the owner (owner_agency_id) as of the end of the
//   period: the current owner, unless an accepted transfer answered on or
//   after `to` moved it since, in which case the sender of the earliest such
//   transfer.
// - A person counts once when any of their cases counts, under the lead
//   agency of the latest-opened counting case (lead-agency view: agencies
//   and agency types partition the total).
// - Assisted-by view: a person counts under every agency in the location
//   that recorded assistance dated in the period (ast_Date); the total
//   counts each person once, so rows add up to more than the total.
// - Resolved by the police: persons of the lead-agency view with a case
//   linked (investigation-victims) to an investigation with inv_Status
//   Resolved and inv_ResolvedOn in the period.
// - Agency type: District Management Committees are the agencies of
//   org_Type LocalGovernmentOrganisation at org_Level district (all five
//   Bokeo DMCs together, "DistrictManagementCommittee"); every other agency
//   is grouped by its org_Type.
// - Nationality: the first code of prs_Citizenship (XX and XS are not
//   nationalities: they are shown as such in the breakdown but not counted
//   in "nationalities").
// - Age: at the opening of the counting case, from prs_Birthdate (sealed:
//   opened in memory for this, never returned) or prs_EstimatedAge carried
//   to that date; CTDC bands 0--8 ... 48+.
//
// Access: the role must hold ("statistics", "report"). Reports read every
// agency's records (aggregates only: no identity, no record id leaves the
// service). Roles that may not read the identity group (analyst, taskforce
// member, administrator) get disclosure control (app/disclosure.hpp): counts
// of 1 .. min_cell-1 and the cells that would give them away are null and
// listed as suppressed. Every request is audited (action "report", resource
// "statistics", no record ids), refused ones too.
//
// Errors: kInvalidArgument with a field error per bad parameter (unknown
// parameter, bad date, to not after from, unknown location);
// kPermissionDenied; kUnavailable when the database is busy.
// Thread-safe; holds references to `store` and `clock`.

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/principal.hpp"
#include "app/record_store.hpp"
#include "core/clock.hpp"
#include "core/status.hpp"

namespace ctims::app {

class AuditLog;
class FieldCipher;
class ReportFacts;
class ReportQueries;
struct ReportPeriod;

struct ReportServiceOptions {
  // Smallest count published to roles without identity access (k).
  std::int64_t min_cell = 5;
  AuditLog* audit = nullptr;            // nullptr only in unit tests
  const FieldCipher* cipher = nullptr;  // opens prs_Birthdate for age bands
  // Issue 9 §4: the assistance and SDG reports take their cases, assistance
  // and persons from the database's report queries (app/report_store.hpp),
  // joined and filtered in SQL, when the store has them. false reads every
  // table and counts in the app (the reference the tests compare it with).
  // The counts, the disclosure control and the output are the same.
  bool aggregate_in_database = true;
  // Issue 5 §6: the assistance and SDG reports count from these in-memory
  // facts (app/report_facts.hpp), refreshed from record_history before each
  // report, when set (the server); nullptr counts from the database per
  // request. Not owned; thread-safe. The output is the same byte for byte.
  ReportFacts* facts = nullptr;
};

// The query parameters of a report, as given (validated by the service).
struct ReportRequest {
  std::vector<std::pair<std::string, std::string>> params;  // location, from, to
};

class ReportService {
 public:
  ReportService(Store& store, const core::Clock& clock, ReportServiceOptions options = {});

  // GET /api/v1/reports/assistance: both views, resolved-by-police,
  // breakdowns and the monthly trend. Shape: docs/api.md and the OpenAPI
  // schema AssistanceReport.
  core::Result<nlohmann::json> Assistance(const ReportRequest& request, const Principal& caller);
  // GET /api/v1/reports/sdg-16-2-2: persons of the lead-agency view by sex x
  // age group (child/adult) x form of exploitation, with every margin.
  core::Result<nlohmann::json> Sdg(const ReportRequest& request, const Principal& caller);
  // GET /api/v1/reports/flows: referrals by (from, to) agency and state,
  // repatriations by destination and state, investigations by state.
  core::Result<nlohmann::json> Flows(const ReportRequest& request, const Principal& caller);
  // issue 5 exports: CTDC-layout microdata of the lead-agency view's persons
  // (app/ctdc_microdata.hpp), k-anonymised with k = 11: {"columns": [...],
  // "rows": [[...]], "anonymisation": {...}} besides location and period.
  // Anonymised, so the same permission as the reports and no small-cell
  // suppression on top (k-anonymity replaces it).
  core::Result<nlohmann::json> CtdcMicrodata(const ReportRequest& request, const Principal& caller);

  std::int64_t min_cell() const { return options_.min_cell; }

 private:
  struct Data;
  struct Period;
  core::Result<Period> ParsePeriod(const ReportRequest& request) const;
  // Fills the cases, assistance and persons of `d` from the database's
  // report queries; `agency_in` is the agency index of an agency in the
  // location (nullopt outside it).
  core::Status LoadFromQueries(
      ReportQueries& queries, const ReportPeriod& period,
      const std::function<std::optional<std::size_t>(const std::optional<std::string>&)>& agency_in, Data& d) const;
  // use_facts: false when the facts declined (they could not answer exactly).
  core::Result<nlohmann::json> Run(const char* name, const ReportRequest& request, const Principal& caller,
                                   bool use_facts = true);
  void Audit(const Principal& caller, const char* outcome);

  Store& store_;
  const core::Clock& clock_;
  ReportServiceOptions options_;
};

// The assistance report as a text table for the command line: the
// lead-agency view, then the assisted-by view and resolved-by-police. Codes
// only, no free text. (CSV and the other files: export/report_export.hpp.)
std::string FormatAssistanceReport(const nlohmann::json& report);

}  // namespace ctims::app
