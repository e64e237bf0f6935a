// Issue 5 §6: the assistance and SDG 16.2.2 reports from the in-memory
// report facts (app/report_facts.hpp) must be byte for byte what the in-app
// path and the SQL path (issue 9 §4) give, on the demo caseload, for every
// period and role the issue 9 suite covers, and must stay so across writes:
// through the HTTP API, through a workflow step's store write, and through a
// second server (a second store) on the same database. Runs on SQLite and
// again ("pg." prefix) on PostgreSQL.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "app/record_service.hpp"
#include "domain/schema.hpp"
#include "report_test_util.hpp"
#include "storage/postgres/postgres_store.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace ctims::api_test {
namespace {

class Issue5ReportFacts : public ReportApiTest {
 protected:
  // A store write as a workflow step makes it (app/record_service_workflow.cpp
  // WriteInTx): the record with a new version and its history entry.
  void StoreWrite(const char* resource, const std::string& id, const json& members) {
    const auto* spec = domain::FindResource(resource);
    const app::TableDef table = app::TableFor(*spec);
    auto tx = server().store().Begin(app::TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    auto r = (*tx)->Get(table, id);
    ASSERT_TRUE(r.ok() && r->has_value());
    app::StoredRecord rec = **r;
    json body = json::parse(rec.body);
    for (const auto& [k, v] : members.items()) {
      bool column = false;
      for (std::size_t i = 0; i < table.columns.size(); ++i) {
        if (table.columns[i] == k) {
          rec.columns[i] = v.get<std::string>();
          column = true;
        }
      }
      if (!column) body[k] = v;
    }
    rec.body = body.dump();
    const std::int64_t old = rec.version;
    rec.version = old + 1;
    ASSERT_TRUE((*tx)->Update(table, rec, old).ok());
    ASSERT_TRUE((*tx)
                    ->AppendHistory(
                        {0, resource, id, rec.version, "update", "test", "2026-01-01T00:00:00.000Z", "[]", rec.access})
                    .ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }

  // The first record of `resource` whose column `column` is `value`.
  std::string FirstWith(const char* resource, const char* column, const std::string& value) {
    const app::TableDef table = app::TableFor(*domain::FindResource(resource));
    auto tx = server().store().Begin(app::TxMode::kRead);
    EXPECT_TRUE(tx.ok());
    app::ListQuery q;
    q.limit = 1;
    q.filters.push_back({app::Filter::Kind::kColumn, column, value});
    if (table.personal) {
      app::AccessFilter f;
      f.kind = app::AccessFilter::Kind::kAll;
      f.include_protected = true;
      q.access = f;
    }
    auto rows = (*tx)->List(table, q);
    EXPECT_TRUE(rows.ok() && !rows->empty()) << resource;
    return rows.ok() && !rows->empty() ? rows->front().id : std::string();
  }
};

TEST_F(Issue5ReportFacts, FactsEqualTheInAppAndSqlPathsOnTheDemoCaseload) {
  GenerateDemo();
  app::ReportFacts facts(server().store(), &server().cipher());
  app::ReportService from_facts = Service(true, &facts);
  app::ReportService in_app = Service(false);
  app::ReportService in_db = Service(true);
  ExpectSameReports(from_facts, in_app, "facts vs in-app");
  ExpectSameReports(from_facts, in_db, "facts vs SQL");
  // The facts answered (they did not decline to the SQL path), built once.
  const auto st = facts.stats();
  EXPECT_TRUE(st.exact);
  EXPECT_EQ(st.rebuilds, 1);
  EXPECT_GT(st.persons, 1255u);

  // The figures of the Bokeo report (issue 5 §4) from the facts.
  auto bokeo = from_facts.Assistance({{{"location", "LA-BK"}, {"to", "2022-09-01"}}}, As("police_investigator"));
  ASSERT_TRUE(bokeo.ok());
  EXPECT_EQ((*bokeo)["lead_agency"]["total"]["persons"], 1255);
  EXPECT_EQ((*bokeo)["lead_agency"]["total"]["women"], 493);
  EXPECT_EQ((*bokeo)["resolved_by_police"]["persons"], 248);
  std::map<std::string, std::pair<int, int>> types;
  for (const auto& t : (*bokeo)["lead_agency"]["agency_types"]) {
    types[t["type"].get<std::string>()] = {t["persons"].get<int>(), t["nationalities"].get<int>()};
  }
  EXPECT_EQ(types["DistrictManagementCommittee"], std::make_pair(869, 13));
}

TEST_F(Issue5ReportFacts, FactsFollowWritesThroughTheApiAStoreWriteAndASecondServer) {
  GenerateDemo();
  app::ReportFacts facts(server().store(), &server().cipher());
  app::ReportService from_facts = Service(true, &facts);
  app::ReportService in_app = Service(false);
  const std::vector<ReportParams> periods = {ReportPeriods()[0], ReportPeriods()[2], ReportPeriods()[5]};
  ExpectSameReports(from_facts, in_app, "before", periods);
  const auto bk = app::ReportRequest{ReportPeriods()[0]};
  auto before = from_facts.Assistance(bk, As("police_investigator"));
  ASSERT_TRUE(before.ok());

  // A new person, case and assistance through the API, inside the period.
  const std::string agency = AgencyId("BK-DMC-TPH");
  json person = PersonBody();
  person["prs_Birthdate"] = "2008-02-29";
  const std::string person_id = CreateId("persons", person);
  json case_body = CaseBody(person_id, agency);
  case_body["cas_OpenedOn"] = "2022-05-10";
  case_body["vic_TypeOfExploitation"] = {"SexualExploitation", "ForcedLabour"};
  const json created_case = Create("cases", case_body);
  const std::string case_id = created_case["id"].get<std::string>();
  const json assistance = Create("assistance", {{"case_id", case_id},
                                                {"agency_id", agency},
                                                {"ast_Date", "2022-07-15"},
                                                {"ast_ServiceType", "Shelter"},
                                                {"spl_Type", "SocialCare"}});
  ExpectSameReports(from_facts, in_app, "after create", periods);
  auto after = from_facts.Assistance(bk, As("police_investigator"));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)["lead_agency"]["total"]["persons"].get<int>(),
            (*before)["lead_agency"]["total"]["persons"].get<int>() + 1);

