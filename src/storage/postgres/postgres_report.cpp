#include "storage/postgres/postgres_report.hpp"

#include <string>

#include "storage/postgres/postgres_util.hpp"

namespace ctims::storage::postgres {
namespace {

using core::Result;

// A member of `b` (a body cast to jsonb) as text when it is a JSON string,
// else NULL: the app's reading of a member it expects to be a string. Byte
// order ("C"), as the app and SQLite compare.
std::string Str(const std::string& b, const std::string& member) {
  return "CASE WHEN jsonb_typeof(" + b + " -> '" + member + "') = 'string' THEN (" + b + " ->> '" + member +
         "') COLLATE \"C\" END";
}

// $1 = from ("" since the beginning), $2 = to. The assistance date is
// compared as ((body::jsonb ->> 'ast_Date') COLLATE "C"), the expression of
// the index assistance_ast_date (migration 0012); `x >= ''` holds for every
// text, so no special case for "since the beginning".
const std::string& AssistedInPeriod() {
  static const std::string kSql =
      "jsonb_typeof(a.body::jsonb -> 'ast_Date') = 'string' AND "
      "((a.body::jsonb ->> 'ast_Date') COLLATE \"C\") <> '' AND "
      "((a.body::jsonb ->> 'ast_Date') COLLATE \"C\") < $2::text AND "
      "((a.body::jsonb ->> 'ast_Date') COLLATE \"C\") >= $1::text";
  return kSql;
}

const std::string& CasesSql() {
  static const std::string kSql =
      // Owner at the end of the period: the earliest accepted transfer
      // answered on or after `to` gives the case back to its sender.
      "WITH trf AS (SELECT DISTINCT ON (case_id) case_id, from_agency_id FROM (SELECT id, case_id, from_agency_id, "
      "substr(" +
      Str("body::jsonb", "trf_AnsweredAt") +
      ", 1, 10) AS answered FROM transfers WHERE \"trf_Status\" = 'Accepted') s WHERE length(answered) = 10 AND "
      "answered >= $2::text ORDER BY case_id, answered, id), "
      "rinv AS (SELECT id FROM (SELECT id, " +
      Str("body::jsonb", "inv_ResolvedOn") +
      " AS d FROM investigations WHERE \"inv_Status\" = 'Resolved') s WHERE d <> '' AND d < $2::text AND "
      "d >= $1::text), "
      "rcase AS (SELECT DISTINCT case_id FROM investigation_victims WHERE investigation_id IN (SELECT id FROM rinv)), "
      "acase AS (SELECT DISTINCT a.case_id FROM assistance a WHERE " +
      AssistedInPeriod() +
      "), "
      "c AS (SELECT id, person_id, owner_agency_id, \"vic_TraffickingStatus\" AS status, "
      "(b -> 'vic_TypeOfExploitation')::text AS exploitation, coalesce(nullif(" +
      Str("b", "cas_OpenedOn") +
      ", ''), substr(created_at, 1, 10)) AS opened FROM (SELECT id, person_id, owner_agency_id, created_at, "
      "\"vic_TraffickingStatus\", body::jsonb AS b FROM cases) s) "
      "SELECT c.id, c.person_id, CASE WHEN t.case_id IS NULL THEN c.owner_agency_id "
      "ELSE coalesce(t.from_agency_id, '') END, c.opened, c.exploitation, c.status, r.case_id IS NOT NULL "
      "FROM c LEFT JOIN trf t ON t.case_id = c.id LEFT JOIN rcase r ON r.case_id = c.id "
      "WHERE c.opened < $2::text AND (c.opened >= $1::text OR c.id IN (SELECT case_id FROM acase) OR "
      "r.case_id IS NOT NULL) ORDER BY c.id";
  return kSql;
}

}  // namespace

Result<std::vector<app::ReportCaseRow>> PostgresReportOps::ReportCases(const app::ReportPeriod& period) {
  PgResult r = connection().Query(CasesSql(), Params().Text(period.from).Text(period.to));
  if (!r.ok()) return GenericError(r, "report cases");
  std::vector<app::ReportCaseRow> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    app::ReportCaseRow row;
    row.case_id = r.Text(i, 0);
    row.person_id = r.Text(i, 1);
    row.lead_agency_id = r.Text(i, 2);
    row.opened = r.Text(i, 3);
    row.exploitation = r.Text(i, 4);
    row.status = r.Text(i, 5);
    row.resolved = r.Bool(i, 6);
    out.push_back(std::move(row));
  }
  return out;
}

Result<std::vector<app::ReportAssistRow>> PostgresReportOps::ReportAssistance(const app::ReportPeriod& period) {
  static const std::string kSql =
      "SELECT DISTINCT c.person_id, a.agency_id, substr(a.body::jsonb ->> 'ast_Date', 1, 7) "
      "FROM assistance a JOIN cases c ON c.id = a.case_id WHERE " +
      AssistedInPeriod();
  PgResult r = connection().Query(kSql, Params().Text(period.from).Text(period.to));
  if (!r.ok()) return GenericError(r, "report assistance");
  std::vector<app::ReportAssistRow> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back({r.Text(i, 0), r.Text(i, 1), r.Text(i, 2)});
  return out;
}

Result<std::vector<app::ReportPersonRow>> PostgresReportOps::ReportPersons() {
  // prs_EstimatedAge counts when it is a JSON integer (the app's
  // is_number_integer()): jsonb keeps a number's text, so "30" and not "30.0".
  static const std::string kSql =
      "SELECT id, " + Str("b", "prs_Sex") +
      ", CASE WHEN jsonb_typeof(b -> 'prs_Citizenship') = 'array' AND "
      "jsonb_typeof(b -> 'prs_Citizenship' -> 0) = 'string' THEN b -> 'prs_Citizenship' ->> 0 END, "
      "(b -> 'prs_Birthdate')::text, CASE WHEN jsonb_typeof(b -> 'prs_EstimatedAge') = 'number' AND "
      "(b ->> 'prs_EstimatedAge') ~ '^-?[0-9]{1,9}$' THEN (b ->> 'prs_EstimatedAge')::bigint END, " +
      Str("b", "prs_AgeEstimatedOn") + " FROM (SELECT id, body::jsonb AS b FROM persons) s";
  PgResult r = connection().Query(kSql);
  if (!r.ok()) return GenericError(r, "report persons");
  std::vector<app::ReportPersonRow> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    app::ReportPersonRow p;
    p.person_id = r.Text(i, 0);
    p.sex = r.Text(i, 1);
    p.nationality = r.Text(i, 2);
    p.birthdate = r.OptionalText(i, 3);
    if (auto age = r.OptionalInt(i, 4); age) p.estimated_age = static_cast<int>(*age);
    p.estimated_on = r.Text(i, 5);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace ctims::storage::postgres
