#include "ledger/evidence.h"

#include <algorithm>

#include <vector>

#include "crypto/base64.h"
#include "crypto/ed25519.h"
#include "ledger/checkpoint.h"
#include "ledger/event.h"
#include "ledger/event_scan.h"
#include "ledger/merkle/tree_hash.h"
#include "ledger/merkle/verify.h"
#include "ledger/proofs.h"

namespace caseledger::ledger {

namespace {

EvidenceReport Verdict(BundleVerdict v, std::string message) {
  EvidenceReport r;
  r.verdict = v;
  r.message = std::move(message);
  return r;
}

Result<crypto::Digest> DigestOf(const Json& j) {
  if (!j.is_string()) return InvalidArgument("not a base64 hash");
  CL_ASSIGN_OR_RETURN(Bytes b, crypto::Base64Decode(j.get<std::string>()));
  crypto::Digest d;
  if (b.size() != d.bytes.size()) return InvalidArgument("not a 32-byte hash");
  std::copy(b.begin(), b.end(), d.bytes.begin());
  return d;
}

}  // namespace

Result<std::vector<Json>> MakeEvidenceSet(LogStore& store, const crypto::NoteVerifier& verifier,
                                          std::span<const std::uint64_t> seqs,
                                          const std::optional<BundleCheckpoint>& witnessed) {
  std::vector<std::string> lines;
  std::string note;
  std::uint64_t size = 0;
  {
    CL_ASSIGN_OR_RETURN(auto txn, store.env().BeginRead());
    CL_ASSIGN_OR_RETURN(auto cp, LatestCheckpoint(txn, store));
    size = cp.first;
    note = std::move(cp.second);
    const bool covered =
        witnessed && std::all_of(seqs.begin(), seqs.end(),
                                 [&](std::uint64_t s) { return s >= 1 && s <= witnessed->size; });
    if (covered) {
      CL_ASSIGN_OR_RETURN(std::string own, CheckpointAt(txn, store, witnessed->size));
      if (!witnessed->note.starts_with(own))
        return Corruption("the cosigned checkpoint of size " + std::to_string(witnessed->size) +
                          " is not the one the log stores");
      size = witnessed->size;
      note = witnessed->note;
    }
    for (std::uint64_t seq : seqs) {
      if (seq < 1 || seq > size)
        return InvalidArgument("seq: the log's checkpoint covers events 1.." + std::to_string(size));
      CL_ASSIGN_OR_RETURN(std::string line, ReadEventLine(txn, store, seq));
      lines.push_back(std::move(line));
    }
  }
  std::vector<Json> out;
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    CL_ASSIGN_OR_RETURN(Json inclusion, InclusionProofJson(store, seqs[i], size));
    out.push_back(Json{{"v", 1},
                       {"event", std::move(lines[i])},
                       {"inclusion", std::move(inclusion)},
                       {"checkpoint", note},
                       {"verifier", verifier.ToString()}});
  }
  return out;
}

Result<Json> MakeEvidence(LogStore& store, const crypto::NoteVerifier& verifier,
                          std::uint64_t seq, const std::optional<BundleCheckpoint>& witnessed) {
  const std::uint64_t one[] = {seq};
  CL_ASSIGN_OR_RETURN(auto set, MakeEvidenceSet(store, verifier, one, witnessed));
  return std::move(set.front());
}

