#include "crypto/secret.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace caseledger::crypto {

SecretBytes::SecretBytes(std::size_t size) : size_(size) {
  data_ = static_cast<std::uint8_t*>(sodium_malloc(size == 0 ? 1 : size));
  if (data_ == nullptr) std::abort();
  sodium_memzero(data_, size == 0 ? 1 : size);
}

SecretBytes::~SecretBytes() {
  if (data_ != nullptr) sodium_free(data_);  // wipes before freeing
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) sodium_free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void SecretBytes::Randomize() { randombytes_buf(data_, size_); }

void SecretBytes::Wipe() { sodium_memzero(data_, size_); }

SecretBytes SecretBytes::Clone() const {
  SecretBytes copy(size_);
  if (size_ > 0) std::memcpy(copy.data_, data_, size_);
  return copy;
}

}  // namespace caseledger::crypto
