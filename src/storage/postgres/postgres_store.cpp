#include "storage/postgres/postgres_store.hpp"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/embedded_file.hpp"
#include "storage/postgres/postgres_identity.hpp"
#include "storage/postgres/postgres_report.hpp"
#include "storage/postgres/postgres_util.hpp"

namespace ctims::storage::postgres {

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

// As storage/sqlite maps them: a foreign-key violation is kConflict here
// (Insert turns it into kInvalidArgument, Delete explains it).
Status ErrorFrom(const PgResult& r, std::string_view what) {
  const std::string state = r.SqlState();
  if (state == kUniqueViolation) return UniqueViolation(r);
  if (state == kForeignKeyViolation) return Status::Conflict("the change would break a reference between records");
  return GenericError(r, what);
}

// Column names keep their case ("loc_Code"): quoted, as in the migrations.
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
// (prefix non-empty, ASCII): the exclusive upper bound of an index range
// scan (acl_path is COLLATE "C", so the order is bytewise).
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0x7F) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

StoredRecord ReadRecord(const PgResult& r, int row, const TableDef& t) {
  StoredRecord out;
  out.id = r.Text(row, 0);
  out.version = r.Int(row, 1);
  out.created_at = r.Text(row, 2);
  out.updated_at = r.Text(row, 3);
  int i = 4;
  for (size_t c = 0; c < t.columns.size(); ++c, ++i) out.columns.push_back(r.OptionalText(row, i));
  out.body = r.Text(row, i++);
  if (t.personal) {
    out.access.owner_user = r.Text(row, i++);
    out.access.agency = r.Text(row, i++);
    out.access.path = r.Text(row, i++);
    out.access.case_id = r.Text(row, i++);
    out.access.is_protected = r.Bool(row, i);
  }
  return out;
}

void BindAccess(Params& p, const app::AccessTag& a) {
  p.Text(a.owner_user).Text(a.agency).Text(a.path).Text(a.case_id).Bool(a.is_protected);
}

// "$1, $2, ..., $n" starting at `first`.
// Appends " AND <the rules of `a`>" to `sql` (a query over the personal
// table `table` whose columns are unqualified); `param` binds a value and
// returns its placeholder.
template <typename Param>
Status AppendAccessClause(const app::AccessFilter& a, const std::string& table, std::string& sql, Param& param) {
  std::string scope;
  switch (a.kind) {
    case app::AccessFilter::Kind::kAll: break;
    case app::AccessFilter::Kind::kOwner: scope = "acl_user = " + param(a.value); break;
    case app::AccessFilter::Kind::kAgency: scope = "acl_agency = " + param(a.value); break;
    case app::AccessFilter::Kind::kPath:
      if (a.value.empty()) return Status::Internal("empty jurisdiction path");
      scope = "acl_path >= " + param(a.value);
      scope += " AND acl_path < " + param(PrefixEnd(a.value));
      break;
  }
  std::string protection;
  if (!a.include_protected) {
    // One param() per statement: the operands of a chain of + are
    // evaluated in no fixed order, and each call numbers a placeholder.
    protection = "(NOT acl_protected OR acl_agency = " + param(a.viewer_agency);
    protection += " OR EXISTS (SELECT 1 FROM access_grants g WHERE g.user_id = " + param(a.viewer_user);
    protection += " AND g.case_id = " + table + ".acl_case AND g.expires_at > " + param(a.now) + "))";
  }
  if (a.kind == app::AccessFilter::Kind::kAll) {
    if (!protection.empty()) sql += " AND " + protection;
  } else {
    // In scope and past protection, or shared with the viewer's agency by
    // an accepted referral (which opens protection too).
    // Three OR terms, each on an index (scope, acl_case, id): a BitmapOr
    // rather than a scan, as on SQLite.
    sql += " AND ((" + scope + (protection.empty() ? "" : " AND " + protection) + ")";
    sql += " OR acl_case IN (SELECT s.case_id FROM case_shares s WHERE s.agency_id = " + param(a.viewer_agency);
    sql +=
        ") OR " + table + ".id IN (SELECT s.person_id FROM case_shares s WHERE s.agency_id = " + param(a.viewer_agency);
    sql += "))";
  }
  return Status::Ok();
}

std::string Placeholders(int first, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += (i == 0 ? "$" : ", $") + std::to_string(first + i);
  return out;
}

// Connections shared by every thread. A connection that comes back broken
// (server restarted, network) is reconnected before it is handed out again.
class Pool {
 public:
  void Add(std::unique_ptr<PgConnection> c) {
    all_.push_back(std::move(c));
    free_.push_back(all_.back().get());
  }

  Result<PgConnection*> Acquire() {
    PgConnection* c = nullptr;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return !free_.empty(); });
      c = free_.back();
      free_.pop_back();
    }
    if (!c->Healthy()) {
      Status s = c->Reset();
      if (!s.ok()) {
        Release(c);
        return s;
      }
    }
    return c;
  }

  void Release(PgConnection* c) {
    {
      const std::lock_guard lock(mutex_);
      free_.push_back(c);
    }
    cv_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> all_;
  std::vector<PgConnection*> free_;
};

// Serves both app::StoreTransaction and, through PostgresIdentityOps
// (postgres_identity.cpp), app::IdentityTransaction.
class PostgresTransaction final : public PostgresIdentityOps, public PostgresReportOps {
 public:
  PostgresTransaction(Pool& pool, PgConnection* conn, std::unique_lock<std::mutex> write_lock, bool autocommit)
      : pool_(pool), conn_(conn), write_lock_(std::move(write_lock)), autocommit_(autocommit), done_(autocommit) {}

  ~PostgresTransaction() override {
    if (!done_ && !conn_->DropDeferredBegin()) {
      // A reader's ROLLBACK only ends its snapshot: nobody waits for it. A
      // writer's releases the writers' lock, which must happen before the
      // process-wide mutex (write_lock_, a member) is unlocked.
      if (writable()) {
        (void)conn_->Exec("ROLLBACK");
      } else {
        conn_->SendRollback();
      }
    }
    pool_.Release(conn_);
  }

  Result<std::optional<StoredRecord>> Get(const TableDef& t, std::string_view id) override {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    PgResult r = conn_->Query("SELECT " + SelectList(t) + " FROM " + t.table + " WHERE id = $1", Params().Text(id));
    if (!r.ok()) return ErrorFrom(r, "get");
    if (r.rows() == 0) return std::optional<StoredRecord>();
    return std::optional<StoredRecord>(ReadRecord(r, 0, t));
  }