EvidenceReport VerifyEvidence(std::string_view text,
                              const std::optional<std::string>& trusted_key) {
  auto parsed = ParseUntrustedJson(text);
  if (!parsed.ok() || !parsed->is_object())
    return Verdict(BundleVerdict::kIncomplete, "not an evidence document (JSON object)");
  const Json& j = *parsed;
  for (const char* k : {"event", "checkpoint", "verifier"})
    if (!j.contains(k) || !j[k].is_string())
      return Verdict(BundleVerdict::kIncomplete, std::string("missing \"") + k + "\"");
  if (!j.contains("v") || j["v"] != 1)
    return Verdict(BundleVerdict::kIncomplete, "unknown evidence version");
  if (!j.contains("inclusion") || !j["inclusion"].is_object())
    return Verdict(BundleVerdict::kIncomplete, "missing \"inclusion\"");
  const Json& inc = j["inclusion"];
  if (!inc.contains("leaf_index") || !inc["leaf_index"].is_number_unsigned() ||
      !inc.contains("tree_size") || !inc["tree_size"].is_number_unsigned() ||
      !inc.contains("proof") || !inc["proof"].is_array())
    return Verdict(BundleVerdict::kIncomplete, "malformed \"inclusion\"");

  const std::string vkey = j["verifier"].get<std::string>();
  if (trusted_key && *trusted_key != vkey)
    return Verdict(BundleVerdict::kUnknownKey, "the evidence names another verifier key than the trusted one");
  auto verifier = crypto::NoteVerifier::Parse(vkey);
  if (!verifier.ok()) return Verdict(BundleVerdict::kIncomplete, "malformed verifier key");

  auto cp = OpenCheckpoint(j["checkpoint"].get<std::string>(), *verifier);
  if (!cp.ok()) {
    return Verdict(cp.status().code() == StatusCode::kNotFound ? BundleVerdict::kUnknownKey
                                                               : BundleVerdict::kTampered,
                   "checkpoint: " + cp.status().message());
  }
  const std::uint64_t leaf_index = inc["leaf_index"].get<std::uint64_t>();
  const std::uint64_t tree_size = inc["tree_size"].get<std::uint64_t>();
  if (tree_size != cp->size)
    return Verdict(BundleVerdict::kTampered, "the proof's tree size is not the checkpoint's");
  auto root = DigestOf(inc.value("root", Json()));
  if (!root.ok() || *root != cp->root)
    return Verdict(BundleVerdict::kTampered, "the proof's root is not the checkpoint's");

  const std::string line = j["event"].get<std::string>();
  auto checked = CheckEventLine(line, verifier->key);
  if (!checked.ok())
    return Verdict(BundleVerdict::kTampered, "event: " + checked.status().message());
  const ScannedEvent* ev = &checked->event;
  if (ev->seq != leaf_index + 1)
    return Verdict(BundleVerdict::kTampered, "the event's seq is not the proof's leaf");
  if (!checked->signature_valid)
    return Verdict(BundleVerdict::kTampered,
                   "event " + std::to_string(ev->seq) + ": signature does not verify");
  const crypto::Digest leaf = checked->leaf;
  auto stated_leaf = DigestOf(inc.value("leaf_hash", Json()));
  if (!stated_leaf.ok() || *stated_leaf != leaf)
    return Verdict(BundleVerdict::kTampered, "the proof's leaf hash is not the event's");
  std::vector<crypto::Digest> path;
  for (const Json& h : inc["proof"]) {
    auto d = DigestOf(h);
    if (!d.ok()) return Verdict(BundleVerdict::kTampered, "proof: " + d.status().message());
    path.push_back(*d);
  }
  if (Status s = merkle::VerifyInclusion(leaf_index, tree_size, leaf, path, cp->root); !s.ok())
    return Verdict(BundleVerdict::kTampered, "inclusion proof: " + s.message());
  EvidenceReport r = Verdict(BundleVerdict::kVerified,
                             "event " + std::to_string(ev->seq) + " (" + std::string(ev->type) +
                                 ") is in the log of " + std::to_string(tree_size) +
                                 " events signed by " + verifier->name);
  r.seq = ev->seq;
  r.tree_size = tree_size;
  r.type = std::string(ev->type);
  return r;
}

std::vector<EvidenceReport> VerifyEvidenceSet(std::string_view text,
                                              const std::optional<std::string>& trusted_key) {
  std::vector<EvidenceReport> out;
  std::optional<std::string> checkpoint;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line == "\r") continue;
    EvidenceReport r = VerifyEvidence(line, trusted_key);
    if (r.verdict == BundleVerdict::kVerified) {
      // VerifyEvidence parsed it: the checkpoint member is a string.
      const std::string cp = ParseUntrustedJson(line).value()["checkpoint"].get<std::string>();
      if (!checkpoint) {
        checkpoint = cp;
      } else if (cp != *checkpoint) {
        r.verdict = BundleVerdict::kTampered;
        r.message = "event " + std::to_string(r.seq) +
                    " is proved against another checkpoint than the set's first";
      }
    }
    out.push_back(std::move(r));
  }
  if (out.empty()) out.push_back(Verdict(BundleVerdict::kIncomplete, "no evidence document"));
  return out;
}

}  // namespace caseledger::ledger
