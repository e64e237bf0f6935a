#include "core/signing_key.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/crypto.hpp"
#include "core/id.hpp"

namespace ctims::core {
namespace {

class SigningKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("ctims-signing-" + NewId().substr(24));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "audit.key").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SigningKeyTest, InitCreatesAnOwnerOnlyFileThatSigns) {
  ASSERT_TRUE(InitSigningKeyFile(path_).ok());
  struct stat info {};
  ASSERT_EQ(::stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto pair = LoadSigningKeyFile(path_);
  ASSERT_TRUE(pair.ok()) << pair.status().ToString();
  EXPECT_EQ(pair->public_key.size(), kSigningPublicKeyBytes);
  auto sig = Sign(pair->secret_key, "head");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(VerifySignature(pair->public_key, "head", *sig));
  // No temporary file is left beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), std::filesystem::directory_iterator()), 1);
}

TEST_F(SigningKeyTest, NeverOverwrites) {
  ASSERT_TRUE(InitSigningKeyFile(path_).ok());
  auto before = LoadSigningKeyFile(path_);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(InitSigningKeyFile(path_).code(), StatusCode::kAlreadyExists);
  bool created = true;
  auto again = LoadOrInitSigningKeyFile(path_, &created);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(created);
  EXPECT_EQ(again->public_key, before->public_key);
}

TEST_F(SigningKeyTest, LoadOrInitCreatesWhenMissing) {
  bool created = false;
  auto pair = LoadOrInitSigningKeyFile(path_, &created);
  ASSERT_TRUE(pair.ok()) << pair.status().ToString();
  EXPECT_TRUE(created);
  EXPECT_EQ(LoadSigningKeyFile(path_)->public_key, pair->public_key);
}

TEST_F(SigningKeyTest, RefusesLooseModesAndDamagedFiles) {
  EXPECT_EQ(LoadSigningKeyFile(path_).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(InitSigningKeyFile(path_).ok());
  ::chmod(path_.c_str(), 0644);
  EXPECT_EQ(LoadSigningKeyFile(path_).status().code(), StatusCode::kPermissionDenied);
  ::chmod(path_.c_str(), 0600);

  // The public half no longer matches the seed.
  std::string secret = LoadSigningKeyFile(path_)->secret_key;
  secret[40] = static_cast<char>(secret[40] ^ 1);
  std::ofstream(path_, std::ios::trunc) << "ctims-signing-key 1\n" << Base64Encode(secret) << "\n";
  EXPECT_EQ(LoadSigningKeyFile(path_).status().code(), StatusCode::kInvalidArgument);
  std::ofstream(path_, std::ios::trunc) << "ctims-keyring 1\nv1 AAAA AAAA\n";
  EXPECT_EQ(LoadSigningKeyFile(path_).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SigningKeyTest, PublicKeysInBase64OrHex) {
  const SigningKeyPair pair = NewSigningKeyPair();
  const std::string b64 = FormatSigningPublicKey(pair.public_key);
  EXPECT_EQ(b64.size(), 44u);
  EXPECT_EQ(*ParseSigningPublicKey(b64), pair.public_key);
  std::string hex;
  for (const unsigned char c : pair.public_key) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    hex += kHex[c >> 4];
    hex += kHex[c & 0xF];
  }
  EXPECT_EQ(*ParseSigningPublicKey(hex), pair.public_key);
  EXPECT_FALSE(ParseSigningPublicKey("").ok());
  EXPECT_FALSE(ParseSigningPublicKey(hex.substr(2)).ok());
  EXPECT_FALSE(ParseSigningPublicKey(Base64Encode(pair.secret_key)).ok());
}

}  // namespace
}  // namespace ctims::core
