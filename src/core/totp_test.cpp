#include "core/totp.hpp"

#include <gtest/gtest.h>

#include <set>

namespace ctims::core {
namespace {

// RFC 6238 Appendix B / RFC 4226 Appendix D: the SHA-1 seed is the ASCII text.
constexpr std::string_view kRfcSecret = "12345678901234567890";

TEST(TotpTest, Rfc6238Sha1Vectors) {
  const std::pair<int64_t, const char*> vectors[] = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
  };
  for (const auto& [time, code] : vectors) {
    EXPECT_EQ(TotpCode(kRfcSecret, time, 8), code) << time;
    // Six digits are the same truncation reduced modulo 10^6.
    EXPECT_EQ(TotpCode(kRfcSecret, time), std::string(code).substr(2)) << time;
  }
}

TEST(TotpTest, Rfc4226HotpVectors) {
  // With period 30, time 30*c is counter c.
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (int c = 0; c < 10; ++c) EXPECT_EQ(TotpCode(kRfcSecret, int64_t{30} * c), expected[c]) << c;
  // Any time inside a step gives that step's code.
  EXPECT_EQ(TotpCode(kRfcSecret, 30 * 3 + 29), "969429");
  EXPECT_EQ(TotpCode(kRfcSecret, int64_t{3} * 60, 6, 60), "969429");
}

TEST(TotpTest, BrokenPreconditionsGiveNoCode) {
  EXPECT_EQ(TotpCode("", 59), "");
  EXPECT_EQ(TotpCode(kRfcSecret, -1), "");
  EXPECT_EQ(TotpCode(kRfcSecret, 59, 5), "");
  EXPECT_EQ(TotpCode(kRfcSecret, 59, 9), "");
  EXPECT_EQ(TotpCode(kRfcSecret, 59, 6, 0), "");
  EXPECT_EQ(TotpCode(kRfcSecret, 59, 6, -30), "");
}

TEST(TotpTest, AcceptsTheCurrentStepAndOneStepOfDrift) {
  const std::string secret = NewTotpSecret();
  const int64_t now = 1'800'000'015;  // inside step 60'000'000
  const int64_t step = now / 30;
  const std::string code = TotpCode(secret, now);
  EXPECT_EQ(VerifyTotp(secret, code, now), step);
  EXPECT_EQ(VerifyTotp(secret, code, now + 30), step);  // our clock ahead by a step
  EXPECT_EQ(VerifyTotp(secret, code, now - 30), step);  // our clock behind by a step
  EXPECT_EQ(VerifyTotp(secret, code, now + 60), std::nullopt);
  EXPECT_EQ(VerifyTotp(secret, code, now - 60), std::nullopt);
  EXPECT_EQ(VerifyTotp(secret, code, now + 30, 0), std::nullopt);
  EXPECT_EQ(VerifyTotp(secret, code, now, 0), step);
  EXPECT_EQ(VerifyTotp(secret, code, now + 60, 2), step);
  EXPECT_EQ(VerifyTotp(NewTotpSecret(), code, now), std::nullopt);
}

TEST(TotpTest, ReturnedStepLetsTheCallerRefuseReuse) {
  const std::string secret = NewTotpSecret();
  const int64_t now = 1'800'000'000;
  int64_t last_used = -1;
  auto login = [&](const std::string& code, int64_t at) {
    const std::optional<int64_t> step = VerifyTotp(secret, code, at);
    if (!step || *step <= last_used) return false;
    last_used = *step;
    return true;
  };
  const std::string code = TotpCode(secret, now);
  EXPECT_TRUE(login(code, now));
  EXPECT_FALSE(login(code, now + 5));   // replay within the window
  EXPECT_FALSE(login(code, now + 30));  // replay a step later, still inside the drift window
  const std::string next = TotpCode(secret, now + 30);
  EXPECT_TRUE(login(next, now + 31));
  // An older code still inside the window must not be accepted after a newer one.
  EXPECT_FALSE(login(code, now + 31));
}

TEST(TotpTest, RejectsMalformedAndNearMissCodes) {
  const int64_t now = 1111111111;
  const std::string code = TotpCode(kRfcSecret, now);  // "050471"
  ASSERT_EQ(code, "050471");
  for (const char* bad : {"", "50471", "0504710", " 050471", "050471 ", "05047a", "+50471", "05047\xd9\xa1",
                          "150471",       // first digit wrong
                          "050470",       // last digit wrong
                          "14050471"}) {  // the 8-digit code
    EXPECT_EQ(VerifyTotp(kRfcSecret, bad, now), std::nullopt) << bad;
  }
  EXPECT_EQ(VerifyTotp(kRfcSecret, "14050471", now, 1, 8), now / 30);
  EXPECT_EQ(VerifyTotp(kRfcSecret, code, now, -1), std::nullopt);
  EXPECT_EQ(VerifyTotp(kRfcSecret, code, now, kTotpMaxWindow + 1), std::nullopt);
  EXPECT_EQ(VerifyTotp("", code, now), std::nullopt);
  EXPECT_EQ(VerifyTotp(kRfcSecret, code, -1), std::nullopt);
}

TEST(TotpTest, WindowAtTheEpochSkipsNegativeSteps) {
  const std::string code = TotpCode(kRfcSecret, 0);
  EXPECT_EQ(VerifyTotp(kRfcSecret, code, 0, 3), 0);
  EXPECT_EQ(VerifyTotp(kRfcSecret, TotpCode(kRfcSecret, 30), 0), 1);
}

TEST(TotpTest, NewSecretsAreRandom160Bits) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string s = NewTotpSecret();
    EXPECT_EQ(s.size(), kTotpSecretBytes);
    EXPECT_TRUE(seen.insert(s).second);
  }
}

