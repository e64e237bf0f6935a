#pragma once

// What the report suites share (issue 9 §4's SQL path, issue 5 §6's report
// facts): the demo caseload, a ReportService on the fixture's store with the
// path under test, and the comparison of two services over every period and
// role those suites cover, report by report, byte for byte.

#include <string>
#include <utility>
#include <vector>

#include "app/demo_caseload.hpp"
#include "app/report_facts.hpp"
#include "app/report_service.hpp"
#include "domain/access.hpp"
#include "test_server.hpp"

namespace ctims::api_test {

using ReportParams = std::vector<std::pair<std::string, std::string>>;

// Periods cutting through transfers, assistance and resolved investigations
// of the demo caseload (seed 1), and one district.
inline const std::vector<ReportParams>& ReportPeriods() {
  static const std::vector<ReportParams> kPeriods = {
      {{"location", "LA-BK"}, {"to", "2022-09-01"}},
      {{"location", "LA-BK"}, {"from", "2022-01-01"}, {"to", "2022-09-01"}},
      {{"location", "LA-BK"}, {"from", "2022-03-01"}, {"to", "2022-06-01"}},
      {{"location", "LA-BK"}, {"from", "2022-07-15"}, {"to", "2022-07-16"}},
      {{"location", "LA-BK"}, {"to", "2022-04-01"}},
      {{"location", "LA-BK"}, {"to", "2023-01-01"}},
      {{"location", "LA-BK-01"}, {"to", "2022-09-01"}},
  };
  return kPeriods;
}

class ReportApiTest : public ApiTest {
 protected:
  // The demo caseload (seed 1) in the fixture's store.
  void GenerateDemo() {
    app::DemoOptions options;
    options.seed = 1;
    options.cipher = &server().cipher();
    options.audit = &server().audit();
    auto r = app::GenerateDemoCaseload(server().store(), options, app::SystemPrincipal());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  // The reports from the database's queries (`in_database`) or counted in
  // the app, or from `facts` when not null.
  app::ReportService Service(bool in_database, app::ReportFacts* facts = nullptr) {
    app::ReportServiceOptions options;
    options.cipher = &server().cipher();
    options.aggregate_in_database = in_database;
    options.facts = facts;
    return app::ReportService(server().store(), server().clock(), options);
  }

  // A caller with built-in role `role`.
  static app::Principal As(const char* role) {
    app::Principal p;
    p.user_id = "u1";
    p.role = *domain::FindBuiltinRole(role);
    return p;
  }

  // Every period x role (with and without disclosure control) x report from
  // `tested` equals `reference`: JSON and the formatted assistance report.
  static void ExpectSameReports(app::ReportService& tested, app::ReportService& reference, const std::string& when,
                                const std::vector<ReportParams>& periods = ReportPeriods()) {
    for (const char* role : {"police_investigator", "analyst"}) {
      const app::Principal who = As(role);
      for (const auto& params : periods) {
        const app::ReportRequest request{params};
        SCOPED_TRACE(when + ": " + role + " " + params.back().second + " " + params.front().second);
        auto a = tested.Assistance(request, who);
        auto b = reference.Assistance(request, who);
        ASSERT_TRUE(a.ok()) << a.status().ToString();
        ASSERT_TRUE(b.ok()) << b.status().ToString();
        EXPECT_EQ(a->dump(), b->dump());
        EXPECT_EQ(app::FormatAssistanceReport(*a), app::FormatAssistanceReport(*b));
        auto s = tested.Sdg(request, who);
        auto t = reference.Sdg(request, who);
        ASSERT_TRUE(s.ok()) << s.status().ToString();
        ASSERT_TRUE(t.ok()) << t.status().ToString();
        EXPECT_EQ(s->dump(), t->dump());
      }
    }
  }
};

}  // namespace ctims::api_test
