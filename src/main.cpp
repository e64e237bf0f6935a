// ctims: wires the layers together and parses the command line. No logic of
// its own lives here.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>
#include <thread>
#include <vector>

#include "app/audit_log.hpp"
#include "app/auth_service.hpp"
#include "app/dedupe.hpp"
#include "app/demo_caseload.hpp"
#include "app/export_service.hpp"
#include "app/field_cipher.hpp"
#include "app/identity_store.hpp"
#include "app/key_rotation.hpp"
#include "app/person_search.hpp"
#include "app/record_service.hpp"
#include "app/reference_data.hpp"
#include "app/report_facts.hpp"
#include "app/report_service.hpp"
#include "app/taskforce_policy.hpp"
#include "app/taskforce_service.hpp"
#include "core/clock.hpp"
#include "core/keyring.hpp"
#include "core/log.hpp"
#include "core/signing_key.hpp"
#include "domain/codelists.hpp"
#include "export/plan_export.hpp"
#include "export/report_export.hpp"
#include "http/server.hpp"
#include "search/person_match.hpp"
#include "storage/postgres/postgres_backup.hpp"
#include "storage/postgres/postgres_store.hpp"
#include "storage/sqlite/sqlite_backup.hpp"
#include "storage/sqlite/sqlite_store.hpp"

#ifndef CTIMS_VERSION
#define CTIMS_VERSION "0.0.0"
#endif

namespace {

using ctims::core::Log;
using ctims::core::LogLevel;

constexpr const char* kDefaultDb = "var/ctims.db";
constexpr const char* kDbHelp = "SQLite database file, or a PostgreSQL URI (postgresql://user@host/dbname)";

// --db: a PostgreSQL URI ("postgresql://user@host/dbname?...") selects the
// PostgreSQL backend; anything else is a SQLite file.
bool IsPostgres(const std::string& db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

// `bulk`: a bulk writer (demo, dedupe): on SQLite a 256 MiB page cache and
// a WAL of up to 400 MiB between checkpoints (see SqliteOptions).
ctims::core::Result<std::unique_ptr<ctims::app::Store>> OpenBackend(const std::string& db, bool bulk = false) {
  if (IsPostgres(db)) {
    ctims::storage::postgres::PostgresOptions options;
    options.conninfo = db;
    return ctims::storage::postgres::OpenPostgresStore(options);
  }
  if (auto parent = std::filesystem::path(db).parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
  }
  return ctims::storage::sqlite::OpenSqliteStore(
      {.path = db, .cache_kib = bulk ? 256 * 1024 : 0, .wal_autocheckpoint_pages = bulk ? 100000 : 0});
}

std::unique_ptr<ctims::app::Store> OpenStore(const std::string& db, bool migrate, bool bulk = false) {
  auto store = OpenBackend(db, bulk);
  if (!store.ok()) {
    std::fprintf(stderr, "ctims: %s\n", store.status().ToString().c_str());
    return nullptr;
  }
  if (migrate) {
    auto version = (*store)->Migrate();
    if (!version.ok()) {
      std::fprintf(stderr, "ctims: migration failed: %s\n", version.status().ToString().c_str());
      return nullptr;
    }
    // The built-in roles are data that ships with each version.
    if (auto* identity = ctims::app::AsIdentityStore(**store); identity != nullptr) {
      ctims::app::AuthService auth(*identity, ctims::core::SystemClock());
      if (auto s = auth.EnsureBuiltinRoles(); !s.ok()) {
        std::fprintf(stderr, "ctims: cannot install the built-in roles: %s\n", s.ToString().c_str());
        return nullptr;
      }
    }
  }
  return std::move(store).value();
}

// Splits "HOST:PORT" (HOST may be [::1]).
bool SplitListen(const std::string& listen, std::string& host, int& port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    return used == listen.size() - colon - 1 && port > 0 && port < 65536;
  } catch (...) {
    return false;
  }
}

// The web app's build output beside the executable (build/release/ctims ->
// build/web), when it was built; else empty (the API only).
std::string DefaultWebRoot() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const std::filesystem::path web = exe.parent_path().parent_path() / "web";
  return std::filesystem::is_regular_file(web / "index.html", ec) ? web.string() : std::string();
}

struct ServeCommand {
  std::string listen = "127.0.0.1:8080";
  bool access_log = false;
  bool demo = false;
  std::string web_root;  // the built web app; empty: build/web beside the binary, if built
  std::string tls_cert;
  std::string tls_key;
  bool tls_proxy = false;                    // a TLS-terminating proxy in front: Secure cookies, any address
  std::vector<std::string> trusted_proxies;  // proxies whose X-Forwarded-For names the client
  int referral_hours = 48;                   // a referral unanswered this long is overdue (issue 4 §3)
  int min_cell = 5;              // reports: smallest count shown to roles without identity access (issue 5 §3)
  bool no_report_facts = false;  // issue 5 §6: count every report from the database, no in-memory facts
  std::string dhis2_mapping;     // issue 5 exports: DHIS2 mapping file; empty: no DHIS2/ADX export
};

// issue 5 exports: the DHIS2 mapping file, if one is named. False (and a
// message naming the file's bad fields) when it cannot be used.
bool LoadDhis2Mapping(const std::string& path, std::optional<ctims::exports::Dhis2Mapping>& mapping) {
  if (path.empty()) return true;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "ctims: cannot read the DHIS2 mapping %s\n", path.c_str());
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto m = ctims::exports::ParseDhis2Mapping(text.str());
  if (!m.ok()) {
    std::fprintf(stderr, "ctims: DHIS2 mapping %s: %s\n", path.c_str(), m.status().ToString().c_str());
    for (const auto& f : m.status().field_errors()) {
      std::fprintf(stderr, "  %s: %s (%s)\n", f.path.c_str(), f.rule.c_str(), f.message.c_str());
    }
    return false;
  }
  mapping = std::move(*m);
  return true;
}

// The key ring of `key_file` for a command that opens sealed fields. Prints
// `missing` (why the command needs one) when no file is given, or why the
// file was refused, and returns nothing: the command then exits with 2.
std::optional<ctims::core::KeyRing> RequireKeyRing(const std::string& key_file, const char* missing) {
  if (key_file.empty()) {
    std::fprintf(stderr, "ctims: %s\n", missing);
    return std::nullopt;
  }
  auto ring = ctims::core::LoadKeyFile(key_file);
  if (!ring.ok()) {
    std::fprintf(stderr, "ctims: %s\n", ring.status().ToString().c_str());
    return std::nullopt;
  }
  return std::move(ring).value();
}

