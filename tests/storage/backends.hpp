#pragma once

// The storage backends every contract suite runs against. A new adapter is
// added here once and runs every suite in tests/storage.
//
// PostgreSQL runs against the test cluster (tests/storage_test_backend.hpp):
// each test gets a schema of its own, created before and dropped after it.
// Without a cluster the PostgreSQL cases skip, so a build without one still
// lists the same tests.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "app/record_store.hpp"
#include "core/id.hpp"
#include "storage/postgres/postgres_store.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage_test_backend.hpp"

namespace ctims::testing_backends {

struct Backend {
  std::string name;
  // Opens a fresh, empty database that lives in `dir`.
  std::function<std::unique_ptr<app::Store>(const std::filesystem::path& dir)> open;
  // Removes what open() made outside `dir` (after the store is closed); may be empty.
  std::function<void(const std::filesystem::path& dir)> close;
};

// Runs one statement on a connection of its own; false (and a test failure) when it fails.
inline bool PostgresExec(const std::string& conninfo, const std::string& sql) {
  const std::string error = PostgresExecOn(conninfo, sql);
  if (!error.empty()) ADD_FAILURE() << sql << ": " << error;
  return error.empty();
}

inline std::vector<Backend> Backends() {
  std::vector<Backend> out = {{"sqlite",
                               [](const std::filesystem::path& dir) {
                                 auto s = storage::sqlite::OpenSqliteStore({.path = (dir / "contract.db").string()});
                                 EXPECT_TRUE(s.ok()) << s.status().ToString();
                                 return s.ok() ? std::move(s).value() : nullptr;
                               },
                               {}}};
  const std::string info = PostgresConninfo();
  out.push_back({"postgresql",
                 [info](const std::filesystem::path& dir) -> std::unique_ptr<app::Store> {
                   const std::string schema = PostgresSchema(dir);
                   if (!PostgresExec(info, "CREATE SCHEMA " + schema)) return nullptr;
                   auto s = storage::postgres::OpenPostgresStore({.conninfo = info, .schema = schema});
                   EXPECT_TRUE(s.ok()) << s.status().ToString();
                   return s.ok() ? std::move(s).value() : nullptr;
                 },
                 [info](const std::filesystem::path& dir) {
                   PostgresExec(info, "DROP SCHEMA IF EXISTS " + PostgresSchema(dir) + " CASCADE");
                 }});
  return out;
}

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& param_info) {
  return param_info.param.name;
}

// The fixture every contract suite shares: SetUp makes a fresh temporary
// directory, opens the backend in it and migrates it; TearDown closes the
// store and removes the directory. A suite that needs more in SetUp calls
// ContractTest::SetUp() first and returns when it HasFatalFailure().
class ContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  // `dir_prefix` starts the temporary directory's name ("ctims-contract-").
  explicit ContractTest(std::string dir_prefix) : dir_prefix_(std::move(dir_prefix)) {}

  void SetUp() override {
    if (GetParam().name == "postgresql" && PostgresConninfo().empty()) {
      GTEST_SKIP() << "no PostgreSQL test cluster (CTIMS_TEST_POSTGRES)";
    }
    dir_ = std::filesystem::temp_directory_path() /
           (dir_prefix_ + std::to_string(::getpid()) + "-" + core::NewId().substr(24));
    std::filesystem::create_directories(dir_);
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
    auto v = store_->Migrate();
    ASSERT_TRUE(v.ok()) << v.status().ToString();
  }
  void TearDown() override {
    store_.reset();
    if (GetParam().close) GetParam().close(dir_);
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<app::Store> store_;

 private:
  std::string dir_prefix_;
};

}  // namespace ctims::testing_backends
