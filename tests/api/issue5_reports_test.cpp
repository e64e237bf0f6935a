// Issue 5 through the public HTTP API: the demo caseload reproduces the
// Bokeo police's 2022 assistance report, the SDG 16.2.2 and flow reports
// answer, and disclosure control holds against differencing.

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "app/demo_caseload.hpp"
#include "app/disclosure.hpp"
#include "test_server.hpp"

namespace ctims::api_test {
namespace {

constexpr const char* kBokeo2022 = "/api/v1/reports/assistance?location=LA-BK&to=2022-09-01";

class Issue5Reports : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    server().AddUser("police", "BK-PPD", "police_investigator");
    server().AddUser("analyst", "NCATIP-SEC", "analyst");
    server().AddUser("taskforce", "BK-PPD", "taskforce_member");
    server().AddUser("worker", "BK-DMC-TPH", "case_worker");
    police_ = server().SignIn("police");
    analyst_ = server().SignIn("analyst");
    taskforce_ = server().SignIn("taskforce");
    worker_ = server().SignIn("worker");
  }

  // The default demo caseload, written into the server's own database.
  void GenerateDemo(std::uint64_t seed = 1) {
    app::DemoOptions options;
    options.seed = seed;
    options.cipher = &server().cipher();
    options.audit = &server().audit();
    auto r = app::GenerateDemoCaseload(server().store(), options, app::SystemPrincipal());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->persons, app::kDefaultDemoPersons);
  }

  json Report(const Session& s, const std::string& path) {
    Reply r = As(s, "GET", path);
    EXPECT_EQ(r.status, 200) << Describe(r);
    return r.Json();
  }

  static const json& Row(const json& rows, const char* key, const std::string& value) {
    static const json kNone = json::object();
    for (const auto& row : rows) {
      if (row.value(key, "") == value) return row;
    }
    ADD_FAILURE() << "no row with " << key << " = " << value;
    return kNone;
  }

  static std::int64_t Sum(const json& rows, const char* member) {
    std::int64_t sum = 0;
    for (const auto& row : rows) sum += row[member].is_number() ? row[member].get<std::int64_t>() : 0;
    return sum;
  }

  Session police_, analyst_, taskforce_, worker_;
};

