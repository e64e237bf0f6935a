#pragma once

// Reports as files (issue 5 §5): every report of app::ReportService as CSV,
// XLSX and HXL-tagged CSV, and the assistance report as DHIS2
// dataValueSets JSON and ADX XML (export/dhis2.hpp). All tables are written
// by export/table_writer.hpp (libcsv, libxlsxwriter).
//
// Tables of a report. A report's JSON is cut into tables mechanically, so a
// field added to a report appears in its files without code here:
//   - every array of objects is a table named by its JSON path
//     ("breakdowns.nationality", "referrals.items"); one row per object, one
//     column per scalar field (nested objects flattened as "a.b", arrays of
//     scalars joined with ';', nested arrays of objects as compact JSON);
//   - the scalars outside those arrays form the table "summary" (columns
//     field, value);
//   - the assistance report has one more table, "agencies": both views, one
//     row per view, level (total, agency_type, agency) and key, with the
//     columns of the command line's CSV.
// A suppressed cell is null in the JSON and an empty cell in every file; the
// row's "suppressed" column names it. The main table (CSV and HXL when no
// table is asked for) is "agencies" for the assistance report, "cells" for
// SDG 16.2.2 and "referrals.items" for the flows.
//
// HXL (Humanitarian Exchange Language): the CSV's second row holds a
// hashtag per column, and every row starts with the location's country
// (#country+code), the location (#adm1+code) and the period
// (#date+start, #date+end). Columns without a standard hashtag get
// #meta+<name>.
//
// Thread-safe (no shared state).

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/export_service.hpp"
#include "core/status.hpp"
#include "export/dhis2.hpp"
#include "export/htcds_export.hpp"
#include "export/table_writer.hpp"

namespace ctims::exports {

// The tables of a report, the main table first. `report_name` as
// app::ReportRenderer::Render.
std::vector<Table> ReportTables(std::string_view report_name, const nlohmann::json& report);

// `table` with the HXL prefix columns and hashtag row, as CSV.
std::string WriteHxlCsv(const Table& table, const nlohmann::json& report);

// app::ReportRenderer for main.cpp: formats csv, xlsx, hxl, and, when a
// DHIS2 mapping is given, dhis2 (dataValueSets JSON) and adx.
class ReportExporter : public app::ReportRenderer {
 public:
  explicit ReportExporter(std::optional<Dhis2Mapping> mapping = std::nullopt) : mapping_(std::move(mapping)) {}
  std::vector<std::string> Formats() const override;
  core::Result<app::ExportFile> Render(std::string_view report_name, const nlohmann::json& report,
                                       const app::ExportOptions& options) const override;
  // export/htcds_export.hpp: htcds-cases.json and htcds-cases.xlsx in an
  // AES-256 ZIP.
  core::Result<app::ExportFile> RenderHtcds(const nlohmann::json& persons, const nlohmann::json& cases,
                                            std::string_view password) const override;

 private:
  std::optional<Dhis2Mapping> mapping_;
};

}  // namespace ctims::exports
