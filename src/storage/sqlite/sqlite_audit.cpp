#include "storage/sqlite/sqlite_audit.hpp"

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "storage/sqlite/sqlite_identity.hpp"
#include "storage/sqlite/sqlite_util.hpp"

namespace ctims::storage::sqlite {
namespace {

using app::AuditRow;
using core::Result;
using core::Status;

constexpr const char* kAuditColumns =
    "seq, at, user_id, role, agency_id, client_ip, action, resource, record_ids, outcome, prev_hash, hash";

// Messages name schema objects and operations only, never values.
Status ErrorFrom(int rc, sqlite3* db, std::string_view what) {
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
    return Status::Conflict("an audit event with this sequence number exists");
  }
  return GenericError(rc, db, what);
}

AuditRow ReadRow(sqlite3_stmt* s) {
  AuditRow r;
  r.seq = sqlite3_column_int64(s, 0);
  r.at = ColumnText(s, 1);
  r.user_id = ColumnText(s, 2);
  r.role = ColumnText(s, 3);
  r.agency_id = ColumnText(s, 4);
  r.client_ip = ColumnText(s, 5);
  r.action = ColumnText(s, 6);
  r.resource = ColumnText(s, 7);
  r.record_ids = ColumnText(s, 8);
  r.outcome = ColumnText(s, 9);
  r.prev_hash = ColumnText(s, 10);
  r.hash = ColumnText(s, 11);
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
