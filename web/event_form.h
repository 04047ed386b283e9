// The workspace's forms for recording an event on a case (docs/web.md,
// "Recording on a case"). One form per event type, derived from the
// catalogue's schema (projections::FormFields): codes are offered only from
// their closed lists, each with its label; references to earlier events of
// the case are picked from the case's own state (a pending request, an
// active intervention), never typed; the legal basis is chosen from the
// registry with its conditions beside it. The server stays the authority:
// the policy engine in the writer decides, and a form only offers what the
// schema takes. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/staff.h"
#include "base/json.h"
#include "http/router.h"
#include "ledger/time.h"
#include "projections/case_state.h"
#include "web/i18n.h"

namespace caseledger::projections {
struct LegalBasis;  // projections/legal_basis.h
}  // namespace caseledger::projections

namespace caseledger::web {

// An earlier event of the case a reference field may point at.
struct SeqChoice {
  std::uint64_t seq = 0;
  std::string label;  // in the page's language
};

// The events of `v` the field `field` of `type` may refer to, for the user
// `me` — e.g. the requests still awaiting a decision by someone other than
// their requester (four eyes: the requester is offered none). A retraction's
// `target` is any event of the case's `state` its author (or, with `role`
// coordinator, anyone) may still retract (ROL-10); without `state`, none.
std::vector<SeqChoice> SeqChoices(Lang lang, std::string_view type, std::string_view field,
                                  const projections::CaseView& v, std::string_view me,
                                  const projections::CaseState* state = nullptr,
                                  std::string_view role = "");

// True if `role` may record `type` on a case and its form can be filled
// in for `v` by `me`: a case event the role may record, every required field
// offered by a form, and every required reference with something to refer to.
bool Offerable(std::string_view type, std::string_view role, const projections::CaseView& v,
               std::string_view me, const projections::CaseState* state = nullptr);

// The label of a code of a field ("code.<field>.<code>"), for forms and
// pages.
std::string CodeLabel(Lang lang, std::string_view field, std::string_view code);

// The conditions of a legal basis of the registry, as a list (HTML,
// escaped): recipients allowed, what must be documented, Art. 9 / Art. 10
// cover, onward disclosure, whether the citation is confirmed — beside each
// basis on the form, and on a disclosure's own page.
std::string BasisConditions(Lang lang, const projections::LegalBasis& b);

// What a form gives around the fields (already known to the page).
struct FormContext {
  Lang lang = Lang::kDa;
  std::string type;
  const projections::CaseView* view = nullptr;  // nullptr: an event of no case
  std::string me;
  const std::vector<app::StaffMember>* staff = nullptr;  // for user fields
  const projections::CaseState* state = nullptr;  // for a retraction's target
  std::string role;                               // the user's
};

// The form's fields (HTML, escaped), filled with `form` (a form sent back
// after an error keeps what was typed).
std::string RenderEventFields(const FormContext& c, const http::QueryParams& form);

// The header and body of a posted form, as the catalogue takes them.
struct ParsedEvent {
  Json h = Json::object();
  std::optional<Json> body;
  // Set if the form cannot be sent: the field's name and the catalogue key
  // of what is wrong ("form.required", "form.bad_date", …).
  std::string bad_field, problem_key;
  bool ok() const { return bad_field.empty(); }
};
ParsedEvent ParseEventForm(std::string_view type, const http::QueryParams& form);
// The error alert of a form that cannot be sent: what is wrong, naming the
// field by its label.
std::string FormProblemAlert(Lang lang, const ParsedEvent& parsed);

}  // namespace caseledger::web