TEST_F(Issue5Reports, DemoCaseloadReproducesTheBokeoReportInTheLeadAgencyView) {
  GenerateDemo();
  const json report = Report(police_, kBokeo2022);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report["report"], "assistance");
  EXPECT_EQ(report["period"]["to"], "2022-09-01");
  EXPECT_TRUE(report["period"]["from"].is_null());
  EXPECT_EQ(report["disclosure_control"]["applied"], false);  // police read identities

  const json& lead = report["lead_agency"];
  EXPECT_EQ(lead["view"], "lead_agency");
  EXPECT_EQ(lead["total"]["persons"], 1255);
  EXPECT_EQ(lead["total"]["women"], 493);
  const json& dmc = Row(lead["agency_types"], "type", "DistrictManagementCommittee");
  EXPECT_EQ(dmc["persons"], 869);
  EXPECT_EQ(dmc["nationalities"], 13);
  const json& fad = Row(lead["agencies"], "code", "BK-FAD");
  EXPECT_EQ(fad["persons"], 138);
  EXPECT_EQ(fad["nationalities"], 8);
  const json& ppd = Row(lead["agencies"], "code", "BK-PPD");
  EXPECT_EQ(ppd["persons"], 248);
  EXPECT_EQ(ppd["resolved"], 248);
  EXPECT_EQ(ppd["nationalities"], 8);
  EXPECT_EQ(report["resolved_by_police"]["persons"], 248);
  EXPECT_EQ(report["resolved_by_police"]["nationalities"], 8);

  // Types and agencies partition the total; the five DMCs make up their type.
  EXPECT_EQ(Sum(lead["agency_types"], "persons"), 1255);
  EXPECT_EQ(Sum(lead["agencies"], "persons"), 1255);
  std::int64_t dmcs = 0;
  for (const auto& a : lead["agencies"]) {
    if (a["type"] == "DistrictManagementCommittee") {
      dmcs += a["persons"].get<std::int64_t>();
    }
  }
  EXPECT_EQ(dmcs, 869);
  // Only agencies in Bokeo: the ministry's department (Vientiane) is not in it.
  for (const auto& a : lead["agencies"]) {
    EXPECT_NE(a["code"], "MPS-ATD");
  }

  // Assisted-by view: the referrals between agencies come on top.
  const json& ab = report["assisted_by"];
  EXPECT_EQ(ab["view"], "assisted_by");
  const json& shelter = Row(ab["agencies"], "code", "BK-LWU-SHELTER");
  EXPECT_GT(shelter["persons"].get<std::int64_t>(), 0);
  EXPECT_EQ(Row(lead["agencies"], "code", "BK-LWU-SHELTER")["persons"], 0);
  EXPECT_GT(Row(ab["agencies"], "code", "BK-FAD")["persons"].get<std::int64_t>(), 138);
  EXPECT_GT(Sum(ab["agencies"], "persons"), ab["total"]["persons"].get<std::int64_t>());
  EXPECT_GE(ab["total"]["persons"].get<std::int64_t>(), 1255);

  // Every breakdown of the lead-agency view adds up to its total.
  for (const char* dim : {"nationality", "sex", "age_band", "exploitation_form", "trafficking_status", "district"}) {
    SCOPED_TRACE(dim);
    EXPECT_EQ(Sum(report["breakdowns"][dim], "persons"), 1255);
  }
  EXPECT_EQ(Row(report["breakdowns"]["sex"], "key", "Female")["persons"], 493);
  EXPECT_EQ(report["breakdowns"]["nationality"].size(), 13u);  // the DMCs' 13 cover the others' here
  EXPECT_EQ(Sum(report["monthly"]["items"], "new_persons"), 1255);
  EXPECT_GT(Row(report["breakdowns"]["exploitation_type"], "key", "Surrogacy")["persons"].get<std::int64_t>(), 0);
  EXPECT_GT(Row(report["breakdowns"]["age_band"], "key", "9--17")["persons"].get<std::int64_t>(), 0);

  // The rest of 2022 (the caseload runs to December) counts more people.
  const json year = Report(police_, "/api/v1/reports/assistance?location=LA-BK&from=2022-01-01&to=2023-01-01");
  EXPECT_GT(year["lead_agency"]["total"]["persons"].get<std::int64_t>(), 1255);
  // A period inside it counts fewer.
  const json spring = Report(police_, "/api/v1/reports/assistance?location=LA-BK&from=2022-03-01&to=2022-06-01");
  EXPECT_LT(spring["lead_agency"]["total"]["persons"].get<std::int64_t>(), 1255);
  EXPECT_GT(spring["lead_agency"]["total"]["persons"].get<std::int64_t>(), 0);
}

TEST_F(Issue5Reports, TheHeadlineFiguresHoldForEverySeedAndTheGeneratorIsDeterministic) {
  GenerateDemo(/*seed=*/7);
  const json a = Report(police_, kBokeo2022);
  EXPECT_EQ(a["lead_agency"]["total"]["persons"], 1255);
  EXPECT_EQ(a["lead_agency"]["total"]["women"], 493);
  EXPECT_EQ(Row(a["lead_agency"]["agency_types"], "type", "DistrictManagementCommittee")["nationalities"], 13);

  // A second database from the same seed gives the same report, cell for
  // cell (agency ids aside: the reference data gets fresh ids).
  const auto dir = server().dir() / "second";
  std::filesystem::create_directories(dir);
  auto store = storage::sqlite::OpenSqliteStore({.path = (dir / "second.db").string()});
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Migrate().ok());
  app::RecordServiceOptions record_options;
  record_options.cipher = &server().cipher();
  app::RecordService service(**store, domain::CodeLists::Builtin(), server().clock(), record_options);
  ASSERT_TRUE(app::LoadReferenceData(service, app::SystemPrincipal()).ok());
  app::DemoOptions options;
  options.seed = 7;
  options.cipher = &server().cipher();
  ASSERT_TRUE(app::GenerateDemoCaseload(**store, options, app::SystemPrincipal()).ok());
  app::ReportServiceOptions report_options;
  report_options.cipher = &server().cipher();
  app::ReportService reports(**store, server().clock(), report_options);
  app::ReportRequest request;
  request.params = {{"location", "LA-BK"}, {"to", "2022-09-01"}};
  auto b = reports.Assistance(request, app::SystemPrincipal());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  std::function<void(json&)> strip = [&](json& j) {
    if (j.is_object()) {
      j.erase("agency_id");
      for (auto& [k, v] : j.items()) strip(v);
    } else if (j.is_array()) {
      for (auto& v : j) strip(v);
    }
  };
  json left = a;
  json right = *b;
  strip(left);
  strip(right);
  EXPECT_EQ(left, right);
  // Generating again into a database that has cases is refused.
  auto again = app::GenerateDemoCaseload(**store, options, app::SystemPrincipal());
  EXPECT_EQ(again.status().code(), core::StatusCode::kConflict);
}