  Result<bool> Exists(const TableDef& t, std::string_view id) override {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    PgResult r = conn_->Query("SELECT 1 FROM " + t.table + " WHERE id = $1", Params().Text(id));
    if (!r.ok()) return ErrorFrom(r, "exists");
    return r.rows() > 0;
  }

  // The same query as storage/sqlite's List(), in PostgreSQL's dialect: the
  // scope, protection and share conditions are identical.
  Result<std::vector<StoredRecord>> List(const TableDef& t, const ListQuery& q) override {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    if (t.personal && !q.access) return Status::Internal("list of a personal table without an access filter");
    Params p;
    int n = 0;
    auto param = [&](std::string_view value) {
      p.Text(value);
      return "$" + std::to_string(++n);
    };
    std::string sql = "SELECT " + SelectList(t) + " FROM " + t.table + " WHERE id > " + param(q.after_id);
    if (t.personal) CTIMS_RETURN_IF_ERROR(AppendAccessClause(*q.access, t.table, sql, param));
    for (const auto& f : q.filters) {
      if (!SafeIdentifier(f.field)) return Status::Internal("unsafe filter field");
      switch (f.kind) {
        case app::Filter::Kind::kColumn: sql += " AND " + Quoted(f.field) + " = " + param(f.value); break;
        case app::Filter::Kind::kBody: sql += " AND (body::jsonb ->> '" + f.field + "') = " + param(f.value); break;
        case app::Filter::Kind::kBodyContains:
          // An array containing the string (or the string itself, as
          // SQLite's json_each yields a scalar member).
          sql += " AND (body::jsonb -> '" + f.field + "') @> to_jsonb(" + param(f.value) + "::text)";
          break;
        case app::Filter::Kind::kColumnIsNull: sql += " AND " + Quoted(f.field) + " IS NULL"; break;
      }
    }
    sql += " ORDER BY id LIMIT $" + std::to_string(++n);
    p.Limit(q.limit);
    PgResult r = conn_->Query(sql, p);
    if (!r.ok()) return ErrorFrom(r, "list");
    std::vector<StoredRecord> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(ReadRecord(r, i, t));
    return out;
  }

  Status Insert(const TableDef& t, const StoredRecord& rec) override {
    CTIMS_RETURN_IF_ERROR(CheckWritable(t, rec));
    std::string cols = "id, version, created_at, updated_at";
    for (const auto& c : t.columns) cols += ", " + Quoted(c);
    cols += ", body";
    int count = 5 + static_cast<int>(t.columns.size());
    if (t.personal) {
      cols += std::string(", ") + kAccessColumns;
      count += 5;
    }
    Params p;
    p.Text(rec.id).Int(rec.version).Text(rec.created_at).Text(rec.updated_at);
    for (const auto& v : rec.columns) p.Optional(v);
    p.Text(rec.body);
    if (t.personal) BindAccess(p, rec.access);
    PgResult r = conn_->Write("INSERT INTO " + t.table + " (" + cols + ") VALUES (" + Placeholders(1, count) + ")", p);
    if (r.ok()) return Status::Ok();
    Status s = ErrorFrom(r, "insert");
    if (s.code() == core::StatusCode::kConflict) {
      return Status::InvalidArgument("a reference names no record", {{"", "reference", "unknown record"}});
    }
    return s;
  }

  // One COPY for the whole batch: a round trip per batch instead of three
  // per record (savepoint, insert, release).
  Status InsertMany(const TableDef& t, const std::vector<StoredRecord>& records) override {
    if (records.empty()) return Status::Ok();
    std::string cols = "id, version, created_at, updated_at";
    for (const auto& c : t.columns) cols += ", " + Quoted(c);
    cols += ", body";
    if (t.personal) cols += std::string(", ") + kAccessColumns;
    std::string data;
    for (const auto& rec : records) {
      CTIMS_RETURN_IF_ERROR(CheckWritable(t, rec));
      CopyField(data, rec.id, /*first=*/true);
      CopyField(data, std::to_string(rec.version));
      CopyField(data, rec.created_at);
      CopyField(data, rec.updated_at);
      for (const auto& v : rec.columns) CopyField(data, v ? std::optional<std::string_view>(*v) : std::nullopt);
      CopyField(data, rec.body);
      if (t.personal) {
        const app::AccessTag& a = rec.access;
        for (const std::string* v : {&a.owner_user, &a.agency, &a.path, &a.case_id}) CopyField(data, *v);
        CopyField(data, a.is_protected ? "t" : "f");
      }
      data += '\n';
    }
    PgResult r = conn_->Copy("COPY " + t.table + " (" + cols + ") FROM STDIN", data);
    if (r.ok()) return Status::Ok();
    Status s = ErrorFrom(r, "insert");
    if (s.code() == core::StatusCode::kConflict) {
      return Status::InvalidArgument("a reference names no record", {{"", "reference", "unknown record"}});
    }
    return s;
  }

  Status Update(const TableDef& t, const StoredRecord& rec, std::int64_t expected_version) override {
    CTIMS_RETURN_IF_ERROR(CheckWritable(t, rec));
    Params p;
    int n = 0;
    auto next = [&] { return "$" + std::to_string(++n); };
    // One next() per statement: operands of + are evaluated in no fixed order.
    std::string sets = "version = " + next();
    sets += ", updated_at = " + next();
    p.Int(rec.version).Text(rec.updated_at);
    for (size_t c = 0; c < t.columns.size(); ++c) {
      sets += ", " + Quoted(t.columns[c]) + " = " + next();
      p.Optional(rec.columns[c]);
    }
    sets += ", body = " + next();
    p.Text(rec.body);
    if (t.personal) {
      sets += ", acl_user = " + next();
      sets += ", acl_agency = " + next();
      sets += ", acl_path = " + next();
      sets += ", acl_case = " + next();
      sets += ", acl_protected = " + next();
      BindAccess(p, rec.access);
    }
    std::string where = " WHERE id = " + next();
    where += " AND version = " + next();
    p.Text(rec.id).Int(expected_version);
    PgResult r = conn_->Write("UPDATE " + t.table + " SET " + sets + where, p);
    if (!r.ok()) return ErrorFrom(r, "update");
    if (r.Affected() == 0) return Missing(t, rec.id);
    return Status::Ok();
  }

