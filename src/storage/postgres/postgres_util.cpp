#include "storage/postgres/postgres_util.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <limits>

namespace ctims::storage::postgres {

using core::Result;
using core::Status;

// ---- Params ----

Params& Params::Text(std::string_view value) {
  values_.emplace_back(std::string(value));
  return *this;
}

Params& Params::Int(std::int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

Params& Params::Bool(bool value) {
  values_.emplace_back(value ? "t" : "f");
  return *this;
}

Params& Params::Null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

Params& Params::Optional(const std::optional<std::string>& value) {
  values_.push_back(value);
  return *this;
}

Params& Params::Optional(const std::optional<std::int64_t>& value) {
  return value ? Int(*value) : Null();
}

Params& Params::Limit(std::size_t limit) {
  // LIMIT NULL is "no limit" in PostgreSQL.
  if (limit > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())) return Null();
  return Int(static_cast<std::int64_t>(limit));
}

std::vector<const char*> Params::Pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

// ---- PgResult ----

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

PgResult::~PgResult() {
  PQclear(result_);
}

bool PgResult::ok() const {
  if (result_ == nullptr) return false;
  const ExecStatusType s = PQresultStatus(result_);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

std::string PgResult::SqlState() const {
  if (result_ == nullptr) return "";
  const char* state = PQresultErrorField(result_, PG_DIAG_SQLSTATE);
  return state == nullptr ? "" : state;
}

int PgResult::rows() const {
  return result_ == nullptr ? 0 : PQntuples(result_);
}

std::int64_t PgResult::Affected() const {
  if (result_ == nullptr) return 0;
  const std::string_view n = PQcmdTuples(result_);
  std::int64_t out = 0;
  std::from_chars(n.data(), n.data() + n.size(), out);
  return out;
}

std::string PgResult::CommandTag() const {
  return result_ == nullptr ? "" : PQcmdStatus(result_);
}

std::string PgResult::Text(int row, int col) const {
  if (PQgetisnull(result_, row, col)) return "";
  return std::string(PQgetvalue(result_, row, col), static_cast<std::size_t>(PQgetlength(result_, row, col)));
}

std::optional<std::string> PgResult::OptionalText(int row, int col) const {
  if (PQgetisnull(result_, row, col)) return std::nullopt;
  return Text(row, col);
}

std::int64_t PgResult::Int(int row, int col) const {
  return OptionalInt(row, col).value_or(0);
}

std::optional<std::int64_t> PgResult::OptionalInt(int row, int col) const {
  if (PQgetisnull(result_, row, col)) return std::nullopt;
  const char* p = PQgetvalue(result_, row, col);
  std::int64_t out = 0;
  std::from_chars(p, p + PQgetlength(result_, row, col), out);
  return out;
}

bool PgResult::Bool(int row, int col) const {
  return !PQgetisnull(result_, row, col) && PQgetvalue(result_, row, col)[0] == 't';
}

// ---- PgConnection ----

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& conninfo, const std::string& setup) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return Status::Unavailable("cannot connect to database: out of memory");
  std::unique_ptr<PgConnection> out(new PgConnection(conn, setup));
  // libpq prints server notices ("relation already exists, skipping") to
  // stderr by default; they are the server log's business, not ours.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  if (PQstatus(conn) != CONNECTION_OK) {
    // libpq's message names the host and the reason, never a password.
    return Status::Unavailable("cannot connect to database: " + std::string(PQerrorMessage(conn)));
  }
  CTIMS_RETURN_IF_ERROR(out->RunSetup());
  return out;
}

PgConnection::~PgConnection() {
  PQfinish(conn_);
}

Status PgConnection::RunSetup() {
  if (PQsetClientEncoding(conn_, "UTF8") != 0) return Status::Unavailable("cannot set client encoding UTF8");
  if (setup_.empty()) return Status::Ok();
  PgResult r = Exec(setup_);
  if (!r.ok()) return Status::Unavailable("cannot configure database session: " + GenericError(r, "setup").message());
  return Status::Ok();
}

namespace {

const std::string kSavepoint = "SAVEPOINT ctims_statement";
const std::string kRelease = "RELEASE SAVEPOINT ctims_statement";
const std::string kRollbackTo = "ROLLBACK TO SAVEPOINT ctims_statement";

// A cached statement that fails this way must be prepared again: its result
// type changed under it (a migration altered the table), or the session lost
// it.
bool StalePrepared(const PgResult& r) {
  const std::string state = r.SqlState();
  return state == "0A000" || state == "26000";
}

}  // namespace

const std::string* PgConnection::PreparedName(const std::string& sql) const {
  const auto it = prepared_.find(sql);
  return it == prepared_.end() ? nullptr : &it->second;
}

void PgConnection::Drain() {
  if (!rollback_sent_) return;
  rollback_sent_ = false;
  while (pg_result* r = PQgetResult(conn_)) PQclear(r);
}

