#include "app/audit_log.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <utility>

#include "core/crypto.hpp"
#include "core/id.hpp"

namespace ctims::app {
namespace {

using core::Result;
using core::Status;

constexpr std::string_view kHashLabel = "ctims-audit-v1";
constexpr std::string_view kCheckpointPrefix = "ctims-audit-checkpoint 1 ";
// Rows held in memory at once while verifying.
constexpr std::size_t kVerifyPage = 1000;

bool IsCode(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// Record ids (canonical UUIDs) and short codes (agency codes, "seed"): no
// spaces, '@', '+', non-ASCII or other marks of free text, and too short for
// a session or CSRF token (43 characters).
bool IsIdLike(std::string_view s) {
  if (core::IsCanonicalId(s)) return true;
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

bool IsIpLiteral(std::string_view s) {
  if (s.empty() || s.size() > 45) return false;  // INET6_ADDRSTRLEN - 1
  const std::string text(s);
  unsigned char buf[16];
  return ::inet_pton(AF_INET, text.c_str(), buf) == 1 || ::inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool IsHex64(std::string_view s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

void AppendLengthPrefixed(std::string& out, std::string_view part) {
  const auto size = static_cast<std::uint64_t>(part.size());
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((size >> shift) & 0xFF);
  out += part;
}

// Record ids as JSON array text. Safe without a JSON library: ValidateAuditEvent
// admits only characters that need no escaping.
std::string RecordIdsJson(const std::vector<std::string>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    out += ids[i];
    out += '"';
  }
  return out + "]";
}

// What the checkpoint signature covers: its line without " <signature>".
std::string CheckpointSignedText(const AuditCheckpoint& c) {
  return std::string(kCheckpointPrefix) + std::to_string(c.seq) + " " + c.hash + " " + c.at;
}

std::optional<std::int64_t> ParseSeq(std::string_view digits) {
  if (digits.empty() || digits.size() > 18 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

// ---- events and the chain ----------------------------------------------------

Status ValidateAuditEvent(const AuditEvent& e) {
  std::vector<core::FieldError> errors;
  auto check = [&](bool good, const char* path, const char* rule, const char* message) {
    if (!good) errors.push_back({path, rule, message});
  };
  check(IsCode(e.action), "action", "code", "action must be [a-z0-9_-]{1,64}");
  check(IsCode(e.outcome), "outcome", "code", "outcome must be [a-z0-9_-]{1,64}");
  check(e.role.empty() || IsCode(e.role), "role", "code", "role must be empty or [a-z0-9_-]{1,64}");
  check(e.resource.empty() || IsCode(e.resource), "resource", "code", "resource must be empty or [a-z0-9_-]{1,64}");
  check(e.user_id.empty() || IsIdLike(e.user_id), "user_id", "id", "user_id must be empty or an id");
  check(e.agency_id.empty() || IsIdLike(e.agency_id), "agency_id", "id", "agency_id must be empty or an id");
  check(e.client_ip.empty() || IsIpLiteral(e.client_ip), "client_ip", "ip", "client_ip must be an IP address");
  check(e.record_ids.size() <= kMaxAuditRecordIds, "record_ids", "max_items", "too many record ids");
  check(std::all_of(e.record_ids.begin(), e.record_ids.end(), IsIdLike), "record_ids", "id",
        "every record id must be an id");
  if (!errors.empty()) return Status::InvalidArgument("audit event refused", std::move(errors));
  return Status::Ok();
}

std::string ComputeAuditHash(const AuditRow& row) {
  std::string message;
  message.reserve(row.prev_hash.size() + 256 + row.record_ids.size());
  message += row.prev_hash;
  message += kHashLabel;
  const std::string seq = std::to_string(row.seq);
  for (const std::string_view part :
       {std::string_view(seq), std::string_view(row.at), std::string_view(row.user_id), std::string_view(row.role),
        std::string_view(row.agency_id), std::string_view(row.client_ip), std::string_view(row.action),
        std::string_view(row.resource), std::string_view(row.record_ids), std::string_view(row.outcome)}) {
    AppendLengthPrefixed(message, part);
  }
  return core::Sha256Hex(message);
}

// ---- AuditLog ------------------------------------------------------------------

// Events gathered for one leader: the caller that opened the batch. `done`
// and `status` are guarded by the AuditLog's mutex; `done_cv` wakes the
// batch's other callers once it is written, and no one else.
struct AuditLog::Batch {
  std::vector<AuditEvent> events;
  bool done = false;
  Status status;
  std::condition_variable done_cv;
};

AuditLog::AuditLog(Store& store, const core::Clock& clock) : store_(store), clock_(clock) {}

AuditLog::~AuditLog() = default;

AuditRow AuditLog::ChainRow(const AuditEvent& event, ChainHead& head) const {
  AuditRow row;
  row.seq = head.seq + 1;
  row.at = core::FormatTimestamp(clock_.Now());
  row.user_id = event.user_id;
  row.role = event.role;
  row.agency_id = event.agency_id;
  row.client_ip = event.client_ip;
  row.action = event.action;
  row.resource = event.resource;
  row.record_ids = RecordIdsJson(event.record_ids);
  row.outcome = event.outcome;
  row.prev_hash = std::move(head.hash);
  row.hash = ComputeAuditHash(row);
  head.seq = row.seq;
  head.hash = row.hash;
  return row;
}

Status AuditLog::AppendAfter(StoreTransaction& tx, const AuditEvent& event, ChainHead& head) {
  ChainHead next = head;
  const AuditRow row = ChainRow(event, next);
  CTIMS_RETURN_IF_ERROR(tx.AppendAudit(row));
  head = std::move(next);
  return Status::Ok();
}

Result<AuditLog::ChainHead> AuditLog::ReadHead(StoreTransaction& tx) {
  CTIMS_ASSIGN_OR_RETURN(std::optional<AuditRow> last, tx.LastAudit());
  if (!last) return ChainHead{0, std::string(kAuditGenesisHash)};
  return ChainHead{last->seq, std::move(last->hash)};
}

Status AuditLog::Append(StoreTransaction& tx, const AuditEvent& event) {
  CTIMS_RETURN_IF_ERROR(ValidateAuditEvent(event));
  CTIMS_ASSIGN_OR_RETURN(ChainHead head, ReadHead(tx));
  return AppendAfter(tx, event, head);
}

Status AuditLog::WriteBatch(const std::vector<AuditEvent>& events) {
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
  // The head is read once: write transactions are serialised, so no one else
  // appends while this one is open, and the batch chains on in memory. On any
  // error the transaction is dropped (rolled back) and nothing is kept.
  CTIMS_ASSIGN_OR_RETURN(ChainHead head, ReadHead(*tx));
  // All rows in one call: on PostgreSQL one round trip for the batch.
  std::vector<AuditRow> rows;
  rows.reserve(events.size());
  for (const auto& event : events) rows.push_back(ChainRow(event, head));
  CTIMS_RETURN_IF_ERROR(tx->AppendAuditMany(rows));
  return tx->Commit();
}

Status AuditLog::Record(const AuditEvent& event) {
  // Refused before joining a batch, so one bad event cannot fail the others.
  CTIMS_RETURN_IF_ERROR(ValidateAuditEvent(event));
  std::unique_lock lock(mutex_);
  if (open_) {
    // A follower: the batch's opener writes it. Waits on the batch's own
    // condition, so only the end of this batch wakes it.
    const std::shared_ptr<Batch> mine = open_;
    mine->events.push_back(event);
    mine->done_cv.wait(lock, [&] { return mine->done; });
    return mine->status;
  }
  // The opener, and so the batch's leader: waits (alone on leader_free_) for
  // the leader in flight, then takes everything gathered meanwhile.
  // Invariant: at most one batch is open, its opener is the only thread
  // waiting on leader_free_, and a batch leaves open_ only when its opener
  // takes it.
  const std::shared_ptr<Batch> mine = std::make_shared<Batch>();
  mine->events.push_back(event);
  open_ = mine;
  leader_free_.wait(lock, [&] { return !leader_active_; });
  leader_active_ = true;
  open_.reset();
  lock.unlock();
  Status status;
  try {
    status = WriteBatch(mine->events);
  } catch (const std::exception&) {  // e.g. bad_alloc: every waiter must still be woken
    status = Status::Internal("audit batch failed");
  }
  lock.lock();
  mine->status = std::move(status);
  mine->done = true;
  leader_active_ = false;
  Status result = mine->status;
  lock.unlock();
  // Only this batch's callers (all durable now), and the next batch's leader.
  mine->done_cv.notify_all();
  leader_free_.notify_one();
  return result;
}

// ---- checkpoints ---------------------------------------------------------------

std::string FormatCheckpoint(const AuditCheckpoint& c) {
  return CheckpointSignedText(c) + " " + core::Base64Encode(c.signature);
}

Result<AuditCheckpoint> ParseCheckpoint(std::string_view line) {
  const auto bad = [] {
    return Status::InvalidArgument("not an audit checkpoint (\"ctims-audit-checkpoint 1 <seq> <hash> <at> <sig>\")");
  };
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  if (!line.starts_with(kCheckpointPrefix)) return bad();
  line.remove_prefix(kCheckpointPrefix.size());
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t space = line.find(' ');
    parts.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  if (parts.size() != 4) return bad();
  AuditCheckpoint c;
  const std::optional<std::int64_t> seq = ParseSeq(parts[0]);
  if (!seq || !IsHex64(parts[1]) || parts[2].empty() || parts[2].size() > 40) return bad();
  c.seq = *seq;
  c.hash = std::string(parts[1]);
  c.at = std::string(parts[2]);
  Result<std::string> signature = core::Base64Decode(parts[3]);
  if (!signature.ok() || signature->size() != core::kSignatureBytes) return bad();
  c.signature = std::move(*signature);
  return c;
}

Result<AuditCheckpoint> ParseCheckpointFile(std::string_view contents) {
  std::string_view last;
  while (!contents.empty()) {
    const std::size_t eol = contents.find('\n');
    std::string_view line = contents.substr(0, eol);
    contents.remove_prefix(eol == std::string_view::npos ? contents.size() : eol + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (!line.empty() && !line.starts_with('#')) last = line;
  }
  if (last.empty()) return Status::InvalidArgument("the checkpoint file holds no checkpoint line");
  return ParseCheckpoint(last);
}

bool CheckpointSignatureValid(const AuditCheckpoint& checkpoint, std::string_view public_key) {
  return core::VerifySignature(public_key, CheckpointSignedText(checkpoint), checkpoint.signature);
}

Result<AuditCheckpoint> MakeCheckpoint(Store& store, std::string_view secret_key, const core::Clock& clock) {
  CTIMS_ASSIGN_OR_RETURN(auto tx, store.Begin(TxMode::kRead));
  CTIMS_ASSIGN_OR_RETURN(const std::optional<AuditRow> last, tx->LastAudit());
  AuditCheckpoint c;
  c.seq = last ? last->seq : 0;
  c.hash = last ? last->hash : std::string(kAuditGenesisHash);
  c.at = core::FormatTimestamp(clock.Now());
  CTIMS_ASSIGN_OR_RETURN(c.signature, core::Sign(secret_key, CheckpointSignedText(c)));
  return c;
}

// ---- verification --------------------------------------------------------------

Result<AuditVerifyResult> VerifyAudit(Store& store, const std::optional<AuditCheckpoint>& checkpoint,
                                      std::string_view public_key) {
  AuditVerifyResult result;
  const auto broken = [&](std::int64_t seq, std::string reason) {
    result.ok = false;
    result.broken_seq = seq;
    result.reason = std::move(reason);
    return result;
  };
  if (checkpoint && !CheckpointSignatureValid(*checkpoint, public_key)) {
    return broken(0, "the checkpoint's signature does not verify with this public key (forged or altered)");
  }
  if (checkpoint && checkpoint->seq == 0 && checkpoint->hash != kAuditGenesisHash) {
    return broken(0, "the checkpoint of an empty log must carry the genesis hash");
  }

  CTIMS_ASSIGN_OR_RETURN(auto tx, store.Begin(TxMode::kRead));
  std::string expected_prev(kAuditGenesisHash);
  std::int64_t expected_seq = 1;
  while (true) {
    CTIMS_ASSIGN_OR_RETURN(const std::vector<AuditRow> page, tx->ReadAudit(expected_seq - 1, kVerifyPage));
    if (page.empty()) break;
    for (const AuditRow& row : page) {
      // The link to the previous event is checked before the row's own hash:
      // a row moved or renumbered is then reported as out of place rather
      // than as edited.
      if (row.seq != expected_seq) {
        return broken(expected_seq, "missing (the next event is " + std::to_string(row.seq) + "): deleted");
      }
      if (row.prev_hash != expected_prev) {
        return broken(expected_seq, "prev_hash does not match the hash of event " + std::to_string(expected_seq - 1) +
                                        ": an event was deleted, inserted or reordered");
      }
      if (ComputeAuditHash(row) != row.hash) {
        return broken(expected_seq, "hash mismatch: the event was edited");
      }
      if (checkpoint && row.seq == checkpoint->seq && row.hash != checkpoint->hash) {
        return broken(expected_seq, "differs from the signed checkpoint: the log was rolled back or rewritten");
      }
      expected_prev = row.hash;
      ++expected_seq;
      ++result.count;
    }
  }
  if (checkpoint && checkpoint->seq > result.count) {
    return broken(result.count + 1, "the log ends at event " + std::to_string(result.count) +
                                        " but the signed checkpoint covers event " + std::to_string(checkpoint->seq) +
                                        ": truncated or rolled back");
  }
  result.ok = true;
  return result;
}

}  // namespace ctims::app
