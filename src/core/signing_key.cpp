#include "core/signing_key.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace ctims::core {
namespace {

constexpr std::string_view kHeader = "ctims-signing-key 1";
constexpr off_t kMaxFileBytes = 4096;

void Wipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
}

// Clears a string that held key material when it goes out of scope.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& s) : s_(s) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { Wipe(s_); }

 private:
  std::string& s_;
};

std::string ErrnoText(int err) {
  return std::strerror(err);
}

Status SyncDirectoryOf(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Internal("cannot open directory " + dir + ": " + ErrnoText(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::Internal("cannot sync directory " + dir + ": " + ErrnoText(err));
  return Status::Ok();
}

// The same steps as keyring.cpp's key files: a 0600 O_EXCL temporary file,
// fsync, a rename that never replaces (link() where the file system lacks
// RENAME_NOREPLACE), directory fsync.
Status WriteNewFile(const std::string& path, std::string_view contents) {
  std::string temp_path = path + ".tmp-";
  for (const unsigned char b : RandomBytes(8)) {
    static constexpr char kHex[] = "0123456789abcdef";
    temp_path += kHex[b >> 4];
    temp_path += kHex[b & 0x0F];
  }
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::Internal("cannot create " + temp_path + ": " + ErrnoText(errno));
  auto fail = [&](const std::string& what) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp_path.c_str());
    return Status::Internal(what + " " + temp_path + ": " + ErrnoText(err));
  };
  if (::fchmod(fd, 0600) != 0) return fail("cannot set the mode of");  // the umask may have dropped bits
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot sync");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp_path.c_str());
    return Status::Internal("cannot close " + temp_path + ": " + ErrnoText(err));
  }
  int rc = ::renameat2(AT_FDCWD, temp_path.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
  int err = rc == 0 ? 0 : errno;
  if (rc != 0) {
    if (err == EINVAL || err == ENOSYS) {
      rc = ::link(temp_path.c_str(), path.c_str());
      err = rc == 0 ? 0 : errno;
    }
    ::unlink(temp_path.c_str());
  }
  if (rc != 0) {
    if (err == EEXIST) return Status::AlreadyExists("signing key file " + path + " already exists");
    return Status::Internal("cannot create signing key file " + path + ": " + ErrnoText(err));
  }
  return SyncDirectoryOf(path);
}

// Opens, checks (regular file, owner-only mode, small) and reads `path`.
Result<std::string> ReadKeyFile(const std::string& path) {
  // O_NONBLOCK so that a FIFO planted at `path` cannot hang us before fstat.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("signing key file " + path + " does not exist");
    if (err == EACCES) return Status(StatusCode::kPermissionDenied, "cannot read signing key file " + path);
    return Status::Internal("cannot open signing key file " + path + ": " + ErrnoText(err));
  }
  struct stat info {};
  auto refuse = [&](Status s) {
    ::close(fd);
    return s;
  };
  if (::fstat(fd, &info) != 0) return refuse(Status::Internal("cannot stat signing key file " + path));
  if (!S_ISREG(info.st_mode)) {
    return refuse(Status(StatusCode::kPermissionDenied, "signing key file " + path + " is not a regular file"));
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return refuse(Status(StatusCode::kPermissionDenied,
                         "signing key file " + path + " is accessible by group or others; run: chmod 600 " + path));
  }
  if (info.st_size > kMaxFileBytes) {
    return refuse(Status::InvalidArgument("signing key file " + path + " is too large"));
  }
  std::string contents(static_cast<size_t>(kMaxFileBytes) + 1, '\0');
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::read(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Wipe(contents);
      return refuse(Status::Internal("cannot read signing key file " + path));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (done > static_cast<size_t>(kMaxFileBytes)) {
    Wipe(contents);
    return Status::InvalidArgument("signing key file " + path + " is too large");
  }
  contents.resize(done);
  return contents;
}

