#pragma once

// Backup and restore of a SQLite database file (issue 9 §5), with SQLite's
// online backup API: a consistent copy while servers keep writing.
//
// A backup holds what the database holds: sealed personal fields (useless
// without the key file, which is backed up separately and kept apart), the
// users' password hashes and the audit log. Both functions write the new file
// with mode 0600 under a temporary name and rename it into place, so a failed
// run leaves no half-written file behind.

#include <string>

#include "core/status.hpp"

namespace ctims::storage::sqlite {

// Copies the database at `db_path` to `out_path`, which must not exist
// (kAlreadyExists). Waits for writers as the backup API requires; kUnavailable
// when the source cannot be read or the copy cannot be written.
core::Status BackupSqlite(const std::string& db_path, const std::string& out_path);

// Makes a new database at `db_path` (which must not exist: kAlreadyExists)
// from the backup at `backup_path`. kInvalidArgument when `backup_path` is not
// a SQLite database or fails SQLite's integrity check. Does not migrate; the
// caller checks integrity and the audit chain through the store.
core::Status RestoreSqlite(const std::string& backup_path, const std::string& db_path);

}  // namespace ctims::storage::sqlite
