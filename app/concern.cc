#include "app/concern.h"

#include "base/ids.h"
#include "crypto/random.h"

namespace caseledger::app {

namespace {
std::string NewRandomId(std::string_view prefix) {
  return FormatId(prefix, crypto::RandomArray<kIdRandomBytes>());
}
}  // namespace

Result<ledger::Command> ConcernCommand(const Principal& who,
                                       const std::optional<std::string>& subject, Json h,
                                       Json body) {
  ledger::Command c;
  c.type = "concern.reported";
  c.actor = who.user;
  c.role = who.role;
  c.case_id = NewRandomId("c");
  if (!subject) {
    const Json ns = h.is_object() && h.contains("new_subject") ? h["new_subject"] : Json();
    if (!ns.is_boolean() || !ns.get<bool>())
      return InvalidArgument("h.new_subject: must be true for a new person (subject null)");
    c.subject = NewRandomId("s");
  } else {
    if (!ValidateId(*subject, "s", "subject").ok())
      return InvalidArgument("subject: not a subject id (s-…) or null");
    c.subject = *subject;
  }
  c.h = std::move(h);
  c.body = std::move(body);
  return c;
}

Result<ledger::Appended> AppendAndWait(ledger::Writer& writer, ledger::Command cmd,
                                       std::chrono::milliseconds timeout) {
  auto fut = writer.Submit(std::move(cmd));
  if (fut.wait_for(timeout) != std::future_status::ready)
    return Unavailable("the ledger did not confirm the write in time; it was not acknowledged");
  return fut.get();
}

}  // namespace caseledger::app
