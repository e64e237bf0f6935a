// Issue 5 §5 through the public HTTP API: reports as CSV, XLSX, HXL, DHIS2
// dataValueSets and ADX files, with the report's own permission and
// disclosure control, each export audited.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "app/demo_caseload.hpp"
#include "export/htcds_export.hpp"
#include "test_server.hpp"

namespace ctims::api_test {
namespace {

constexpr const char* kBokeo2022 = "/api/v1/reports/assistance?location=LA-BK&to=2022-09-01";

// The fields of one CSV line as table_writer writes it (every field quoted,
// no line breaks inside fields in these reports).
std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    if (line[i] != '"') return {};
    std::string f;
    for (++i; i < line.size(); ++i) {
      if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        f += '"';
        ++i;
      } else if (line[i] == '"') {
        break;
      } else {
        f += line[i];
      }
    }
    out.push_back(f);
    i += 2;  // closing quote and comma
  }
  return out;
}

std::vector<std::vector<std::string>> Rows(const std::string& csv) {
  std::vector<std::vector<std::string>> rows;
  std::size_t at = 0;
  while (at < csv.size()) {
    const auto end = csv.find("\r\n", at);
    rows.push_back(Fields(csv.substr(at, end - at)));
    if (end == std::string::npos) break;
    at = end + 2;
  }
  return rows;
}

std::vector<app::AuditRow> AuditRows(app::Store& store) {
  auto tx = store.Begin(app::TxMode::kRead);
  if (!tx.ok()) return {};
  auto rows = (*tx)->ReadAudit(0, 1000000);
  return rows.ok() ? *rows : std::vector<app::AuditRow>{};
}

class Issue5Exports : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    server().AddUser("police", "BK-PPD", "police_investigator");
    server().AddUser("analyst", "NCATIP-SEC", "analyst");
    server().AddUser("worker", "BK-DMC-TPH", "case_worker");
    police_ = server().SignIn("police");
    analyst_ = server().SignIn("analyst");
    worker_ = server().SignIn("worker");
  }

  void GenerateDemo() {
    app::DemoOptions options;
    options.cipher = &server().cipher();
    options.audit = &server().audit();
    auto r = app::GenerateDemoCaseload(server().store(), options, app::SystemPrincipal());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  // `n` victims of a nationality the demo caseload does not have, led by the
  // provincial police in 2022: a value anonymisation must hide.
  void AddRareVictims(int n, const std::string& nationality) {
    for (int i = 0; i < n; ++i) {
      const std::string person =
          CreateId("persons", {{"prs_FirstName", "Rare"}, {"prs_Sex", "Female"}, {"prs_Citizenship", {nationality}}});
      json body = CaseBody(person, AgencyId("BK-PPD"));
      body["cas_OpenedOn"] = "2022-03-01";
      CreateId("cases", body);
    }
  }

  Session police_, analyst_, worker_;
};

