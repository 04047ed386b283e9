// libsodium initialisation. Init() must succeed before any other crypto/
// function is used; it is idempotent and thread-safe.
#pragma once

#include "base/status.h"

namespace caseledger::crypto {

// Initialises libsodium (sodium_init). Returns Internal if the library cannot
// be initialised (e.g. no entropy source).
Status Init();

}  // namespace caseledger::crypto
