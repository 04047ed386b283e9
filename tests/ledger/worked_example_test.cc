// The worked example of docs/formats/event.md (and the proof example of
// docs/formats/bundle.md), computed with the project's own functions from fixed
// inputs (seed, ids, times, data key, nonce). The [ledger] test requires every
// value to appear verbatim in the docs, so the docs and the code cannot drift.
// The hidden [generate] test prints the values (run:
//   worked_example_test "[generate]"
// ) for pasting into the docs after a deliberate format change.
#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/ids.h"
#include "base/worker_pool.h"
#include "crypto/aead.h"
#include "crypto/base64.h"
#include "crypto/ed25519.h"
#include "crypto/note.h"
#include "crypto/secret.h"
#include "crypto/sha256.h"
#include "ledger/canonical_json.h"
#include "ledger/checkpoint.h"
#include "ledger/event.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/proof.h"
#include "ledger/merkle/tree_hash.h"
#include "ledger/merkle/verify.h"
#include "ledger/time.h"
#include "ledger/verify.h"

namespace caseledger::ledger {
namespace {

constexpr std::string_view kOrigin = "example.invalid/ledger";

// n consecutive byte values starting at `first`: Seq(0x01, 32) = 01 02 … 20.
Bytes Seq(std::uint8_t first, std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i)
    b[i] = static_cast<std::uint8_t>(first + i);
  return b;
}

std::string Id(std::string_view prefix, std::uint8_t first) {
  std::array<std::uint8_t, kIdRandomBytes> r{};
  Bytes b = Seq(first, r.size());
  std::memcpy(r.data(), b.data(), r.size());
  return FormatId(prefix, r);
}

crypto::SecretBytes Secret(const Bytes& b) {
  crypto::SecretBytes s(b.size());
  std::memcpy(s.data(), b.data(), b.size());
  return s;
}

// Nodes reported by CompactRange::Append, as a NodeSource for the proofs.
class MapNodeSource : public merkle::NodeSource {
 public:
  void Put(merkle::NodeId id, const crypto::Digest& d) {
    nodes_[{id.level, id.index}] = d;
  }
  Result<crypto::Digest> GetNode(merkle::NodeId id) override {
    auto it = nodes_.find({id.level, id.index});
    if (it == nodes_.end()) return NotFound("node " + id.ToString());
    return it->second;
  }

