#include "crypto/sha256.h"

// OpenSSL's libcrypto, not libsodium, for SHA-256 alone: it uses the CPU's
// SHA extensions (SHA-NI, ARMv8 SHA2) where present, about 4x faster than
// libsodium's portable code on a 1 KiB event (docs/decisions.md #50). Every
// leaf hash, body AD and checkpoint root goes through here.
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace caseledger::crypto {

namespace {
// Like CheckSodium: these calls cannot fail on valid inputs, and a broken
// hash is no state to continue in.
void CheckOpenSsl(int rc, const char* what) {
  if (rc == 1) return;
  std::fprintf(stderr, "caseledger: %s failed in libcrypto; aborting\n", what);
  std::abort();
}

// Fetched once (an implicit fetch per call would cost a lookup each time).
const EVP_MD* Md() {
  static EVP_MD* const md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) CheckOpenSsl(0, "fetching SHA-256");
    return m;
  }();
  return md;
}

EVP_MD_CTX* NewContext() {
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  if (c == nullptr) CheckOpenSsl(0, "SHA-256 context");
  CheckOpenSsl(EVP_DigestInit_ex2(c, Md(), nullptr), "SHA-256 init");
  return c;
}

// The contexts of finished Sha256Hashers, kept per thread for the next one:
// a hasher per leaf, per fold of a case fact, etc. would otherwise allocate
// and free a context each (EVP_MD_CTX_new/free: 2 % of a rebuild's samples).
// A context is initialised again when it is taken.
class ContextPool {
 public:
  ~ContextPool() {
    alive_ = false;
    for (EVP_MD_CTX* c : free_) EVP_MD_CTX_free(c);
  }
  static EVP_MD_CTX* Take() {
    if (alive_ && !pool_.free_.empty()) {
      EVP_MD_CTX* c = pool_.free_.back();
      pool_.free_.pop_back();
      CheckOpenSsl(EVP_DigestInit_ex2(c, Md(), nullptr), "SHA-256 init");
      return c;
    }
    return NewContext();
  }
  static void Give(EVP_MD_CTX* c) {
    // After the thread's pool is gone (a hasher destroyed during thread exit),
    // or beyond a few per thread, a context is freed as before.
    if (alive_ && pool_.free_.size() < kMaxPerThread) {
      pool_.free_.push_back(c);
      return;
    }
    EVP_MD_CTX_free(c);
  }

 private:
  static constexpr std::size_t kMaxPerThread = 8;
  std::vector<EVP_MD_CTX*> free_;
  static thread_local ContextPool pool_;
  static thread_local bool alive_;  // trivially destructible: readable after ~ContextPool
};
thread_local ContextPool ContextPool::pool_;
thread_local bool ContextPool::alive_ = true;
}  // namespace

void Sha256Hasher::ContextFree::operator()(evp_md_ctx_st* c) const { ContextPool::Give(c); }

Digest Sha256(ByteView data) {
  Digest d;
  // One context per thread, reset per call: no allocation per hash.
  thread_local const std::unique_ptr<EVP_MD_CTX, Sha256Hasher::ContextFree> ctx(NewContext());
  CheckOpenSsl(EVP_DigestInit_ex2(ctx.get(), Md(), nullptr), "SHA-256 init");
  CheckOpenSsl(EVP_DigestUpdate(ctx.get(), data.data(), data.size()), "SHA-256 update");
  unsigned int n = 0;
  CheckOpenSsl(EVP_DigestFinal_ex(ctx.get(), d.bytes.data(), &n), "SHA-256 final");
  if (n != kSha256Bytes) CheckOpenSsl(0, "SHA-256 length");
  return d;
}

Sha256Hasher::Sha256Hasher() : ctx_(ContextPool::Take()) {}

Sha256Hasher& Sha256Hasher::Update(ByteView data) {
  CheckOpenSsl(EVP_DigestUpdate(ctx_.get(), data.data(), data.size()), "SHA-256 update");
  return *this;
}

Sha256Hasher& Sha256Hasher::Update(std::uint8_t byte) {
  CheckOpenSsl(EVP_DigestUpdate(ctx_.get(), &byte, 1), "SHA-256 update");
  return *this;
}

Digest Sha256Hasher::Final() {
  Digest d;
  unsigned int n = 0;
  CheckOpenSsl(EVP_DigestFinal_ex(ctx_.get(), d.bytes.data(), &n), "SHA-256 final");
  if (n != kSha256Bytes) CheckOpenSsl(0, "SHA-256 length");
  return d;
}

}  // namespace caseledger::crypto
