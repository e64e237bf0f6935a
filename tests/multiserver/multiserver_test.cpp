// Two `ctims serve` processes on one PostgreSQL database, as a province runs
// them behind a load balancer (issue 9 §3):
//  - a session created through one server works through the other, and ends
//    on both when signed out through either;
//  - concurrent updates of one case through both: exactly one succeeds, the
//    other gets 409;
//  - the audit hash chain stays valid under concurrent writers in both;
//  - a task coming due notifies once, however many servers look at it.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "cli/run_ctims.hpp"
#include "storage_test_backend.hpp"

namespace ctims {
namespace {

using nlohmann::json;
using testing_cli::CliRun;

constexpr const char* kPassword = "correct horse battery staple";

struct Reply {
  int status = -1;
  json body;
  std::string set_cookie;
};

// A signed-in user: the cookie and CSRF token work on either server.
struct Session {
  std::string cookie;
  std::string csrf;
};

class MultiServerTest : public testing_cli::CtimsBinaryTest {
 protected:
  MultiServerTest() : CtimsBinaryTest("ctims-multi-") {}

  void SetUp() override {
    CtimsBinaryTest::SetUp();
    if (HasFatalFailure()) return;
    const std::string info = testing_backends::PostgresConninfo();
    if (info.empty()) GTEST_SKIP() << "no PostgreSQL test cluster";
    const std::string prefix = "postgresql:///postgres?";
    if (info.rfind(prefix, 0) != 0) GTEST_SKIP() << "the test cluster must be given as " << prefix << "...";
    database_ = "ctims_multi_" + std::to_string(::getpid());
    admin_ = info;
    testing_backends::PostgresExecOn(admin_, "DROP DATABASE IF EXISTS " + database_);
    ASSERT_EQ(testing_backends::PostgresExecOn(admin_, "CREATE DATABASE " + database_), "");
    db_ = "postgresql:///" + database_ + "?" + info.substr(prefix.size());
    key_ = (dir_ / "ctims.key").string();

    Run("seed --db '" + db_ + "'");
    Run("keys init --key-file '" + key_ + "'");
    for (const auto& [name, agency] : {std::pair{"worker", "BK-DMC-TPH"}, std::pair{"shelter", "BK-LWU-SHELTER"}}) {
      Run(std::string("user add ") + name + " --agency " + agency + " --role case_worker --password-stdin --db '" +
              db_ + "' --key-file '" + key_ + "'",
          std::string(kPassword) + "\n");
    }
    for (int i = 0; i < 2; ++i) {
      do {
        ports_[i] = ctims::testing_cli::FreeLoopbackPort();
      } while (i == 1 && ports_[1] == ports_[0]);
      ASSERT_GT(ports_[i], 0);
      pids_[i] = Start(i);
      ASSERT_GT(pids_[i], 0);
    }
    for (int i = 0; i < 2; ++i) {
      bool up = false;
      for (int t = 0; t < 300 && !up; ++t) {
        up = Call(i, "GET", "/api/v1/health").status == 200;
        if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      ASSERT_TRUE(up) << "server " << i << " did not start:\n"
                      << Shell("cat '" + (dir_ / ("server" + std::to_string(i) + ".log")).string() + "'").output;
    }
  }

  void TearDown() override {
    for (pid_t& pid : pids_) {
      if (pid > 0) {
        ::kill(pid, SIGTERM);
        int status = 0;
        ::waitpid(pid, &status, 0);
        pid = -1;
      }
    }
    if (!database_.empty()) testing_backends::PostgresExecOn(admin_, "DROP DATABASE IF EXISTS " + database_);
    CtimsBinaryTest::TearDown();
  }

  void Run(const std::string& args, const std::string& input = "") {
    CliRun r = Shell("'" + binary_ + "' " + args, input);
    ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.output;
  }

  pid_t Start(int i) {
    const std::string log = (dir_ / ("server" + std::to_string(i) + ".log")).string();
    const pid_t pid = ::fork();
    if (pid == 0) {
      const std::string cmd = "exec '" + binary_ + "' serve --db '" + db_ + "' --key-file '" + key_ +
                              "' --listen 127.0.0.1:" + std::to_string(ports_[i]) + " --referral-hours 1 >'" + log +
                              "' 2>&1";
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return pid;
  }

  // One HTTP request to server `i` (0 or 1).
  Reply Call(int i, const std::string& method, const std::string& path, const Session* s = nullptr,
             const json& body = nullptr) {
    httplib::Client cli("127.0.0.1", ports_[i]);
    cli.set_read_timeout(30, 0);
    httplib::Request req;
    req.method = method;
    req.path = path;
    if (s != nullptr) {
      req.set_header("Cookie", s->cookie);
      if (method != "GET") req.set_header("X-CSRF-Token", s->csrf);
    }
    if (!body.is_null()) {
      req.body = body.dump();
      req.set_header("Content-Type", "application/json");
    }
    auto res = cli.send(req);
    if (!res) return {};
    Reply r;
    r.status = res->status;
    r.body = json::parse(res->body, nullptr, /*allow_exceptions=*/false);
    r.set_cookie = res->get_header_value("Set-Cookie");
    return r;
  }

  Session SignIn(int i, const std::string& username) {
    Reply r = Call(i, "POST", "/api/v1/session", nullptr, {{"username", username}, {"password", kPassword}});
    EXPECT_EQ(r.status, 201) << r.body.dump();
    Session s;
    s.cookie = r.set_cookie.substr(0, r.set_cookie.find(';'));
    if (r.body.is_object()) s.csrf = r.body.value("csrf_token", "");
    return s;
  }

  // POST /api/v1/<resource> through server `i`; the created record.
  json Create(int i, const Session& s, const std::string& resource, const json& body) {
    Reply r = Call(i, "POST", "/api/v1/" + resource, &s, body);
    EXPECT_EQ(r.status, 201) << resource << ": " << r.body.dump();
    return r.body;
  }

  std::string AgencyId(const Session& s, const std::string& code) {
    Reply r = Call(0, "GET", "/api/v1/agencies?org_Code=" + code, &s);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.body["items"].empty() ? std::string() : r.body["items"][0]["id"].get<std::string>();
  }

  // A person and her case, owned by the worker's district committee.
  std::string MakeCase(const Session& worker) {
    const std::string person = Create(0, worker, "persons", {{"prs_FirstName", "Test"}, {"prs_Sex", "Female"}})["id"];
    return Create(1, worker, "cases",
                  {{"person_id", person}, {"owner_agency_id", AgencyId(worker, "BK-DMC-TPH")}})["id"];
  }

  std::string database_;
  std::string admin_;
  std::string db_;
  std::string key_;
  std::array<int, 2> ports_{};
  std::array<pid_t, 2> pids_{-1, -1};
};

TEST_F(MultiServerTest, SessionCreatedOnOneServerWorksOnTheOther) {
  const Session s = SignIn(0, "worker");
  Reply me = Call(1, "GET", "/api/v1/session", &s);
  ASSERT_EQ(me.status, 200) << me.body.dump();
  EXPECT_EQ(me.body["user"]["username"], "worker") << me.body.dump();
  // A write through the other server passes its CSRF check too.
  const std::string case_id = MakeCase(s);
  EXPECT_EQ(Call(0, "GET", "/api/v1/cases/" + case_id, &s).status, 200);
  // Signing out through one ends the session on both.
  EXPECT_EQ(Call(1, "DELETE", "/api/v1/session", &s).status, 204);
  EXPECT_EQ(Call(0, "GET", "/api/v1/session", &s).status, 401);
  EXPECT_EQ(Call(1, "GET", "/api/v1/session", &s).status, 401);
}

TEST_F(MultiServerTest, ConcurrentUpdatesOfOneCaseThroughBothExactlyOneWins) {
  const Session s = SignIn(0, "worker");
  const std::string url = "/api/v1/cases/" + MakeCase(s);
  constexpr int kRounds = 15;
  for (int round = 0; round < kRounds; ++round) {
    Reply now = Call(round % 2, "GET", url, &s);
    ASSERT_EQ(now.status, 200);
    const int version = now.body["version"].get<int>();
    std::array<int, 2> status{};
    std::latch start(2);
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        status[i] =
            Call(i, "PATCH", url, &s, {{"version", version}, {"vic_AgeWhenTrafficked", 20 + round * 2 + i}}).status;
      });
    }
    for (auto& t : threads) t.join();
    std::sort(status.begin(), status.end());
    EXPECT_EQ(status, (std::array<int, 2>{200, 409})) << "round " << round;
  }
  Reply last = Call(1, "GET", url, &s);
  EXPECT_EQ(last.body["version"], 1 + kRounds) << "every round made exactly one new version";
}

TEST_F(MultiServerTest, AuditChainStaysValidUnderConcurrentWritersOnBothServers) {
  const Session s = SignIn(0, "worker");
  constexpr int kPerServer = 25;
  std::latch start(2);
  std::array<int, 2> created{};
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      for (int n = 0; n < kPerServer; ++n) {
        if (Call(i, "POST", "/api/v1/persons", &s, {{"prs_FirstName", "P" + std::to_string(n)}}).status == 201) {
          ++created[i];
        }
        Call(1 - i, "GET", "/api/v1/persons?limit=5", &s);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created[0], kPerServer);
  EXPECT_EQ(created[1], kPerServer);
  // Verified by the operator's command, while both servers keep running.
  CliRun verify = Shell("'" + binary_ + "' audit verify --db '" + db_ + "'");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("ok "), std::string::npos) << verify.output;
  // Every creation and every read was audited: more than 4 * kPerServer events.
  const auto pos = verify.output.find("ok ");
  ASSERT_NE(pos, std::string::npos);
  EXPECT_GT(std::atoi(verify.output.c_str() + pos + 3), 4 * kPerServer) << verify.output;
}