int Serve(const std::string& db, const std::string& key_file, const ServeCommand& cmd) {
  ctims::http::ServerOptions options;
  options.access_log = cmd.access_log;
  if (!SplitListen(cmd.listen, options.host, options.port)) {
    std::fprintf(stderr, "ctims: --listen must be HOST:PORT\n");
    return 2;
  }
  if (cmd.tls_cert.empty() != cmd.tls_key.empty()) {
    std::fprintf(stderr, "ctims: --tls-cert and --tls-key go together\n");
    return 2;
  }
  options.tls_cert_file = cmd.tls_cert;
  options.tls_key_file = cmd.tls_key;
  options.secure_cookies = !cmd.tls_cert.empty() || cmd.tls_proxy;
  options.trusted_proxies = cmd.trusted_proxies;
  options.web_root = cmd.web_root.empty() ? DefaultWebRoot() : cmd.web_root;
  // Session cookies and personal data never cross a network in clear: off
  // this machine, either ctims speaks TLS or a proxy in front of it does.
  if (!ctims::http::IsLoopback(options.host) && cmd.tls_cert.empty() && !cmd.tls_proxy) {
    std::fprintf(stderr,
                 "ctims: refusing plain HTTP on %s: give --tls-cert and --tls-key, or --tls-proxy when a "
                 "TLS-terminating proxy is in front\n",
                 options.host.c_str());
    return 2;
  }
  const std::string& listen = cmd.listen;
  const bool demo = cmd.demo;
  // Block the stop signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Identifying fields are sealed at rest with keys kept outside the
  // database: no key file, no service.
  auto ring = RequireKeyRing(key_file, "serve needs --key-file (or CTIMS_KEY_FILE); create one with `ctims keys init`");
  if (!ring) return 2;
  auto store = OpenStore(db, /*migrate=*/true);
  if (!store) return 1;
  auto* identity = ctims::app::AsIdentityStore(*store);
  if (identity == nullptr) {
    std::fprintf(stderr, "ctims: the %s backend has no identity store\n", store->BackendName().c_str());
    return 1;
  }
  ctims::app::AuthOptions auth_options;
  auth_options.keyring = &*ring;
  ctims::app::AuthService auth(*identity, ctims::core::SystemClock(), auth_options);
  // Demo accounts have published passwords: never on a real database.
  auto has_demo = auth.HasDemoUsers();
  if (!has_demo.ok()) {
    std::fprintf(stderr, "ctims: %s\n", has_demo.status().ToString().c_str());
    return 1;
  }
  if (*has_demo && !demo) {
    std::fprintf(stderr,
                 "ctims: this database has demo accounts (published passwords); refusing to serve it without "
                 "--demo\n");
    return 2;
  }
  ctims::app::AuditLog audit(*store, ctims::core::SystemClock());
  ctims::app::FieldCipher cipher(*ring);
  ctims::app::RecordServiceOptions record_options;
  record_options.audit = &audit;
  record_options.cipher = &cipher;
  record_options.referral_answer_time = std::chrono::hours(cmd.referral_hours);
  ctims::app::TaskforcePolicy taskforce_policy(ctims::core::SystemClock());  // issue 7
  record_options.policy = &taskforce_policy;
  ctims::app::RecordService service(*store, ctims::domain::CodeLists::Builtin(), ctims::core::SystemClock(),
                                    record_options);
  options.audit = &audit;
  ctims::app::ReportServiceOptions report_options;
  report_options.min_cell = cmd.min_cell;
  report_options.audit = &audit;
  report_options.cipher = &cipher;
  // issue 5 §6: the assistance and SDG reports from in-memory facts, built
  // by the first report and refreshed from record_history before each one.
  ctims::app::ReportFacts report_facts(*store, &cipher);
  if (!cmd.no_report_facts) report_options.facts = &report_facts;
  ctims::app::ReportService reports(*store, ctims::core::SystemClock(), report_options);
  options.reports = &reports;
  // issue 7: taskforces, plans of action and directives; the plan's exports.
  ctims::app::TaskforceService taskforce(service, &reports, ctims::core::SystemClock());
  options.taskforce = &taskforce;
  options.plan_xlsx = [](const nlohmann::json& plan) { return ctims::exports::PlanXlsx(plan); };
  options.plan_html = [](const nlohmann::json& plan) { return ctims::exports::PlanHtml(plan); };
  std::optional<ctims::exports::Dhis2Mapping> dhis2_mapping;
  if (!LoadDhis2Mapping(cmd.dhis2_mapping, dhis2_mapping)) return 2;
  ctims::exports::ReportExporter exporter(std::move(dhis2_mapping));
  ctims::app::ExportService exports(reports, exporter, &audit, &service);
  options.exports = &exports;
  ctims::http::HttpServer server(service, auth, *store, options);
  if (auto s = server.Bind(); !s.ok()) {
    std::fprintf(stderr, "ctims: %s\n", s.ToString().c_str());
    return 1;
  }
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    Log(LogLevel::kInfo, "stopping on signal " + std::to_string(sig));
    server.Stop();
  });
  stopper.detach();
  // issue 5 §6: build the report facts while the server already answers, so
  // the first report of the day does not wait for them (about 25 s at
  // 1,000,000 persons). A report that comes earlier waits on the same build;
  // a failure here is retried by the first report.
  std::thread facts_warmup;
  if (!cmd.no_report_facts) {
    facts_warmup = std::thread([&report_facts] {
      const auto start = std::chrono::steady_clock::now();
      const auto s = report_facts.Refresh();
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
      if (s.ok()) {
        Log(LogLevel::kInfo, "report facts ready in " + std::to_string(ms) + " ms");
      } else {
        Log(LogLevel::kWarning, "report facts not built at start (the first report retries): " + s.ToString());
      }
    });
  }
  Log(LogLevel::kInfo, std::string("ctims " CTIMS_VERSION " serving ") +
                           (options.tls_cert_file.empty() ? "http" : "https") + "://" + listen + " on " +
                           store->BackendName());
  std::printf("listening on %s:%d\n", options.host.c_str(), server.port());
  std::fflush(stdout);
  server.Run();
  if (facts_warmup.joinable()) facts_warmup.join();
  return 0;
}

// Reads one line from standard input (a password given with
// --password-stdin), without its line ending.
std::string ReadSecretLine() {
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

void PrintFieldErrors(const ctims::core::Status& status) {
  std::fprintf(stderr, "ctims: %s\n", status.message().c_str());
  for (const auto& e : status.field_errors()) {
    std::fprintf(stderr, "  %s: %s%s%s\n", e.path.c_str(), e.rule.c_str(), e.message.empty() ? "" : " - ",
                 e.message.c_str());
  }
}

// `ctims export htcds-cases`: the HTCDS case export as the operator (every
// case in the database, or those the filters select), written as the same
// AES-256 encrypted archive the API returns, audited as an export.
struct ExportCommand {
  std::string out;
  std::vector<std::string> filters;  // key=value, as GET /api/v1/cases takes them
};

int ExportHtcds(const std::string& db, const std::string& key_file, const ExportCommand& cmd) {
  auto ring = RequireKeyRing(key_file, "export needs --key-file (or CTIMS_KEY_FILE): names and birth dates are sealed");
  if (!ring) return 2;
  ctims::app::HtcdsExportRequest request;
  for (const auto& f : cmd.filters) {
    const auto eq = f.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "ctims: --filter takes KEY=VALUE\n");
      return 2;
    }
    request.filters.emplace_back(f.substr(0, eq), f.substr(eq + 1));
  }
  request.password = ReadSecretLine();
  auto store = OpenStore(db, /*migrate=*/true);
  if (!store) return 1;
  ctims::app::AuditLog audit(*store, ctims::core::SystemClock());
  ctims::app::FieldCipher cipher(*ring);
  ctims::app::RecordServiceOptions record_options;
  record_options.audit = &audit;
  record_options.cipher = &cipher;
  ctims::app::RecordService service(*store, ctims::domain::CodeLists::Builtin(), ctims::core::SystemClock(),
                                    record_options);
  ctims::app::ReportServiceOptions report_options;
  report_options.audit = &audit;
  report_options.cipher = &cipher;
  ctims::app::ReportService reports(*store, ctims::core::SystemClock(), report_options);
  ctims::exports::ReportExporter exporter(std::nullopt);
  ctims::app::ExportService exports(reports, exporter, &audit, &service);
  // The operator's principal reads everything but exports nothing by
  // default: this command is the one place it does.
  ctims::app::Principal who = ctims::app::SystemPrincipal();
  who.role.permissions.insert({"cases", "export"});
  auto file = exports.Htcds(request, who);
  if (!file.ok()) {
    PrintFieldErrors(file.status());
    return file.status().code() == ctims::core::StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::ofstream out(cmd.out, std::ios::binary | std::ios::trunc);
  out.write(file->body.data(), static_cast<std::streamsize>(file->body.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "ctims: cannot write %s\n", cmd.out.c_str());
    return 1;
  }
  std::fprintf(stderr, "%s: %lld cases, encrypted (AES-256)\n", cmd.out.c_str(), static_cast<long long>(file->rows));
  return 0;
}

