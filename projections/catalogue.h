// The event catalogue (DESIGN §6): every event type with the roles that may
// record it, what it is attached to (case, subject, nothing), and a schema for
// its clear header and its encrypted body. Unknown fields, unknown enum codes
// and wrong types are refused with InvalidArgument naming the field path
// (e.g. "h.grounds[0].observed_on"), never echoing the value; nothing is
// dropped. Grounds codes are checked for shape here and against the
// vocabulary by the policy engine (ROL-1). Listed for users in
// docs/catalogue.md. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ledger/canonical_json.h"

namespace caseledger::projections {

// A refusal by the rule `rule` ("ROL-1"): PolicyRefused, the rule id as its
// reason (data: RuleOf reads it, nothing parses the text) and the message
// "<rule>: <message>" (docs/decisions.md #13).
Status RuleRefusal(std::string_view rule, std::string_view message);


// A bearer token's stored form (docs/catalogue.md, `token_hash`): the
// standard base64 text, with padding, of a 32-byte keyed hash (BLAKE2b-256,
// computed by the API; the projections only store and compare the text).
inline constexpr std::size_t kTokenHashBytes = 32;
inline constexpr std::size_t kTokenHashChars = 44;  // 4 * ceil(32 / 3)
// True iff `s` is the canonical base64 of exactly kTokenHashBytes bytes: 43
// characters of the standard alphabet whose last carries no stray bits, then
// one '=' (so every hash has exactly one spelling).
bool IsTokenHash(std::string_view s);

// A CPR number as the catalogue accepts it (`body.identity.cpr`): DDMMYY-NNNN
// or DDMMYYNNNN (shape only: synthetic test numbers need not be real dates).
bool IsCpr(std::string_view s);
// The text the identity index hashes for a CPR number (Keystore::LookupKeyOf):
// "cpr/" and its ten digits, so both written forms find the same person.
// Precondition: IsCpr(s).
std::string CprIndexText(std::string_view s);

// Role bits (DESIGN §1).
enum RoleBit : std::uint32_t {
  kCaseworker = 1u << 0,
  kCoordinator = 1u << 1,
  kLegalReviewer = 1u << 2,
  kAuditor = 1u << 3,
  kDpo = 1u << 4,
};
// The bit of a role id ("caseworker" …), or 0 for an unknown role.
std::uint32_t RoleBitOf(std::string_view role);

enum class Scope {
  kOpensCase,  // concern.reported: a new case id, and a subject (new or known)
  kCase,       // needs an existing case; the subject is the case's subject
  kSubject,    // needs a subject, no case (subject.erased)
  kGlobal,     // neither case nor subject (users, retention policy, keys)
  kAny,        // written by the server: case optional (policy.refused)
};

enum class BodyRule { kNone, kOptional, kRequired };

struct EventSpec {
  std::string_view type;
  Scope scope;
  std::uint32_t roles;  // RoleBit mask of who may record it (DESIGN §6 "who")
  // Written only by the server itself (access.*, policy.refused): refused
  // from import and API commands.
  bool server_only = false;
  BodyRule body = BodyRule::kNone;
};

// Every type, in DESIGN §6 order.
std::span<const EventSpec> EventSpecs();
// The spec of `type`, or nullptr for an unknown type.
const EventSpec* FindEventSpec(std::string_view type);
// The closed code list of the header field `field` of `type` (e.g. the
// sources of concern.reported), in DESIGN §6 order; empty if the field is
// not a code list. For forms that offer exactly the codes the schema takes.
std::span<const std::string_view> HeaderCodes(std::string_view type, std::string_view field);

// How a form offers one field of a type: the web workspace's event forms
// are derived from the same schema ValidateHeader and ValidateBody check, so
// a form never offers a field or a code the schema would refuse, and a new
// field of the catalogue appears on the forms by itself.
enum class FormKind {
  kCode,             // one code of `codes` (a list: several)
  kFlag,             // a JSON boolean
  kSeq,              // a seq of this case's log (a list: several)
  kInt,              // an integer lo .. hi
  kDate,             // a calendar date, sent as "YYYY-MM-DD"
  kUser,             // user ids "u-…" (a list: several)
  kBasis,            // a basis of the legal-basis registry (kRegistryVersion)
  kRegistryVersion,  // the registry version the basis was chosen from
  kMarker,           // `true` iff the body text of the same name is given
  kGrounds,          // behaviour codes, each with the date it was observed
  kBehaviours,       // behaviour codes (b.*) of the vocabulary (a list)
  kFactors,          // the assessment dimensions, each risk and resources
  kShaped,           // a string of a fixed shape (a digest), typed in
  kText,             // body text (personal data, encrypted)
  kOther,            // not offered on a form (API and import only)
};
struct FormField {
  std::string_view name;
  bool in_body = false;  // body (encrypted) rather than the clear header
  FormKind kind = FormKind::kOther;
  bool required = true;
  bool list = false;     // a JSON array of values
  std::size_t min_items = 0, max_items = 0;  // list
  std::span<const std::string_view> codes;   // kCode
  std::int64_t lo = 0, hi = 0;               // kInt
  std::size_t min_factors = 0;               // kFactors: dimensions required
};
// The header fields, then the body fields, of `type`, in schema order
// (empty for an unknown type). Fields written only by `caseledger import
// --legacy` (legacy_ref) are left out.
std::vector<FormField> FormFields(std::string_view type);

// Checks the clear header against the type's schema: exactly the allowed
// fields (required ones present), right JSON types, enum codes from the
// closed lists of DESIGN §6, seq references integers >= 1, dates
// "YYYY-MM-DD" (real calendar dates), ids with their prefix, grounds entries
// {"code", "observed_on"[, "case"]}, factors with every key a dimension and
// risk/resources integers 0..3. Every string a header admits is closed
// (docs/catalogue.md, "Closed headers"): a code of a fixed list, an id, a
// date, a digest or key of fixed size, the name of a catalogue type or
// field — never free text. InvalidArgument naming the path (never echoing a
// value, nor a member name the catalogue does not declare); PolicyRefused
// "ROL-1: …" for a well-shaped grounds or context code outside the grounds
// vocabulary, "ROL-6: …" for a basis or registry version outside the
// legal-basis registry (so such attempts are recorded as refusals).
Status ValidateHeader(const EventSpec& spec, const Json& h);

// Checks the body (nullopt = no body) against the type's rule and schema:
// an object of known fields, strings within limits, nested identity /
// reporter objects where the type has them. InvalidArgument naming the path.
Status ValidateBody(const EventSpec& spec, const std::optional<Json>& body);

// Checks the header `h` of a record.corrected (which passed ValidateHeader)
// against the type of the event it corrects: every `fields` entry names a
// header or body field of `target`'s schema, and every `set` value passes
// the schema of that header field (so a correction names nothing the caller
// chose, and sets only values the original could have held). Needs no
// state: the compliance audit runs it on stored corrections too.
// InvalidArgument naming the path; PolicyRefused for a well-shaped code
// outside its closed list (as ValidateHeader).
Status ValidateCorrection(const EventSpec& target, const Json& h);

// Checks `h` as the header of a `target` event after a record.corrected
// applied `set` to it: the merged header must pass ValidateHeader of the
// target's spec. Returns the merged header.
Result<Json> MergeCorrection(const EventSpec& target, const Json& target_h,
                             const Json& set);

}  // namespace caseledger::projections
