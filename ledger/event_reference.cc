#include "ledger/event_reference.h"

#include <cstring>
#include <string>

#include "base/bytes.h"
#include "crypto/base64.h"
#include "ledger/canonical_json.h"

namespace caseledger::ledger {

namespace {

Result<std::string> StringField(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end())
    return Corruption(std::string("field \"") + name + "\" missing");
  if (!it->is_string())
    return Corruption(std::string("field \"") + name + "\" is not a string");
  return it->get<std::string>();
}

}  // namespace

Result<Event> DecodeEventReference(std::string_view line) {
  Json j = Json::parse(line.begin(), line.end(), nullptr,
                       /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Corruption("not a JSON object");
  static constexpr const char* kKnown[] = {"actor",   "body", "case", "h",
                                           "prev",    "role", "seq",  "sig",
                                           "subject", "time", "type", "v"};
  for (const auto& [key, _] : j.items()) {
    bool known = false;
    for (const char* k : kKnown) known = known || key == k;
    if (!known) return Corruption("unknown field \"" + key + "\"");
  }
  Event e;
  CL_ASSIGN_OR_RETURN(e.actor, StringField(j, "actor"));
  CL_ASSIGN_OR_RETURN(e.role, StringField(j, "role"));
  CL_ASSIGN_OR_RETURN(e.time, StringField(j, "time"));
  CL_ASSIGN_OR_RETURN(e.type, StringField(j, "type"));
  if (j.contains("case")) {
    CL_ASSIGN_OR_RETURN(e.case_id, StringField(j, "case"));
  }
  if (j.contains("subject")) {
    CL_ASSIGN_OR_RETURN(e.subject, StringField(j, "subject"));
  }
  auto seq = j.find("seq");
  if (seq == j.end() || !seq->is_number_unsigned() ||
      seq->get<std::uint64_t>() == 0 ||
      seq->get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxSafeInteger)) {
    return Corruption("field \"seq\" missing or not an integer in 1..2^53-1");
  }
  e.seq = seq->get<std::uint64_t>();
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer() ||
      v->get<std::int64_t>() != kEventVersion) {
    return Corruption("field \"v\" missing or not a supported version");
  }
  auto h = j.find("h");
  if (h == j.end() || !h->is_object())
    return Corruption("field \"h\" missing or not an object");
  if (Status s = CheckCanonicalValue(*h); !s.ok())
    return Corruption("header: " + s.message());
  e.h = *h;
  CL_ASSIGN_OR_RETURN(std::string prev_hex, StringField(j, "prev"));
  auto prev = FromHex(prev_hex);
  if (!prev.ok() || prev->size() != crypto::kSha256Bytes)
    return Corruption("field \"prev\" is not a 32-byte hex hash");
  std::memcpy(e.prev.bytes.data(), prev->data(), crypto::kSha256Bytes);
  if (j.contains("body")) {
    const Json& b = j["body"];
    if (!b.is_object() || b.size() != 3)
      return Corruption("field \"body\" must be {ct, kid, n}");
    EncryptedBody body;
    CL_ASSIGN_OR_RETURN(body.ct, StringField(b, "ct"));
    CL_ASSIGN_OR_RETURN(body.kid, StringField(b, "kid"));
    CL_ASSIGN_OR_RETURN(body.n, StringField(b, "n"));
    e.body = std::move(body);
  }
  CL_ASSIGN_OR_RETURN(std::string sig_b64, StringField(j, "sig"));
  auto sig_bytes = crypto::Base64Decode(sig_b64);
  if (!sig_bytes.ok()) return Corruption("field \"sig\" is not base64");
  auto sig = crypto::Ed25519SignatureFromBytes(*sig_bytes);
  if (!sig.ok()) return Corruption("field \"sig\" is not a 64-byte signature");
  e.sig = *sig;
  if (EncodeSigned(e) != line)
    return Corruption("line is not in canonical form");
  return e;
}

bool SameJsonTypes(const Json& a, const Json& b) {
  if (a.type() != b.type() || a.size() != b.size()) return false;
  if (a.is_object()) {
    for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
      if (i.key() != j.key() || !SameJsonTypes(*i, *j)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    for (std::size_t k = 0; k < a.size(); ++k) {
      if (!SameJsonTypes(a[k], b[k])) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace caseledger::ledger
