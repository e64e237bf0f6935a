#pragma once

// Internal to core: the owner-only files that hold key material (keyring.cpp's
// field key file, signing_key.cpp's audit signing key file), and wiping the
// strings that held key material (crypto.cpp uses that too).
//
// Writing is atomic: the contents go to a new temporary file beside the
// target (O_CREAT | O_EXCL | O_NOFOLLOW, mode exactly 0600 whatever the
// umask), which is fsynced and then renamed into place; the directory is
// fsynced after. A reader sees the old file or the new one, never part of
// either, and a crash leaves at worst a stray "<path>.tmp-<hex>" file.
//
// Messages name the file by `label` ("key file", "signing key file") and its
// path, never its contents.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace ctims::core {

// Overwrites `s` with zeros (best effort: the C++ library may have left
// copies in memory it freed earlier).
void WipeString(std::string& s);

// Clears a string that held key material when it goes out of scope.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& s) : s_(s) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { WipeString(s_); }

 private:
  std::string& s_;
};

// Who is to own a file written by WriteSecretFileAtomically.
struct FileOwner {
  uid_t uid = 0;
  gid_t gid = 0;
};

// Writes `contents` to `path` atomically with mode 0600 (see above).
//
// replace == false: never overwrites. kAlreadyExists ("<label> <path> already
// exists; refusing to overwrite it") when anything, even a dangling symbolic
// link, is at `path`, checked first and again by the rename itself
// (RENAME_NOREPLACE, or link() where the file system lacks it), so a file
// created in between is not lost either.
// replace == true: replaces whatever file is at `path` in one rename.
//
// `owner`, when given and not the caller, is given the new file (so that a
// root-run rewrite keeps the file its service account's). Other failures are
// kInternal; nothing is left behind on failure, except a temporary file when
// the process dies half-way.
Status WriteSecretFileAtomically(const std::string& path, std::string_view contents, bool replace,
                                 std::string_view label, const std::optional<FileOwner>& owner = std::nullopt);

// A secret file's contents (the caller wipes them) and its owner.
struct SecretFile {
  std::string contents;
  FileOwner owner;
};

// Opens, checks and reads the secret file at `path`: kNotFound when it does
// not exist; kPermissionDenied when it cannot be opened for reading, is not a
// regular file, or group or others have any access to it (the message says
// to run chmod 600); kInvalidArgument when it is larger than `max_bytes` or
// grows while being read; kInternal for other failures. Never blocks on a
// FIFO planted at `path`.
Result<SecretFile> ReadSecretFile(const std::string& path, std::string_view label, off_t max_bytes);

}  // namespace ctims::core
