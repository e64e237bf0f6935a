// Issue 9 §4: the assistance and SDG 16.2.2 reports take their rows from the
// database's report queries (app/report_store.hpp: joins, period filters and
// DISTINCTs in SQL). On the demo caseload they must give exactly what the
// in-app path gives (every table read and counted in the app), byte for
// byte, for roles with and without disclosure control and for periods that
// cut through transfers, assistance and resolved investigations. Runs on
// SQLite and again ("pg." prefix) on PostgreSQL.

#include <string>
#include <utility>
#include <vector>

#include "app/demo_caseload.hpp"
#include "app/report_service.hpp"
#include "app/report_store.hpp"
#include "domain/access.hpp"
#include "test_server.hpp"

namespace ctims::api_test {
namespace {

class Issue9ReportSql : public ApiTest {
 protected:
  void GenerateDemo() {
    app::DemoOptions options;
    options.seed = 1;
    options.cipher = &server().cipher();
    options.audit = &server().audit();
    auto r = app::GenerateDemoCaseload(server().store(), options, app::SystemPrincipal());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  app::ReportService Service(bool in_database) {
    app::ReportServiceOptions options;
    options.cipher = &server().cipher();
    options.aggregate_in_database = in_database;
    return app::ReportService(server().store(), server().clock(), options);
  }

  static app::Principal As(const char* role) {
    app::Principal p;
    p.user_id = "u1";
    p.role = *domain::FindBuiltinRole(role);
    return p;
  }
};

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

  const std::vector<std::vector<std::pair<std::string, std::string>>> periods = {
      {{"location", "LA-BK"}, {"to", "2022-09-01"}},
      {{"location", "LA-BK"}, {"from", "2022-01-01"}, {"to", "2022-09-01"}},
      {{"location", "LA-BK"}, {"from", "2022-03-01"}, {"to", "2022-06-01"}},
      {{"location", "LA-BK"}, {"from", "2022-07-15"}, {"to", "2022-07-16"}},
      {{"location", "LA-BK"}, {"to", "2022-04-01"}},
      {{"location", "LA-BK"}, {"to", "2023-01-01"}},
      {{"location", "LA-BK-01"}, {"to", "2022-09-01"}},
  };
  for (const char* role : {"police_investigator", "analyst"}) {
    const app::Principal who = As(role);
    for (const auto& params : periods) {
      const app::ReportRequest request{params};
      SCOPED_TRACE(std::string(role) + " " + params.back().second + " " + params.front().second);
      auto a = in_db.Assistance(request, who);
      auto b = in_app.Assistance(request, who);
      ASSERT_TRUE(a.ok()) << a.status().ToString();
      ASSERT_TRUE(b.ok()) << b.status().ToString();
      EXPECT_EQ(a->dump(), b->dump());
      EXPECT_EQ(app::FormatAssistanceReport(*a), app::FormatAssistanceReport(*b));
      auto s = in_db.Sdg(request, who);
      auto t = in_app.Sdg(request, who);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      ASSERT_TRUE(t.ok()) << t.status().ToString();
      EXPECT_EQ(s->dump(), t->dump());
    }
  }

  // And the figures of the Bokeo report (issue 5 §4) from the database path.
  auto bokeo = in_db.Assistance({{{"location", "LA-BK"}, {"to", "2022-09-01"}}}, As("police_investigator"));
  ASSERT_TRUE(bokeo.ok());
  EXPECT_EQ((*bokeo)["lead_agency"]["total"]["persons"], 1255);
  EXPECT_EQ((*bokeo)["lead_agency"]["total"]["women"], 493);
  EXPECT_EQ((*bokeo)["resolved_by_police"]["persons"], 248);
}

}  // namespace
}  // namespace ctims::api_test
