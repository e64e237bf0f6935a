#include "export/report_export.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace ctims::exports {
namespace {

using nlohmann::json;

// A small assistance report in the shape ReportService returns (the API
// suite tests the real one end to end).
json AssistanceReport() {
  return json::parse(R"json({
    "report": "assistance",
    "location": {"code": "LA-BK", "name_en": "Bokeo"},
    "period": {"from": "2022-01-01", "to": "2023-01-01"},
    "disclosure_control": {"applied": true, "min_cell": 5, "suppressed_cells": 2},
    "lead_agency": {
      "view": "lead_agency",
      "total": {"persons": 40, "women": 12, "nationalities": 3, "resolved": 9, "suppressed": []},
      "agency_types": [
        {"type": "DistrictManagementCommittee", "label": "District Management Committees",
         "persons": 31, "women": 9, "nationalities": 3, "resolved": 0, "suppressed": []},
        {"type": "LawEnforcement", "label": "Law enforcement (police)",
         "persons": 9, "women": null, "nationalities": 2, "resolved": 9, "suppressed": ["women"]}
      ],
      "agencies": [
        {"code": "BK-PPD", "name_en": "=HYPERLINK(\"x\")", "type": "LawEnforcement",
         "persons": 9, "women": null, "nationalities": 2, "resolved": 9, "suppressed": ["women"]}
      ]
}
, "assisted_by" : {
  "view" : "assisted_by",
  "total" : {"persons" : 41, "women" : 12, "nationalities" : 3},
  "agency_types" : [],
  "agencies" : []
},
                  "resolved_by_police" : {"persons" : 9, "women" : null, "nationalities" : 2, "suppressed" : ["women"]},
                                         "breakdowns" : {
  "view" : "lead_agency",
           "nationality"
      : [ {"key" : "LA", "persons" : 30, "suppressed" : false}, {"key" : "TH", "persons" : null, "suppressed" : true} ]
}
})json");
}

const Table* Find(const std::vector<Table>& tables, const std::string& name) {
  for (const auto& t : tables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

TEST(ReportTablesTest, CutsTheReportIntoTablesMainFirst) {
  auto tables = ReportTables("assistance", AssistanceReport());
  ASSERT_FALSE(tables.empty());
  EXPECT_EQ(tables.front().name, "agencies");
  ASSERT_NE(Find(tables, "breakdowns.nationality"), nullptr);
  ASSERT_NE(Find(tables, "lead_agency.agency_types"), nullptr);
  EXPECT_EQ(Find(tables, "assisted_by.agencies"), nullptr);  // empty arrays make no table
  const Table* summary = Find(tables, "summary");
  ASSERT_NE(summary, nullptr);
  bool saw_total = false;
  for (const auto& row : summary->rows) {
    if (std::get<std::string>(row[0]) == "lead_agency.total.persons") {
      saw_total = true;
      EXPECT_EQ(std::get<double>(row[1]), 40);
    }
  }
  EXPECT_TRUE(saw_total);
  // agencies: both views' totals, types and agencies.
  const Table& agencies = tables.front();
  ASSERT_EQ(agencies.rows.size(), 5u);  // lead: total, 2 types, 1 agency; assisted: total
  EXPECT_EQ(std::get<std::string>(agencies.rows[3][2]), "BK-PPD");
}

TEST(ReportTablesTest, SuppressedCellsStayEmptyInCsv) {
  ReportExporter exporter;
  auto csv = exporter.Render("assistance", AssistanceReport(), {"csv", ""});
  ASSERT_TRUE(csv.ok()) << csv.status().ToString();
  // The police row: women suppressed -> empty field, named in "suppressed";
  // the agency name that looks like a formula is neutralised.
  EXPECT_NE(
      csv->body.find(
          "\"lead_agency\",\"agency\",\"BK-PPD\",\"'=HYPERLINK(\"\"x\"\")\",\"9\",\"\",\"2\",\"9\",\"women\"\r\n"),
      std::string::npos)
      << csv->body;
  EXPECT_EQ(csv->rows, 5);
  EXPECT_EQ(csv->content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(csv->filename, "ctims-assistance-LA-BK-to-2023-01-01.csv");

  auto nat = exporter.Render("assistance", AssistanceReport(), {"csv", "breakdowns.nationality"});
  ASSERT_TRUE(nat.ok());
  EXPECT_NE(nat->body.find("\"TH\",\"\",\"true\""), std::string::npos) << nat->body;
}

TEST(ReportTablesTest, UnknownFormatOrTableIsRefusedNamingTheField) {
  ReportExporter exporter;
  auto bad_table = exporter.Render("assistance", AssistanceReport(), {"csv", "nope"});
  ASSERT_EQ(bad_table.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_table.status().field_errors().at(0).path, "table");
  // Without a mapping DHIS2 is not offered.
  const auto formats = exporter.Formats();
  EXPECT_EQ(std::count(formats.begin(), formats.end(), "dhis2"), 0);
  auto dhis2 = exporter.Render("assistance", AssistanceReport(), {"dhis2", ""});
  EXPECT_EQ(dhis2.status().code(), core::StatusCode::kInvalidArgument);
}

TEST(ReportTablesTest, XlsxHoldsEveryTable) {
  ReportExporter exporter;
  auto xlsx = exporter.Render("assistance", AssistanceReport(), {"xlsx", ""});
  ASSERT_TRUE(xlsx.ok()) << xlsx.status().ToString();
  ASSERT_GT(xlsx->body.size(), 4u);
  EXPECT_EQ(xlsx->body.substr(0, 2), "PK");  // a ZIP container
  // The sheets are deflated inside it; the row count says every table went in.
  std::int64_t rows = 0;
  for (const auto& t : ReportTables("assistance", AssistanceReport())) rows += static_cast<std::int64_t>(t.rows.size());
  EXPECT_EQ(xlsx->rows, rows);
}

TEST(HxlTest, HashtagRowAndLocationColumns) {
  const auto tables = ReportTables("assistance", AssistanceReport());
  const std::string hxl = WriteHxlCsv(*Find(tables, "breakdowns.nationality"), AssistanceReport());
  const auto first_end = hxl.find("\r\n");
  const auto second_end = hxl.find("\r\n", first_end + 2);
  const std::string tags = hxl.substr(first_end + 2, second_end - first_end - 2);
  EXPECT_EQ(tags.rfind("\"#country+code\",\"#adm1+code\",\"#date+start\",\"#date+end\",\"#country+code\"", 0), 0u)
      << tags;
  EXPECT_NE(tags.find("\"#affected+ind\""), std::string::npos) << tags;
  EXPECT_NE(hxl.find("\"LA\",\"LA-BK\",\"2022-01-01\",\"2023-01-01\",\"LA\",\"30\""), std::string::npos) << hxl;

  const std::string agencies = WriteHxlCsv(tables.front(), AssistanceReport());
  EXPECT_NE(agencies.find("\"#affected+f\""), std::string::npos) << agencies;
  EXPECT_NE(agencies.find("\"#org+code\""), std::string::npos) << agencies;
}

}  // namespace
}  // namespace ctims::exports