TEST_F(Issue5Exports, AssistanceReportAsCsvXlsxAndHxlWithTheSeedFigures) {
  GenerateDemo();
  Reply csv = As(police_, "GET", std::string(kBokeo2022) + "&format=csv");
  ASSERT_EQ(csv.status, 200) << Describe(csv);
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.Header("Content-Disposition"), "attachment; filename=\"ctims-assistance-LA-BK-to-2022-09-01.csv\"");
  const auto rows = Rows(csv.body);
  ASSERT_GE(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"view", "level", "key", "label", "persons", "women", "nationalities",
                                               "resolved", "suppressed"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"lead_agency", "total", "", "", "1255", "493", "13", "248", ""}));
  bool dmc = false;
  for (const auto& r : rows) {
    if (r.size() > 6 && r[0] == "lead_agency" && r[2] == "DistrictManagementCommittee") {
      dmc = true;
      EXPECT_EQ(r[4], "869");
      EXPECT_EQ(r[6], "13");
    }
  }
  EXPECT_TRUE(dmc);

  Reply xlsx = As(police_, "GET", std::string(kBokeo2022) + "&format=xlsx");
  ASSERT_EQ(xlsx.status, 200) << Describe(xlsx);
  EXPECT_EQ(xlsx.Header("Content-Type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_EQ(xlsx.body.substr(0, 2), "PK");
  EXPECT_NE(xlsx.Header("Content-Disposition").find(".xlsx\""), std::string::npos);

  Reply hxl = As(police_, "GET", std::string(kBokeo2022) + "&format=hxl&table=breakdowns.nationality");
  ASSERT_EQ(hxl.status, 200) << Describe(hxl);
  const auto hrows = Rows(hxl.body);
  ASSERT_GE(hrows.size(), 3u);
  EXPECT_EQ(hrows[1][0], "#country+code");
  EXPECT_EQ(hrows[1][1], "#adm1+code");
  EXPECT_EQ(hrows[2][1], "LA-BK");

  for (const char* other : {"/api/v1/reports/sdg-16-2-2?location=LA-BK&to=2022-09-01&format=csv",
                            "/api/v1/reports/flows?location=LA-BK&to=2022-09-01&format=csv",
                            "/api/v1/reports/flows?location=LA-BK&to=2022-09-01&format=xlsx"}) {
    Reply r = As(police_, "GET", other);
    EXPECT_EQ(r.status, 200) << other << " " << Describe(r);
    EXPECT_FALSE(r.body.empty());
  }
}

TEST_F(Issue5Exports, SuppressedCellsStaySuppressedInTheFiles) {
  GenerateDemo();
  AddRareVictims(2, "FR");
  Reply report = As(analyst_, "GET", kBokeo2022);
  ASSERT_EQ(report.status, 200) << Describe(report);
  const json j = report.Json();
  ASSERT_EQ(j["disclosure_control"]["applied"], true);

  // The nationality breakdown: rare nationalities are suppressed for an
  // analyst, and the CSV must show exactly the published cells.
  Reply nat = As(analyst_, "GET", std::string(kBokeo2022) + "&format=csv&table=breakdowns.nationality");
  ASSERT_EQ(nat.status, 200) << Describe(nat);
  const auto nrows = Rows(nat.body);
  ASSERT_EQ(nrows.at(0), (std::vector<std::string>{"key", "persons", "suppressed"}));
  std::map<std::string, std::vector<std::string>> by_key;
  for (std::size_t i = 1; i < nrows.size(); ++i) by_key[nrows[i].at(0)] = nrows[i];
  std::size_t hidden = 0;
  for (const auto& row : j["breakdowns"]["nationality"]) {
    const auto& csv_row = by_key[row["key"].get<std::string>()];
    ASSERT_EQ(csv_row.size(), 3u) << row.dump();
    if (row["persons"].is_null()) {
      ++hidden;
      EXPECT_EQ(csv_row[1], "") << row.dump();
      EXPECT_EQ(csv_row[2], "true");
    } else {
      EXPECT_EQ(csv_row[1], std::to_string(row["persons"].get<std::int64_t>()));
    }
  }
  EXPECT_GT(hidden, 0u) << "FR has 2 persons: fewer than k = 5";

  // The agencies table: every published count as in the JSON, every null empty.
  Reply csv = As(analyst_, "GET", std::string(kBokeo2022) + "&format=csv");
  ASSERT_EQ(csv.status, 200) << Describe(csv);
  const auto rows = Rows(csv.body);
  const std::vector<std::string> cols = rows.at(0);
  std::map<std::string, std::vector<std::string>> agency_rows;
  for (const auto& r : rows) {
    if (r.size() == cols.size() && r[1] == "agency") agency_rows[r[0] + "/" + r[2]] = r;
  }
  std::size_t checked = 0;
  for (const char* view : {"lead_agency", "assisted_by"}) {
    for (const auto& a : j[view]["agencies"]) {
      const auto& r = agency_rows[std::string(view) + "/" + a["code"].get<std::string>()];
      ASSERT_EQ(r.size(), cols.size()) << a.dump();
      for (const char* c : {"persons", "women", "nationalities"}) {
        const auto col = static_cast<std::size_t>(std::find(cols.begin(), cols.end(), c) - cols.begin());
        EXPECT_EQ(r[col], a[c].is_null() ? std::string() : std::to_string(a[c].get<std::int64_t>()))
            << view << " " << a["code"] << " " << c;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0u);
}

TEST_F(Issue5Exports, Dhis2DataValueSetsAndAdxFromTheMapping) {
  GenerateDemo();
  const std::string year = "/api/v1/reports/assistance?location=LA-BK&from=2022-01-01&to=2023-01-01";
  Reply police_json = As(police_, "GET", year);
  ASSERT_EQ(police_json.status, 200);
  const json report = police_json.Json();

  Reply dvs = As(police_, "GET", year + "&format=dhis2");
  ASSERT_EQ(dvs.status, 200) << Describe(dvs);
  EXPECT_EQ(dvs.Header("Content-Type"), "application/json");
  const json body = dvs.Json();
  EXPECT_EQ(body["period"], "2022");
  EXPECT_EQ(body["orgUnit"], "BokeoProv01");
  EXPECT_EQ(body["dataSet"], "CtimsAsst01");
  bool total = false;
  for (const auto& dv : body["dataValues"]) {
    if (dv["dataElement"] == "VicAssisted" && dv["categoryOptionCombo"] == "AllSexTotal") {
      total = true;
      EXPECT_EQ(dv["value"], std::to_string(report["lead_agency"]["total"]["persons"].get<std::int64_t>()));
    }
  }
  EXPECT_TRUE(total) << body.dump();
  // Unmapped counts are listed, not dropped.
  EXPECT_GT(std::stoi(dvs.Header("X-Ctims-Unmapped-Cells-Count")), 0);
  EXPECT_NE(dvs.Header("X-Ctims-Unmapped-Cells").find("lead_agency.agencies."), std::string::npos);

  Reply adx = As(police_, "GET", year + "&format=adx");
  ASSERT_EQ(adx.status, 200) << Describe(adx);
  EXPECT_EQ(adx.Header("Content-Type"), "application/adx+xml");
  EXPECT_EQ(adx.body.rfind("<?xml", 0), 0u);
  EXPECT_NE(adx.body.find("urn:ihe:qrph:adx:2015"), std::string::npos);
  EXPECT_NE(adx.body.find("period=\"2022-01-01/P1Y\""), std::string::npos) << adx.body;

  // Since the beginning is not one DHIS2 period.
  Reply open = As(police_, "GET", std::string(kBokeo2022) + "&format=dhis2");
  EXPECT_EQ(open.status, 400);
  EXPECT_NE(open.body.find("dhis2_period"), std::string::npos) << Describe(open);
}

TEST_F(Issue5Exports, BadParametersAndPermissionAreRefused) {
  Reply format = As(police_, "GET", std::string(kBokeo2022) + "&format=pdf");
  EXPECT_EQ(format.status, 400);
  EXPECT_EQ(format.Json()["error"]["fields"][0]["path"], "format") << Describe(format);
  EXPECT_EQ(format.Json()["error"]["fields"][0]["rule"], "one_of");
  Reply table = As(police_, "GET", std::string(kBokeo2022) + "&format=csv&table=secrets");
  EXPECT_EQ(table.status, 400);
  EXPECT_EQ(table.Json()["error"]["fields"][0]["path"], "table") << Describe(table);
  Reply twice = As(police_, "GET", std::string(kBokeo2022) + "&format=csv&format=xlsx");
  EXPECT_EQ(twice.status, 400);
  Reply bad_date = As(police_, "GET", "/api/v1/reports/assistance?location=LA-BK&to=2022-13-01&format=csv");
  EXPECT_EQ(bad_date.status, 400);
  EXPECT_EQ(bad_date.Json()["error"]["fields"][0]["path"], "to") << Describe(bad_date);
  Reply denied = As(worker_, "GET", std::string(kBokeo2022) + "&format=csv");
  EXPECT_EQ(denied.status, 403) << Describe(denied);
}

TEST_F(Issue5Exports, EveryExportIsAuditedWithFiltersAndRowsNeverContents) {
  GenerateDemo();
  const std::size_t before = AuditRows(server().store()).size();
  Reply csv = As(police_, "GET", std::string(kBokeo2022) + "&format=csv");
  ASSERT_EQ(csv.status, 200);
  Reply denied = As(worker_, "GET", std::string(kBokeo2022) + "&format=xlsx");
  ASSERT_EQ(denied.status, 403);
  auto rows = AuditRows(server().store());
  std::vector<app::AuditRow> exports;
  for (std::size_t i = before; i < rows.size(); ++i) {
    if (rows[i].action == "export") exports.push_back(rows[i]);
  }
  ASSERT_EQ(exports.size(), 2u);
  EXPECT_EQ(exports[0].resource, "statistics");
  EXPECT_EQ(exports[0].outcome, "ok");
  const json ids = json::parse(exports[0].record_ids);
  const std::size_t data_rows = Rows(csv.body).size() - 1;
  EXPECT_EQ(ids, json::array({"report.assistance", "format.csv", "location.LA-BK", "to.2022-09-01",
                              "rows." + std::to_string(data_rows)}));
  EXPECT_EQ(exports[1].outcome, "denied");
  EXPECT_NE(exports[1].record_ids.find("format.xlsx"), std::string::npos);
}

TEST_F(Issue5Exports, CtdcMicrodataIsKAnonymousAndSuppressesRareValues) {
  GenerateDemo();
  AddRareVictims(3, "FR");
  // The truth, from a role with identity access: nationalities of fewer than
  // 11 persons exist, so anonymisation must hide them.
  Reply report = As(police_, "GET", kBokeo2022);
  ASSERT_EQ(report.status, 200);
  const json truth = report.Json();
  std::set<std::string> rare;
  for (const auto& row : truth["breakdowns"]["nationality"]) {
    if (row["persons"].is_number() && row["persons"].get<std::int64_t>() < 11) {
      rare.insert(row["key"].get<std::string>());
    }
  }
  ASSERT_TRUE(rare.contains("FR")) << "3 FR victims: a nationality of fewer than 11 persons";

  // Anonymised: the analyst gets it as a plain CSV.
  Reply csv = As(analyst_, "GET", "/api/v1/exports/ctdc-microdata?location=LA-BK&to=2022-09-01");
  ASSERT_EQ(csv.status, 200) << Describe(csv);
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  const auto rows = Rows(csv.body);
  ASSERT_GT(rows.size(), 100u);
  const std::vector<std::string>& header = rows[0];
  EXPECT_EQ(header.size(), 63u);
  EXPECT_EQ(header[0], "yearOfRegistration");
  const std::vector<std::string> qi = {"yearOfRegistration", "gender",      "ageBroad",
                                       "majorityStatus",     "citizenship", "CountryOfExploitation"};
  std::vector<std::size_t> cols;
  for (const auto& q : qi) {
    const auto at = static_cast<std::size_t>(std::find(header.begin(), header.end(), q) - header.begin());
    ASSERT_LT(at, header.size()) << q;
    cols.push_back(at);
  }
  std::map<std::vector<std::string>, int> groups;
  std::size_t suppressed = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), header.size());
    std::vector<std::string> key;
    for (auto c : cols) {
      key.push_back(rows[i][c]);
      suppressed += rows[i][c] == "-99";
    }
    EXPECT_EQ(rare.count(rows[i][cols[4]]), 0u) << "a nationality of fewer than 11 persons is published";
    ++groups[key];
  }
  for (const auto& [key, n] : groups) EXPECT_GE(n, 11) << json(key).dump();
  EXPECT_GT(suppressed, 0u);
  EXPECT_LE(rows.size() - 1, 1258u);
  // No name or identifier column.
  EXPECT_EQ(csv.body.find("prs_"), std::string::npos);

  Reply xlsx = As(analyst_, "GET", "/api/v1/exports/ctdc-microdata?location=LA-BK&to=2022-09-01&format=xlsx");
  ASSERT_EQ(xlsx.status, 200) << Describe(xlsx);
  EXPECT_EQ(xlsx.body.substr(0, 2), "PK");
  Reply hxl = As(analyst_, "GET", "/api/v1/exports/ctdc-microdata?location=LA-BK&to=2022-09-01&format=hxl");
  EXPECT_EQ(hxl.status, 400) << Describe(hxl);
  Reply denied = As(worker_, "GET", "/api/v1/exports/ctdc-microdata?location=LA-BK&to=2022-09-01");
  EXPECT_EQ(denied.status, 403) << Describe(denied);
}

