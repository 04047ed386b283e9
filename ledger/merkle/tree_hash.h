// RFC 9162 §2.1.1 tree hashing with SHA-256: leaf hash, interior-node hash and the
// empty-tree root. Domain separation: leaves are prefixed 0x00, interior nodes 0x01,
// so no leaf hash can be passed off as a node hash. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/sha256.h"

namespace caseledger::merkle {

using crypto::Digest;

// Size in bytes of every hash in the tree (leaf, node, root, proof element).
inline constexpr std::size_t kHashBytes = crypto::kSha256Bytes;

// Returns the leaf hash SHA-256(0x00 || data).
Digest HashLeaf(ByteView data);

// Returns the interior-node hash SHA-256(0x01 || left || right).
Digest HashChildren(const Digest& left, const Digest& right);

// Returns the root of the empty tree, SHA-256("") = e3b0c442…b855.
Digest EmptyRoot();

// Returns `bytes` as a Digest (e.g. a decoded proof element or root from the
// wire). InvalidArgument if bytes.size() != kHashBytes.
Result<Digest> DigestFromBytes(ByteView bytes);

}  // namespace caseledger::merkle
