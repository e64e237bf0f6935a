// Issue 5 exports from the command line: `ctims report ... --format
// xlsx|hxl|dhis2|adx|csv [--out FILE] [--mapping FILE]` and `ctims export
// htcds-cases` with the real binary, key file and SQLite database.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "export/htcds_export.hpp"
#include "run_ctims.hpp"

namespace {

using ctims::testing_cli::CliRun;

class ExportCliTest : public ctims::testing_cli::CtimsBinaryTest {
 protected:
  ExportCliTest() : CtimsBinaryTest("ctims-export-cli-") {}

  CliRun Ctims(const std::string& args) { return Shell("env -u CTIMS_KEY_FILE '" + binary_ + "' " + args, ""); }
  std::string Db() const { return " --db '" + (dir_ / "demo.db").string() + "'"; }
  std::string Keys() const { return " --key-file '" + (dir_ / "keys").string() + "'"; }
  std::string Read(const std::string& name) const {
    std::ifstream in(dir_ / name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

TEST_F(ExportCliTest, ReportsAsFiles) {
  ASSERT_EQ(Ctims("keys init" + Keys()).exit_code, 0);
  ASSERT_EQ(Ctims("demo" + Db() + Keys()).exit_code, 0);
  const std::string bokeo = " --location LA-BK --to 2022-09-01" + Db() + Keys();

  const std::string out = (dir_ / "report.xlsx").string();
  CliRun xlsx = Ctims("report assistance --format xlsx --out '" + out + "'" + bokeo);
  ASSERT_EQ(xlsx.exit_code, 0) << xlsx.output;
  EXPECT_EQ(Read("report.xlsx").substr(0, 2), "PK");
  EXPECT_EQ(Ctims("report assistance --format xlsx" + bokeo).exit_code, 2);  // no --out

  CliRun hxl = Ctims("report assistance --format hxl --table breakdowns.nationality" + bokeo);
  ASSERT_EQ(hxl.exit_code, 0) << hxl.output;
  EXPECT_NE(hxl.output.find("\"#country+code\",\"#adm1+code\""), std::string::npos) << hxl.output;

  CliRun sdg = Ctims("report sdg --format csv" + bokeo);
  ASSERT_EQ(sdg.exit_code, 0) << sdg.output;
  EXPECT_NE(sdg.output.find("\"age_group\""), std::string::npos) << sdg.output;

  const std::string mapping = std::string(CTIMS_SOURCE_DIR) + "/config/dhis2-mapping.example.json";
  const std::string year = " --location LA-BK --from 2022-01-01 --to 2023-01-01" + Db() + Keys();
  CliRun dhis2 = Ctims("report assistance --format dhis2 --mapping '" + mapping + "'" + year);
  ASSERT_EQ(dhis2.exit_code, 0) << dhis2.output;
  EXPECT_NE(dhis2.output.find("\"orgUnit\": \"BokeoProv01\""), std::string::npos) << dhis2.output;
  EXPECT_NE(dhis2.output.find("Unmapped-Cells: "), std::string::npos) << "unmapped cells are listed";
  CliRun adx = Ctims("report assistance --format adx --mapping '" + mapping + "'" + year);
  ASSERT_EQ(adx.exit_code, 0) << adx.output;
  EXPECT_NE(adx.output.find("urn:ihe:qrph:adx:2015"), std::string::npos) << adx.output;
  EXPECT_EQ(Ctims("report assistance --format dhis2" + year).exit_code, 2);  // no mapping

  CliRun ctdc = Ctims("report ctdc-microdata --format csv" + bokeo);
  ASSERT_EQ(ctdc.exit_code, 0) << ctdc.output;
  EXPECT_NE(ctdc.output.find("\"yearOfRegistration\",\"Datasource\",\"gender\",\"ageBroad\""), std::string::npos)
      << ctdc.output.substr(0, 500);
}

TEST_F(ExportCliTest, HtcdsCasesAsAnEncryptedArchive) {
  ASSERT_EQ(Ctims("keys init" + Keys()).exit_code, 0);
  ASSERT_EQ(Ctims("demo" + Db() + Keys()).exit_code, 0);
  const std::string password = "correct horse battery";
  const std::string out = (dir_ / "cases.zip").string();
  auto run = [&](const std::string& args, const std::string& pw) {
    return Shell(
        "env -u CTIMS_KEY_FILE '" + binary_ + "' export htcds-cases --out '" + out + "'" + args + Db() + Keys(),
        pw + "\n");
  };

  CliRun short_pw = run("", "elevenchars");
  EXPECT_EQ(short_pw.exit_code, 2) << short_pw.output;
  EXPECT_NE(short_pw.output.find("password: min_length"), std::string::npos) << short_pw.output;
  EXPECT_EQ(run(" --filter nokey", password).exit_code, 2);

  CliRun all = run("", password);
  ASSERT_EQ(all.exit_code, 0) << all.output;
  const std::string zip = Read("cases.zip");
  EXPECT_EQ(zip.substr(0, 2), "PK");
  EXPECT_FALSE(ctims::exports::ReadEncryptedZip(zip, "correct horse battera").ok());
  auto files = ctims::exports::ReadEncryptedZip(zip, password);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 2u);
  const auto every = nlohmann::json::parse((*files)[0].bytes);
  ASSERT_GT(every["cases"].size(), 100u) << "the demo caseload's cases";
  EXPECT_GT(every["persons"].size(), 100u);
  EXPECT_EQ((*files)[1].bytes.substr(0, 2), "PK") << "the XLSX in the archive";

  CliRun sexual = run(" --filter vic_TypeOfExploitation=SexualExploitation", password);
  ASSERT_EQ(sexual.exit_code, 0) << sexual.output;
  auto some = ctims::exports::ReadEncryptedZip(Read("cases.zip"), password);
  ASSERT_TRUE(some.ok()) << some.status().ToString();
  const auto filtered = nlohmann::json::parse((*some)[0].bytes);
  EXPECT_GT(filtered["cases"].size(), 0u);
  EXPECT_LT(filtered["cases"].size(), every["cases"].size());
  for (const auto& c : filtered["cases"]) {
    const auto& kinds = c["vic_TypeOfExploitation"];
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), "SexualExploitation"), kinds.end()) << c.dump();
  }
  EXPECT_EQ(run(" --filter cas_Status=Nonsense", password).exit_code, 2) << "a filter outside the code list";
}

}  // namespace
