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

PgResult PgConnection::Query(const std::string& sql, const Params& params) {
  const std::vector<const char*> values = params.Pointers();
  return PgResult(PQexecParams(conn_, sql.c_str(), params.size(), nullptr, values.data(), nullptr, nullptr, 0));
}

PgResult PgConnection::Write(const std::string& sql, const Params& params) {
  PgResult begin = Exec("SAVEPOINT ctims_statement");
  if (!begin.ok()) return begin;
  PgResult r = Query(sql, params);
  PgResult end = Exec(r.ok() ? "RELEASE SAVEPOINT ctims_statement" : "ROLLBACK TO SAVEPOINT ctims_statement");
  if (r.ok() && !end.ok()) return end;
  return r;
}

PgResult PgConnection::Copy(const std::string& copy_sql, std::string_view data) {
  PgResult begin = Exec("SAVEPOINT ctims_statement");
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
  PgResult end = Exec(r.ok() ? "RELEASE SAVEPOINT ctims_statement" : "ROLLBACK TO SAVEPOINT ctims_statement");
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
  return PgResult(PQexec(conn_, sql.c_str()));
}

bool PgConnection::Healthy() const {
  return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

Status PgConnection::Reset() {
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
