#pragma once

// Internal to storage/postgres: one libpq connection, statement parameters,
// reading results, and mapping SQLSTATEs to Status, as every file of this
// backend does them.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.hpp"

struct pg_conn;
struct pg_result;

namespace ctims::storage::postgres {

// The parameters of one statement ($1, $2, ... in order), all sent as text
// and typed by the server from their context. Values are never spliced into
// SQL text.
class Params {
 public:
  Params& Text(std::string_view value);
  Params& Int(std::int64_t value);
  Params& Bool(bool value);
  Params& Null();
  Params& Optional(const std::optional<std::string>& value);
  Params& Optional(const std::optional<std::int64_t>& value);
  // A LIMIT: NULL (no limit) when `limit` does not fit a BIGINT.
  Params& Limit(std::size_t limit);

  int size() const { return static_cast<int>(values_.size()); }
  // Pointers into this object (nullptr for NULL); valid until it changes.
  std::vector<const char*> Pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

// Owns one PGresult (possibly null: libpq returns none when the connection
// is gone). Move-only.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  // True when the statement succeeded (with or without rows).
  bool ok() const;
  // The SQLSTATE of a failure; "" when there is none (no result at all).
  std::string SqlState() const;
  int rows() const;
  // Rows changed by INSERT/UPDATE/DELETE.
  std::int64_t Affected() const;
  // The command tag ("COMMIT"; "ROLLBACK" when COMMIT found the transaction
  // aborted).
  std::string CommandTag() const;

  // Column values by row and column; "" / 0 / false for NULL.
  std::string Text(int row, int col) const;
  std::optional<std::string> OptionalText(int row, int col) const;
  std::int64_t Int(int row, int col) const;
  std::optional<std::int64_t> OptionalInt(int row, int col) const;
  bool Bool(int row, int col) const;

  pg_result* get() const { return result_; }

 private:
  pg_result* result_ = nullptr;
};

// One server connection. Not thread-safe: one transaction uses it at a time
// (the store's pool hands it out).
//
// Round trips are what a request costs on PostgreSQL (issue 9 §6), so the
// connection saves them where it can without changing what runs:
// - Query() prepares each statement text once per connection (PQprepare,
//   then PQexecPrepared by name): the server parses and plans a hot
//   statement once, not on every request. At most kMaxPrepared texts are
//   kept; statements beyond that run unprepared.
// - DeferBegin() holds back a transaction's BEGIN (and the statements that
//   go with it, such as the writers' advisory lock) and sends it in one
//   pipeline with the first statement; a transaction that runs nothing
//   costs nothing.
// - Write() sends SAVEPOINT, the statement and RELEASE in one pipeline.
// - SendRollback() ends a read transaction without waiting for the answer;
//   the answer is read before the connection's next use.
class PgConnection {
 public:
  static constexpr std::size_t kMaxPrepared = 256;

  // Connects with `conninfo` (a libpq connection string) and runs `setup`
  // (SET statements) on the new session. kUnavailable when it cannot.
  static core::Result<std::unique_ptr<PgConnection>> Open(const std::string& conninfo, const std::string& setup);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with bound parameters (prepared on first use).
  PgResult Query(const std::string& sql, const Params& params = {});
  // Runs a write inside the open transaction under a savepoint, so that a
  // failed statement (a unique clash the caller handles) leaves the rest of
  // the transaction usable, as it does in SQLite. A PostgreSQL transaction
  // is otherwise aborted by any error.
  PgResult Write(const std::string& sql, const Params& params);
  // Write for `sql` once per element of `rows`, in one round trip and under
  // one savepoint: all or none. Returns the first failure, else the last
  // statement's result. `rows` must not be empty.
  PgResult WriteMany(const std::string& sql, const std::vector<Params>& rows);
  // Runs `copy_sql` ("COPY t (...) FROM STDIN") under a savepoint, as
  // Write does, sending `data`: rows in COPY's text format (see CopyField).
  PgResult Copy(const std::string& copy_sql, std::string_view data);
  // Runs SQL text without parameters (may hold several statements: BEGIN,
  // COMMIT, migrations).
  PgResult Exec(const std::string& sql);

  // Holds back `statements` (each one statement without parameters, e.g.
  // "BEGIN ISOLATION LEVEL ..."): they are sent before, and in the same round
  // trip as, the next statement run on this connection. When one of them
  // fails, that statement's result is returned instead of the next one's.
  void DeferBegin(std::vector<std::string> statements);
  // True when a deferred BEGIN was never sent; forgets it (nothing to commit
  // or roll back then).
  bool DropDeferredBegin();
  // Sends ROLLBACK and returns without waiting for the answer (read
  // transactions, where nothing depends on it). The next use of the
  // connection reads it first.
  void SendRollback();

  // True when the session is usable and idle outside a transaction; a
  // connection that is not is reset before it is used again. Reads the
  // answer of a pending SendRollback() first.
  bool Healthy();
  // Reconnects (after a lost connection) and reruns the setup.
  core::Status Reset();

 private:
  struct Step {
    const std::string* sql;
    const Params* params;  // nullptr: none
    bool prepare;          // through the prepared-statement cache
  };

  PgConnection(pg_conn* conn, std::string setup) : conn_(conn), setup_(std::move(setup)) {}
  core::Status RunSetup();
  // Reads what SendRollback() left unread.
  void Drain();
  // The cached statement name for `sql`, or nullptr when it is not prepared.
  const std::string* PreparedName(const std::string& sql) const;
  // Sends `steps` in one pipeline (one round trip) and returns one result per
  // step (a PGRES_PIPELINE_ABORTED result for steps skipped after an error).
  std::vector<PgResult> Pipeline(const std::vector<Step>& steps);
  // Sends the deferred BEGIN on its own, when there is one (before a COPY).
  PgResult FlushDeferredBegin();

  pg_conn* conn_;
  std::string setup_;
  std::vector<std::string> deferred_;                      // held back by DeferBegin()
  bool rollback_sent_ = false;                             // SendRollback() answer not read yet
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
  std::uint64_t next_statement_ = 0;
};

// Appends `value` to `row` as one field of COPY's text format: backslash,
// tab, newline and carriage return escaped; nullopt as \N. `first` omits the
// tab before it.
void CopyField(std::string& row, const std::optional<std::string_view>& value, bool first = false);

// The Status for a failure that means the same in every table: connection
// lost, disk full, I/O error -> kUnavailable "storage failure: ..."; lock
// wait timed out, serialization failure or deadlock -> kUnavailable
// "database busy: ..."; the rest -> kInternal "<what>: SQLSTATE <code> ...".
// Constraint violations mean different things to different tables: callers
// map those first. Messages name schema objects and operations only, never
// values (PostgreSQL's DETAIL, which quotes values, is never copied).
core::Status GenericError(const PgResult& result, std::string_view what);

// kAlreadyExists for a unique violation, naming in its field error the
// column PostgreSQL reports in the DETAIL ("Key (col)=(...)"); the value
// part is dropped.
core::Status UniqueViolation(const PgResult& result);

// SQLSTATEs the adapter tells apart.
inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kForeignKeyViolation = "23503";

}  // namespace ctims::storage::postgres
