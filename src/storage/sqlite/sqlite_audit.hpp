#pragma once

// Internal to storage/sqlite: the audit-log operations of the SQLite
// transaction (migration 0004_audit.sql). SqliteIdentityOps derives from
// SqliteAuditOps, and sqlite_store.cpp's transaction class from
// SqliteIdentityOps, so one SQLite transaction serves app::StoreTransaction
// (audit log included) and app::IdentityTransaction. The audit part is a
// class of its own so that the log stays apart from identity.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "app/identity_store.hpp"
#include "core/status.hpp"

struct sqlite3_stmt;

namespace ctims::storage::sqlite {

class StatementCache;  // sqlite_identity.hpp

// app::StoreTransaction's audit-log operations, run on cache() inside the
// transaction the derived class has begun. Writes fail with kInternal unless
// writable(). Not thread-safe (like every transaction).
class SqliteAuditOps : public app::IdentityTransaction {
 public:
  core::Status AppendAudit(const app::AuditRow& row) override;
  core::Result<std::optional<app::AuditRow>> LastAudit() override;
  core::Result<std::vector<app::AuditRow>> ReadAudit(std::int64_t after_seq, std::size_t limit) override;

 protected:
  virtual StatementCache& cache() = 0;
  virtual bool writable() const = 0;
};

}  // namespace ctims::storage::sqlite
