#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.hpp"

namespace ctims::app {

// The storage contract owned by the app layer. Adapters (storage/sqlite,
// later storage/postgres) implement it; app/ and domain/ never change for a
// new backend. The contract suite in tests/storage runs against every one.
//
// Errors are values: no adapter lets an exception cross this interface.

// How one resource is laid out: the table and the fields kept as columns
// (references, unique keys, hot filters). Everything else lives in `body`.
struct TableDef {
  std::string table;                 // trusted: comes from domain specs
  std::vector<std::string> columns;  // trusted: comes from domain specs
  // Personal tables carry an AccessTag per row (domain::ResourceSpec::personal).
  bool personal = false;
  // For personal tables under a case: the column naming the case ("case_id").
  std::string case_column;
};

// Who reaches a personal record (issue 3 §3, §5). Kept in columns of its own
// beside the record so that lists filter by scope in the database, never by
// dropping rows after the fact (which would leak through page sizes).
struct AccessTag {
  std::string owner_user;  // the user who owns it (scope "own")
  std::string agency;      // the owning agency (scope "agency")
  // The owning agency's location path, "/<location id>/<child id>/.../"
  // (scope "jurisdiction": a prefix match on a location subtree).
  std::string path;
  std::string case_id;        // the case whose protection covers it (its own id for a case)
  bool is_protected = false;  // break-the-glass case: only its agency or a grant holder

  bool operator==(const AccessTag&) const = default;
};

struct StoredRecord {
  std::string id;
  std::int64_t version = 0;
  std::string created_at;  // core::FormatTimestamp
  std::string updated_at;
  std::vector<std::optional<std::string>> columns;  // parallel to TableDef::columns
  std::string body;                                 // JSON object text
  AccessTag access;                                 // personal tables only
};

// One equality filter on a list. Column filters compare the column; body
// filters compare a top-level member of the JSON body (kBodyContains: the
// member is an array that contains `value`). kColumnIsNull keeps rows whose
// column is NULL (`value` unused): persons not merged into another (issue 8).
struct Filter {
  enum class Kind { kColumn, kBody, kBodyContains, kColumnIsNull };
  Kind kind = Kind::kColumn;
  std::string field;  // trusted: a field name from the domain spec
  std::string value;  // untrusted: always bound as a parameter
};

// The caller's reach over a personal table, applied by the store in the
// query. kAll reaches every row; kOwner/kAgency compare the tag's owner_user /
// agency with `value`; kPath keeps rows whose path starts with `value`. In
// every kind, a protected row passes only when its agency is
// `viewer_agency`, or `viewer_user` holds a grant on its case that expires
// after `now`. Outside kAll, a row also passes (protected or not) when
// `viewer_agency` holds a CaseShare of its case (or, for a person, of one of
// the person's cases).
struct AccessFilter {
  enum class Kind { kAll, kOwner, kAgency, kPath };
  Kind kind = Kind::kAll;
  std::string value;
  std::string viewer_user;
  std::string viewer_agency;
  std::string now;  // core::FormatTimestamp
  // Protected rows pass too (the app's own bookkeeping and the operator's
  // command-line work; never a user's request).
  bool include_protected = false;
};

// Keyset pagination in id order: records with id > after_id, at most limit.
// `access` is required on personal tables (kInternal without it): a list
// nobody scoped is a bug, not "everything".
struct ListQuery {
  std::vector<Filter> filters;
  std::string after_id;
  std::size_t limit = 50;
  std::optional<AccessFilter> access;
};

// Temporary access to a protected case for a user outside its agency (break
// the glass): why, when, until when.
struct AccessGrant {
  std::string id;
  std::string user_id;
  std::string case_id;
  std::string reason;
  std::string granted_at;
  std::string expires_at;

  bool operator==(const AccessGrant&) const = default;
};

// An agency's access to a case outside its role's scope, given when it
// accepted a referral of the case (issue 4 §3). It reaches the case, its
// person and everything under the case, under its users' own roles.
struct CaseShare {
  std::string id;
  std::string case_id;
  std::string person_id;
  std::string agency_id;
  std::string source;     // "referral"
  std::string source_id;  // the referral's id
  std::string granted_at;

