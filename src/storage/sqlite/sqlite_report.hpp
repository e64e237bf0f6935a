#pragma once

// Internal to storage/sqlite: app::ReportQueries (app/report_store.hpp) on
// the SQLite transaction. sqlite_store.cpp's transaction class derives from
// it besides SqliteIdentityOps; the queries run on cache() inside the
// transaction it has begun. Not thread-safe (like every transaction).

#include <vector>

#include "app/report_store.hpp"
#include "core/status.hpp"

namespace ctims::storage::sqlite {

class StatementCache;  // sqlite_identity.hpp

class SqliteReportOps : public app::ReportQueries {
 public:
  core::Result<std::vector<app::ReportCaseRow>> ReportCases(const app::ReportPeriod& period) override;
  core::Result<std::vector<app::ReportAssistRow>> ReportAssistance(const app::ReportPeriod& period) override;
  core::Result<std::vector<app::ReportPersonRow>> ReportPersons() override;

 protected:
  virtual StatementCache& cache() = 0;
};

}  // namespace ctims::storage::sqlite
