// Helpers shared by the crypto tests: hex literals into bytes and secrets.
#pragma once

#include <catch2/catch.hpp>
#include <cstring>
#include <string_view>

#include "base/bytes.h"
#include "crypto/secret.h"

namespace caseledger::crypto::testing {

inline Bytes Hex(std::string_view hex) {
  Result<Bytes> b = FromHex(hex);
  REQUIRE(b.ok());
  return std::move(b).value();
}

inline SecretBytes SecretFromBytes(ByteView b) {
  SecretBytes s(b.size());
  if (!b.empty()) std::memcpy(s.data(), b.data(), b.size());
  return s;
}

inline SecretBytes SecretHex(std::string_view hex) {
  return SecretFromBytes(Hex(hex));
}

inline Bytes ToBytes(ByteView b) { return Bytes(b.begin(), b.end()); }

}  // namespace caseledger::crypto::testing