  bool operator==(const CaseShare&) const = default;
};

// Work created by the workflow (issue 4 §7). No personal data: a kind and the
// record it is about. Addressed to an agency (user_id empty) or to a user.
struct WorkTask {
  std::string id;
  std::int64_t version = 1;
  std::string kind;             // code list task_kind
  std::string status = "Open";  // Open | Done | Cancelled
  std::string agency_id;
  std::string user_id;
  std::string case_id;
  std::string resource;  // what it is about: "referrals", "cases", ...
  std::string record_id;
  std::string due_at;  // core::FormatTimestamp
  std::string created_at;
  std::string closed_at;
  std::string closed_by;

  bool operator==(const WorkTask&) const = default;
};

// Open or all tasks of an agency (and/or of a user), earliest due first.
struct TaskQuery {
  std::string agency_id;  // tasks addressed to this agency (any user_id), when set
  std::string user_id;    // tasks addressed to this user, when set
  bool open_only = true;
  std::string due_before;  // only tasks due before this timestamp, when set
  std::size_t limit = 200;
};

// An in-app notification (issue 4 §8), to one user or to the users of an
// agency whose role holds `audience` ("resource:action"; empty: everyone in
// the agency). No personal data: a kind and the record it is about.
struct Notification {
  std::string id;
  std::string kind;  // code list notification_kind
  std::string user_id;
  std::string agency_id;
  std::string audience;
  std::string case_id;
  std::string resource;
  std::string record_id;
  std::string created_at;
  std::string dedupe_key;  // unique: creating the same notification twice is a no-op
  bool read = false;       // for the user who listed it (ListNotifications)

  bool operator==(const Notification&) const = default;
};

struct HistoryEntry {
  std::int64_t seq = 0;  // assigned by the store, increasing
  std::string resource;
  std::string record_id;
  std::int64_t version = 0;
  std::string action;  // "create" | "update" | "delete"
  std::string actor;
  std::string at;
  std::string changes;  // JSON array text (domain::Diff)
  // Personal resources: the record's reach when the entry was written, so
  // that the history of a deleted record keeps its protection.
  AccessTag access;
};

// One row of the tamper-evident audit log (app/audit_log.hpp computes the
// chain and says what may appear here: never personal data). The store keeps
// a row exactly as given; assigning seq and hashing are the caller's job.
struct AuditRow {
  std::int64_t seq = 0;  // 1, 2, 3, ... with no gaps (the caller's rule)
  std::string at;        // core::FormatTimestamp, UTC
  std::string user_id;
  std::string role;
  std::string agency_id;
  std::string client_ip;
  std::string action;
  std::string resource;
  std::string record_ids;  // JSON array text, e.g. ["0190...","0190..."]
  std::string outcome;
  std::string prev_hash;  // 64 hex digits: the previous row's hash (64 zeros for seq 1)
  std::string hash;       // 64 hex digits

  bool operator==(const AuditRow&) const = default;
};

// ==== person search and duplicate review (issue 8) ==========================
// A person reached through the name index (FindPersonsByNameTokens): the
// record and how many of the query's tokens it carries.
struct PersonTokenHit {
  StoredRecord record;
  int shared = 0;
};

// One pair of the duplicate review queue (person_a < person_b, one row per
// pair). `explanation` is a JSON object text of per-field agreement levels
// and weights: codes and numbers only, never a name (it is stored in clear).
struct DuplicatePair {
  std::string id;
  std::int64_t version = 1;
  std::string person_a;
  std::string person_b;
  double score = 0;
  std::string explanation = "{}";
  std::string source;           // "registration" | "referral" | "batch"
  std::string status = "open";  // open | merged | not_same
  std::string created_at;
  std::string reviewed_by;
  std::string reviewed_at;

  bool operator==(const DuplicatePair&) const = default;
};

// A merge of person `merged_id` into person `kept_id` (issue 8 §4). `moved`
// is a JSON array text of exactly the references the merge re-pointed,
// [{"table": "cases", "id": "...", "field": "person_id", "from": "<merged
// id>"}]: undo puts back those and no others. Ids only, never a name. Undone
// when undone_at is set; at most one live (not undone) merge per merged_id.
struct PersonMerge {
  std::string id;
  std::int64_t version = 1;
  std::string kept_id;
  std::string merged_id;
  std::string duplicate_id;  // the review queue pair, "" when none
  std::string moved = "[]";
  std::string merged_by;
  std::string merged_at;
  std::string undone_by;
  std::string undone_at;

