#include "witness/witness.h"

#include <chrono>

#include "crypto/base64.h"
#include "ledger/merkle/tree_hash.h"
#include "ledger/merkle/verify.h"

namespace caseledger::witness {

namespace {

WitnessResponse Text(int status, std::string reason, std::string_view words) {
  WitnessResponse r;
  r.status = status;
  r.body = std::string(words) + "\n";
  r.reason = std::move(reason);
  return r;
}

WitnessResponse SizeConflict(std::uint64_t latest, std::string reason) {
  WitnessResponse r;
  r.status = 409;
  r.content_type = std::string(kTlogSizeContentType);
  r.body = FormatTlogSize(latest);
  r.reason = std::move(reason);
  return r;
}

WitnessResponse MethodNotAllowed(std::string_view allow) {
  WitnessResponse r = Text(405, "method_not_allowed", "method not allowed");
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

}  // namespace

std::uint64_t PosixNow() {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  return s < 0 ? 0 : static_cast<std::uint64_t>(s);
}

Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size())
      return InvalidArgument("a '%' not followed by two hex digits");
    const int hi = HexDigitValue(text[i + 1]);
    const int lo = HexDigitValue(text[i + 2]);
    if (hi < 0 || lo < 0)
      return InvalidArgument("a '%' not followed by two hex digits");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  if (!IsValidUtf8(out) || out.find('\0') != std::string::npos)
    return InvalidArgument("the decoded text is not valid UTF-8 without NUL");
  return out;
}

Witness::Witness(WitnessConfig config, crypto::Ed25519SigningKey key,
                 WitnessStore& store)
    : config_(std::move(config)),
      key_(std::move(key)),
      verifier_(crypto::CosignerVerifier::For(config_.name, key_.public_key())),
      store_(store) {
  for (const crypto::NoteVerifier& v : config_.logs) logs_[v.name].push_back(v);
  if (!config_.clock) config_.clock = PosixNow;
}

Result<std::unique_ptr<Witness>> Witness::Create(WitnessConfig config,
                                                 crypto::Ed25519SigningKey key,
                                                 WitnessStore& store) {
  CL_RETURN_IF_ERROR(
      crypto::ValidateNoteKeyName(config.name).WithContext("witness name"));
  return std::unique_ptr<Witness>(
      new Witness(std::move(config), std::move(key), store));
}

WitnessResponse Witness::Handle(std::string_view body) const {
  // The body: "old <N>", proof lines, an empty line, a checkpoint note.
  auto request = ParseAddCheckpointRequest(body);
  if (!request.ok()) return Text(400, "malformed", request.status().message());
  const ledger::Checkpoint& checkpoint = request->checkpoint;

  // "If the checkpoint origin is unknown, the witness MUST respond with a
  // 404 Not Found."
  auto keys = logs_.find(checkpoint.origin);
  if (keys == logs_.end())
    return Text(404, "unknown_origin", "unknown log origin");

  // "The witness MUST verify the checkpoint signature against the public
  // key(s) it trusts for the checkpoint origin, and it MUST ignore signatures
  // from unknown keys. […] If none of the signatures verify against a
  // trusted public key, the witness MUST respond with a 403 Forbidden." A line
  // by a trusted key that fails to verify is refused too (as Go's note.Open).
  bool verified = false;
  for (const crypto::NoteVerifier& v : keys->second) {
    auto opened = crypto::OpenNote(request->note, v);
    if (opened.ok()) {
      verified = true;
    } else if (opened.status().code() != StatusCode::kNotFound) {
      return Text(403, "bad_signature",
                  "a signature by a trusted log key does not verify");
    }
  }
  if (!verified)
    return Text(403, "no_trusted_signature",
                "no signature by a trusted log key");

  const std::uint64_t now = config_.clock();
  auto cosignature =
      crypto::Cosign(request->parsed.text, config_.name, key_, now);
  if (!cosignature.ok())
    return Text(500, "internal", "the checkpoint cannot be cosigned");

  // The rest is checked against the stored latest checkpoint and the result
  // stored in one write transaction: no concurrent request can roll it back.
  auto decision = store_.Decide(
      checkpoint.origin,
      [&](const std::optional<witness::CosignedCheckpoint>& latest) {
        Decision d = Decide(*request, latest, now);
        if (auto* accept = std::get_if<Accept>(&d))
          accept->record.cosignature = *cosignature;
        return d;
      });
  if (!decision.ok())
    return Text(500, "storage_failure",
                "the witness could not store its state");
  if (std::get_if<Accept>(&*decision) != nullptr) {
    WitnessResponse r;
    r.status = 200;
    r.content_type = std::string(kCosignaturesContentType);
    r.body = *cosignature;
    r.reason = "cosigned";
    return r;
  }
  const Refuse& refused = std::get<Refuse>(*decision);
  const EvidenceRecord& e = refused.evidence;
  if (e.status == 409) return SizeConflict(refused.latest_size, e.reason);
  return Text(e.status, e.reason, e.detail);
}

