// Catch2 main for every test executable: initialises libsodium first.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdio>

#include "crypto/sodium.h"

int main(int argc, char* argv[]) {
  if (!caseledger::crypto::Init().ok()) {
    std::fprintf(stderr, "libsodium could not be initialised\n");
    return 2;
  }
  return Catch::Session().run(argc, argv);
}
