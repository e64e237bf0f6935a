#pragma once

// Field encryption keys, kept outside the database in a key file, and the
// field encryption and blind index built on them (ASVS 4.0.3 6.1.1, 6.4.1,
// 6.4.2, 8.3.7).
//
// Key file format (text, UTF-8, '\n' line ends):
//   ctims-keyring 1
//   v1 <base64 32-byte data key> <base64 32-byte blind-index key>
//   v2 <base64 32-byte data key> <base64 32-byte blind-index key>
// One line per key version, versions are positive integers, unique. The
// highest version is the current one: new values are sealed with it. The file
// must be readable and writable by its owner only (mode 0600 or stricter).
//
// Blind-index key: every line carries the same one, and LoadKeyFile refuses a
// file whose lines differ. A blind index (an HMAC of a normalised value, kept
// in a plain column so an encrypted field can still be searched for equality)
// must give the same value for the same input forever; rotating its key would
// mean recomputing every index of every row in one go, and an index computed
// under an old key would silently stop matching. So the index key is created
// once with version 1 and copied to each new version; data keys rotate, the
// index key does not. Its line is kept in every version so that removing v1
// after a rotation does not lose it.
//
// Rotation: AddKeyVersion (new current data key), re-seal every value under
// it (OpenField, SealField), then RemoveKeyVersion of the old one. Values
// sealed with a version stay readable until that version is removed.
//
// Key-file functions are meant for operator commands (ctims keys ...) and
// start-up; they take no lock, so two of them must not run on the same file at
// once. Error messages name the path and the line, never key material.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace ctims::core {

// The keys of one key file. Immutable after construction, so safe to share
// between threads. Copies are independent; each wipes its keys from memory
// when destroyed (best effort, like every wipe in this file: the C++ library
// may have left copies in memory it freed earlier).
class KeyRing {
 public:
  KeyRing(const KeyRing&) = default;
  KeyRing(KeyRing&&) = default;
  KeyRing& operator=(const KeyRing&) = default;
  KeyRing& operator=(KeyRing&&) = default;
  ~KeyRing();

  // The highest version: the one SealField uses.
  int current_version() const { return keys_.rbegin()->first; }

  // The 32-byte data key of `version`, or nullptr when the ring lacks it.
  // The pointer lives as long as this KeyRing.
  const std::string* DataKey(int version) const;

  // The 32-byte blind-index key stored with `version` (the same for every
  // version), or nullptr when the ring lacks it.
  const std::string* IndexKey(int version) const;

  // The blind-index key (what BlindIndex uses).
  const std::string& index_key() const { return keys_.begin()->second.index_key; }

  // Every version, ascending.
  std::vector<int> versions() const;

 private:
  struct Keys {
    std::string data_key;
    std::string index_key;
  };
  explicit KeyRing(std::map<int, Keys> keys) : keys_(std::move(keys)) {}
  friend Result<KeyRing> ParseKeyRing(std::string_view contents);

  std::map<int, Keys> keys_;  // never empty
};

// Parses key file contents (the format above) without touching the file
// system: what LoadKeyFile does after its checks; also for tests. Refuses, with
// kInvalidArgument naming the line, a wrong first line, no version line, a
// malformed line, a duplicate version, a key that is not base64 of exactly 32
// bytes, and differing index keys.
Result<KeyRing> ParseKeyRing(std::string_view contents);

// Creates a new key file at `path` holding version 1 (fresh random data and
// index keys). Never overwrites: kAlreadyExists when `path` exists (even as a
// dangling symlink). The file is written to a temporary file in the same
// directory (O_CREAT|O_EXCL, mode 0600), fsynced, then moved into place by an
// atomic no-replace rename, and the directory is fsynced, so a crash leaves
// either no key file or a complete one. kInternal on I/O errors.
Status InitKeyFile(const std::string& path);

// Reads and parses the key file at `path`. kNotFound when it does not exist;
// kPermissionDenied when it is not a regular file, or when group or others
// have any permission on it (the message says to run chmod 600); the errors of
// ParseKeyRing; kInternal on I/O errors. The mode is checked on the opened
// file, so it cannot be swapped between check and read.
Result<KeyRing> LoadKeyFile(const std::string& path);

// Appends version current+1 with a fresh random data key and the existing
// index key, rewriting the file atomically (temporary file, fsync, rename,
// directory fsync) with mode 0600 and the previous owner. The errors of
// LoadKeyFile, and kInternal on I/O errors.
Status AddKeyVersion(const std::string& path);

// Removes `version` from the key file, rewriting it atomically. kNotFound when
// the file has no such version; kConflict when it is the current version
// (values are being sealed with it; add a newer one first). Values still
// sealed with a removed version can never be opened again: re-seal first.
Status RemoveKeyVersion(const std::string& path, int version);

// ---- Field encryption ---------------------------------------------------------

// Seals one field value for storage as text: "enc:v<N>:<base64(nonce||ct)>"
// with N = ring.current_version(), using Seal (XChaCha20-Poly1305). The
// associated data binds table, column, row id and N, so a value copied into
// another row or column, or relabelled with another version, fails to open.
// The length of the plaintext is not hidden. Errors of Seal (kInternal).
Result<std::string> SealField(const KeyRing& ring, std::string_view table, std::string_view column,
                              std::string_view row_id, std::string_view plaintext);

// Opens a value made by SealField for the same table, column and row id.
// kInvalidArgument "malformed sealed value" when `sealed` does not have the
// shape above; kInternal when its version is not in `ring` (the key was
// removed or the wrong key file is loaded); kInvalidArgument
// "decryption failed" when it was modified or belongs to another row, column
// or version.
Result<std::string> OpenField(const KeyRing& ring, std::string_view table, std::string_view column,
                              std::string_view row_id, std::string_view sealed);

// True when `text` has the shape of a sealed value ("enc:v<N>:" followed by
// base64 characters). Syntactic only: whether it opens is OpenField's job.
bool IsSealed(std::string_view text);

// True when `text` starts like a sealed value ("enc:v<N>:" and something
// after it), without looking at the payload's characters: a cheap test
// before OpenField, which checks the rest.
bool HasSealedPrefix(std::string_view text);

// The key version N of a sealed value, or 0 when `text` is not IsSealed.
int SealedVersion(std::string_view text);

// ---- Blind index ----------------------------------------------------------------

// Equality-search token for an encrypted field: lower-case hex of
// HMAC-SHA256(ring.index_key(), purpose || normalized_value), with both parts
// length-prefixed so that no two (purpose, value) pairs collide. `purpose`
// separates index domains ("person.document_number") so equal values of
// different fields do not match. The caller normalises (case, spaces,
// punctuation) before calling. Stable across data-key rotation. A blind index
// reveals which rows share a value: use it only for fields that need search.
std::string BlindIndex(const KeyRing& ring, std::string_view purpose, std::string_view normalized_value);

}  // namespace ctims::core
