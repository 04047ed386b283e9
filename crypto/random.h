// Random bytes from libsodium's CSPRNG (randombytes_buf). Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace caseledger::crypto {

// Fills `out` with random bytes in one call (one system call for many values).
void RandomFill(std::span<std::uint8_t> out);

template <std::size_t N>
std::array<std::uint8_t, N> RandomArray() {
  std::array<std::uint8_t, N> out{};
  RandomFill(out);
  return out;
}

}  // namespace caseledger::crypto
