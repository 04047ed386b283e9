// Random bytes from libsodium's CSPRNG (randombytes_buf). Thread-safe.
#pragma once

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace caseledger::crypto {

template <std::size_t N>
std::array<std::uint8_t, N> RandomArray() {
  std::array<std::uint8_t, N> out{};
  randombytes_buf(out.data(), out.size());
  return out;
}

// Fills `out` with random bytes in one call (one system call for many values).
inline void RandomFill(std::span<std::uint8_t> out) {
  if (!out.empty()) randombytes_buf(out.data(), out.size());  // data() may be null when empty
}

}  // namespace caseledger::crypto