 private:
  std::map<std::pair<std::uint8_t, std::uint64_t>, crypto::Digest> nodes_;
};

// Every value the docs show, in the order the docs show them.
struct WorkedExample {
  std::vector<std::pair<std::string, std::string>> values;  // label, exact text
  void Add(std::string label, std::string text) {
    values.emplace_back(std::move(label), std::move(text));
  }
};

WorkedExample Compute() {
  WorkedExample x;
  const Bytes seed = Seq(0x01, 32);
  auto key = crypto::Ed25519SigningKey::FromSeed(seed);
  REQUIRE(key.ok());
  const crypto::NoteVerifier verifier =
      crypto::NoteVerifier::For(kOrigin, key->public_key());
  x.Add("seed (hex)", ToHex(seed));
  x.Add("public key (hex)", ToHex(key->public_key().view()));
  const std::uint32_t key_id = crypto::NoteKeyId(kOrigin, key->public_key());
  const std::array<std::uint8_t, 4> key_id_be = {
      static_cast<std::uint8_t>(key_id >> 24),
      static_cast<std::uint8_t>(key_id >> 16),
      static_cast<std::uint8_t>(key_id >> 8),
      static_cast<std::uint8_t>(key_id)};
  x.Add("key id (hex)", ToHex(key_id_be));
  x.Add("verifier key", verifier.ToString());

  const std::string coordinator = Id("u", 0x01);
  const std::string caseworker = Id("u", 0x11);
  const std::string case_id = Id("c", 0x21);
  const std::string subject = Id("s", 0x31);
  const std::string kid = Id("k", 0x41);
  x.Add("coordinator id", coordinator);
  x.Add("caseworker id", caseworker);
  x.Add("case id", case_id);
  x.Add("subject id", subject);
  x.Add("data key id", kid);

  merkle::CompactRange tree;
  MapNodeSource nodes;
  auto append = [&](const crypto::Digest& leaf) {
    tree.Append(leaf, [&](merkle::NodeId id, const crypto::Digest& d) {
      nodes.Put(id, d);
    });
  };
  const crypto::Digest empty = tree.Root();
  REQUIRE(empty == crypto::Sha256(AsBytes("")));
  x.Add("empty root (hex)", empty.Hex());

  // Event 1: no body.
  Event e1;
  e1.seq = 1;
  e1.time = "2019-04-08T09:12:33.123456Z";
  e1.type = "case.assigned";
  e1.actor = coordinator;
  e1.role = "coordinator";
  e1.case_id = case_id;
  e1.subject = subject;
  e1.h = Json{{"assignees", Json::array({caseworker})}};
  e1.prev = tree.Root();
  REQUIRE(FormatTime(ParseTime(e1.time).value()) == e1.time);
  std::size_t off1 = 0;
  const std::string c1 = EncodeUnsigned(e1, &off1);
  const std::string in1 = SignatureInput(c1);
  const crypto::Ed25519Signature sig1 = key->Sign(AsBytes(in1));
  const std::string line1 = InsertSignature(c1, off1, sig1);
  e1.sig = sig1;
  REQUIRE(line1 == EncodeSigned(e1));
  const crypto::Digest leaf1 = merkle::HashLeaf(AsBytes(c1));
  append(leaf1);
  const crypto::Digest root1 = tree.Root();
  x.Add("C1", c1);
  x.Add("signature input 1", in1);
  x.Add("sig 1 (base64)", crypto::Base64Encode(sig1.view()));
  x.Add("sig 1 (hex)", ToHex(sig1.view()));
  x.Add("line 1", line1);
  x.Add("leaf 1 (hex)", leaf1.Hex());
  x.Add("root after 1 (hex)", root1.Hex());

  // Event 2: with a body, encrypted under a fixed data key and nonce.
  Event e2;
  e2.seq = 2;
  e2.time = "2019-04-08T09:40:00.000000Z";
  e2.type = "concern.responded";
  e2.actor = caseworker;
  e2.role = "caseworker";
  e2.case_id = case_id;
  e2.subject = subject;
  e2.h = Json{{"channel", "phone"}};
  e2.prev = tree.Root();
  const Bytes dek = Seq(0x80, crypto::kAeadKeyBytes);
  crypto::AeadNonce nonce;
  const Bytes nonce_bytes = Seq(0xa0, crypto::kAeadNonceBytes);
  std::memcpy(nonce.bytes.data(), nonce_bytes.data(), nonce.bytes.size());
  const Json body = Json{
      {"note", "Called the reporting teacher; meeting agreed for 2019-04-10."}};
  const std::string plaintext = CanonicalJson(body);
  const std::string ad_text = EncodeForBodyAd(
      e2);  // as the writer calls it: before body and sig are set
  const crypto::Digest ad = crypto::Sha256(AsBytes(ad_text));
  const Bytes ct =
      crypto::AeadSeal(Secret(dek), nonce, ad.view(), AsBytes(plaintext));
  e2.body = EncryptedBody{crypto::Base64Encode(ct), kid,
                          crypto::Base64Encode(nonce.view())};
  REQUIRE(EncodeForBodyAd(e2) ==
          ad_text);  // the AD text does not depend on the body
  std::size_t off2 = 0;
  const std::string c2 = EncodeUnsigned(e2, &off2);
  const std::string in2 = SignatureInput(c2);
  const crypto::Ed25519Signature sig2 = key->Sign(AsBytes(in2));
  const std::string line2 = InsertSignature(c2, off2, sig2);
  e2.sig = sig2;
  REQUIRE(line2 == EncodeSigned(e2));
  const crypto::Digest leaf2 = merkle::HashLeaf(AsBytes(c2));
  append(leaf2);
  const crypto::Digest root2 = tree.Root();
  REQUIRE(root2 == merkle::HashChildren(leaf1, leaf2));
  x.Add("data key (hex)", ToHex(dek));
  x.Add("nonce (hex)", ToHex(nonce_bytes));
  x.Add("nonce (base64)", crypto::Base64Encode(nonce_bytes));
  x.Add("plaintext", plaintext);
  x.Add("AD text", ad_text);
  x.Add("AD = SHA-256(AD text) (hex)", ad.Hex());
  x.Add("ct (hex)", ToHex(ct));
  x.Add("ct (base64)", crypto::Base64Encode(ct));
  x.Add("C2", c2);
  x.Add("signature input 2", in2);
  x.Add("sig 2 (base64)", crypto::Base64Encode(sig2.view()));
  x.Add("sig 2 (hex)", ToHex(sig2.view()));
  x.Add("line 2", line2);
  x.Add("leaf 2 (hex)", leaf2.Hex());
  x.Add("root after 2 (hex)", root2.Hex());
  x.Add("root after 2 (base64)", crypto::Base64Encode(root2.view()));

  // The body opens again with the same key, nonce and AD.
  auto opened = crypto::AeadOpen(Secret(dek), nonce, ad.view(), ct);
  REQUIRE(opened.ok());
  REQUIRE(AsChars(*opened) == plaintext);

  // Checkpoint of size 2.
  const Checkpoint cp{std::string(kOrigin), 2, root2};
  auto note = SignCheckpoint(cp, *key);
  REQUIRE(note.ok());
  const std::string cp_body = CheckpointBody(cp);
  const crypto::Ed25519Signature cp_sig = key->Sign(AsBytes(cp_body));
  x.Add("checkpoint body", cp_body);
  x.Add("checkpoint signature (base64)", crypto::Base64Encode(cp_sig.view()));
  x.Add("checkpoint note", *note);
  auto reopened = OpenCheckpoint(*note, verifier);
  REQUIRE(reopened.ok());
  REQUIRE(reopened->size == 2);
  REQUIRE(reopened->root == root2);

  // The stored lines decode and verify as `verify` and `verify-bundle` check
  // them.
  REQUIRE(DecodeEvent(line1).ok());
  REQUIRE(DecodeEvent(line2).ok());
  WorkerPool pool(1);
  StreamVerifier sv(verifier, pool);
  REQUIRE(sv.Feed({{1, line1}, {2, line2}}, nullptr, nullptr));
  REQUIRE(sv.tree().Root() == root2);

  // Proofs in the JSON shapes of docs/formats/bundle.md (as `caseledger prove`
  // prints them).
  auto inc = merkle::InclusionProof(0, 2, nodes);
  REQUIRE(inc.ok());
  REQUIRE(merkle::VerifyInclusion(0, 2, leaf1, *inc, root2).ok());
  Json inclusion{{"leaf_index", 0},
                 {"tree_size", 2},
                 {"leaf_hash", crypto::Base64Encode(leaf1.view())},
                 {"root", crypto::Base64Encode(root2.view())},
                 {"proof", Json::array()}};
  for (const auto& h : *inc)
    inclusion["proof"].push_back(crypto::Base64Encode(h.view()));
  auto con = merkle::ConsistencyProof(1, 2, nodes);
  REQUIRE(con.ok());
  REQUIRE(merkle::VerifyConsistency(1, 2, *con, root1, root2).ok());
  Json consistency{{"size1", 1},
                   {"size2", 2},
                   {"root1", crypto::Base64Encode(root1.view())},
                   {"root2", crypto::Base64Encode(root2.view())},
                   {"proof", Json::array()}};
  for (const auto& h : *con)
    consistency["proof"].push_back(crypto::Base64Encode(h.view()));
  x.Add("inclusion proof seq 1 size 2 (JSON)", inclusion.dump());
  x.Add("consistency proof 1 -> 2 (JSON)", consistency.dump());
  return x;
}

std::string ReadDoc(const std::string& relative) {
  const std::string path = std::string(CASELEDGER_SOURCE_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  INFO("reading " << path);
  REQUIRE(in.good());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_CASE(
    "worked example values appear verbatim in docs/formats/event.md and "
    "bundle.md",
    "[ledger]") {
  const WorkedExample x = Compute();
  const std::string event_md = ReadDoc("docs/formats/event.md");
  const std::string bundle_md = ReadDoc("docs/formats/bundle.md");
  for (const auto& [label, text] : x.values) {
    const bool proof = label.find("proof") != std::string::npos;
    const std::string& doc = proof ? bundle_md : event_md;
    INFO((proof ? "docs/formats/bundle.md" : "docs/formats/event.md")
         << " must contain the " << label << ":\n"
         << text);
    CHECK(doc.find(text) != std::string::npos);
  }
}

TEST_CASE("worked example: print the values for the docs", "[.][generate]") {
  for (const auto& [label, text] : Compute().values) {
    std::cout << "=== " << label << " (" << text.size() << " bytes)\n"
              << text << "\n";
  }
}

}  // namespace
}  // namespace caseledger::ledger