TEST_F(Issue5Exports, HtcdsCaseExportIsAnEncryptedArchiveOfTheCasesInScope) {
  const World w = MakeWorld();  // a case of BK-DMC-TPH
  const std::string other = CreateId("persons", SmallPerson("Outside Scope"));
  CreateId("cases", CaseBody(other, AgencyId("BK-PPD")));
  // The built-in data officer exports its agency's cases; the role requires a
  // second factor (domain/access.hpp), so the session has one.
  server().AddUser("exporter", "BK-DMC-TPH", "data_officer");
  auto enrolment = server().auth().EnrolTotpForUser("exporter");
  ASSERT_TRUE(enrolment.ok()) << enrolment.status().ToString();
  const Session exporter =
      server().SignIn("exporter", TestServer::kPassword, server().TotpNow(enrolment->secret_base32));
  const std::string url = "/api/v1/exports/htcds-cases";

  Reply short_pw = As(exporter, "POST", url, {{"password", "elevenchars"}});
  ASSERT_EQ(short_pw.status, 400) << Describe(short_pw);
  EXPECT_EQ(short_pw.Json()["error"]["fields"][0]["path"], "password");
  EXPECT_EQ(short_pw.Json()["error"]["fields"][0]["rule"], "min_length");
  Reply none = As(exporter, "POST", url, json::object());
  ASSERT_EQ(none.status, 400);
  EXPECT_EQ(none.Json()["error"]["fields"][0]["rule"], "required");

  const std::size_t before = AuditRows(server().store()).size();
  const std::string password = "a long enough passphrase";
  Reply zip = As(exporter, "POST", url, {{"password", password}});
  ASSERT_EQ(zip.status, 200) << Describe(zip);
  EXPECT_EQ(zip.Header("Content-Type"), "application/zip");
  EXPECT_EQ(zip.Header("Content-Disposition"), "attachment; filename=\"ctims-htcds-cases.zip\"");
  for (const char* secret : {"ມະນີວອນ", "ສີສຸວັນ", "2001-03-14", "prs_FirstName"}) {
    EXPECT_EQ(zip.body.find(secret), std::string::npos) << "plaintext in the archive: " << secret;
  }
  auto files = exports::ReadEncryptedZip(zip.body, password);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].name, "htcds-cases.json");
  EXPECT_EQ((*files)[1].name, "htcds-cases.xlsx");
  EXPECT_EQ((*files)[1].bytes.substr(0, 2), "PK");
  const json htcds = json::parse((*files)[0].bytes);
  ASSERT_EQ(htcds["cases"].size(), 1u) << "only the cases the exporter may list";
  EXPECT_EQ(htcds["cases"][0]["id"], w.case_id);
  EXPECT_EQ(htcds["cases"][0]["vic_TypeOfExploitation"], json::array({"ForcedLabour"}));
  ASSERT_EQ(htcds["persons"].size(), 1u);
  EXPECT_EQ(htcds["persons"][0]["prs_FirstName"], "ມະນີວອນ");
  EXPECT_FALSE(exports::ReadEncryptedZip(zip.body, "a long enough passphrasf").ok());

  auto rows = AuditRows(server().store());
  bool audited = false;
  for (std::size_t i = before; i < rows.size(); ++i) {
    if (rows[i].action != "export") continue;
    audited = true;
    EXPECT_EQ(rows[i].resource, "cases");
    EXPECT_EQ(rows[i].outcome, "ok");
    EXPECT_EQ(json::parse(rows[i].record_ids), json::array({"format.htcds-zip", "rows.1"}));
  }
  EXPECT_TRUE(audited);

  // Roles without the permission, or without identity access, get nothing.
  EXPECT_EQ(As(analyst_, "POST", url, {{"password", password}}).status, 403);
  EXPECT_EQ(As(police_, "POST", url, {{"password", password}}).status, 403);
}

}  // namespace
}  // namespace ctims::api_test
