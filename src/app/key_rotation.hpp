#pragma once

// Key rotation (issue 3 §7): bring every sealed value in a database to the
// current key version, and count values per version so that an operator can
// see that an old version is no longer used before removing it from the key
// file. The procedure (docs/security.md, "Keys"): core::AddKeyVersion, then
// ResealAll, then CountSealedByVersion shows nothing under the old version,
// then core::RemoveKeyVersion.
//
// What is sealed: the protected fields of every record body and of every
// record-history change (FieldCipher), and each user's TOTP secrets
// (UserRecord::totp_secret_sealed / totp_pending_sealed, sealed by
// AuthService with table "users", columns "totp_secret" /
// "totp_pending_secret", row the user id) when the store is also an
// IdentityStore.
//
// Thread-safety: free functions without state; safe to call concurrently
// with the server (each batch is one short write transaction, so a writer of
// the server waits for at most one batch). A server running with an older key
// file cannot open values sealed under a version it lacks: restart it with
// the new key file (docs/security.md).

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "app/field_cipher.hpp"
#include "app/record_store.hpp"
#include "core/keyring.hpp"
#include "core/status.hpp"

namespace ctims::app {

struct RotationOptions {
  // Rows read and rewritten per write transaction: a large database never
  // holds the write lock for long, and a crash loses at most one batch of
  // work (never a value: each row is rewritten whole, in a transaction).
  std::size_t batch_size = 200;
};

struct RotationReport {
  int key_version = 0;   // the version every value was brought to
  ResealCounts records;  // protected fields of record bodies
  ResealCounts history;  // from/to of protected fields in record-history changes
  // TOTP secrets; sealed_plaintext is always 0: a "plain:" secret (stored
  // without a key ring) is left alone and counted in plain_secrets, because
  // sealing whatever a database holds would let whoever can write the file
  // plant a known second factor that AuthService would then trust.
  ResealCounts secrets;
  std::int64_t plain_secrets = 0;
  std::int64_t rows_rewritten = 0;  // record bodies, history entries and users written back
  // Values that are sealed but do not open (modified, moved, or under a
  // version missing from the ring). Their rows are left untouched; the rest
  // of the database is still re-sealed. `unreadable_rows` names the first 100
  // as "<table>/<id>" or "record_history/<seq>" (ids only, no data).
  std::int64_t unreadable = 0;
  std::vector<std::string> unreadable_rows;
};

// Re-seals, under ring.current_version(), every sealed value older than it,
// and seals values of protected fields found in clear (records and history
// written before encryption at rest). Batches of options.batch_size rows,
// each one write transaction. Idempotent and restartable: values already
// under the current version are not touched, and a crash between batches
// leaves every value readable with the same ring (old versions stay in it
// until removed). OK even when some values are unreadable (see the report);
// errors: the store's (kUnavailable when busy, kInternal), kInvalidArgument
// when batch_size is 0.
core::Result<RotationReport> ResealAll(Store& store, const core::KeyRing& ring, const RotationOptions& options = {});

// How many stored values use each key version: protected fields of record
// bodies, from/to of history changes of protected fields, TOTP secrets. Key 0
// counts values of protected fields stored in clear and "plain:" TOTP
// secrets. Versions with no value are absent. Reads in batches of 500 rows,
// one read transaction each. Needs no key. The store's errors; kInternal for
// a stored body or history entry that is not JSON.
core::Result<std::map<int, std::int64_t>> CountSealedByVersion(Store& store);

// The operator's rotation (`ctims keys rotate`): core::AddKeyVersion on the
// key file at `key_file` (unless `add_version` is false: to finish a rotation
// that was interrupted, without adding yet another version), loads it and
// runs ResealAll with the new current version. The errors of the key-file
// functions and of ResealAll. Not to be run twice at once on one key file.
core::Result<RotationReport> RotateKeys(Store& store, const std::string& key_file, bool add_version,
                                        const RotationOptions& options = {});

// The operator's retirement (`ctims keys retire`): core::RemoveKeyVersion,
// refused with kConflict ("<n> values are still sealed with key version <v>")
// while CountSealedByVersion(store) counts any value under `version`. Only
// `store` is checked: a backup of the database taken before the rotation
// still needs the old version (docs/security.md says to keep the old key
// file with such backups). The errors of CountSealedByVersion and
// core::RemoveKeyVersion (kNotFound, kConflict for the current version).
core::Status RetireKeyVersion(Store& store, const std::string& key_file, int version);

}  // namespace ctims::app