std::vector<PgResult> PgConnection::Pipeline(const std::vector<Step>& steps) {
  std::vector<PgResult> out(steps.size());
  if (PQenterPipelineMode(conn_) != 1) return out;  // null results: "storage failure"
  // Per step: the statement name it runs (empty: unprepared), and whether a
  // PQsendPrepare went first. A text repeated in the pipeline is prepared
  // once, by its first step.
  std::vector<std::string> names(steps.size());
  std::vector<bool> preparing(steps.size(), false);
  std::unordered_map<std::string_view, std::size_t> first_prepared;
  bool sent = true;
  for (std::size_t i = 0; sent && i < steps.size(); ++i) {
    const Step& step = steps[i];
    if (step.prepare) {
      if (const std::string* name = PreparedName(*step.sql)) {
        names[i] = *name;
      } else if (auto it = first_prepared.find(*step.sql); it != first_prepared.end()) {
        names[i] = names[it->second];
      } else if (prepared_.size() + first_prepared.size() < kMaxPrepared) {
        names[i] = "ctims_" + std::to_string(next_statement_++);
        preparing[i] = true;
        first_prepared.emplace(*step.sql, i);
        sent = PQsendPrepare(conn_, names[i].c_str(), step.sql->c_str(), 0, nullptr) == 1;
        if (!sent) break;
      }
    }
    const std::vector<const char*> values = step.params ? step.params->Pointers() : std::vector<const char*>();
    const int n = step.params ? step.params->size() : 0;
    sent = !names[i].empty()
               ? PQsendQueryPrepared(conn_, names[i].c_str(), n, values.data(), nullptr, nullptr, 0) == 1
               : PQsendQueryParams(conn_, step.sql->c_str(), n, nullptr, values.data(), nullptr, nullptr, 0) == 1;
  }
  if (sent) sent = PQpipelineSync(conn_) == 1;
  if (!sent) {
    // The connection is broken; Healthy() sees the pipeline still on and
    // has it reset before anyone uses it again.
    return out;
  }
  // One result per command, each followed by a null.
  const auto read_one = [&] {
    PgResult first(PQgetResult(conn_));
    if (first.get() != nullptr) {
      while (pg_result* extra = PQgetResult(conn_)) PQclear(extra);
    }
    return first;
  };
  for (std::size_t i = 0; i < steps.size(); ++i) {
    std::optional<PgResult> prepare_failed;
    if (preparing[i]) {
      PgResult p = read_one();
      if (p.ok()) {
        prepared_.emplace(*steps[i].sql, names[i]);
      } else {
        prepare_failed = std::move(p);
      }
    }
    out[i] = read_one();
    if (prepare_failed) out[i] = std::move(*prepare_failed);  // the execution was skipped
    if (steps[i].prepare && StalePrepared(out[i])) prepared_.erase(*steps[i].sql);
  }
  PgResult sync(PQgetResult(conn_));  // PGRES_PIPELINE_SYNC
  (void)PQexitPipelineMode(conn_);
  return out;
}

PgResult PgConnection::Query(const std::string& sql, const Params& params) {
  Drain();
  if (deferred_.empty()) {
    const std::vector<const char*> values = params.Pointers();
    if (const std::string* name = PreparedName(sql)) {
      PgResult r(PQexecPrepared(conn_, name->c_str(), params.size(), values.data(), nullptr, nullptr, 0));
      if (StalePrepared(r)) prepared_.erase(sql);
      return r;
    }
    if (prepared_.size() >= kMaxPrepared) {
      return PgResult(PQexecParams(conn_, sql.c_str(), params.size(), nullptr, values.data(), nullptr, nullptr, 0));
    }
  }
  // Prepare and run in one round trip, after the deferred BEGIN if any.
  std::vector<Step> steps;
  for (const auto& d : deferred_) steps.push_back({&d, nullptr, false});
  steps.push_back({&sql, &params, true});
  std::vector<PgResult> r = Pipeline(steps);
  deferred_.clear();
  for (auto& one : r) {
    if (!one.ok()) return std::move(one);
  }
  return std::move(r.back());
}

PgResult PgConnection::Write(const std::string& sql, const Params& params) {
  return WriteMany(sql, {params});
}

PgResult PgConnection::WriteMany(const std::string& sql, const std::vector<Params>& rows) {
  Drain();
  std::vector<Step> steps;
  for (const auto& d : deferred_) steps.push_back({&d, nullptr, false});
  const std::size_t at = steps.size();  // the savepoint
  steps.push_back({&kSavepoint, nullptr, false});
  for (const auto& p : rows) steps.push_back({&sql, &p, true});
  steps.push_back({&kRelease, nullptr, false});
  std::vector<PgResult> r = Pipeline(steps);
  deferred_.clear();
  for (std::size_t i = 0; i <= at; ++i) {
    if (!r[i].ok()) return std::move(r[i]);  // BEGIN, the writers' lock or the savepoint failed
  }
  for (std::size_t i = at + 1; i + 1 < r.size(); ++i) {
    if (!r[i].ok()) {
      // A statement failed and the rest, RELEASE included, were skipped:
      // undo what this call wrote, and only that.
      (void)Exec(kRollbackTo);
      return std::move(r[i]);
    }
  }
  if (!r.back().ok()) return std::move(r.back());
  return std::move(r[r.size() - 2]);
}

