#include "storage/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/embedded_file.hpp"
#include "storage/sqlite/sqlite_identity.hpp"
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
class SqliteTransaction final : public SqliteIdentityOps {
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
    if (t.personal) {
      const app::AccessFilter& a = *q.access;
      switch (a.kind) {
        case app::AccessFilter::Kind::kAll: break;
        case app::AccessFilter::Kind::kOwner:
          sql += " AND acl_user = ?";
          access_params.push_back(a.value);
          break;
        case app::AccessFilter::Kind::kAgency:
          sql += " AND acl_agency = ?";
          access_params.push_back(a.value);
          break;
        case app::AccessFilter::Kind::kPath:
          if (a.value.empty()) return Status::Internal("empty jurisdiction path");
          sql += " AND acl_path >= ? AND acl_path < ?";
          access_params.push_back(a.value);
          access_params.push_back(PrefixEnd(a.value));
          break;
      }
      if (!a.include_protected) {
        sql +=
            " AND (acl_protected = 0 OR acl_agency = ? OR EXISTS (SELECT 1 FROM access_grants g"
            " WHERE g.user_id = ? AND g.case_id = acl_case AND g.expires_at > ?))";
        access_params.push_back(a.viewer_agency);
        access_params.push_back(a.viewer_user);
        access_params.push_back(a.now);
      }
    }
    for (const auto& f : q.filters) {
      if (!SafeIdentifier(f.field)) return Status::Internal("unsafe filter field");
      switch (f.kind) {
        case app::Filter::Kind::kColumn: sql += " AND " + Quoted(f.field) + " = ?"; break;
        case app::Filter::Kind::kBody: sql += " AND json_extract(body, '$." + f.field + "') = ?"; break;
        case app::Filter::Kind::kBodyContains:
          sql += " AND EXISTS (SELECT 1 FROM json_each(body, '$." + f.field + "') WHERE value = ?)";
          break;
      }
    }
    sql += " ORDER BY id LIMIT ?";
    auto stmt = conn_->Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    int i = 1;
    BindText(*stmt, i++, q.after_id);
    for (const auto& p : access_params) BindText(*stmt, i++, p);
    for (const auto& f : q.filters) BindText(*stmt, i++, f.value);
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