  bool operator==(const PersonMerge&) const = default;
};
// ==== end of person search and duplicate review (issue 8) ===================

// A unit of work. Everything done through one transaction becomes visible
// atomically at Commit(); destroying it without a successful Commit() rolls
// back. Not thread-safe: one thread uses a transaction at a time.
class StoreTransaction {
 public:
  virtual ~StoreTransaction() = default;

  // nullopt when no record has that id.
  virtual core::Result<std::optional<StoredRecord>> Get(const TableDef& table, std::string_view id) = 0;
  virtual core::Result<bool> Exists(const TableDef& table, std::string_view id) = 0;
  virtual core::Result<std::vector<StoredRecord>> List(const TableDef& table, const ListQuery& query) = 0;

  // kAlreadyExists (field error on the column) when a unique column clashes;
  // kInvalidArgument when a reference column names no record.
  virtual core::Status Insert(const TableDef& table, const StoredRecord& record) = 0;
  // Bulk load (demo generation, imports): inserts every record of
  // `records`, in order, with the checks of Insert. On error the transaction
  // may hold some of them and must be rolled back (destroyed without Commit).
  // The default inserts one by one; a backend with a faster path (COPY on
  // PostgreSQL) overrides it.
  virtual core::Status InsertMany(const TableDef& table, const std::vector<StoredRecord>& records) {
    for (const auto& r : records) {
      if (auto s = Insert(table, r); !s.ok()) return s;
    }
    return core::Status::Ok();
  }
  // Replaces the record whose version is `expected_version`. kNotFound when
  // absent, kConflict when the stored version differs (nothing changes).
  virtual core::Status Update(const TableDef& table, const StoredRecord& record, std::int64_t expected_version) = 0;
  // kNotFound, kConflict (stale version, or other records still refer to it).
  virtual core::Status Delete(const TableDef& table, std::string_view id, std::int64_t expected_version) = 0;

  // ---- access (personal tables) ----
  // Sets the tag of the record `id`. kNotFound when absent.
  virtual core::Status SetAccess(const TableDef& table, std::string_view id, const AccessTag& tag) = 0;
  // Sets the tag of every record of `table` whose case column is `case_id`
  // (the case's children follow its owner, agency and protection).
  virtual core::Status SetAccessByCase(const TableDef& table, std::string_view case_id, const AccessTag& tag) = 0;
  virtual core::Status InsertGrant(const AccessGrant& grant) = 0;
  // True when `user_id` holds a grant on `case_id` expiring after `now`.
  virtual core::Result<bool> HasGrant(std::string_view user_id, std::string_view case_id, std::string_view now) = 0;
  // Every grant on the case, newest first.
  virtual core::Result<std::vector<AccessGrant>> ListGrants(std::string_view case_id) = 0;

  // Idempotent: a share with the same (agency, case, source_id) is kept.
  virtual core::Status InsertShare(const CaseShare& share) = 0;
  // True when `agency_id` holds a share of `case_id`, or of a case whose
  // person is `person_id` (either may be empty).
  virtual core::Result<bool> HasShare(std::string_view agency_id, std::string_view case_id,
                                      std::string_view person_id) = 0;
  // The agencies sharing a case, oldest first.
  virtual core::Result<std::vector<CaseShare>> ListShares(std::string_view case_id) = 0;

  // ---- workflow tasks and notifications (issue 4 §7, §8) ----
  virtual core::Status InsertTask(const WorkTask& task) = 0;
  virtual core::Result<std::optional<WorkTask>> GetTask(std::string_view id) = 0;
  // Replaces the task whose version is `expected_version` (kConflict when it
  // differs, kNotFound when absent); the stored version becomes task.version.
  virtual core::Status UpdateTask(const WorkTask& task, std::int64_t expected_version) = 0;
  // Tasks matching `query`: addressed to query.agency_id OR query.user_id.
  virtual core::Result<std::vector<WorkTask>> ListTasks(const TaskQuery& query) = 0;
  // Closes every open task of `kind` about (resource, record_id) with
  // `status` (Done or Cancelled); empty kind closes every kind. Returns how
  // many were closed.
  virtual core::Result<int> CloseTasks(std::string_view resource, std::string_view record_id, std::string_view kind,
                                       std::string_view status, std::string_view at, std::string_view by) = 0;
  // Returns false (and changes nothing) when a notification with the same
  // dedupe_key exists: two servers creating it race to one row.
  virtual core::Result<bool> InsertNotification(const Notification& notification) = 0;
  // Newest first: those to `user_id`, and those to `agency_id` (the caller
  // filters by audience), with `read` set for `user_id`.
  virtual core::Result<std::vector<Notification>> ListNotifications(std::string_view user_id,
                                                                    std::string_view agency_id, std::size_t limit) = 0;
  // kNotFound when no such notification. Marking twice is fine.
  virtual core::Status MarkNotificationRead(std::string_view notification_id, std::string_view user_id,
                                            std::string_view at) = 0;