// Reads a published table into a CellTable (suppressed = null) with the
// additive relations a reader can see, and runs the differencing attack.
struct Published {
  app::CellTable table;
  std::vector<std::int64_t> truth;  // the unsuppressed values (from a role with identity access)

  std::size_t Add(const json& published, const json& truth_value) {
    const std::size_t i = table.Add(published.is_number() ? published.get<std::int64_t>() : 0);
    table.suppressed[i] = published.is_null();
    truth.push_back(truth_value.get<std::int64_t>());
    return i;
  }
};

TEST_F(Issue5Reports, SuppressedCellsCannotBeRecoveredFromPublishedTotals) {
  GenerateDemo();
  const std::string sdg_path = "/api/v1/reports/sdg-16-2-2?location=LA-BK&to=2022-09-01";
  const json open = Report(police_, sdg_path);
  const json hidden = Report(analyst_, sdg_path);
  ASSERT_TRUE(hidden.is_object());
  EXPECT_EQ(hidden["disclosure_control"]["applied"], true);
  EXPECT_EQ(hidden["disclosure_control"]["min_cell"], 5);
  EXPECT_GT(hidden["disclosure_control"]["suppressed_cells"].get<std::int64_t>(), 0);
  EXPECT_EQ(open["total"], 1255);

  // Primary suppression: no published count is 1..4, and every true 1..4 is
  // hidden; published counts are the true ones.
  Published p;
  std::map<std::string, std::size_t> cell;  // "sex|age|form" -> index
  int small_true = 0;
  for (std::size_t i = 0; i < hidden["cells"].size(); ++i) {
    const json& h = hidden["cells"][i];
    const json& o = open["cells"][i];
    ASSERT_EQ(h["sex"], o["sex"]);
    const std::int64_t t = o["persons"].get<std::int64_t>();
    if (h["persons"].is_number()) {
      EXPECT_EQ(h["persons"], t);
      EXPECT_TRUE(t == 0 || t >= 5) << h.dump();
    } else {
      EXPECT_TRUE(h["suppressed"].get<bool>());
    }
    if (t >= 1 && t < 5) {
      ++small_true;
      EXPECT_TRUE(h["persons"].is_null()) << h.dump();
    }
    cell[h["sex"].get<std::string>() + "|" + h["age_group"].get<std::string>() + "|" + h["form"].get<std::string>()] =
        p.Add(h["persons"], o["persons"]);
  }
  EXPECT_GT(small_true, 0) << "the demo caseload should have small cells to protect";

  // The margins a reader sees, as relations.
  std::map<std::string, std::size_t> sa, by_sex, by_age, by_form;
  for (std::size_t i = 0; i < hidden["by_sex_and_age_group"].size(); ++i) {
    const json& h = hidden["by_sex_and_age_group"][i];
    sa[h["sex"].get<std::string>() + "|" + h["age_group"].get<std::string>()] =
        p.Add(h["persons"], open["by_sex_and_age_group"][i]["persons"]);
  }
  for (std::size_t i = 0; i < hidden["by_sex"].size(); ++i) {
    by_sex[hidden["by_sex"][i]["sex"]] = p.Add(hidden["by_sex"][i]["persons"], open["by_sex"][i]["persons"]);
  }
  for (std::size_t i = 0; i < hidden["by_age_group"].size(); ++i) {
    by_age[hidden["by_age_group"][i]["age_group"]] =
        p.Add(hidden["by_age_group"][i]["persons"], open["by_age_group"][i]["persons"]);
  }
  for (std::size_t i = 0; i < hidden["by_form"].size(); ++i) {
    by_form[hidden["by_form"][i]["form"]] = p.Add(hidden["by_form"][i]["persons"], open["by_form"][i]["persons"]);
  }
  const std::size_t total = p.Add(hidden["total"], open["total"]);
  const std::vector<std::string> sexes = {"Female", "Male", "Other"};
  const std::vector<std::string> ages = {"Child", "Adult", "Unknown"};
  const std::vector<std::string> forms = {"SexualExploitation", "ForcedLabour", "Other", "Unknown"};
  std::vector<std::size_t> all_sex, all_age, all_form;
  for (const auto& s : sexes) {
    std::vector<std::size_t> row;
    for (const auto& a : ages) {
      std::vector<std::size_t> parts;
      for (const auto& f : forms) parts.push_back(cell.at(s + "|" + a + "|" + f));
      p.table.Relate(sa.at(s + "|" + a), parts);
      row.push_back(sa.at(s + "|" + a));
    }
    p.table.Relate(by_sex.at(s), row);
    all_sex.push_back(by_sex.at(s));
  }
  for (const auto& a : ages) {
    std::vector<std::size_t> col;
    for (const auto& s : sexes) col.push_back(sa.at(s + "|" + a));
    p.table.Relate(by_age.at(a), col);
    all_age.push_back(by_age.at(a));
  }
  for (const auto& f : forms) {
    std::vector<std::size_t> parts;
    for (const auto& s : sexes) {
      for (const auto& a : ages) parts.push_back(cell.at(s + "|" + a + "|" + f));
    }
    p.table.Relate(by_form.at(f), parts);
    all_form.push_back(by_form.at(f));
  }
  p.table.Relate(total, all_sex);
  p.table.Relate(total, all_age);
  p.table.Relate(total, all_form);
  // The relations really hold on the true values (so the attack is sound).
  for (const auto& rel : p.table.relations) {
    std::int64_t sum = 0;
    for (std::size_t i : rel.parts) sum += p.truth[i];
    EXPECT_EQ(sum, p.truth[rel.total]);
  }
  EXPECT_TRUE(app::RecoverableCells(p.table).empty()) << "differencing recovers a suppressed SDG cell";

  // The same attack on the assistance report of one week (small counts):
  // breakdowns and months against the published total, agencies against
  // their type, types against it.
  const std::string week = "/api/v1/reports/assistance?location=LA-BK&from=2022-08-22&to=2022-09-01";
  const json a_open = Report(police_, week);
  const json a_hidden = Report(taskforce_, week);
  EXPECT_EQ(a_hidden["disclosure_control"]["applied"], true);
  EXPECT_EQ(Report(taskforce_, kBokeo2022)["lead_agency"]["total"]["persons"], 1255);  // large figures are published
  Published q;
  const std::size_t q_total =
      q.Add(a_hidden["lead_agency"]["total"]["persons"], a_open["lead_agency"]["total"]["persons"]);
  int suppressed = 0;
  for (const char* dim : {"nationality", "sex", "age_band", "exploitation_form", "trafficking_status", "district"}) {
    std::vector<std::size_t> parts;
    const json& rows = a_hidden["breakdowns"][dim];
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::int64_t t = a_open["breakdowns"][dim][i]["persons"].get<std::int64_t>();
      if (t >= 1 && t < 5) {
        EXPECT_TRUE(rows[i]["persons"].is_null()) << dim << " " << rows[i].dump();
      }
      suppressed += rows[i]["persons"].is_null() ? 1 : 0;
      parts.push_back(q.Add(rows[i]["persons"], a_open["breakdowns"][dim][i]["persons"]));
    }
    q.table.Relate(q_total, parts);
  }
  {
    std::vector<std::size_t> parts;
    const json& rows = a_hidden["monthly"]["items"];
    for (std::size_t i = 0; i < rows.size(); ++i) {
      parts.push_back(q.Add(rows[i]["new_persons"], a_open["monthly"]["items"][i]["new_persons"]));
    }
    q.table.Relate(q_total, parts);
  }
  std::map<std::string, std::size_t> type_cell;
  std::vector<std::size_t> types;
  for (std::size_t i = 0; i < a_hidden["lead_agency"]["agency_types"].size(); ++i) {
    const json& row = a_hidden["lead_agency"]["agency_types"][i];
    type_cell[row["type"]] = q.Add(row["persons"], a_open["lead_agency"]["agency_types"][i]["persons"]);
    types.push_back(type_cell[row["type"]]);
  }
  q.table.Relate(q_total, types);
  std::map<std::string, std::vector<std::size_t>> members;
  for (std::size_t i = 0; i < a_hidden["lead_agency"]["agencies"].size(); ++i) {
    const json& row = a_hidden["lead_agency"]["agencies"][i];
    members[row["type"]].push_back(q.Add(row["persons"], a_open["lead_agency"]["agencies"][i]["persons"]));
  }
  for (const auto& [type, parts] : members) q.table.Relate(type_cell.at(type), parts);
  EXPECT_GT(suppressed, 0) << "the demo caseload's breakdowns should have small cells";
  EXPECT_TRUE(app::RecoverableCells(q.table).empty()) << "differencing recovers a suppressed assistance cell";
}

