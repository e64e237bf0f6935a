#pragma once

// Test-only: key rings built in memory (core::ParseKeyRing), so that tests can
// hold the same data keys under several versions, as a key file does before
// and after a rotation.

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/crypto.hpp"
#include "core/keyring.hpp"

namespace ctims::app::testing {

// Data keys by version and one blind-index key, as a key file would hold them.
struct TestKeys {
  std::map<int, std::string> data;  // version -> 32 random bytes
  std::string index = core::RandomBytes(32);

  // Adds version (highest + 1) with a fresh data key; returns it.
  int Add() {
    const int version = data.empty() ? 1 : data.rbegin()->first + 1;
    data[version] = core::RandomBytes(32);
    return version;
  }

  // The ring of the versions in `data` (all of them).
  core::KeyRing Ring() const {
    std::string text = "ctims-keyring 1\n";
    for (const auto& [version, key] : data) {
      text += "v" + std::to_string(version) + " " + core::Base64Encode(key) + " " + core::Base64Encode(index) + "\n";
    }
    auto ring = core::ParseKeyRing(text);
    EXPECT_TRUE(ring.ok()) << ring.status().ToString();
    return std::move(ring).value();
  }
};

}  // namespace ctims::app::testing
