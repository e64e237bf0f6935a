#include "storage/sqlite/sqlite_backup.hpp"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace ctims::storage::sqlite {
namespace {

using core::Status;

// Owns a sqlite3 handle.
class Handle {
 public:
  Handle() = default;
  ~Handle() { sqlite3_close_v2(db_); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  sqlite3** out() { return &db_; }
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// Copies every page of `from` into `to`; retries while another connection
// holds a lock (a server writing), as the backup API documents.
Status CopyPages(sqlite3* from, sqlite3* to) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr) return Status::Unavailable(std::string("backup: ") + sqlite3_errmsg(to));
  int rc = SQLITE_OK;
  int waits = 0;
  do {
    rc = sqlite3_backup_step(backup, 1024);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      if (++waits > 6000) break;  // a minute of 10 ms waits
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return Status::Unavailable(std::string("backup: ") + sqlite3_errstr(rc));
  return Status::Ok();
}

std::string TempName(const std::string& path) {
  return path + ".partial-" + std::to_string(::getpid());
}

// Copies `from_path` to `to_path` through a temporary file; the source is
// opened read-only.
Status CopyDatabase(const std::string& from_path, const std::string& to_path) {
  std::error_code ec;
  if (std::filesystem::exists(to_path, ec)) return Status::AlreadyExists(to_path + " exists: choose a new path");
  if (!std::filesystem::exists(from_path, ec)) return Status::NotFound("no database at " + from_path);
  Handle from;
  if (sqlite3_open_v2(from_path.c_str(), from.out(), SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    return Status::Unavailable("cannot open " + from_path + ": " + sqlite3_errmsg(from.get()));
  }
  sqlite3_busy_timeout(from.get(), 5000);
  const std::string tmp = TempName(to_path);
  std::filesystem::remove(tmp, ec);
  Status s;
  {
    Handle to;
    const mode_t old_mask = ::umask(077);  // the copy is as private as the database
    const int rc = sqlite3_open_v2(tmp.c_str(), to.out(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    ::umask(old_mask);
    if (rc != SQLITE_OK) return Status::Unavailable("cannot create " + tmp + ": " + sqlite3_errmsg(to.get()));
    s = CopyPages(from.get(), to.get());
    // One file, no -wal beside it: the copy is complete on its own.
    if (s.ok() && sqlite3_exec(to.get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      s = Status::Unavailable(std::string("backup: ") + sqlite3_errmsg(to.get()));
    }
  }
  if (s.ok()) {
    std::filesystem::rename(tmp, to_path, ec);
    if (ec) s = Status::Unavailable("cannot rename " + tmp + ": " + ec.message());
  }
  if (!s.ok()) std::filesystem::remove(tmp, ec);
  return s;
}

}  // namespace

Status BackupSqlite(const std::string& db_path, const std::string& out_path) {
  return CopyDatabase(db_path, out_path);
}

Status RestoreSqlite(const std::string& backup_path, const std::string& db_path) {
  {
    Handle check;
    if (sqlite3_open_v2(backup_path.c_str(), check.out(), SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      return Status::InvalidArgument("cannot open the backup " + backup_path);
    }
    sqlite3_stmt* stmt = nullptr;
    std::string result;
    if (sqlite3_prepare_v2(check.get(), "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        const auto* text = sqlite3_column_text(stmt, 0);
        if (text != nullptr) result += reinterpret_cast<const char*>(text);
      }
    } else {
      result = sqlite3_errmsg(check.get());
    }
    sqlite3_finalize(stmt);
    if (result != "ok") return Status::InvalidArgument(backup_path + " is not a sound SQLite database: " + result);
  }
  return CopyDatabase(backup_path, db_path);
}

}  // namespace ctims::storage::sqlite
