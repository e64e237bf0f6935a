#pragma once

// Backup and restore of a PostgreSQL database (issue 9 §5) with the server's
// own tools, pg_dump and pg_restore (Debian's postgresql-client, the same
// major version as the server): a consistent snapshot while servers keep
// writing, in pg_dump's custom format (compressed, restorable table by table).
//
// The connection string goes to the tools as an argument (never through a
// shell). Put passwords in ~/.pgpass or PGPASSFILE, not in the URI: a URI's
// password would show in the process list while the tool runs.

#include <string>

#include "core/status.hpp"

namespace ctims::storage::postgres {

// Writes the whole database `conninfo` names to `out_path` (must not exist:
// kAlreadyExists), mode 0600, through a temporary file renamed into place.
// kUnavailable when pg_dump cannot run or fails (its messages go to stderr).
core::Status BackupPostgres(const std::string& conninfo, const std::string& out_path);

// Restores `backup_path` into the database `conninfo` names, which must exist
// and hold no ctims tables (kAlreadyExists otherwise), in one transaction:
// on failure the database is left as it was. kUnavailable when pg_restore
// cannot run or fails. Does not migrate; the caller checks integrity and the
// audit chain through the store.
core::Status RestorePostgres(const std::string& backup_path, const std::string& conninfo);

}  // namespace ctims::storage::postgres
