#include "witness/add_checkpoint.h"

#include <cassert>
#include <charconv>
#include <cstring>

#include "crypto/base64.h"

namespace caseledger::witness {

namespace {

// Splits off the next line (without its '\n'); false if there is no '\n'.
bool NextLine(std::string_view& text, std::string_view& line) {
  const std::size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return false;
  line = text.substr(0, nl);
  text.remove_prefix(nl + 1);
  return true;
}

}  // namespace

std::string FormatAddCheckpointRequest(std::uint64_t old_size,
                                       std::span<const crypto::Digest> proof,
                                       std::string_view signed_note) {
  assert(proof.size() <= kMaxConsistencyProofLines);
  std::string out = "old " + std::to_string(old_size) + "\n";
  for (const crypto::Digest& h : proof) {
    out += crypto::Base64Encode(h.view());
    out += '\n';
  }
  out += '\n';
  out.append(signed_note);
  return out;
}

Result<std::uint64_t> ParseCanonicalDecimal(std::string_view digits) {
  if (digits.empty()) return InvalidArgument("empty decimal number");
  if (digits.size() > 1 && digits[0] == '0')
    return InvalidArgument("decimal number with a leading zero");
  for (char c : digits)
    if (c < '0' || c > '9')
      return InvalidArgument("not an ASCII decimal number");
  std::uint64_t v = 0;
  auto [ptr, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || ptr != digits.data() + digits.size())
    return InvalidArgument("decimal number out of range");
  return v;
}

Result<AddCheckpointRequest> ParseAddCheckpointRequest(std::string_view body) {
  AddCheckpointRequest r;
  std::string_view line;
  if (!NextLine(body, line) || !line.starts_with("old "))
    return InvalidArgument(
        "the body must start with an old size line \"old <N>\"");
  auto old = ParseCanonicalDecimal(line.substr(4));
  if (!old.ok()) return old.status().WithContext("old size line");
  r.old_size = *old;
  for (;;) {
    if (!NextLine(body, line))
      return InvalidArgument("no empty line after the consistency proof lines");
    if (line.empty()) break;
    if (r.proof.size() == kMaxConsistencyProofLines)
      return InvalidArgument("more than 63 consistency proof lines");
    auto bytes = crypto::Base64Decode(line);
    if (!bytes.ok() || bytes->size() != crypto::kSha256Bytes)
      return InvalidArgument("consistency proof line " +
                             std::to_string(r.proof.size() + 1) +
                             " is not base64 of a 32-byte hash");
    crypto::Digest d;
    std::memcpy(d.bytes.data(), bytes->data(), d.bytes.size());
    r.proof.push_back(d);
  }
  if (body.empty())
    return InvalidArgument("no checkpoint after the empty line");
  auto parsed = crypto::ParseNote(body);
  if (!parsed.ok()) return parsed.status().WithContext("checkpoint note");
  auto checkpoint = ledger::ParseCheckpointBody(parsed->text);
  if (!checkpoint.ok()) return checkpoint.status().WithContext("checkpoint");
  r.note = std::string(body);
  r.parsed = std::move(parsed).value();
  r.checkpoint = std::move(checkpoint).value();
  return r;
}

std::string FormatTlogSize(std::uint64_t size) {
  return std::to_string(size) + "\n";
}

Result<std::uint64_t> ParseTlogSize(std::string_view body) {
  if (!body.ends_with('\n'))
    return InvalidArgument("tlog size body must end in a newline");
  body.remove_suffix(1);
  auto v = ParseCanonicalDecimal(body);
  if (!v.ok()) return v.status().WithContext("tlog size body");
  return *v;
}

}  // namespace caseledger::witness
