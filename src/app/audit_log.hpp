#pragma once

// The tamper-evident audit log (issue 3 §6, security goals G15 and G16).
//
// What an event holds — and what it must never hold. An event says who
// (user id, role code, agency id, client IP), did what (action) to which
// records (resource name and record ids), with what outcome, and when (UTC,
// set here). It must NEVER carry personal data (names, document numbers,
// contacts, narratives, search terms, request bodies or query strings),
// passwords, session tokens, CSRF tokens or TOTP codes; a failed sign-in
// records no attempted username (people type passwords into that field).
// AuditEvent is checked cheaply so that free text cannot slip in: every field
// is a short code, an id or an IP literal, and anything else is refused with
// kInvalidArgument rather than stored:
//   action, outcome            [a-z0-9_-]{1,64}, required
//   role, resource             [a-z0-9_-]{1,64}, or empty
//   user_id, agency_id         an id (canonical UUID) or a short code
//                              [A-Za-z0-9_.-]{1,32} (too short for a session
//                              token), or empty
//   record_ids                 each an id or short code as above; at most
//                              kMaxAuditRecordIds of them
//   client_ip                  an IPv4 or IPv6 literal, or empty (command line)
// Actions in use: read, list, search, create, update, delete, history,
// export, sign_in, sign_out, denied, break_glass, user_change. Outcomes: ok,
// denied, not_found, invalid, error, or a sign-in outcome name.
//
// The chain. Events are numbered seq = 1, 2, 3, ... without gaps, and
//   hash = SHA-256(prev_hash || "ctims-audit-v1" || LP(seq) || LP(at) ||
//                  LP(user_id) || LP(role) || LP(agency_id) || LP(client_ip) ||
//                  LP(action) || LP(resource) || LP(record_ids) || LP(outcome))
// where prev_hash is the previous event's hash as 64 lower-case hex digits
// (64 '0's for event 1), seq is decimal, record_ids is the stored JSON array
// text, and LP(x) is the 8-byte big-endian length of x followed by x, so no
// two different events serialise alike. hash is stored as lower-case hex.
// Editing, deleting, inserting or reordering an event breaks the chain at
// that event. Deleting the newest events, rewriting the whole chain from some
// point on, or restoring an older copy of the database cannot be seen from
// the chain alone: a signed checkpoint kept off the server can (below).
//
// Checkpoints. A checkpoint is the head of the chain (seq and hash) with the
// time it was taken, signed with Ed25519 by a key kept outside the database
// (core/signing_key.hpp). Its text form is one line:
//   ctims-audit-checkpoint 1 <seq> <hash> <at> <signature>
// fields separated by one space: the format version, seq in decimal (0 for an
// empty log, whose hash is 64 '0's), the 64-hex-digit hash of event seq, the
// core::FormatTimestamp time it was taken, and the standard base64 of the
// 64-byte Ed25519 signature of everything before the last space
// ("ctims-audit-checkpoint 1 <seq> <hash> <at>"). Verifying against a
// checkpoint detects truncation (the log ends before its seq) and rollback or
// rewriting (the event at its seq has another hash).

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/record_store.hpp"
#include "core/clock.hpp"
#include "core/status.hpp"

namespace ctims::app {

inline constexpr std::size_t kMaxAuditRecordIds = 10'000;

struct AuditEvent {
  std::string user_id;
  std::string role;
  std::string agency_id;
  std::string client_ip;
  std::string action;
  std::string resource;
  std::vector<std::string> record_ids;
  std::string outcome;
};

// OK when `event` may be stored (the rules at the top of this file); else
// kInvalidArgument with one field error per broken rule. The messages name
// the field and the rule, never the value.
core::Status ValidateAuditEvent(const AuditEvent& event);

// The chain hash of `row` (every field but `hash`, with row.prev_hash), as
// 64 lower-case hex digits. The formula is at the top of this file.
std::string ComputeAuditHash(const AuditRow& row);

// 64 '0's: the prev_hash of event 1.
inline constexpr std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Writes audit events. Thread-safe; lives as long as the Store it was given
// (which must outlive it), and must not be destroyed while a Record() call is
// running.
class AuditLog {
 public:
  AuditLog(Store& store, const core::Clock& clock);
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;
  ~AuditLog();

  // Appends `event` inside `tx`, the caller's write transaction: it commits
  // or rolls back with the change it records. The caller commits. Reads the
  // chain head in `tx` (write transactions are serialised, so the seq taken
  // is free at commit). kInvalidArgument when ValidateAuditEvent refuses the
  // event (nothing written; the caller decides whether the change may go on
  // without its event — it should not); the store's errors otherwise, after
  // which the transaction must be abandoned.
  core::Status Append(StoreTransaction& tx, const AuditEvent& event);

