#pragma once

// Which database a test suite runs on, and the PostgreSQL helpers the suites
// share (issue 9).
//
// tests/CMakeLists.txt starts a throwaway PostgreSQL cluster as a ctest
// fixture and compiles its URI into the tests as CTIMS_TEST_POSTGRES_URI; the
// environment variable CTIMS_TEST_POSTGRES overrides it (a cluster of one's
// own). Suites with a backend parameter (tests/storage) run every test on
// both; the api and access suites run on PostgreSQL when
// CTIMS_TEST_BACKEND=postgresql, which ctest sets for their "pg." copies.

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace ctims::testing_backends {

// The libpq connection string of the test cluster; "" when there is none.
inline std::string PostgresConninfo() {
  const char* env = std::getenv("CTIMS_TEST_POSTGRES");
  if (env != nullptr && *env != '\0') return env;
#ifdef CTIMS_TEST_POSTGRES_URI
  return CTIMS_TEST_POSTGRES_URI;
#else
  return "";
#endif
}

// The data directory of the test cluster (scripts/pg-test-cluster puts it in
// DIR/data, DIR being the socket directory, the URI's host=); empty when the
// connection string names no such directory.
inline std::filesystem::path PostgresDataDir() {
  const std::string info = PostgresConninfo();
  const auto at = info.find("host=");
  if (at == std::string::npos) return {};
  const auto start = at + 5;
  const auto end = info.find_first_of("& ", start);
  const std::string host = info.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (host.empty() || host[0] != '/') return {};
  return std::filesystem::path(host) / "data";
}

// True when this process should run the api/access suites on PostgreSQL.
inline bool UsePostgres() {
  const char* env = std::getenv("CTIMS_TEST_BACKEND");
  return env != nullptr && std::string(env) == "postgresql";
}

// A schema name unique to the test whose temporary directory is `dir`.
inline std::string PostgresSchema(const std::filesystem::path& dir) {
  std::string name = "ctims_test_";
  for (char c : dir.filename().string()) name += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return name;
}

// Runs one statement on a connection of its own. Returns "" on success, else
// the server's message.
inline std::string PostgresExecOn(const std::string& conninfo, const std::string& sql) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  std::string error;
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* r = PQexec(conn, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) error = PQerrorMessage(conn);
    PQclear(r);
  } else {
    error = std::string("cannot connect to the test cluster: ") + PQerrorMessage(conn);
  }
  PQfinish(conn);
  return error;
}

// For fixtures that throw on failure (tests/api/test_server.hpp).
inline void PostgresCreateSchema(const std::string& schema) {
  const std::string info = PostgresConninfo();
  if (info.empty()) throw std::runtime_error("CTIMS_TEST_BACKEND=postgresql but no test cluster is configured");
  PostgresExecOn(info, "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  if (auto e = PostgresExecOn(info, "CREATE SCHEMA " + schema); !e.empty()) throw std::runtime_error(e);
}
inline void PostgresDropSchema(const std::string& schema) {
  PostgresExecOn(PostgresConninfo(), "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
}

}  // namespace ctims::testing_backends
