#include "core/crypto.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

namespace ctims::core {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0x0F];
  }
  return out;
}

std::vector<std::string> Rules(const std::vector<FieldError>& errors) {
  std::vector<std::string> rules;
  for (const FieldError& e : errors) {
    EXPECT_EQ(e.path, "password");
    rules.push_back(e.rule);
  }
  return rules;
}

std::string Repeat(std::string_view unit, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += unit;
  return out;
}

// ---- Randomness, digests, encodings ----

TEST(CryptoTest, InitIsIdempotent) {
  EXPECT_TRUE(InitCrypto().ok());
  EXPECT_TRUE(InitCrypto().ok());
}

TEST(CryptoTest, RandomBytesHaveTheRequestedSizeAndDiffer) {
  EXPECT_EQ(RandomBytes(0), "");
  const std::string a = RandomBytes(32);
  const std::string b = RandomBytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(CryptoTest, RandomTokenIsUrlSafeUnpaddedAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string token = RandomToken();
    ASSERT_EQ(token.size(), 43u) << token;  // 256 bits
    for (const char c : token) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << token;
    }
    EXPECT_TRUE(seen.insert(token).second);
  }
  EXPECT_EQ(RandomToken(16).size(), 22u);
}

TEST(CryptoTest, Sha256KnownAnswers) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, HmacSha256Rfc4231Vectors) {
  // Test case 1.
  EXPECT_EQ(ToHex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a key shorter than the block.
  EXPECT_EQ(ToHex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block is hashed first.
  EXPECT_EQ(ToHex(HmacSha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("token-123", "token-123"));
  EXPECT_FALSE(ConstantTimeEquals("token-123", "token-124"));  // last byte
  EXPECT_FALSE(ConstantTimeEquals("token-123", "Token-123"));  // first byte
  EXPECT_FALSE(ConstantTimeEquals("token-123", "token-12"));   // prefix
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(CryptoTest, Base64Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    const Result<std::string> decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(*Base64Decode(Base64Encode(all)), all);
}

TEST(CryptoTest, Base64DecodeIsStrict) {
  for (const char* bad :
       {"Zg", "Zg=", "Zh==", "Zm9v\n", "Zm9v!", "Z", "Zm9vYg=", "Zm9-", "Zm9_", " Zm9v", "Zg==Zg=="}) {
    const Result<std::string> r = Base64Decode(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

// ---- Passwords ----

// Parses "$argon2id$v=19$m=<m>,t=<t>,p=<p>$..." for the OWASP floor check.
struct PhcParams {
  std::string alg;
  long m = 0;
  long t = 0;
  long p = 0;
};
PhcParams ParsePhc(const std::string& hash) {
  PhcParams out;
  const size_t alg_end = hash.find('$', 1);
  out.alg = hash.substr(1, alg_end - 1);
  const size_t m_pos = hash.find("$m=");
  if (m_pos == std::string::npos) return out;
  std::sscanf(hash.c_str() + m_pos, "$m=%ld,t=%ld,p=%ld", &out.m, &out.t, &out.p);
  return out;
}

TEST(PasswordTest, HashIsArgon2idAtLeastAtTheOwaspFloor) {
  const Result<std::string> hash = HashPassword("correct horse battery staple");
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  const PhcParams params = ParsePhc(*hash);
  EXPECT_EQ(params.alg, "argon2id");
  EXPECT_GE(params.m, 19456);  // KiB
  EXPECT_GE(params.t, 2);
  EXPECT_EQ(params.p, 1);
  EXPECT_EQ(static_cast<size_t>(params.m) * 1024, kPasswordMemLimit);
  EXPECT_EQ(static_cast<unsigned long long>(params.t), kPasswordOpsLimit);
  EXPECT_EQ(hash->find("correct"), std::string::npos);
}

TEST(PasswordTest, VerifyAcceptsOnlyTheRightPassword) {
  const std::string password = "Ngeun kip 2024 Bokeo!";
  const std::string hash = *HashPassword(password);
  EXPECT_TRUE(VerifyPassword(hash, password));
  EXPECT_FALSE(VerifyPassword(hash, "Ngeun kip 2024 Bokeo"));
  EXPECT_FALSE(VerifyPassword(hash, "ngeun kip 2024 Bokeo!"));
  EXPECT_FALSE(VerifyPassword(hash, ""));
  EXPECT_FALSE(VerifyPassword(hash, password + std::string(1, '\0')));
}

TEST(PasswordTest, SaltMakesEveryHashDifferent) {
  const std::string a = *HashPassword("same password twice");
  const std::string b = *HashPassword("same password twice");
  EXPECT_NE(a, b);
  EXPECT_TRUE(VerifyPassword(a, "same password twice"));
  EXPECT_TRUE(VerifyPassword(b, "same password twice"));
}

TEST(PasswordTest, MalformedHashesNeverVerify) {
  const std::string hash = *HashPassword("a good long passphrase");
  EXPECT_FALSE(VerifyPassword("", "a good long passphrase"));
  EXPECT_FALSE(VerifyPassword("not a hash", "a good long passphrase"));
  EXPECT_FALSE(VerifyPassword(hash.substr(0, hash.size() - 5), "a good long passphrase"));
  std::string flipped = hash;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyPassword(flipped, "a good long passphrase"));
  // An embedded NUL must not make libsodium see only a prefix of the string.
  EXPECT_FALSE(VerifyPassword(hash + std::string(1, '\0') + "junk", "a good long passphrase"));
  EXPECT_FALSE(VerifyPassword(std::string(1000, '$'), "a good long passphrase"));
}

// Made once with libsodium 1.0.18: argon2id at OWASP's floor (m=19 MiB, t=2)
// and argon2i (t=3, m=19 MiB), both of "correct horse battery staple".
constexpr char kFloorArgon2idHash[] =
    "$argon2id$v=19$m=19456,t=2,p=1$0Qz5Sq3ttWaRLV7Ly7q2dQ$YrTzUvJgkrMrjmuqpAIJY09AENprIXg3r9YSI31Vfnw";
constexpr char kArgon2iHash[] =
    "$argon2i$v=19$m=19456,t=3,p=1$dc1g4Rzgbt7pHRlXxRW40g$cKz3Br6yXv1c3w7X1++85pydNoa+XXDhEYBnjjhvBP4";

TEST(PasswordTest, OlderParametersStillVerifyButNeedRehash) {
  EXPECT_TRUE(VerifyPassword(kFloorArgon2idHash, "correct horse battery staple"));
  EXPECT_FALSE(VerifyPassword(kFloorArgon2idHash, "correct horse battery stapler"));
  EXPECT_TRUE(PasswordNeedsRehash(kFloorArgon2idHash));
  EXPECT_TRUE(VerifyPassword(kArgon2iHash, "correct horse battery staple"));
  EXPECT_TRUE(PasswordNeedsRehash(kArgon2iHash));
  EXPECT_FALSE(PasswordNeedsRehash(*HashPassword("correct horse battery staple")));
  EXPECT_TRUE(PasswordNeedsRehash(""));
  EXPECT_TRUE(PasswordNeedsRehash("garbage"));
}

TEST(PasswordPolicyTest, LengthIsCountedInCodePoints) {
  EXPECT_EQ(Rules(CheckPasswordPolicy("kdjfhqzmxwp")), std::vector<std::string>{"min_length"});  // 11
  EXPECT_TRUE(CheckPasswordPolicy("kdj3 fhq8 zmx").empty());                                     // 13, spaces fine
  EXPECT_TRUE(CheckPasswordPolicy("kdjfhqzmxwpv").empty());                                      // exactly 12
  // Lao letters are 3 bytes each: 11 of them are 33 bytes but 11 characters.
  EXPECT_EQ(Rules(CheckPasswordPolicy(Repeat("\u0e81", 11))), std::vector<std::string>{"min_length"});
  EXPECT_TRUE(CheckPasswordPolicy(Repeat("\u0e81", 12)).empty());
  EXPECT_TRUE(CheckPasswordPolicy(Repeat("\u0e81", 128)).empty());  // 384 bytes
  EXPECT_EQ(Rules(CheckPasswordPolicy(Repeat("\u0e81", 129))), std::vector<std::string>{"max_length"});
  EXPECT_TRUE(CheckPasswordPolicy(Repeat("x", 64)).empty());  // ASVS 2.1.2: 64 allowed
  EXPECT_TRUE(CheckPasswordPolicy(Repeat("x", 128)).empty());
  EXPECT_EQ(Rules(CheckPasswordPolicy(Repeat("x", 129))), std::vector<std::string>{"max_length"});
  // A 4-byte character (U+1F510) is one code point.
  EXPECT_TRUE(CheckPasswordPolicy(Repeat("\U0001F510", 12)).empty());
}

TEST(PasswordPolicyTest, RunsOfSpacesCountOnceTowardsTheMinimum) {
  EXPECT_EQ(Rules(CheckPasswordPolicy("a          b")), std::vector<std::string>{"min_length"});  // 12 code points
  EXPECT_TRUE(CheckPasswordPolicy("tree  house  lamp").empty());
}

TEST(PasswordPolicyTest, InvalidUtf8IsRefused) {
  for (const std::string& bad : {std::string("abcdefghijkl\xff"), std::string("abcdefghijkl\xc0\xaf"),  // overlong
                                 std::string("abcdefghijkl\xed\xa0\x80"),                               // surrogate
                                 std::string("abcdefghijkl\xf4\x90\x80\x80"),                           // > U+10FFFF
                                 std::string("abcdefghijkl\xe0\x81")}) {                                // truncated
    EXPECT_EQ(Rules(CheckPasswordPolicy(bad)), std::vector<std::string>{"utf8"});
  }
}

TEST(PasswordPolicyTest, CommonPasswordsAreRefusedWhateverTheirCaseOrSurroundingSpace) {
  EXPECT_EQ(Rules(CheckPasswordPolicy("password1234")), std::vector<std::string>{"common_password"});
  EXPECT_EQ(Rules(CheckPasswordPolicy("  PassWord1234\t")), std::vector<std::string>{"common_password"});
  EXPECT_EQ(Rules(CheckPasswordPolicy("QWERTYUIOP123")), std::vector<std::string>{"common_password"});
  EXPECT_EQ(Rules(CheckPasswordPolicy("123456789012")), std::vector<std::string>{"common_password"});
  EXPECT_EQ(Rules(CheckPasswordPolicy("1qaz2wsx3edc")), std::vector<std::string>{"common_password"});
  EXPECT_EQ(Rules(CheckPasswordPolicy("sabaidee1234")), std::vector<std::string>{"common_password"});
  // Short and common: both rules are reported.
  EXPECT_EQ(Rules(CheckPasswordPolicy("password")), (std::vector<std::string>{"min_length", "common_password"}));
  // Messages never echo the password.
  for (const FieldError& e : CheckPasswordPolicy("password1234"))
    EXPECT_EQ(e.message.find("password1234"), std::string::npos);
  EXPECT_FALSE(IsCommonPassword("tamarind-gecko-lantern"));
  EXPECT_FALSE(IsCommonPassword(RandomToken(12)));
}

TEST(PasswordPolicyTest, ShippedListHasAtLeastTenThousandEntriesAndAllAreRefused) {
  const EmbeddedFile* ours = nullptr;
  for (const EmbeddedFile& file : EmbeddedCommonPasswords()) {
    if (file.name == "common-passwords.txt") ours = &file;
  }
  ASSERT_NE(ours, nullptr);
  size_t entries = 0;
  std::string_view rest = ours->contents;
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    std::string line(rest.substr(0, eol));
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    ASSERT_FALSE(line.empty());
    ++entries;
    for (char& c : line) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    ASSERT_TRUE(IsCommonPassword(line)) << "entry " << entries;
  }
  EXPECT_GE(entries, 10000u);
}

// ---- AEAD ----

TEST(SealTest, RoundTrip) {
  const std::string key = NewSecretKey();
  ASSERT_EQ(key.size(), kSecretKeyBytes);
  for (const std::string& plaintext :
       {std::string(), std::string("Somchai"), std::string(5000, 'x'), std::string("nul\0inside", 10)}) {
    const Result<std::string> sealed = Seal(key, plaintext, "persons/name/123");
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(sealed->size(), plaintext.size() + kSealNonceBytes + kSealTagBytes);
    const Result<std::string> opened = Open(key, *sealed, "persons/name/123");
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(*opened, plaintext);
  }
}

TEST(SealTest, FreshNonceEveryTime) {
  const std::string key = NewSecretKey();
  const std::string a = *Seal(key, "same", "");
  const std::string b = *Seal(key, "same", "");
  EXPECT_NE(a.substr(0, kSealNonceBytes), b.substr(0, kSealNonceBytes));
  EXPECT_NE(a, b);
}

void ExpectDecryptionFailed(const Result<std::string>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "decryption failed");
}

TEST(SealTest, AnyModificationIsDetected) {
  const std::string key = NewSecretKey();
  const std::string sealed = *Seal(key, "passport N1234567", "ad");
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (const unsigned char bit : {0x01, 0x80}) {
      std::string bad = sealed;
      bad[i] = static_cast<char>(bad[i] ^ bit);
      ExpectDecryptionFailed(Open(key, bad, "ad"));
    }
  }
  ExpectDecryptionFailed(Open(key, sealed.substr(0, sealed.size() - 1), "ad"));
  ExpectDecryptionFailed(Open(key, sealed + "x", "ad"));
  ExpectDecryptionFailed(Open(key, sealed.substr(0, kSealNonceBytes + kSealTagBytes - 1), "ad"));
  ExpectDecryptionFailed(Open(key, "", "ad"));
}

TEST(SealTest, WrongKeyOrAssociatedDataFails) {
  const std::string key = NewSecretKey();
  const std::string sealed = *Seal(key, "secret", "row-1");
  ExpectDecryptionFailed(Open(NewSecretKey(), sealed, "row-1"));
  ExpectDecryptionFailed(Open(key, sealed, "row-2"));
  ExpectDecryptionFailed(Open(key, sealed, ""));
}

TEST(SealTest, WrongKeySizeIsAnInternalError) {
  EXPECT_EQ(Seal("short", "x", "").status().code(), StatusCode::kInternal);
  EXPECT_EQ(Open(std::string(31, 'k'), std::string(64, 'c'), "").status().code(), StatusCode::kInternal);
  EXPECT_EQ(Seal(std::string(33, 'k'), "x", "").status().code(), StatusCode::kInternal);
}

// ---- Ed25519 ----

TEST(SignatureTest, Rfc8032TestVector1) {
  const std::string seed = FromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const std::string public_key = FromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const std::string expected = FromHex(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe"
      "24655141438e7a100b");
  const Result<std::string> signature = Sign(seed + public_key, "");
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(ToHex(*signature), ToHex(expected));
  EXPECT_TRUE(VerifySignature(public_key, "", expected));
}

TEST(SignatureTest, SignAndVerify) {
  const SigningKeyPair pair = NewSigningKeyPair();
  ASSERT_EQ(pair.public_key.size(), kSigningPublicKeyBytes);
  ASSERT_EQ(pair.secret_key.size(), kSigningSecretKeyBytes);
  const std::string message = "checkpoint 10000 0f3a...";
  const std::string signature = *Sign(pair.secret_key, message);
  EXPECT_EQ(signature.size(), kSignatureBytes);
  EXPECT_EQ(*Sign(pair.secret_key, message), signature);  // deterministic
  EXPECT_TRUE(VerifySignature(pair.public_key, message, signature));
  EXPECT_FALSE(VerifySignature(pair.public_key, message + ".", signature));
  std::string bad = signature;
  bad[10] = static_cast<char>(bad[10] ^ 1);
  EXPECT_FALSE(VerifySignature(pair.public_key, message, bad));
  EXPECT_FALSE(VerifySignature(NewSigningKeyPair().public_key, message, signature));
  EXPECT_FALSE(VerifySignature(pair.public_key, message, signature.substr(1)));
  EXPECT_FALSE(VerifySignature(pair.public_key.substr(1), message, signature));
  EXPECT_FALSE(VerifySignature(pair.public_key, message, ""));
  EXPECT_NE(NewSigningKeyPair().public_key, pair.public_key);
}

TEST(SignatureTest, WrongSecretKeySizeIsAnInternalError) {
  EXPECT_EQ(Sign(std::string(32, 'k'), "m").status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace ctims::core