  Status Delete(const TableDef& t, std::string_view id, std::int64_t expected_version) override {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    if (!writable()) return Status::Internal("write in a read transaction");
    PgResult r = conn_->Write("DELETE FROM " + t.table + " WHERE id = $1 AND version = $2",
                              Params().Text(id).Int(expected_version));
    if (!r.ok()) {
      Status s = ErrorFrom(r, "delete");
      if (s.code() == core::StatusCode::kConflict) {
        return Status::Conflict("other records still refer to this one; delete or relink them first");
      }
      return s;
    }
    if (r.Affected() == 0) return Missing(t, std::string(id));
    return Status::Ok();
  }

  Status SetAccess(const TableDef& t, std::string_view id, const app::AccessTag& tag) override {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    if (!t.personal) return Status::Internal("access tag on a reference table");
    if (!writable()) return Status::Internal("write in a read transaction");
    Params p;
    BindAccess(p, tag);
    p.Text(id);
    PgResult r = conn_->Write("UPDATE " + t.table +
                                  " SET acl_user = $1, acl_agency = $2, acl_path = $3, acl_case = $4, "
                                  "acl_protected = $5 WHERE id = $6",
                              p);
    if (!r.ok()) return ErrorFrom(r, "set access");
    if (r.Affected() == 0) return Status::NotFound("no record with this id");
    return Status::Ok();
  }

  Status SetAccessByCase(const TableDef& t, std::string_view case_id, const app::AccessTag& tag) override {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    if (!t.personal || !SafeIdentifier(t.case_column)) return Status::Internal("not a table under a case");
    if (!writable()) return Status::Internal("write in a read transaction");
    Params p;
    BindAccess(p, tag);
    p.Text(case_id);
    PgResult r = conn_->Write("UPDATE " + t.table +
                                  " SET acl_user = $1, acl_agency = $2, acl_path = $3, acl_case = $4, "
                                  "acl_protected = $5 WHERE " +
                                  Quoted(t.case_column) + " = $6",
                              p);
    if (!r.ok()) return ErrorFrom(r, "set access");
    return Status::Ok();
  }

  Status InsertGrant(const app::AccessGrant& g) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    return Done(
        conn_->Write(
            "INSERT INTO access_grants (id, user_id, case_id, reason, granted_at, expires_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            Params().Text(g.id).Text(g.user_id).Text(g.case_id).Text(g.reason).Text(g.granted_at).Text(g.expires_at)),
        "grant");
  }

  Result<bool> HasGrant(std::string_view user_id, std::string_view case_id, std::string_view now) override {
    PgResult r =
        conn_->Query("SELECT 1 FROM access_grants WHERE user_id = $1 AND case_id = $2 AND expires_at > $3 LIMIT 1",
                     Params().Text(user_id).Text(case_id).Text(now));
    if (!r.ok()) return ErrorFrom(r, "grant");
    return r.rows() > 0;
  }

