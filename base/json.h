// Json: the JSON value type of every module. nlohmann::json, owned here: no
// other file includes <nlohmann/json.hpp> (tools/check_includes.py). What
// caseledger stores is the canonical subset, and untrusted text is parsed
// with limits and duplicate keys refused: both in ledger/canonical_json.h
// (CanonicalJson, ParseUntrustedJson).
#pragma once

#include <nlohmann/json.hpp>

namespace caseledger {

using Json = nlohmann::json;

}  // namespace caseledger
