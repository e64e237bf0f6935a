#include "storage/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/embedded_file.hpp"
#include "storage/sqlite/sqlite_identity.hpp"
#include "storage/sqlite/sqlite_report.hpp"
#include "storage/sqlite/sqlite_util.hpp"

namespace ctims::storage::sqlite {

std::span<const core::EmbeddedFile> EmbeddedMigrations();  // generated

namespace {

using app::HistoryEntry;
using app::ListQuery;
using app::StoredRecord;
using app::TableDef;
using core::Result;
using core::Status;

// Identifiers come from domain specs, never from clients; this guard makes a
// mistake there fail loudly instead of reaching SQL.
bool SafeIdentifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Status ErrorFrom(int rc, sqlite3* db, std::string_view what) {
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) return UniqueViolation(db);
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return Status::Conflict("the change would break a reference between records");
  }
  return GenericError(rc, db, what);
}

class Connection final : public StatementCache {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const override { return db_; }

  // A prepared statement from this connection's cache, reset and unbound.
  Result<sqlite3_stmt*> Prepare(const std::string& sql) override {
    auto it = cache_.find(sql);
    if (it != cache_.end()) {
      sqlite3_reset(it->second);
      sqlite3_clear_bindings(it->second);
      return it->second;
    }
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return ErrorFrom(rc, db_, "prepare");
    cache_.emplace(sql, stmt);
    return stmt;
  }

  // Runs one statement that returns no rows through the statement cache
  // (BEGIN, COMMIT, ROLLBACK run on every request: parsing them each time
  // shows up in the read benchmark). Returns the SQLite result code.
  int Step(const std::string& sql) {
    auto stmt = Prepare(sql);
    if (!stmt.ok()) return SQLITE_ERROR;
    const int rc = sqlite3_step(*stmt);
    sqlite3_reset(*stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
  }

  Status Exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return ErrorFrom(rc, db_, "exec");
    return Status::Ok();
  }

 private:
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

std::string Quoted(const std::string& identifier) {
  return "\"" + identifier + "\"";
}

constexpr const char* kAccessColumns = "acl_user, acl_agency, acl_path, acl_case, acl_protected";

std::string SelectList(const TableDef& t) {
  std::string cols = "id, version, created_at, updated_at";
  for (const auto& c : t.columns) cols += ", " + Quoted(c);
  cols += ", body";
  if (t.personal) cols += std::string(", ") + kAccessColumns;
  return cols;
}

// The smallest string greater than every string starting with `prefix`
// (prefix non-empty, ASCII): the exclusive upper bound of an index range scan.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0x7F) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

// Appends " AND <the rules of `a`>" to `sql` (a query over a personal table
// whose columns are unqualified) and its parameters to `params`.
Status AppendAccessClause(const app::AccessFilter& a, std::string& sql, std::vector<std::string>& params) {
  std::string scope;
  switch (a.kind) {
    case app::AccessFilter::Kind::kAll: break;
    case app::AccessFilter::Kind::kOwner:
      scope = "acl_user = ?";
      params.push_back(a.value);
      break;
    case app::AccessFilter::Kind::kAgency:
      scope = "acl_agency = ?";
      params.push_back(a.value);
      break;
    case app::AccessFilter::Kind::kPath:
      if (a.value.empty()) return Status::Internal("empty jurisdiction path");
      scope = "acl_path >= ? AND acl_path < ?";
      params.push_back(a.value);
      params.push_back(PrefixEnd(a.value));
      break;
  }
  std::string protection;
  if (!a.include_protected) {
    protection =
        "(acl_protected = 0 OR acl_agency = ? OR EXISTS (SELECT 1 FROM access_grants g"
        " WHERE g.user_id = ? AND g.case_id = acl_case AND g.expires_at > ?))";
    params.push_back(a.viewer_agency);
    params.push_back(a.viewer_user);
    params.push_back(a.now);
  }
  if (a.kind == app::AccessFilter::Kind::kAll) {
    if (!protection.empty()) sql += " AND " + protection;
  } else {
    // In scope and past protection, or shared with the viewer's agency by
    // an accepted referral (which opens protection too).
    // Three OR terms, each on an index (scope, acl_case, id), so SQLite
    // answers with a multi-index OR instead of scanning the table.
    sql += " AND ((" + scope + (protection.empty() ? "" : " AND " + protection) +
           ") OR acl_case IN (SELECT s.case_id FROM case_shares s WHERE s.agency_id = ?)" +
           " OR id IN (SELECT s.person_id FROM case_shares s WHERE s.agency_id = ?))";
    params.push_back(a.viewer_agency);
    params.push_back(a.viewer_agency);
  }
  return Status::Ok();
}

StoredRecord ReadRecord(sqlite3_stmt* stmt, const TableDef& t) {
  StoredRecord r;
  r.id = ColumnText(stmt, 0);
  r.version = sqlite3_column_int64(stmt, 1);
  r.created_at = ColumnText(stmt, 2);
  r.updated_at = ColumnText(stmt, 3);
  int i = 4;
  for (size_t c = 0; c < t.columns.size(); ++c, ++i) {
    if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
      r.columns.emplace_back(std::nullopt);
    } else {
      r.columns.emplace_back(ColumnText(stmt, i));
    }
  }
  r.body = ColumnText(stmt, i++);
  if (t.personal) {
    r.access.owner_user = ColumnText(stmt, i++);
    r.access.agency = ColumnText(stmt, i++);
    r.access.path = ColumnText(stmt, i++);
    r.access.case_id = ColumnText(stmt, i++);
    r.access.is_protected = sqlite3_column_int(stmt, i) != 0;
  }
  return r;
}

void BindAccess(sqlite3_stmt* stmt, int& i, const app::AccessTag& a) {
  BindText(stmt, i++, a.owner_user);
  BindText(stmt, i++, a.agency);
  BindText(stmt, i++, a.path);
  BindText(stmt, i++, a.case_id);
  sqlite3_bind_int(stmt, i++, a.is_protected ? 1 : 0);
}

class Pool {
 public:
  void Add(std::unique_ptr<Connection> c) { all_.push_back(std::move(c)), free_.push_back(all_.back().get()); }

  Connection* Acquire() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return !free_.empty(); });
    Connection* c = free_.back();
    free_.pop_back();
    return c;
  }
  void Release(Connection* c) {
    {
      const std::lock_guard lock(mutex_);
      free_.push_back(c);
    }
    cv_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> all_;
  std::vector<Connection*> free_;
};

// Serves both app::StoreTransaction and, through SqliteIdentityOps
// (sqlite_identity.cpp), app::IdentityTransaction.
class SqliteTransaction final : public SqliteIdentityOps, public SqliteReportOps {
 public:
  SqliteTransaction(Pool& pool, Connection* conn, std::unique_lock<std::mutex> write_lock, bool autocommit = false)
      : pool_(pool), conn_(conn), write_lock_(std::move(write_lock)), autocommit_(autocommit), done_(autocommit) {}

  ~SqliteTransaction() override {
    if (!done_) (void)conn_->Step("ROLLBACK");
    pool_.Release(conn_);
  }

