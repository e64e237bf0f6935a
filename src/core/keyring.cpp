#include "core/keyring.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "core/crypto.hpp"

namespace ctims::core {
namespace {

constexpr std::string_view kHeader = "ctims-keyring 1";
constexpr std::string_view kSealedPrefix = "enc:v";
constexpr int kMaxVersion = 1'000'000;
constexpr off_t kMaxKeyFileBytes = off_t{64} * 1024;

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

// A decimal version number 1..kMaxVersion without sign or leading zeros.
std::optional<int> ParseVersion(std::string_view digits) {
  if (digits.empty() || digits.size() > 7 || digits[0] == '0') return std::nullopt;
  int value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value > kMaxVersion) return std::nullopt;
  return value;
}

void AppendKeyLine(std::string& out, int version, std::string_view data_key, std::string_view index_key) {
  out += 'v';
  out += std::to_string(version);
  out += ' ';
  std::string data_text = Base64Encode(data_key);
  std::string index_text = Base64Encode(index_key);
  out += data_text;
  out += ' ';
  out += index_text;
  out += '\n';
  Wipe(data_text);
  Wipe(index_text);
}

// Key file text for `ring` without `skip`, plus `extra` (version, data key)
// when given.
std::string Serialize(const KeyRing& ring, int skip, const std::pair<int, std::string>* extra) {
  std::string out(kHeader);
  out += '\n';
  out.reserve(out.size() + (ring.versions().size() + 1) * 100);  // no reallocation leaving key copies behind
  for (const int v : ring.versions()) {
    if (v != skip) AppendKeyLine(out, v, *ring.DataKey(v), *ring.IndexKey(v));
  }
  if (extra != nullptr) AppendKeyLine(out, extra->first, extra->second, ring.index_key());
  return out;
}

std::string DirectoryOf(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Internal("cannot open directory " + dir + ": " + ErrnoText(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::Internal("cannot sync directory " + dir + ": " + ErrnoText(err));
  return Status::Ok();
}

// Writes `contents` to a new file beside `path` (O_EXCL, mode 0600, owned by
// `owner` when given) and fsyncs it. On success `temp_path` names it and the
// caller must rename or unlink it; on failure nothing is left behind.
Status WriteTempFile(const std::string& path, std::string_view contents, const struct stat* owner,
                     std::string& temp_path) {
  std::string suffix;
  for (const unsigned char b : RandomBytes(8)) {
    static constexpr char kHex[] = "0123456789abcdef";
    suffix += kHex[b >> 4];
    suffix += kHex[b & 0x0F];
  }
  temp_path = path + ".tmp-" + suffix;
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::Internal("cannot create " + temp_path + ": " + ErrnoText(errno));
  auto fail = [&](const std::string& what) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp_path.c_str());
    return Status::Internal(what + " " + temp_path + ": " + ErrnoText(err));
  };
  // The umask may have dropped bits; the mode must be exactly 0600.
  if (::fchmod(fd, 0600) != 0) return fail("cannot set the mode of");
  if (owner != nullptr && (owner->st_uid != ::geteuid() || owner->st_gid != ::getegid()) &&
      ::fchown(fd, owner->st_uid, owner->st_gid) != 0) {
    return fail("cannot keep the owner of the key file on");
  }
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
  return Status::Ok();
}

struct KeyFile {
  std::string contents;
  struct stat info {};
};

// Opens, checks and reads the key file (the checks of LoadKeyFile).
Result<KeyFile> ReadKeyFile(const std::string& path) {
  // O_NONBLOCK so that a FIFO planted at `path` cannot hang us before fstat.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("key file " + path + " does not exist");
    if (err == EACCES) return Status(StatusCode::kPermissionDenied, "cannot read key file " + path);
    return Status::Internal("cannot open key file " + path + ": " + ErrnoText(err));
  }
  KeyFile file;
  WipeOnExit wipe(file.contents);
  if (::fstat(fd, &file.info) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::Internal("cannot stat key file " + path + ": " + ErrnoText(err));
  }
  if (!S_ISREG(file.info.st_mode)) {
    ::close(fd);
    return Status(StatusCode::kPermissionDenied, "key file " + path + " is not a regular file");
  }
  if ((file.info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    ::close(fd);
    return Status(StatusCode::kPermissionDenied,
                  "key file " + path + " is accessible by group or others; run: chmod 600 " + path);
  }
  if (file.info.st_size > kMaxKeyFileBytes) {
    ::close(fd);
    return Status::InvalidArgument("key file " + path + " is too large to be a key file");
  }
  file.contents.resize(static_cast<size_t>(file.info.st_size) + 1);
  size_t done = 0;
  while (true) {
    if (done == file.contents.size()) {  // grew while we read: refuse rather than guess
      ::close(fd);
      return Status::InvalidArgument("key file " + path + " changed while being read");
    }
    const ssize_t n = ::read(fd, file.contents.data() + done, file.contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return Status::Internal("cannot read key file " + path + ": " + ErrnoText(err));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  file.contents.resize(done);
  KeyFile out;
  out.info = file.info;
  out.contents.swap(file.contents);  // `wipe` now clears the empty husk
  return out;
}

Status ReplaceKeyFile(const std::string& path, std::string contents, const struct stat& owner) {
  WipeOnExit wipe(contents);
  std::string temp_path;
  CTIMS_RETURN_IF_ERROR(WriteTempFile(path, contents, &owner, temp_path));
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp_path.c_str());
    return Status::Internal("cannot replace key file " + path + ": " + ErrnoText(err));
  }
  return SyncDirectory(DirectoryOf(path));
}

// Associated data of a sealed field: every part length-prefixed (64-bit
// big-endian) so that no two (table, column, row, version) tuples encode
// alike, under a label that keeps this format apart from any other use of
// the same key.
std::string FieldAssociatedData(std::string_view table, std::string_view column, std::string_view row_id, int version) {
  std::string ad = "ctims.field.v1";
  const std::string version_text = std::to_string(version);
  for (const std::string_view part : {table, column, row_id, std::string_view(version_text)}) {
    const auto size = static_cast<uint64_t>(part.size());
    for (int shift = 56; shift >= 0; shift -= 8) ad += static_cast<char>((size >> shift) & 0xFF);
    ad += part;
  }
  return ad;
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

}  // namespace

KeyRing::~KeyRing() {
  for (auto& [version, keys] : keys_) {
    Wipe(keys.data_key);
    Wipe(keys.index_key);
  }
}

const std::string* KeyRing::DataKey(int version) const {
  const auto it = keys_.find(version);
  return it == keys_.end() ? nullptr : &it->second.data_key;
}

const std::string* KeyRing::IndexKey(int version) const {
  const auto it = keys_.find(version);
  return it == keys_.end() ? nullptr : &it->second.index_key;
}

std::vector<int> KeyRing::versions() const {
  std::vector<int> out;
  out.reserve(keys_.size());
  for (const auto& [version, keys] : keys_) out.push_back(version);
  return out;
}

Result<KeyRing> ParseKeyRing(std::string_view contents) {
  std::map<int, KeyRing::Keys> keys;
  auto wipe_all = [&keys] {
    for (auto& [version, k] : keys) {
      Wipe(k.data_key);
      Wipe(k.index_key);
    }
  };
  auto malformed = [&](size_t line_number, const std::string& why) {
    wipe_all();
    return Status::InvalidArgument("key file line " + std::to_string(line_number) + ": " + why);
  };
  if (contents.ends_with('\n')) contents.remove_suffix(1);
  size_t line_number = 0;
  while (true) {
    ++line_number;
    const size_t eol = contents.find('\n');
    const std::string_view line = contents.substr(0, eol);
    if (line_number == 1) {
      if (line != kHeader) return malformed(1, "expected \"" + std::string(kHeader) + "\"");
    } else {
      // "v<N> <data key> <index key>", single spaces.
      const size_t s1 = line.find(' ');
      const size_t s2 = s1 == std::string_view::npos ? s1 : line.find(' ', s1 + 1);
      if (s2 == std::string_view::npos || line.find(' ', s2 + 1) != std::string_view::npos || line[0] != 'v') {
        return malformed(line_number, "expected \"v<N> <base64 data key> <base64 index key>\"");
      }
      const std::optional<int> version = ParseVersion(line.substr(1, s1 - 1));
      if (!version) return malformed(line_number, "bad version number");
      if (keys.contains(*version)) return malformed(line_number, "duplicate version");
      Result<std::string> data_key = Base64Decode(line.substr(s1 + 1, s2 - s1 - 1));
      Result<std::string> index_key = Base64Decode(line.substr(s2 + 1));
      const bool good = data_key.ok() && data_key->size() == kSecretKeyBytes && index_key.ok() &&
                        index_key->size() == kSecretKeyBytes;
      if (!good) {
        if (data_key.ok()) Wipe(*data_key);
        if (index_key.ok()) Wipe(*index_key);
        return malformed(line_number, "keys must be base64 of 32 bytes");
      }
      if (!keys.empty() && !ConstantTimeEquals(keys.begin()->second.index_key, *index_key)) {
        Wipe(*data_key);
        Wipe(*index_key);
        return malformed(line_number, "index key differs from the other versions' (it must never change)");
      }
      keys.emplace(*version, KeyRing::Keys{std::move(*data_key), std::move(*index_key)});
    }
    if (eol == std::string_view::npos) break;
    contents.remove_prefix(eol + 1);
  }
  if (keys.empty()) return malformed(line_number, "no key version");
  return KeyRing(std::move(keys));
}

Status InitKeyFile(const std::string& path) {
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0) {
    return Status::AlreadyExists("key file " + path + " already exists; refusing to overwrite it");
  }
  std::string contents(kHeader);
  contents += '\n';
  {
    std::string data_key = NewSecretKey();
    std::string index_key = NewSecretKey();
    AppendKeyLine(contents, 1, data_key, index_key);
    Wipe(data_key);
    Wipe(index_key);
  }
  WipeOnExit wipe(contents);
  std::string temp_path;
  CTIMS_RETURN_IF_ERROR(WriteTempFile(path, contents, nullptr, temp_path));
  // Move into place only if nothing is there (a check-then-rename would race).
  int rc = ::renameat2(AT_FDCWD, temp_path.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
  int err = rc == 0 ? 0 : errno;
  if (rc != 0) {
    if (err == EINVAL || err == ENOSYS) {
      // The file system cannot rename without replacing: link() never replaces.
      rc = ::link(temp_path.c_str(), path.c_str());
      err = rc == 0 ? 0 : errno;
    }
    ::unlink(temp_path.c_str());  // after a link it is a second name; after a failure, litter
  }
  if (rc != 0) {
    if (err == EEXIST) return Status::AlreadyExists("key file " + path + " already exists; refusing to overwrite it");
    return Status::Internal("cannot create key file " + path + ": " + ErrnoText(err));
  }
  return SyncDirectory(DirectoryOf(path));
}

Result<KeyRing> LoadKeyFile(const std::string& path) {
  CTIMS_ASSIGN_OR_RETURN(KeyFile file, ReadKeyFile(path));
  WipeOnExit wipe(file.contents);
  Result<KeyRing> ring = ParseKeyRing(file.contents);
  if (!ring.ok()) return Status(ring.status().code(), "key file " + path + ": " + ring.status().message());
  return ring;
}

Status AddKeyVersion(const std::string& path) {
  CTIMS_ASSIGN_OR_RETURN(KeyFile file, ReadKeyFile(path));
  WipeOnExit wipe(file.contents);
  Result<KeyRing> ring = ParseKeyRing(file.contents);
  if (!ring.ok()) return Status(ring.status().code(), "key file " + path + ": " + ring.status().message());
  if (ring->current_version() >= kMaxVersion) return Status::Conflict("key file " + path + " has no version left");
  std::pair<int, std::string> added{ring->current_version() + 1, NewSecretKey()};
  WipeOnExit wipe_added(added.second);
  return ReplaceKeyFile(path, Serialize(*ring, 0, &added), file.info);
}

Status RemoveKeyVersion(const std::string& path, int version) {
  CTIMS_ASSIGN_OR_RETURN(KeyFile file, ReadKeyFile(path));
  WipeOnExit wipe(file.contents);
  Result<KeyRing> ring = ParseKeyRing(file.contents);
  if (!ring.ok()) return Status(ring.status().code(), "key file " + path + ": " + ring.status().message());
  if (ring->DataKey(version) == nullptr) {
    return Status::NotFound("key file " + path + " has no version " + std::to_string(version));
  }
  if (version == ring->current_version()) {
    return Status::Conflict("version " + std::to_string(version) +
                            " is the current key version; add a newer one and re-seal before removing it");
  }
  return ReplaceKeyFile(path, Serialize(*ring, version, nullptr), file.info);
}

Result<std::string> SealField(const KeyRing& ring, std::string_view table, std::string_view column,
                              std::string_view row_id, std::string_view plaintext) {
  const int version = ring.current_version();
  CTIMS_ASSIGN_OR_RETURN(const std::string sealed,
                         Seal(*ring.DataKey(version), plaintext, FieldAssociatedData(table, column, row_id, version)));
  return std::string(kSealedPrefix) + std::to_string(version) + ":" + Base64Encode(sealed);
}

Result<std::string> OpenField(const KeyRing& ring, std::string_view table, std::string_view column,
                              std::string_view row_id, std::string_view sealed) {
  const int version = SealedVersion(sealed);
  if (version == 0) return Status::InvalidArgument("malformed sealed value");
  const std::string* key = ring.DataKey(version);
  if (key == nullptr) return Status::Internal("key version " + std::to_string(version) + " is not in the key ring");
  Result<std::string> bytes = Base64Decode(sealed.substr(sealed.find(':', kSealedPrefix.size()) + 1));
  if (!bytes.ok()) return Status::InvalidArgument("malformed sealed value");
  return Open(*key, *bytes, FieldAssociatedData(table, column, row_id, version));
}

bool IsSealed(std::string_view text) {
  return SealedVersion(text) != 0;
}

int SealedVersion(std::string_view text) {
  if (!text.starts_with(kSealedPrefix)) return 0;
  text.remove_prefix(kSealedPrefix.size());
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) return 0;
  const std::optional<int> version = ParseVersion(text.substr(0, colon));
  if (!version) return 0;
  for (const char c : text.substr(colon + 1)) {
    if (!IsBase64Char(c)) return 0;
  }
  return *version;
}

std::string BlindIndex(const KeyRing& ring, std::string_view purpose, std::string_view normalized_value) {
  std::string message;
  for (const std::string_view part : {purpose, normalized_value}) {
    const auto size = static_cast<uint64_t>(part.size());
    for (int shift = 56; shift >= 0; shift -= 8) message += static_cast<char>((size >> shift) & 0xFF);
    message += part;
  }
  const std::string mac = HmacSha256(ring.index_key(), message);
  Wipe(message);
  std::string hex(mac.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  hex.pop_back();
  return hex;
}

}  // namespace ctims::core