  // Person edited (sex, citizenship), case edited (opening date, types).
  Reply p = Patch(Url("persons", person_id), {{"version", 1}, {"prs_Sex", "Male"}, {"prs_Citizenship", {"MM"}}});
  ASSERT_EQ(p.status, 200) << Describe(p);
  Reply c = Patch(Url("cases", case_id), {{"version", created_case["version"]},
                                          {"cas_OpenedOn", "2021-12-01"},
                                          {"vic_TypeOfExploitation", {"Surrogacy"}}});
  ASSERT_EQ(c.status, 200) << Describe(c);
  ExpectSameReports(from_facts, in_app, "after edits", periods);

  // Record deleted.
  Reply d = Delete(Url("assistance", assistance["id"].get<std::string>()) + "?version=1");
  ASSERT_TRUE(d.status == 204 || d.status == 200) << Describe(d);
  ExpectSameReports(from_facts, in_app, "after delete", periods);

  // Workflow steps as the store sees them: a transfer accepted after the
  // period (the case goes back to its sender), an investigation resolved.
  const std::string transfer = FirstWith("transfers", "trf_Status", "Accepted");
  if (!transfer.empty()) StoreWrite("transfers", transfer, {{"trf_AnsweredAt", "2022-10-02T08:00:00.000Z"}});
  const std::string inv = FirstWith("investigations", "inv_Status", "Resolved");
  if (!inv.empty()) StoreWrite("investigations", inv, {{"inv_ResolvedOn", "2022-05-20"}});
  const std::string reopened = FirstWith("investigations", "inv_Status", "Resolved");
  if (!reopened.empty()) StoreWrite("investigations", reopened, {{"inv_Status", "Investigating"}});
  ExpectSameReports(from_facts, in_app, "after workflow writes", periods);

  // A second server on the same database: its own store and record service.
  std::unique_ptr<app::Store> other;
  if (server().postgres()) {
    auto s = storage::postgres::OpenPostgresStore({.conninfo = testing_backends::PostgresConninfo(),
                                                   .schema = testing_backends::PostgresSchema(server().dir()),
                                                   .pool_size = 2});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    other = std::move(s).value();
  } else {
    auto s = storage::sqlite::OpenSqliteStore({.path = (server().dir() / "api.db").string()});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    other = std::move(s).value();
  }
  app::RecordServiceOptions options;
  options.cipher = &server().cipher();
  app::RecordService second(*other, domain::CodeLists::Builtin(), server().clock(), options);
  auto moved =
      second.Update(*domain::FindResource("persons"), person_id, {{"prs_Sex", "Female"}}, 2, app::SystemPrincipal());
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  auto second_case = second.Create(*domain::FindResource("cases"),
                                   {{"person_id", person_id},
                                    {"owner_agency_id", AgencyId("BK-FAD")},
                                    {"cas_OpenedOn", "2022-06-30"},
                                    {"vic_TypeOfExploitation", {"ForcedLabour"}}},
                                   app::SystemPrincipal());
  ASSERT_TRUE(second_case.ok()) << second_case.status().ToString();
  ExpectSameReports(from_facts, in_app, "after the second server's writes", periods);
  const auto st = facts.stats();
  EXPECT_TRUE(st.exact);
  EXPECT_EQ(st.rebuilds, 1) << "refreshed from history, not rebuilt";
  EXPECT_GT(st.records_reloaded, 0);
}

}  // namespace
}  // namespace ctims::api_test
