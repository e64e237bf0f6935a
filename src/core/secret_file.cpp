#include "core/secret_file.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/crypto.hpp"

namespace ctims::core {
namespace {

std::string ErrnoText(int err) {
  return std::strerror(err);
}

// "<label> <path>", how every message names the file.
std::string Named(std::string_view label, const std::string& path) {
  return std::string(label) + " " + path;
}

Status AlreadyExists(std::string_view label, const std::string& path) {
  return Status::AlreadyExists(Named(label, path) + " already exists; refusing to overwrite it");
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

// Writes `contents` to a new file beside `path` (O_EXCL, mode 0600, owned by
// `owner` when given) and fsyncs it. On success `temp_path` names it and the
// caller must rename or unlink it; on failure nothing is left behind.
Status WriteTempFile(const std::string& path, std::string_view contents, std::string_view label,
                     const std::optional<FileOwner>& owner, std::string& temp_path) {
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
  if (owner && (owner->uid != ::geteuid() || owner->gid != ::getegid()) && ::fchown(fd, owner->uid, owner->gid) != 0) {
    return fail("cannot keep the owner of the " + std::string(label) + " on");
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

// Moves `temp_path` to `path` only if nothing is there (a check-then-rename
// would race), and removes `temp_path` in every case.
Status RenameNoReplace(const std::string& temp_path, const std::string& path, std::string_view label) {
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
    if (err == EEXIST) return AlreadyExists(label, path);
    return Status::Internal("cannot create " + Named(label, path) + ": " + ErrnoText(err));
  }
  return Status::Ok();
}

}  // namespace

void WipeString(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
}

Status WriteSecretFileAtomically(const std::string& path, std::string_view contents, bool replace,
                                 std::string_view label, const std::optional<FileOwner>& owner) {
  if (!replace) {
    struct stat existing {};
    if (::lstat(path.c_str(), &existing) == 0) return AlreadyExists(label, path);
  }
  std::string temp_path;
  CTIMS_RETURN_IF_ERROR(WriteTempFile(path, contents, label, owner, temp_path));
  if (replace) {
    if (::rename(temp_path.c_str(), path.c_str()) != 0) {
      const int err = errno;
      ::unlink(temp_path.c_str());
      return Status::Internal("cannot replace " + Named(label, path) + ": " + ErrnoText(err));
    }
  } else {
    CTIMS_RETURN_IF_ERROR(RenameNoReplace(temp_path, path, label));
  }
  return SyncDirectoryOf(path);
}

Result<SecretFile> ReadSecretFile(const std::string& path, std::string_view label, off_t max_bytes) {
  const std::string name = Named(label, path);
  // O_NONBLOCK so that a FIFO planted at `path` cannot hang us before fstat.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound(name + " does not exist");
    if (err == EACCES) return Status(StatusCode::kPermissionDenied, "cannot read " + name);
    return Status::Internal("cannot open " + name + ": " + ErrnoText(err));
  }
  auto refuse = [fd](Status s) {
    ::close(fd);
    return s;
  };
  struct stat info {};
  if (::fstat(fd, &info) != 0) return refuse(Status::Internal("cannot stat " + name + ": " + ErrnoText(errno)));
  if (!S_ISREG(info.st_mode)) {
    return refuse(Status(StatusCode::kPermissionDenied, name + " is not a regular file"));
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return refuse(
        Status(StatusCode::kPermissionDenied, name + " is accessible by group or others; run: chmod 600 " + path));
  }
  if (info.st_size > max_bytes) return refuse(Status::InvalidArgument(name + " is too large"));
  std::string contents;
  WipeOnExit wipe(contents);
  contents.resize(static_cast<size_t>(info.st_size) + 1);
  size_t done = 0;
  while (true) {
    if (done == contents.size()) {  // grew while we read: refuse rather than guess
      return refuse(Status::InvalidArgument(name + " changed while being read"));
    }
    const ssize_t n = ::read(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return refuse(Status::Internal("cannot read " + name + ": " + ErrnoText(errno)));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  contents.resize(done);
  SecretFile out;
  out.owner = {info.st_uid, info.st_gid};
  out.contents.swap(contents);  // `wipe` now clears the empty husk
  return out;
}

}  // namespace ctims::core