TEST_F(Issue5Reports, FlowCountsFollowTheReferralMechanism) {
  GenerateDemo();
  const json flows = Report(police_, "/api/v1/reports/flows?location=LA-BK&to=2022-09-01");
  ASSERT_TRUE(flows.is_object());
  const json& total = flows["referrals"]["total"];
  EXPECT_GT(total["sent"].get<std::int64_t>(), 0);
  EXPECT_EQ(total["sent"].get<std::int64_t>(),
            total["accepted"].get<std::int64_t>() + total["declined"].get<std::int64_t>() +
                total["revoked"].get<std::int64_t>() + total["pending"].get<std::int64_t>());
  EXPECT_GT(total["overdue"].get<std::int64_t>(), 0);
  bool to_shelter = false;
  for (const auto& row : flows["referrals"]["items"]) to_shelter = to_shelter || row["to_agency"] == "BK-LWU-SHELTER";
  EXPECT_TRUE(to_shelter);
  EXPECT_GT(flows["repatriations"]["total"].get<std::int64_t>(), 0);
  EXPECT_EQ(Sum(flows["repatriations"]["items"], "total"), flows["repatriations"]["total"].get<std::int64_t>());
  bool resolved = false;
  for (const auto& row : flows["investigations"]["items"]) resolved = resolved || row["state"] == "Resolved";
  EXPECT_TRUE(resolved);
}

