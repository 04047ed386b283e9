// The wire format of C2SP tlog-witness v1.0.0 `add-checkpoint`
// (https://c2sp.org/tlog-witness, tagged release tlog-witness/v1.0.0): the
// request body "old <N>\n" ‖ proof lines ‖ "\n" ‖ signed checkpoint note, and
// the `text/x.tlog.size` body of a 409. Shared by the witness (witness.h) and
// the log's client side, so free of HTTP types. Format as we use it:
// docs/witness.md. Pure functions; thread-safe; results own their memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/note.h"
#include "crypto/sha256.h"
#include "ledger/checkpoint.h"

namespace caseledger::witness {

// The spec's bound: a client MUST NOT send more than 63 proof lines.
inline constexpr std::size_t kMaxConsistencyProofLines = 63;
// Content type of a 409 body (the latest cosigned size, "<decimal>\n").
inline constexpr std::string_view kTlogSizeContentType = "text/x.tlog.size";
// Content type of a 200 body (cosignature lines).
inline constexpr std::string_view kCosignaturesContentType =
    "text/plain; charset=utf-8";
// The path of the call under the submission prefix.
inline constexpr std::string_view kAddCheckpointPath = "/add-checkpoint";

// A parsed add-checkpoint request body.
struct AddCheckpointRequest {
  std::uint64_t old_size = 0;
  std::vector<crypto::Digest> proof;  // in the order sent
  std::string note;                   // the signed checkpoint note, as sent
  crypto::ParsedNote parsed;          // its text and signature lines
  ledger::Checkpoint checkpoint;      // its text parsed as a checkpoint body
};

// The request body:
//   "old " ‖ decimal(old_size) ‖ "\n" ‖ (base64(h) ‖ "\n") for h in proof ‖
//   "\n" ‖ signed_note.
// Precondition (asserted): proof.size() <= kMaxConsistencyProofLines.
// `signed_note` is copied as is (it should be a note ending in "\n").
std::string FormatAddCheckpointRequest(std::uint64_t old_size,
                                       std::span<const crypto::Digest> proof,
                                       std::string_view signed_note);

// Parses a request body strictly: "old " then canonical ASCII decimal (no sign,
// no leading zero except "0" itself, fits in 64 bits) and "\n"; then at most
// kMaxConsistencyProofLines lines, each strict padded base64 (RFC 4648 §4) of
// exactly 32 bytes and "\n"; then an empty line; then the rest is a signed
// note (crypto::ParseNote) whose text is a C2SP checkpoint body
// (ledger::ParseCheckpointBody). No signature is verified.
// InvalidArgument naming the first problem (never quoting the input).
Result<AddCheckpointRequest> ParseAddCheckpointRequest(std::string_view body);

// Parses canonical ASCII decimal as the old size line needs it (no sign, no
// leading zero unless the number is 0, at most 2^64 - 1). InvalidArgument
// otherwise.
Result<std::uint64_t> ParseCanonicalDecimal(std::string_view digits);

// The 409 body: decimal(size) ‖ "\n".
std::string FormatTlogSize(std::uint64_t size);
// Parses a 409 `text/x.tlog.size` body: exactly canonical decimal then "\n".
// InvalidArgument otherwise.
Result<std::uint64_t> ParseTlogSize(std::string_view body);

}  // namespace caseledger::witness
