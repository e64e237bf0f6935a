#include "storage/postgres/postgres_audit.hpp"

#include <string>
#include <string_view>

#include "storage/postgres/postgres_util.hpp"

namespace ctims::storage::postgres {
namespace {

using app::AuditRow;
using core::Result;
using core::Status;

constexpr const char* kAuditColumns =
    "seq, at, user_id, role, agency_id, client_ip, action, resource, record_ids, outcome, prev_hash, hash";

// Messages name schema objects and operations only, never values. A broken
// CHECK (record_ids not an array, a hash of the wrong length) or invalid
// JSON falls through to kInternal: a bug, as the contract says.
Status ErrorFrom(const PgResult& r, std::string_view what) {
  if (r.SqlState() == kUniqueViolation) return Status::Conflict("an audit event with this sequence number exists");
  return GenericError(r, what);
}

AuditRow ReadRow(const PgResult& r, int row) {
  AuditRow a;
  a.seq = r.Int(row, 0);
  a.at = r.Text(row, 1);
  a.user_id = r.Text(row, 2);
  a.role = r.Text(row, 3);
  a.agency_id = r.Text(row, 4);
  a.client_ip = r.Text(row, 5);
  a.action = r.Text(row, 6);
  a.resource = r.Text(row, 7);
  a.record_ids = r.Text(row, 8);
  a.outcome = r.Text(row, 9);
  a.prev_hash = r.Text(row, 10);
  a.hash = r.Text(row, 11);
  return a;
}

Params RowParams(const AuditRow& row) {
  Params p;
  p.Int(row.seq);
  for (const std::string* field : {&row.at, &row.user_id, &row.role, &row.agency_id, &row.client_ip, &row.action,
                                   &row.resource, &row.record_ids, &row.outcome, &row.prev_hash, &row.hash}) {
    p.Text(*field);
  }
  return p;
}

const std::string& InsertSql() {
  static const std::string sql = std::string("INSERT INTO audit_log (") + kAuditColumns +
                                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
  return sql;
}

}  // namespace

Status PostgresAuditOps::AppendAudit(const AuditRow& row) {
  if (!writable()) return Status::Internal("write in a read transaction");
  PgResult r = connection().Write(InsertSql(), RowParams(row));
  return r.ok() ? Status::Ok() : ErrorFrom(r, "append audit");
}

Status PostgresAuditOps::AppendAuditMany(const std::vector<AuditRow>& rows) {
  if (!writable()) return Status::Internal("write in a read transaction");
  if (rows.empty()) return Status::Ok();
  std::vector<Params> params;
  params.reserve(rows.size());
  for (const auto& row : rows) params.push_back(RowParams(row));
  // One round trip for the batch, under one savepoint: all or nothing.
  PgResult r = connection().WriteMany(InsertSql(), params);
  return r.ok() ? Status::Ok() : ErrorFrom(r, "append audit");
}

Result<std::optional<AuditRow>> PostgresAuditOps::LastAudit() {
  PgResult r = connection().Query(std::string("SELECT ") + kAuditColumns + " FROM audit_log ORDER BY seq DESC LIMIT 1");
  if (!r.ok()) return ErrorFrom(r, "last audit");
  if (r.rows() == 0) return std::optional<AuditRow>();
  return std::optional<AuditRow>(ReadRow(r, 0));
}

Result<std::vector<AuditRow>> PostgresAuditOps::ReadAudit(std::int64_t after_seq, std::size_t limit) {
  PgResult r = connection().Query(
      std::string("SELECT ") + kAuditColumns + " FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
      Params().Int(after_seq).Limit(limit));
  if (!r.ok()) return ErrorFrom(r, "read audit");
  std::vector<AuditRow> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(ReadRow(r, i));
  return out;
}

}  // namespace ctims::storage::postgres