TEST_F(MultiServerTest, TaskComingDueNotifiesOnceWhateverServerLooks) {
  const Session worker = SignIn(0, "worker");
  const Session shelter = SignIn(1, "shelter");
  const std::string case_id = MakeCase(worker);
  Create(0, worker, "consents",
         {{"case_id", case_id},
          {"cns_Purpose", "Referral"},
          {"cns_Status", "Given"},
          {"cns_GivenBy", "Self"},
          {"cns_Method", "Thumbprint"}});
  const json referral = Create(1, worker, "referrals",
                               {{"case_id", case_id},
                                {"to_agency_id", AgencyId(worker, "BK-LWU-SHELTER")},
                                {"ref_Reason", "Needs a safe place to stay."},
                                {"ref_Urgency", "Urgent"},
                                {"ref_ServicesRequested", {"Shelter"}}});
  ASSERT_TRUE(referral.contains("id")) << referral.dump();
  // The answer is due in 1 hour (--referral-hours 1), inside the 24-hour
  // notice: the first look at the notifications, on either server, makes the
  // TaskDue notification. Both servers look many times at once.
  std::latch start(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int n = 0; n < 5; ++n) Call((t + n) % 2, "GET", "/api/v1/notifications", &shelter);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 2; ++i) {
    Reply r = Call(i, "GET", "/api/v1/notifications", &shelter);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    int due = 0;
    int received = 0;
    for (const auto& n : r.body["items"]) {
      due += n.value("kind", "") == "TaskDue";
      received += n.value("kind", "") == "ReferralReceived" && n.value("record_id", "") == referral["id"];
    }
    EXPECT_EQ(due, 1) << "server " << i << ": " << r.body.dump();
    EXPECT_EQ(received, 1) << "server " << i << ": " << r.body.dump();
  }
}

}  // namespace
}  // namespace ctims
