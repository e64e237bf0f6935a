// `ctims keys ...` as an operator runs it: the real binary (CTIMS_BINARY), a
// real key file and a real SQLite database. The sealed values are TOTP
// secrets: `ctims user add --role administrator` enrols one, sealed with the
// key file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "run_ctims.hpp"

namespace {

using ctims::testing_cli::CliRun;

class KeysCliTest : public ctims::testing_cli::CtimsBinaryTest {
 protected:
  KeysCliTest() : CtimsBinaryTest("ctims-keys-cli-") {}

  void SetUp() override {
    CtimsBinaryTest::SetUp();
    if (HasFatalFailure()) return;
    db_ = (dir_ / "cli.db").string();
    keys_ = (dir_ / "keys").string();
    ASSERT_EQ(Ctims("seed --db '" + db_ + "'").exit_code, 0);
  }

  // Runs `ctims ARGS` with `input` on standard input. CTIMS_KEY_FILE is
  // cleared unless `env_key_file` is given.
  CliRun Ctims(const std::string& args, const std::string& input = "", const std::string& env_key_file = "") {
    const std::string env =
        env_key_file.empty() ? "env -u CTIMS_KEY_FILE " : "env CTIMS_KEY_FILE='" + env_key_file + "' ";
    return Shell(env + "'" + binary_ + "' " + args, input);
  }
  std::string Db() const { return " --db '" + db_ + "'"; }
  std::string Keys() const { return " --key-file '" + keys_ + "'"; }
  static std::string Read(const std::string& path) {
    std::stringstream ss;
    ss << std::ifstream(path).rdbuf();
    return ss.str();
  }

  // An administrator, whose TOTP secret is sealed at `ctims user add`.
  void AddAdministrator(const std::string& name, const std::string& db) {
    CliRun add = Ctims(
        "user add " + name + " --agency BK-DMC-TPH --role administrator --password-stdin --db '" + db + "'" + Keys(),
        "correct horse battery staple\n");
    ASSERT_EQ(add.exit_code, 0) << add.output;
  }

  std::string db_;
  std::string keys_;
};

TEST_F(KeysCliTest, InitMakesAnOwnerOnlyFileAndNeverOverwritesIt) {
  CliRun init = Ctims("keys init" + Keys());
  ASSERT_EQ(init.exit_code, 0) << init.output;
  struct stat st {};
  ASSERT_EQ(::stat(keys_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600);
  const std::string contents = Read(keys_);
  EXPECT_TRUE(contents.starts_with("ctims-keyring 1\nv1 ")) << "unexpected key file format";
  // Nothing of the key is printed.
  const std::string key = contents.substr(contents.find("v1 ") + 3, 44);
  EXPECT_EQ(init.output.find(key), std::string::npos);

  CliRun again = Ctims("keys init" + Keys());
  EXPECT_NE(again.exit_code, 0);
  EXPECT_EQ(Read(keys_), contents);

  // The key file may come from the environment instead.
  const std::string other = (dir_ / "other-keys").string();
  ASSERT_EQ(Ctims("keys init", "", other).exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(other));
  EXPECT_NE(Ctims("keys init", "", other).exit_code, 0);
  EXPECT_NE(Ctims("keys init").exit_code, 0);  // no key file named at all
}

TEST_F(KeysCliTest, RotateThenRetireRemovesTheOldVersion) {
  ASSERT_EQ(Ctims("keys init" + Keys()).exit_code, 0);
  AddAdministrator("admin1", db_);
  CliRun status = Ctims("keys status" + Db() + Keys());
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("versions 1 (current 1)"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("key version 1: 1 values"), std::string::npos) << status.output;

  CliRun rotate = Ctims("keys rotate" + Db() + Keys());
  ASSERT_EQ(rotate.exit_code, 0) << rotate.output;
  EXPECT_NE(rotate.output.find("key version 2 is current"), std::string::npos) << rotate.output;
  EXPECT_NE(rotate.output.find("1 TOTP secrets"), std::string::npos) << rotate.output;
  EXPECT_NE(rotate.output.find("key version 2: 1 values"), std::string::npos) << rotate.output;
  EXPECT_EQ(rotate.output.find("key version 1:"), std::string::npos) << rotate.output;

  CliRun retire = Ctims("keys retire 1" + Db() + Keys());
  ASSERT_EQ(retire.exit_code, 0) << retire.output;
  const std::string contents = Read(keys_);
  EXPECT_EQ(contents.find("\nv1 "), std::string::npos);
  EXPECT_NE(contents.find("\nv2 "), std::string::npos);
  status = Ctims("keys status" + Db() + Keys());
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("versions 2 (current 2)"), std::string::npos) << status.output;

  // The current version cannot be retired.
  EXPECT_NE(Ctims("keys retire 2" + Db() + Keys()).exit_code, 0);
  EXPECT_NE(Read(keys_).find("\nv2 "), std::string::npos);
}

TEST_F(KeysCliTest, RetireIsRefusedWhileValuesUseTheVersion) {
  ASSERT_EQ(Ctims("keys init" + Keys()).exit_code, 0);
  AddAdministrator("admin1", db_);
  // Before any rotation: version 1 seals the secret (and is current).
  CliRun early = Ctims("keys retire 1" + Db() + Keys());
  EXPECT_NE(early.exit_code, 0);
  EXPECT_NE(early.output.find("still sealed with key version 1"), std::string::npos) << early.output;
  EXPECT_NE(Read(keys_).find("\nv1 "), std::string::npos);

  // A copy of the database from before the rotation still uses version 1,
  // though it is no longer current: retiring it there is refused too.
  const std::string old_db = (dir_ / "old.db").string();
  std::filesystem::copy_file(db_, old_db);
  if (std::filesystem::exists(db_ + "-wal")) std::filesystem::copy_file(db_ + "-wal", old_db + "-wal");
  ASSERT_EQ(Ctims("keys rotate" + Db() + Keys()).exit_code, 0);
  CliRun stale = Ctims("keys retire 1 --db '" + old_db + "'" + Keys());
  EXPECT_NE(stale.exit_code, 0);
  EXPECT_NE(stale.output.find("1 values are still sealed with key version 1"), std::string::npos) << stale.output;
  EXPECT_NE(Read(keys_).find("\nv1 "), std::string::npos);

  // `rotate --resume` brings that copy to the current version without adding one.
  CliRun resume = Ctims("keys rotate --resume --db '" + old_db + "'" + Keys());
  ASSERT_EQ(resume.exit_code, 0) << resume.output;
  EXPECT_NE(resume.output.find("key version 2 is current"), std::string::npos) << resume.output;
  EXPECT_EQ(Ctims("keys retire 1 --db '" + old_db + "'" + Keys()).exit_code, 0);
}

}  // namespace
