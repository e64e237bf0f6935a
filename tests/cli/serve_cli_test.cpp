// `ctims serve` as an operator starts it (issue 3): it refuses to run without
// a key file, on a database with demo accounts unless --demo, and in plain
// HTTP off loopback; with TLS it serves HTTPS with Secure cookies and HSTS.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "run_ctims.hpp"

namespace {

using ctims::testing_cli::CliRun;

class ServeCliTest : public ctims::testing_cli::CtimsBinaryTest {
 protected:
  ServeCliTest() : CtimsBinaryTest("ctims-serve-") {}

  void SetUp() override {
    CtimsBinaryTest::SetUp();
    if (HasFatalFailure()) return;
    db_ = (dir_ / "serve.db").string();
    key_ = (dir_ / "ctims.key").string();
    ASSERT_EQ(Shell("'" + binary_ + "' seed --db '" + db_ + "'").exit_code, 0);
    ASSERT_EQ(Shell("'" + binary_ + "' keys init --key-file '" + key_ + "'").exit_code, 0);
  }
  void TearDown() override {
    if (server_pid_ > 0) {
      ::kill(server_pid_, SIGTERM);
      int status = 0;
      ::waitpid(server_pid_, &status, 0);
    }
    CtimsBinaryTest::TearDown();
  }

  // `ctims serve ARGS` (exits at once when it refuses to start).
  CliRun Serve(const std::string& args) {
    return Shell("timeout 20 '" + binary_ + "' serve --db '" + db_ + "' " + args);
  }

  // Starts `ctims serve ARGS` in the background; returns its log path.
  void Start(const std::string& args) {
    const std::string log = (dir_ / "server.log").string();
    server_pid_ = ::fork();
    ASSERT_GE(server_pid_, 0);
    if (server_pid_ == 0) {
      const std::string cmd = "exec '" + binary_ + "' serve --db '" + db_ + "' " + args + " >'" + log + "' 2>&1";
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }

  std::string db_;
  std::string key_;
  pid_t server_pid_ = -1;
};

TEST_F(ServeCliTest, RefusesToRunWithoutAKeyFile) {
  CliRun r = Serve("--listen 127.0.0.1:9");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--key-file"), std::string::npos) << r.output;
}

TEST_F(ServeCliTest, RefusesDemoAccountsWithoutDemoFlag) {
  CliRun add =
      Shell("'" + binary_ + "' user add demo.x --agency BK-DMC-TPH --role case_worker --password-stdin --demo --db '" +
                db_ + "'",
            "demo password for tests\n");
  ASSERT_EQ(add.exit_code, 0) << add.output;
  CliRun r = Serve("--key-file '" + key_ + "' --listen 127.0.0.1:9");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("demo accounts"), std::string::npos) << r.output;
}

TEST_F(ServeCliTest, RefusesPlainHttpOffLoopback) {
  CliRun r = Serve("--key-file '" + key_ + "' --listen 0.0.0.0:9");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("refusing plain HTTP"), std::string::npos) << r.output;
  CliRun half = Serve("--key-file '" + key_ + "' --listen 127.0.0.1:9 --tls-cert x.pem");
  EXPECT_EQ(half.exit_code, 2) << half.output;
}

TEST_F(ServeCliTest, ServesHttpsWithSecureCookiesAndHsts) {
  const std::string cert = (dir_ / "cert.pem").string();
  const std::string pkey = (dir_ / "key.pem").string();
  CliRun gen = Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -keyout '" + pkey +
                     "' -out '" + cert + "'");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  CliRun add = Shell(
      "'" + binary_ + "' user add somsak --agency BK-DMC-TPH --role case_worker --password-stdin --db '" + db_ + "'",
      "correct horse battery staple\n");
  ASSERT_EQ(add.exit_code, 0) << add.output;
  const int port = ctims::testing_cli::FreeLoopbackPort();
  const std::string base = "https://127.0.0.1:" + std::to_string(port);
  Start("--key-file '" + key_ + "' --listen 127.0.0.1:" + std::to_string(port) + " --tls-cert '" + cert +
        "' --tls-key '" + pkey + "'");
  CliRun health;
  for (int i = 0; i < 100; ++i) {
    health = Shell("curl -ksS -D - -o /dev/null " + base + "/api/v1/health");
    if (health.exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(health.exit_code, 0) << health.output << "\nlog:\n"
                                 << Shell("cat '" + (dir_ / "server.log").string() + "'").output;
  EXPECT_NE(health.output.find("Strict-Transport-Security"), std::string::npos) << health.output;
  EXPECT_NE(health.output.find("Content-Security-Policy"), std::string::npos) << health.output;
  // Plain HTTP on the TLS port gets nothing useful.
  EXPECT_NE(Shell("curl -sS --max-time 3 http://127.0.0.1:" + std::to_string(port) + "/api/v1/health").exit_code, 0);
  CliRun in = Shell(
      "curl -ksS -D - -o /dev/null -H 'Content-Type: application/json' -d "
      "'{\"username\":\"somsak\",\"password\":\"correct horse battery staple\"}' " +
      base + "/api/v1/session");
  ASSERT_EQ(in.exit_code, 0) << in.output;
  EXPECT_NE(in.output.find("201"), std::string::npos) << in.output;
  EXPECT_NE(in.output.find("ctims_session="), std::string::npos) << in.output;
  EXPECT_NE(in.output.find("; Secure"), std::string::npos)
      << "the session cookie must be Secure under TLS: " << in.output;
  EXPECT_NE(in.output.find("HttpOnly"), std::string::npos) << in.output;
  EXPECT_NE(in.output.find("SameSite=Strict"), std::string::npos) << in.output;
}

}  // namespace
