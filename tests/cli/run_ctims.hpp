#pragma once

// Running the real `ctims` executable (CTIMS_BINARY, set by ctims_test) from
// a test, as an operator would: the suites in tests/cli and tests/audit.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace ctims::testing_cli {

// A loopback port nobody listens on right now (the kernel's choice), or -1.
// Another process may take it before the server binds, but unlike a port
// derived from the pid it never lands on one in use by a parallel test.
inline int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// What a command did.
struct CliRun {
  int exit_code = -1;  // -1 when it did not exit normally
  std::string output;  // stdout and stderr
};

// A fixture with the binary's path in binary_ and a fresh directory for the
// test in dir_ ("<dir_prefix><pid>-<test name>" under the temporary
// directory), removed after the test. A suite that needs more in SetUp calls
// CtimsBinaryTest::SetUp() first and returns when it HasFatalFailure().
class CtimsBinaryTest : public ::testing::Test {
 protected:
  explicit CtimsBinaryTest(std::string dir_prefix) : dir_prefix_(std::move(dir_prefix)) {}

  void SetUp() override {
    const char* bin = std::getenv("CTIMS_BINARY");
    ASSERT_NE(bin, nullptr) << "CTIMS_BINARY is not set";
    binary_ = bin;
    dir_ = std::filesystem::temp_directory_path() / (dir_prefix_ + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs the shell command `command` with `input` on standard input and
  // returns its exit code and output (both through files in dir_).
  CliRun Shell(const std::string& command, const std::string& input = "") const {
    const auto in = dir_ / "stdin";
    const auto out = dir_ / "out";
    std::ofstream(in) << input;
    CliRun r;
    const int status = std::system((command + " <'" + in.string() + "' >'" + out.string() + "' 2>&1").c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::stringstream ss;
    ss << std::ifstream(out).rdbuf();
    r.output = ss.str();
    return r;
  }

  std::string binary_;
  std::filesystem::path dir_;

 private:
  std::string dir_prefix_;
};

}  // namespace ctims::testing_cli