  Result<std::optional<StoredRecord>> Get(const TableDef& t, std::string_view id) override {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    auto stmt = conn_->Prepare("SELECT " + SelectList(t) + " FROM " + t.table + " WHERE id = ?");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, id);
    const int rc = sqlite3_step(*stmt);
    if (rc == SQLITE_DONE) return std::optional<StoredRecord>();
    if (rc != SQLITE_ROW) return ErrorFrom(rc, conn_->db(), "get");
    std::optional<StoredRecord> out = ReadRecord(*stmt, t);
    sqlite3_reset(*stmt);
    return out;
  }

  Result<bool> Exists(const TableDef& t, std::string_view id) override {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    auto stmt = conn_->Prepare("SELECT 1 FROM " + t.table + " WHERE id = ?");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, id);
    const int rc = sqlite3_step(*stmt);
    sqlite3_reset(*stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return ErrorFrom(rc, conn_->db(), "exists");
  }

  Result<std::vector<StoredRecord>> List(const TableDef& t, const ListQuery& q) override {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    if (t.personal && !q.access) return Status::Internal("list of a personal table without an access filter");
    std::string sql = "SELECT " + SelectList(t) + " FROM " + t.table + " WHERE id > ?";
    std::vector<std::string> access_params;
    if (t.personal) CTIMS_RETURN_IF_ERROR(AppendAccessClause(*q.access, sql, access_params));
    for (const auto& f : q.filters) {
      if (!SafeIdentifier(f.field)) return Status::Internal("unsafe filter field");
      switch (f.kind) {
        case app::Filter::Kind::kColumn: sql += " AND " + Quoted(f.field) + " = ?"; break;
        case app::Filter::Kind::kBody: sql += " AND json_extract(body, '$." + f.field + "') = ?"; break;
        case app::Filter::Kind::kBodyContains:
          sql += " AND EXISTS (SELECT 1 FROM json_each(body, '$." + f.field + "') WHERE value = ?)";
          break;
        case app::Filter::Kind::kColumnIsNull: sql += " AND " + Quoted(f.field) + " IS NULL"; break;
      }
    }
    sql += " ORDER BY id LIMIT ?";
    auto stmt = conn_->Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    int i = 1;
    BindText(*stmt, i++, q.after_id);
    for (const auto& p : access_params) BindText(*stmt, i++, p);
    for (const auto& f : q.filters) {
      if (f.kind != app::Filter::Kind::kColumnIsNull) BindText(*stmt, i++, f.value);
    }
    sqlite3_bind_int64(*stmt, i, static_cast<sqlite3_int64>(q.limit));
    std::vector<StoredRecord> out;
    int rc = 0;
    while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) out.push_back(ReadRecord(*stmt, t));
    sqlite3_reset(*stmt);
    if (rc != SQLITE_DONE) return ErrorFrom(rc, conn_->db(), "list");
    return out;
  }

  Status Insert(const TableDef& t, const StoredRecord& r) override {
    CTIMS_RETURN_IF_ERROR(CheckWritable(t, r));
    std::string cols = "id, version, created_at, updated_at";
    std::string params = "?, ?, ?, ?";
    for (const auto& c : t.columns) {
      cols += ", " + Quoted(c);
      params += ", ?";
    }
    cols += ", body";
    params += ", ?";
    if (t.personal) {
      cols += std::string(", ") + kAccessColumns;
      params += ", ?, ?, ?, ?, ?";
    }
    auto stmt = conn_->Prepare("INSERT INTO " + t.table + " (" + cols + ") VALUES (" + params + ")");
    if (!stmt.ok()) return stmt.status();
    int i = 1;
    BindText(*stmt, i++, r.id);
    sqlite3_bind_int64(*stmt, i++, r.version);
    BindText(*stmt, i++, r.created_at);
    BindText(*stmt, i++, r.updated_at);
    for (const auto& v : r.columns) BindOptional(*stmt, i++, v);
    BindText(*stmt, i++, r.body);
    if (t.personal) BindAccess(*stmt, i, r.access);
    Status s = StepWrite(*stmt, "insert");
    if (s.code() == core::StatusCode::kConflict) {
      return Status::InvalidArgument("a reference names no record", {{"", "reference", "unknown record"}});
    }
    return s;
  }

  Status Update(const TableDef& t, const StoredRecord& r, std::int64_t expected_version) override {
    CTIMS_RETURN_IF_ERROR(CheckWritable(t, r));
    std::string sets = "version = ?, updated_at = ?";
    for (const auto& c : t.columns) sets += ", " + Quoted(c) + " = ?";
    sets += ", body = ?";
    if (t.personal) sets += ", acl_user = ?, acl_agency = ?, acl_path = ?, acl_case = ?, acl_protected = ?";
    auto stmt = conn_->Prepare("UPDATE " + t.table + " SET " + sets + " WHERE id = ? AND version = ?");
    if (!stmt.ok()) return stmt.status();
    int i = 1;
    sqlite3_bind_int64(*stmt, i++, r.version);
    BindText(*stmt, i++, r.updated_at);
    for (const auto& v : r.columns) BindOptional(*stmt, i++, v);
    BindText(*stmt, i++, r.body);
    if (t.personal) BindAccess(*stmt, i, r.access);
    BindText(*stmt, i++, r.id);
    sqlite3_bind_int64(*stmt, i, expected_version);
    Status s = StepWrite(*stmt, "update");
    CTIMS_RETURN_IF_ERROR(s);
    if (sqlite3_changes(conn_->db()) == 0) return Missing(t, r.id);
    return Status::Ok();
  }

  Status Delete(const TableDef& t, std::string_view id, std::int64_t expected_version) override {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare("DELETE FROM " + t.table + " WHERE id = ? AND version = ?");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, id);
    sqlite3_bind_int64(*stmt, 2, expected_version);
    Status s = StepWrite(*stmt, "delete");
    if (s.code() == core::StatusCode::kConflict) {
      return Status::Conflict("other records still refer to this one; delete or relink them first");
    }
    CTIMS_RETURN_IF_ERROR(s);
    if (sqlite3_changes(conn_->db()) == 0) return Missing(t, std::string(id));
    return Status::Ok();
  }

  Status SetAccess(const TableDef& t, std::string_view id, const app::AccessTag& tag) override {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    if (!t.personal) return Status::Internal("access tag on a reference table");
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare("UPDATE " + t.table +
                               " SET acl_user = ?, acl_agency = ?, acl_path = ?, acl_case = ?, acl_protected = ?"
                               " WHERE id = ?");
    if (!stmt.ok()) return stmt.status();
    int i = 1;
    BindAccess(*stmt, i, tag);
    BindText(*stmt, i, id);
    const int rc = sqlite3_step(*stmt);
    sqlite3_reset(*stmt);
    if (rc != SQLITE_DONE) return ErrorFrom(rc, conn_->db(), "set access");
    if (sqlite3_changes(conn_->db()) == 0) return Status::NotFound("no record with this id");
    return Status::Ok();
  }

  Status SetAccessByCase(const TableDef& t, std::string_view case_id, const app::AccessTag& tag) override {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    if (!t.personal || !SafeIdentifier(t.case_column)) return Status::Internal("not a table under a case");
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare("UPDATE " + t.table +
                               " SET acl_user = ?, acl_agency = ?, acl_path = ?, acl_case = ?, acl_protected = ?"
                               " WHERE " +
                               Quoted(t.case_column) + " = ?");
    if (!stmt.ok()) return stmt.status();
    int i = 1;
    BindAccess(*stmt, i, tag);
    BindText(*stmt, i, case_id);
    const int rc = sqlite3_step(*stmt);
    sqlite3_reset(*stmt);
    if (rc != SQLITE_DONE) return ErrorFrom(rc, conn_->db(), "set access");
    return Status::Ok();
  }

  Status InsertGrant(const app::AccessGrant& g) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare(
        "INSERT INTO access_grants (id, user_id, case_id, reason, granted_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, g.id);
    BindText(*stmt, 2, g.user_id);
    BindText(*stmt, 3, g.case_id);
    BindText(*stmt, 4, g.reason);
    BindText(*stmt, 5, g.granted_at);
    BindText(*stmt, 6, g.expires_at);
    return StepWrite(*stmt, "grant");
  }

  Result<bool> HasGrant(std::string_view user_id, std::string_view case_id, std::string_view now) override {
    auto stmt =
        conn_->Prepare("SELECT 1 FROM access_grants WHERE user_id = ? AND case_id = ? AND expires_at > ? LIMIT 1");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, user_id);
    BindText(*stmt, 2, case_id);
    BindText(*stmt, 3, now);
    const int rc = sqlite3_step(*stmt);
    sqlite3_reset(*stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return ErrorFrom(rc, conn_->db(), "grant");
  }

  Result<std::vector<app::AccessGrant>> ListGrants(std::string_view case_id) override {
    auto stmt = conn_->Prepare(
        "SELECT id, user_id, case_id, reason, granted_at, expires_at FROM access_grants WHERE case_id = ?"
        " ORDER BY granted_at DESC, id DESC");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, case_id);
    std::vector<app::AccessGrant> out;
    int rc = 0;
    while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
      out.push_back({ColumnText(*stmt, 0), ColumnText(*stmt, 1), ColumnText(*stmt, 2), ColumnText(*stmt, 3),
                     ColumnText(*stmt, 4), ColumnText(*stmt, 5)});
    }
    sqlite3_reset(*stmt);
    if (rc != SQLITE_DONE) return ErrorFrom(rc, conn_->db(), "grants");
    return out;
  }

  // ---- shares, tasks, notifications (issue 4) ----

  Status InsertShare(const app::CaseShare& share) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare(
        "INSERT INTO case_shares (id, case_id, person_id, agency_id, source, source_id, granted_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agency_id, case_id, source_id) DO NOTHING");
    if (!stmt.ok()) return stmt.status();
    int i = 1;
    for (const std::string* v : {&share.id, &share.case_id, &share.person_id, &share.agency_id, &share.source,
                                 &share.source_id, &share.granted_at}) {
      BindText(*stmt, i++, *v);
    }
    return StepWrite(*stmt, "share");
  }

  Result<bool> HasShare(std::string_view agency_id, std::string_view case_id, std::string_view person_id) override {
    auto stmt = conn_->Prepare(
        "SELECT 1 FROM case_shares WHERE agency_id = ?1 AND ((?2 <> '' AND case_id = ?2) OR (?3 <> '' AND "
        "person_id = ?3)) LIMIT 1");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, agency_id);
    BindText(*stmt, 2, case_id);
    BindText(*stmt, 3, person_id);
    const int rc = sqlite3_step(*stmt);
    sqlite3_reset(*stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return ErrorFrom(rc, conn_->db(), "share");
  }

  Result<std::vector<app::CaseShare>> ListShares(std::string_view case_id) override {
    auto stmt = conn_->Prepare(
        "SELECT id, case_id, person_id, agency_id, source, source_id, granted_at FROM case_shares WHERE case_id = ?"
        " ORDER BY granted_at, id");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, case_id);
    std::vector<app::CaseShare> out;
    int rc = 0;
    while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
      out.push_back({ColumnText(*stmt, 0), ColumnText(*stmt, 1), ColumnText(*stmt, 2), ColumnText(*stmt, 3),
                     ColumnText(*stmt, 4), ColumnText(*stmt, 5), ColumnText(*stmt, 6)});
    }
    sqlite3_reset(*stmt);
    if (rc != SQLITE_DONE) return ErrorFrom(rc, conn_->db(), "shares");
    return out;
  }

  static constexpr const char* kTaskColumns =
      "id, version, kind, status, agency_id, user_id, case_id, resource, record_id, due_at, created_at, closed_at,"
      " closed_by";

  static app::WorkTask ReadTask(sqlite3_stmt* stmt) {
    app::WorkTask t;
    t.id = ColumnText(stmt, 0);
    t.version = sqlite3_column_int64(stmt, 1);
    t.kind = ColumnText(stmt, 2);
    t.status = ColumnText(stmt, 3);
    t.agency_id = ColumnText(stmt, 4);
    t.user_id = ColumnText(stmt, 5);
    t.case_id = ColumnText(stmt, 6);
    t.resource = ColumnText(stmt, 7);
    t.record_id = ColumnText(stmt, 8);
    t.due_at = ColumnText(stmt, 9);
    t.created_at = ColumnText(stmt, 10);
    t.closed_at = ColumnText(stmt, 11);
    t.closed_by = ColumnText(stmt, 12);
    return t;
  }

  Status InsertTask(const app::WorkTask& t) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare(std::string("INSERT INTO tasks (") + kTaskColumns +
                               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, t.id);
    sqlite3_bind_int64(*stmt, 2, t.version);
    int i = 3;
    for (const std::string* v : {&t.kind, &t.status, &t.agency_id, &t.user_id, &t.case_id, &t.resource, &t.record_id,
                                 &t.due_at, &t.created_at, &t.closed_at, &t.closed_by}) {
      BindText(*stmt, i++, *v);
    }
    return StepWrite(*stmt, "task");
  }

  Result<std::optional<app::WorkTask>> GetTask(std::string_view id) override {
    auto stmt = conn_->Prepare(std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE id = ?");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, id);
    const int rc = sqlite3_step(*stmt);
    if (rc == SQLITE_DONE) return std::optional<app::WorkTask>();
    if (rc != SQLITE_ROW) return ErrorFrom(rc, conn_->db(), "task");
    std::optional<app::WorkTask> out = ReadTask(*stmt);
    sqlite3_reset(*stmt);
    return out;
  }

  Status UpdateTask(const app::WorkTask& t, std::int64_t expected_version) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare(
        "UPDATE tasks SET version = ?, status = ?, user_id = ?, due_at = ?, closed_at = ?, closed_by = ?"
        " WHERE id = ? AND version = ?");
    if (!stmt.ok()) return stmt.status();
    sqlite3_bind_int64(*stmt, 1, t.version);
    BindText(*stmt, 2, t.status);
    BindText(*stmt, 3, t.user_id);
    BindText(*stmt, 4, t.due_at);
    BindText(*stmt, 5, t.closed_at);
    BindText(*stmt, 6, t.closed_by);
    BindText(*stmt, 7, t.id);
    sqlite3_bind_int64(*stmt, 8, expected_version);
    CTIMS_RETURN_IF_ERROR(StepWrite(*stmt, "update task"));
    if (sqlite3_changes(conn_->db()) == 1) return Status::Ok();
    CTIMS_ASSIGN_OR_RETURN(auto current, GetTask(t.id));
    if (!current) return Status::NotFound("no task with this id");
    return Status::Conflict("stale task version", {{"version", "stale", "the task changed since it was read"}});
  }

  Result<std::vector<app::WorkTask>> ListTasks(const app::TaskQuery& q) override {
    std::string sql = std::string("SELECT ") + kTaskColumns +
                      " FROM tasks WHERE ((?1 <> '' AND agency_id = ?1) OR (?2 <> '' AND user_id = ?2))";
    if (q.open_only) sql += " AND status = 'Open'";
    if (!q.due_before.empty()) sql += " AND due_at < ?3";
    sql += " ORDER BY due_at, id LIMIT ?4";
    auto stmt = conn_->Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, q.agency_id);
    BindText(*stmt, 2, q.user_id);
    BindText(*stmt, 3, q.due_before);
    sqlite3_bind_int64(*stmt, 4, static_cast<sqlite3_int64>(q.limit));
    std::vector<app::WorkTask> out;
    int rc = 0;
    while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) out.push_back(ReadTask(*stmt));
    sqlite3_reset(*stmt);
    if (rc != SQLITE_DONE) return ErrorFrom(rc, conn_->db(), "tasks");
    return out;
  }

  Result<int> CloseTasks(std::string_view resource, std::string_view record_id, std::string_view kind,
                         std::string_view status, std::string_view at, std::string_view by) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare(
        "UPDATE tasks SET status = ?4, closed_at = ?5, closed_by = ?6, version = version + 1"
        " WHERE resource = ?1 AND record_id = ?2 AND (?3 = '' OR kind = ?3) AND status = 'Open'");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, resource);
    BindText(*stmt, 2, record_id);
    BindText(*stmt, 3, kind);
    BindText(*stmt, 4, status);
    BindText(*stmt, 5, at);
    BindText(*stmt, 6, by);
    CTIMS_RETURN_IF_ERROR(StepWrite(*stmt, "close tasks"));
    return sqlite3_changes(conn_->db());
  }

  Result<bool> InsertNotification(const app::Notification& n) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare(
        "INSERT INTO notifications (id, kind, user_id, agency_id, audience, case_id, resource, record_id, "
        "created_at, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING");
    if (!stmt.ok()) return stmt.status();
    int i = 1;
    for (const std::string* v : {&n.id, &n.kind, &n.user_id, &n.agency_id, &n.audience, &n.case_id, &n.resource,
                                 &n.record_id, &n.created_at, &n.dedupe_key}) {
      BindText(*stmt, i++, *v);
    }
    CTIMS_RETURN_IF_ERROR(StepWrite(*stmt, "notification"));
    return sqlite3_changes(conn_->db()) == 1;
  }

  Result<std::vector<app::Notification>> ListNotifications(std::string_view user_id, std::string_view agency_id,
                                                           std::size_t limit) override {
    auto stmt = conn_->Prepare(
        "SELECT n.id, n.kind, n.user_id, n.agency_id, n.audience, n.case_id, n.resource, n.record_id, n.created_at,"
        " n.dedupe_key, r.read_at IS NOT NULL FROM notifications n LEFT JOIN notification_reads r"
        " ON r.notification_id = n.id AND r.user_id = ?1"
        " WHERE (?1 <> '' AND n.user_id = ?1) OR (?2 <> '' AND n.agency_id = ?2)"
        " ORDER BY n.created_at DESC, n.id DESC LIMIT ?3");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, user_id);
    BindText(*stmt, 2, agency_id);
    sqlite3_bind_int64(*stmt, 3, static_cast<sqlite3_int64>(limit));
    std::vector<app::Notification> out;
    int rc = 0;
    while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
      app::Notification n;
      n.id = ColumnText(*stmt, 0);
      n.kind = ColumnText(*stmt, 1);
      n.user_id = ColumnText(*stmt, 2);
      n.agency_id = ColumnText(*stmt, 3);
      n.audience = ColumnText(*stmt, 4);
      n.case_id = ColumnText(*stmt, 5);
      n.resource = ColumnText(*stmt, 6);
      n.record_id = ColumnText(*stmt, 7);
      n.created_at = ColumnText(*stmt, 8);
      n.dedupe_key = ColumnText(*stmt, 9);
      n.read = sqlite3_column_int(*stmt, 10) != 0;
      out.push_back(std::move(n));
    }
    sqlite3_reset(*stmt);
    if (rc != SQLITE_DONE) return ErrorFrom(rc, conn_->db(), "notifications");
    return out;
  }

  Status MarkNotificationRead(std::string_view notification_id, std::string_view user_id,
                              std::string_view at) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto exists = conn_->Prepare("SELECT 1 FROM notifications WHERE id = ?");
    if (!exists.ok()) return exists.status();
    BindText(*exists, 1, notification_id);
    const int rc = sqlite3_step(*exists);
    sqlite3_reset(*exists);
    if (rc == SQLITE_DONE) return Status::NotFound("no notification with this id");
    if (rc != SQLITE_ROW) return ErrorFrom(rc, conn_->db(), "notification");
    auto stmt = conn_->Prepare(
        "INSERT INTO notification_reads (notification_id, user_id, read_at) VALUES (?, ?, ?)"
        " ON CONFLICT (notification_id, user_id) DO NOTHING");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, notification_id);
    BindText(*stmt, 2, user_id);
    BindText(*stmt, 3, at);
    return StepWrite(*stmt, "notification read");
  }

  Status AppendHistory(const HistoryEntry& e) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare(
        "INSERT INTO record_history (resource, record_id, version, action, actor, at, changes, acl_user, acl_agency,"
        " acl_path, acl_case, acl_protected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, e.resource);
    BindText(*stmt, 2, e.record_id);
    sqlite3_bind_int64(*stmt, 3, e.version);
    BindText(*stmt, 4, e.action);
    BindText(*stmt, 5, e.actor);
    BindText(*stmt, 6, e.at);
    BindText(*stmt, 7, e.changes);
    int next = 8;
    BindAccess(*stmt, next, e.access);
    return StepWrite(*stmt, "history");
  }

  Result<std::vector<HistoryEntry>> History(std::string_view resource, std::string_view record_id) override {
    auto stmt = conn_->Prepare(
        "SELECT seq, resource, record_id, version, action, actor, at, changes, acl_user, acl_agency, acl_path, "
        "acl_case, acl_protected FROM record_history WHERE resource = ? AND record_id = ? ORDER BY seq");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, resource);
    BindText(*stmt, 2, record_id);
    std::vector<HistoryEntry> out;
    int rc = 0;
    while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
      HistoryEntry e{sqlite3_column_int64(*stmt, 0), ColumnText(*stmt, 1), ColumnText(*stmt, 2),
                     sqlite3_column_int64(*stmt, 3), ColumnText(*stmt, 4), ColumnText(*stmt, 5),
                     ColumnText(*stmt, 6),           ColumnText(*stmt, 7), {}};
      e.access = {ColumnText(*stmt, 8), ColumnText(*stmt, 9), ColumnText(*stmt, 10), ColumnText(*stmt, 11),
                  sqlite3_column_int(*stmt, 12) != 0};
      out.push_back(std::move(e));
    }
    sqlite3_reset(*stmt);
    if (rc != SQLITE_DONE) return ErrorFrom(rc, conn_->db(), "history");
    return out;
  }

  // ---- maintenance (key rotation) ----
  Status RewriteBody(const TableDef& t, std::string_view id, std::int64_t version, std::string_view body) override {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare("UPDATE " + t.table + " SET body = ? WHERE id = ? AND version = ?");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, body);
    BindText(*stmt, 2, id);
    sqlite3_bind_int64(*stmt, 3, version);
    CTIMS_RETURN_IF_ERROR(StepWrite(*stmt, "rewrite body"));
    if (sqlite3_changes(conn_->db()) == 0) return Missing(t, std::string(id));
    return Status::Ok();
  }

  Result<std::vector<HistoryEntry>> ListHistory(std::int64_t after_seq, std::size_t limit) override {
    auto stmt = conn_->Prepare(
        "SELECT seq, resource, record_id, version, action, actor, at, changes FROM record_history "
        "WHERE seq > ? ORDER BY seq LIMIT ?");
    if (!stmt.ok()) return stmt.status();
    sqlite3_bind_int64(*stmt, 1, after_seq);
    sqlite3_bind_int64(*stmt, 2, static_cast<sqlite3_int64>(limit));
    std::vector<HistoryEntry> out;
    int rc = 0;
    while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
      out.push_back({sqlite3_column_int64(*stmt, 0),
                     ColumnText(*stmt, 1),
                     ColumnText(*stmt, 2),
                     sqlite3_column_int64(*stmt, 3),
                     ColumnText(*stmt, 4),
                     ColumnText(*stmt, 5),
                     ColumnText(*stmt, 6),
                     ColumnText(*stmt, 7),
                     {}});
    }
    sqlite3_reset(*stmt);
    if (rc != SQLITE_DONE) return ErrorFrom(rc, conn_->db(), "list history");
    return out;
  }

  Status RewriteHistoryChanges(std::int64_t seq, std::string_view changes) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare("UPDATE record_history SET changes = ? WHERE seq = ?");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, changes);
    sqlite3_bind_int64(*stmt, 2, seq);
    CTIMS_RETURN_IF_ERROR(StepWrite(*stmt, "rewrite history"));
    if (sqlite3_changes(conn_->db()) == 0) return Status::NotFound("no history entry with this seq");
    return Status::Ok();
  }

  Status StepWrite(sqlite3_stmt* stmt, std::string_view what) {
    const int rc = sqlite3_step(stmt);
    Status s = rc == SQLITE_DONE ? Status::Ok() : ErrorFrom(sqlite3_extended_errcode(conn_->db()), conn_->db(), what);
    sqlite3_reset(stmt);
    return s;
  }

  // ==== person search and duplicate review (issue 8) ========================
  Status AddPersonNameTokens(const std::vector<std::pair<std::string, std::int64_t>>& rows) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare("INSERT OR IGNORE INTO person_name_keys (token, person_id) VALUES (?, ?)");
    if (!stmt.ok()) return stmt.status();
    for (const auto& [person, token] : rows) {
      sqlite3_bind_int64(*stmt, 1, token);
      BindText(*stmt, 2, person);
      Status s = StepWrite(*stmt, "name key");
      if (s.code() == core::StatusCode::kConflict) {
        return Status::InvalidArgument("a name key names no person", {{"person_id", "reference", "unknown person"}});
      }
      CTIMS_RETURN_IF_ERROR(s);
    }
    return Status::Ok();
  }

  Status DeletePersonNameTokens(std::string_view person_id) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare(person_id.empty() ? "DELETE FROM person_name_keys"
                                                 : "DELETE FROM person_name_keys WHERE person_id = ?");
    if (!stmt.ok()) return stmt.status();
    if (!person_id.empty()) BindText(*stmt, 1, person_id);
    return StepWrite(*stmt, "name keys");
  }

  Result<std::vector<std::int64_t>> CountPersonNameTokens(const std::vector<std::int64_t>& tokens,
                                                          std::size_t cap) override {
    auto stmt = conn_->Prepare("SELECT COUNT(*) FROM (SELECT 1 FROM person_name_keys WHERE token = ? LIMIT ?)");
    if (!stmt.ok()) return stmt.status();
    std::vector<std::int64_t> out;
    out.reserve(tokens.size());
    for (std::int64_t t : tokens) {
      sqlite3_bind_int64(*stmt, 1, t);
      sqlite3_bind_int64(*stmt, 2, static_cast<sqlite3_int64>(std::min<std::size_t>(cap, std::size_t{1} << 30)) + 1);
      const int rc = sqlite3_step(*stmt);
      if (rc != SQLITE_ROW) {
        sqlite3_reset(*stmt);
        return ErrorFrom(rc, conn_->db(), "count name keys");
      }
      out.push_back(sqlite3_column_int64(*stmt, 0));
      sqlite3_reset(*stmt);
    }
    return out;
  }

  Result<std::vector<app::PersonTokenHit>> FindPersonsByNameTokens(const TableDef& t,
                                                                   const std::vector<std::int64_t>& tokens,
                                                                   const app::AccessFilter& access,
                                                                   std::size_t limit) override {
    std::vector<app::PersonTokenHit> out;
    if (tokens.empty() || limit == 0) return out;
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    if (!t.personal) return Status::Internal("name keys index a personal table");
    std::string in;
    for (std::size_t i = 0; i < tokens.size(); ++i) in += i == 0 ? "?" : ", ?";
    // The persons sharing the most tokens are ranked on the index alone and
    // only a window of the best is joined with their rows (and the access
    // filter): ranking every joined row read up to tokens x 2,000 person
    // rows per query at 1,000,000 persons (issue 8 §5). When the filter
    // leaves fewer than `limit` in the window and the window was full, it
    // grows eightfold and the query runs again, so the answer is the same as
    // ranking all of them.
    const std::string grouped =
        "SELECT person_id, COUNT(*) AS n FROM person_name_keys WHERE token IN (" + in + ") GROUP BY person_id";
    std::string sql = "SELECT " + SelectList(t) + ", k.n FROM (" + grouped +
                      " ORDER BY n DESC, person_id LIMIT ?) k JOIN " + t.table + " ON " + t.table +
                      ".id = k.person_id WHERE 1 = 1";
    std::vector<std::string> params;
    CTIMS_RETURN_IF_ERROR(AppendAccessClause(access, sql, params));
    sql += " ORDER BY k.n DESC, " + t.table + ".id LIMIT ?";
    auto stmt = conn_->Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    const auto capped = static_cast<sqlite3_int64>(std::min<std::size_t>(limit, 1u << 30));
    const int n_column = static_cast<int>(4 + t.columns.size() + 1 + 5);
    for (sqlite3_int64 window = std::max<sqlite3_int64>(capped, 64);; window *= 8) {
      out.clear();
      int i = 1;
      for (std::int64_t token : tokens) sqlite3_bind_int64(*stmt, i++, token);
      sqlite3_bind_int64(*stmt, i++, window);
      for (const auto& p : params) BindText(*stmt, i++, p);
      sqlite3_bind_int64(*stmt, i, capped);
      int rc = 0;
      while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
        out.push_back({ReadRecord(*stmt, t), sqlite3_column_int(*stmt, n_column)});
      }
      sqlite3_reset(*stmt);
      if (rc != SQLITE_DONE) return ErrorFrom(rc, conn_->db(), "find persons by name keys");
      if (static_cast<sqlite3_int64>(out.size()) >= capped || params.empty()) break;
      // Fewer than wanted: did the window hold every person sharing a token?
      auto count = conn_->Prepare("SELECT COUNT(*) FROM (" + grouped + " LIMIT ?)");
      if (!count.ok()) return count.status();
      int c = 1;
      for (std::int64_t token : tokens) sqlite3_bind_int64(*count, c++, token);
      sqlite3_bind_int64(*count, c, window);
      rc = sqlite3_step(*count);
      const sqlite3_int64 groups = rc == SQLITE_ROW ? sqlite3_column_int64(*count, 0) : 0;
      sqlite3_reset(*count);
      if (rc != SQLITE_ROW) return ErrorFrom(rc, conn_->db(), "count persons by name keys");
      if (groups < window) break;
    }
    return out;
  }

  static constexpr const char* kPairColumns =
      "id, version, person_a, person_b, score, explanation, source, status, created_at, reviewed_by, reviewed_at";

  static app::DuplicatePair ReadPair(sqlite3_stmt* stmt) {
    app::DuplicatePair p;
    p.id = ColumnText(stmt, 0);
    p.version = sqlite3_column_int64(stmt, 1);
    p.person_a = ColumnText(stmt, 2);
    p.person_b = ColumnText(stmt, 3);
    p.score = sqlite3_column_double(stmt, 4);
    p.explanation = ColumnText(stmt, 5);
    p.source = ColumnText(stmt, 6);
    p.status = ColumnText(stmt, 7);
    p.created_at = ColumnText(stmt, 8);
    p.reviewed_by = ColumnText(stmt, 9);
    p.reviewed_at = ColumnText(stmt, 10);
    return p;
  }

  Result<bool> InsertDuplicatePair(const app::DuplicatePair& p) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    if (!(p.person_a < p.person_b)) return Status::Internal("duplicate pair out of order");
    auto stmt =
        conn_->Prepare(std::string("INSERT INTO person_duplicates (") + kPairColumns +
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (person_a, person_b) DO NOTHING");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, p.id);
    sqlite3_bind_int64(*stmt, 2, p.version);
    BindText(*stmt, 3, p.person_a);
    BindText(*stmt, 4, p.person_b);
    sqlite3_bind_double(*stmt, 5, p.score);
    int i = 6;
    for (const std::string* v : {&p.explanation, &p.source, &p.status, &p.created_at, &p.reviewed_by, &p.reviewed_at}) {
      BindText(*stmt, i++, *v);
    }
    CTIMS_RETURN_IF_ERROR(StepWrite(*stmt, "duplicate pair"));
    return sqlite3_changes(conn_->db()) == 1;
  }

  // The one pair a bound statement selects, or none; the statement is reset.
  Result<std::optional<app::DuplicatePair>> StepOnePair(sqlite3_stmt* stmt) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
      sqlite3_reset(stmt);
      return std::optional<app::DuplicatePair>();
    }
    if (rc != SQLITE_ROW) {
      sqlite3_reset(stmt);
      return ErrorFrom(rc, conn_->db(), "duplicate pair");
    }
    std::optional<app::DuplicatePair> out = ReadPair(stmt);
    sqlite3_reset(stmt);
    return out;
  }

  Result<std::optional<app::DuplicatePair>> GetDuplicatePair(std::string_view id) override {
    auto stmt = conn_->Prepare(std::string("SELECT ") + kPairColumns + " FROM person_duplicates WHERE id = ?");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, id);
    return StepOnePair(*stmt);
  }

  Result<std::optional<app::DuplicatePair>> FindDuplicatePair(std::string_view person_a,
                                                              std::string_view person_b) override {
    if (person_b < person_a) std::swap(person_a, person_b);
    auto stmt = conn_->Prepare(std::string("SELECT ") + kPairColumns +
                               " FROM person_duplicates WHERE person_a = ? AND person_b = ?");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, person_a);
    BindText(*stmt, 2, person_b);
    return StepOnePair(*stmt);
  }

  Status UpdateDuplicatePair(const app::DuplicatePair& p, std::int64_t expected_version) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare(
        "UPDATE person_duplicates SET version = ?, score = ?, explanation = ?, status = ?, reviewed_by = ?,"
        " reviewed_at = ? WHERE id = ? AND version = ?");
    if (!stmt.ok()) return stmt.status();
    sqlite3_bind_int64(*stmt, 1, p.version);
    sqlite3_bind_double(*stmt, 2, p.score);
    BindText(*stmt, 3, p.explanation);
    BindText(*stmt, 4, p.status);
    BindText(*stmt, 5, p.reviewed_by);
    BindText(*stmt, 6, p.reviewed_at);
    BindText(*stmt, 7, p.id);
    sqlite3_bind_int64(*stmt, 8, expected_version);
    CTIMS_RETURN_IF_ERROR(StepWrite(*stmt, "update duplicate pair"));
    if (sqlite3_changes(conn_->db()) == 1) return Status::Ok();
    CTIMS_ASSIGN_OR_RETURN(auto current, GetDuplicatePair(p.id));
    if (!current) return Status::NotFound("no duplicate pair with this id");
    return Status::Conflict("stale version", {{"version", "stale", "the pair changed since it was read"}});
  }

  Result<std::vector<app::DuplicatePair>> ListDuplicatePairs(std::string_view status, std::string_view after_id,
                                                             std::size_t limit) override {
    auto stmt =
        conn_->Prepare(std::string("SELECT ") + kPairColumns +
                       " FROM person_duplicates WHERE (?1 = '' OR status = ?1) AND id > ?2 ORDER BY id LIMIT ?3");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, status);
    BindText(*stmt, 2, after_id);
    sqlite3_bind_int64(*stmt, 3, static_cast<sqlite3_int64>(std::min<std::size_t>(limit, 1u << 30)));
    std::vector<app::DuplicatePair> out;
    int rc = 0;
    while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) out.push_back(ReadPair(*stmt));
    sqlite3_reset(*stmt);
    if (rc != SQLITE_DONE) return ErrorFrom(rc, conn_->db(), "duplicate pairs");
    return out;
  }

  static constexpr const char* kMergeColumns =
      "id, version, kept_id, merged_id, duplicate_id, moved, merged_by, merged_at, undone_by, undone_at";

  static app::PersonMerge ReadMerge(sqlite3_stmt* stmt) {
    app::PersonMerge m;
    m.id = ColumnText(stmt, 0);
    m.version = sqlite3_column_int64(stmt, 1);
    m.kept_id = ColumnText(stmt, 2);
    m.merged_id = ColumnText(stmt, 3);
    m.duplicate_id = ColumnText(stmt, 4);
    m.moved = ColumnText(stmt, 5);
    m.merged_by = ColumnText(stmt, 6);
    m.merged_at = ColumnText(stmt, 7);
    m.undone_by = ColumnText(stmt, 8);
    m.undone_at = ColumnText(stmt, 9);
    return m;
  }

  Status InsertPersonMerge(const app::PersonMerge& m) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare(std::string("INSERT INTO person_merges (") + kMergeColumns +
                               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, m.id);
    sqlite3_bind_int64(*stmt, 2, m.version);
    int i = 3;
    for (const std::string* v : {&m.kept_id, &m.merged_id, &m.duplicate_id, &m.moved, &m.merged_by, &m.merged_at,
                                 &m.undone_by, &m.undone_at}) {
      BindText(*stmt, i++, *v);
    }
    const int rc = sqlite3_step(*stmt);
    const int ext = sqlite3_extended_errcode(conn_->db());
    Status failed = rc == SQLITE_DONE ? Status::Ok() : ErrorFrom(ext, conn_->db(), "person merge");
    sqlite3_reset(*stmt);
    if (rc == SQLITE_DONE) return Status::Ok();
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return Status::AlreadyExists("the person is already merged", {{"merged_id", "merged", "already merged"}});
    }
    if (ext == SQLITE_CONSTRAINT_FOREIGNKEY) {
      return Status::InvalidArgument("no person with this id", {{"kept_id", "reference", "no person with this id"}});
    }
    return failed;
  }

  Result<std::optional<app::PersonMerge>> GetPersonMerge(std::string_view id) override {
    auto stmt = conn_->Prepare(std::string("SELECT ") + kMergeColumns + " FROM person_merges WHERE id = ?");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, id);
    const int rc = sqlite3_step(*stmt);
    std::optional<app::PersonMerge> out;
    if (rc == SQLITE_ROW) out = ReadMerge(*stmt);
    sqlite3_reset(*stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return ErrorFrom(rc, conn_->db(), "person merge");
    return out;
  }

  Status UpdatePersonMerge(const app::PersonMerge& m, std::int64_t expected_version) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare(
        "UPDATE person_merges SET version = ?, moved = ?, undone_by = ?, undone_at = ? WHERE id = ? AND version = ?");
    if (!stmt.ok()) return stmt.status();
    sqlite3_bind_int64(*stmt, 1, m.version);
    BindText(*stmt, 2, m.moved);
    BindText(*stmt, 3, m.undone_by);
    BindText(*stmt, 4, m.undone_at);
    BindText(*stmt, 5, m.id);
    sqlite3_bind_int64(*stmt, 6, expected_version);
    CTIMS_RETURN_IF_ERROR(StepWrite(*stmt, "update person merge"));
    if (sqlite3_changes(conn_->db()) == 1) return Status::Ok();
    CTIMS_ASSIGN_OR_RETURN(auto current, GetPersonMerge(m.id));
    if (!current) return Status::NotFound("no merge with this id");
    return Status::Conflict("stale version", {{"version", "stale", "the merge changed since it was read"}});
  }

  Result<std::vector<app::PersonMerge>> ListPersonMerges(std::string_view person_id, std::string_view after_id,
                                                         std::size_t limit) override {
    auto stmt = conn_->Prepare(std::string("SELECT ") + kMergeColumns +
                               " FROM person_merges WHERE (?1 = '' OR kept_id = ?1 OR merged_id = ?1) AND id > ?2"
                               " ORDER BY id LIMIT ?3");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, person_id);
    BindText(*stmt, 2, after_id);
    sqlite3_bind_int64(*stmt, 3, static_cast<sqlite3_int64>(std::min<std::size_t>(limit, 1u << 30)));
    std::vector<app::PersonMerge> out;
    int rc = 0;
    while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) out.push_back(ReadMerge(*stmt));
    sqlite3_reset(*stmt);
    if (rc != SQLITE_DONE) return ErrorFrom(rc, conn_->db(), "person merges");
    return out;
  }

  Result<std::vector<app::CaseShare>> ListSharesOfPerson(std::string_view person_id) override {
    auto stmt = conn_->Prepare(
        "SELECT id, case_id, person_id, agency_id, source, source_id, granted_at FROM case_shares WHERE person_id = ?"
        " ORDER BY id");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, person_id);
    std::vector<app::CaseShare> out;
    int rc = 0;
    while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
      out.push_back({ColumnText(*stmt, 0), ColumnText(*stmt, 1), ColumnText(*stmt, 2), ColumnText(*stmt, 3),
                     ColumnText(*stmt, 4), ColumnText(*stmt, 5), ColumnText(*stmt, 6)});
    }
    sqlite3_reset(*stmt);
    if (rc != SQLITE_DONE) return ErrorFrom(rc, conn_->db(), "shares of person");
    return out;
  }

  Status RepointShare(std::string_view share_id, std::string_view from, std::string_view to) override {
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    auto stmt = conn_->Prepare("UPDATE case_shares SET person_id = ?3 WHERE id = ?1 AND person_id = ?2");
    if (!stmt.ok()) return stmt.status();
    BindText(*stmt, 1, share_id);
    BindText(*stmt, 2, from);
    BindText(*stmt, 3, to);
    CTIMS_RETURN_IF_ERROR(StepWrite(*stmt, "repoint share"));
    if (sqlite3_changes(conn_->db()) == 1) return Status::Ok();
    auto check = conn_->Prepare("SELECT 1 FROM case_shares WHERE id = ?");
    if (!check.ok()) return check.status();
    BindText(*check, 1, share_id);
    const int rc = sqlite3_step(*check);
    sqlite3_reset(*check);
    if (rc == SQLITE_ROW) return Status::Conflict("the share's person changed", {{"person_id", "moved", ""}});
    if (rc == SQLITE_DONE) return Status::NotFound("no share with this id");
    return ErrorFrom(rc, conn_->db(), "share");
  }
  // ==== end of person search and duplicate review (issue 8) =================

  Status Commit() override {
    if (autocommit_) return Status::Ok();  // every statement committed on its own
    if (done_) return Status::Internal("transaction already finished");
    const int rc = conn_->Step("COMMIT");
    if (rc != SQLITE_OK) return ErrorFrom(rc, conn_->db(), "commit");  // destructor rolls back
    done_ = true;
    return Status::Ok();
  }

 protected:
  StatementCache& cache() override { return *conn_; }
  bool writable() const override { return write_lock_.mutex() != nullptr; }

 private:
  static Status CheckTable(const TableDef& t) {
    if (!SafeIdentifier(t.table)) return Status::Internal("unsafe table name");
    for (const auto& c : t.columns) {
      if (!SafeIdentifier(c)) return Status::Internal("unsafe column name");
    }
    return Status::Ok();
  }
  Status CheckWritable(const TableDef& t, const StoredRecord& r) const {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    if (write_lock_.mutex() == nullptr) return Status::Internal("write in a read transaction");
    if (r.columns.size() != t.columns.size()) return Status::Internal("column count mismatch");
    return Status::Ok();
  }
  Status Missing(const TableDef& t, const std::string& id) {
    auto exists = Exists(t, id);
    if (!exists.ok()) return exists.status();
    if (!*exists) return Status::NotFound("no record with this id");
    return Status::Conflict("stale version", {{"version", "stale", "the record changed since it was read"}});
  }

  Pool& pool_;
  Connection* conn_;
  std::unique_lock<std::mutex> write_lock_;
  bool autocommit_ = false;
  bool done_ = false;
};

