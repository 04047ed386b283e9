#include "crypto/base64.h"

#include <sodium.h>

namespace caseledger::crypto {

std::string Base64Encode(ByteView data) {
  constexpr int kVariant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(data.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), data.data(), data.size(), kVariant);
  out.resize(out.size() - 1);  // drop the terminating NUL
  return out;
}

Result<Bytes> Base64Decode(std::string_view text) {
  Bytes out(text.size() / 4 * 3 + 3);
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len,
                        &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return InvalidArgument("not valid base64");
  }
  out.resize(len);
  return out;
}

}  // namespace caseledger::crypto
