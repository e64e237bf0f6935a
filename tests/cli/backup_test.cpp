// `ctims backup` and `ctims restore` on both backends (issue 9 §5): a backup
// taken while the server runs restores into a new database that passes the
// integrity check and the audit-chain verification, holds the same audit
// events, and serves the same records (sealed fields open with the same key).
// A backup whose audit log was tampered with restores with exit 1.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "run_ctims.hpp"
#include "storage_test_backend.hpp"

namespace {

using ctims::testing_cli::CliRun;
using nlohmann::json;

constexpr const char* kPassword = "correct horse battery staple";

class BackupTest : public ctims::testing_cli::CtimsBinaryTest, public ::testing::WithParamInterface<std::string> {
 protected:
  BackupTest() : CtimsBinaryTest("ctims-backup-") {}

  void SetUp() override {
    CtimsBinaryTest::SetUp();
    if (HasFatalFailure()) return;
    key_ = (dir_ / "ctims.key").string();
    backup_ = (dir_ / "ctims.backup").string();
    if (GetParam() == "postgresql") {
      const std::string info = ctims::testing_backends::PostgresConninfo();
      const std::string prefix = "postgresql:///postgres?";
      if (info.rfind(prefix, 0) != 0) GTEST_SKIP() << "no PostgreSQL test cluster given as " << prefix << "...";
      admin_ = info;
      for (const char* which : {"src", "dst"}) {
        const std::string name = std::string("ctims_backup_") + which + "_" + std::to_string(::getpid());
        ctims::testing_backends::PostgresExecOn(admin_, "DROP DATABASE IF EXISTS " + name);
        ASSERT_EQ(ctims::testing_backends::PostgresExecOn(admin_, "CREATE DATABASE " + name), "");
        databases_.push_back(name);
      }
      db_ = "postgresql:///" + databases_[0] + "?" + info.substr(prefix.size());
      restored_ = "postgresql:///" + databases_[1] + "?" + info.substr(prefix.size());
    } else {
      db_ = (dir_ / "live.db").string();
      restored_ = (dir_ / "restored.db").string();
    }
    Ctims("seed --db '" + db_ + "'");
    Ctims("keys init --key-file '" + key_ + "'");
    Ctims("user add worker --agency BK-DMC-TPH --role case_worker --password-stdin --db '" + db_ + "' --key-file '" +
              key_ + "'",
          std::string(kPassword) + "\n");
  }

  void TearDown() override {
    StopServer();
    for (const auto& name : databases_) ctims::testing_backends::PostgresExecOn(admin_, "DROP DATABASE " + name);
    CtimsBinaryTest::TearDown();
  }

  CliRun Ctims(const std::string& args, const std::string& input = "") {
    CliRun r = Shell("'" + binary_ + "' " + args, input);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
    return r;
  }

