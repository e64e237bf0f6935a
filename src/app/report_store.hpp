#pragma once

// The report read path (issue 9 §4): what app/report_service needs from the
// case registry, filtered and joined by the database on the general
// (non-sealed) columns and body members, instead of every table read into
// the app. A store transaction that supports it also implements
// ReportQueries; AsReportQueries() finds it. The counting rules themselves
// are documented in app/report_service.hpp; this interface only moves the
// joins, the period filters and the DISTINCTs into SQL.
//
// Sealed members (prs_Birthdate) come back as stored (the JSON text of the
// member, sealed or not): only the app opens them.
//
// Errors are values: kUnavailable when the database is busy, kInternal
// otherwise; no exception crosses the interface. A ReportQueries is the
// transaction it belongs to: not thread-safe, valid while it lives.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/record_store.hpp"
#include "core/status.hpp"

namespace ctims::app {

// The report period, half-open [from, to); dates YYYY-MM-DD, `from` empty
// for "since the beginning".
struct ReportPeriod {
  std::string from;
  std::string to;
};

// One case that may count in the period, before the location filter (which
// the app applies: agencies are few): opened before `to`, and opened in the
// period, or assisted in the period (ast_Date, any agency), or linked to an
// investigation with inv_Status Resolved and inv_ResolvedOn in the period.
struct ReportCaseRow {
  std::string case_id;
  std::string person_id;
  // The owner at the end of the period: the sender (from_agency_id, "" when
  // none) of the earliest accepted transfer whose trf_AnsweredAt date is on
  // or after `to` (ties: lowest transfer id), else owner_agency_id.
  std::string lead_agency_id;
  std::string opened;        // cas_OpenedOn when a non-empty string, else the creation date
  std::string exploitation;  // JSON text of vic_TypeOfExploitation; "" when absent
  std::string status;        // vic_TraffickingStatus; "" when none
  bool resolved = false;
};

// One (person, agency, month) with assistance dated in the period, distinct.
struct ReportAssistRow {
  std::string person_id;
  std::string agency_id;
  std::string month;  // YYYY-MM of ast_Date
};

// A person's members the reports read.
struct ReportPersonRow {
  std::string person_id;
  std::string sex;          // prs_Sex when a string, else ""
  std::string nationality;  // prs_Citizenship[0] when a string, else ""
  // JSON text of prs_Birthdate as stored (sealed); nullopt when absent.
  std::optional<std::string> birthdate;
  std::optional<int> estimated_age;  // prs_EstimatedAge when an integer
  std::string estimated_on;          // prs_AgeEstimatedOn when a string, else ""
};

class ReportQueries {
 public:
  virtual ~ReportQueries() = default;

  // The candidate cases of the period, in case id order (the app keeps, per
  // person, the first of the latest-opened: the order matters).
  virtual core::Result<std::vector<ReportCaseRow>> ReportCases(const ReportPeriod& period) = 0;
  // Assistance in the period by person, agency and month, distinct, any order.
  virtual core::Result<std::vector<ReportAssistRow>> ReportAssistance(const ReportPeriod& period) = 0;
  // The report members of every person, any order (the app keeps those it
  // counts, and opens only their birth dates).
  virtual core::Result<std::vector<ReportPersonRow>> ReportPersons() = 0;
};

// The report queries of `tx`, or nullptr when its backend has none (the
// report service then reads the tables and counts in the app).
inline ReportQueries* AsReportQueries(StoreTransaction& tx) {
  return dynamic_cast<ReportQueries*>(&tx);
}

}  // namespace ctims::app
