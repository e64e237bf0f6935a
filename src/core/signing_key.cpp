#include "core/signing_key.hpp"

#include <sodium.h>

#include "core/secret_file.hpp"

namespace ctims::core {
namespace {

constexpr std::string_view kHeader = "ctims-signing-key 1";
constexpr off_t kMaxFileBytes = 4096;
constexpr std::string_view kLabel = "signing key file";

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
  return WriteSecretFileAtomically(path, contents, /*replace=*/false, kLabel);
}

Result<SigningKeyPair> LoadSigningKeyFile(const std::string& path) {
  CTIMS_ASSIGN_OR_RETURN(SecretFile file, ReadSecretFile(path, kLabel, kMaxFileBytes));
  WipeOnExit wipe(file.contents);
  const auto malformed = [&] {
    return Status::InvalidArgument("signing key file " + path + " is not a ctims signing key file (\"" +
                                   std::string(kHeader) + "\" and one base64 line)");
  };
  std::string_view text = file.contents;
  if (text.ends_with('\n')) text.remove_suffix(1);
  const size_t eol = text.find('\n');
  if (eol == std::string_view::npos || text.substr(0, eol) != kHeader) return malformed();
  Result<std::string> secret = Base64Decode(text.substr(eol + 1));
  if (!secret.ok() || secret->size() != kSigningSecretKeyBytes) {
    if (secret.ok()) WipeString(*secret);
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
    WipeString(pair.secret_key);
    return Status::Internal("cannot derive the public key of " + path);
  }
  pair.public_key.assign(reinterpret_cast<const char*>(pk), sizeof pk);
  if (pair.secret_key.compare(crypto_sign_SEEDBYTES, std::string::npos, pair.public_key) != 0) {
    WipeString(pair.secret_key);
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
