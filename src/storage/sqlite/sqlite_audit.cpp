#include "storage/sqlite/sqlite_audit.hpp"

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "storage/sqlite/sqlite_identity.hpp"

namespace ctims::storage::sqlite {
namespace {

using app::AuditRow;
using core::Result;
using core::Status;

constexpr const char* kAuditColumns =
    "seq, at, user_id, role, agency_id, client_ip, action, resource, record_ids, outcome, prev_hash, hash";

// Messages name schema objects and operations only, never values.
Status ErrorFrom(int rc, sqlite3* db, std::string_view what) {
  const int primary = rc & 0xFF;
  const std::string msg = std::string(what) + ": " + sqlite3_errmsg(db);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Unavailable("database busy: " + msg);
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
    return Status::Conflict("an audit event with this sequence number exists");
  }
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) {
    return Status::Unavailable("storage failure: " + msg);
  }
  return Status::Internal(msg);
}

void BindText(sqlite3_stmt* stmt, int index, std::string_view value) {
  // An empty string_view may have a null data(), which SQLite binds as NULL
  // (and "x <> NULL" is never true): text is always text.
  sqlite3_bind_text(stmt, index, value.data() == nullptr ? "" : value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
}

std::string Text(sqlite3_stmt* stmt, int index) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, index));
  return p == nullptr ? std::string() : std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt, index)));
}

AuditRow ReadRow(sqlite3_stmt* s) {
  AuditRow r;
  r.seq = sqlite3_column_int64(s, 0);
  r.at = Text(s, 1);
  r.user_id = Text(s, 2);
  r.role = Text(s, 3);
  r.agency_id = Text(s, 4);
  r.client_ip = Text(s, 5);
  r.action = Text(s, 6);
  r.resource = Text(s, 7);
  r.record_ids = Text(s, 8);
  r.outcome = Text(s, 9);
  r.prev_hash = Text(s, 10);
  r.hash = Text(s, 11);
  return r;
}

}  // namespace

Status SqliteAuditOps::AppendAudit(const AuditRow& row) {
  if (!writable()) return Status::Internal("write in a read transaction");
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, cache().Prepare(std::string("INSERT INTO audit_log (") + kAuditColumns +
                                                              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  sqlite3_bind_int64(stmt, 1, row.seq);
  int i = 2;
  for (const std::string* field : {&row.at, &row.user_id, &row.role, &row.agency_id, &row.client_ip, &row.action,
                                   &row.resource, &row.record_ids, &row.outcome, &row.prev_hash, &row.hash}) {
    BindText(stmt, i++, *field);
  }
  sqlite3* db = cache().db();
  const int rc = sqlite3_step(stmt);
  Status s = rc == SQLITE_DONE ? Status::Ok() : ErrorFrom(sqlite3_extended_errcode(db), db, "append audit");
  sqlite3_reset(stmt);
  return s;
}

Result<std::optional<AuditRow>> SqliteAuditOps::LastAudit() {
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, cache().Prepare(std::string("SELECT ") + kAuditColumns +
                                                              " FROM audit_log ORDER BY seq DESC LIMIT 1"));
  const int rc = sqlite3_step(stmt);
  std::optional<AuditRow> out;
  if (rc == SQLITE_ROW) out = ReadRow(stmt);
  sqlite3_reset(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return ErrorFrom(rc, cache().db(), "last audit");
  return out;
}

Result<std::vector<AuditRow>> SqliteAuditOps::ReadAudit(std::int64_t after_seq, std::size_t limit) {
  CTIMS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, cache().Prepare(std::string("SELECT ") + kAuditColumns +
                                                              " FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"));
  sqlite3_bind_int64(stmt, 1, after_seq);
  // LIMIT takes a signed 64-bit value; anything larger means "no limit".
  sqlite3_bind_int64(stmt, 2, limit > static_cast<std::size_t>(INT64_MAX) ? -1 : static_cast<sqlite3_int64>(limit));
  std::vector<AuditRow> out;
  int rc = 0;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) out.push_back(ReadRow(stmt));
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) return ErrorFrom(rc, cache().db(), "read audit");
  return out;
}

}  // namespace ctims::storage::sqlite