  Result<std::vector<app::AccessGrant>> ListGrants(std::string_view case_id) override {
    PgResult r = conn_->Query(
        "SELECT id, user_id, case_id, reason, granted_at, expires_at FROM access_grants WHERE case_id = $1"
        " ORDER BY granted_at DESC, id DESC",
        Params().Text(case_id));
    if (!r.ok()) return ErrorFrom(r, "grants");
    std::vector<app::AccessGrant> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back({r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3), r.Text(i, 4), r.Text(i, 5)});
    }
    return out;
  }

  // ---- shares, tasks, notifications (issue 4) ----

  Status InsertShare(const app::CaseShare& s) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    return Done(conn_->Write("INSERT INTO case_shares (id, case_id, person_id, agency_id, source, source_id, "
                             "granted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                             " ON CONFLICT (agency_id, case_id, source_id) DO NOTHING",
                             Params()
                                 .Text(s.id)
                                 .Text(s.case_id)
                                 .Text(s.person_id)
                                 .Text(s.agency_id)
                                 .Text(s.source)
                                 .Text(s.source_id)
                                 .Text(s.granted_at)),
                "share");
  }

  Result<bool> HasShare(std::string_view agency_id, std::string_view case_id, std::string_view person_id) override {
    PgResult r = conn_->Query(
        "SELECT 1 FROM case_shares WHERE agency_id = $1 AND (($2 <> '' AND case_id = $2) OR ($3 <> '' AND "
        "person_id = $3)) LIMIT 1",
        Params().Text(agency_id).Text(case_id).Text(person_id));
    if (!r.ok()) return ErrorFrom(r, "share");
    return r.rows() > 0;
  }

  Result<std::vector<app::CaseShare>> ListShares(std::string_view case_id) override {
    PgResult r = conn_->Query(
        "SELECT id, case_id, person_id, agency_id, source, source_id, granted_at FROM case_shares WHERE case_id = $1"
        " ORDER BY granted_at, id",
        Params().Text(case_id));
    if (!r.ok()) return ErrorFrom(r, "shares");
    std::vector<app::CaseShare> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back({r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3), r.Text(i, 4), r.Text(i, 5), r.Text(i, 6)});
    }
    return out;
  }

  static constexpr const char* kTaskColumns =
      "id, version, kind, status, agency_id, user_id, case_id, resource, record_id, due_at, created_at, closed_at,"
      " closed_by";

  static app::WorkTask ReadTask(const PgResult& r, int i) {
    app::WorkTask t;
    t.id = r.Text(i, 0);
    t.version = r.Int(i, 1);
    t.kind = r.Text(i, 2);
    t.status = r.Text(i, 3);
    t.agency_id = r.Text(i, 4);
    t.user_id = r.Text(i, 5);
    t.case_id = r.Text(i, 6);
    t.resource = r.Text(i, 7);
    t.record_id = r.Text(i, 8);
    t.due_at = r.Text(i, 9);
    t.created_at = r.Text(i, 10);
    t.closed_at = r.Text(i, 11);
    t.closed_by = r.Text(i, 12);
    return t;
  }

  Status InsertTask(const app::WorkTask& t) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    Params p;
    p.Text(t.id).Int(t.version);
    for (const std::string* v : {&t.kind, &t.status, &t.agency_id, &t.user_id, &t.case_id, &t.resource, &t.record_id,
                                 &t.due_at, &t.created_at, &t.closed_at, &t.closed_by}) {
      p.Text(*v);
    }
    return Done(
        conn_->Write(std::string("INSERT INTO tasks (") + kTaskColumns + ") VALUES (" + Placeholders(1, 13) + ")", p),
        "task");
  }

  Result<std::optional<app::WorkTask>> GetTask(std::string_view id) override {
    PgResult r = conn_->Query(std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE id = $1", Params().Text(id));
    if (!r.ok()) return ErrorFrom(r, "task");
    if (r.rows() == 0) return std::optional<app::WorkTask>();
    return std::optional<app::WorkTask>(ReadTask(r, 0));
  }

  Status UpdateTask(const app::WorkTask& t, std::int64_t expected_version) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    PgResult r = conn_->Write(
        "UPDATE tasks SET version = $1, status = $2, user_id = $3, due_at = $4, closed_at = $5, closed_by = $6"
        " WHERE id = $7 AND version = $8",
        Params()
            .Int(t.version)
            .Text(t.status)
            .Text(t.user_id)
            .Text(t.due_at)
            .Text(t.closed_at)
            .Text(t.closed_by)
            .Text(t.id)
            .Int(expected_version));
    if (!r.ok()) return ErrorFrom(r, "update task");
    if (r.Affected() == 1) return Status::Ok();
    CTIMS_ASSIGN_OR_RETURN(auto current, GetTask(t.id));
    if (!current) return Status::NotFound("no task with this id");
    return Status::Conflict("stale task version", {{"version", "stale", "the task changed since it was read"}});
  }

  Result<std::vector<app::WorkTask>> ListTasks(const app::TaskQuery& q) override {
    std::string sql = std::string("SELECT ") + kTaskColumns +
                      " FROM tasks WHERE (($1 <> '' AND agency_id = $1) OR ($2 <> '' AND user_id = $2))";
    Params p;
    p.Text(q.agency_id).Text(q.user_id);
    if (q.open_only) sql += " AND status = 'Open'";
    if (!q.due_before.empty()) {
      sql += " AND due_at < $3 ORDER BY due_at, id LIMIT $4";
      p.Text(q.due_before);
    } else {
      sql += " ORDER BY due_at, id LIMIT $3";
    }
    p.Limit(q.limit);
    PgResult r = conn_->Query(sql, p);
    if (!r.ok()) return ErrorFrom(r, "tasks");
    std::vector<app::WorkTask> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(ReadTask(r, i));
    return out;
  }

  Result<int> CloseTasks(std::string_view resource, std::string_view record_id, std::string_view kind,
                         std::string_view status, std::string_view at, std::string_view by) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    PgResult r = conn_->Write(
        "UPDATE tasks SET status = $4, closed_at = $5, closed_by = $6, version = version + 1"
        " WHERE resource = $1 AND record_id = $2 AND ($3 = '' OR kind = $3) AND status = 'Open'",
        Params().Text(resource).Text(record_id).Text(kind).Text(status).Text(at).Text(by));
    if (!r.ok()) return ErrorFrom(r, "close tasks");
    return static_cast<int>(r.Affected());
  }

  Result<bool> InsertNotification(const app::Notification& n) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    Params p;
    for (const std::string* v : {&n.id, &n.kind, &n.user_id, &n.agency_id, &n.audience, &n.case_id, &n.resource,
                                 &n.record_id, &n.created_at, &n.dedupe_key}) {
      p.Text(*v);
    }
    PgResult r = conn_->Write(
        "INSERT INTO notifications (id, kind, user_id, agency_id, audience, case_id, resource, record_id, "
        "created_at, dedupe_key) VALUES (" +
            Placeholders(1, 10) + ") ON CONFLICT (dedupe_key) DO NOTHING",
        p);
    if (!r.ok()) return ErrorFrom(r, "notification");
    return r.Affected() == 1;
  }

  Result<std::vector<app::Notification>> ListNotifications(std::string_view user_id, std::string_view agency_id,
                                                           std::size_t limit) override {
    PgResult r = conn_->Query(
        "SELECT n.id, n.kind, n.user_id, n.agency_id, n.audience, n.case_id, n.resource, n.record_id, n.created_at,"
        " n.dedupe_key, r.read_at IS NOT NULL FROM notifications n LEFT JOIN notification_reads r"
        " ON r.notification_id = n.id AND r.user_id = $1"
        " WHERE ($1 <> '' AND n.user_id = $1) OR ($2 <> '' AND n.agency_id = $2)"
        " ORDER BY n.created_at DESC, n.id DESC LIMIT $3",
        Params().Text(user_id).Text(agency_id).Limit(limit));
    if (!r.ok()) return ErrorFrom(r, "notifications");
    std::vector<app::Notification> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      app::Notification n;
      n.id = r.Text(i, 0);
      n.kind = r.Text(i, 1);
      n.user_id = r.Text(i, 2);
      n.agency_id = r.Text(i, 3);
      n.audience = r.Text(i, 4);
      n.case_id = r.Text(i, 5);
      n.resource = r.Text(i, 6);
      n.record_id = r.Text(i, 7);
      n.created_at = r.Text(i, 8);
      n.dedupe_key = r.Text(i, 9);
      n.read = r.Bool(i, 10);
      out.push_back(std::move(n));
    }
    return out;
  }

  Status MarkNotificationRead(std::string_view notification_id, std::string_view user_id,
                              std::string_view at) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    PgResult exists = conn_->Query("SELECT 1 FROM notifications WHERE id = $1", Params().Text(notification_id));
    if (!exists.ok()) return ErrorFrom(exists, "notification");
    if (exists.rows() == 0) return Status::NotFound("no notification with this id");
    return Done(conn_->Write("INSERT INTO notification_reads (notification_id, user_id, read_at) VALUES ($1, $2, $3)"
                             " ON CONFLICT (notification_id, user_id) DO NOTHING",
                             Params().Text(notification_id).Text(user_id).Text(at)),
                "notification read");
  }

  Status AppendHistory(const HistoryEntry& e) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    Params p;
    p.Text(e.resource).Text(e.record_id).Int(e.version).Text(e.action).Text(e.actor).Text(e.at).Text(e.changes);
    BindAccess(p, e.access);
    return Done(conn_->Write("INSERT INTO record_history (resource, record_id, version, action, actor, at, changes, "
                             "acl_user, acl_agency, acl_path, acl_case, acl_protected) VALUES (" +
                                 Placeholders(1, 12) + ")",
                             p),
                "history");
  }

  Status AppendHistoryMany(const std::vector<HistoryEntry>& entries) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    if (entries.empty()) return Status::Ok();
    std::string data;
    for (const auto& e : entries) {
      CopyField(data, e.resource, /*first=*/true);
      CopyField(data, e.record_id);
      CopyField(data, std::to_string(e.version));
      for (const std::string* v : {&e.action, &e.actor, &e.at, &e.changes, &e.access.owner_user, &e.access.agency,
                                   &e.access.path, &e.access.case_id}) {
        CopyField(data, *v);
      }
      CopyField(data, e.access.is_protected ? "t" : "f");
      data += '\n';
    }
    return Done(conn_->Copy("COPY record_history (resource, record_id, version, action, actor, at, changes, "
                            "acl_user, acl_agency, acl_path, acl_case, acl_protected) FROM STDIN",
                            data),
                "history");
  }

  Result<std::vector<HistoryEntry>> History(std::string_view resource, std::string_view record_id) override {
    PgResult r = conn_->Query(
        "SELECT seq, resource, record_id, version, action, actor, at, changes, acl_user, acl_agency, acl_path, "
        "acl_case, acl_protected FROM record_history WHERE resource = $1 AND record_id = $2 ORDER BY seq",
        Params().Text(resource).Text(record_id));
    if (!r.ok()) return ErrorFrom(r, "history");
    std::vector<HistoryEntry> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      HistoryEntry e = ReadHistory(r, i);
      e.access = {r.Text(i, 8), r.Text(i, 9), r.Text(i, 10), r.Text(i, 11), r.Bool(i, 12)};
      out.push_back(std::move(e));
    }
    return out;
  }

  // ---- maintenance (key rotation) ----
  Status RewriteBody(const TableDef& t, std::string_view id, std::int64_t version, std::string_view body) override {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    if (!writable()) return Status::Internal("write in a read transaction");
    PgResult r = conn_->Write("UPDATE " + t.table + " SET body = $1 WHERE id = $2 AND version = $3",
                              Params().Text(body).Text(id).Int(version));
    if (!r.ok()) return ErrorFrom(r, "rewrite body");
    if (r.Affected() == 0) return Missing(t, std::string(id));
    return Status::Ok();
  }

  Result<std::vector<HistoryEntry>> ListHistory(std::int64_t after_seq, std::size_t limit) override {
    PgResult r = conn_->Query(
        "SELECT seq, resource, record_id, version, action, actor, at, changes FROM record_history "
        "WHERE seq > $1 ORDER BY seq LIMIT $2",
        Params().Int(after_seq).Limit(limit));
    if (!r.ok()) return ErrorFrom(r, "list history");
    std::vector<HistoryEntry> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(ReadHistory(r, i));
    return out;
  }

  Status RewriteHistoryChanges(std::int64_t seq, std::string_view changes) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    PgResult r = conn_->Write("UPDATE record_history SET changes = $1 WHERE seq = $2", Params().Text(changes).Int(seq));
    if (!r.ok()) return ErrorFrom(r, "rewrite history");
    if (r.Affected() == 0) return Status::NotFound("no history entry with this seq");
    return Status::Ok();
  }

  // ==== person search and duplicate review (issue 8) ========================
  Status AddPersonNameTokens(const std::vector<std::pair<std::string, std::int64_t>>& rows) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    constexpr std::size_t kBatch = 500;
    for (std::size_t start = 0; start < rows.size(); start += kBatch) {
      const std::size_t end = std::min(rows.size(), start + kBatch);
      std::string sql = "INSERT INTO person_name_keys (token, person_id) VALUES ";
      Params p;
      int n = 0;
      for (std::size_t i = start; i < end; ++i) {
        sql += i == start ? "(" : ", (";
        sql += "$" + std::to_string(n + 1) + "::bigint, $" + std::to_string(n + 2) + ")";
        n += 2;
        p.Int(rows[i].second).Text(rows[i].first);
      }
      sql += " ON CONFLICT DO NOTHING";
      Status s = Done(conn_->Write(sql, p), "name keys");
      if (s.code() == core::StatusCode::kConflict) {
        return Status::InvalidArgument("a name key names no person", {{"person_id", "reference", "unknown person"}});
      }
      CTIMS_RETURN_IF_ERROR(s);
    }
    return Status::Ok();
  }

  Status DeletePersonNameTokens(std::string_view person_id) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    if (person_id.empty()) return Done(conn_->Write("DELETE FROM person_name_keys", Params()), "name keys");
    return Done(conn_->Write("DELETE FROM person_name_keys WHERE person_id = $1", Params().Text(person_id)),
                "name keys");
  }

  Result<std::vector<std::int64_t>> CountPersonNameTokens(const std::vector<std::int64_t>& tokens,
                                                          std::size_t cap) override {
    std::vector<std::int64_t> out;
    if (tokens.empty()) return out;
    // Every token in one statement (one round trip, not one per token), each
    // count stopping at cap + 1 index entries.
    std::string array = "{";
    for (std::size_t i = 0; i < tokens.size(); ++i) array += (i == 0 ? "" : ",") + std::to_string(tokens[i]);
    array += "}";
    PgResult r = conn_->Query(
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM person_name_keys k WHERE k.token = t.token LIMIT $2) c) "
        "FROM unnest($1::bigint[]) WITH ORDINALITY AS t(token, ord) ORDER BY t.ord",
        Params().Text(array).Limit(std::min<std::size_t>(cap, std::size_t{1} << 40) + 1));
    if (!r.ok()) return ErrorFrom(r, "count name keys");
    if (r.rows() != static_cast<int>(tokens.size())) return Status::Internal("count name keys: row count");
    out.reserve(tokens.size());
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.Int(i, 0));
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
    Params p;
    int n = 0;
    auto param = [&](std::string_view value) {
      p.Text(value);
      return "$" + std::to_string(++n);
    };
    std::string in;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      p.Int(tokens[i]);
      in += (i == 0 ? "$" : ", $") + std::to_string(++n) + "::bigint";
    }
    std::string filter;
    CTIMS_RETURN_IF_ERROR(AppendAccessClause(access, t.table, filter, param));
    const std::string keys =
        "SELECT person_id, COUNT(*) AS n FROM person_name_keys WHERE token IN (" + in + ") GROUP BY person_id";
    std::string sql;
    if (filter.empty()) {
      // Nothing to filter on the person (scope "all", protection open): rank
      // and cut on the index alone, then read only the rows kept, rather
      // than every candidate's whole row (issue 9 §6: hundreds of random
      // heap reads per query at 100,000 persons). Every key's person exists
      // (foreign key), so the join keeps them all.
      sql = "SELECT " + SelectList(t) + ", k.n FROM (" + keys + " ORDER BY n DESC, person_id LIMIT $" +
            std::to_string(++n) + ") k JOIN " + t.table + " ON " + t.table + ".id = k.person_id ORDER BY k.n DESC, " +
            t.table + ".id";
    } else {
      sql = "SELECT " + SelectList(t) + ", k.n FROM (" + keys + ") k JOIN " + t.table + " ON " + t.table +
            ".id = k.person_id WHERE TRUE" + filter + " ORDER BY k.n DESC, " + t.table + ".id LIMIT $" +
            std::to_string(++n);
    }
    p.Limit(limit);
    PgResult r = conn_->Query(sql, p);
    if (!r.ok()) return ErrorFrom(r, "find persons by name keys");
    const int n_column = static_cast<int>(4 + t.columns.size() + 1 + 5);
    for (int i = 0; i < r.rows(); ++i) out.push_back({ReadRecord(r, i, t), static_cast<int>(r.Int(i, n_column))});
    return out;
  }

  static constexpr const char* kPairColumns =
      "id, version, person_a, person_b, score, explanation, source, status, created_at, reviewed_by, reviewed_at";

  static app::DuplicatePair ReadPair(const PgResult& r, int i) {
    app::DuplicatePair p;
    p.id = r.Text(i, 0);
    p.version = r.Int(i, 1);
    p.person_a = r.Text(i, 2);
    p.person_b = r.Text(i, 3);
    p.score = std::strtod(r.Text(i, 4).c_str(), nullptr);
    p.explanation = r.Text(i, 5);
    p.source = r.Text(i, 6);
    p.status = r.Text(i, 7);
    p.created_at = r.Text(i, 8);
    p.reviewed_by = r.Text(i, 9);
    p.reviewed_at = r.Text(i, 10);
    return p;
  }

  static std::string ScoreText(double score) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", score);
    return buf;
  }

  Result<bool> InsertDuplicatePair(const app::DuplicatePair& d) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    if (!(d.person_a < d.person_b)) return Status::Internal("duplicate pair out of order");
    Params p;
    p.Text(d.id).Int(d.version).Text(d.person_a).Text(d.person_b).Text(ScoreText(d.score));
    for (const std::string* v : {&d.explanation, &d.source, &d.status, &d.created_at, &d.reviewed_by, &d.reviewed_at}) {
      p.Text(*v);
    }
    PgResult r = conn_->Write(std::string("INSERT INTO person_duplicates (") + kPairColumns +
                                  ") VALUES ($1, $2, $3, $4, $5::double precision, $6, $7, $8, $9, $10, $11)"
                                  " ON CONFLICT (person_a, person_b) DO NOTHING",
                              p);
    if (!r.ok()) return ErrorFrom(r, "duplicate pair");
    return r.Affected() == 1;
  }

  Result<std::optional<app::DuplicatePair>> GetDuplicatePair(std::string_view id) override {
    PgResult r = conn_->Query(std::string("SELECT ") + kPairColumns + " FROM person_duplicates WHERE id = $1",
                              Params().Text(id));
    if (!r.ok()) return ErrorFrom(r, "duplicate pair");
    if (r.rows() == 0) return std::optional<app::DuplicatePair>();
    return std::optional<app::DuplicatePair>(ReadPair(r, 0));
  }

  Result<std::optional<app::DuplicatePair>> FindDuplicatePair(std::string_view person_a,
                                                              std::string_view person_b) override {
    if (person_b < person_a) std::swap(person_a, person_b);
    PgResult r = conn_->Query(
        std::string("SELECT ") + kPairColumns + " FROM person_duplicates WHERE person_a = $1 AND person_b = $2",
        Params().Text(person_a).Text(person_b));
    if (!r.ok()) return ErrorFrom(r, "duplicate pair");
    if (r.rows() == 0) return std::optional<app::DuplicatePair>();
    return std::optional<app::DuplicatePair>(ReadPair(r, 0));
  }

  Status UpdateDuplicatePair(const app::DuplicatePair& d, std::int64_t expected_version) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    PgResult r = conn_->Write(
        "UPDATE person_duplicates SET version = $1, score = $2::double precision, explanation = $3, status = $4,"
        " reviewed_by = $5, reviewed_at = $6 WHERE id = $7 AND version = $8",
        Params()
            .Int(d.version)
            .Text(ScoreText(d.score))
            .Text(d.explanation)
            .Text(d.status)
            .Text(d.reviewed_by)
            .Text(d.reviewed_at)
            .Text(d.id)
            .Int(expected_version));
    if (!r.ok()) return ErrorFrom(r, "update duplicate pair");
    if (r.Affected() == 1) return Status::Ok();
    CTIMS_ASSIGN_OR_RETURN(auto current, GetDuplicatePair(d.id));
    if (!current) return Status::NotFound("no duplicate pair with this id");
    return Status::Conflict("stale version", {{"version", "stale", "the pair changed since it was read"}});
  }

  Result<std::vector<app::DuplicatePair>> ListDuplicatePairs(std::string_view status, std::string_view after_id,
                                                             std::size_t limit) override {
    PgResult r = conn_->Query(std::string("SELECT ") + kPairColumns +
                                  " FROM person_duplicates WHERE ($1 = '' OR status = $1) AND id > $2 ORDER BY id"
                                  " LIMIT $3",
                              Params().Text(status).Text(after_id).Limit(limit));
    if (!r.ok()) return ErrorFrom(r, "duplicate pairs");
    std::vector<app::DuplicatePair> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(ReadPair(r, i));
    return out;
  }

  static constexpr const char* kMergeColumns =
      "id, version, kept_id, merged_id, duplicate_id, moved, merged_by, merged_at, undone_by, undone_at";

  static app::PersonMerge ReadMerge(const PgResult& r, int i) {
    app::PersonMerge m;
    m.id = r.Text(i, 0);
    m.version = r.Int(i, 1);
    m.kept_id = r.Text(i, 2);
    m.merged_id = r.Text(i, 3);
    m.duplicate_id = r.Text(i, 4);
    m.moved = r.Text(i, 5);
    m.merged_by = r.Text(i, 6);
    m.merged_at = r.Text(i, 7);
    m.undone_by = r.Text(i, 8);
    m.undone_at = r.Text(i, 9);
    return m;
  }

  Status InsertPersonMerge(const app::PersonMerge& m) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    Params p;
    p.Text(m.id).Int(m.version);
    for (const std::string* v : {&m.kept_id, &m.merged_id, &m.duplicate_id, &m.moved, &m.merged_by, &m.merged_at,
                                 &m.undone_by, &m.undone_at}) {
      p.Text(*v);
    }
    PgResult r = conn_->Write(std::string("INSERT INTO person_merges (") + kMergeColumns +
                                  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                              p);
    if (r.ok()) return Status::Ok();
    if (r.SqlState() == kUniqueViolation) {
      return Status::AlreadyExists("the person is already merged", {{"merged_id", "merged", "already merged"}});
    }
    if (r.SqlState() == kForeignKeyViolation) {
      return Status::InvalidArgument("no person with this id", {{"kept_id", "reference", "no person with this id"}});
    }
    return ErrorFrom(r, "person merge");
  }

  Result<std::optional<app::PersonMerge>> GetPersonMerge(std::string_view id) override {
    PgResult r =
        conn_->Query(std::string("SELECT ") + kMergeColumns + " FROM person_merges WHERE id = $1", Params().Text(id));
    if (!r.ok()) return ErrorFrom(r, "person merge");
    if (r.rows() == 0) return std::optional<app::PersonMerge>();
    return std::optional<app::PersonMerge>(ReadMerge(r, 0));
  }

  Status UpdatePersonMerge(const app::PersonMerge& m, std::int64_t expected_version) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    PgResult r = conn_->Write(
        "UPDATE person_merges SET version = $1, moved = $2, undone_by = $3, undone_at = $4 WHERE id = $5 AND"
        " version = $6",
        Params().Int(m.version).Text(m.moved).Text(m.undone_by).Text(m.undone_at).Text(m.id).Int(expected_version));
    if (!r.ok()) return ErrorFrom(r, "update person merge");
    if (r.Affected() == 1) return Status::Ok();
    CTIMS_ASSIGN_OR_RETURN(auto current, GetPersonMerge(m.id));
    if (!current) return Status::NotFound("no merge with this id");
    return Status::Conflict("stale version", {{"version", "stale", "the merge changed since it was read"}});
  }

  Result<std::vector<app::PersonMerge>> ListPersonMerges(std::string_view person_id, std::string_view after_id,
                                                         std::size_t limit) override {
    PgResult r = conn_->Query(std::string("SELECT ") + kMergeColumns +
                                  " FROM person_merges WHERE ($1 = '' OR kept_id = $1 OR merged_id = $1) AND id > $2"
                                  " ORDER BY id LIMIT $3",
                              Params().Text(person_id).Text(after_id).Limit(limit));
    if (!r.ok()) return ErrorFrom(r, "person merges");
    std::vector<app::PersonMerge> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(ReadMerge(r, i));
    return out;
  }

  Result<std::vector<app::CaseShare>> ListSharesOfPerson(std::string_view person_id) override {
    PgResult r = conn_->Query(
        "SELECT id, case_id, person_id, agency_id, source, source_id, granted_at FROM case_shares WHERE person_id = $1"
        " ORDER BY id",
        Params().Text(person_id));
    if (!r.ok()) return ErrorFrom(r, "shares of person");
    std::vector<app::CaseShare> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back({r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3), r.Text(i, 4), r.Text(i, 5), r.Text(i, 6)});
    }
    return out;
  }

  Status RepointShare(std::string_view share_id, std::string_view from, std::string_view to) override {
    if (!writable()) return Status::Internal("write in a read transaction");
    PgResult r = conn_->Write("UPDATE case_shares SET person_id = $3 WHERE id = $1 AND person_id = $2",
                              Params().Text(share_id).Text(from).Text(to));
    if (!r.ok()) return ErrorFrom(r, "repoint share");
    if (r.Affected() == 1) return Status::Ok();
    PgResult c = conn_->Query("SELECT 1 FROM case_shares WHERE id = $1", Params().Text(share_id));
    if (!c.ok()) return ErrorFrom(c, "share");
    if (c.rows() > 0) return Status::Conflict("the share's person changed", {{"person_id", "moved", ""}});
    return Status::NotFound("no share with this id");
  }
  // ==== end of person search and duplicate review (issue 8) =================

  Status Commit() override {
    if (autocommit_) return Status::Ok();  // every statement committed on its own
    if (done_) return Status::Internal("transaction already finished");
    if (conn_->DropDeferredBegin()) {  // nothing ran: nothing to commit
      done_ = true;
      return Status::Ok();
    }
    PgResult r = conn_->Exec("COMMIT");
    if (!r.ok()) return GenericError(r, "commit");  // the destructor rolls back
    done_ = true;
    // COMMIT of a transaction an error aborted answers "ROLLBACK". Writes
    // run under savepoints, so this means a failed read: nothing was kept.
    if (r.CommandTag() != "COMMIT") return Status::Internal("commit: the transaction had failed and was rolled back");
    return Status::Ok();
  }

 protected:
  PgConnection& connection() override { return *conn_; }
  bool writable() const override { return write_lock_.mutex() != nullptr; }

 private:
  static HistoryEntry ReadHistory(const PgResult& r, int i) {
    return {r.Int(i, 0),  r.Text(i, 1), r.Text(i, 2), r.Int(i, 3), r.Text(i, 4),
            r.Text(i, 5), r.Text(i, 6), r.Text(i, 7), {}};
  }
  static Status Done(const PgResult& r, std::string_view what) { return r.ok() ? Status::Ok() : ErrorFrom(r, what); }
  static Status CheckTable(const TableDef& t) {
    if (!SafeIdentifier(t.table)) return Status::Internal("unsafe table name");
    for (const auto& c : t.columns) {
      if (!SafeIdentifier(c)) return Status::Internal("unsafe column name");
    }
    return Status::Ok();
  }
  Status CheckWritable(const TableDef& t, const StoredRecord& r) const {
    CTIMS_RETURN_IF_ERROR(CheckTable(t));
    if (!writable()) return Status::Internal("write in a read transaction");
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
  PgConnection* conn_;
  std::unique_lock<std::mutex> write_lock_;
  bool autocommit_ = false;
  bool done_ = false;
};