int MigrationNumber(std::string_view name) {
  int n = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
  return (ec == std::errc() && ptr != name.data()) ? n : -1;
}

class SqliteStore final : public app::Store, public app::IdentityStore {
 public:
  explicit SqliteStore(SqliteOptions options) : options_(std::move(options)) {}

  Status Open() {
    for (int i = 0; i < std::max(1, options_.pool_size); ++i) {
      sqlite3* db = nullptr;
      const int rc = sqlite3_open_v2(options_.path.c_str(), &db,
                                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
      auto conn = std::make_unique<Connection>(db);
      if (rc != SQLITE_OK) return Status::Unavailable("cannot open database: " + std::string(sqlite3_errstr(rc)));
      sqlite3_extended_result_codes(db, 1);
      sqlite3_busy_timeout(db, options_.busy_timeout_ms);
      // WAL lets readers run while one writer commits; FULL makes every
      // acknowledged commit durable across power loss (WAL + NORMAL could
      // lose the last commits), which the crash test checks.
      if (i == 0) CTIMS_RETURN_IF_ERROR(Wrap(conn->Exec("PRAGMA journal_mode=WAL")));
      // temp_store=MEMORY: sorts and temporary tables never spill to files
      // in /tmp (issue 3 canary test: no plaintext in temporary files).
      CTIMS_RETURN_IF_ERROR(
          Wrap(conn->Exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;")));
      if (options_.cache_kib > 0) {
        CTIMS_RETURN_IF_ERROR(Wrap(conn->Exec("PRAGMA cache_size=-" + std::to_string(options_.cache_kib))));
      }
      if (options_.wal_autocheckpoint_pages > 0) {
        CTIMS_RETURN_IF_ERROR(
            Wrap(conn->Exec("PRAGMA wal_autocheckpoint=" + std::to_string(options_.wal_autocheckpoint_pages))));
      }
      pool_.Add(std::move(conn));
    }
    return Status::Ok();
  }

  Result<std::unique_ptr<app::StoreTransaction>> Begin(app::TxMode mode) override {
    CTIMS_ASSIGN_OR_RETURN(auto tx, BeginTransaction(mode));
    return std::unique_ptr<app::StoreTransaction>(std::move(tx));
  }

  Result<std::unique_ptr<app::IdentityTransaction>> BeginIdentity(app::TxMode mode) override {
    CTIMS_ASSIGN_OR_RETURN(auto tx, BeginTransaction(mode));
    return std::unique_ptr<app::IdentityTransaction>(std::move(tx));
  }

  Result<std::unique_ptr<SqliteTransaction>> BeginTransaction(app::TxMode mode) {
    std::unique_lock<std::mutex> write_lock;
    if (mode == app::TxMode::kWrite) write_lock = std::unique_lock(write_mutex_);
    Connection* conn = pool_.Acquire();
    if (mode == app::TxMode::kReadOne) {  // autocommit: each statement is its own snapshot
      return std::make_unique<SqliteTransaction>(pool_, conn, std::move(write_lock), /*autocommit=*/true);
    }
    const char* begin = mode == app::TxMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN";
    const int rc = conn->Step(begin);
    if (rc != SQLITE_OK) {
      Status s = ErrorFrom(rc, conn->db(), "begin");
      pool_.Release(conn);
      return s;
    }
    return std::make_unique<SqliteTransaction>(pool_, conn, std::move(write_lock));
  }

  Result<int> Migrate() override {
    std::vector<core::EmbeddedFile> files(EmbeddedMigrations().begin(), EmbeddedMigrations().end());
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    const std::unique_lock lock(write_mutex_);
    Connection* conn = pool_.Acquire();
    struct Releaser {
      Pool& pool;
      Connection* conn;
      ~Releaser() { pool.Release(conn); }
    } releaser{pool_, conn};
    CTIMS_RETURN_IF_ERROR(
        conn->Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                   "applied_at TEXT NOT NULL) STRICT"));
    int reached = 0;
    for (const auto& f : files) {
      const int number = MigrationNumber(f.name);
      if (number <= 0) return Status::Internal("migration file without a number: " + std::string(f.name));
      CTIMS_RETURN_IF_ERROR(conn->Exec("BEGIN IMMEDIATE"));
      auto stmt = conn->Prepare("SELECT 1 FROM schema_migrations WHERE version = ?");
      if (!stmt.ok()) return Rollback(conn, stmt.status());
      sqlite3_bind_int(*stmt, 1, number);
      const bool applied = sqlite3_step(*stmt) == SQLITE_ROW;
      sqlite3_reset(*stmt);
      if (!applied) {
        Status s = conn->Exec(std::string(f.contents));
        if (!s.ok()) return Rollback(conn, Status::Internal("migration " + std::string(f.name) + ": " + s.message()));
        auto ins = conn->Prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
        if (!ins.ok()) return Rollback(conn, ins.status());
        sqlite3_bind_int(*ins, 1, number);
        BindText(*ins, 2, f.name);
        BindText(*ins, 3, core::FormatTimestamp(core::SystemClock().Now()));
        const int rc = sqlite3_step(*ins);
        sqlite3_reset(*ins);
        if (rc != SQLITE_DONE) return Rollback(conn, ErrorFrom(rc, conn->db(), "record migration"));
      }
      CTIMS_RETURN_IF_ERROR(conn->Exec("COMMIT"));
      reached = number;
    }
    return reached;
  }

  Result<int> SchemaVersion() override {
    Connection* conn = pool_.Acquire();
    int version = 0;
    sqlite3_stmt* stmt = nullptr;
    // The table is absent on a fresh database: that is version 0.
    if (sqlite3_prepare_v2(conn->db(), "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1, &stmt, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      version = sqlite3_column_int(stmt, 0);
    }
    sqlite3_finalize(stmt);
    pool_.Release(conn);
    return version;
  }

  int LatestSchemaVersion() const override {
    int latest = 0;
    for (const auto& f : EmbeddedMigrations()) latest = std::max(latest, MigrationNumber(f.name));
    return latest;
  }

  Status CheckIntegrity() override {
    Connection* conn = pool_.Acquire();
    std::string result;
    bool fk_ok = true;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(conn->db(), "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW) result += ColumnText(stmt, 0);
    }
    sqlite3_finalize(stmt);
    if (sqlite3_prepare_v2(conn->db(), "PRAGMA foreign_key_check", -1, &stmt, nullptr) == SQLITE_OK) {
      fk_ok = sqlite3_step(stmt) == SQLITE_DONE;
    }
    sqlite3_finalize(stmt);
    pool_.Release(conn);
    if (result != "ok") return Status::Internal("integrity_check: " + result);
    if (!fk_ok) return Status::Internal("foreign_key_check found dangling references");
    return Status::Ok();
  }

  std::string BackendName() const override { return "sqlite"; }

 private:
  static Status Wrap(Status s) {
    if (s.ok()) return s;
    return Status::Unavailable("cannot configure database: " + s.message());
  }
  static Status Rollback(Connection* conn, Status s) {
    (void)conn->Exec("ROLLBACK");
    return s;
  }

  SqliteOptions options_;
  Pool pool_;
  std::mutex write_mutex_;
};

}  // namespace

Result<std::unique_ptr<app::Store>> OpenSqliteStore(const SqliteOptions& options) {
  auto store = std::make_unique<SqliteStore>(options);
  CTIMS_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<app::Store>(std::move(store));
}

}  // namespace ctims::storage::sqlite
