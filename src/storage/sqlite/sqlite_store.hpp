#pragma once

#include <memory>
#include <string>

#include "app/record_store.hpp"
#include "core/status.hpp"

namespace ctims::storage::sqlite {

struct SqliteOptions {
  std::string path;            // database file; created if missing
  int pool_size = 8;           // connections shared by all threads
  int busy_timeout_ms = 5000;  // wait for another process's write lock
  // Page cache per connection in KiB (PRAGMA cache_size=-N); 0 keeps
  // SQLite's default (2 MiB). Bulk loads (`ctims demo`) raise it so that a
  // large transaction does not spill pages to the WAL before it commits.
  int cache_kib = 0;
  // WAL pages after which a commit checkpoints (PRAGMA wal_autocheckpoint);
  // 0 keeps SQLite's default (1,000 pages, 4 MiB). Bulk writers raise it: a
  // transaction that touches thousands of scattered index pages (the
  // duplicate queue's person_b index) made every commit a checkpoint that
  // wrote those pages to the file again, where a larger WAL writes each page
  // to the file once per checkpoint. Every commit is still synced (FULL);
  // the WAL file grows to about this many pages times 4 KiB while the bulk
  // writer runs.
  int wal_autocheckpoint_pages = 0;
};

// app::Store on an SQLite file in WAL mode with foreign keys on and
// synchronous=FULL, so a transaction acknowledged by Commit() survives a
// crash or power loss. Readers run concurrently; writers are serialised by a
// process-wide mutex (and SQLite's lock across processes). Thread-safe.
//
// The returned store also implements app::IdentityStore (users, roles,
// sessions, sign-in throttle; migration 0002): app::AsIdentityStore() on it
// never returns nullptr.
//
// Open() fails with kUnavailable when the file cannot be opened or
// configured (bad path, not a database, read-only directory).

core::Result<std::unique_ptr<app::Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace ctims::storage::sqlite