struct UserCommand {
  std::string action;  // add, passwd, disable, enable, list
  std::string name;
  std::string agency;
  std::string role;
  std::string display_name;
  bool password_stdin = false;
  bool demo = false;
};

// `ctims user ...`: account administration on this machine. It acts with the
// operator's own authority (whoever can run the binary on the database can
// already read it), so it checks no role.
int User(const std::string& db, const std::string& key_file, const UserCommand& cmd) {
  auto store = OpenStore(db, /*migrate=*/true);
  if (!store) return 1;
  ctims::app::IdentityStore* identity = ctims::app::AsIdentityStore(*store);
  if (identity == nullptr) {
    std::fprintf(stderr, "ctims: this storage backend has no identity store\n");
    return 1;
  }
  // With a key file, TOTP secrets are sealed with it (without one, AuthService
  // keeps its development fallback).
  std::optional<ctims::core::KeyRing> ring;
  if (!key_file.empty()) {
    auto loaded = ctims::core::LoadKeyFile(key_file);
    if (!loaded.ok()) {
      std::fprintf(stderr, "ctims: %s\n", loaded.status().ToString().c_str());
      return 1;
    }
    ring.emplace(std::move(loaded).value());
  }
  ctims::app::AuthOptions auth_options;
  auth_options.keyring = ring ? &*ring : nullptr;
  ctims::app::AuthService auth(*identity, ctims::core::SystemClock(), auth_options);
  if ((cmd.action == "add" || cmd.action == "passwd") && !cmd.password_stdin) {
    std::fprintf(stderr, "ctims: give the password on standard input with --password-stdin\n");
    return 2;
  }
  if (cmd.action == "add") {
    ctims::app::NewUser user;
    user.username = cmd.name;
    user.display_name = cmd.display_name.empty() ? cmd.name : cmd.display_name;
    user.agency = cmd.agency;
    user.role_code = cmd.role;
    user.password = ReadSecretLine();
    user.is_demo = cmd.demo;
    auto created = auth.CreateUser(user);
    if (!created.ok()) {
      PrintFieldErrors(created.status());
      return 1;
    }
    std::printf("user %s created (role %s)\n", created->username.c_str(), created->role_code.c_str());
    auto roles = auth.ListRoles();
    bool needs_totp = false;
    if (roles.ok()) {
      for (const auto& r : *roles) needs_totp = needs_totp || (r.code == created->role_code && r.requires_totp);
    }
    if (needs_totp) {
      // Enrolled here, so nobody who learns the password can enrol their own
      // authenticator first. Shown once; never logged.
      auto enrolment = auth.EnrolTotpForUser(created->id);
      if (!enrolment.ok()) {
        PrintFieldErrors(enrolment.status());
        return 1;
      }
      std::printf("this role requires a second factor; add this to the user's authenticator app now:\n  %s\n  %s\n",
                  enrolment->otpauth_uri.c_str(), enrolment->secret_base32.c_str());
    }
    return 0;
  }
  if (cmd.action == "passwd") {
    auto s = auth.SetPassword(cmd.name, ReadSecretLine());
    if (!s.ok()) {
      PrintFieldErrors(s);
      return 1;
    }
    std::printf("password of %s changed; their sessions are ended\n", cmd.name.c_str());
    return 0;
  }
  if (cmd.action == "disable" || cmd.action == "enable") {
    auto s = cmd.action == "disable" ? auth.DisableUser(cmd.name) : auth.EnableUser(cmd.name);
    if (!s.ok()) {
      PrintFieldErrors(s);
      return 1;
    }
    std::printf("user %s %sd\n", cmd.name.c_str(), cmd.action.c_str());
    return 0;
  }
  auto users = auth.ListUsers();
  if (!users.ok()) {
    PrintFieldErrors(users.status());
    return 1;
  }
  std::printf("%-24s %-24s %-38s %s\n", "USERNAME", "ROLE", "AGENCY", "STATE");
  for (const auto& u : *users) {
    std::string state = u.disabled ? "disabled" : (u.locked ? "locked" : "active");
    if (u.totp_enrolled) state += ",totp";
    if (u.is_demo) state += ",demo";
    std::printf("%-24s %-24s %-38s %s\n", u.username.c_str(), u.role_code.c_str(), u.agency_id.c_str(), state.c_str());
  }
  return 0;
}

struct AuditCommand {
  std::string checkpoint_file;
  std::string public_key;
  std::string signing_key;
};

// Opens an existing database without migrating it: the audit commands only
// read, and must not create an empty database where the real one is missing.
std::unique_ptr<ctims::app::Store> OpenExistingStore(const std::string& db) {
  if (!IsPostgres(db) && !std::filesystem::exists(db)) {
    std::fprintf(stderr, "ctims: no database at %s\n", db.c_str());
    return nullptr;
  }
  return OpenStore(db, /*migrate=*/false);
}

// `ctims audit checkpoint`: prints the signed head of the log, to be kept off
// the server. Creates the signing key file (0600) on first use.
int RunAuditCheckpoint(const std::string& db, const AuditCommand& cmd) {
  bool created = false;
  auto keys = ctims::core::LoadOrInitSigningKeyFile(cmd.signing_key, &created);
  if (!keys.ok()) {
    std::fprintf(stderr, "ctims: %s\n", keys.status().ToString().c_str());
    return 2;
  }
  if (created) {
    std::fprintf(stderr, "ctims: created signing key %s; record its public key off the server: %s\n",
                 cmd.signing_key.c_str(), ctims::core::FormatSigningPublicKey(keys->public_key).c_str());
  }
  auto store = OpenExistingStore(db);
  if (!store) return 2;
  auto checkpoint = ctims::app::MakeCheckpoint(*store, keys->secret_key, ctims::core::SystemClock());
  if (!checkpoint.ok()) {
    std::fprintf(stderr, "ctims: %s\n", checkpoint.status().ToString().c_str());
    return 2;
  }
  std::printf("%s\n", ctims::app::FormatCheckpoint(*checkpoint).c_str());
  return 0;
}

