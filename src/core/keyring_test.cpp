#include "core/keyring.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/crypto.hpp"

namespace ctims::core {
namespace {

namespace fs = std::filesystem;

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "ctims-keyring-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (fs::path(dir_) / "keys").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static void Write(const std::string& path, const std::string& contents, mode_t mode = 0600) {
    { std::ofstream(path, std::ios::binary | std::ios::trunc) << contents; }
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }
  static mode_t Mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  std::vector<std::string> DirEntries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    return names;
  }
  KeyRing Load() const {
    Result<KeyRing> ring = LoadKeyFile(path_);
    EXPECT_TRUE(ring.ok()) << ring.status().ToString();
    return std::move(ring).value();
  }

  std::string dir_;
  std::string path_;
};

std::string KeyLine(int version, const std::string& data_key, const std::string& index_key) {
  return "v" + std::to_string(version) + " " + Base64Encode(data_key) + " " + Base64Encode(index_key) + "\n";
}

// ---- Key file ----

TEST_F(KeyRingTest, InitCreatesAPrivateFileWithVersionOne) {
  const mode_t old_umask = ::umask(0);  // a permissive umask must not widen the mode
  const Status status = InitKeyFile(path_);
  ::umask(old_umask);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Mode(path_), 0600u);
  EXPECT_EQ(DirEntries(), std::vector<std::string>{"keys"});  // no temporary file left
  const std::string text = Read(path_);
  EXPECT_TRUE(text.starts_with("ctims-keyring 1\nv1 ")) << "unexpected header";
  EXPECT_TRUE(text.ends_with("\n"));
  const KeyRing ring = Load();
  EXPECT_EQ(ring.current_version(), 1);
  EXPECT_EQ(ring.versions(), std::vector<int>{1});
  ASSERT_NE(ring.DataKey(1), nullptr);
  ASSERT_NE(ring.IndexKey(1), nullptr);
  EXPECT_EQ(ring.DataKey(1)->size(), 32u);
  EXPECT_EQ(ring.IndexKey(1)->size(), 32u);
  EXPECT_NE(*ring.DataKey(1), *ring.IndexKey(1));
  EXPECT_EQ(ring.DataKey(2), nullptr);
  EXPECT_EQ(ring.IndexKey(0), nullptr);
}

