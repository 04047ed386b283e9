#include "crypto/base64.h"

#include <sodium.h>

#include "crypto/sodium.h"

namespace caseledger::crypto {
namespace {

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

}  // namespace

std::string Base64Encode(ByteView data) {
  constexpr int kVariant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(data.size(), kVariant), '\0');
  if (sodium_bin2base64(out.data(), out.size(), data.data(), data.size(),
                        kVariant) == nullptr) {
    CheckSodium(-1, "base64 encoding");
  }
  out.resize(out.size() - 1);  // drop the terminating NUL
  return out;
}

Result<Bytes> Base64Decode(std::string_view text) {
  // libsodium 1.0.18's decoder reads characters as signed, and its
  // constant-time comparisons then take every byte >= 0x80 for '/': so check
  // the alphabet first.
  for (char c : text) {
    if (!IsBase64Char(c)) return InvalidArgument("not valid base64");
  }
  Bytes out(text.size() / 4 * 3 + 3);
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(),
                        nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return InvalidArgument("not valid base64");
  }
  out.resize(len);
  return out;
}

}  // namespace caseledger::crypto
