// Audit tamper tests (issue 3 §6, goal G16): a real SQLite database holding a
// log written through app::AuditLog is changed directly with the SQLite C API
// — as someone with the file would — and the real `ctims audit verify`
// (CTIMS_BINARY) must fail at the right event. The attacker drops the
// append-only triggers first: they guard against bugs, not against people.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "app/audit_log.hpp"
#include "core/clock.hpp"
#include "core/id.hpp"
#include "core/signing_key.hpp"
#include "run_ctims.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace ctims {
namespace {

using testing_cli::CliRun;

constexpr int kEvents = 50;

class AuditTamperTest : public testing_cli::CtimsBinaryTest {
 protected:
  AuditTamperTest() : CtimsBinaryTest("ctims-tamper-") {}

  void SetUp() override {
    CtimsBinaryTest::SetUp();
    if (HasFatalFailure()) return;
    db_ = (dir_ / "audit.db").string();
    key_ = (dir_ / "keys" / "audit-signing.key").string();
    checkpoint_ = (dir_ / "checkpoints.txt").string();
    std::filesystem::create_directories(dir_ / "keys");
    AddEvents(kEvents);
  }

  // Appends `n` events through the real AuditLog: most on their own (Record),
  // every fifth inside a caller's write transaction (Append).
  void AddEvents(int n, const std::string& outcome = "ok") {
    auto store = storage::sqlite::OpenSqliteStore({.path = db_});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Migrate().ok());
    app::AuditLog log(**store, core::SystemClock());
    for (int i = 0; i < n; ++i) {
      app::AuditEvent e{core::NewId(),
                        "case_worker",
                        core::NewId(),
                        "192.0.2." + std::to_string(i % 250),
                        i % 3 == 0 ? "read" : "list",
                        "persons",
                        {core::NewId(), core::NewId()},
                        outcome};
      if (i % 5 == 4) {
        auto tx = (*store)->Begin(app::TxMode::kWrite);
        ASSERT_TRUE(tx.ok());
        ASSERT_TRUE(log.Append(**tx, e).ok());
        ASSERT_TRUE((*tx)->Commit().ok());
      } else {
        ASSERT_TRUE(log.Record(e).ok());
      }
    }
  }

  // Runs `ctims ARGS` and captures its output.
  CliRun Ctims(const std::string& args) { return Shell("'" + binary_ + "' " + args); }
  CliRun Verify() { return Ctims("audit verify --db '" + db_ + "'"); }
  CliRun VerifyWithCheckpoint() {
    return Ctims("audit verify --db '" + db_ + "' --checkpoint '" + checkpoint_ + "' --signing-key '" + key_ + "'");
  }
  // Takes a checkpoint with the real command and appends it to the
  // checkpoint file, as the daily cron job does.
  void TakeCheckpoint() {
    const CliRun r = Ctims("audit checkpoint --db '" + db_ + "' --signing-key '" + key_ + "'");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto line_start = r.output.find("ctims-audit-checkpoint ");
    ASSERT_NE(line_start, std::string::npos) << r.output;
    std::ofstream(checkpoint_, std::ios::app)
        << r.output.substr(line_start, r.output.find('\n', line_start) - line_start) << "\n";
  }

  // Runs SQL on the database file directly, after dropping the triggers.
  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    const std::string all =
        "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; " + sql;
    const int rc = sqlite3_exec(db, all.c_str(), nullptr, nullptr, &err);
    const std::string message = err == nullptr ? "" : err;
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
  }

  // A consistent copy of the whole database (taken with no connection open).
  void CopyDatabase(const std::string& from, const std::string& to) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(to + suffix);
      if (std::filesystem::exists(from + suffix)) std::filesystem::copy_file(from + suffix, to + suffix);
    }
  }

  static void ExpectBrokenAt(const CliRun& r, int seq, const std::string& why) {
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("broken at event " + std::to_string(seq) + ":"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(why), std::string::npos) << r.output;
  }

  std::string db_;
  std::string key_;
  std::string checkpoint_;
};

