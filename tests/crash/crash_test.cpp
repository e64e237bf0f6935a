// Crash test: the real `ctims serve` is killed with SIGKILL while clients
// stream writes at it, again and again. Afterwards the SQLite file must be
// sound (integrity_check, foreign_key_check, history consistent with every
// record) and every write the server acknowledged with a 2xx must be there,
// complete, through the API of a freshly started server.
//
// A request that failed because of the kill (connection error, timeout) is
// "unknown": it may or may not have landed, and both are accepted.
//
// Environment:
//   CTIMS_BINARY            the ctims executable (set by ctims_test in CMake)
//   CTIMS_CRASH_SEED        replay a run's random choices (printed at start)
//   CTIMS_CRASH_ITERATIONS  kill/restart cycles (default 24, at least 20 run)
//   CTIMS_CRASH_KEEP        keep the temporary directory (always kept on failure)
#include <gtest/gtest.h>
#include <httplib.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/run_ctims.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kHost = "127.0.0.1";
constexpr int kMinIterations = 20;
constexpr int kDefaultIterations = 24;
constexpr int kWorkers = 3;
// Sanitizer builds start slowly; a healthy Release build answers in ~50 ms.
constexpr auto kHealthTimeout = std::chrono::seconds(20);
// Stop killing (after kMinIterations) once this much time went by, so the
// whole test, verification included, stays well under a minute.
constexpr auto kKillLoopBudget = std::chrono::seconds(35);

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// ---- processes -------------------------------------------------------------

// A child process that is SIGKILLed and reaped when the guard goes away, so
// no server outlives a failed assertion. The child also gets SIGKILL if this
// test process dies first (PR_SET_PDEATHSIG).
class Child {
 public:
  // Starts argv[0] with stdout written to `out_path` and stderr appended to
  // `log_path`. Returns nullptr when fork() fails; exec failures show as
  // exit status 127.
  static std::unique_ptr<Child> Spawn(const std::vector<std::string>& args, const std::string& out_path,
                                      const std::string& log_path, const std::string& in_path = "/dev/null") {
    // Everything the child needs is prepared before fork(): after it, only
    // async-signal-safe calls are allowed.
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const pid_t parent = ::getpid();
    const pid_t pid = (out_fd < 0 || log_fd < 0) ? -1 : ::fork();
    if (pid < 0) {
      if (out_fd >= 0) ::close(out_fd);
      if (log_fd >= 0) ::close(log_fd);
      return nullptr;
    }
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);
      // The test ignores SIGPIPE; the server must run as it would in
      // production, with the default disposition and no blocked signals.
      ::signal(SIGPIPE, SIG_DFL);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::dup2(out_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
      const int null_fd = ::open(in_path.c_str(), O_RDONLY);
      if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
      ::syscall(SYS_close_range, 3U, ~0U, 0U);  // client sockets, the log files
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out_fd);
    ::close(log_fd);
    return std::unique_ptr<Child>(new Child(pid));
  }

  ~Child() { Kill(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }

  // SIGKILL and reap. Returns the wait status (or -1 when already reaped).
  int Kill() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGKILL);
    return Reap(0);
  }

  // True (with the wait status) once the child has exited; does not block.
  bool Exited(int& status) {
    if (pid_ <= 0) {
      status = status_;
      return true;
    }
    if (Reap(WNOHANG) == -1 && pid_ > 0) return false;
    status = status_;
    return true;
  }

  // Waits up to `timeout` for the child to exit by itself; kills it on
  // timeout. Returns the wait status, or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    int status = 0;
    while (SteadyClock::now() < deadline) {
      if (Exited(status)) return status;
      std::this_thread::sleep_for(milliseconds(10));
    }
    Kill();
    return std::nullopt;
  }

 private:
  explicit Child(pid_t pid) : pid_(pid) {}

  int Reap(int flags) {
    int status = 0;
    pid_t r = 0;
    do {
      r = ::waitpid(pid_, &status, flags);
    } while (r < 0 && errno == EINTR);
    if (r == pid_) {
      status_ = status;
      pid_ = -1;
      return status_;
    }
    if (r < 0) {  // ECHILD: reaped elsewhere
      pid_ = -1;
      return status_;
    }
    return -1;  // still running (WNOHANG)
  }

  pid_t pid_;
  int status_ = -1;
};

