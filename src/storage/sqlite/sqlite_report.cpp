#include "storage/sqlite/sqlite_report.hpp"

#include <sqlite3.h>

#include <limits>
#include <string>

#include "storage/sqlite/sqlite_identity.hpp"
#include "storage/sqlite/sqlite_util.hpp"

namespace ctims::storage::sqlite {
namespace {

using core::Result;

// A body member as text when it is a JSON string, else NULL: the app's
// reading of a member it expects to be a string (anything else counts as
// absent).
std::string Str(const std::string& body, const std::string& member) {
  return "CASE WHEN json_type(" + body + ", '$." + member + "') = 'text' THEN json_extract(" + body + ", '$." + member +
         "') END";
}

// ?1 = from ("" since the beginning), ?2 = to. The assistance date is
// compared as json_extract(body, '$.ast_Date'), the expression of the index
// assistance_ast_date (migration 0012), so that a period with a start reads
// only its own rows; `x >= ''` holds for every text, so no special case for
// "since the beginning".
const std::string& AssistedInPeriod() {
  static const std::string kSql =
      "json_type(a.body, '$.ast_Date') = 'text' AND json_extract(a.body, '$.ast_Date') <> '' AND "
      "json_extract(a.body, '$.ast_Date') < ?2 AND json_extract(a.body, '$.ast_Date') >= ?1";
  return kSql;
}

const std::string& CasesSql() {
  static const std::string kSql =
      "WITH rinv AS (SELECT id FROM (SELECT id, " + Str("body", "inv_ResolvedOn") +
      " AS d FROM investigations WHERE inv_Status = 'Resolved') WHERE d <> '' AND d < ?2 AND d >= ?1), "
      "rcase AS (SELECT DISTINCT case_id FROM investigation_victims WHERE investigation_id IN (SELECT id FROM rinv)), "
      "acase AS (SELECT DISTINCT a.case_id FROM assistance a WHERE " +
      AssistedInPeriod() +
      "), "
      "c AS MATERIALIZED (SELECT id, person_id, owner_agency_id, vic_TraffickingStatus AS status, "
      "body -> '$.vic_TypeOfExploitation' AS exploitation, coalesce(nullif(" +
      Str("body", "cas_OpenedOn") +
      ", ''), substr(created_at, 1, 10)) AS opened FROM cases) "
      // Owner at the end of the period: the earliest accepted transfer
      // answered on or after `to` gives the case back to its sender (one
      // lookup per case through transfers_case_id).
      "SELECT c.id, c.person_id, coalesce((SELECT coalesce(t.from_agency_id, '') FROM (SELECT id, from_agency_id, "
      "substr(" +
      Str("body", "trf_AnsweredAt") +
      ", 1, 10) AS answered FROM transfers WHERE case_id = c.id AND +trf_Status = 'Accepted') t "
      "WHERE length(t.answered) = 10 AND t.answered >= ?2 ORDER BY t.answered, t.id LIMIT 1), c.owner_agency_id), "
      "c.opened, c.exploitation, c.status, c.id IN (SELECT case_id FROM rcase) "
      "FROM c WHERE c.opened < ?2 AND (c.opened >= ?1 OR c.id IN (SELECT case_id FROM acase) OR "
      "c.id IN (SELECT case_id FROM rcase)) ORDER BY c.id";
  return kSql;
}

}  // namespace

Result<std::vector<app::ReportCaseRow>> SqliteReportOps::ReportCases(const app::ReportPeriod& period) {
  auto stmt = cache().Prepare(CasesSql());
  if (!stmt.ok()) return stmt.status();
  BindText(*stmt, 1, period.from);
  BindText(*stmt, 2, period.to);
  std::vector<app::ReportCaseRow> out;
  int rc = 0;
  while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
    app::ReportCaseRow r;
    r.case_id = ColumnText(*stmt, 0);
    r.person_id = ColumnText(*stmt, 1);
    r.lead_agency_id = ColumnText(*stmt, 2);
    r.opened = ColumnText(*stmt, 3);
    r.exploitation = ColumnText(*stmt, 4);
    r.status = ColumnText(*stmt, 5);
    r.resolved = sqlite3_column_int(*stmt, 6) != 0;
    out.push_back(std::move(r));
  }
  sqlite3_reset(*stmt);
  if (rc != SQLITE_DONE) return GenericError(rc, cache().db(), "report cases");
  return out;
}

Result<std::vector<app::ReportAssistRow>> SqliteReportOps::ReportAssistance(const app::ReportPeriod& period) {
  static const std::string kSql =
      "SELECT DISTINCT c.person_id, a.agency_id, substr(json_extract(a.body, '$.ast_Date'), 1, 7) "
      "FROM assistance a JOIN cases c ON c.id = a.case_id WHERE " +
      AssistedInPeriod();
  auto stmt = cache().Prepare(kSql);
  if (!stmt.ok()) return stmt.status();
  BindText(*stmt, 1, period.from);
  BindText(*stmt, 2, period.to);
  std::vector<app::ReportAssistRow> out;
  int rc = 0;
  while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
    out.push_back({ColumnText(*stmt, 0), ColumnText(*stmt, 1), ColumnText(*stmt, 2)});
  }
  sqlite3_reset(*stmt);
  if (rc != SQLITE_DONE) return GenericError(rc, cache().db(), "report assistance");
  return out;
}

Result<std::vector<app::ReportPersonRow>> SqliteReportOps::ReportPersons() {
  static const std::string kSql =
      "SELECT id, " + Str("body", "prs_Sex") + ", " + Str("body", "prs_Citizenship[0]") +
      ", body -> '$.prs_Birthdate', CASE WHEN json_type(body, '$.prs_EstimatedAge') = 'integer' THEN "
      "json_extract(body, '$.prs_EstimatedAge') END, " +
      Str("body", "prs_AgeEstimatedOn") + " FROM persons";
  auto stmt = cache().Prepare(kSql);
  if (!stmt.ok()) return stmt.status();
  std::vector<app::ReportPersonRow> out;
  int rc = 0;
  while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
    app::ReportPersonRow p;
    p.person_id = ColumnText(*stmt, 0);
    p.sex = ColumnText(*stmt, 1);
    p.nationality = ColumnText(*stmt, 2);
    p.birthdate = ColumnOptionalText(*stmt, 3);
    if (auto age = ColumnOptionalInt(*stmt, 4);
        age && *age >= std::numeric_limits<int>::min() && *age <= std::numeric_limits<int>::max()) {
      p.estimated_age = static_cast<int>(*age);
    }
    p.estimated_on = ColumnText(*stmt, 5);
    out.push_back(std::move(p));
  }
  sqlite3_reset(*stmt);
  if (rc != SQLITE_DONE) return GenericError(rc, cache().db(), "report persons");
  return out;
}

}  // namespace ctims::storage::sqlite
