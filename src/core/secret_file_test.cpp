#include "core/secret_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <ios>
#include <iterator>
#include <vector>

namespace ctims::core {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kLabel = "test file";
constexpr off_t kMax = 1024;

// The whole file at `path`, read without any of ReadSecretFile's checks.
std::string Contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Permission bits of `path` (following links), e.g. 0600.
unsigned Mode(const std::string& path) {
  return static_cast<unsigned>(fs::status(path).permissions() & fs::perms::mask);
}

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = (fs::path(::testing::TempDir()) / "ctims-secret-file-XXXXXX").string();
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    path_ = (dir_ / "secret").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Puts `contents` at path_ with permission bits `mode`, bypassing the code
  // under test.
  void Plant(const std::string& contents, unsigned mode) const {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << contents;
    fs::permissions(path_, static_cast<fs::perms>(mode));
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename().string());
    return names;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(SecretFileTest, WritesMode0600WhateverTheUmask) {
  const mode_t old_umask = ::umask(0);  // would give 0666 to a plain create
  const Status s = WriteSecretFileAtomically(path_, "secret\n", /*replace=*/false, kLabel);
  ::umask(old_umask);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Mode(path_), 0600u);
  EXPECT_EQ(Contents(path_), "secret\n");
  EXPECT_EQ(Names(), std::vector<std::string>{"secret"});  // no temporary file left
}

TEST_F(SecretFileTest, ReadsBackWhatWasWritten) {
  ASSERT_TRUE(WriteSecretFileAtomically(path_, std::string("a\0b", 3), false, kLabel).ok());
  Result<SecretFile> file = ReadSecretFile(path_, kLabel, kMax);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->contents, std::string("a\0b", 3));
  EXPECT_EQ(file->owner.uid, ::geteuid());
  EXPECT_EQ(file->owner.gid, ::getegid());
}

TEST_F(SecretFileTest, RefusesGroupOrOtherAccess) {
  for (const mode_t mode : {0640, 0620, 0610, 0604, 0602, 0601, 0644}) {
    Plant("secret", mode);
    Result<SecretFile> file = ReadSecretFile(path_, kLabel, kMax);
    ASSERT_FALSE(file.ok()) << std::oct << mode;
    EXPECT_EQ(file.status().code(), StatusCode::kPermissionDenied) << std::oct << mode;
    EXPECT_NE(file.status().message().find("chmod 600 " + path_), std::string::npos) << file.status().message();
  }
  Plant("secret", 0400);  // owner-only and stricter is fine
  EXPECT_TRUE(ReadSecretFile(path_, kLabel, kMax).ok());
}

TEST_F(SecretFileTest, ReadFailures) {
  Result<SecretFile> missing = ReadSecretFile(path_, kLabel, kMax);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "test file " + path_ + " does not exist");

  EXPECT_EQ(ReadSecretFile(dir_.string(), kLabel, kMax).status().code(), StatusCode::kPermissionDenied);  // not regular

  const std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(ReadSecretFile(fifo, kLabel, kMax).status().code(), StatusCode::kPermissionDenied);  // and no hang

  Plant(std::string(kMax + 1, 'x'), 0600);
  EXPECT_EQ(ReadSecretFile(path_, kLabel, kMax).status().code(), StatusCode::kInvalidArgument);
  Plant(std::string(kMax, 'x'), 0600);
  EXPECT_TRUE(ReadSecretFile(path_, kLabel, kMax).ok());
}

TEST_F(SecretFileTest, NeverOverwritesWithoutReplace) {
  Plant("old", 0600);
  const Status s = WriteSecretFileAtomically(path_, "new", /*replace=*/false, kLabel);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "test file " + path_ + " already exists; refusing to overwrite it");
  EXPECT_EQ(Contents(path_), "old");
  EXPECT_EQ(Names(), std::vector<std::string>{"secret"});
}

TEST_F(SecretFileTest, NeverWritesThroughADanglingLink) {
  const std::string target = (dir_ / "target").string();
  ASSERT_EQ(::symlink(target.c_str(), path_.c_str()), 0);
  EXPECT_EQ(WriteSecretFileAtomically(path_, "new", false, kLabel).code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(SecretFileTest, ReplacesAtomically) {
  Plant("old contents", 0600);
  struct stat before {};
  ASSERT_EQ(::stat(path_.c_str(), &before), 0);
  ASSERT_TRUE(WriteSecretFileAtomically(path_, "new", /*replace=*/true, kLabel).ok());
  EXPECT_EQ(Contents(path_), "new");
  EXPECT_EQ(Mode(path_), 0600u);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_NE(st.st_ino, before.st_ino);  // a new file renamed into place, not the old one rewritten
  EXPECT_EQ(Names(), std::vector<std::string>{"secret"});
}

TEST_F(SecretFileTest, ReplaceCreatesWhenMissingAndKeepsTheCallerAsOwner) {
  const FileOwner self{::geteuid(), ::getegid()};
  ASSERT_TRUE(WriteSecretFileAtomically(path_, "x", /*replace=*/true, kLabel, self).ok());
  Result<SecretFile> file = ReadSecretFile(path_, kLabel, kMax);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->owner.uid, self.uid);
  EXPECT_EQ(Mode(path_), 0600u);
}

TEST_F(SecretFileTest, WriteFailsCleanlyInAMissingDirectory) {
  const std::string path = (dir_ / "no-such-dir" / "secret").string();
  const Status s = WriteSecretFileAtomically(path, "x", false, kLabel);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(Names(), std::vector<std::string>{});
}

TEST(WipeStringTest, ZeroesEveryByte) {
  std::string s = "key material";
  WipeString(s);
  EXPECT_EQ(s, std::string(12, '\0'));
}

TEST(WipeStringTest, WipeOnExitWipesAtScopeEnd) {
  std::string s = "key material";
  { WipeOnExit wipe(s); }
  EXPECT_EQ(s, std::string(12, '\0'));
}

}  // namespace
}  // namespace ctims::core