  // Writes `event` in a transaction of its own and returns once it is
  // durable: for events that change nothing else (reads, lists, searches,
  // failed sign-ins, denials). Group commit: while one thread (the leader)
  // writes a batch, the events of other callers gather; when it finishes,
  // the caller that opened the next batch writes all events gathered in it
  // in one transaction, reading the chain head once. Callers wait on a
  // condition variable, never spinning; a batch's end wakes only its own
  // callers and the next batch's leader. Every caller of a batch gets the
  // batch's outcome: OK only when the batch committed. kInvalidArgument (and
  // nothing written, no batch affected) when ValidateAuditEvent refuses the
  // event. Must not be called by a thread that holds a write transaction of
  // the same store (it would wait for itself).
  core::Status Record(const AuditEvent& event);

 private:
  struct Batch;
  // The last event's seq and hash (0 and the genesis hash for an empty log).
  struct ChainHead {
    std::int64_t seq = 0;
    std::string hash;
  };
  static core::Result<ChainHead> ReadHead(StoreTransaction& tx);
  // Appends `event` (already validated) as the successor of `head`, and
  // advances `head` to it.
  core::Status AppendAfter(StoreTransaction& tx, const AuditEvent& event, ChainHead& head);
  // The row that chains `event` after `head`; moves `head` on to it.
  AuditRow ChainRow(const AuditEvent& event, ChainHead& head) const;
  core::Status WriteBatch(const std::vector<AuditEvent>& events);

  Store& store_;
  const core::Clock& clock_;
  std::mutex mutex_;
  std::condition_variable leader_free_;  // the open batch's opener waits here for leader_active_ to clear
  std::shared_ptr<Batch> open_;          // events waiting for the next leader; guarded by mutex_
  bool leader_active_ = false;           // guarded by mutex_
};

// ---- verification and checkpoints --------------------------------------------

struct AuditCheckpoint {
  std::int64_t seq = 0;
  std::string hash;       // 64 lower-case hex digits
  std::string at;         // core::FormatTimestamp
  std::string signature;  // raw 64 bytes (Ed25519)

  bool operator==(const AuditCheckpoint&) const = default;
};

// The one-line text form (without a line end).
std::string FormatCheckpoint(const AuditCheckpoint& checkpoint);

// Parses the text form; surrounding whitespace (a line end) is ignored.
// kInvalidArgument when `line` is not exactly that shape. Does not check the
// signature.
core::Result<AuditCheckpoint> ParseCheckpoint(std::string_view line);

// The checkpoint a file of checkpoint lines stands for: the last line that is
// neither empty nor a '#' comment (an operator may append one line a day to
// one file; the newest covers the most). kInvalidArgument when there is none
// or it does not parse.
core::Result<AuditCheckpoint> ParseCheckpointFile(std::string_view contents);

// True when checkpoint.signature is the Ed25519 signature of its text by
// `public_key` (32 raw bytes).
bool CheckpointSignatureValid(const AuditCheckpoint& checkpoint, std::string_view public_key);

// Signs the current head of the log (read in one read transaction) with
// `secret_key` (64 raw bytes, core::SigningKeyPair::secret_key), at
// clock.Now(). The store's errors; kInternal when the key has the wrong size.
core::Result<AuditCheckpoint> MakeCheckpoint(Store& store, std::string_view secret_key, const core::Clock& clock);

struct AuditVerifyResult {
  bool ok = false;
  std::int64_t count = 0;       // events in the log that were checked and found sound
  std::int64_t broken_seq = 0;  // the first broken event; 0 when ok or when the checkpoint itself is refused
  std::string reason;           // why it failed; names seqs and rules, never values
};

// Walks the whole log in one read transaction (a consistent snapshot), in
// pages, holding one page in memory, and checks: seq runs 1, 2, 3, ...;
// each prev_hash is the previous event's hash; each hash is
// ComputeAuditHash of its row. With a checkpoint, first checks its signature
// by `public_key` (32 raw bytes) — a checkpoint that does not verify fails
// the verification — then that the log reaches checkpoint.seq and that the
// event there has checkpoint.hash. Reports the first problem found:
// - a seq gap: events deleted ("missing");
// - a prev_hash mismatch: an event deleted, inserted or reordered before it;
// - a hash mismatch: the event was edited;
// - the log ending before checkpoint.seq: truncated (broken_seq is the first
//   missing event);
// - another hash at checkpoint.seq: rolled back or rewritten.
// Errors (not a failed verification): the store's, e.g. no audit table.
core::Result<AuditVerifyResult> VerifyAudit(Store& store, const std::optional<AuditCheckpoint>& checkpoint,
                                            std::string_view public_key = {});

}  // namespace ctims::app