  void StartServer(const std::string& db) {
    port_ = ctims::testing_cli::FreeLoopbackPort();
    ASSERT_GT(port_, 0);
    const std::string log = (dir_ / "server.log").string();
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      const std::string cmd = "exec '" + binary_ + "' serve --db '" + db + "' --key-file '" + key_ +
                              "' --listen 127.0.0.1:" + std::to_string(port_) + " >>'" + log + "' 2>&1";
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    httplib::Client cli("127.0.0.1", port_);
    for (int i = 0; i < 300; ++i) {
      if (auto r = cli.Get("/api/v1/health"); r && r->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "the server did not start: " << Shell("cat '" + log + "'").output;
  }

  void StopServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  // Signs the worker in; returns {cookie, csrf}.
  std::pair<std::string, std::string> SignIn() {
    httplib::Client cli("127.0.0.1", port_);
    auto r =
        cli.Post("/api/v1/session", json{{"username", "worker"}, {"password", kPassword}}.dump(), "application/json");
    EXPECT_TRUE(r && r->status == 201);
    if (!r) return {};
    const std::string cookie = r->get_header_value("Set-Cookie");
    return {cookie.substr(0, cookie.find(';')), json::parse(r->body).value("csrf_token", "")};
  }

  // "ok N events" of `ctims audit verify` on `db`: N, or -1.
  long AuditEvents(const std::string& db) {
    CliRun r = Shell("'" + binary_ + "' audit verify --db '" + db + "'");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output.rfind("ok ", 0) == 0 ? std::atol(r.output.c_str() + 3) : -1;
  }

  std::string db_, restored_, key_, backup_, admin_;
  std::vector<std::string> databases_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_P(BackupTest, OnlineBackupRestoresToASoundDatabaseWithTheSameRecords) {
  StartServer(db_);
  if (HasFatalFailure()) return;
  auto [cookie, csrf] = SignIn();
  httplib::Client cli("127.0.0.1", port_);
  const httplib::Headers headers = {{"Cookie", cookie}, {"X-CSRF-Token", csrf}};
  std::vector<std::string> ids;
  for (const char* name : {"ນາງ ບົວພັນ", "Daw Aye", "张丽"}) {
    auto r = cli.Post("/api/v1/persons", headers, json{{"prs_FirstName", name}}.dump(), "application/json");
    ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    ids.push_back(json::parse(r->body)["id"]);
  }
  // Online: the server is still running.
  CliRun backup = Ctims("backup --db '" + db_ + "' --out '" + backup_ + "'");
  struct stat st {};
  ASSERT_EQ(::stat(backup_.c_str(), &st), 0) << backup.output;
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "a backup is as private as the database";
  EXPECT_EQ(Shell("'" + binary_ + "' backup --db '" + db_ + "' --out '" + backup_ + "'").exit_code, 1)
      << "never overwrites a file";
  StopServer();
  const long events = AuditEvents(db_);
  ASSERT_GT(events, 3);

  CliRun restore = Shell("'" + binary_ + "' restore --db '" + restored_ + "' --from '" + backup_ + "'");
  ASSERT_EQ(restore.exit_code, 0) << restore.output;
  EXPECT_NE(restore.output.find("integrity ok, audit chain ok " + std::to_string(events) + " events"),
            std::string::npos)
      << restore.output;
  EXPECT_EQ(AuditEvents(restored_), events);
  EXPECT_EQ(Shell("'" + binary_ + "' restore --db '" + restored_ + "' --from '" + backup_ + "'").exit_code, 2)
      << "never restores over a database";

  // The restored database serves the same records, names opened with the key.
  StartServer(restored_);
  if (HasFatalFailure()) return;
  auto [cookie2, csrf2] = SignIn();
  httplib::Client restarted("127.0.0.1", port_);  // a new port for the new server
  auto r = restarted.Get("/api/v1/persons/" + ids[0], httplib::Headers{{"Cookie", cookie2}});
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  EXPECT_EQ(json::parse(r->body)["prs_FirstName"], "ນາງ ບົວພັນ");
}

TEST_P(BackupTest, TamperedAuditLogInABackupFailsTheRestoreCheck) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "the check is the same code on both backends; tampered here on SQLite";
  StartServer(db_);
  if (HasFatalFailure()) return;
  SignIn();
  SignIn();
  StopServer();
  Ctims("backup --db '" + db_ + "' --out '" + backup_ + "'");
  // Whoever holds the backup file rewrites an audit event (past the
  // append-only triggers, which the file's holder can drop).
  CliRun tamper =
      Shell("sqlite3 '" + backup_ +
            "' \"DROP TRIGGER IF EXISTS audit_log_no_update; UPDATE audit_log SET outcome = 'denied' WHERE seq = 2\"");
  ASSERT_EQ(tamper.exit_code, 0) << tamper.output;
  CliRun restore = Shell("'" + binary_ + "' restore --db '" + restored_ + "' --from '" + backup_ + "'");
  EXPECT_EQ(restore.exit_code, 1) << restore.output;
  EXPECT_NE(restore.output.find("audit chain is broken at event 2"), std::string::npos) << restore.output;
}

INSTANTIATE_TEST_SUITE_P(Backends, BackupTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
