#include "crypto/blake2b.h"

#include <sodium.h>

#include <cassert>

#include "crypto/sodium.h"

namespace caseledger::crypto {

static_assert(kBlake2bKeyBytes == crypto_generichash_KEYBYTES);

Bytes Blake2bKeyed(const SecretBytes& key, ByteView data) {
  assert(key.size() >= crypto_generichash_KEYBYTES_MIN &&
         key.size() <= crypto_generichash_KEYBYTES_MAX);
  Bytes out(crypto_generichash_BYTES);
  CheckSodium(crypto_generichash(out.data(), out.size(), data.data(),
                                 data.size(), key.data(), key.size()),
              "BLAKE2b");
  return out;
}

SecretBytes DeriveSubkey(const SecretBytes& master, std::string_view context) {
  assert(master.size() >= crypto_generichash_KEYBYTES_MIN &&
         master.size() <= crypto_generichash_KEYBYTES_MAX);
  SecretBytes out(32);
  CheckSodium(
      crypto_generichash(out.data(), out.size(),
                         reinterpret_cast<const unsigned char*>(context.data()),
                         context.size(), master.data(), master.size()),
      "BLAKE2b subkey derivation");
  return out;
}

}  // namespace caseledger::crypto
