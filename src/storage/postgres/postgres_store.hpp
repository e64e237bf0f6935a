#pragma once

#include <memory>
#include <string>

#include "app/record_store.hpp"
#include "core/status.hpp"

namespace ctims::storage::postgres {

struct PostgresOptions {
  // A libpq connection string or URI ("host=/run/postgresql dbname=ctims",
  // "postgresql://ctims@db/ctims"). Passwords belong in ~/.pgpass or
  // PGPASSWORD, not here: the string may end up in logs.
  std::string conninfo;
  // The schema holding ctims's tables (search_path of every connection);
  // empty: the server's default (normally "public"). Must exist.
  std::string schema;
  int pool_size = 8;           // connections shared by all threads
  int lock_timeout_ms = 5000;  // wait for another process's write transaction
};

// app::Store on a PostgreSQL (15 or later) database, through libpq.
//
// Transactions: kRead is REPEATABLE READ READ ONLY (one snapshot for the
// whole transaction, never blocks and never blocks a writer); kReadOne runs
// each statement in its own implicit transaction; kWrite is READ COMMITTED
// after taking a transaction-level advisory lock (pg_advisory_xact_lock) on a
// key derived from the database and schema. Two ctims processes may share one
// database, so the process-wide mutex the store also holds is not enough; the
// advisory lock makes writers take turns across processes, as SQLite's
// BEGIN IMMEDIATE does. SERIALIZABLE was not chosen: it lets writers run
// together and aborts one of them at commit (SQLSTATE 40001), which every
// caller would have to retry, whereas the contract promises that a write
// transaction whose checks pass commits. Under the lock no other writer runs,
// so READ COMMITTED sees every earlier commit and nothing changes underneath.
// A writer that waits longer than lock_timeout_ms gets kUnavailable.
//
// Round trips (issue 9 §6): BEGIN, and a writer's advisory lock, are sent
// with the transaction's first statement in one pipeline, so a failure to
// begin or to get the lock within lock_timeout_ms is that statement's error
// (Begin() itself only takes a pooled connection). A read transaction's
// closing ROLLBACK is not waited for. Each connection prepares a statement
// text once and runs it by name afterwards.
//
// Every write statement runs under a savepoint: a failed statement (say a
// unique clash the caller reports) leaves the transaction usable, as in
// SQLite, where PostgreSQL would otherwise abort the whole transaction.
//
// Durability: Commit() returns once the server reports the commit, which with
// the default synchronous_commit=on means it is flushed to the WAL. When the
// connection is lost during COMMIT the outcome is unknown and Commit()
// returns kUnavailable.
//
// Errors: unique violation -> kAlreadyExists (field error on the column);
// foreign-key violation -> kInvalidArgument on insert, kConflict on update
// and delete; connection lost, disk full -> kUnavailable "storage failure";
// lock timeout, deadlock, serialization failure -> kUnavailable "database
// busy"; the rest -> kInternal. Nothing throws.
//
// The returned store also implements app::IdentityStore: app::AsIdentityStore()
// on it never returns nullptr. Thread-safe.
//
// OpenPostgresStore() connects every connection of the pool up front and
// fails with kUnavailable when it cannot (server down, bad credentials,
// missing schema). It does not migrate: call Migrate().
core::Result<std::unique_ptr<app::Store>> OpenPostgresStore(const PostgresOptions& options);

}  // namespace ctims::storage::postgres
