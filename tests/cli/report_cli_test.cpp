// `ctims demo` and `ctims report` as an operator runs them: the real binary
// (CTIMS_BINARY), a real key file and a real SQLite database.
#include <gtest/gtest.h>

#include <string>

#include "run_ctims.hpp"

namespace {

using ctims::testing_cli::CliRun;

class ReportCliTest : public ctims::testing_cli::CtimsBinaryTest {
 protected:
  ReportCliTest() : CtimsBinaryTest("ctims-report-cli-") {}

  CliRun Ctims(const std::string& args) { return Shell("env -u CTIMS_KEY_FILE '" + binary_ + "' " + args, ""); }
  std::string Db() const { return " --db '" + (dir_ / "demo.db").string() + "'"; }
  std::string Keys() const { return " --key-file '" + (dir_ / "keys").string() + "'"; }
};

TEST_F(ReportCliTest, DemoCaseloadThenTheAssistanceReportOfBokeo) {
  ASSERT_EQ(Ctims("keys init" + Keys()).exit_code, 0);
  CliRun demo = Ctims("demo" + Db() + Keys());
  ASSERT_EQ(demo.exit_code, 0) << demo.output;
  EXPECT_NE(demo.output.find("1600 persons"), std::string::npos) << demo.output;
  // A second run on a database with cases is refused (nothing written).
  CliRun again = Ctims("demo" + Db() + Keys());
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("fresh database"), std::string::npos) << again.output;

  CliRun csv = Ctims("report assistance --location LA-BK --to 2022-09-01 --format csv" + Db() + Keys());
  ASSERT_EQ(csv.exit_code, 0) << csv.output;
  // issue 5 exports: the CSV is written by export/table_writer (every field
  // quoted, CRLF); columns view, level, key, label, persons, women, ...
  auto line_of = [&](const std::string& prefix) {
    const auto at = csv.output.find(prefix);
    if (at == std::string::npos) return std::string();
    return csv.output.substr(at, csv.output.find("\r\n", at) - at);
  };
  EXPECT_NE(csv.output.find("\"lead_agency\",\"total\",\"\",\"\",\"1255\",\"493\",\"13\",\"248\",\"\"\r\n"),
            std::string::npos)
      << csv.output;
  EXPECT_NE(line_of("\"lead_agency\",\"agency_type\",\"DistrictManagementCommittee\",").find(",\"869\","),
            std::string::npos);
  EXPECT_NE(line_of("\"lead_agency\",\"agency\",\"BK-FAD\",").find(",\"138\","), std::string::npos);
  EXPECT_NE(line_of("\"lead_agency\",\"agency\",\"BK-PPD\",").find(",\"248\","), std::string::npos);

  CliRun table = Ctims("report assistance --location LA-BK --to 2022-09-01" + Db() + Keys());
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("District Management Committees"), std::string::npos) << table.output;

  // Bad input: exit 2 with the field and rule named; no key file: refused.
  CliRun bad = Ctims("report assistance --location LA-BK --from 2022-02-30" + Db() + Keys());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("from: date"), std::string::npos) << bad.output;
  EXPECT_EQ(Ctims("report assistance --location LA-BK" + Db()).exit_code, 2);
}

}  // namespace
