#include "crypto/sodium.h"

#include <sodium.h>

namespace caseledger::crypto {

Status Init() {
  if (sodium_init() < 0) return Internal("libsodium could not be initialised");
  return Status::Ok();
}

}  // namespace caseledger::crypto