PgResult PgConnection::Copy(const std::string& copy_sql, std::string_view data) {
  PgResult begin = Exec(kSavepoint);  // after the deferred BEGIN, if any
  if (!begin.ok()) return begin;
  PgResult r(PQexec(conn_, copy_sql.c_str()));
  if (PQresultStatus(r.get()) == PGRES_COPY_IN) {
    constexpr std::size_t kChunk = 1 << 20;
    bool sent = true;
    for (std::size_t at = 0; sent && at < data.size(); at += kChunk) {
      const std::size_t n = std::min(kChunk, data.size() - at);
      sent = PQputCopyData(conn_, data.data() + at, static_cast<int>(n)) == 1;
    }
    PQputCopyEnd(conn_, sent ? nullptr : "client could not send the data");
    r = PgResult(PQgetResult(conn_));
    // Drain: the COPY's own result is followed by a null one.
    while (pg_result* extra = PQgetResult(conn_)) PQclear(extra);
  }
  PgResult end = Exec(r.ok() ? kRelease : kRollbackTo);
  if (r.ok() && !end.ok()) return end;
  return r;
}

void CopyField(std::string& row, const std::optional<std::string_view>& value, bool first) {
  if (!first) row += '\t';
  if (!value) {
    row += "\\N";
    return;
  }
  for (char c : *value) {
    switch (c) {
      case '\\': row += "\\\\"; break;
      case '\t': row += "\\t"; break;
      case '\n': row += "\\n"; break;
      case '\r': row += "\\r"; break;
      default: row += c;
    }
  }
}

PgResult PgConnection::Exec(const std::string& sql) {
  Drain();
  if (deferred_.empty()) return PgResult(PQexec(conn_, sql.c_str()));
  // The simple protocol takes several statements in one message.
  std::string text;
  for (const auto& d : deferred_) text += d + "; ";
  text += sql;
  deferred_.clear();
  return PgResult(PQexec(conn_, text.c_str()));
}

void PgConnection::DeferBegin(std::vector<std::string> statements) {
  deferred_ = std::move(statements);
}

bool PgConnection::DropDeferredBegin() {
  if (deferred_.empty()) return false;
  deferred_.clear();
  return true;
}

void PgConnection::SendRollback() {
  Drain();
  if (DropDeferredBegin()) return;  // never begun
  // Blocking connection: PQsendQuery returns once the message is sent.
  rollback_sent_ = PQsendQuery(conn_, "ROLLBACK") == 1;
}

bool PgConnection::Healthy() {
  Drain();
  return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE &&
         PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && deferred_.empty();
}

Status PgConnection::Reset() {
  // A new session: its prepared statements are gone.
  prepared_.clear();
  deferred_.clear();
  rollback_sent_ = false;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Status::Unavailable("storage failure: cannot reconnect: " + std::string(PQerrorMessage(conn_)));
  }
  return RunSetup();
}

// ---- errors ----

Status GenericError(const PgResult& result, std::string_view what) {
  const std::string state = result.SqlState();
  if (result.get() == nullptr || state.empty() || state.starts_with("08") || state.starts_with("57P") ||
      state.starts_with("53") || state.starts_with("58")) {
    // Connection lost, server shutting down, out of disk or memory, I/O error.
    const char* m = result.get() == nullptr ? nullptr : PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY);
    return Status::Unavailable("storage failure: " + std::string(what) + (m ? ": " + std::string(m) : std::string()));
  }
  // Serialization failure, deadlock, lock wait timed out, statement timeout.
  if (state == "40001" || state == "40P01" || state == "55P03" || state == "57014") {
    return Status::Unavailable("database busy: " + std::string(what) + ": SQLSTATE " + state);
  }
  std::string msg = std::string(what) + ": SQLSTATE " + state;
  // Class 22 (data exception) messages quote the offending input; the rest
  // name schema objects only.
  if (!state.starts_with("22")) {
    if (const char* m = PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY)) msg += std::string(": ") + m;
  } else if (const char* c = PQresultErrorField(result.get(), PG_DIAG_COLUMN_NAME)) {
    msg += std::string(" in column ") + c;
  }
  return Status::Internal(msg);
}

Status UniqueViolation(const PgResult& result) {
  std::string column;
  if (const char* detail =
          result.get() == nullptr ? nullptr : PQresultErrorField(result.get(), PG_DIAG_MESSAGE_DETAIL)) {
    // "Key (loc_Code)=(...) already exists." or "Key (\"loc_Code\")=...".
    const std::string_view d = detail;
    const auto open = d.find("Key (");
    const auto close = d.find(")=(");
    if (open != std::string_view::npos && close != std::string_view::npos && close > open + 5) {
      column = std::string(d.substr(open + 5, close - open - 5));
      std::erase(column, '"');
    }
  }
  return Status::AlreadyExists("a record with this value already exists",
                               {{column, "unique", column + " must be unique"}});
}

}  // namespace ctims::storage::postgres
