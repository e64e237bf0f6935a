// The PostgreSQL migrations mirror the SQLite ones one-for-one (issue 9): the
// same files, and once applied the same tables, columns, NOT NULL rules and
// named indexes. The file check always runs; the schema comparison needs a
// server (the test cluster, as for the contract suites).
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <tuple>

#include "core/embedded_file.hpp"
#include "core/id.hpp"
#include "storage/postgres/postgres_store.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage_test_backend.hpp"

namespace ctims {
namespace storage::sqlite {
std::span<const core::EmbeddedFile> EmbeddedMigrations();  // generated
}
namespace storage::postgres {
std::span<const core::EmbeddedFile> EmbeddedMigrations();  // generated
}

namespace {

std::set<std::string> Names(std::span<const core::EmbeddedFile> files) {
  std::set<std::string> out;
  for (const auto& f : files) out.emplace(f.name);
  return out;
}

TEST(MigrationsPairedTest, SameFilesOnBothBackends) {
  EXPECT_EQ(Names(storage::sqlite::EmbeddedMigrations()), Names(storage::postgres::EmbeddedMigrations()));
}

// (table, column, not null)
using Column = std::tuple<std::string, std::string, bool>;

std::set<Column> SqliteColumns(sqlite3* db, std::set<std::string>& indexes) {
  std::set<Column> out;
  sqlite3_stmt* stmt = nullptr;
  // Explicit indexes have SQL; automatic ones (PRIMARY KEY, UNIQUE) have none.
  sqlite3_prepare_v2(db,
                     "SELECT m.type, m.name, p.name, p.\"notnull\" OR p.pk > 0 FROM sqlite_master m "
                     "LEFT JOIN pragma_table_info(m.name) p ON m.type = 'table' "
                     "WHERE (m.type = 'table' AND m.name NOT LIKE 'sqlite_%') OR (m.type = 'index' AND m.sql IS NOT "
                     "NULL)",
                     -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const std::string type = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    if (type == "index") {
      indexes.insert(name);
    } else {
      out.emplace(name, reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2)), sqlite3_column_int(stmt, 3) != 0);
    }
  }
  sqlite3_finalize(stmt);
  return out;
}

TEST(MigrationsPairedTest, SameTablesColumnsAndIndexes) {
  const std::string info = testing_backends::PostgresConninfo();
  if (info.empty()) GTEST_SKIP() << "no PostgreSQL test cluster (CTIMS_TEST_POSTGRES)";
  const char* conninfo = info.c_str();

  const auto dir = std::filesystem::temp_directory_path() / ("ctims-paired-" + core::NewId().substr(24));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "s.db").string();
  {
    auto store = storage::sqlite::OpenSqliteStore({.path = path});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Migrate().ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::set<std::string> sqlite_indexes;
  const std::set<Column> sqlite_columns = SqliteColumns(db, sqlite_indexes);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);

  std::string schema = "ctims_paired_" + core::NewId().substr(24);
  std::erase(schema, '-');
  PGconn* conn = PQconnectdb(conninfo);
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PQclear(PQexec(conn, ("CREATE SCHEMA " + schema).c_str()));
  {
    auto store = storage::postgres::OpenPostgresStore({.conninfo = conninfo, .schema = schema, .pool_size = 1});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto v = (*store)->Migrate();
    ASSERT_TRUE(v.ok()) << v.status().ToString();
  }
  std::set<Column> pg_columns;
  std::set<std::string> pg_indexes;
  const char* params[] = {schema.c_str()};
  PGresult* r = PQexecParams(conn,
                             "SELECT table_name, column_name, is_nullable = 'NO' FROM information_schema.columns "
                             "WHERE table_schema = $1",
                             1, nullptr, params, nullptr, nullptr, 0);
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(conn);
  for (int i = 0; i < PQntuples(r); ++i) {
    pg_columns.emplace(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2)[0] == 't');
  }
  PQclear(r);
  // Indexes that back a constraint (PRIMARY KEY, UNIQUE) are PostgreSQL's
  // automatic ones, like SQLite's sqlite_autoindex_*.
  r = PQexecParams(conn,
                   "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                   "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 "
                   "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                   1, nullptr, params, nullptr, nullptr, 0);
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(conn);
  for (int i = 0; i < PQntuples(r); ++i) pg_indexes.emplace(PQgetvalue(r, i, 0));
  PQclear(r);
  PQclear(PQexec(conn, ("DROP SCHEMA " + schema + " CASCADE").c_str()));
  PQfinish(conn);

  EXPECT_EQ(sqlite_columns, pg_columns);
  // PostgreSQL enforces the case-insensitive unique username with an index
  // on lower(username) where SQLite uses a NOCASE UNIQUE column.
  pg_indexes.erase("users_username");
  EXPECT_EQ(sqlite_indexes, pg_indexes);
}

}  // namespace
}  // namespace ctims