Decision Witness::Decide(
    const AddCheckpointRequest& request,
    const std::optional<witness::CosignedCheckpoint>& latest,
    std::uint64_t now) const {
  const ledger::Checkpoint& c = request.checkpoint;
  const std::uint64_t old = request.old_size;
  const std::uint64_t latest_size = latest ? latest->size : 0;
  const crypto::Digest latest_root =
      latest ? latest->root : merkle::EmptyRoot();

  Refuse refuse;
  refuse.latest_size = latest_size;
  EvidenceRecord& e = refuse.evidence;
  e.time = now;
  e.origin = c.origin;
  e.old_size = old;
  for (const crypto::Digest& h : request.proof)
    e.proof.push_back(crypto::Base64Encode(h.view()));
  e.note = request.note;
  // Two signed checkpoints of one size with different roots: a fork, whatever
  // the request's old size says.
  e.fork = latest.has_value() && c.size == latest_size && c.root != latest_root;
  if (e.fork) e.conflicting_note = latest->note;
  auto refused = [&](int status, std::string reason,
                     std::string detail) -> Decision {
    e.status = status;
    e.reason = std::move(reason);
    e.detail = std::move(detail);
    return refuse;
  };
  const std::string sizes = "old size " + std::to_string(old) +
                            ", checkpoint size " + std::to_string(c.size);

  // "The old size MUST be equal to or lower than the checkpoint size.
  // Otherwise, the witness MUST respond with a 400 Bad Request."
  if (old > c.size)
    return refused(400, "old_size_too_large", sizes + ": old size is larger");

  // "The witness MUST check that the old size matches the size of the latest
  // checkpoint it cosigned for the checkpoint's origin (or zero if it never
  // cosigned a checkpoint for that origin). If it doesn't match, […] 409."
  if (old != latest_size)
    return refused(
        409, "stale_old_size",
        sizes + ": the latest cosigned size is " + std::to_string(latest_size));

  // "The consistency proof lines MUST encode a Merkle Consistency Proof from
  // the old size to the checkpoint size according to RFC 6962, Section 2.1.2.
  // The proof MUST be empty if the old size is zero. If the Merkle
  // Consistency Proof doesn't verify, […] 422."
  // "If the old size matches the checkpoint size, the witness MUST check that
  // the root hashes are also identical. If they don't match, […] 409."
  if (old == 0 || old == c.size) {
    if (!request.proof.empty())
      return refused(
          422, "proof_not_empty",
          sizes +
              ": the proof must be empty when the old size is 0 or the "
              "checkpoint size");
    if (c.size == 0 && c.root != merkle::EmptyRoot())
      return refused(422, "bad_empty_root",
                     "a checkpoint of size 0 must have the empty tree's root");
    if (old != 0 && c.root != latest_root)
      return refused(
          409, "root_mismatch",
          sizes +
              ": same size as the latest cosigned checkpoint, another root");
  } else {
    Status v = merkle::VerifyConsistency(old, c.size, request.proof,
                                         latest_root, c.root);
    if (!v.ok()) {
      e.conflicting_note = latest->note;
      return refused(
          422, "bad_proof",
          sizes + ": the consistency proof does not verify: " + v.message());
    }
  }

  // "If all the checks above pass, the witness MUST update its record of the
  // latest cosigned checkpoint" — stored by the caller's transaction.
  Accept accept;
  accept.record.origin = c.origin;
  accept.record.size = c.size;
  accept.record.root = c.root;
  accept.record.note = request.note;
  accept.record.time = now;
  return accept;
}

Result<std::optional<std::string>> Witness::CosignedCheckpoint(
    std::string_view origin) const {
  CL_ASSIGN_OR_RETURN(auto latest, store_.Latest(origin));
  if (!latest) return std::optional<std::string>();
  return std::optional<std::string>(latest->note + latest->cosignature);
}

WitnessResponse Witness::Route(std::string_view method, std::string_view target,
                               std::string_view body) const {
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  if (path == kAddCheckpointPath) {
    if (method != "POST") return MethodNotAllowed("POST");
    return Handle(body);
  }
  constexpr std::string_view kCheckpointPrefix = "/checkpoint/";
  if (path.starts_with(kCheckpointPrefix) && q == std::string_view::npos) {
    if (method != "GET") return MethodNotAllowed("GET");
    auto origin = PercentDecode(path.substr(kCheckpointPrefix.size()));
    if (!origin.ok())
      return Text(400, "malformed", "the origin is not percent-encoded UTF-8");
    auto note = CosignedCheckpoint(*origin);
    if (!note.ok())
      return Text(500, "storage_failure",
                  "the witness could not read its state");
    if (!*note)
      return Text(404, "no_checkpoint",
                  "no cosigned checkpoint for this origin");
    WitnessResponse r;
    r.status = 200;
    r.content_type = std::string(kCosignaturesContentType);
    r.body = std::move(**note);
    r.reason = "checkpoint";
    return r;
  }
  return Text(404, "not_found", "not found");
}

}  // namespace caseledger::witness
