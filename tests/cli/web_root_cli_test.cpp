// `ctims serve --web-root` (issue 6): the built web app from the same origin
// as the API, with its own caching and content security policy, without
// touching the API's headers, and never a file outside the web root.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "run_ctims.hpp"

namespace {

using ctims::testing_cli::CliRun;

class WebRootCliTest : public ctims::testing_cli::CtimsBinaryTest {
 protected:
  WebRootCliTest() : CtimsBinaryTest("ctims-web-") {}

  void SetUp() override {
    CtimsBinaryTest::SetUp();
    if (HasFatalFailure()) return;
    db_ = (dir_ / "serve.db").string();
    key_ = (dir_ / "ctims.key").string();
    web_ = dir_ / "web";
    std::filesystem::create_directories(web_ / "assets");
    std::ofstream(web_ / "index.html") << "<!doctype html><title>ctims app</title>";
    std::ofstream(web_ / "assets" / "index-Ab12.js") << "console.log('app')";
    std::ofstream(dir_ / "secret.txt") << "outside the web root";
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

  // Starts `ctims serve` on `port` with --web-root; waits for the API.
  void Start(int port) {
    const std::string log = (dir_ / "server.log").string();
    server_pid_ = ::fork();
    ASSERT_GE(server_pid_, 0);
    if (server_pid_ == 0) {
      const std::string cmd = "exec '" + binary_ + "' serve --db '" + db_ + "' --key-file '" + key_ +
                              "' --listen 127.0.0.1:" + std::to_string(port) + " --web-root '" + web_.string() +
                              "' >'" + log + "' 2>&1";
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    base_ = "http://127.0.0.1:" + std::to_string(port);
    CliRun health;
    for (int i = 0; i < 100; ++i) {
      health = Shell("curl -sS -o /dev/null " + base_ + "/api/v1/health");
      if (health.exit_code == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(health.exit_code, 0) << Shell("cat '" + log + "'").output;
  }

  // Headers and body of a GET (curl -i), the path sent as is.
  std::string Get(const std::string& path) { return Shell("curl -sS -i --path-as-is '" + base_ + path + "'").output; }

  std::string db_;
  std::string key_;
  std::filesystem::path web_;
  std::string base_;
  pid_t server_pid_ = -1;
};

TEST_F(WebRootCliTest, RefusesAWebRootWithoutTheApp) {
  CliRun r = Shell("timeout 20 '" + binary_ + "' serve --db '" + db_ + "' --key-file '" + key_ +
                   "' --listen 127.0.0.1:9 --web-root '" + (dir_ / "nowhere").string() + "'");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("index.html"), std::string::npos) << r.output;
}

TEST_F(WebRootCliTest, ServesTheAppBesideTheApi) {
  Start(ctims::testing_cli::FreeLoopbackPort());
  if (HasFatalFailure()) return;

  const std::string index = Get("/");
  EXPECT_NE(index.find("200 OK"), std::string::npos) << index;
  EXPECT_NE(index.find("Content-Type: text/html"), std::string::npos) << index;
  EXPECT_NE(index.find("Cache-Control: no-cache"), std::string::npos) << index;
  EXPECT_NE(index.find("script-src 'self'"), std::string::npos) << index;
  EXPECT_NE(index.find("frame-ancestors 'none'"), std::string::npos) << index;
  EXPECT_NE(index.find("X-Content-Type-Options: nosniff"), std::string::npos) << index;
  EXPECT_NE(index.find("<title>ctims app</title>"), std::string::npos) << index;

  // An app route gets the app; a hashed asset is cached for good.
  EXPECT_NE(Get("/cases/01J9ZZZZZZZZZZZZZZZZZZZZZZ").find("<title>ctims app</title>"), std::string::npos);
  const std::string js = Get("/assets/index-Ab12.js");
  EXPECT_NE(js.find("Content-Type: text/javascript"), std::string::npos) << js;
  EXPECT_NE(js.find("immutable"), std::string::npos) << js;
  EXPECT_NE(Get("/assets/index-old.js").find("404"), std::string::npos);

  // Nothing outside the web root.
  for (const char* path : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"}) {
    const std::string r = Get(path);
    EXPECT_EQ(r.find("outside the web root"), std::string::npos) << path << "\n" << r;
  }

  // The API keeps its own headers and error shape.
  const std::string health = Get("/api/v1/health");
  EXPECT_NE(health.find("Cache-Control: no-store"), std::string::npos) << health;
  EXPECT_NE(health.find("Content-Security-Policy: default-src 'none'; frame-ancestors 'none'"), std::string::npos)
      << health;
  EXPECT_EQ(health.find("script-src"), std::string::npos) << health;
  const std::string missing = Get("/api/v1/no-such-thing");
  EXPECT_NE(missing.find("route_not_found"), std::string::npos) << missing;
}

}  // namespace
