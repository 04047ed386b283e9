// Recording an event on a case (docs/web.md, "Recording on a case"): one form
// per event type, derived from the catalogue (web/event_form.h), posted to
// the same writer as POST /v1/cases/{case}/events — need to know, the role
// table and every rule of law are decided there, on the state the event is
// appended to. A refusal is shown in plain language with its rule id and
// what would make the event lawful; nothing but the refusal record is
// stored.
#include <string>

#include "app/case_access.h"
#include "app/concern.h"
#include "projections/catalogue.h"
#include "projections/policy.h"
#include "web/event_form.h"
#include "web/workspace.h"

namespace caseledger::web {

using http::HttpResponse;

namespace {

}  // namespace

std::string Workspace::Actions(const Session& s, const projections::CachedCase& c) const {
  const projections::CaseView& v = c.view;
  const Catalogue& t = Catalogue::Builtin();
  std::string items;
  for (const projections::EventSpec& spec : projections::EventSpecs()) {
    if (!Offerable(spec.type, s.who.role, v, s.who.user, &c.state)) continue;
    items += "<li><a href=\"/ui/cases/" + Esc(v.case_id) + "/record/" + Esc(std::string(spec.type)) +
             "\">" + Esc(t.Text(s.lang, "event." + std::string(spec.type))) + "</a></li>\n";
  }
  if (items.empty()) return "";
  return "<h2>" + Esc(t.Text(s.lang, "case.actions")) + "</h2>\n<ul class=\"actions\">\n" + items +
         "</ul>\n";
}

Result<ledger::Appended> Workspace::AppendCaseEvent(const Session& s, const std::string& case_id,
                                                    std::string type, Json h,
                                                    std::optional<Json> body) {
  ledger::Command cmd;
  projections::SetOrigin(cmd, {.enforce_need_to_know = true});
  cmd.type = std::move(type);
  cmd.actor = s.who.user;
  cmd.role = s.who.role;
  cmd.case_id = case_id;
  cmd.h = std::move(h);
  cmd.body = std::move(body);
  return app::AppendAndWait(domain_.writer(), std::move(cmd), options_.write_timeout);
}

HttpResponse Workspace::RecordForm(const Session& s, const std::string& case_id,
                                   const std::string& type, const http::QueryParams& form,
                                   int status, const std::string& alert_html) {
  const Catalogue& t = Catalogue::Builtin();
  const std::string purpose = ReadPurpose(s);
  if (purpose.empty()) return ErrorPage(403, s.lang, &s, "error.forbidden");
  auto grant = app::GrantCaseRead(cases_, s.who, case_id, purpose);
  if (!grant.ok()) return CaseReadRefused(s, grant.status());
  const projections::CaseView& v = grant->current.c->view;
  // A form the role cannot use (or one with nothing to refer to) is not
  // shown; the writer would refuse its event anyway.
  const projections::EventSpec* spec = projections::FindEventSpec(type);
  if (spec == nullptr || spec->server_only || spec->scope != projections::Scope::kCase)
    return ErrorPage(404, s.lang, &s, "error.not_found");
  // A form sent back (an error, a refusal) is shown again to whoever may
  // record the type, even when nothing is left to refer to (a forced
  // approval of one's own request is refused, and the page says why).
  const bool sent_back = status != 200;
  if (sent_back ? (spec->roles & projections::RoleBitOf(s.who.role)) == 0
                : !Offerable(type, s.who.role, v, s.who.user, &grant->current.c->state))
    return ErrorPage(403, s.lang, &s, "error.forbidden");
  // The form shows what the case holds (its requests, interventions): it is
  // a read, recorded before anything is rendered (fail closed).
  if (!app::RecordCaseAccess(domain_.writer(), s.who, case_id, purpose, "access.read",
                             options_.write_timeout)
           .ok())
    return ErrorPage(503, s.lang, &s, "error.storage");
  auto staff = app::ListStaff(domain_.store(), domain_.dbs(), domain_.keys(),
                              {"caseworker", "coordinator"});
  if (!staff.ok()) return ErrorPage(503, s.lang, &s, "error.storage");
  FormContext c{s.lang, type, &v, s.who.user, &*staff, &grant->current.c->state, s.who.role};
  const std::string action = "/ui/cases/" + Esc(case_id) + "/record/" + Esc(type);
  std::string main = alert_html + "<p>" + Esc(t.Text(s.lang, "record.intro")) + "</p>\n" +
                     "<form method=\"post\" action=\"" + action + "\">\n" + CsrfField(s) +
                     RenderEventFields(c, form) + "<button class=\"button button-primary\" type=\"submit\">" +
                     Esc(t.Text(s.lang, "record.submit")) + "</button> <a class=\"button button-secondary\" href=\"/ui/cases/" +
                     Esc(case_id) + "\">" + Esc(t.Text(s.lang, "record.cancel")) + "</a>\n</form>\n";
  Frame f;
  f.lang = s.lang;
  f.session = &s;
  f.path = "/ui/cases";
  f.title = t.Text(s.lang, "event." + type);
  return HtmlResponse(status, RenderPage(f, main));
}

HttpResponse Workspace::Record(const Session& s, const std::string& case_id, const std::string& type,
                               const http::QueryParams& form) {
  const Catalogue& t = Catalogue::Builtin();
  const projections::EventSpec* spec = projections::FindEventSpec(type);
  if (spec == nullptr || spec->server_only || spec->scope != projections::Scope::kCase)
    return ErrorPage(404, s.lang, &s, "error.not_found");
  ParsedEvent parsed = ParseEventForm(type, form);
  if (!parsed.ok()) return RecordForm(s, case_id, type, form, 400, FormProblemAlert(s.lang, parsed));
  auto appended = AppendCaseEvent(s, case_id, type, std::move(parsed.h), std::move(parsed.body));
  if (appended.ok()) return Redirect("/ui/cases/" + case_id + "?recorded=" + type);
  const Status& st = appended.status();
  if (st.code() == StatusCode::kPolicyRefused)
    return RecordForm(s, case_id, type, form, 422,
                      RefusalAlert(s.lang, st, "record.refused", true, "record.nothing_stored"));
  if (st.code() == StatusCode::kNotFound) return ErrorPage(404, s.lang, &s, "error.not_found");
  if (st.code() == StatusCode::kPermissionDenied) return ErrorPage(403, s.lang, &s, "error.forbidden");
  if (st.code() == StatusCode::kInvalidArgument)
    return RecordForm(s, case_id, type, form, 400,
                      AlertBox("error", "<p>" + Esc(t.Text(s.lang, "record.invalid")) + "</p>"));
  return ErrorPage(503, s.lang, &s, "error.storage");
}

}  // namespace caseledger::web
