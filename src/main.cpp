// ctims: wires the layers together and parses the command line. No logic of
// its own lives here.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "app/record_service.hpp"
#include "app/reference_data.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "domain/codelists.hpp"
#include "http/server.hpp"
#include "storage/sqlite/sqlite_store.hpp"

#ifndef CTIMS_VERSION
#define CTIMS_VERSION "0.0.0"
#endif

namespace {

using ctims::core::Log;
using ctims::core::LogLevel;

constexpr const char* kDefaultDb = "var/ctims.db";

std::unique_ptr<ctims::app::Store> OpenStore(const std::string& db, bool migrate) {
  if (auto parent = std::filesystem::path(db).parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
  }
  auto store = ctims::storage::sqlite::OpenSqliteStore({.path = db});
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

int Serve(const std::string& db, const std::string& listen, bool access_log) {
  ctims::http::ServerOptions options;
  options.access_log = access_log;
  if (!SplitListen(listen, options.host, options.port)) {
    std::fprintf(stderr, "ctims: --listen must be HOST:PORT\n");
    return 2;
  }
  // Until access control exists, nothing but this machine may connect.
  if (!ctims::http::IsLoopback(options.host)) {
    std::fprintf(stderr, "ctims: refusing to listen on %s: only loopback addresses until access control lands\n",
                 options.host.c_str());
    return 2;
  }
  // Block the stop signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto store = OpenStore(db, /*migrate=*/true);
  if (!store) return 1;
  ctims::app::RecordService service(*store, ctims::domain::CodeLists::Builtin(), ctims::core::SystemClock());
  ctims::http::HttpServer server(service, *store, options);
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
  Log(LogLevel::kInfo, "ctims " CTIMS_VERSION " serving http://" + listen + " on " + store->BackendName());
  std::printf("listening on %s:%d\n", options.host.c_str(), server.port());
  std::fflush(stdout);
  server.Run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"ctims: case management, referral and statistics for counter-trafficking agencies"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", CTIMS_VERSION);

  std::string db = kDefaultDb;
  std::string listen = "127.0.0.1:8080";
  bool access_log = false;

  auto* serve = cli.add_subcommand("serve", "Serve the JSON API (applies pending migrations first)");
  serve->add_option("--db", db, "SQLite database file")->capture_default_str();
  serve->add_option("--listen", listen, "HOST:PORT to listen on (loopback only for now)")->capture_default_str();
  serve->add_flag("--access-log", access_log, "Log one line per request (method, path, status)");

  auto* migrate = cli.add_subcommand("migrate", "Apply pending database migrations");
  migrate->add_option("--db", db, "SQLite database file")->capture_default_str();

  auto* seed = cli.add_subcommand("seed", "Load reference data: Lao PDR locations and Bokeo agencies");
  seed->add_option("--db", db, "SQLite database file")->capture_default_str();

  cli.add_subcommand("version", "Print the version");

  CLI11_PARSE(cli, argc, argv);

  if (cli.got_subcommand("version")) {
    std::printf("ctims %s\n", CTIMS_VERSION);
    return 0;
  }
  if (cli.got_subcommand(serve)) return Serve(db, listen, access_log);
  if (cli.got_subcommand(migrate)) {
    auto store = OpenStore(db, /*migrate=*/false);
    if (!store) return 1;
    auto version = store->Migrate();
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
    auto report = ctims::app::LoadReferenceData(service, ctims::app::Actor{"seed"});
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
