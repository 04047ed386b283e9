// libsodium initialisation. Init() must succeed before any other crypto/
// function is used; it is idempotent and thread-safe.
#pragma once

#include "base/status.h"

namespace caseledger::crypto {

// Initialises libsodium (sodium_init). Returns Internal if the library cannot
// be initialised (e.g. no entropy source).
Status Init();

// For libsodium calls that cannot fail on valid inputs (hashing, signing,
// sealing with a right-sized key): if `rc` is not 0, prints `what` to stderr
// and aborts the process. A failure there means a broken precondition or a
// broken library, and there is no safe way to continue with key material in
// flight.
void CheckSodium(int rc, const char* what);

}  // namespace caseledger::crypto