TEST_F(Issue5Reports, ReportsAreAuthorisedValidatedAndAudited) {
  // A case worker has no statistics permission.
  Reply r = As(worker_, "GET", kBokeo2022);
  EXPECT_EQ(r.status, 403) << Describe(r);
  // Bad parameters are 400 with the field and rule named.
  struct Bad {
    std::string query;
    std::string field;
    std::string rule;
  };
  for (const Bad& bad : std::vector<Bad>{{"to=2022-09-01", "location", "required"},
                                         {"location=LA-BK&from=2022-02-30", "from", "date"},
                                         {"location=LA-BK&from=2022-09-01&to=2022-01-01", "to", "date_order"},
                                         {"location=XX-NOWHERE&to=2022-09-01", "location", "unknown"},
                                         {"location=LA-BK&name=Somphone", "name", "unknown_parameter"}}) {
    SCOPED_TRACE(bad.query);
    Reply b = As(police_, "GET", "/api/v1/reports/assistance?" + bad.query);
    ASSERT_EQ(b.status, 400) << Describe(b);
    const json fields = b.Json()["error"]["fields"];
    ASSERT_FALSE(fields.empty());
    EXPECT_EQ(fields[0]["path"], bad.field);
    EXPECT_EQ(fields[0]["rule"], bad.rule);
  }
  // One audit event per request, refusals too, with no record ids.
  auto tx = server().store().Begin(app::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto rows = (*tx)->ReadAudit(0, 100000);
  ASSERT_TRUE(rows.ok());
  int ok = 0, denied = 0, invalid = 0;
  for (const auto& row : *rows) {
    if (row.action != "report") continue;
    EXPECT_EQ(row.resource, "statistics");
    EXPECT_EQ(row.record_ids, "[]");
    ok += row.outcome == "ok" ? 1 : 0;
    denied += row.outcome == "denied" ? 1 : 0;
    invalid += row.outcome == "invalid" ? 1 : 0;
  }
  EXPECT_EQ(denied, 1);
  EXPECT_EQ(invalid, 5);
  EXPECT_EQ(ok, 0);
  Report(analyst_, kBokeo2022);
  auto tx2 = server().store().Begin(app::TxMode::kRead);
  ASSERT_TRUE(tx2.ok());
  auto after = (*tx2)->ReadAudit(0, 100000);
  ASSERT_TRUE(after.ok());
  ASSERT_FALSE(after->empty());
  EXPECT_EQ(after->back().action, "report");
  EXPECT_EQ(after->back().outcome, "ok");
}

}  // namespace
}  // namespace ctims::api_test
