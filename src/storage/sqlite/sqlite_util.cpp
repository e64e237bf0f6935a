#include "storage/sqlite/sqlite_util.hpp"

#include <sqlite3.h>

namespace ctims::storage::sqlite {

using core::Status;

void BindText(sqlite3_stmt* stmt, int index, std::string_view value) {
  sqlite3_bind_text(stmt, index, value.data() == nullptr ? "" : value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
}

void BindOptional(sqlite3_stmt* stmt, int index, const std::optional<std::string>& value) {
  if (value) {
    BindText(stmt, index, *value);
  } else {
    sqlite3_bind_null(stmt, index);
  }
}

void BindOptional(sqlite3_stmt* stmt, int index, const std::optional<std::int64_t>& value) {
  if (value) {
    sqlite3_bind_int64(stmt, index, *value);
  } else {
    sqlite3_bind_null(stmt, index);
  }
}

std::string ColumnText(sqlite3_stmt* stmt, int index) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, index));
  return p == nullptr ? std::string() : std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt, index)));
}

std::optional<std::string> ColumnOptionalText(sqlite3_stmt* stmt, int index) {
  if (sqlite3_column_type(stmt, index) == SQLITE_NULL) return std::nullopt;
  return ColumnText(stmt, index);
}

std::optional<std::int64_t> ColumnOptionalInt(sqlite3_stmt* stmt, int index) {
  if (sqlite3_column_type(stmt, index) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(stmt, index);
}

Status GenericError(int rc, sqlite3* db, std::string_view what) {
  const int primary = rc & 0xFF;
  const std::string msg = std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Unavailable("database busy: " + msg);
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) {
    return Status::Unavailable("storage failure: " + msg);
  }
  return Status::Internal(msg);
}

Status UniqueViolation(sqlite3* db) {
  std::string column;
  if (db != nullptr) {
    const std::string_view m = sqlite3_errmsg(db);
    const auto dot = m.rfind('.');
    if (dot != std::string_view::npos) column = std::string(m.substr(dot + 1));
  }
  return Status::AlreadyExists("a record with this value already exists",
                               {{column, "unique", column + " must be unique"}});
}

}  // namespace ctims::storage::sqlite
