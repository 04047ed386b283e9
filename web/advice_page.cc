// Advice without registration (docs/web.md, "Advice without registration"):
// most calls to the national hotline and the advice phone end with advice to
// a professional or a relative, and no one is registered for them. The form
// records such a contact as advice.given — its channel, who asked, the
// behaviour codes discussed and the outcome — with no subject, no case and
// no personal data (the form has no field for any), counted in the
// statistics per year. If the contact is referred, a concern is opened in
// the ordinary way, and the page says so with a link to the concern form.
#include <string>

#include "app/concern.h"
#include "projections/catalogue.h"
#include "projections/policy.h"
#include "web/event_form.h"
#include "web/workspace.h"

namespace caseledger::web {

using http::HttpResponse;

namespace {

constexpr std::string_view kAdvice = "advice.given";

}  // namespace

HttpResponse Workspace::AdviceForm(const Session& s, const http::QueryParams& form, int status,
                                   const std::string& alert_html) {
  const Catalogue& t = Catalogue::Builtin();
  const projections::EventSpec* spec = projections::FindEventSpec(kAdvice);
  if ((spec->roles & projections::RoleBitOf(s.who.role)) == 0)
    return ErrorPage(403, s.lang, &s, "error.forbidden");
  FormContext c{.lang = s.lang, .type = std::string(kAdvice), .me = s.who.user, .role = s.who.role};
  std::string main = alert_html + "<p>" + Esc(t.Text(s.lang, "advice.intro")) + "</p>\n" +
                     "<form method=\"post\" action=\"/ui/advice\">\n" + CsrfField(s) +
                     RenderEventFields(c, form) +
                     "<button class=\"button button-primary\" type=\"submit\">" +
                     Esc(t.Text(s.lang, "advice.submit")) + "</button>\n</form>\n";
  return SessionPage(status, s, "/ui/advice/new", "advice.title", main);
}

HttpResponse Workspace::RecordAdvice(const Session& s, const http::QueryParams& form) {
  const Catalogue& t = Catalogue::Builtin();
  const projections::EventSpec* spec = projections::FindEventSpec(kAdvice);
  if ((spec->roles & projections::RoleBitOf(s.who.role)) == 0)
    return ErrorPage(403, s.lang, &s, "error.forbidden");
  auto alert = [](const std::string& html) { return AlertBox("error", html); };
  ParsedEvent parsed = ParseEventForm(kAdvice, form);
  if (!parsed.ok()) return AdviceForm(s, form, 400, FormProblemAlert(s.lang, parsed));
  ledger::Command cmd;
  cmd.type = std::string(kAdvice);
  cmd.actor = s.who.user;
  cmd.role = s.who.role;
  const bool referred = parsed.h.value("outcome", std::string()) == "referred";
  cmd.h = std::move(parsed.h);
  auto appended = app::AppendAndWait(domain_.writer(), std::move(cmd), options_.write_timeout);
  if (appended.ok()) return Redirect(referred ? "/ui/advice/new?recorded=referred" : "/ui/advice/new?recorded=advice_only");
  const Status& st = appended.status();
  if (st.code() == StatusCode::kPolicyRefused) {
    // The form offers b.* codes only, so a refusal is a protected
    // characteristic forced into it (ROL-1): said in the words of this page.
    const std::string rule = projections::RuleOf(st);
    return AdviceForm(s, form, 422,
                      alert("<p><strong>" + Esc(t.Format(s.lang, "record.refused", {{"rule", rule}})) +
                            "</strong></p><p>" + Esc(t.Text(s.lang, "advice.refused_protected")) +
                            "</p><p>" + Esc(t.Text(s.lang, "record.nothing_stored")) + "</p>"));
  }
  if (st.code() == StatusCode::kInvalidArgument)
    return AdviceForm(s, form, 400, alert("<p>" + Esc(t.Text(s.lang, "record.invalid")) + "</p>"));
  return ErrorPage(503, s.lang, &s, "error.storage");
}

HttpResponse Workspace::AdvicePage(const Session& s, const http::QueryParams& q) {
  const Catalogue& t = Catalogue::Builtin();
  std::string alert;
  if (auto it = q.find("recorded"); it != q.end()) {
    alert = "<div class=\"alert alert-success\" role=\"status\"><p>" +
            Esc(t.Text(s.lang, "advice.recorded")) + "</p>";
    if (it->second == "referred")
      alert += "<p>" + Esc(t.Text(s.lang, "advice.referred")) + " <a href=\"/ui/concerns/new\">" +
               Esc(t.Text(s.lang, "nav.report_concern")) + "</a></p>";
    alert += "</div>\n";
  }
  return AdviceForm(s, {}, 200, alert);
}

}  // namespace caseledger::web