  virtual core::Status AppendHistory(const HistoryEntry& entry) = 0;
  // AppendHistory for many entries, in order (bulk loads; see InsertMany).
  virtual core::Status AppendHistoryMany(const std::vector<HistoryEntry>& entries) {
    for (const auto& e : entries) {
      if (auto s = AppendHistory(e); !s.ok()) return s;
    }
    return core::Status::Ok();
  }
  // Oldest first. Empty when the record never existed.
  virtual core::Result<std::vector<HistoryEntry>> History(std::string_view resource, std::string_view record_id) = 0;

  // ---- audit log ----
  // Append-only: the contract has no update or delete. Rows become visible
  // and durable with the rest of the transaction at Commit().
  // Appends `row`. kConflict when a row with row.seq exists (nothing changes);
  // kInternal in a read transaction, or when the row breaks the backend's
  // checks (record_ids not a JSON array, hashes not 64 characters: a bug).
  virtual core::Status AppendAudit(const AuditRow& row) = 0;
  // AppendAudit for each of `rows`, in order; stops at the first error
  // (the audit log's group commit then drops the transaction).
  virtual core::Status AppendAuditMany(const std::vector<AuditRow>& rows) {
    for (const auto& row : rows) {
      if (auto s = AppendAudit(row); !s.ok()) return s;
    }
    return core::Status::Ok();
  }
  // The row with the highest seq; nullopt when the log is empty.
  virtual core::Result<std::optional<AuditRow>> LastAudit() = 0;
  // At most `limit` rows with seq > after_seq, in increasing seq order (empty
  // at the end). Keyset pages: pass the last seq read as the next after_seq.
  virtual core::Result<std::vector<AuditRow>> ReadAudit(std::int64_t after_seq, std::size_t limit) = 0;
  // ---- maintenance (key rotation) ----
  // Re-sealing rewrites stored text without changing what it means, so these
  // bypass the rules of ordinary writes: no version bump, no updated_at, no
  // history entry, and history (otherwise append-only) may have its `changes`
  // rewritten. Only app/key_rotation uses them. Writes need a kWrite
  // transaction (kInternal otherwise).
  //
  // Replaces the body of record `id` when its version is still `version`;
  // nothing else of the record changes. kNotFound when absent, kConflict when
  // the version differs (the record was written since it was read).
  virtual core::Status RewriteBody(const TableDef& table, std::string_view id, std::int64_t version,
                                   std::string_view body) = 0;
  // History entries of every resource with seq > after_seq, in seq order, at
  // most `limit` (keyset pagination over the whole history).
  virtual core::Result<std::vector<HistoryEntry>> ListHistory(std::int64_t after_seq, std::size_t limit) = 0;
  // Replaces the `changes` of history entry `seq` (a JSON array text).
  // kNotFound when no entry has that seq.
  virtual core::Status RewriteHistoryChanges(std::int64_t seq, std::string_view changes) = 0;

