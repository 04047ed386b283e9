#include "crypto/sodium.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace caseledger::crypto {

Status Init() {
  if (sodium_init() < 0) return Internal("libsodium could not be initialised");
  return Status::Ok();
}

void CheckSodium(int rc, const char* what) {
  if (rc == 0) return;
  std::fprintf(stderr, "caseledger: libsodium %s failed (rc=%d); aborting\n",
               what, rc);
  std::abort();
}

}  // namespace caseledger::crypto
