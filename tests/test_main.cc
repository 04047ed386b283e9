// Catch2 main for every test executable: initialises libsodium first, and
// turns on demo mode (tests use demo master keys in their temporary data
// dirs; the binaries they start inherit it). Tests of the production rules
// unset it themselves.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>

#include "crypto/sodium.h"

int main(int argc, char* argv[]) {
  if (!caseledger::crypto::Init().ok()) {
    std::fprintf(stderr, "libsodium could not be initialised\n");
    return 2;
  }
  ::setenv("CASELEDGER_DEMO", "1", 1);
  ::unsetenv("CASELEDGER_MASTER_KEY_FILE");
  ::unsetenv("CASELEDGER_MASTER_PASSPHRASE_FILE");
  return Catch::Session().run(argc, argv);
}
