#pragma once

// Encryption at rest of the protected fields of a record (issue 3 §7).
//
// Every top-level field whose domain::FieldGroup is not kGeneral (identity,
// contact, health, narrative, investigation) is stored sealed: its JSON value
// is serialised and replaced by core::SealField's text, a JSON string
// "enc:v<N>:...". The associated data binds the table, the field and the row,
// so a sealed value moved to another record, another field or another history
// entry does not open. Nested objects and lists are sealed whole (the group of
// a nested field is its top-level field's). General fields stay as they are:
// list filters and column values need them in clear (schema_test checks that
// no protected field is a column or a filter).
//
//   record body      table = spec.table, column = field name,
//                    row = record id
//   history change   table = spec.table, column = "<path>:from" / "<path>:to"
//                    (path as domain::Diff writes it), row = "<id>@<version>"
//                    of the history entry, so a change cannot be moved to
//                    another entry, another path, or swapped from <-> to.
//
// A null `from`/`to` in a history change means "absent" and stays null: the
// change's path already tells that the field was set or cleared.
//
// Thread-safety: immutable after construction; every method is const and may
// be called from any number of threads at once. Holds a reference to the key
// ring, which must outlive it (the ring is itself immutable).
//
// Errors never contain a value, plaintext or sealed, nor key material: they
// name the table and field only.

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string_view>

#include "core/keyring.hpp"
#include "core/status.hpp"
#include "domain/schema.hpp"

namespace ctims::app {

// What the Reseal* methods found, added up over calls.
struct ResealCounts {
  std::int64_t resealed = 0;          // sealed under an older key version: opened and sealed again
  std::int64_t sealed_plaintext = 0;  // stored in clear (written before encryption at rest): sealed
  std::int64_t current = 0;           // already under the current version: left alone
};

class FieldCipher {
 public:
  explicit FieldCipher(const core::KeyRing& ring) : ring_(ring) {}

  const core::KeyRing& ring() const { return ring_; }

  // Seals every protected member of `body` (a record body as stored: a JSON
  // object of the resource's fields) under ring.current_version(), in place.
  // The input is always treated as plaintext, even a string that looks
  // sealed: bodies come from clients, and a client who types "enc:v1:..."
  // must not be able to plant a value that fails to open (or one copied from
  // elsewhere). kInternal when `body` is not an object or sealing fails; on
  // error `body` may be partly sealed and must be discarded.
  core::Status SealBody(const domain::ResourceSpec& spec, std::string_view record_id, nlohmann::json& body) const;

  // The inverse of SealBody, in place. kInternal "unsealed value in sealed
  // field" (naming the field) when a protected member is not a sealed string
  // (fail closed: whoever can write the database file must not be able to
  // slip in a value that is shown as if it had been sealed); kInternal when a
  // value does not open (modified, moved from another row or field, or its key
  // version is not in the ring) or does not hold JSON.
  core::Status OpenBody(const domain::ResourceSpec& spec, std::string_view record_id, nlohmann::json& body) const;

  // Seals `from` and `to` of every change of a protected field in `changes`
  // (domain::Diff's array of {path, from, to}; the path's first segment
  // before '.' is the top-level field) for the history entry of `record_id`
  // at `version`. kInternal when `changes` is not such an array.
  core::Status SealChanges(const domain::ResourceSpec& spec, std::string_view record_id, std::int64_t version,
                           nlohmann::json& changes) const;
  // The inverse of SealChanges; the errors of OpenBody.
  core::Status OpenChanges(const domain::ResourceSpec& spec, std::string_view record_id, std::int64_t version,
                           nlohmann::json& changes) const;

  // ---- key rotation ----
  // Bring every protected value to ring.current_version(): values under an
  // older version are opened and sealed again, values in clear (stored before
  // encryption at rest was switched on) are sealed, values already current
  // are left as they are. Return true when something changed (the caller
  // then writes it back). A value that is sealed but does not open is an
  // error (the errors of OpenBody) and nothing is changed in the caller's
  // copy that matters: the caller must not write it back.
  core::Result<bool> ResealBody(const domain::ResourceSpec& spec, std::string_view record_id, nlohmann::json& body,
                                ResealCounts& counts) const;
  core::Result<bool> ResealChanges(const domain::ResourceSpec& spec, std::string_view record_id, std::int64_t version,
                                   nlohmann::json& changes, ResealCounts& counts) const;

  // Opens one sealed member `field` of the body of record `record_id` (the
  // value as stored, "enc:v<N>:..."): for server-side aggregation that needs
  // one protected value (a birth date for an age band) without opening the
  // whole body. The errors of OpenBody.
  core::Result<nlohmann::json> OpenMember(const domain::ResourceSpec& spec, std::string_view record_id,
                                          std::string_view field, const nlohmann::json& value) const;

  // True when the member `field` of a body of `spec` is stored sealed.
  static bool IsSealedField(const domain::ResourceSpec& spec, std::string_view field);

 private:
  const core::KeyRing& ring_;
};

}  // namespace ctims::app