// `ctims audit verify`: exit 0 "ok N events"; exit 1 when the chain or the
// checkpoint is broken; exit 2 when verification could not run.
int RunAuditVerify(const std::string& db, const AuditCommand& cmd) {
  std::optional<ctims::app::AuditCheckpoint> checkpoint;
  std::string public_key;
  if (!cmd.checkpoint_file.empty()) {
    std::ifstream in(cmd.checkpoint_file);
    if (!in) {
      std::fprintf(stderr, "ctims: cannot read %s\n", cmd.checkpoint_file.c_str());
      return 2;
    }
    std::stringstream contents;
    contents << in.rdbuf();
    auto parsed = ctims::app::ParseCheckpointFile(contents.str());
    if (!parsed.ok()) {
      std::fprintf(stderr, "ctims: %s: %s\n", cmd.checkpoint_file.c_str(), parsed.status().message().c_str());
      return 2;
    }
    checkpoint = *parsed;
    if (!cmd.public_key.empty()) {
      auto key = ctims::core::ParseSigningPublicKey(cmd.public_key);
      if (!key.ok()) {
        std::fprintf(stderr, "ctims: --public-key: %s\n", key.status().message().c_str());
        return 2;
      }
      public_key = *key;
    } else if (!cmd.signing_key.empty()) {
      auto keys = ctims::core::LoadSigningKeyFile(cmd.signing_key);
      if (!keys.ok()) {
        std::fprintf(stderr, "ctims: %s\n", keys.status().ToString().c_str());
        return 2;
      }
      public_key = keys->public_key;
    } else {
      std::fprintf(stderr, "ctims: --checkpoint needs --public-key or --signing-key to check its signature\n");
      return 2;
    }
  }
  auto store = OpenExistingStore(db);
  if (!store) return 2;
  auto result = ctims::app::VerifyAudit(*store, checkpoint, public_key);
  if (!result.ok()) {
    std::fprintf(stderr, "ctims: cannot verify: %s\n", result.status().ToString().c_str());
    return 2;
  }
  if (result->ok) {
    std::printf("ok %lld events\n", static_cast<long long>(result->count));
    return 0;
  }
  if (result->broken_seq == 0) {
    std::printf("checkpoint rejected: %s\n", result->reason.c_str());
  } else {
    std::printf("broken at event %lld: %s\n", static_cast<long long>(result->broken_seq), result->reason.c_str());
  }
  return 1;
}

void PrintCounts(const std::map<int, std::int64_t>& counts) {
  if (counts.empty()) std::printf("no sealed values in the database\n");
  for (const auto& [version, n] : counts) {
    if (version == 0) {
      std::printf("  in clear (not yet sealed): %lld\n", static_cast<long long>(n));
    } else {
      std::printf("  key version %d: %lld values\n", version, static_cast<long long>(n));
    }
  }
}

struct KeysCommand {
  std::string action;  // init, rotate, retire, status
  int version = 0;
  bool resume = false;
};

// `ctims keys ...`: the field encryption key file (issue 3 §7).
int Keys(const std::string& db, const std::string& key_file, const KeysCommand& cmd) {
  if (cmd.action == "init") {
    if (auto s = ctims::core::InitKeyFile(key_file); !s.ok()) {
      std::fprintf(stderr, "ctims: %s\n", s.ToString().c_str());
      return 1;
    }
    std::printf("key file %s created (key version 1, mode 0600); back it up apart from the database\n",
                key_file.c_str());
    return 0;
  }
  auto store = OpenStore(db, /*migrate=*/true);
  if (!store) return 1;
  bool failed = false;
  if (cmd.action == "rotate") {
    auto report = ctims::app::RotateKeys(*store, key_file, /*add_version=*/!cmd.resume);
    if (!report.ok()) {
      std::fprintf(stderr, "ctims: %s\n", report.status().ToString().c_str());
      return 1;
    }
    const auto total = [](const ctims::app::ResealCounts& c) { return static_cast<long long>(c.resealed); };
    std::printf("key version %d is current; re-sealed %lld record values, %lld history values, %lld TOTP secrets\n",
                report->key_version, total(report->records), total(report->history), total(report->secrets));
    const std::int64_t were_clear = report->records.sealed_plaintext + report->history.sealed_plaintext;
    if (were_clear > 0) {
      std::printf("sealed %lld values that were stored in clear\n", static_cast<long long>(were_clear));
    }
    if (report->plain_secrets > 0) {
      std::printf("%lld TOTP secrets were stored without a key file and were left alone: reset them\n",
                  static_cast<long long>(report->plain_secrets));
    }
    for (const auto& where : report->unreadable_rows) {
      std::fprintf(stderr, "ctims: cannot open a value of %s\n", where.c_str());
    }
    if (report->unreadable > 0) {
      // Exit non-zero (after the counts below) so a script does not go on to retire.
      std::fprintf(stderr, "ctims: %lld rows hold values that do not open; they keep their old key version\n",
                   static_cast<long long>(report->unreadable));
      failed = true;
    }
  } else if (cmd.action == "retire") {
    if (auto s = ctims::app::RetireKeyVersion(*store, key_file, cmd.version); !s.ok()) {
      std::fprintf(stderr, "ctims: %s\n", s.ToString().c_str());
      return 1;
    }
    std::printf("key version %d removed from %s\n", cmd.version, key_file.c_str());
    return 0;
  } else if (!key_file.empty()) {  // status
    auto ring = ctims::core::LoadKeyFile(key_file);
    if (!ring.ok()) {
      std::fprintf(stderr, "ctims: %s\n", ring.status().ToString().c_str());
      return 1;
    }
    std::printf("key file %s: versions", key_file.c_str());
    for (int v : ring->versions()) std::printf(" %d", v);
    std::printf(" (current %d)\n", ring->current_version());
  }
  auto counts = ctims::app::CountSealedByVersion(*store);
  if (!counts.ok()) {
    std::fprintf(stderr, "ctims: %s\n", counts.status().ToString().c_str());
    return 1;
  }
  std::printf("sealed values in the database by key version:\n");
  PrintCounts(*counts);
  return failed ? 1 : 0;
}