TEST_F(AuditTamperTest, AnUntouchedLogVerifies) {
  CliRun r = Verify();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok 50 events"), std::string::npos) << r.output;
  TakeCheckpoint();
  r = VerifyWithCheckpoint();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok 50 events"), std::string::npos) << r.output;
  // The public key may be given instead of the key file (the verifier need
  // not hold the secret).
  auto keys = core::LoadSigningKeyFile(key_);
  ASSERT_TRUE(keys.ok());
  r = Ctims("audit verify --db '" + db_ + "' --checkpoint '" + checkpoint_ + "' --public-key " +
            core::FormatSigningPublicKey(keys->public_key));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(AuditTamperTest, EditingAnyFieldIsCaughtAtThatEvent) {
  const std::string pristine = (dir_ / "pristine.db").string();
  CopyDatabase(db_, pristine);
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"at", "'2020-01-01T00:00:00.000Z'"},
      {"user_id", "'" + core::NewId() + "'"},
      {"role", "'administrator'"},
      {"agency_id", "'" + core::NewId() + "'"},
      {"client_ip", "'203.0.113.9'"},
      {"action", "'export'"},
      {"resource", "'cases'"},
      {"record_ids", "'[]'"},
      {"outcome", "'denied'"},
      {"hash", "'" + std::string(64, 'f') + "'"},
      {"prev_hash", "'" + std::string(64, 'e') + "'"},
  };
  for (const auto& [column, value] : edits) {
    SCOPED_TRACE(column);
    CopyDatabase(pristine, db_);
    Tamper("UPDATE audit_log SET " + column + " = " + value + " WHERE seq = 17");
    // A changed prev_hash reads as a broken link; every other change as an edit.
    ExpectBrokenAt(Verify(), 17, column == "prev_hash" ? "reordered" : "edited");
  }
}

TEST_F(AuditTamperTest, DeletingAnEventIsCaughtAtThatEvent) {
  Tamper("DELETE FROM audit_log WHERE seq = 23");
  ExpectBrokenAt(Verify(), 23, "missing");
  Tamper("DELETE FROM audit_log WHERE seq = 1");
  ExpectBrokenAt(Verify(), 1, "missing");
}

TEST_F(AuditTamperTest, DeletingAndRenumberingIsCaught) {
  // Close the gap too: every later event moves down by one.
  Tamper(
      "DELETE FROM audit_log WHERE seq = 23; "
      "UPDATE audit_log SET seq = seq - 1 WHERE seq > 23");
  ExpectBrokenAt(Verify(), 23, "reordered");
}

TEST_F(AuditTamperTest, ReorderingTwoEventsIsCaughtAtTheFirst) {
  // Swap everything but seq between events 10 and 30.
  Tamper(
      "CREATE TEMP TABLE swap AS SELECT * FROM audit_log WHERE seq IN (10, 30); "
      "UPDATE audit_log SET (at, user_id, role, agency_id, client_ip, action, resource, record_ids, outcome, "
      "prev_hash, hash) = (SELECT at, user_id, role, agency_id, client_ip, action, resource, record_ids, outcome, "
      "prev_hash, hash FROM swap WHERE swap.seq = 40 - audit_log.seq) WHERE seq IN (10, 30)");
  ExpectBrokenAt(Verify(), 10, "reordered");
}

TEST_F(AuditTamperTest, TruncationIsCaughtWithACheckpoint) {
  TakeCheckpoint();
  Tamper("DELETE FROM audit_log WHERE seq > 40");
  // The chain alone cannot tell a cut tail from a shorter log.
  const CliRun plain = Verify();
  EXPECT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_NE(plain.output.find("ok 40 events"), std::string::npos) << plain.output;
  ExpectBrokenAt(VerifyWithCheckpoint(), 41, "truncated");
}

