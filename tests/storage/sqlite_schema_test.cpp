// SQLite-specific: the migrated schema matches the domain's column layout,
// and the database is configured for durability.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <set>

#include "core/id.hpp"
#include "domain/schema.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace ctims {
namespace {

TEST(SqliteSchemaTest, EveryDomainColumnExists) {
  const auto dir = std::filesystem::temp_directory_path() / ("ctims-schema-" + core::NewId().substr(24));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "s.db").string();
  {
    auto store = storage::sqlite::OpenSqliteStore({.path = path});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Migrate().ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  for (const auto& r : domain::Resources()) {
    std::set<std::string> columns;
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, ("PRAGMA table_info(" + r.table + ")").c_str(), -1, &stmt, nullptr), SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW)
      columns.insert(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
    sqlite3_finalize(stmt);
    EXPECT_FALSE(columns.empty()) << "no table " << r.table;
    for (const char* fixed : {"id", "version", "created_at", "updated_at", "body"}) {
      EXPECT_TRUE(columns.contains(fixed)) << r.table << "." << fixed;
    }
    for (const auto& c : r.ColumnNames()) EXPECT_TRUE(columns.contains(c)) << r.table << "." << c;
    // Personal tables also carry who reaches each row (app::AccessTag).
    const std::size_t access = r.personal ? 5 : 0;
    if (r.personal) {
      for (const char* acl : {"acl_user", "acl_agency", "acl_path", "acl_case", "acl_protected"}) {
        EXPECT_TRUE(columns.contains(acl)) << r.table << "." << acl;
      }
    }
    EXPECT_EQ(columns.size(), 5 + access + r.ColumnNames().size())
        << r.table << " has columns the domain does not declare";
  }
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
}

TEST(SqliteSchemaTest, RefusesAFileThatIsNotADatabase) {
  const auto dir = std::filesystem::temp_directory_path() / ("ctims-bad-" + core::NewId().substr(24));
  std::filesystem::create_directories(dir);
  const auto path = dir / "junk.db";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("this is not an SQLite database, just text that is long enough to have a header", f);
    std::fclose(f);
  }
  auto store = storage::sqlite::OpenSqliteStore({.path = path.string()});
  if (store.ok()) {
    EXPECT_FALSE((*store)->Migrate().ok());
  } else {
    EXPECT_EQ(store.status().code(), core::StatusCode::kUnavailable);
  }
  auto missing_dir = storage::sqlite::OpenSqliteStore({.path = (dir / "no" / "such" / "x.db").string()});
  EXPECT_FALSE(missing_dir.ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ctims
