// DecodeEventReference: the straightforward decoder of a stored event line
// (parse the whole line into a JSON DOM, check each field, re-encode with
// EncodeSigned and compare with the line), kept as the executable
// specification that the one-pass DecodeEvent is tested against
// (tests/ledger/event_decode_diff_test.cc, fuzz/fuzz_event_decode.cc). For
// tests and fuzz targets only: its own library target,
// caseledger_ledger_reference, which nothing in the product links.
// Format: docs/formats/event.md. Pure; thread-safe.
#pragma once

#include <string_view>

#include "base/result.h"
#include "ledger/event.h"

namespace caseledger::ledger {

// Same contract as DecodeEvent (Corruption naming what is wrong).
Result<Event> DecodeEventReference(std::string_view line);

// Whether two JSON values are equal with the same nlohmann types throughout
// (== alone treats an unsigned and a signed 5 as equal): two decodings of the
// same header bytes must agree on them too.
bool SameJsonTypes(const Json& a, const Json& b);

}  // namespace caseledger::ledger