TEST_F(AuditTamperTest, RestoringAnOlderCopyIsCaughtWithACheckpoint) {
  const std::string old_copy = (dir_ / "old.db").string();
  CopyDatabase(db_, old_copy);  // 50 events
  AddEvents(20);
  TakeCheckpoint();  // covers 70
  ASSERT_EQ(VerifyWithCheckpoint().exit_code, 0);

  CopyDatabase(old_copy, db_);  // rolled back to 50
  EXPECT_EQ(Verify().exit_code, 0);
  ExpectBrokenAt(VerifyWithCheckpoint(), 51, "truncated");

  // The server carries on with the old copy and writes past the checkpoint:
  // a sound chain, but not the one that was signed.
  AddEvents(25, "denied");
  const CliRun plain = Verify();
  EXPECT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_NE(plain.output.find("ok 75 events"), std::string::npos) << plain.output;
  ExpectBrokenAt(VerifyWithCheckpoint(), 70, "rolled back or rewritten");
}

TEST_F(AuditTamperTest, RewritingTheChainIsCaughtWithACheckpoint) {
  TakeCheckpoint();
  // Edit event 5 and recompute every hash after it, knowing the formula.
  Tamper("UPDATE audit_log SET outcome = 'denied' WHERE seq = 5");
  {
    auto store = storage::sqlite::OpenSqliteStore({.path = db_});
    ASSERT_TRUE(store.ok());
    auto tx = (*store)->Begin(app::TxMode::kRead);
    ASSERT_TRUE(tx.ok());
    auto rows = (*tx)->ReadAudit(0, 1000);
    ASSERT_TRUE(rows.ok());
    std::string sql;
    std::string prev = (*rows)[3].hash;
    for (std::size_t i = 4; i < rows->size(); ++i) {
      app::AuditRow row = (*rows)[i];
      row.prev_hash = prev;
      row.hash = app::ComputeAuditHash(row);
      prev = row.hash;
      sql += "UPDATE audit_log SET prev_hash = '" + row.prev_hash + "', hash = '" + row.hash +
             "' WHERE seq = " + std::to_string(row.seq) + "; ";
    }
    tx->reset();
    store->reset();
    Tamper(sql);
  }
  EXPECT_EQ(Verify().exit_code, 0) << "a rewritten chain is sound on its own";
  ExpectBrokenAt(VerifyWithCheckpoint(), 50, "rolled back or rewritten");
}

TEST_F(AuditTamperTest, AForgedOrAlteredCheckpointIsRefused) {
  TakeCheckpoint();
  Tamper("DELETE FROM audit_log WHERE seq > 40");
  std::string line;
  std::getline(std::ifstream(checkpoint_), line);

  // Lower the checkpoint's seq and hash to match the cut log: the signature
  // no longer covers it.
  auto store = storage::sqlite::OpenSqliteStore({.path = db_});
  ASSERT_TRUE(store.ok());
  auto tx = (*store)->Begin(app::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  const std::string hash40 = (*(*tx)->ReadAudit(39, 1))[0].hash;
  tx->reset();
  store->reset();
  auto checkpoint = app::ParseCheckpoint(line);
  ASSERT_TRUE(checkpoint.ok());
  checkpoint->seq = 40;
  checkpoint->hash = hash40;
  std::ofstream(checkpoint_, std::ios::trunc) << app::FormatCheckpoint(*checkpoint) << "\n";
  CliRun r = VerifyWithCheckpoint();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("checkpoint rejected"), std::string::npos) << r.output;

  // Signed by another key (the attacker's own).
  key_ = (dir_ / "keys" / "attacker.key").string();
  std::filesystem::remove(checkpoint_);
  TakeCheckpoint();
  key_ = (dir_ / "keys" / "audit-signing.key").string();
  r = VerifyWithCheckpoint();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("checkpoint rejected"), std::string::npos) << r.output;
}

TEST_F(AuditTamperTest, TheSigningKeyFileIsOwnerOnly) {
  TakeCheckpoint();
  EXPECT_EQ(std::filesystem::status(key_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::permissions(key_, std::filesystem::perms::group_read, std::filesystem::perm_options::add);
  const CliRun r = VerifyWithCheckpoint();
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("chmod 600"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ctims
