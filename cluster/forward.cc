#include "cluster/forward.h"

#include <utility>

#include "base/json.h"
#include "ledger/canonical_json.h"
#include "ledger/time.h"
#include "projections/policy.h"

namespace caseledger::cluster {

namespace {

// Commands as large as the API accepts, with room for the envelope.
ledger::JsonLimits ForwardLimits() {
  ledger::JsonLimits limits;
  limits.max_bytes = std::size_t{8} << 20;
  limits.max_string_bytes = std::size_t{4} << 20;
  return limits;
}

}  // namespace

std::string EncodeForwarded(const ledger::Command& cmd) {
  Json c{{"type", cmd.type}, {"actor", cmd.actor}, {"role", cmd.role}, {"h", cmd.h}};
  if (cmd.case_id) c["case"] = *cmd.case_id;
  if (cmd.subject) c["subject"] = *cmd.subject;
  if (cmd.body) c["body"] = *cmd.body;
  if (cmd.time) c["time"] = ledger::FormatTime(*cmd.time);
  const projections::CommandOrigin origin = projections::OriginOf(cmd);
  return ledger::CanonicalJson(Json{{"command", std::move(c)},
                                    {"from_server", cmd.from_server},
                                    {"legacy_import", origin.legacy_import},
                                    {"need_to_know", origin.enforce_need_to_know}});
}

Result<ledger::Command> DecodeForwarded(std::string_view text) {
  auto parsed = ledger::ParseUntrustedJson(text, ForwardLimits());
  if (!parsed.ok()) return InvalidArgument("a forwarded command: " + parsed.status().message());
  const Json& j = *parsed;
  if (!j.is_object() || j.size() != 4 || !j.contains("command") || !j["command"].is_object() ||
      !j.contains("from_server") || !j["from_server"].is_boolean() || !j.contains("legacy_import") ||
      !j["legacy_import"].is_boolean() || !j.contains("need_to_know") || !j["need_to_know"].is_boolean())
    return InvalidArgument("a forwarded command is {command, from_server, legacy_import, need_to_know}");
  CL_ASSIGN_OR_RETURN(ledger::Command cmd, ledger::ParseCommandJson(j["command"].dump(), ForwardLimits()));
  cmd.from_server = j["from_server"].get<bool>();
  projections::CommandOrigin origin;
  origin.legacy_import = j["legacy_import"].get<bool>();
  origin.enforce_need_to_know = j["need_to_know"].get<bool>();
  if (origin.legacy_import || origin.enforce_need_to_know) projections::SetOrigin(cmd, origin);
  return cmd;
}

std::string EncodeForwardAnswer(const Result<ledger::Appended>& answer) {
  if (!answer.ok()) {
    const Status& s = answer.status();
    return ledger::CanonicalJson(Json{{"error",
                                       {{"code", static_cast<int>(s.code())},
                                        {"message", s.message()},
                                        {"reason", s.reason()}}}});
  }
  return ledger::CanonicalJson(Json{{"appended",
                                     {{"checkpoint", answer->checkpoint},
                                      {"seq", answer->seq},
                                      {"time", answer->time},
                                      {"tree_size", answer->tree_size}}}});
}

Result<ledger::Appended> DecodeForwardAnswer(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  const auto bad = [] { return Unavailable("the leader's answer to a forwarded command is malformed"); };
  if (!j.is_object() || j.size() != 1) return bad();
  if (j.contains("appended")) {
    const Json& a = j["appended"];
    if (!a.is_object() || !a.contains("checkpoint") || !a["checkpoint"].is_string() || !a.contains("seq") ||
        !a["seq"].is_number_unsigned() || !a.contains("time") || !a["time"].is_string() ||
        !a.contains("tree_size") || !a["tree_size"].is_number_unsigned())
      return bad();
    ledger::Appended out;
    out.checkpoint = a["checkpoint"].get<std::string>();
    out.seq = a["seq"].get<std::uint64_t>();
    out.time = a["time"].get<std::string>();
    out.tree_size = a["tree_size"].get<std::uint64_t>();
    return out;
  }
  if (!j.contains("error")) return bad();
  const Json& e = j["error"];
  if (!e.is_object() || !e.contains("code") || !e["code"].is_number_integer() || !e.contains("message") ||
      !e["message"].is_string() || !e.contains("reason") || !e["reason"].is_string())
    return bad();
  const int code = e["code"].get<int>();
  if (code <= static_cast<int>(StatusCode::kOk) || code > static_cast<int>(StatusCode::kRateLimited)) return bad();
  Status s(static_cast<StatusCode>(code), e["message"].get<std::string>());
  if (!e["reason"].get<std::string>().empty()) s = std::move(s).WithReason(e["reason"].get<std::string>());
  return s;
}

}  // namespace caseledger::cluster
