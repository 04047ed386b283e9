// Comparison of secrets and their hashes in time that does not depend on
// where they differ (libsodium's sodium_memcmp). Pure; thread-safe.
#pragma once

#include <string_view>

namespace caseledger::crypto {

// True iff `a` and `b` are equal. The running time depends only on the
// lengths (unequal lengths return false at once: lengths are not secret here).
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace caseledger::crypto
