#pragma once

// Internal to storage/postgres: app::ReportQueries (app/report_store.hpp) on
// the PostgreSQL transaction. postgres_store.cpp's transaction class derives
// from it besides PostgresIdentityOps; the queries run on connection()
// inside the transaction it has begun. Not thread-safe (like every
// transaction).

#include <vector>

#include "app/report_store.hpp"
#include "core/status.hpp"

namespace ctims::storage::postgres {

class PgConnection;  // postgres_util.hpp

class PostgresReportOps : public app::ReportQueries {
 public:
  core::Result<std::vector<app::ReportCaseRow>> ReportCases(const app::ReportPeriod& period) override;
  core::Result<std::vector<app::ReportAssistRow>> ReportAssistance(const app::ReportPeriod& period) override;
  core::Result<std::vector<app::ReportPersonRow>> ReportPersons() override;

 protected:
  virtual PgConnection& connection() = 0;
};

}  // namespace ctims::storage::postgres
