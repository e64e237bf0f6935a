#pragma once

// The Ed25519 key that signs audit-log checkpoints (app/audit_log.hpp), kept
// in a file outside the database so that whoever can rewrite the database
// cannot forge a checkpoint too. Ideally it lives on another machine or
// removable media; at the least in a root-only directory away from backups of
// the database.
//
// File format (text, '\n' line ends):
//   ctims-signing-key 1
//   <standard base64 of the 64-byte libsodium Ed25519 secret key>
// The secret key is libsodium's seed || public key form, so the public key
// (what verifiers need) is derived from the file. The file must be readable
// and writable by its owner only (0600 or stricter). Like keyring.hpp, these
// functions take no lock: two must not run on the same file at once. Error
// messages name the path, never key material.

#include <string>
#include <string_view>

#include "core/crypto.hpp"
#include "core/status.hpp"

namespace ctims::core {

// Creates a signing key file at `path` with a fresh key pair. Never
// overwrites: kAlreadyExists when `path` exists (even as a dangling symlink).
// Written to a temporary file in the same directory (O_EXCL, mode 0600),
// fsynced, moved into place by a no-replace rename, directory fsynced: a
// crash leaves no file or a complete one. kInternal on I/O errors.
Status InitSigningKeyFile(const std::string& path);

// Reads the key pair from `path`. kNotFound when it does not exist;
// kPermissionDenied when it is not a regular file or group or others have
// any permission on it; kInvalidArgument when it is not a well-formed key
// file or its public half does not match its seed; kInternal on I/O errors.
Result<SigningKeyPair> LoadSigningKeyFile(const std::string& path);

// LoadSigningKeyFile, creating the file first (InitSigningKeyFile) when it
// does not exist. `*created` (when given) tells whether it did.
Result<SigningKeyPair> LoadOrInitSigningKeyFile(const std::string& path, bool* created = nullptr);

// A public key written as standard base64 (44 characters) or hex (64
// digits) of 32 bytes, as raw bytes. kInvalidArgument otherwise.
Result<std::string> ParseSigningPublicKey(std::string_view text);

// The standard base64 of a public key: what operators record and pass to
// `ctims audit verify --public-key`.
std::string FormatSigningPublicKey(std::string_view public_key);

}  // namespace ctims::core
