#pragma once

// Internal to storage/postgres: the audit-log operations of the PostgreSQL
// transaction (migration 0004_audit.sql). As in storage/sqlite,
// PostgresIdentityOps derives from PostgresAuditOps and postgres_store.cpp's
// transaction class from PostgresIdentityOps, so that one PostgreSQL
// transaction serves app::StoreTransaction (audit log included) and
// app::IdentityTransaction.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "app/identity_store.hpp"
#include "core/status.hpp"

namespace ctims::storage::postgres {

class PgConnection;  // postgres_util.hpp

// app::StoreTransaction's audit-log operations, run on connection() inside
// the transaction the derived class has begun. Writes fail with kInternal
// unless writable(). Not thread-safe (like every transaction).
class PostgresAuditOps : public app::IdentityTransaction {
 public:
  core::Status AppendAudit(const app::AuditRow& row) override;
  core::Status AppendAuditMany(const std::vector<app::AuditRow>& rows) override;
  core::Result<std::optional<app::AuditRow>> LastAudit() override;
  core::Result<std::vector<app::AuditRow>> ReadAudit(std::int64_t after_seq, std::size_t limit) override;

 protected:
  virtual PgConnection& connection() = 0;
  virtual bool writable() const = 0;
};

}  // namespace ctims::storage::postgres