TEST_F(KeyRingTest, InitNeverOverwrites) {
  ASSERT_TRUE(InitKeyFile(path_).ok());
  const std::string before = Read(path_);
  const Status again = InitKeyFile(path_);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Read(path_), before);
  // Not even a file that is not a key file, nor through a dangling symlink.
  const std::string other = (fs::path(dir_) / "notes").string();
  Write(other, "precious");
  EXPECT_EQ(InitKeyFile(other).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Read(other), "precious");
  const std::string link = (fs::path(dir_) / "link").string();
  const std::string target = (fs::path(dir_) / "target").string();
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_EQ(InitKeyFile(link).code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(KeyRingTest, InitMakesDifferentKeysEachTime) {
  ASSERT_TRUE(InitKeyFile(path_).ok());
  const std::string second = path_ + "2";
  ASSERT_TRUE(InitKeyFile(second).ok());
  const KeyRing a = Load();
  const KeyRing b = *LoadKeyFile(second);
  EXPECT_NE(*a.DataKey(1), *b.DataKey(1));
  EXPECT_NE(a.index_key(), b.index_key());
}

TEST_F(KeyRingTest, InitInAMissingDirectoryFails) {
  const Status status = InitKeyFile((fs::path(dir_) / "no" / "keys").string());
  EXPECT_EQ(status.code(), StatusCode::kInternal);
}

TEST_F(KeyRingTest, FilesOpenToGroupOrOthersAreRefused) {
  ASSERT_TRUE(InitKeyFile(path_).ok());
  for (const mode_t mode : {0644, 0640, 0604, 0620, 0602, 0610, 0601, 0660, 0666}) {
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
    const Result<KeyRing> ring = LoadKeyFile(path_);
    ASSERT_FALSE(ring.ok()) << std::oct << mode;
    EXPECT_EQ(ring.status().code(), StatusCode::kPermissionDenied);
    EXPECT_NE(ring.status().message().find("chmod 600"), std::string::npos) << ring.status().message();
    EXPECT_EQ(AddKeyVersion(path_).code(), StatusCode::kPermissionDenied);
  }
  ASSERT_EQ(::chmod(path_.c_str(), 0400), 0);
  EXPECT_TRUE(LoadKeyFile(path_).ok());
}

TEST_F(KeyRingTest, MissingFileAndNonRegularFilesAreRefused) {
  EXPECT_EQ(LoadKeyFile(path_).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(fs::create_directory(path_));
  ASSERT_EQ(::chmod(path_.c_str(), 0700), 0);
  EXPECT_EQ(LoadKeyFile(path_).status().code(), StatusCode::kPermissionDenied);
  fs::remove(path_);
  ASSERT_EQ(::mkfifo(path_.c_str(), 0600), 0);
  EXPECT_EQ(LoadKeyFile(path_).status().code(), StatusCode::kPermissionDenied);  // and does not hang
}

TEST_F(KeyRingTest, MalformedFilesAreRefusedWithoutEchoingKeys) {
  const std::string k1 = RandomBytes(32);
  const std::string k2 = RandomBytes(32);
  const std::string ki = RandomBytes(32);
  const std::string good = "ctims-keyring 1\n" + KeyLine(1, k1, ki);
  ASSERT_TRUE(ParseKeyRing(good).ok());
  ASSERT_TRUE(ParseKeyRing(good.substr(0, good.size() - 1)).ok());  // final newline optional
  const std::string b1 = Base64Encode(k1);
  const std::string bi = Base64Encode(ki);
  const std::string cases[] = {
      "",
      "ctims-keyring 1\n",
      "ctims-keyring 2\n" + KeyLine(1, k1, ki),
      "CTIMS-KEYRING 1\n" + KeyLine(1, k1, ki),
      KeyLine(1, k1, ki),
      "ctims-keyring 1\n\n" + KeyLine(1, k1, ki),
      "ctims-keyring 1\n" + KeyLine(1, k1, ki) + "\n",
      "ctims-keyring 1\r\n" + KeyLine(1, k1, ki),
      "ctims-keyring 1\nv1 " + b1 + " " + bi + "\r\n",
      "ctims-keyring 1\nv0 " + b1 + " " + bi + "\n",
      "ctims-keyring 1\nv01 " + b1 + " " + bi + "\n",
      "ctims-keyring 1\nv-1 " + b1 + " " + bi + "\n",
      "ctims-keyring 1\nv99999999 " + b1 + " " + bi + "\n",
      "ctims-keyring 1\nx1 " + b1 + " " + bi + "\n",
      "ctims-keyring 1\n1 " + b1 + " " + bi + "\n",
      "ctims-keyring 1\nv1 " + b1 + "\n",
      "ctims-keyring 1\nv1 " + b1 + " " + bi + " extra\n",
      "ctims-keyring 1\nv1  " + b1 + " " + bi + "\n",
      "ctims-keyring 1\nv1 " + b1 + " " + bi + " \n",
      "ctims-keyring 1\nv1 " + Base64Encode(k1.substr(0, 16)) + " " + bi + "\n",
      "ctims-keyring 1\nv1 " + b1 + " " + Base64Encode(ki + "x") + "\n",
      "ctims-keyring 1\nv1 " + b1.substr(1) + " " + bi + "\n",
      "ctims-keyring 1\n" + KeyLine(1, k1, ki) + KeyLine(1, k2, ki),
      "ctims-keyring 1\n" + KeyLine(1, k1, ki) + KeyLine(2, k2, k2),  // index key changed
  };
  for (const std::string& text : cases) {
    const Result<KeyRing> ring = ParseKeyRing(text);
    ASSERT_FALSE(ring.ok()) << "accepted case " << (&text - cases);
    EXPECT_EQ(ring.status().code(), StatusCode::kInvalidArgument);
    const std::string& message = ring.status().message();
    EXPECT_EQ(message.find(b1), std::string::npos);
    EXPECT_EQ(message.find(bi), std::string::npos);
    EXPECT_EQ(message.find(b1.substr(0, 8)), std::string::npos);
  }
  Write(path_, cases[2]);
  const Result<KeyRing> loaded = LoadKeyFile(path_);
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(loaded.status().message().find(path_), std::string::npos);
  EXPECT_NE(loaded.status().message().find("line 1"), std::string::npos);
  Write(path_, std::string(size_t{100} * 1024, 'x'));
  EXPECT_EQ(LoadKeyFile(path_).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(KeyRingTest, VersionsNeedNotBeInOrder) {
  const std::string ki = RandomBytes(32);
  const Result<KeyRing> ring =
      ParseKeyRing("ctims-keyring 1\n" + KeyLine(7, RandomBytes(32), ki) + KeyLine(3, RandomBytes(32), ki));
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ(ring->current_version(), 7);
  EXPECT_EQ(ring->versions(), (std::vector<int>{3, 7}));
}

// ---- Rotation ----

TEST_F(KeyRingTest, RotationKeepsOldVersionsReadableUntilRemoved) {
  ASSERT_TRUE(InitKeyFile(path_).ok());
  const KeyRing v1 = Load();
  const std::string old_value = *SealField(v1, "persons", "prs_Name", "row-1", "Somchai");
  const std::string old_index = BlindIndex(v1, "persons.document", "N1234567");

  ASSERT_TRUE(AddKeyVersion(path_).ok());
  EXPECT_EQ(Mode(path_), 0600u);
  EXPECT_EQ(DirEntries(), std::vector<std::string>{"keys"});
  const KeyRing v2 = Load();
  EXPECT_EQ(v2.current_version(), 2);
  EXPECT_EQ(v2.versions(), (std::vector<int>{1, 2}));
  EXPECT_EQ(*v2.DataKey(1), *v1.DataKey(1));
  EXPECT_NE(*v2.DataKey(2), *v1.DataKey(1));
  EXPECT_EQ(*v2.IndexKey(2), *v1.IndexKey(1));  // the index key never rotates
  EXPECT_EQ(BlindIndex(v2, "persons.document", "N1234567"), old_index);

  EXPECT_EQ(*OpenField(v2, "persons", "prs_Name", "row-1", old_value), "Somchai");
  const std::string new_value = *SealField(v2, "persons", "prs_Name", "row-1", "Somchai");
  EXPECT_EQ(SealedVersion(new_value), 2);
  EXPECT_TRUE(new_value.starts_with("enc:v2:"));

  ASSERT_TRUE(AddKeyVersion(path_).ok());
  ASSERT_TRUE(RemoveKeyVersion(path_, 1).ok());
  EXPECT_EQ(Mode(path_), 0600u);
  const KeyRing v3 = Load();
  EXPECT_EQ(v3.versions(), (std::vector<int>{2, 3}));
  EXPECT_EQ(v3.DataKey(1), nullptr);
  EXPECT_EQ(BlindIndex(v3, "persons.document", "N1234567"), old_index);  // survives removing v1
  EXPECT_EQ(*OpenField(v3, "persons", "prs_Name", "row-1", new_value), "Somchai");
  const Result<std::string> gone = OpenField(v3, "persons", "prs_Name", "row-1", old_value);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kInternal);
}

TEST_F(KeyRingTest, RotationKeepsTheFileOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the file to another user";
  ASSERT_TRUE(InitKeyFile(path_).ok());
  ASSERT_EQ(::chown(path_.c_str(), 65534, 65534), 0);  // e.g. the service user, rotated by root
  ASSERT_TRUE(AddKeyVersion(path_).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_TRUE(RemoveKeyVersion(path_, 1).ok());
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
}

TEST_F(KeyRingTest, RemovingTheCurrentOrAnUnknownVersionIsRefused) {
  ASSERT_TRUE(InitKeyFile(path_).ok());
  const std::string before = Read(path_);
  EXPECT_EQ(RemoveKeyVersion(path_, 1).code(), StatusCode::kConflict);
  EXPECT_EQ(RemoveKeyVersion(path_, 2).code(), StatusCode::kNotFound);
  EXPECT_EQ(RemoveKeyVersion(path_, 0).code(), StatusCode::kNotFound);
  EXPECT_EQ(Read(path_), before);
  ASSERT_TRUE(AddKeyVersion(path_).ok());
  EXPECT_EQ(RemoveKeyVersion(path_, 2).code(), StatusCode::kConflict);
  EXPECT_EQ(RemoveKeyVersion(path_ + "-missing", 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(AddKeyVersion(path_ + "-missing").code(), StatusCode::kNotFound);
}

// ---- Field encryption ----

class FieldTest : public ::testing::Test {
 protected:
  FieldTest()
      : ring_(*ParseKeyRing("ctims-keyring 1\n" + KeyLine(1, RandomBytes(32), index_key_) +
                            KeyLine(2, RandomBytes(32), index_key_))) {}
  const std::string index_key_ = RandomBytes(32);
  const KeyRing ring_;
};

TEST_F(FieldTest, RoundTrip) {
  for (const std::string& plaintext : {std::string(), std::string("Somchai"), std::string("ສົມໃຈ ພົມມະຈັນ"),
                                       std::string(3000, 'n'), std::string("a\0b", 3)}) {
    const Result<std::string> sealed = SealField(ring_, "persons", "prs_Name", "0190f1e2-row", plaintext);
    ASSERT_TRUE(sealed.ok());
    EXPECT_TRUE(sealed->starts_with("enc:v2:"));  // the current version
    EXPECT_TRUE(IsSealed(*sealed));
    EXPECT_EQ(SealedVersion(*sealed), 2);
    EXPECT_EQ(sealed->find(plaintext.empty() ? "\x01" : plaintext), std::string::npos);
    const Result<std::string> opened = OpenField(ring_, "persons", "prs_Name", "0190f1e2-row", *sealed);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(*opened, plaintext);
  }
  EXPECT_NE(*SealField(ring_, "t", "c", "r", "same"), *SealField(ring_, "t", "c", "r", "same"));
}

void ExpectDecryptionFailed(const Result<std::string>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "decryption failed");
}

TEST_F(FieldTest, TamperingIsDetected) {
  const std::string sealed = *SealField(ring_, "persons", "prs_Name", "row-1", "Somchai");
  const std::string prefix = sealed.substr(0, sealed.find(':', 5) + 1);
  const std::string bytes = *Base64Decode(sealed.substr(prefix.size()));
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    ExpectDecryptionFailed(OpenField(ring_, "persons", "prs_Name", "row-1", prefix + Base64Encode(bad)));
  }
  ExpectDecryptionFailed(OpenField(ring_, "persons", "prs_Name", "row-2", sealed));   // another row
  ExpectDecryptionFailed(OpenField(ring_, "persons", "prs_Alias", "row-1", sealed));  // another column
  ExpectDecryptionFailed(OpenField(ring_, "cases", "prs_Name", "row-1", sealed));     // another table
  ExpectDecryptionFailed(OpenField(ring_, "persons", "prs_Name", "row-1 ", sealed));
  // Relabelled with the other version (whose key the ring also has).
  ExpectDecryptionFailed(OpenField(ring_, "persons", "prs_Name", "row-1", "enc:v1:" + sealed.substr(prefix.size())));
  // Parts shifted between table/column/row must not give the same binding.
  const std::string ab = *SealField(ring_, "ab", "c", "r", "x");
  ExpectDecryptionFailed(OpenField(ring_, "a", "bc", "r", ab));
}

TEST_F(FieldTest, ASealedValueCopiedToAnotherRowFails) {
  const std::string alice = *SealField(ring_, "persons", "prs_Name", "row-alice", "Alice");
  const std::string bob = *SealField(ring_, "persons", "prs_Name", "row-bob", "Bob");
  ExpectDecryptionFailed(OpenField(ring_, "persons", "prs_Name", "row-bob", alice));
  ExpectDecryptionFailed(OpenField(ring_, "persons", "prs_Name", "row-alice", bob));
}

TEST_F(FieldTest, MalformedValuesAndUnknownVersions) {
  for (const char* bad :
       {"", "Somchai", "enc:", "enc:v", "enc:v1", "enc:v1:", "enc:v0:AAAA", "enc:v01:AAAA", "enc:vx:AAAA",
        "ENC:v1:AAAA", "enc:v1:AA AA", "enc:v1:AA-_", "enc:v-1:AAAA", "enc:v99999999:AAAA", " enc:v1:AAAA"}) {
    EXPECT_FALSE(IsSealed(bad)) << bad;
    EXPECT_EQ(SealedVersion(bad), 0) << bad;
    const Result<std::string> r = OpenField(ring_, "t", "c", "r", bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "malformed sealed value");
  }
  EXPECT_TRUE(IsSealed("enc:v1:AAAA"));
  EXPECT_EQ(SealedVersion("enc:v12:AAAA"), 12);
  // Right shape, bad base64.
  EXPECT_EQ(OpenField(ring_, "t", "c", "r", "enc:v1:AAA").status().message(), "malformed sealed value");
  // Right shape, too short to be a ciphertext.
  ExpectDecryptionFailed(OpenField(ring_, "t", "c", "r", "enc:v1:AAAA"));
  // A version the ring does not have.
  const Result<std::string> unknown = OpenField(ring_, "t", "c", "r", "enc:v3:AAAA");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInternal);
}

TEST_F(FieldTest, ConcurrentUseOfOneRing) {
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string row = std::to_string(t) + "-" + std::to_string(i);
        const Result<std::string> sealed = SealField(ring_, "persons", "prs_Name", row, row);
        if (!sealed.ok() || *OpenField(ring_, "persons", "prs_Name", row, *sealed) != row) ++failures;
        if (BlindIndex(ring_, "p", row) != BlindIndex(ring_, "p", row)) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---- Blind index ----

TEST_F(FieldTest, BlindIndexIsAKeyedHmacOfPurposeAndValue) {
  const std::string index = BlindIndex(ring_, "persons.document", "N1234567");
  EXPECT_EQ(index.size(), 64u);
  EXPECT_EQ(index.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(BlindIndex(ring_, "persons.document", "N1234567"), index);
  EXPECT_NE(BlindIndex(ring_, "persons.phone", "N1234567"), index);
  EXPECT_NE(BlindIndex(ring_, "persons.document", "N1234568"), index);
  EXPECT_NE(BlindIndex(ring_, "ab", "c"), BlindIndex(ring_, "a", "bc"));
  EXPECT_NE(index, Sha256Hex("N1234567"));
  // The documented construction, computed independently.
  const std::string message =
      std::string("\0\0\0\0\0\0\0\x10", 8) + "persons.document" + std::string("\0\0\0\0\0\0\0\x08", 8) + "N1234567";
  std::string expected;
  for (const unsigned char b : HmacSha256(index_key_, message)) {
    static constexpr char kHex[] = "0123456789abcdef";
    expected += kHex[b >> 4];
    expected += kHex[b & 0x0F];
  }
  EXPECT_EQ(index, expected);
  // Another key file gives other indexes.
  const std::string other_ki = RandomBytes(32);
  const KeyRing other = *ParseKeyRing("ctims-keyring 1\n" + KeyLine(1, RandomBytes(32), other_ki));
  EXPECT_NE(BlindIndex(other, "persons.document", "N1234567"), index);
}

}  // namespace
}  // namespace ctims::core
