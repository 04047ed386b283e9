#include "ledger/merkle/tree_hash.h"

#include <algorithm>
#include <array>
#include <string>

namespace caseledger::merkle {
namespace {

constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;

}  // namespace

Digest HashLeaf(ByteView data) {
  return crypto::Sha256Hasher().Update(kLeafPrefix).Update(data).Final();
}

Digest HashChildren(const Digest& left, const Digest& right) {
  // One contiguous 65-byte buffer and a one-shot hash: cheaper than three
  // incremental updates, and this is the append path's inner loop.
  std::array<std::uint8_t, 1 + 2 * kHashBytes> buf;
  buf[0] = kNodePrefix;
  std::copy(left.bytes.begin(), left.bytes.end(), buf.begin() + 1);
  std::copy(right.bytes.begin(), right.bytes.end(),
            buf.begin() + 1 + static_cast<std::ptrdiff_t>(kHashBytes));
  return crypto::Sha256(ByteView(buf.data(), buf.size()));
}

Digest EmptyRoot() {
  // SHA-256 of the empty string (RFC 9162 §2.1.1: MTH({}) = HASH()).
  static constexpr Digest kEmptyRoot{{
      0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
      0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
      0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
  }};
  return kEmptyRoot;
}

Result<Digest> DigestFromBytes(ByteView bytes) {
  if (bytes.size() != kHashBytes) {
    return InvalidArgument("hash has " + std::to_string(bytes.size()) +
                           " bytes, want " + std::to_string(kHashBytes));
  }
  Digest d;
  std::copy(bytes.begin(), bytes.end(), d.bytes.begin());
  return d;
}

}  // namespace caseledger::merkle