std::string DescribeStatus(int status) {
  if (status < 0) return "unknown";
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Tail(const std::string& path, std::size_t bytes = 2000) {
  const std::string s = ReadFile(path);
  return s.size() > bytes ? "..." + s.substr(s.size() - bytes) : s;
}

struct Server {
  std::unique_ptr<Child> child;
  int port = -1;
};

// Starts `ctims serve` on a free port and waits until it printed that it
// listens there (so the port is ours, not another process's) and /health
// answers 200. On failure returns nullopt and sets `error`.
std::optional<Server> StartServer(const std::string& binary, const std::string& db, const std::string& dir,
                                  std::string& error) {
  const std::string log = dir + "/server.log";
  const std::string out = dir + "/server.out";
  for (int attempt = 0; attempt < 5; ++attempt) {
    Server s;
    s.port = ctims::testing_cli::FreeLoopbackPort();
    if (s.port <= 0) {
      error = "no free port";
      continue;
    }
    const std::string listen = std::string(kHost) + ":" + std::to_string(s.port);
    s.child =
        Child::Spawn({binary, "serve", "--db", db, "--key-file", dir + "/ctims.key", "--listen", listen}, out, log);
    if (!s.child) {
      error = std::string("fork failed: ") + std::strerror(errno);
      continue;
    }
    httplib::Client client(kHost, s.port);
    client.set_connection_timeout(0, 200000);
    client.set_read_timeout(2, 0);
    const auto deadline = SteadyClock::now() + kHealthTimeout;
    int status = 0;
    bool exited = false;
    while (SteadyClock::now() < deadline) {
      if (s.child->Exited(status)) {
        exited = true;
        break;
      }
      if (ReadFile(out).find("listening on " + listen + "\n") != std::string::npos) {
        if (auto r = client.Get("/api/v1/health"); r && r->status == 200) return s;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    if (!exited) {
      error = "server on port " + std::to_string(s.port) + " did not answer /api/v1/health within " +
              std::to_string(kHealthTimeout.count()) + " s; log:\n" + Tail(log);
      return std::nullopt;
    }
    // Most likely the port was taken in the meantime: try another.
    error = "server exited before answering (" + DescribeStatus(status) + "); log:\n" + Tail(log);
  }
  return std::nullopt;
}

// ---- what the clients did ---------------------------------------------------

// A person this run created and got a 2xx for. `fields` is what the record
// must hold at `version` (the last acknowledged write). After a PATCH whose
// outcome is unknown the person is frozen: the record may be at `version`
// with `fields`, or at `version + 1` with `pending`.
struct PersonLedger {
  std::string id;
  json fields;
  std::int64_t version = 0;
  std::optional<json> pending;
  bool frozen = false;
};

struct CaseLedger {
  std::string id;
  json sent;
};

// One client thread's view; only that thread touches it while it runs.
struct WorkerLedger {
  std::vector<PersonLedger> persons;
  std::vector<CaseLedger> cases;
  std::int64_t acked_creates = 0;
  std::int64_t acked_updates = 0;
  std::int64_t acked_cases = 0;
  std::int64_t unknown = 0;
  std::vector<std::string> unexpected;  // non-2xx answers: never expected here
};

// The crash user's session (sessions live in the database, so one sign-in
// outlasts every kill and restart).
httplib::Headers g_session;

json WithoutMeta(json record) {
  // possible_duplicates: a create's answer proposes matches (issue 8); it is
  // not part of the record.
  for (const char* meta : {"id", "version", "created_at", "updated_at", "possible_duplicates"}) record.erase(meta);
  return record;
}

constexpr const char* kCrashPassword = "crash test password, not a real one";

// Streams writes at one server until `stop`. Every answer is either an
// acknowledgement (recorded), a connection failure (unknown), or a bug.
void RunWorker(int port, int worker, int iteration, std::uint64_t seed, const std::vector<std::string>& agencies,
               const std::atomic<bool>& stop, WorkerLedger& ledger) {
  std::mt19937_64 rng(seed ^ (0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(iteration * 16 + worker + 1)));
  httplib::Client client(kHost, port);
  client.set_keep_alive(true);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(15, 0);  // sanitizer builds answer slowly under load
  client.set_write_timeout(5, 0);

  static const char* const kLaoNames[] = {"ສົມພອນ", "ບຸນມີ", "ແກ້ວ", "ນາງ ຄຳ", "ວັນນະ", "ມະນີ"};
  static const char* const kLaoFamily[] = {"ພົມມະຈັນ", "ສີສຸວັນ", "ແສງທອງ", "ວົງສາ"};
  // Index into ledger.persons of the person created in this run, or kNone.
  // (Not std::optional: GCC 12 -O2 reports a false maybe-uninitialized.)
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t just_created = kNone;
  int n = 0;

  while (!stop.load()) {
    ++n;
    const std::string marker = "crash-" + std::to_string(seed) + "-" + std::to_string(iteration) + "-" +
                               std::to_string(worker) + "-" + std::to_string(n);
    const int dice = static_cast<int>(rng() % 100);

    std::vector<std::size_t> patchable;
    for (std::size_t i = 0; i < ledger.persons.size(); ++i) {
      if (!ledger.persons[i].frozen) patchable.push_back(i);
    }

    if (dice < 25 && !patchable.empty()) {
      // PATCH with the version we hold; every patch changes something.
      PersonLedger& p = ledger.persons[patchable[rng() % patchable.size()]];
      json patch = {{"version", p.version},
                    {"prs_MiddleName", "upd-" + marker},
                    {"prs_NumberOfChildren", static_cast<int>(rng() % 31)}};
      if (rng() % 3 == 0) patch["prs_Aliases"] = json::array({"alias-" + marker});
      json expected = p.fields;
      for (const auto& [k, v] : patch.items()) {
        if (k != "version") expected[k] = v;
      }
      auto r = client.Patch("/api/v1/persons/" + p.id, g_session, patch.dump(), "application/json");
      if (!r) {
        ++ledger.unknown;
        p.frozen = true;
        p.pending = std::move(expected);
        if (!stop.load()) std::this_thread::sleep_for(milliseconds(5));
        continue;
      }
      if (r->status != 200) {
        ledger.unexpected.push_back("PATCH persons/" + p.id + " v" + std::to_string(p.version) + " -> " +
                                    std::to_string(r->status) + " " + r->body);
        p.frozen = true;  // state unclear; stop touching it, verify what we know
        continue;
      }
      const json body = json::parse(r->body, nullptr, false);
      if (!body.is_object() || body.value("version", std::int64_t{0}) != p.version + 1 ||
          WithoutMeta(body) != expected) {
        ledger.unexpected.push_back("PATCH persons/" + p.id + " answered " + r->body);
        p.frozen = true;
        continue;
      }
      p.version += 1;
      p.fields = std::move(expected);
      ++ledger.acked_updates;
    } else if (dice < 40 && just_created != kNone && !agencies.empty()) {
      // A case for the person just created (a reference that must hold).
      const PersonLedger& p = ledger.persons[just_created];
      just_created = kNone;
      json c = {{"person_id", p.id},
                {"owner_agency_id", agencies[rng() % agencies.size()]},
                {"cas_Summary", "case-" + marker},
                {"vic_TypeOfExploitation", json::array({"ForcedLabour"})},
                {"vic_ForcedLabourIndustry", json::array({"A_AgricultureForestryAndFishing"})},
                {"vic_MethodsOfControl", {{"DebtBondage", "Yes"}, {"WithholdsDocuments", "Unknown"}}}};
      auto r = client.Post("/api/v1/cases", g_session, c.dump(), "application/json");
      if (!r) {
        ++ledger.unknown;
        if (!stop.load()) std::this_thread::sleep_for(milliseconds(5));
        continue;
      }
      const json body = json::parse(r->body, nullptr, false);
      if (r->status != 201 || !body.is_object() || !body.contains("id") || !body["id"].is_string()) {
        ledger.unexpected.push_back("POST cases -> " + std::to_string(r->status) + " " + r->body);
        continue;
      }
      ledger.cases.push_back({body["id"].get<std::string>(), std::move(c)});
      ++ledger.acked_cases;
    } else {
      json person = {{"prs_FirstName", marker},
                     {"prs_SecondName", kLaoFamily[rng() % std::size(kLaoFamily)]},
                     {"prs_Sex", rng() % 2 == 0 ? "Female" : "Male"},
                     {"prs_Citizenship", json::array({"LA"})}};
      if (rng() % 2 == 0) person["prs_Aliases"] = json::array({kLaoNames[rng() % std::size(kLaoNames)]});
      if (rng() % 2 == 0) person["prs_LatinNames"] = json::array({"Somphone " + marker});
      auto r = client.Post("/api/v1/persons", g_session, person.dump(), "application/json");
      if (!r) {
        ++ledger.unknown;
        just_created = kNone;
        if (!stop.load()) std::this_thread::sleep_for(milliseconds(5));
        continue;
      }
      const json body = json::parse(r->body, nullptr, false);
      if (r->status != 201 || !body.is_object() || !body.contains("id") || !body["id"].is_string() ||
          body.value("version", std::int64_t{0}) != 1 || WithoutMeta(body) != person) {
        ledger.unexpected.push_back("POST persons -> " + std::to_string(r->status) + " " + r->body);
        continue;
      }
      ledger.persons.push_back({body["id"].get<std::string>(), std::move(person), 1, std::nullopt, false});
      just_created = ledger.persons.size() - 1;
      ++ledger.acked_creates;
    }
  }
}

// Joins the client threads whatever happens (an assertion returning early
// must not destroy a joinable std::thread).
struct Workers {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  ~Workers() { JoinAll(); }
  void JoinAll() {
    stop = true;
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
    threads.clear();
  }
};

// ---- checks on the file -----------------------------------------------------

// Runs `sql` and returns every row as "col|col|...".
std::vector<std::string> Query(sqlite3* db, const char* sql, std::string& error) {
  std::vector<std::string> rows;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    error = sqlite3_errmsg(db);
    return rows;
  }
  int rc = 0;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      row += (i ? "|" : "") + std::string(t ? t : "NULL");
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) error = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  return rows;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ctims-crash-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    if (path_.empty()) return;
    if (::testing::Test::HasFailure() || Env("CTIMS_CRASH_KEEP")) {
      std::printf("[ crash    ] kept %s (database and server logs)\n", path_.c_str());
      return;
    }
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(CrashTest, AcknowledgedWritesSurviveSigkill) {
  const auto started = SteadyClock::now();
  const auto binary = Env("CTIMS_BINARY");
  ASSERT_TRUE(binary) << "CTIMS_BINARY must name the ctims executable (ctest sets it)";
  ASSERT_EQ(::access(binary->c_str(), X_OK), 0) << *binary << " is not executable";
  // A write to a connection the killed server left behind must be an error,
  // not the end of the test.
  ::signal(SIGPIPE, SIG_IGN);

  std::uint64_t seed = std::random_device{}();
  if (auto s = Env("CTIMS_CRASH_SEED")) seed = std::stoull(*s);
  int iterations = kDefaultIterations;
  if (auto s = Env("CTIMS_CRASH_ITERATIONS")) iterations = std::max(kMinIterations, std::stoi(*s));
  std::printf("[ crash    ] seed %llu (replay the choices with CTIMS_CRASH_SEED=%llu)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  std::mt19937_64 rng(seed);

  TempDir dir;
  ASSERT_FALSE(dir.path().empty()) << "mkdtemp failed";
  const std::string db = dir.path() + "/crash.db";
  const std::string log = dir.path() + "/server.log";  // every start's stderr

  {
    auto seeder = Child::Spawn({*binary, "seed", "--db", db}, dir.path() + "/seed.out", dir.path() + "/seed.log");
    ASSERT_TRUE(seeder);
    const auto status = seeder->Wait(std::chrono::seconds(60));
    ASSERT_TRUE(status) << "ctims seed did not finish in 60 s";
    ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "ctims seed: " << DescribeStatus(*status) << "\n"
        << Tail(dir.path() + "/seed.out") << Tail(dir.path() + "/seed.log");
  }

  {
    auto keys = Child::Spawn({*binary, "keys", "init", "--key-file", dir.path() + "/ctims.key"},
                             dir.path() + "/keys.out", dir.path() + "/keys.log");
    ASSERT_TRUE(keys);
    const auto status = keys->Wait(std::chrono::seconds(30));
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << Tail(dir.path() + "/keys.log");
  }
  {
    const std::string pw = dir.path() + "/password";
    {
      std::FILE* f = std::fopen(pw.c_str(), "w");
      ASSERT_NE(f, nullptr);
      std::fputs(kCrashPassword, f);
      std::fclose(f);
    }
    auto adder = Child::Spawn({*binary, "user", "add", "crash", "--agency", "BK-DMC-TPH", "--role", "supervisor",
                               "--password-stdin", "--db", db},
                              dir.path() + "/user.out", dir.path() + "/user.log", pw);
    ASSERT_TRUE(adder);
    const auto status = adder->Wait(std::chrono::seconds(60));
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "ctims user add failed\n"
        << Tail(dir.path() + "/user.out") << Tail(dir.path() + "/user.log");
  }

  std::vector<std::string> agencies;
  std::vector<WorkerLedger> ledgers(kWorkers);
  int done = 0;
  std::vector<int> kill_delays;

  for (int it = 0; it < iterations; ++it) {
    if (it >= kMinIterations && SteadyClock::now() - started > kKillLoopBudget) break;
    std::string error;
    auto server = StartServer(*binary, db, dir.path(), error);
    ASSERT_TRUE(server) << "iteration " << it << ": " << error;

    if (agencies.empty()) {
      httplib::Client client(kHost, server->port);
      client.set_read_timeout(10, 0);
      // Sign in as the crash user (a supervisor of BK-DMC-TPH: its cases
      // belong to that agency).
      auto in = client.Post("/api/v1/session", json{{"username", "crash"}, {"password", kCrashPassword}}.dump(),
                            "application/json");
      ASSERT_TRUE(in && in->status == 201) << "sign-in failed: " << (in ? in->body : "no answer");
      const std::string set_cookie = in->get_header_value("Set-Cookie");
      g_session = {{"Cookie", set_cookie.substr(0, set_cookie.find(';'))},
                   {"X-CSRF-Token", json::parse(in->body)["csrf_token"].get<std::string>()}};
      auto r = client.Get("/api/v1/agencies?org_Code=BK-DMC-TPH", g_session);
      ASSERT_TRUE(r && r->status == 200) << "GET agencies failed";
      const json page = json::parse(r->body, nullptr, false);
      ASSERT_TRUE(page.is_object() && page.contains("items")) << r->body;
      for (const auto& a : page["items"]) agencies.push_back(a["id"].get<std::string>());
      ASSERT_FALSE(agencies.empty()) << "ctims seed loaded no agencies";
    }

    const int delay_ms = 50 + static_cast<int>(rng() % 351);
    kill_delays.push_back(delay_ms);
    {
      Workers workers;
      for (int w = 0; w < kWorkers; ++w) {
        workers.threads.emplace_back(RunWorker, server->port, w, it, seed, std::cref(agencies), std::cref(workers.stop),
                                     std::ref(ledgers[w]));
      }
      std::this_thread::sleep_for(milliseconds(delay_ms));
      int status = 0;
      const bool died_early = server->child->Exited(status);
      if (!died_early) status = server->child->Kill();
      workers.JoinAll();
      // Anything but our SIGKILL is a crash of the server itself.
      ASSERT_FALSE(died_early) << "iteration " << it << ": the server died by itself (" << DescribeStatus(status)
                               << "); log:\n"
                               << Tail(log);
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
          << "iteration " << it << ": " << DescribeStatus(status);
    }
    ++done;
  }

  std::int64_t creates = 0, updates = 0, cases = 0, unknown = 0;
  std::size_t unexpected = 0;
  for (const auto& l : ledgers) {
    creates += l.acked_creates;
    updates += l.acked_updates;
    cases += l.acked_cases;
    unknown += l.unknown;
    for (const auto& u : l.unexpected) {
      if (++unexpected <= 10) ADD_FAILURE() << "unexpected answer: " << u;
    }
  }
  EXPECT_EQ(unexpected, 0U) << "answers other than 2xx or a dropped connection (first 10 above)";
  std::printf(
      "[ crash    ] %d kills in %.1f s; acknowledged: %lld person creates, %lld updates, %lld cases; "
      "%lld unknown\n",
      done, SecondsSince(started), static_cast<long long>(creates), static_cast<long long>(updates),
      static_cast<long long>(cases), static_cast<long long>(unknown));
  std::fflush(stdout);
  EXPECT_GE(done, kMinIterations);
  EXPECT_GT(creates, 0) << "no write was acknowledged: the test proved nothing";

  // ---- the file, as the last kill left it ----
  {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> conn(raw, &sqlite3_close);
    ASSERT_EQ(rc, SQLITE_OK) << sqlite3_errstr(rc);
    std::string error;
    const auto integrity = Query(conn.get(), "PRAGMA integrity_check", error);
    ASSERT_EQ(error, "");
    EXPECT_EQ(integrity, std::vector<std::string>{"ok"});
    const auto dangling = Query(conn.get(), "PRAGMA foreign_key_check", error);
    ASSERT_EQ(error, "");
    EXPECT_TRUE(dangling.empty()) << dangling.size() << " dangling reference(s), first: " << dangling.front();
    // Writes whose answer the kill swallowed may have landed: show how many
    // did, which tells whether kills hit between commit and answer.
    const auto rows = Query(conn.get(), "SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM cases)", error);
    ASSERT_EQ(error, "");
    std::printf(
        "[ crash    ] in the file: persons|cases = %s (acknowledged %lld|%lld; the rest are unknown writes "
        "that landed)\n",
        rows.empty() ? "?" : rows.front().c_str(), static_cast<long long>(creates), static_cast<long long>(cases));
    // Nothing is ever deleted here, so every record has exactly one history
    // row per version (create + updates), and every history row has its
    // record: a record and its history commit together or not at all.
    for (const char* resource : {"persons", "cases"}) {
      const std::string table = resource;
      const std::string per_record =
          "SELECT r.id, r.version, (SELECT count(*) FROM record_history h WHERE h.resource = '" + table +
          "' AND h.record_id = r.id) AS n, (SELECT count(*) FROM record_history h "
          "WHERE h.resource = '" +
          table +
          "' AND h.record_id = r.id AND h.version = 1 AND "
          "h.action = 'create') AS c FROM " +
          table + " r WHERE n != r.version OR c != 1";
      const auto bad = Query(conn.get(), per_record.c_str(), error);
      ASSERT_EQ(error, "");
      EXPECT_TRUE(bad.empty()) << resource << ": " << bad.size()
                               << " record(s) whose history does not match, first: " << bad.front();
      const std::string orphans = "SELECT h.seq, h.record_id FROM record_history h WHERE h.resource = '" + table +
                                  "' AND NOT EXISTS (SELECT 1 FROM " + table + " r WHERE r.id = h.record_id)";
      const auto orphan_rows = Query(conn.get(), orphans.c_str(), error);
      ASSERT_EQ(error, "");
      EXPECT_TRUE(orphan_rows.empty()) << resource << ": history rows without a record, first: " << orphan_rows.front();
    }
  }

  // ---- every acknowledged write, through the API ----
  std::string error;
  auto server = StartServer(*binary, db, dir.path(), error);
  ASSERT_TRUE(server) << "final start: " << error;
  httplib::Client client(kHost, server->port);
  client.set_keep_alive(true);
  client.set_read_timeout(15, 0);

  auto get = [&](const std::string& path, json& out) -> std::string {
    auto r = client.Get(path, g_session);
    if (!r) return "GET " + path + ": " + httplib::to_string(r.error());
    if (r->status != 200) return "GET " + path + " -> " + std::to_string(r->status) + " " + r->body;
    out = json::parse(r->body, nullptr, false);
    if (!out.is_object()) return "GET " + path + ": not a JSON object";
    return "";
  };
  // The history of a record at `version`: one entry per version, create first.
  auto check_history = [&](const std::string& resource, const std::string& id, std::int64_t version) {
    json h;
    const std::string e = get("/api/v1/" + resource + "/" + id + "/history", h);
    if (!e.empty()) {
      ADD_FAILURE() << e;
      return;
    }
    const auto& items = h["items"];
    ASSERT_TRUE(items.is_array()) << resource << "/" << id;
    ASSERT_EQ(static_cast<std::int64_t>(items.size()), version) << resource << "/" << id << " history " << h.dump();
    for (std::size_t i = 0; i < items.size(); ++i) {
      EXPECT_EQ(items[i].value("version", std::int64_t{0}), static_cast<std::int64_t>(i + 1)) << h.dump();
      EXPECT_EQ(items[i].value("action", ""), i == 0 ? "create" : "update") << h.dump();
    }
  };

  std::size_t checked = 0;
  for (const auto& l : ledgers) {
    for (const auto& p : l.persons) {
      json rec;
      const std::string e = get("/api/v1/persons/" + p.id, rec);
      if (!e.empty()) {
        ADD_FAILURE() << "acknowledged person lost: " << e;
        continue;
      }
      const auto version = rec.value("version", std::int64_t{0});
      if (version == p.version) {
        EXPECT_EQ(WithoutMeta(rec), p.fields) << "person " << p.id << " at acknowledged version " << version;
      } else if (p.pending && version == p.version + 1) {
        EXPECT_EQ(WithoutMeta(rec), *p.pending) << "person " << p.id << " at the unknown PATCH's version " << version;
      } else {
        ADD_FAILURE() << "person " << p.id << " is at version " << version << "; acknowledged " << p.version
                      << (p.pending ? " (+1 unknown)" : "") << "\n got " << rec.dump() << "\n want " << p.fields.dump();
      }
      check_history("persons", p.id, version);
      ++checked;
    }
    for (const auto& c : l.cases) {
      json rec;
      const std::string e = get("/api/v1/cases/" + c.id, rec);
      if (!e.empty()) {
        ADD_FAILURE() << "acknowledged case lost: " << e;
        continue;
      }
      EXPECT_EQ(rec.value("version", std::int64_t{0}), 1) << c.id;
      for (const auto& [k, v] : c.sent.items()) {
        EXPECT_EQ(rec.value(k, json()), v) << "case " << c.id << " field " << k;
      }
      check_history("cases", c.id, 1);
      ++checked;
    }
  }
  std::printf("[ crash    ] verified %zu acknowledged records through the API; total %.1f s\n", checked,
              SecondsSince(started));
  const int status = server->child->Kill();
  EXPECT_TRUE(WIFSIGNALED(status)) << DescribeStatus(status);
}

}  // namespace
