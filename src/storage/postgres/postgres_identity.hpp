#pragma once

// Internal to storage/postgres: the identity half of the PostgreSQL
// transaction. postgres_store.cpp's transaction class derives from
// PostgresIdentityOps (which derives from PostgresAuditOps) and supplies its
// connection, so that one transaction serves both app::StoreTransaction and
// app::IdentityTransaction.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/identity_store.hpp"
#include "core/status.hpp"
#include "storage/postgres/postgres_audit.hpp"

namespace ctims::storage::postgres {

// app::IdentityTransaction's operations on the tables of migration
// 0002_identity.sql, run on connection() inside the transaction the derived
// class has begun. Writes fail with kInternal unless writable().
class PostgresIdentityOps : public PostgresAuditOps {
 public:
  core::Result<std::optional<app::UserRecord>> GetUser(std::string_view id) override;
  core::Result<std::optional<app::UserRecord>> GetUserByUsername(std::string_view username) override;
  core::Status InsertUser(const app::UserRecord& user) override;
  core::Status UpdateUser(const app::UserRecord& user, std::int64_t expected_version) override;
  core::Result<std::vector<app::UserRecord>> ListUsers() override;
  core::Status DeleteUser(std::string_view id) override;

  core::Status UpsertRole(const app::RoleRecord& role) override;
  core::Result<std::optional<app::RoleRecord>> GetRole(std::string_view code) override;
  core::Result<std::vector<app::RoleRecord>> ListRoles() override;

  core::Status InsertSession(const app::SessionRecord& session) override;
  core::Result<std::optional<app::SessionRecord>> GetSession(std::string_view token_hash) override;
  core::Result<SessionWithUser> GetSessionWithUser(std::string_view token_hash) override;
  core::Status TouchSession(std::string_view token_hash, std::string_view last_seen_at,
                            std::string_view client_ip) override;
  core::Status MarkSecondFactorDone(std::string_view token_hash) override;
  core::Status DeleteSession(std::string_view token_hash) override;
  core::Result<std::int64_t> DeleteUserSessions(std::string_view user_id, std::string_view keep_token_hash) override;
  core::Result<std::int64_t> DeleteExpiredSessions(std::string_view idle_before,
                                                   std::string_view created_before) override;

  core::Result<std::optional<app::ThrottleRecord>> GetThrottle(std::string_view key) override;
  core::Status PutThrottle(const app::ThrottleRecord& entry) override;
  core::Status DeleteThrottle(std::string_view key) override;
  core::Result<std::int64_t> DeleteStaleThrottles(std::string_view before) override;

 private:
  // connection() and writable() come from PostgresAuditOps.
  core::Status CheckWritable() const;
};

}  // namespace ctims::storage::postgres