bool IsHex(std::string_view s) {
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace

Status InitSigningKeyFile(const std::string& path) {
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0) {
    return Status::AlreadyExists("signing key file " + path + " already exists; refusing to overwrite it");
  }
  SigningKeyPair pair = NewSigningKeyPair();
  WipeOnExit wipe_secret(pair.secret_key);
  std::string contents(kHeader);
  contents.reserve(kHeader.size() + 100);  // no reallocation leaving key copies behind
  contents += '\n';
  std::string encoded = Base64Encode(pair.secret_key);
  WipeOnExit wipe_encoded(encoded);
  contents += encoded;
  contents += '\n';
  WipeOnExit wipe_contents(contents);
  return WriteNewFile(path, contents);
}

Result<SigningKeyPair> LoadSigningKeyFile(const std::string& path) {
  CTIMS_ASSIGN_OR_RETURN(std::string contents, ReadKeyFile(path));
  WipeOnExit wipe(contents);
  const auto malformed = [&] {
    return Status::InvalidArgument("signing key file " + path + " is not a ctims signing key file (\"" +
                                   std::string(kHeader) + "\" and one base64 line)");
  };
  std::string_view text = contents;
  if (text.ends_with('\n')) text.remove_suffix(1);
  const size_t eol = text.find('\n');
  if (eol == std::string_view::npos || text.substr(0, eol) != kHeader) return malformed();
  Result<std::string> secret = Base64Decode(text.substr(eol + 1));
  if (!secret.ok() || secret->size() != kSigningSecretKeyBytes) {
    if (secret.ok()) Wipe(*secret);
    return malformed();
  }
  SigningKeyPair pair;
  pair.secret_key = std::move(*secret);
  // Recompute the public half from the seed: a file whose halves disagree
  // would sign checkpoints that its own public key cannot verify.
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  const auto* seed = reinterpret_cast<const unsigned char*>(pair.secret_key.data());
  const bool derived = InitCrypto().ok() && crypto_sign_seed_keypair(pk, sk, seed) == 0;
  sodium_memzero(sk, sizeof sk);
  if (!derived) {
    Wipe(pair.secret_key);
    return Status::Internal("cannot derive the public key of " + path);
  }
  pair.public_key.assign(reinterpret_cast<const char*>(pk), sizeof pk);
  if (pair.secret_key.compare(crypto_sign_SEEDBYTES, std::string::npos, pair.public_key) != 0) {
    Wipe(pair.secret_key);
    return Status::InvalidArgument("signing key file " + path + " is damaged: its public half does not match");
  }
  return pair;
}

Result<SigningKeyPair> LoadOrInitSigningKeyFile(const std::string& path, bool* created) {
  if (created != nullptr) *created = false;
  Result<SigningKeyPair> pair = LoadSigningKeyFile(path);
  if (pair.ok() || pair.status().code() != StatusCode::kNotFound) return pair;
  Status init = InitSigningKeyFile(path);
  // Someone else created it in between: use theirs.
  if (!init.ok() && init.code() != StatusCode::kAlreadyExists) return init;
  if (init.ok() && created != nullptr) *created = true;
  return LoadSigningKeyFile(path);
}

Result<std::string> ParseSigningPublicKey(std::string_view text) {
  const auto bad = [] {
    return Status::InvalidArgument("a public key is 32 bytes written as base64 (44 characters) or hex (64 digits)");
  };
  if (text.size() == 2 * kSigningPublicKeyBytes && IsHex(text)) {
    std::string out;
    for (size_t i = 0; i < text.size(); i += 2) {
      out += static_cast<char>(HexValue(text[i]) * 16 + HexValue(text[i + 1]));
    }
    return out;
  }
  Result<std::string> bytes = Base64Decode(text);
  if (!bytes.ok() || bytes->size() != kSigningPublicKeyBytes) return bad();
  return bytes;
}

std::string FormatSigningPublicKey(std::string_view public_key) {
  return Base64Encode(public_key);
}

}  // namespace ctims::core
