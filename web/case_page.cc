// The case page of the workspace (docs/web.md, "A case"): the case's state
// and its timeline, each event with its verification status (signature and
// inclusion under the log's signed checkpoint: app::BuildCaseHistory), and
// the case as it stood at the end of a chosen day (time travel), with the
// progress per assessment dimension of that same view (web/progress_chart.h).
// Reading needs need to know for the role's purpose, and the access record is
// durable before anything of the case is rendered (fail closed). Headers and
// codes only: no body is shown on this page.
#include <algorithm>
#include <limits>
#include <optional>
#include <string>

#include "app/case_access.h"
#include "app/history.h"
#include "projections/catalogue.h"
#include "web/local_time.h"
#include "web/progress_chart.h"
#include "web/workspace.h"

namespace caseledger::web {

using http::HttpResponse;

namespace {

std::string Row(const std::string& label, const std::string& value) {
  return "<tr><th scope=\"row\">" + Esc(label) + "</th><td>" + Esc(value) + "</td></tr>\n";
}

std::string Summary(Lang lang, const projections::CaseView& v) {
  const Catalogue& t = Catalogue::Builtin();
  std::string grounds;
  for (const projections::Ground& g : v.grounds) {
    if (!grounds.empty()) grounds += "; ";
    Result<LocalDate> d = ParseDate(g.observed_on);
    const std::string date =
        d.ok() ? FormatDate(EndOfLocalDay(*d)) : g.observed_on;
    grounds += t.Text(lang, "ground." + g.code) + " (" + t.Format(lang, "case.observed", {{"date", date}}) + ")";
  }
  return "<table class=\"table\"><caption>" + Esc(t.Text(lang, "case.summary")) + "</caption>\n" +
         Row(t.Text(lang, "case.status"), t.Text(lang, "status." + v.status)) +
         Row(t.Text(lang, "case.opened"), FormatDateTime(v.opened)) +
         Row(t.Text(lang, "case.source"), t.Text(lang, "source." + v.source)) +
         Row(t.Text(lang, "case.assignees"), v.assignees.empty()
                                                  ? t.Text(lang, "cases.unassigned")
                                                  : std::to_string(v.assignees.size())) +
         Row(t.Text(lang, "case.grounds"), grounds) + "</table>\n";
}

std::string AsOfForm(Lang lang, const std::string& case_id, const std::string& typed) {
  const Catalogue& t = Catalogue::Builtin();
  return "<form method=\"get\" action=\"/ui/cases/" + Esc(case_id) + "\" class=\"as-of\">"
         "<div class=\"form-group\"><label class=\"form-label\" for=\"as_of\">" +
         Esc(t.Text(lang, "case.as_of_label")) +
         "</label><input class=\"form-input input-width-s\" type=\"text\" inputmode=\"numeric\" "
         "id=\"as_of\" name=\"as_of\" value=\"" + Esc(typed) + "\"></div>"
         "<button class=\"button button-secondary\" type=\"submit\">" +
         Esc(t.Text(lang, "case.as_of_submit")) + "</button></form>\n";
}

// The timeline rows of `doc` (BuildCaseHistory's), up to `until` (UTC).
std::string Timeline(Lang lang, const Json& doc, ledger::Micros until, int& shown, int& bad) {
  const Catalogue& t = Catalogue::Builtin();
  std::string rows;
  for (const Json& e : doc["entries"]) {
    auto time = ledger::ParseTime(e.value("time", std::string()));
    if (!time.ok() || *time > until) continue;
    const Json& v = e["verification"];
    const bool ok = v.value("signature_valid", false) && v.value("included", false);
    ++shown;
    if (!ok) ++bad;
    rows += "<tr><td>" + Esc(FormatDateTime(*time)) + "</td><td>" +
            Esc(t.Text(lang, "event." + e.value("type", std::string()))) + "</td><td>" +
            Esc(t.Text(lang, "role." + e.value("role", std::string()))) + "</td><td>" +
            Esc(t.Text(lang, ok ? "case.verified" : "case.not_verified")) + "</td></tr>\n";
  }
  return rows;
}

}  // namespace

std::string ReadPurpose(const Session& s) {
  if (s.who.role == "caseworker" || s.who.role == "coordinator") return "casework";
  if (s.who.role == "legal_reviewer") return "review";
  return "";
}

HttpResponse Workspace::CaseReadRefused(const Session& s, const Status& st) {
  const StatusCode c = st.code();
  if (c == StatusCode::kNotFound || c == StatusCode::kInvalidArgument)
    return ErrorPage(404, s.lang, &s, "error.not_found");
  if (c == StatusCode::kPermissionDenied) return ErrorPage(403, s.lang, &s, "error.forbidden");
  return ErrorPage(503, s.lang, &s, "error.storage");
}

HttpResponse Workspace::CasePage(const Session& s, const std::string& case_id,
                                 const http::QueryParams& q) {
  const Catalogue& t = Catalogue::Builtin();
  const std::string purpose = ReadPurpose(s);
  if (purpose.empty()) return ErrorPage(403, s.lang, &s, "error.forbidden");
  auto grant = app::GrantCaseRead(cases_, s.who, case_id, purpose);
  if (!grant.ok()) return CaseReadRefused(s, grant.status());
  // Fail closed: the access record is durable before anything is rendered.
  if (!app::RecordCaseAccess(domain_.writer(), s.who, case_id, purpose, "access.read",
                             options_.write_timeout)
           .ok())
    return ErrorPage(503, s.lang, &s, "error.storage");

  std::string main, alert;
  const std::string typed = q.contains("as_of") ? q.at("as_of") : "";
  ledger::Micros until = std::numeric_limits<ledger::Micros>::max();
  std::optional<projections::CaseView> view = grant->current.c->view;
  if (!typed.empty()) {
    Result<LocalDate> d = ParseDate(typed);
    if (!d.ok()) {
      alert = "<div class=\"alert alert-error\" role=\"alert\"><p>" + Esc(t.Text(s.lang, "case.as_of_bad")) + "</p></div>\n";
    } else {
      until = EndOfLocalDay(*d);
      const std::string date = FormatDate(until);
      auto then = projections::CaseAsOfTime(domain_.store(), domain_.dbs(), case_id, until);
      if (then.ok()) {
        view = then->Derive();
        alert = "<div class=\"alert alert-info\" role=\"status\"><p>" +
                Esc(t.Format(s.lang, "case.as_of_shown", {{"date", date}})) + " <a href=\"/ui/cases/" +
                Esc(case_id) + "\">" + Esc(t.Text(s.lang, "case.as_of_now")) + "</a></p></div>\n";
      } else {
        view.reset();
        alert = "<div class=\"alert alert-info\" role=\"status\"><p>" +
                Esc(t.Format(s.lang, "case.as_of_none", {{"date", date}})) + "</p></div>\n";
      }
    }
  }
  auto doc = app::BuildCaseHistory(domain_.store(), verifier_, domain_.dbs(), case_id, options_.clock());
  if (!doc.ok()) return ErrorPage(503, s.lang, &s, "error.storage");
  if (auto it = q.find("recorded");
      it != q.end() && projections::FindEventSpec(it->second) != nullptr && typed.empty())
    alert = "<div class=\"alert alert-success\" role=\"status\"><p>" +
            Esc(t.Format(s.lang, "case.recorded", {{"event", t.Text(s.lang, "event." + it->second)}})) +
            "</p></div>\n" + alert;
  main += alert + "<p>" + Esc(t.Text(s.lang, "case.access_recorded")) + "</p>\n";
  if (view) main += Summary(s.lang, *view);
  if (typed.empty()) main += Actions(s, *grant->current.c);
  if (view) main += ProgressSection(s.lang, *view);  // as it stood under time travel
  main += "<h2>" + Esc(t.Text(s.lang, "case.as_of_title")) + "</h2>\n" + AsOfForm(s.lang, case_id, typed);
  int shown = 0, bad = 0;
  const std::string rows = Timeline(s.lang, *doc, until, shown, bad);
  main += "<h2>" + Esc(t.Text(s.lang, "case.timeline")) + "</h2>\n<p>" +
          Esc(bad == 0 ? t.Format(s.lang, "case.all_verified", {{"n", std::to_string(shown)}})
                       : t.Format(s.lang, "case.some_unverified",
                                  {{"bad", std::to_string(bad)}, {"n", std::to_string(shown)}})) +
          "</p>\n<div class=\"table--responsive-scroll\"><table class=\"table\"><caption>" +
          Esc(t.Text(s.lang, "case.timeline")) + "</caption>\n<thead><tr>";
  for (const char* col : {"case.col.time", "case.col.event", "case.col.role", "case.col.verified"})
    main += "<th scope=\"col\">" + Esc(t.Text(s.lang, col)) + "</th>";
  main += "</tr></thead>\n<tbody>\n" + rows + "</tbody></table></div>\n";
  Frame f;
  f.lang = s.lang;
  f.session = &s;
  f.path = "/ui/cases";
  f.title = t.Format(s.lang, "case.title", {{"case", case_id.substr(0, std::min<std::size_t>(case_id.size(), 10))}});
  return HtmlResponse(200, RenderPage(f, main));
}

}  // namespace caseledger::web
