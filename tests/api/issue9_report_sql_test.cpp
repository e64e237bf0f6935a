// Issue 9 §4: the assistance and SDG 16.2.2 reports take their rows from the
// database's report queries (app/report_store.hpp: joins, period filters and
// DISTINCTs in SQL). On the demo caseload they must give exactly what the
// in-app path gives (every table read and counted in the app), byte for
// byte, for roles with and without disclosure control and for periods that
// cut through transfers, assistance and resolved investigations. Runs on
// SQLite and again ("pg." prefix) on PostgreSQL.

#include "app/report_store.hpp"
#include "report_test_util.hpp"

namespace ctims::api_test {
namespace {

class Issue9ReportSql : public ReportApiTest {};

TEST_F(Issue9ReportSql, ReportsFromTheDatabaseEqualTheInAppCountsOnTheDemoCaseload) {
  GenerateDemo();
  {
    // Otherwise the comparison below would compare the in-app path with itself.
    auto tx = server().store().Begin(app::TxMode::kRead);
    ASSERT_TRUE(tx.ok());
    ASSERT_NE(app::AsReportQueries(**tx), nullptr) << server().store().BackendName();
  }
  app::ReportService in_db = Service(true);
  app::ReportService in_app = Service(false);

  ExpectSameReports(in_db, in_app, "SQL vs in-app");

  // And the figures of the Bokeo report (issue 5 §4) from the database path.
  auto bokeo = in_db.Assistance({{{"location", "LA-BK"}, {"to", "2022-09-01"}}}, As("police_investigator"));
  ASSERT_TRUE(bokeo.ok());
  EXPECT_EQ((*bokeo)["lead_agency"]["total"]["persons"], 1255);
  EXPECT_EQ((*bokeo)["lead_agency"]["total"]["women"], 493);
  EXPECT_EQ((*bokeo)["resolved_by_police"]["persons"], 248);
}

}  // namespace
}  // namespace ctims::api_test
