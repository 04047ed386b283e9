#include "crypto/random.h"

#include <sodium.h>

#include "crypto/constant_time.h"

namespace caseledger::crypto {

void RandomFill(std::span<std::uint8_t> out) {
  if (!out.empty()) randombytes_buf(out.data(), out.size());  // data() may be null when empty
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace caseledger::crypto
