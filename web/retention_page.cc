// The DPO's retention page (docs/web.md, "The DPO's pages"): the retention
// plan as of now (projections::PlanRetention: who is due, who a legal hold
// blocks, who falls due within 30 days), and the run (app::RunRetention, as
// `caseledger retention run` and the server's daily task), each erasure
// through the normal erasure path, acting for the signed-in DPO. By
// pseudonymous subject id only: no access record.
#include <string>

#include "app/retention.h"
#include "web/local_time.h"
#include "web/workspace.h"

namespace caseledger::web {

using http::HttpResponse;

namespace {

std::string PlanTable(const Catalogue& t, Lang lang, std::string_view caption_key,
                      const std::vector<projections::RetentionSubject>& subjects) {
  std::string out = "<h2>" + Esc(t.Text(lang, caption_key)) + "</h2>\n";
  if (subjects.empty()) return out + "<p>" + Esc(t.Text(lang, "retention.none")) + "</p>\n";
  out += "<div class=\"table--responsive-scroll\"><table class=\"table\"><caption>" +
         Esc(t.Text(lang, caption_key)) + "</caption>\n<thead><tr><th scope=\"col\">" +
         Esc(t.Text(lang, "dpo.subject")) + "</th><th scope=\"col\">" +
         Esc(t.Text(lang, "retention.col.due")) + "</th><th scope=\"col\">" +
         Esc(t.Text(lang, "field.reason")) + "</th><th scope=\"col\">" +
         Esc(t.Text(lang, "retention.col.cases")) + "</th></tr></thead>\n<tbody>\n";
  for (const projections::RetentionSubject& s : subjects)
    out += "<tr><th scope=\"row\">" + Esc(s.subject) + "</th><td>" + Esc(FormatDate(s.due)) +
           "</td><td>" + Esc(t.Text(lang, "dpo.reason." + s.reason)) + "</td><td>" +
           std::to_string(s.cases.size()) + "</td></tr>\n";
  return out + "</tbody></table></div>\n";
}

}  // namespace

void Workspace::AddRetentionRoutes(http::Router& router) {
  AddPage(router, "/ui/retention", [this](const Session& s, const http::PathParams&,
                                          const http::QueryParams&) { return RetentionPage(s, ""); });
  AddForm(router, "/ui/retention/run", [this](const Session& s, std::string_view,
                                              const http::PathParams&, const Form&) {
    return RunRetention(s);
  });
}

HttpResponse Workspace::RetentionPage(const Session& s, const std::string& report_html) {
  const Catalogue& t = Catalogue::Builtin();
  if (s.who.role != "dpo") return ErrorPage(403, s.lang, &s, "error.forbidden");
  auto plan = projections::PlanRetention(domain_.store(), domain_.dbs(), options_.clock(),
                                         app::kRetentionSoonWindow);
  if (!plan.ok()) return ErrorPage(503, s.lang, &s, "error.storage");
  std::string main = report_html + "<p>" +
                     Esc(t.Format(s.lang, "retention.summary",
                                  {{"subjects", std::to_string(plan->subjects)},
                                   {"erased", std::to_string(plan->erased)},
                                   {"unfounded_days", std::to_string(plan->policy.unfounded_days)},
                                   {"closed_years", std::to_string(plan->policy.closed_years)}})) +
                     "</p>\n" + PlanTable(t, s.lang, "retention.due", plan->due) +
                     PlanTable(t, s.lang, "retention.held", plan->held) +
                     PlanTable(t, s.lang, "retention.soon", plan->soon) +
                     "<form method=\"post\" action=\"/ui/retention/run\">" + CsrfField(s) +
                     "<p>" + Esc(t.Text(s.lang, "retention.run_hint")) + "</p>"
                     "<button class=\"button button-primary\" type=\"submit\">" +
                     Esc(t.Text(s.lang, "retention.run")) + "</button></form>\n";
  return SessionPage(200, s, "/ui/retention", "retention.title", main);
}

HttpResponse Workspace::RunRetention(const Session& s) {
  const Catalogue& t = Catalogue::Builtin();
  if (s.who.role != "dpo") return ErrorPage(403, s.lang, &s, "error.forbidden");
  auto run = app::RunRetention(domain_.ledger(), domain_.dbs(), s.who.user, options_.clock());
  if (!run.ok()) return ErrorPage(503, s.lang, &s, "error.storage");
  std::string inner = "<p>" + Esc(t.Format(s.lang, "retention.ran",
                                           {{"erased", std::to_string(run->erased.size())},
                                            {"failed", std::to_string(run->failed.size())}})) +
                      "</p>";
  if (!run->erased.empty()) {
    inner += "<ul>";
    for (const auto& e : run->erased) inner += "<li>" + Esc(e.subject) + "</li>";
    inner += "</ul>";
  }
  const std::string box = run->failed.empty() ? "success" : "warning";
  return RetentionPage(s, "<div class=\"alert alert-" + box +
                              "\" role=\"status\"><div class=\"alert-body\">" + inner +
                              "</div></div>\n");
}

}  // namespace caseledger::web
