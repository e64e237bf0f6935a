#pragma once

// Internal to storage/sqlite: binding and reading values, and mapping SQLite
// result codes to Status, as every file of this backend does them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace ctims::storage::sqlite {

// Binds `value` as TEXT, never as NULL: an empty string_view may have a null
// data(), which sqlite3_bind_text binds as NULL (and "x <> NULL" is never
// true, so such a value would silently match nothing).
void BindText(sqlite3_stmt* stmt, int index, std::string_view value);

// Binds the value, or NULL when there is none.
void BindOptional(sqlite3_stmt* stmt, int index, const std::optional<std::string>& value);
void BindOptional(sqlite3_stmt* stmt, int index, const std::optional<std::int64_t>& value);

// The column as text; "" for NULL.
std::string ColumnText(sqlite3_stmt* stmt, int index);
// The column, or nullopt for NULL.
std::optional<std::string> ColumnOptionalText(sqlite3_stmt* stmt, int index);
std::optional<std::int64_t> ColumnOptionalInt(sqlite3_stmt* stmt, int index);

// The Status for a result code that means the same in every table: busy or
// locked -> kUnavailable "database busy: <what>: <sqlite message>"; full
// disk, I/O error, cannot open -> kUnavailable "storage failure: ..."; the
// rest -> kInternal "<what>: <sqlite message>". Constraint violations mean
// different things to different tables: callers map those first. `db` may
// be null (the message then describes `rc`). Messages name schema objects
// and operations only, never values.
core::Status GenericError(int rc, sqlite3* db, std::string_view what);

// kAlreadyExists for a UNIQUE or PRIMARY KEY violation, naming the column
// SQLite reports ("UNIQUE constraint failed: table.column") in its field
// error; no column when `db` is null.
core::Status UniqueViolation(sqlite3* db);

}  // namespace ctims::storage::sqlite
