#pragma once

// The storage backends every contract suite runs against. A new adapter
// (PostgreSQL) is added here once and runs every suite in tests/storage.

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/record_store.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace ctims::testing_backends {

struct Backend {
  std::string name;
  // Opens a fresh, empty database that lives in `dir`.
  std::function<std::unique_ptr<app::Store>(const std::filesystem::path& dir)> open;
};

inline std::vector<Backend> Backends() {
  return {{"sqlite", [](const std::filesystem::path& dir) {
             auto s = storage::sqlite::OpenSqliteStore({.path = (dir / "contract.db").string()});
             EXPECT_TRUE(s.ok()) << s.status().ToString();
             return s.ok() ? std::move(s).value() : nullptr;
           }}};
}

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& param_info) {
  return param_info.param.name;
}

}  // namespace ctims::testing_backends
