#include "ledger/command.h"

#include <array>

#include "base/ids.h"

namespace caseledger::ledger {

namespace {

constexpr std::array<std::string_view, 5> kRoles = {
    "caseworker", "coordinator", "legal_reviewer", "auditor", "dpo"};

bool ValidType(std::string_view t) {
  // lower-case words joined by dots, at least two parts: "concern.reported"
  if (t.empty() || t.size() > 64 || t.front() == '.' || t.back() == '.')
    return false;
  bool dot = false;
  char prev = 0;
  for (char c : t) {
    if (c == '.') {
      if (prev == '.') return false;
      dot = true;
    } else if (!((c >= 'a' && c <= 'z') || c == '_')) {
      return false;
    }
    prev = c;
  }
  return dot;
}

// ValidateCommand's checks, in its order; `canonical(value, is_body)`
// checks h and the body as canonical values (and may encode them on the
// way).
template <typename Canonical>
Status ValidateWith(const Command& c, Canonical canonical) {
  if (!ValidType(c.type))
    return InvalidArgument(
        "\"type\" must be lower-case words joined by dots, e.g. "
        "concern.reported");
  CL_RETURN_IF_ERROR(ValidateId(c.actor, "u", "\"actor\""));
  bool role_ok = false;
  for (auto r : kRoles) role_ok = role_ok || c.role == r;
  if (!role_ok)
    return InvalidArgument(
        "\"role\" must be one of caseworker, coordinator, legal_reviewer, "
        "auditor, dpo");
  if (c.case_id) CL_RETURN_IF_ERROR(ValidateId(*c.case_id, "c", "\"case\""));
  if (c.subject) CL_RETURN_IF_ERROR(ValidateId(*c.subject, "s", "\"subject\""));
  if (!c.h.is_object()) return InvalidArgument("\"h\" must be an object");
  if (Status s = canonical(c.h, false); !s.ok()) return s.WithContext("\"h\"");
  if (c.body) {
    if (!c.body->is_object())
      return InvalidArgument("\"body\" must be an object");
    if (Status s = canonical(*c.body, true); !s.ok()) return s.WithContext("\"body\"");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateCommand(const Command& c) {
  return ValidateWith(c, [](const Json& v, bool) { return CheckCanonicalValue(v); });
}

Result<CanonicalCommand> ValidateAndEncode(const Command& c) {
  CanonicalCommand out;
  CL_RETURN_IF_ERROR(ValidateWith(c, [&out](const Json& v, bool is_body) -> Status {
    CL_ASSIGN_OR_RETURN((is_body ? out.body : out.h), CheckedCanonicalJson(v));
    return Status::Ok();
  }));
  return out;
}

Result<Command> ParseCommandJson(std::string_view line,
                                 const JsonLimits& limits) {
  CL_ASSIGN_OR_RETURN(Json j, ParseUntrustedJson(line, limits));
  if (!j.is_object()) return InvalidArgument("a command must be a JSON object");
  static constexpr std::array<std::string_view, 8> kFields = {
      "type", "actor", "role", "h", "case", "subject", "body", "time"};
  for (const auto& [key, _] : j.items()) {
    bool known = false;
    for (auto f : kFields) known = known || key == f;
    if (!known)
      return InvalidArgument("unknown field \"" + key.substr(0, 32) + "\"");
  }
  Command c;
  auto required_string = [&](const char* name, std::string& out) -> Status {
    auto it = j.find(name);
    if (it == j.end())
      return InvalidArgument(std::string("missing field \"") + name + "\"");
    if (!it->is_string())
      return InvalidArgument(std::string("field \"") + name +
                             "\" must be a string");
    out = it->get<std::string>();
    return Status::Ok();
  };
  auto optional_string = [&](const char* name,
                             std::optional<std::string>& out) -> Status {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return Status::Ok();
    if (!it->is_string())
      return InvalidArgument(std::string("field \"") + name +
                             "\" must be a string or null");
    out = it->get<std::string>();
    return Status::Ok();
  };
  CL_RETURN_IF_ERROR(required_string("type", c.type));
  CL_RETURN_IF_ERROR(required_string("actor", c.actor));
  CL_RETURN_IF_ERROR(required_string("role", c.role));
  CL_RETURN_IF_ERROR(optional_string("case", c.case_id));
  CL_RETURN_IF_ERROR(optional_string("subject", c.subject));
  auto h = j.find("h");
  if (h == j.end()) return InvalidArgument("missing field \"h\"");
  if (!h->is_object()) return InvalidArgument("field \"h\" must be an object");
  c.h = std::move(*h);
  auto body = j.find("body");
  if (body != j.end() && !body->is_null()) {
    if (!body->is_object())
      return InvalidArgument("field \"body\" must be an object or null");
    c.body = std::move(*body);
  }
  std::optional<std::string> time;
  CL_RETURN_IF_ERROR(optional_string("time", time));
  if (time) {
    CL_ASSIGN_OR_RETURN(c.time, ParseTime(*time));
  }
  CL_RETURN_IF_ERROR(ValidateCommand(c));
  return c;
}

}  // namespace caseledger::ledger
