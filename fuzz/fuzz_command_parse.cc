// Fuzz target: ledger::ParseCommandJson (an import line, a demo or API
// command) and ledger::ParseUntrustedJson on arbitrary bytes. Neither may
// crash; commands are refused with InvalidArgument only. Properties:
// - an accepted command passes ValidateCommand, and ValidateAndEncode (the
//   writer's one walk) accepts it with CanonicalJson's bytes of h and body;
// - CanonicalJson of its h (and body) re-parses with ParseUntrustedJson to an
//   equal value whose canonical bytes are the same (canonical form is a fixed
//   point);
// - an explicit time survives FormatTime/ParseTime;
// - limits are monotone: what tighter JsonLimits accept, the defaults accept,
//   with the same result;
// - any JSON ParseUntrustedJson accepts has a canonical form that re-parses to
//   an equal value and is a fixed point;
// - ParseCanonicalObject (ledger/event_scan.h: stored rows and heads) accepts
//   exactly the texts that ParseUntrustedJson reads as an object whose
//   canonical form is the text itself, under the default and tight limits,
//   and gives the same value with the same number types.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "fuzz_check.h"
#include "ledger/canonical_json.h"
#include "ledger/command.h"
#include "ledger/event_reference.h"
#include "ledger/event_scan.h"
#include "ledger/time.h"

namespace {

using caseledger::Json;
using caseledger::Result;
using caseledger::StatusCode;
namespace ledger = caseledger::ledger;

// Checks that CanonicalJson(value) is accepted by the strict parser, gives back
// an equal value and is its own canonical form. `what` names the value.
void CheckCanonicalRoundTrip(const Json& value, const char* what) {
  const std::string canonical = ledger::CanonicalJson(value);
  Result<Json> reparsed = ledger::ParseUntrustedJson(canonical);
  FUZZ_CHECK(reparsed.ok(), std::string(what) + ": canonical form refused: " + reparsed.status().ToString());
  FUZZ_CHECK(*reparsed == value, std::string(what) + ": canonical form parses to a different value");
  FUZZ_CHECK(ledger::CanonicalJson(*reparsed) == canonical,
             std::string(what) + ": canonical form is not a fixed point");
}

// ParseCanonicalObject's contract on `text` under `limits`, given
// ParseUntrustedJson's result for the same text and limits.
void CheckCanonicalObject(std::string_view text, const ledger::JsonLimits& limits,
                          const Result<Json>& general, const char* what) {
  Result<Json> fast = ledger::ParseCanonicalObject(text, limits);
  const bool canonical =
      general.ok() && general->is_object() && ledger::CanonicalJson(*general) == text;
  FUZZ_CHECK(fast.ok() == canonical,
             std::string(what) + ": ParseCanonicalObject " + (fast.ok() ? "accepts" : "refuses") +
                 " a text that is " + (canonical ? "" : "not ") + "a canonical object");
  if (!fast.ok()) {
    FUZZ_CHECK(fast.status().code() == StatusCode::kInvalidArgument, fast.status().ToString());
    return;
  }
  FUZZ_CHECK(*fast == *general && ledger::SameJsonTypes(*fast, *general),
             std::string(what) + ": ParseCanonicalObject reads a different value");
}

bool SameCommand(const ledger::Command& a, const ledger::Command& b) {
  return a.type == b.type && a.actor == b.actor && a.role == b.role && a.case_id == b.case_id &&
         a.subject == b.subject && a.h == b.h && a.body == b.body && a.time == b.time;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // Generic strict JSON.
  Result<Json> json = ledger::ParseUntrustedJson(text);
  if (json.ok()) {
    FUZZ_CHECK(ledger::CheckCanonicalValue(*json).ok(), "accepted JSON is not canonical-checkable");
    CheckCanonicalRoundTrip(*json, "JSON");
  } else {
    FUZZ_CHECK(json.status().code() == StatusCode::kInvalidArgument, json.status().ToString());
  }
  CheckCanonicalObject(text, ledger::JsonLimits{}, json, "default limits");

  Result<ledger::Command> command = ledger::ParseCommandJson(text);
  if (!command.ok()) {
    FUZZ_CHECK(command.status().code() == StatusCode::kInvalidArgument, command.status().ToString());
  } else {
    const ledger::Command& c = *command;
    FUZZ_CHECK(json.ok(), "a command was accepted whose JSON was refused");
    const caseledger::Status valid = ledger::ValidateCommand(c);
    FUZZ_CHECK(valid.ok(), "accepted command fails ValidateCommand: " + valid.ToString());
    const Result<ledger::CanonicalCommand> encoded = ledger::ValidateAndEncode(c);
    FUZZ_CHECK(encoded.ok(), "accepted command fails ValidateAndEncode");
    FUZZ_CHECK(encoded->h == ledger::CanonicalJson(c.h), "ValidateAndEncode's h differs");
    FUZZ_CHECK(encoded->body == (c.body ? ledger::CanonicalJson(*c.body) : std::string()),
               "ValidateAndEncode's body differs");
    FUZZ_CHECK(c.h.is_object(), "h is not an object");
    CheckCanonicalRoundTrip(c.h, "h");
    if (c.body) {
      FUZZ_CHECK(c.body->is_object(), "body is not an object");
      CheckCanonicalRoundTrip(*c.body, "body");
    }
    if (c.time) {
      const std::string formatted = ledger::FormatTime(*c.time);
      Result<ledger::Micros> back = ledger::ParseTime(formatted);
      FUZZ_CHECK(back.ok() && *back == *c.time,
                 "time " + std::to_string(*c.time) + " formats as \"" + formatted + "\", which does not parse back");
    }
  }

  // Monotone limits: tighter limits accept a subset, with the same result.
  ledger::JsonLimits tight;
  tight.max_bytes = 4096;
  tight.max_depth = 3;
  tight.max_string_bytes = 64;
  CheckCanonicalObject(text, tight, ledger::ParseUntrustedJson(text, tight), "tight limits");
  Result<ledger::Command> tight_command = ledger::ParseCommandJson(text, tight);
  if (tight_command.ok()) {
    FUZZ_CHECK(command.ok(), "accepted under tight limits, refused under the defaults: " +
                                 command.status().ToString());
    FUZZ_CHECK(SameCommand(*tight_command, *command), "tight and default limits parse differently");
  } else {
    FUZZ_CHECK(tight_command.status().code() == StatusCode::kInvalidArgument,
               tight_command.status().ToString());
  }
  return 0;
}