  // ==== person search and duplicate review (issue 8) ========================
  // The blind-index tokens of persons' name keys (app/person_search.hpp makes
  // them). Writes need a kWrite transaction (kInternal otherwise).
  //
  // Adds (person id, token) rows; a row already present is kept. kInvalidArgument
  // when a person id names no person.
  virtual core::Status AddPersonNameTokens(const std::vector<std::pair<std::string, std::int64_t>>& rows) = 0;
  // Removes the tokens of `person_id`; an empty id removes every token (reindex).
  virtual core::Status DeletePersonNameTokens(std::string_view person_id) = 0;
  // For each of `tokens`, how many persons carry it, counting at most
  // `cap` + 1 (so an over-frequent token costs no more than that).
  virtual core::Result<std::vector<std::int64_t>> CountPersonNameTokens(const std::vector<std::int64_t>& tokens,
                                                                        std::size_t cap) = 0;
  // Persons (of table `persons`, the persons' TableDef) carrying at least one
  // of `tokens` and passing `access` (the rules of ListQuery::access, applied
  // in the query), most shared tokens first, then by id; at most `limit`.
  virtual core::Result<std::vector<PersonTokenHit>> FindPersonsByNameTokens(const TableDef& persons,
                                                                            const std::vector<std::int64_t>& tokens,
                                                                            const AccessFilter& access,
                                                                            std::size_t limit) = 0;
  // Inserts `pair` unless a row for (person_a, person_b) exists; returns
  // whether it inserted (a pair already reviewed stays as reviewed).
  // kInternal unless person_a < person_b.
  virtual core::Result<bool> InsertDuplicatePair(const DuplicatePair& pair) = 0;
  virtual core::Result<std::optional<DuplicatePair>> GetDuplicatePair(std::string_view id) = 0;
  // The pair stored on persons `person_a` and `person_b` (any status), by the
  // UNIQUE (person_a, person_b) index; nullopt when none. The order of the
  // arguments does not matter (pairs are stored with person_a < person_b).
  virtual core::Result<std::optional<DuplicatePair>> FindDuplicatePair(std::string_view person_a,
                                                                       std::string_view person_b) = 0;
  // Replaces the pair whose version is `expected_version` (kConflict when it
  // differs, kNotFound when absent); the stored version becomes pair.version.
  virtual core::Status UpdateDuplicatePair(const DuplicatePair& pair, std::int64_t expected_version) = 0;
  // Pairs with `status` (empty: any), id > after_id, in id order, at most limit.
  virtual core::Result<std::vector<DuplicatePair>> ListDuplicatePairs(std::string_view status,
                                                                      std::string_view after_id, std::size_t limit) = 0;
  // -- merges (issue 8 §4) --
  // kAlreadyExists when merge.merged_id already has a live merge (rule
  // "merged"); kInvalidArgument when a person id names no person.
  virtual core::Status InsertPersonMerge(const PersonMerge& merge) = 0;
  virtual core::Result<std::optional<PersonMerge>> GetPersonMerge(std::string_view id) = 0;
  // Replaces the merge whose version is `expected_version` (kConflict when it
  // differs, kNotFound when absent); the stored version becomes merge.version.
  virtual core::Status UpdatePersonMerge(const PersonMerge& merge, std::int64_t expected_version) = 0;
  // Merges whose kept or merged person is `person_id` (empty: every merge),
  // id > after_id, in id order, at most limit.
  virtual core::Result<std::vector<PersonMerge>> ListPersonMerges(std::string_view person_id, std::string_view after_id,
                                                                  std::size_t limit) = 0;
  // The case shares whose person is `person_id`, in id order.
  virtual core::Result<std::vector<CaseShare>> ListSharesOfPerson(std::string_view person_id) = 0;
  // Sets the person of share `share_id` from `from_person` to `to_person`.
  // kNotFound when no share has that id, kConflict when its person is not
  // `from_person` (nothing changes).
  virtual core::Status RepointShare(std::string_view share_id, std::string_view from_person,
                                    std::string_view to_person) = 0;
  // ==== end of person search and duplicate review (issue 8) =================

  // Makes the work durable (acknowledged writes survive a crash).
  virtual core::Status Commit() = 0;
};

// kRead: a consistent snapshot across every statement of the transaction.
// kReadOne: for work of a single statement; each statement sees the latest
// committed data and no transaction is held open (cheapest). kWrite: one
// writer at a time.
enum class TxMode { kRead, kReadOne, kWrite };

// A database. Thread-safe: any number of threads may Begin() transactions;
// write transactions are serialised, so a thread that holds a write
// transaction must finish it before it begins another (or it waits forever).
class Store {
 public:
  virtual ~Store() = default;

  virtual core::Result<std::unique_ptr<StoreTransaction>> Begin(TxMode mode) = 0;

  // Applies every migration not yet applied, each in its own transaction.
  // Returns the schema version reached.
  virtual core::Result<int> Migrate() = 0;
  // The highest applied migration (0 for an empty database).
  virtual core::Result<int> SchemaVersion() = 0;
  // The number of the newest migration this build knows.
  virtual int LatestSchemaVersion() const = 0;
  // Runs the backend's own consistency check; OK when the database is sound.
  virtual core::Status CheckIntegrity() = 0;
  // Short backend name for /health and logs: "sqlite", "postgresql".
  virtual std::string BackendName() const = 0;
};

}  // namespace ctims::app