TEST(Base32Test, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "MY======"},
      {"fo", "MZXQ===="},
      {"foo", "MZXW6==="},
      {"foob", "MZXW6YQ="},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI======"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base32Encode(plain), encoded);
    EXPECT_EQ(*Base32Decode(encoded), plain) << encoded;
    std::string unpadded = encoded.substr(0, encoded.find('='));
    EXPECT_EQ(*Base32Decode(unpadded), plain) << unpadded;
    for (char& c : unpadded) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(*Base32Decode(unpadded), plain) << unpadded;
  }
  EXPECT_EQ(Base32Encode(kRfcSecret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(*Base32Decode(Base32Encode(all)), all);
}

TEST(Base32Test, RejectsInvalidText) {
  for (const char* bad : {"M", "MZX", "MZXW6Y", "MY=", "MY=====", "MY=======", "MY======A", "MZ======", "MZ",
                          "MY0=====", "MY1=====", "MY =====", "GEZD GNBV", "========", "MY==A===", "M!======"}) {
    const Result<std::string> r = Base32Decode(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(OtpauthUriTest, EncodesLabelAndParameters) {
  EXPECT_EQ(OtpauthUri("ctims Bokeo", "anna@example.org", kRfcSecret),
            "otpauth://totp/ctims%20Bokeo:anna%40example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=ctims%20Bokeo&algorithm=SHA1&digits=6&period=30");
  // A colon or '&' inside a part cannot break the label or the query.
  EXPECT_EQ(OtpauthUri("a:b", "c&d=e", "f"),
            "otpauth://totp/a%3Ab:c%26d%3De?secret=MY&issuer=a%3Ab&algorithm=SHA1&digits=6&period=30");
  // The URI's secret decodes back to the secret.
  const std::string secret = NewTotpSecret();
  const std::string uri = OtpauthUri("ctims", "user", secret);
  const size_t start = uri.find("secret=") + 7;
  EXPECT_EQ(*Base32Decode(uri.substr(start, uri.find('&', start) - start)), secret);
}

}  // namespace
}  // namespace ctims::core
