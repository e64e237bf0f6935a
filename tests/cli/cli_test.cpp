// The command line as an operator uses it: the real `ctims` binary
// (CTIMS_BINARY) on a real SQLite file, passwords on standard input.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bin = std::getenv("CTIMS_BINARY");
    ASSERT_NE(bin, nullptr) << "CTIMS_BINARY is not set";
    binary_ = bin;
    dir_ = std::filesystem::temp_directory_path() / ("ctims-cli-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    db_ = (dir_ / "cli.db").string();
    ASSERT_EQ(Ctims("seed").exit_code, 0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs `ctims ARGS --db DB`, feeding `input` on standard input.
  CliRun Ctims(const std::string& args, const std::string& input = "") {
    const auto in = dir_ / "stdin";
    const auto out = dir_ / "out";
    std::ofstream(in) << input;
    const std::string cmd =
        "'" + binary_ + "' " + args + " --db '" + db_ + "' <'" + in.string() + "' >'" + out.string() + "' 2>&1";
    CliRun r;
    const int status = std::system(cmd.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::stringstream ss;
    ss << std::ifstream(out).rdbuf();
    r.output = ss.str();
    return r;
  }

  std::string binary_;
  std::filesystem::path dir_;
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
