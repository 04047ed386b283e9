#include "ledger/checkpoint.h"

#include <charconv>
#include <cstring>

#include "crypto/base64.h"

namespace caseledger::ledger {

Status ValidateOrigin(std::string_view origin) {
  CL_RETURN_IF_ERROR(crypto::ValidateNoteKeyName(origin));
  if (origin.starts_with("caseledger/")) {
    return InvalidArgument(
        "origin must not start with \"caseledger/\" (reserved)");
  }
  return Status::Ok();
}

std::string CheckpointBody(const Checkpoint& c) {
  return c.origin + "\n" + std::to_string(c.size) + "\n" +
         crypto::Base64Encode(c.root.view()) + "\n";
}

Result<Checkpoint> ParseCheckpointBody(std::string_view text) {
  auto next_line = [&](std::string_view& line) -> bool {
    auto nl = text.find('\n');
    if (nl == std::string_view::npos) return false;
    line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    return true;
  };
  std::string_view origin, size, root;
  if (!next_line(origin) || !next_line(size) || !next_line(root) ||
      origin.empty()) {
    return InvalidArgument(
        "checkpoint body must have origin, size and root lines");
  }
  Checkpoint c;
  c.origin = std::string(origin);
  if (size.empty() || (size.size() > 1 && size[0] == '0'))
    return InvalidArgument("checkpoint size is not a decimal number");
  auto [ptr, ec] =
      std::from_chars(size.data(), size.data() + size.size(), c.size);
  if (ec != std::errc() || ptr != size.data() + size.size())
    return InvalidArgument("checkpoint size is not a decimal number");
  auto r = crypto::Base64Decode(root);
  if (!r.ok() || r->size() != crypto::kSha256Bytes)
    return InvalidArgument("checkpoint root is not a base64 SHA-256 hash");
  std::memcpy(c.root.bytes.data(), r->data(), crypto::kSha256Bytes);
  return c;
}

Result<std::string> SignCheckpoint(const Checkpoint& c,
                                   const crypto::Ed25519SigningKey& key) {
  return crypto::SignNote(CheckpointBody(c), c.origin, key);
}

Result<Checkpoint> OpenCheckpoint(std::string_view signed_note,
                                  const crypto::NoteVerifier& verifier) {
  CL_ASSIGN_OR_RETURN(crypto::OpenedNote note,
                      crypto::OpenNote(signed_note, verifier));
  CL_ASSIGN_OR_RETURN(Checkpoint c, ParseCheckpointBody(note.text));
  if (c.origin != verifier.name)
    return Corruption("checkpoint origin differs from the verifier key's name");
  return c;
}

}  // namespace caseledger::ledger