// `ctims backup`: a consistent copy of a live database (SQLite online backup
// API, or pg_dump). Exit 0 done, 1 failed.
int Backup(const std::string& db, const std::string& out) {
  const ctims::core::Status s = IsPostgres(db) ? ctims::storage::postgres::BackupPostgres(db, out)
                                               : ctims::storage::sqlite::BackupSqlite(db, out);
  if (!s.ok()) {
    std::fprintf(stderr, "ctims: backup failed: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("backup written to %s (the key file is not in it: keep a copy of the key apart)\n", out.c_str());
  return 0;
}

// `ctims restore`: a new database from a backup, then the checks a restored
// database must pass before it serves: storage integrity and the audit hash
// chain. Exit 0 restored and sound; 1 restored but a check failed (the
// database is left for inspection; do not serve it); 2 not restored.
int Restore(const std::string& db, const std::string& from) {
  const ctims::core::Status s = IsPostgres(db) ? ctims::storage::postgres::RestorePostgres(from, db)
                                               : ctims::storage::sqlite::RestoreSqlite(from, db);
  if (!s.ok()) {
    std::fprintf(stderr, "ctims: restore failed: %s\n", s.ToString().c_str());
    return 2;
  }
  auto store = OpenExistingStore(db);
  if (!store) return 1;
  if (auto integrity = store->CheckIntegrity(); !integrity.ok()) {
    std::printf("restored, but the integrity check failed: %s\n", integrity.ToString().c_str());
    return 1;
  }
  auto version = store->SchemaVersion();
  auto audit = ctims::app::VerifyAudit(*store, std::nullopt, "");
  if (!version.ok() || !audit.ok()) {
    std::printf("restored, but it could not be verified\n");
    return 1;
  }
  if (!audit->ok) {
    std::printf("restored, but the audit chain is broken at event %lld: %s\n",
                static_cast<long long>(audit->broken_seq), audit->reason.c_str());
    return 1;
  }
  std::printf("restored: schema version %d, integrity ok, audit chain ok %lld events\n", *version,
              static_cast<long long>(audit->count));
  return 0;
}

struct ReportCommand {
  std::string report;  // assistance, sdg, flows, ctdc-microdata (issue 5 exports)
  std::string location;
  std::string from;
  std::string to;
  std::string format = "table";
  std::string out;      // issue 5 exports: write the file here (xlsx: required)
  std::string mapping;  // DHIS2 mapping file (dhis2, adx)
  std::string table;    // csv, hxl: a table other than the report's main one
  bool facts = false;   // issue 5 §6: count from in-memory facts built for this one run (benchmarks)
};

// `ctims report ...`: a report as the operator (no disclosure control: whoever
// runs the binary on the database file can read it anyway), audited.
int Report(const std::string& db, const std::string& key_file, const ReportCommand& cmd) {
  auto ring =
      RequireKeyRing(key_file, "report needs --key-file (or CTIMS_KEY_FILE): ages come from sealed birth dates");
  if (!ring) return 2;
  auto store = OpenStore(db, /*migrate=*/true);
  if (!store) return 1;
  ctims::app::AuditLog audit(*store, ctims::core::SystemClock());
  ctims::app::FieldCipher cipher(*ring);
  ctims::app::ReportServiceOptions options;
  options.audit = &audit;
  options.cipher = &cipher;
  ctims::app::ReportFacts facts(*store, &cipher);
  if (cmd.facts) options.facts = &facts;
  ctims::app::ReportService reports(*store, ctims::core::SystemClock(), options);
  ctims::app::ReportRequest request;
  request.params.emplace_back("location", cmd.location);
  if (!cmd.from.empty()) request.params.emplace_back("from", cmd.from);
  if (!cmd.to.empty()) request.params.emplace_back("to", cmd.to);
  const auto& who = ctims::app::SystemPrincipal();
  if (cmd.report == "ctdc-microdata" && cmd.format == "table") {
    std::fprintf(stderr, "ctims: report ctdc-microdata is written as --format csv, xlsx or json\n");
    return 2;
  }
  auto r = cmd.report == "sdg"              ? reports.Sdg(request, who)
           : cmd.report == "flows"          ? reports.Flows(request, who)
           : cmd.report == "ctdc-microdata" ? reports.CtdcMicrodata(request, who)
                                            : reports.Assistance(request, who);
  if (!r.ok()) {
    PrintFieldErrors(r.status());
    return r.status().code() == ctims::core::StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (cmd.format == "json" || (cmd.format == "table" && cmd.report != "assistance")) {
    std::printf("%s\n", r->dump(2).c_str());
    return 0;
  }
  if (cmd.format == "table") {
    std::printf("%s", ctims::app::FormatAssistanceReport(*r).c_str());
    return 0;
  }
  // issue 5 exports: every other format is a file from the export layer,
  // audited as an export.
  std::optional<ctims::exports::Dhis2Mapping> mapping;
  if (!LoadDhis2Mapping(cmd.mapping, mapping)) return 2;
  if ((cmd.format == "dhis2" || cmd.format == "adx") && !mapping) {
    std::fprintf(stderr, "ctims: --format %s needs --mapping FILE\n", cmd.format.c_str());
    return 2;
  }
  if (cmd.format == "xlsx" && cmd.out.empty()) {
    std::fprintf(stderr, "ctims: --format xlsx needs --out FILE\n");
    return 2;
  }
  ctims::exports::ReportExporter exporter(std::move(mapping));
  ctims::app::ExportService exports(reports, exporter, &audit);
  ctims::app::ExportOptions export_options{cmd.format, cmd.table};
  const std::string name = cmd.report == "sdg" ? "sdg-16-2-2" : cmd.report;
  auto file = exports.Report(name, request, export_options, who);
  if (!file.ok()) {
    PrintFieldErrors(file.status());
    return file.status().code() == ctims::core::StatusCode::kInvalidArgument ? 2 : 1;
  }
  for (const auto& [note, cells] : file->notes) {
    for (const auto& c : cells) std::fprintf(stderr, "%s: %s\n", note.c_str(), c.c_str());
  }
  if (cmd.out.empty()) {
    std::fwrite(file->body.data(), 1, file->body.size(), stdout);
    return 0;
  }
  std::ofstream out(cmd.out, std::ios::binary | std::ios::trunc);
  out.write(file->body.data(), static_cast<std::streamsize>(file->body.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "ctims: cannot write %s\n", cmd.out.c_str());
    return 1;
  }
  std::fprintf(stderr, "%s: %lld rows\n", cmd.out.c_str(), static_cast<long long>(file->rows));
  return 0;
}

struct DemoCommand {
  std::int64_t persons = ctims::app::kDefaultDemoPersons;
  std::uint64_t seed = 1;
  std::size_t batch = 5000;
};

// `ctims demo`: the reference data and the synthetic Bokeo caseload
// (app/demo_caseload.hpp) in a fresh database.
int Demo(const std::string& db, const std::string& key_file, const DemoCommand& cmd) {
  auto ring = RequireKeyRing(key_file, "demo needs --key-file (or CTIMS_KEY_FILE): records are sealed as in service");
  if (!ring) return 2;
  auto store = OpenStore(db, /*migrate=*/true, /*bulk=*/true);
  if (!store) return 1;
  ctims::app::AuditLog audit(*store, ctims::core::SystemClock());
  ctims::app::FieldCipher cipher(*ring);
  ctims::app::RecordServiceOptions record_options;
  record_options.audit = &audit;
  record_options.cipher = &cipher;
  ctims::app::RecordService service(*store, ctims::domain::CodeLists::Builtin(), ctims::core::SystemClock(),
                                    record_options);
  const auto& who = ctims::app::SystemPrincipal();
  auto seeded = ctims::app::LoadReferenceData(service, who);
  if (!seeded.ok()) {
    std::fprintf(stderr, "ctims: %s\n", seeded.status().ToString().c_str());
    return 1;
  }
  ctims::app::DemoOptions options;
  options.persons = cmd.persons;
  options.seed = cmd.seed;
  options.batch_records = cmd.batch;
  options.cipher = &cipher;
  options.audit = &audit;
  const auto started = std::chrono::steady_clock::now();
  std::int64_t last_report = 0;
  options.progress = [&](std::int64_t done) {
    if (done - last_report >= 100000) {
      last_report = done;
      std::fprintf(stderr, "  %lld persons\n", static_cast<long long>(done));
    }
  };
  auto r = ctims::app::GenerateDemoCaseload(*store, options, who);
  if (!r.ok()) {
    PrintFieldErrors(r.status());
    return 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("demo caseload: %lld persons, %lld records (%lld organisations) in %.1f s; fictional data, seed %llu\n",
              static_cast<long long>(r->persons), static_cast<long long>(r->records),
              static_cast<long long>(r->organisations), seconds, static_cast<unsigned long long>(cmd.seed));
  return 0;
}

// ==== issue 8: `ctims search reindex` and `ctims dedupe` ====
struct DedupeCommand {
  std::optional<double> threshold;  // posterior probability; unset: the fitted threshold
  std::size_t max_block = 500;
  std::size_t max_candidates = 20;
  double min_overlap = 0.2;
  unsigned threads = 2;
};

int SearchOrDedupe(const std::string& db, const std::string& key_file, bool dedupe, const DedupeCommand& cmd) {
  auto ring = RequireKeyRing(key_file, "needs --key-file (or CTIMS_KEY_FILE): names are sealed");
  if (!ring) return 2;
  // A bulk writer: the review queue's indexes and the persons' id index are
  // tens of MiB at 1,000,000 persons; with SQLite's default 2 MiB cache and
  // 4 MiB checkpoints every queue insert went back to the file (half of a
  // 1,000,000-person dedupe).
  auto store = OpenStore(db, /*migrate=*/true, /*bulk=*/dedupe);
  if (!store) return 1;
  ctims::app::FieldCipher cipher(*ring);
  const auto started = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
  if (!dedupe) {
    auto r = ctims::app::ReindexPersonNames(*store, cipher);
    if (!r.ok()) {
      std::fprintf(stderr, "ctims: %s\n", r.status().ToString().c_str());
      return 1;
    }
    std::printf("person name index: %lld persons, %lld keys in %.1f s\n", static_cast<long long>(r->persons),
                static_cast<long long>(r->tokens), seconds());
    return 0;
  }
  ctims::app::AuditLog audit(*store, ctims::core::SystemClock());
  ctims::app::DedupeOptions options;
  options.threshold = cmd.threshold;
  options.max_block = cmd.max_block;
  options.max_candidates_per_person = cmd.max_candidates;
  options.min_key_overlap = cmd.min_overlap;
  options.threads = cmd.threads;
  options.audit = &audit;
  auto r = ctims::app::RunDedupe(*store, cipher, ctims::core::SystemClock(), options, ctims::app::SystemPrincipal());
  if (!r.ok()) {
    std::fprintf(stderr, "ctims: %s\n", r.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "dedupe: %lld persons, %lld pairs scored (%lld left out by the cheap pass), %lld proposed, %lld new in the "
      "review queue, in %.1f s\n",
      static_cast<long long>(r->persons), static_cast<long long>(r->compared), static_cast<long long>(r->skipped),
      static_cast<long long>(r->proposed), static_cast<long long>(r->inserted), seconds());
  std::printf(
      "dedupe phases: open and prepare %.1f s, blocks %.1f s, pairs %.1f s, fit %.1f s, queue %.1f s (%lld write "
      "transactions)\n",
      r->load_seconds, r->block_seconds, r->score_seconds, r->fit_seconds, r->write_seconds,
      static_cast<long long>(r->write_transactions));
  std::printf("dedupe names: %lld distinct prepared names, %lld pairs of names compared, %lld remembered\n",
              static_cast<long long>(r->distinct_names), static_cast<long long>(r->name_comparisons),
              static_cast<long long>(r->name_comparisons_remembered));
  // The decision model (issue 8 §4): parameters only, no personal data.
  if (r->fitted) {
    std::printf("dedupe model fs-em-v1: fitted by EM on the scored pairs, %d iterations%s\n", r->em_iterations,
                r->em_converged ? "" : " (not converged)");
  } else {
    std::printf("dedupe model fs-em-v1: default parameters kept (%s; EM %d iterations)\n", r->fit_problem.c_str(),
                r->em_iterations);
  }
  const auto& fields = ctims::search::PersonMatchModel::Fields();
  for (std::size_t f = 0; f < fields.size() && f < r->params.m.size(); ++f) {
    std::printf("  %-11s", fields[f].name.c_str());
    for (std::size_t l = 0; l < fields[f].levels.size(); ++l) {
      std::printf(" %s m=%.4g u=%.4g;", fields[f].levels[l].c_str(), r->params.m[f][l], r->params.u[f][l]);
    }
    std::printf("\n");
  }
  std::printf("  prior %.4g; model threshold: weight %.3f (posterior %.3f, %s)\n", r->params.prior, r->threshold_weight,
              r->threshold_probability, r->fitted ? "the expected-F1 optimum" : "the default model's");
  if (r->min_probability) {
    std::printf("  proposed: posterior >= %.3f%s\n", *r->min_probability, cmd.threshold ? " (--threshold)" : "");
  } else {
    std::printf("  proposed: weight >= %.3f (the default model's threshold)\n", r->threshold_weight);
  }
  return 0;
}
// ==== end of issue 8 ====

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"ctims: case management, referral and statistics for counter-trafficking agencies"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", CTIMS_VERSION);

  std::string db = kDefaultDb;
  std::string key_file;  // --key-file, or $CTIMS_KEY_FILE
  ServeCommand serve_cmd;

  // Every option can also come from a configuration file given before the
  // subcommand, one section per subcommand (INI/TOML):
  //   ctims --config /etc/ctims/ctims.conf serve   with   [serve] key-file = "..."
  cli.set_config("--config", "", "Read options from this file (see docs/deploy.md)");
  auto* serve = cli.add_subcommand("serve", "Serve the JSON API (applies pending migrations first)");
  serve->add_option("--db", db, kDbHelp)->capture_default_str();
  serve->add_option("--listen", serve_cmd.listen, "HOST:PORT to listen on (off loopback: TLS or --tls-proxy)")
      ->capture_default_str();
  serve->add_flag("--access-log", serve_cmd.access_log, "Log one line per request (method, path, status)");
  serve->add_option("--key-file", key_file, "Field encryption key file (mode 0600; ctims keys init)")
      ->envname("CTIMS_KEY_FILE");
  serve->add_option("--tls-cert", serve_cmd.tls_cert, "TLS certificate chain (PEM)");
  serve->add_option("--tls-key", serve_cmd.tls_key, "TLS private key (PEM)");
  serve
      ->add_option("--trusted-proxy", serve_cmd.trusted_proxies,
                   "Address of a reverse proxy whose X-Forwarded-For names the client (repeatable), e.g. 127.0.0.1")
      ->check([](const std::string& v) { return ctims::http::IsIpAddress(v) ? std::string() : "not an IP address"; })
      ->allow_extra_args(false);
  serve->add_flag("--tls-proxy", serve_cmd.tls_proxy,
                  "A TLS-terminating proxy is in front: Secure cookies, any listen address");
  serve->add_option("--web-root", serve_cmd.web_root,
                    "Directory of the built web app (default: build/web beside the binary, if built)");
  serve->add_flag("--demo", serve_cmd.demo, "Allow a database with demo accounts (make demo)");
  serve
      ->add_option("--referral-hours", serve_cmd.referral_hours,
                   "Hours after which an unanswered referral or transfer is overdue")
      ->check(CLI::Range(1, 24 * 90))
      ->capture_default_str();

  serve
      ->add_option("--min-cell", serve_cmd.min_cell,
                   "Reports: smallest count shown to roles without identity access (suppression threshold k)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  serve->add_flag("--no-report-facts", serve_cmd.no_report_facts,
                  "Reports: count every report from the database (no in-memory facts; slower at scale)");
  serve->add_option("--dhis2-mapping", serve_cmd.dhis2_mapping,
                    "Reports: DHIS2 mapping file for ?format=dhis2|adx (config/dhis2-mapping.example.json)");

  ReportCommand report_cmd;
  auto* report_app = cli.add_subcommand("report", "Print a statistics report (as the operator, audited)");
  report_app->require_subcommand(1);
  for (const char* name : {"assistance", "sdg", "flows", "ctdc-microdata"}) {
    auto* sub = report_app->add_subcommand(name, std::string("The ") + name + " report");
    sub->add_option("--db", db, kDbHelp)->capture_default_str();
    sub->add_option("--key-file", key_file, "Field encryption key file")->envname("CTIMS_KEY_FILE");
    sub->add_option("--location", report_cmd.location, "Location code, e.g. LA-BK")->required();
    sub->add_option("--from", report_cmd.from, "First day counted (YYYY-MM-DD); default: since the beginning");
    sub->add_option("--to", report_cmd.to, "First day NOT counted (YYYY-MM-DD); default: tomorrow");
    sub->add_option("--format", report_cmd.format,
                    "table (assistance; others print json), json, csv, xlsx, hxl (HXL-tagged CSV), dhis2 "
                    "(dataValueSets JSON) or adx (assistance, with --mapping)")
        ->check(CLI::IsMember({"table", "json", "csv", "xlsx", "hxl", "dhis2", "adx"}))
        ->capture_default_str();
    sub->add_option("--out", report_cmd.out, "Write the export to this file (required for xlsx); default: stdout");
    sub->add_option("--mapping", report_cmd.mapping, "DHIS2 mapping file (config/dhis2-mapping.example.json)");
    sub->add_option("--table", report_cmd.table, "csv, hxl: the table to write (default: the report's main table)");
    sub->add_flag("--facts", report_cmd.facts,
                  "Count from in-memory report facts built for this run (as the server does; slower for one report)");
  }

  ExportCommand export_cmd;
  auto* export_app = cli.add_subcommand("export", "Export personal data as an encrypted archive (audited)");
  export_app->require_subcommand(1);
  auto* export_htcds =
      export_app->add_subcommand("htcds-cases",
                                 "Cases and their persons with HTCDS field names (JSON and XLSX in an AES-256 ZIP); "
                                 "the archive password (12+ characters) is read from standard input");
  export_htcds->add_option("--db", db, kDbHelp)->capture_default_str();
  export_htcds->add_option("--key-file", key_file, "Field encryption key file")->envname("CTIMS_KEY_FILE");
  export_htcds->add_option("--out", export_cmd.out, "The archive to write")->required();
  export_htcds->add_option("--filter", export_cmd.filters,
                           "KEY=VALUE case list filter, as GET /api/v1/cases takes it (repeatable)");

  DemoCommand demo_cmd;
  auto* demo = cli.add_subcommand("demo", "Create the Bokeo demo database: reference data and a fictional caseload");
  demo->add_option("--db", db, "SQLite database file or PostgreSQL URI (empty: no cases yet)")->capture_default_str();
  demo->add_option("--key-file", key_file, "Field encryption key file")->envname("CTIMS_KEY_FILE");
  demo->add_option("--persons", demo_cmd.persons, "Persons to generate (the default reproduces the 2022 report)")
      ->capture_default_str()
      ->check(CLI::Range(static_cast<std::int64_t>(0), static_cast<std::int64_t>(100'000'000)));
  demo->add_option("--seed", demo_cmd.seed, "Seed of the generator (same seed, same database)")->capture_default_str();
  demo->add_option("--batch", demo_cmd.batch, "Records per write transaction")
      ->capture_default_str()
      ->check(CLI::Range(static_cast<std::size_t>(1), static_cast<std::size_t>(1'000'000)));

  auto* migrate = cli.add_subcommand("migrate", "Apply pending database migrations");
  migrate->add_option("--db", db, kDbHelp)->capture_default_str();

  auto* seed = cli.add_subcommand("seed", "Load reference data: Lao PDR locations and Bokeo agencies");
  seed->add_option("--db", db, kDbHelp)->capture_default_str();

  UserCommand user_cmd;
  auto* user = cli.add_subcommand("user", "Manage user accounts");
  user->require_subcommand(1);
  user->add_option("--db", db, kDbHelp)->capture_default_str();
  auto* user_add = user->add_subcommand("add", "Create a user (password on standard input)");
  user_add->add_option("name", user_cmd.name, "Username: 3-64 of a-z 0-9 . _ -")->required();
  user_add->add_option("--agency", user_cmd.agency, "Agency code (org_Code), e.g. BK-DMC-TPH")->required();
  user_add->add_option("--role", user_cmd.role, "Role code, e.g. case_worker")->required();
  user_add->add_option("--display-name", user_cmd.display_name, "Name shown in the interface");
  user_add->add_flag("--password-stdin", user_cmd.password_stdin, "Read the password from standard input");
  user_add->add_flag("--demo", user_cmd.demo, "Mark as a demo account (refused by serve without --demo)");
  auto* user_passwd = user->add_subcommand("passwd", "Set a user's password (on standard input)");
  user_passwd->add_option("name", user_cmd.name)->required();
  user_passwd->add_flag("--password-stdin", user_cmd.password_stdin, "Read the password from standard input");
  auto* user_disable = user->add_subcommand("disable", "Disable a user and end their sessions");
  user_disable->add_option("name", user_cmd.name)->required();
  auto* user_enable = user->add_subcommand("enable", "Enable a user (also lifts a sign-in lock)");
  user_enable->add_option("name", user_cmd.name)->required();
  auto* user_list = user->add_subcommand("list", "List users");
  for (auto* sub : {user_add, user_passwd, user_disable, user_enable, user_list}) {
    sub->add_option("--db", db, kDbHelp)->capture_default_str();
    sub->add_option("--key-file", key_file, "Key file sealing TOTP secrets")->envname("CTIMS_KEY_FILE");
  }

  KeysCommand keys_cmd;
  auto* keys = cli.add_subcommand("keys", "Manage the field encryption key file");
  keys->require_subcommand(1);
  auto* keys_init = keys->add_subcommand("init", "Create a new key file (never overwrites one)");
  auto* keys_rotate = keys->add_subcommand("rotate", "Add a key version and re-seal every value under it");
  keys_rotate->add_flag("--resume", keys_cmd.resume, "Re-seal under the current version without adding one");
  auto* keys_retire = keys->add_subcommand("retire", "Remove a key version no value uses any more");
  keys_retire->add_option("version", keys_cmd.version, "Key version to remove")->required();
  auto* keys_status = keys->add_subcommand("status", "Key versions in the file and values per version in the database");
  for (auto* sub : {keys_init, keys_rotate, keys_retire, keys_status}) {
    auto* option = sub->add_option("--key-file", key_file, "Key file (mode 0600)")->envname("CTIMS_KEY_FILE");
    if (sub != keys_status) option->required();
    if (sub != keys_init) sub->add_option("--db", db, kDbHelp)->capture_default_str();
  }

  AuditCommand audit_cmd;
  auto* audit = cli.add_subcommand("audit", "Check the tamper-evident audit log");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand(
      "verify", "Check the hash chain (and a signed checkpoint): exit 0 ok, 1 broken, 2 could not verify");
  audit_verify->add_option("--checkpoint", audit_cmd.checkpoint_file,
                           "File of checkpoint lines (from `audit checkpoint`); the last line is used");
  auto* public_key_opt = audit_verify->add_option("--public-key", audit_cmd.public_key,
                                                  "Public key of the checkpoint signer (base64 or hex)");
  audit_verify->add_option("--signing-key", audit_cmd.signing_key, "Signing key file to take the public key from")
      ->excludes(public_key_opt);
  auto* audit_checkpoint =
      audit->add_subcommand("checkpoint", "Print the signed head of the log (keep the line off the server)");
  audit_checkpoint
      ->add_option("--signing-key", audit_cmd.signing_key, "Ed25519 signing key file (created 0600 if absent)")
      ->required();
  for (auto* sub : {audit_verify, audit_checkpoint}) {
    sub->add_option("--db", db, kDbHelp)->capture_default_str();
  }

  std::string backup_path;
  auto* backup = cli.add_subcommand("backup", "Write a consistent copy of the database (servers may keep running)");
  backup->add_option("--db", db, kDbHelp)->capture_default_str();
  backup->add_option("--out", backup_path, "Backup file to create (must not exist)")->required();
  auto* restore =
      cli.add_subcommand("restore", "Make a new database from a backup, then check its integrity and its audit chain");
  restore->add_option("--db", db, "New SQLite file, or an empty PostgreSQL database (URI)")->required();
  restore->add_option("--from", backup_path, "Backup file (from ctims backup)")->required();

  // ==== issue 8 ====
  auto* search_app = cli.add_subcommand("search", "Person search index");
  search_app->require_subcommand(1);
  auto* search_reindex = search_app->add_subcommand("reindex", "Rebuild the encrypted person name index");
  search_reindex->add_option("--db", db, "SQLite database file or PostgreSQL URI")->capture_default_str();
  search_reindex->add_option("--key-file", key_file, "Field encryption key file")->envname("CTIMS_KEY_FILE");
  DedupeCommand dedupe_cmd;
  auto* dedupe = cli.add_subcommand("dedupe", "Find possible duplicate persons and fill the review queue");
  dedupe->add_option("--db", db, "SQLite database file or PostgreSQL URI")->capture_default_str();
  dedupe->add_option("--key-file", key_file, "Field encryption key file")->envname("CTIMS_KEY_FILE");
  dedupe
      ->add_option("--threshold", dedupe_cmd.threshold,
                   "Lowest posterior match probability proposed (default: 0.1 with a fitted model, the "
                   "default model's threshold when EM is rejected)")
      ->check(CLI::Range(0.0, 1.0));
  dedupe->add_option("--max-block", dedupe_cmd.max_block, "Skip name keys carried by more persons than this")
      ->capture_default_str();
  dedupe->add_option("--max-candidates", dedupe_cmd.max_candidates, "Name comparisons per person at most")
      ->capture_default_str();
  dedupe
      ->add_option("--min-overlap", dedupe_cmd.min_overlap,
                   "Skip pairs sharing less than this share of the smaller set of name keys (0 to 1)")
      ->capture_default_str();
  dedupe->add_option("--threads", dedupe_cmd.threads, "Worker threads")->capture_default_str();
  // ==== end of issue 8 ====
  cli.add_subcommand("version", "Print the version");

  CLI11_PARSE(cli, argc, argv);

  if (cli.got_subcommand("version")) {
    std::printf("ctims %s\n", CTIMS_VERSION);
    return 0;
  }
  if (cli.got_subcommand(serve)) return Serve(db, key_file, serve_cmd);
  if (cli.got_subcommand(report_app)) {
    for (auto* sub : report_app->get_subcommands()) report_cmd.report = sub->get_name();
    return Report(db, key_file, report_cmd);
  }
  if (cli.got_subcommand(export_app)) return ExportHtcds(db, key_file, export_cmd);
  if (cli.got_subcommand(demo)) return Demo(db, key_file, demo_cmd);
  if (cli.got_subcommand(search_app)) return SearchOrDedupe(db, key_file, /*dedupe=*/false, dedupe_cmd);  // issue 8
  if (cli.got_subcommand(dedupe)) return SearchOrDedupe(db, key_file, /*dedupe=*/true, dedupe_cmd);       // issue 8
  if (cli.got_subcommand(user)) {
    for (auto* sub : user->get_subcommands()) user_cmd.action = sub->get_name();
    return User(db, key_file, user_cmd);
  }
  if (cli.got_subcommand(keys)) {
    for (auto* sub : keys->get_subcommands()) keys_cmd.action = sub->get_name();
    return Keys(db, key_file, keys_cmd);
  }
  if (cli.got_subcommand(audit)) {
    return audit_verify->parsed() ? RunAuditVerify(db, audit_cmd) : RunAuditCheckpoint(db, audit_cmd);
  }
  if (cli.got_subcommand(backup)) return Backup(db, backup_path);
  if (cli.got_subcommand(restore)) return Restore(db, backup_path);
  if (cli.got_subcommand(migrate)) {
    auto store = OpenStore(db, /*migrate=*/true);  // also installs the built-in roles
    if (!store) return 1;
    auto version = store->SchemaVersion();
    if (!version.ok()) {
      std::fprintf(stderr, "ctims: %s\n", version.status().ToString().c_str());
      return 1;
    }
    std::printf("schema version %d\n", *version);
    return 0;
  }
  if (cli.got_subcommand(seed)) {
    auto store = OpenStore(db, /*migrate=*/true);
    if (!store) return 1;
    ctims::app::RecordService service(*store, ctims::domain::CodeLists::Builtin(), ctims::core::SystemClock());
    auto report = ctims::app::LoadReferenceData(service, ctims::app::SystemPrincipal());
    if (!report.ok()) {
      std::fprintf(stderr, "ctims: %s\n", report.status().ToString().c_str());
      return 1;
    }
    std::printf("reference data: %d locations and %d agencies created\n", report->locations_created,
                report->agencies_created);
    return 0;
  }
  return 0;
}
