// The DPO's legal holds (docs/web.md, "The DPO's pages"): a case reached
// from the person's page after a lookup shows whether it is held, and one
// form sets the hold (`legal_hold.set`, with its ground and an optional
// note) or releases it (`legal_hold.released`). A hold blocks erasure, by
// request and by the retention run, until it is released (ROL-16). The page
// shows the case's id, status, opening date and hold only — no case content,
// so it is no read of the case and writes no access record (as the
// retention plan). The event goes to the same writer as
// POST /v1/cases/{case}/events: the role table and every rule are decided
// there.
#include <string>

#include "app/concern.h"
#include "projections/policy.h"
#include "web/event_form.h"
#include "web/local_time.h"
#include "web/workspace.h"

namespace caseledger::web {

using http::HttpResponse;

namespace {

constexpr std::string_view kSet = "legal_hold.set";
constexpr std::string_view kReleased = "legal_hold.released";

}  // namespace

HttpResponse Workspace::HoldPage(const Session& s, const std::string& case_id, const Form& form,
                                 int status, const std::string& alert_html) {
  const Catalogue& t = Catalogue::Builtin();
  if (s.who.role != "dpo") return ErrorPage(403, s.lang, &s, "error.forbidden");
  auto snap = cases_.Get(case_id);
  if (!snap.ok()) return CaseReadRefused(s, snap.status());
  const projections::CaseView& v = snap->c->view;
  // Set when there is none, release when there is one: the form offers the
  // one the case can take.
  const std::string type(v.legal_hold ? kReleased : kSet);
  FormContext c{.lang = s.lang, .type = type, .view = &v, .me = s.who.user, .role = s.who.role};
  const std::string action = "/ui/cases/" + Esc(case_id) + "/hold";
  std::string main =
      alert_html + "<p>" + Esc(t.Text(s.lang, "dpo.hold.intro")) + "</p>\n" +
      "<dl class=\"summary-list\">"
      "<dt>" + Esc(t.Text(s.lang, "cases.col.case")) + "</dt><dd><span class=\"case-id\">" + Esc(case_id) +
      "</span></dd><dt>" + Esc(t.Text(s.lang, "cases.col.status")) + "</dt><dd>" +
      Esc(t.Text(s.lang, "status." + v.status)) + "</dd><dt>" + Esc(t.Text(s.lang, "cases.col.opened")) +
      "</dt><dd>" + Esc(FormatDate(v.opened)) + "</dd><dt>" + Esc(t.Text(s.lang, "dpo.hold.state")) +
      "</dt><dd id=\"hold-state\">" + Esc(t.Text(s.lang, v.legal_hold ? "dpo.hold.held" : "dpo.hold.not_held")) +
      "</dd></dl>\n<h2>" + Esc(t.Text(s.lang, v.legal_hold ? "dpo.hold.release" : "dpo.hold.set")) +
      "</h2>\n<p>" +
      Esc(t.Text(s.lang, v.legal_hold ? "dpo.hold.release_intro" : "dpo.hold.set_intro")) + "</p>\n" +
      "<form method=\"post\" action=\"" + action + "\">" + CsrfField(s) +
      "<input type=\"hidden\" name=\"type\" value=\"" + type + "\">" + RenderEventFields(c, form) +
      "<button class=\"button button-primary\" type=\"submit\">" +
      Esc(t.Text(s.lang, v.legal_hold ? "dpo.hold.release" : "dpo.hold.set")) + "</button></form>\n" +
      "<p><a href=\"/ui/subjects\">" + Esc(t.Text(s.lang, "dpo.lookup.again")) + "</a></p>\n";
  return SessionPage(status, s, "/ui/subjects", "dpo.hold.title", main);
}

HttpResponse Workspace::SetHold(const Session& s, const std::string& case_id, const Form& form) {
  const Catalogue& t = Catalogue::Builtin();
  if (s.who.role != "dpo") return ErrorPage(403, s.lang, &s, "error.forbidden");
  const std::string type = FormValue(form, "type");
  if (type != kSet && type != kReleased) return HoldPage(s, case_id, form, 400, "");
  ParsedEvent parsed = ParseEventForm(type, form);
  if (!parsed.ok()) return HoldPage(s, case_id, form, 400, FormProblemAlert(s.lang, parsed));
  auto appended = AppendCaseEvent(s, case_id, type, std::move(parsed.h), std::move(parsed.body));
  if (appended.ok()) return Redirect("/ui/cases/" + case_id + "/hold?done=" + (type == kSet ? "set" : "released"));
  const Status& st = appended.status();
  if (st.code() == StatusCode::kPolicyRefused)
    return HoldPage(s, case_id, form, 422, RefusalAlert(s.lang, st, "record.refused", true));
  // Released by someone else meanwhile: the page shows the case as it is now.
  if (st.code() == StatusCode::kFailedPrecondition)
    return HoldPage(s, case_id, {}, 409, AlertBox("error", "<p>" + Esc(t.Text(s.lang, "dpo.hold.changed")) + "</p>"));
  if (st.code() == StatusCode::kNotFound || st.code() == StatusCode::kInvalidArgument)
    return ErrorPage(404, s.lang, &s, "error.not_found");
  if (st.code() == StatusCode::kPermissionDenied) return ErrorPage(403, s.lang, &s, "error.forbidden");
  return ErrorPage(503, s.lang, &s, "error.storage");
}

}  // namespace caseledger::web
