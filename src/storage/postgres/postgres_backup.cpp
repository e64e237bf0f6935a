#include "storage/postgres/postgres_backup.hpp"

#include <libpq-fe.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

namespace ctims::storage::postgres {
namespace {

using core::Status;

// Runs `argv` (argv[0] looked up in PATH, then in the newest
// /usr/lib/postgresql/N/bin) and waits for it. Returns its exit code, or -1
// when it could not be started or did not exit normally.
int RunTool(const std::vector<std::string>& args) {
  const std::string& program = args[0];
  // Debian puts the versioned tools in PATH through wrappers; fall back to the
  // versioned directory where only the server package is installed.
  std::error_code ec;
  std::filesystem::path newest;
  for (const auto& dir : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto candidate = dir.path() / "bin" / program;
    if (std::filesystem::exists(candidate, ec) && (newest.empty() || candidate > newest)) newest = candidate;
  }
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (!newest.empty()) ::execv(newest.c_str(), argv.data());
    ::execvp(program.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// True when the database already has ctims's tables.
core::Result<bool> HasCtimsTables(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    PQfinish(conn);
    return Status::Unavailable("cannot connect to the target database");
  }
  PGresult* r = PQexec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL");
  const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
  const bool has = ok && PQgetvalue(r, 0, 0)[0] == 't';
  PQclear(r);
  PQfinish(conn);
  if (!ok) return Status::Unavailable("cannot inspect the target database");
  return has;
}

}  // namespace

Status BackupPostgres(const std::string& conninfo, const std::string& out_path) {
  std::error_code ec;
  if (std::filesystem::exists(out_path, ec)) return Status::AlreadyExists(out_path + " exists: choose a new path");
  const std::string tmp = out_path + ".partial-" + std::to_string(::getpid());
  std::filesystem::remove(tmp, ec);
  const mode_t old_mask = ::umask(077);
  const int rc =
      RunTool({"pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file=" + tmp, "--dbname=" + conninfo});
  ::umask(old_mask);
  if (rc != 0) {
    std::filesystem::remove(tmp, ec);
    return Status::Unavailable("pg_dump failed (exit " + std::to_string(rc) + ")");
  }
  ::chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, out_path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Status::Unavailable("cannot rename the backup into place");
  }
  return Status::Ok();
}

Status RestorePostgres(const std::string& backup_path, const std::string& conninfo) {
  std::error_code ec;
  if (!std::filesystem::exists(backup_path, ec)) return Status::NotFound("no backup at " + backup_path);
  auto has = HasCtimsTables(conninfo);
  if (!has.ok()) return has.status();
  if (*has) return Status::AlreadyExists("the target database already holds ctims tables: restore into an empty one");
  const int rc = RunTool({"pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                          "--dbname=" + conninfo, backup_path});
  if (rc != 0) return Status::Unavailable("pg_restore failed (exit " + std::to_string(rc) + ")");
  return Status::Ok();
}

}  // namespace ctims::storage::postgres