// "name" with embedded quotes doubled: any schema name, safely in SQL text.
std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

int MigrationNumber(std::string_view name) {
  int n = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
  return (ec == std::errc() && ptr != name.data()) ? n : -1;
}

class PostgresStore final : public app::Store, public app::IdentityStore {
 public:
  explicit PostgresStore(PostgresOptions options) : options_(std::move(options)) {}

  Status Open() {
    // The session settings every connection runs (again after a reset).
    std::string setup;
    if (!options_.schema.empty()) setup += "SET search_path TO " + QuoteIdentifier(options_.schema) + "; ";
    setup += "SET lock_timeout = " + std::to_string(std::max(0, options_.lock_timeout_ms)) + ";";
    for (int i = 0; i < std::max(1, options_.pool_size); ++i) {
      CTIMS_ASSIGN_OR_RETURN(auto conn, PgConnection::Open(options_.conninfo, setup));
      if (i == 0) {
        // One writer lock per database and schema: two ctims installations
        // sharing a server (or the contract tests' schemas) do not wait for
        // each other. NULL when the schema does not exist.
        PgResult key = conn->Query("SELECT hashtextextended(current_database() || '.' || current_schema(), 0)");
        if (!key.ok()) return Status::Unavailable("cannot configure database: " + GenericError(key, "key").message());
        if (key.rows() != 1 || key.OptionalInt(0, 0) == std::nullopt) {
          return Status::Unavailable("cannot configure database: the schema does not exist");
        }
        write_lock_key_ = key.Int(0, 0);
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

  Result<std::unique_ptr<PostgresTransaction>> BeginTransaction(app::TxMode mode) {
    // The process-wide mutex first: threads of this process queue here
    // rather than each holding a connection while it waits for the lock.
    std::unique_lock<std::mutex> write_lock;
    if (mode == app::TxMode::kWrite) write_lock = std::unique_lock(write_mutex_);
    CTIMS_ASSIGN_OR_RETURN(PgConnection * conn, pool_.Acquire());
    if (mode == app::TxMode::kReadOne) {  // autocommit: each statement is its own snapshot
      return std::make_unique<PostgresTransaction>(pool_, conn, std::move(write_lock), /*autocommit=*/true);
    }
    // The key is our own number, not input. READ COMMITTED: each statement
    // sees the commits made before the lock was granted (a REPEATABLE READ
    // snapshot would be taken by the lock query, before the wait). BEGIN
    // (and the lock) go out with the transaction's first statement, in the
    // same round trip; an error in them is that statement's error.
    if (mode == app::TxMode::kWrite) {
      conn->DeferBegin({"BEGIN ISOLATION LEVEL READ COMMITTED",
                        "SELECT pg_advisory_xact_lock(" + std::to_string(write_lock_key_) + ")"});
    } else {
      conn->DeferBegin({"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"});
    }
    return std::make_unique<PostgresTransaction>(pool_, conn, std::move(write_lock), /*autocommit=*/false);
  }

  // Each migration in its own transaction under the writers' advisory lock,
  // so that two servers starting together apply each migration once.
  Result<int> Migrate() override {
    std::vector<core::EmbeddedFile> files(EmbeddedMigrations().begin(), EmbeddedMigrations().end());
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    const std::unique_lock lock(write_mutex_);
    CTIMS_ASSIGN_OR_RETURN(PgConnection * conn, pool_.Acquire());
    struct Releaser {
      Pool& pool;
      PgConnection* conn;
      ~Releaser() { pool.Release(conn); }
    } releaser{pool_, conn};
    int reached = 0;
    for (const auto& f : files) {
      const int number = MigrationNumber(f.name);
      if (number <= 0) return Status::Internal("migration file without a number: " + std::string(f.name));
      PgResult begin = conn->Exec(
          "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" + std::to_string(write_lock_key_) +
          "); CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
          "applied_at TEXT NOT NULL)");
      if (!begin.ok()) return Rollback(conn, GenericError(begin, "begin migration"));
      PgResult applied = conn->Query("SELECT 1 FROM schema_migrations WHERE version = $1", Params().Int(number));
      if (!applied.ok()) return Rollback(conn, GenericError(applied, "read migrations"));
      if (applied.rows() == 0) {
        PgResult run = conn->Exec(std::string(f.contents));
        if (!run.ok()) {
          return Rollback(
              conn, Status::Internal("migration " + std::string(f.name) + ": " + GenericError(run, "").message()));
        }
        PgResult ins =
            conn->Query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                        Params().Int(number).Text(f.name).Text(core::FormatTimestamp(core::SystemClock().Now())));
        if (!ins.ok()) return Rollback(conn, GenericError(ins, "record migration"));
      }
      PgResult commit = conn->Exec("COMMIT");
      if (!commit.ok() || commit.CommandTag() != "COMMIT") return Rollback(conn, GenericError(commit, "commit"));
      reached = number;
    }
    return reached;
  }

  Result<int> SchemaVersion() override {
    CTIMS_ASSIGN_OR_RETURN(PgConnection * conn, pool_.Acquire());
    PgResult r = conn->Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    pool_.Release(conn);
    if (!r.ok()) {
      if (r.SqlState() == "42P01") return 0;  // undefined table: a fresh database
      return GenericError(r, "schema version");
    }
    return static_cast<int>(r.Int(0, 0));
  }

  int LatestSchemaVersion() const override {
    int latest = 0;
    for (const auto& f : EmbeddedMigrations()) latest = std::max(latest, MigrationNumber(f.name));
    return latest;
  }

  // PostgreSQL has no equivalent of SQLite's integrity_check that runs
  // without extensions; this checks what the adapter can: the server answers,
  // every constraint of the schema is validated (a NOT VALID foreign key may
  // hide dangling references) and no index is invalid (a failed CREATE INDEX
  // CONCURRENTLY). Page checksums and amcheck are the operator's tools.
  Status CheckIntegrity() override {
    CTIMS_ASSIGN_OR_RETURN(PgConnection * conn, pool_.Acquire());
    PgResult constraints = conn->Query(
        "SELECT count(*) FROM pg_constraint WHERE connamespace = (SELECT oid FROM pg_namespace WHERE nspname = "
        "current_schema()) AND NOT "
        "convalidated");
    PgResult indexes = conn->Query(
        "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND NOT i.indisvalid");
    pool_.Release(conn);
    if (!constraints.ok()) return GenericError(constraints, "integrity check");
    if (!indexes.ok()) return GenericError(indexes, "integrity check");
    if (constraints.Int(0, 0) != 0) return Status::Internal("integrity check: constraints not validated");
    if (indexes.Int(0, 0) != 0) return Status::Internal("integrity check: invalid indexes");
    return Status::Ok();
  }

  std::string BackendName() const override { return "postgresql"; }

 private:
  static Status Rollback(PgConnection* conn, Status s) {
    (void)conn->Exec("ROLLBACK");
    return s;
  }

  PostgresOptions options_;
  Pool pool_;
  std::mutex write_mutex_;
  std::int64_t write_lock_key_ = 0;
};

}  // namespace

Result<std::unique_ptr<app::Store>> OpenPostgresStore(const PostgresOptions& options) {
  auto store = std::make_unique<PostgresStore>(options);
  CTIMS_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<app::Store>(std::move(store));
}

}  // namespace ctims::storage::postgres
