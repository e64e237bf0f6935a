#include "app/key_rotation.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <string_view>

#include "app/identity_store.hpp"
#include "app/record_service.hpp"
#include "domain/schema.hpp"

namespace ctims::app {
namespace {

using core::Result;
using core::Status;
using nlohmann::json;

constexpr std::size_t kMaxNamedUnreadable = 100;
constexpr std::size_t kCountBatch = 500;
// As AuthService seals them (auth_service.cpp).
constexpr std::string_view kUsersTable = "users";
constexpr std::string_view kSecretColumn = "totp_secret";
constexpr std::string_view kPendingColumn = "totp_pending_secret";

TableDef TableOf(const domain::ResourceSpec& spec) {
  return TableFor(spec);
}

void AddCounts(ResealCounts& to, const ResealCounts& from) {
  to.resealed += from.resealed;
  to.sealed_plaintext += from.sealed_plaintext;
  to.current += from.current;
}

void NoteUnreadable(RotationReport& report, std::string where) {
  ++report.unreadable;
  if (report.unreadable_rows.size() < kMaxNamedUnreadable) report.unreadable_rows.push_back(std::move(where));
}

// A rewrite that lost a race with an ordinary write is not an error: that
// write sealed its values itself, and a re-run picks up anything left.
Status IgnoreLostRace(Status s) {
  if (s.code() == core::StatusCode::kConflict || s.code() == core::StatusCode::kNotFound) return Status::Ok();
  return s;
}

Status ResealRecords(Store& store, const FieldCipher& cipher, const RotationOptions& options, RotationReport& report) {
  for (const auto& spec : domain::Resources()) {
    if (!spec.HasSealedFields()) continue;
    const TableDef table = TableOf(spec);
    ListQuery query;
    query.limit = options.batch_size;
    query.access = AccessFilter{};  // every row: the operator's command re-seals the whole database
    while (true) {
      CTIMS_ASSIGN_OR_RETURN(auto tx, store.Begin(TxMode::kWrite));
      CTIMS_ASSIGN_OR_RETURN(const auto rows, tx->List(table, query));
      std::int64_t rewritten = 0;
      for (const auto& row : rows) {
        json body = json::parse(row.body, nullptr, /*allow_exceptions=*/false);
        ResealCounts counts;
        auto changed = body.is_discarded() ? Result<bool>(Status::Internal("not JSON"))
                                           : cipher.ResealBody(spec, row.id, body, counts);
        if (!changed.ok()) {
          NoteUnreadable(report, spec.table + "/" + row.id);
          continue;
        }
        AddCounts(report.records, counts);
        if (!*changed) continue;
        CTIMS_RETURN_IF_ERROR(IgnoreLostRace(tx->RewriteBody(table, row.id, row.version, body.dump())));
        ++rewritten;
      }
      // A batch with nothing to rewrite just ends (rolled back): a re-run
      // over a rotated database writes nothing.
      if (rewritten > 0) CTIMS_RETURN_IF_ERROR(tx->Commit());
      report.rows_rewritten += rewritten;
      if (rows.size() < options.batch_size) break;
      query.after_id = rows.back().id;
    }
  }
  return Status::Ok();
}

Status ResealHistory(Store& store, const FieldCipher& cipher, const RotationOptions& options, RotationReport& report) {
  std::int64_t after = 0;
  while (true) {
    CTIMS_ASSIGN_OR_RETURN(auto tx, store.Begin(TxMode::kWrite));
    CTIMS_ASSIGN_OR_RETURN(const auto entries, tx->ListHistory(after, options.batch_size));
    std::int64_t rewritten = 0;
    for (const auto& entry : entries) {
      const domain::ResourceSpec* spec = domain::FindResource(entry.resource);
      if (spec == nullptr || !spec->HasSealedFields()) continue;
      json changes = json::parse(entry.changes, nullptr, /*allow_exceptions=*/false);
      ResealCounts counts;
      auto changed = changes.is_discarded()
                         ? Result<bool>(Status::Internal("not JSON"))
                         : cipher.ResealChanges(*spec, entry.record_id, entry.version, changes, counts);
      if (!changed.ok()) {
        NoteUnreadable(report, "record_history/" + std::to_string(entry.seq));
        continue;
      }
      AddCounts(report.history, counts);
      if (!*changed) continue;
      CTIMS_RETURN_IF_ERROR(IgnoreLostRace(tx->RewriteHistoryChanges(entry.seq, changes.dump())));
      ++rewritten;
    }
    if (rewritten > 0) CTIMS_RETURN_IF_ERROR(tx->Commit());
    report.rows_rewritten += rewritten;
    if (entries.size() < options.batch_size) break;
    after = entries.back().seq;
  }
  return Status::Ok();
}

// Re-seals one TOTP secret in place. Returns true when it changed.
Result<bool> ResealSecret(const core::KeyRing& ring, std::string_view column, std::string_view user_id,
                          std::optional<std::string>& secret, RotationReport& report) {
  if (!secret) return false;
  if (!core::IsSealed(*secret)) {
    ++report.plain_secrets;
    return false;
  }
  if (core::SealedVersion(*secret) == ring.current_version()) {
    ++report.secrets.current;
    return false;
  }
  auto opened = core::OpenField(ring, kUsersTable, column, user_id, *secret);
  if (!opened.ok()) return Status::Internal("TOTP secret cannot be opened");
  CTIMS_ASSIGN_OR_RETURN(std::string sealed, core::SealField(ring, kUsersTable, column, user_id, *opened));
  secret = std::move(sealed);
  ++report.secrets.resealed;
  return true;
}

Status ResealSecrets(IdentityStore& identity, const core::KeyRing& ring, const RotationOptions& options,
                     RotationReport& report) {
  std::vector<std::string> ids;
  {
    CTIMS_ASSIGN_OR_RETURN(auto tx, identity.BeginIdentity(TxMode::kRead));
    CTIMS_ASSIGN_OR_RETURN(const auto users, tx->ListUsers());
    for (const auto& u : users) ids.push_back(u.id);
  }
  for (std::size_t start = 0; start < ids.size(); start += options.batch_size) {
    CTIMS_ASSIGN_OR_RETURN(auto tx, identity.BeginIdentity(TxMode::kWrite));
    const std::size_t end = std::min(ids.size(), start + options.batch_size);
    std::int64_t rewritten = 0;
    for (std::size_t i = start; i < end; ++i) {
      CTIMS_ASSIGN_OR_RETURN(auto user, tx->GetUser(ids[i]));
      if (!user) continue;  // deleted since the list was read
      auto secret = ResealSecret(ring, kSecretColumn, user->id, user->totp_secret_sealed, report);
      auto pending = ResealSecret(ring, kPendingColumn, user->id, user->totp_pending_sealed, report);
      if (!secret.ok() || !pending.ok()) {
        NoteUnreadable(report, std::string(kUsersTable) + "/" + user->id);
        continue;
      }
      if (!*secret && !*pending) continue;
      // Same version, same updated_at: re-sealing changes no fact about the
      // account, and must not make a concurrent edit fail as stale.
      CTIMS_RETURN_IF_ERROR(IgnoreLostRace(tx->UpdateUser(*user, user->version)));
      ++rewritten;
    }
    if (rewritten > 0) CTIMS_RETURN_IF_ERROR(tx->Commit());
    report.rows_rewritten += rewritten;
  }
  return Status::Ok();
}

void CountValue(const json& value, std::map<int, std::int64_t>& counts) {
  if (value.is_string() && core::IsSealed(value.get_ref<const std::string&>())) {
    ++counts[core::SealedVersion(value.get_ref<const std::string&>())];
  } else {
    ++counts[0];
  }
}

}  // namespace

Result<RotationReport> ResealAll(Store& store, const core::KeyRing& ring, const RotationOptions& options) {
  if (options.batch_size == 0) return Status::InvalidArgument("batch_size must be positive");
  const FieldCipher cipher(ring);
  RotationReport report;
  report.key_version = ring.current_version();
  CTIMS_RETURN_IF_ERROR(ResealRecords(store, cipher, options, report));
  CTIMS_RETURN_IF_ERROR(ResealHistory(store, cipher, options, report));
  if (IdentityStore* identity = AsIdentityStore(store); identity != nullptr) {
    CTIMS_RETURN_IF_ERROR(ResealSecrets(*identity, ring, options, report));
  }
  return report;
}

Result<std::map<int, std::int64_t>> CountSealedByVersion(Store& store) {
  std::map<int, std::int64_t> counts;
  for (const auto& spec : domain::Resources()) {
    if (!spec.HasSealedFields()) continue;
    const TableDef table = TableOf(spec);
    ListQuery query;
    query.limit = kCountBatch;
    query.access = AccessFilter{};  // every row
    while (true) {
      CTIMS_ASSIGN_OR_RETURN(auto tx, store.Begin(TxMode::kRead));
      CTIMS_ASSIGN_OR_RETURN(const auto rows, tx->List(table, query));
      for (const auto& row : rows) {
        const json body = json::parse(row.body, nullptr, /*allow_exceptions=*/false);
        if (!body.is_object()) return Status::Internal("stored body of " + spec.table + "/" + row.id + " is not JSON");
        for (const auto& [key, value] : body.items()) {
          if (FieldCipher::IsSealedField(spec, key)) CountValue(value, counts);
        }
      }
      if (rows.size() < kCountBatch) break;
      query.after_id = rows.back().id;
    }
  }
  std::int64_t after = 0;
  while (true) {
    CTIMS_ASSIGN_OR_RETURN(auto tx, store.Begin(TxMode::kRead));
    CTIMS_ASSIGN_OR_RETURN(const auto entries, tx->ListHistory(after, kCountBatch));
    for (const auto& entry : entries) {
      const domain::ResourceSpec* spec = domain::FindResource(entry.resource);
      if (spec == nullptr || !spec->HasSealedFields()) continue;
      const json changes = json::parse(entry.changes, nullptr, /*allow_exceptions=*/false);
      if (!changes.is_array()) {
        return Status::Internal("history entry " + std::to_string(entry.seq) + " is not a JSON array");
      }
      for (const auto& change : changes) {
        const auto path = change.is_object() ? change.find("path") : change.end();
        if (!change.is_object() || path == change.end() || !path->is_string()) continue;
        const std::string& p = path->get_ref<const std::string&>();
        if (!FieldCipher::IsSealedField(*spec, std::string_view(p).substr(0, p.find('.')))) continue;
        for (const char* side : {"from", "to"}) {
          auto it = change.find(side);
          if (it != change.end() && !it->is_null()) CountValue(*it, counts);
        }
      }
    }
    if (entries.size() < kCountBatch) break;
    after = entries.back().seq;
  }
  if (IdentityStore* identity = AsIdentityStore(store); identity != nullptr) {
    CTIMS_ASSIGN_OR_RETURN(auto tx, identity->BeginIdentity(TxMode::kRead));
    CTIMS_ASSIGN_OR_RETURN(const auto users, tx->ListUsers());
    for (const auto& u : users) {
      for (const auto* secret : {&u.totp_secret_sealed, &u.totp_pending_sealed}) {
        if (*secret) ++counts[core::IsSealed(**secret) ? core::SealedVersion(**secret) : 0];
      }
    }
  }
  return counts;
}

Result<RotationReport> RotateKeys(Store& store, const std::string& key_file, bool add_version,
                                  const RotationOptions& options) {
  // Loaded first so that a wrong path or mode fails before the file changes.
  CTIMS_RETURN_IF_ERROR(core::LoadKeyFile(key_file).status());
  if (add_version) CTIMS_RETURN_IF_ERROR(core::AddKeyVersion(key_file));
  CTIMS_ASSIGN_OR_RETURN(const core::KeyRing ring, core::LoadKeyFile(key_file));
  return ResealAll(store, ring, options);
}

Status RetireKeyVersion(Store& store, const std::string& key_file, int version) {
  if (version <= 0) return Status::InvalidArgument("a key version is a positive integer");
  CTIMS_ASSIGN_OR_RETURN(const auto counts, CountSealedByVersion(store));
  if (auto it = counts.find(version); it != counts.end() && it->second > 0) {
    return Status::Conflict(std::to_string(it->second) + " values are still sealed with key version " +
                            std::to_string(version) + "; run `ctims keys rotate` first");
  }
  return core::RemoveKeyVersion(key_file, version);
}

}  // namespace ctims::app
