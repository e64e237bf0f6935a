// The command line as an operator uses it: the real `ctims` binary
// (CTIMS_BINARY) on a real SQLite file, passwords on standard input.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "run_ctims.hpp"

namespace {

using ctims::testing_cli::CliRun;

class CliTest : public ctims::testing_cli::CtimsBinaryTest {
 protected:
  CliTest() : CtimsBinaryTest("ctims-cli-") {}

  void SetUp() override {
    CtimsBinaryTest::SetUp();
    if (HasFatalFailure()) return;
    db_ = (dir_ / "cli.db").string();
    ASSERT_EQ(Ctims("seed").exit_code, 0);
  }

  // Runs `ctims ARGS --db DB`, feeding `input` on standard input.
  CliRun Ctims(const std::string& args, const std::string& input = "") {
    return Shell("'" + binary_ + "' " + args + " --db '" + db_ + "'", input);
  }

  std::string db_;
};

TEST_F(CliTest, UserAddListPasswdDisable) {
  CliRun add = Ctims("user add somchai --agency BK-DMC-TPH --role case_worker --password-stdin",
                     "correct horse battery staple\n");
  ASSERT_EQ(add.exit_code, 0) << add.output;
  EXPECT_NE(add.output.find("user somchai created"), std::string::npos);
  // The password never appears in anything the command prints.
  EXPECT_EQ(add.output.find("correct horse"), std::string::npos);

  CliRun list = Ctims("user list");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("somchai"), std::string::npos);
  EXPECT_NE(list.output.find("case_worker"), std::string::npos);
  EXPECT_NE(list.output.find("active"), std::string::npos);

  EXPECT_EQ(Ctims("user passwd somchai --password-stdin", "another long passphrase\n").exit_code, 0);
  EXPECT_EQ(Ctims("user disable somchai").exit_code, 0);
  EXPECT_NE(Ctims("user list").output.find("disabled"), std::string::npos);
  EXPECT_EQ(Ctims("user enable somchai").exit_code, 0);
  EXPECT_NE(Ctims("user list").output.find("active"), std::string::npos);
}

TEST_F(CliTest, RefusesBadAccounts) {
  CliRun weak = Ctims("user add weak --agency BK-PPD --role case_worker --password-stdin", "password1234\n");
  EXPECT_NE(weak.exit_code, 0);
  EXPECT_NE(weak.output.find("common_password"), std::string::npos) << weak.output;
  CliRun short_pw = Ctims("user add shorty --agency BK-PPD --role case_worker --password-stdin", "tiny\n");
  EXPECT_NE(short_pw.exit_code, 0);
  EXPECT_NE(short_pw.output.find("min_length"), std::string::npos) << short_pw.output;
  CliRun agency =
      Ctims("user add bob --agency NO-SUCH --role case_worker --password-stdin", "a perfectly fine passphrase\n");
  EXPECT_NE(agency.exit_code, 0);
  CliRun role = Ctims("user add bob --agency BK-PPD --role emperor --password-stdin", "a perfectly fine passphrase\n");
  EXPECT_NE(role.exit_code, 0);
  EXPECT_NE(Ctims("user add bob --agency BK-PPD --role case_worker", "").exit_code, 0);  // no --password-stdin
  ASSERT_EQ(Ctims("user add bob --agency BK-PPD --role case_worker --password-stdin", "a perfectly fine passphrase\n")
                .exit_code,
            0);
  CliRun twice =
      Ctims("user add BOB --agency BK-PPD --role case_worker --password-stdin", "a perfectly fine passphrase\n");
  EXPECT_NE(twice.exit_code, 0) << "usernames are case-insensitive";
  EXPECT_EQ(Ctims("user list").output.find("weak"), std::string::npos);
}

TEST_F(CliTest, AdministratorsGetASecondFactorAtCreation) {
  CliRun add = Ctims("user add admin1 --agency BK-PPD --role administrator --password-stdin",
                     "administrators need long passphrases\n");
  ASSERT_EQ(add.exit_code, 0) << add.output;
  EXPECT_NE(add.output.find("otpauth://totp/"), std::string::npos);
  EXPECT_NE(Ctims("user list").output.find("totp"), std::string::npos);
}

}  // namespace
