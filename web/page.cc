#include "web/page.h"

#include "app/html.h"
#include "projections/policy.h"
#include "web/assets.h"

namespace caseledger::web {

// web/messages.cc.in (generated into the build tree).
extern const char* const kWorkspaceCss;

std::string_view WorkspaceCss() { return kWorkspaceCss; }

std::string Esc(std::string_view text) { return app::HtmlEscape(text); }

std::vector<NavItem> NavFor(std::string_view role) {
  std::vector<NavItem> nav = {{"nav.home", "/ui/home"}};
  if (role == "coordinator") nav.push_back({"nav.triage", "/ui/triage"});
  if (role == "caseworker" || role == "coordinator") {
    nav.push_back({"nav.my_cases", "/ui/cases"});
    nav.push_back({"nav.report_concern", "/ui/concerns/new"});
    nav.push_back({"nav.advice", "/ui/advice/new"});
  }
  if (role != "caseworker") nav.push_back({"nav.disclosures", "/ui/disclosures"});
  if (role == "dpo") {
    nav.push_back({"nav.subjects", "/ui/subjects"});
    nav.push_back({"nav.users", "/ui/users"});
    nav.push_back({"nav.retention", "/ui/retention"});
  }
  if (role == "coordinator" || role == "auditor" || role == "dpo")
    nav.push_back({"nav.statistics", "/ui/statistics"});
  if (role == "auditor" || role == "dpo") nav.push_back({"nav.audit", "/ui/audit"});
  return nav;
}

std::string FormValue(const http::QueryParams& form, std::string_view name) {
  auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

std::string AlertBox(std::string_view kind, const std::string& inner_html) {
  return "<div class=\"alert alert-" + std::string(kind) + "\" role=\"" +
         (kind == "error" ? "alert" : "status") + "\"><div class=\"alert-body\">" + inner_html +
         "</div></div>\n";
}

std::string RefusalAlert(Lang lang, const Status& refused, std::string_view headline_key,
                         bool remedy, std::string_view after_key) {
  const Catalogue& t = Catalogue::Builtin();
  const std::string rule = projections::RuleOf(refused);
  const std::string key = t.Has("refusal." + rule) ? "refusal." + rule : "refusal.other";
  std::string html = "<p><strong>" + Esc(t.Format(lang, headline_key, {{"rule", rule}})) +
                     "</strong></p><p>" + Esc(t.Text(lang, key)) + "</p>";
  if (remedy) html += "<p>" + Esc(t.Text(lang, key + ".remedy")) + "</p>";
  if (!after_key.empty()) html += "<p>" + Esc(t.Text(lang, after_key)) + "</p>";
  return AlertBox("error", html);
}

std::string CsrfField(const Session& session) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + Esc(session.csrf) + "\">";
}

namespace {

// The navigation menu of dkfds 11's header (div.navigation-menu, nav.nav,
// ul.mainmenu; the current page's item li.active.current).
std::string Nav(const Frame& f) {
  if (f.session == nullptr) return "";
  const Catalogue& t = *f.text;
  std::string n = "<div class=\"navigation-menu\"><div class=\"navigation-menu-inner container\">"
                  "<nav class=\"nav\" aria-label=\"" + Esc(t.Text(f.lang, "nav.main")) +
                  "\"><ul class=\"mainmenu\">";
  for (const NavItem& item : NavFor(f.session->who.role)) {
    const bool current = f.path == item.path;
    n += std::string(current ? "<li class=\"active current\">" : "<li>") +
         "<a class=\"nav-link\" href=\"" + Esc(item.path) + "\"" +
         (current ? " aria-current=\"page\"" : "") + "><span>" + Esc(t.Text(f.lang, item.key)) +
         "</span></a></li>";
  }
  n += "</ul></nav></div></div>\n";
  return n;
}

// The skip link and dkfds 11's header for a self-service solution: the
// solution's name (to /ui, which leads home or to sign-in), the tagline and
// who is signed in as additional information, then the navigation.
std::string Header(const Frame& f) {
  const Catalogue& t = *f.text;
  std::string h =
      "<a class=\"skipnav\" href=\"#main-content\">" + Esc(t.Text(f.lang, "skip.to_content")) +
      "</a>\n<header class=\"header\"><div class=\"solution-info\">"
      "<div class=\"solution-info-inner container\"><div class=\"solution-heading\">"
      "<a href=\"/ui\">" + Esc(t.Text(f.lang, "app.name")) + "</a></div>"
      "<div class=\"additional-info\"><p><strong class=\"authority-name\">" +
      Esc(t.Text(f.lang, "app.tagline")) + "</strong></p>";
  if (f.session != nullptr) {
    h += "<p>" +
         Esc(t.Format(f.lang, "signed_in_as",
                      {{"role", t.Text(f.lang, "role." + f.session->who.role)}})) +
         "</p>";
  }
  h += "</div></div></div>\n" + Nav(f) + "</header>\n";
  return h;
}

std::string Footer(const Frame& f) {
  const Catalogue& t = *f.text;
  std::string out = "<footer><div class=\"footer\"><div class=\"container\"><p>" +
                    Esc(t.Text(f.lang, "footer.text")) + "</p>";
  if (f.session != nullptr) {
    const Lang other = f.lang == Lang::kDa ? Lang::kEn : Lang::kDa;
    out += "<form method=\"post\" action=\"/ui/lang\" class=\"inline-form\">" +
           CsrfField(*f.session) + "<input type=\"hidden\" name=\"lang\" value=\"" +
           std::string(LangCode(other)) + "\"><input type=\"hidden\" name=\"back\" value=\"" +
           Esc(f.path) + "\"><button class=\"function-link\" type=\"submit\" lang=\"" +
           std::string(LangCode(other)) + "\">" + Esc(t.Text(other, "lang." + std::string(LangCode(other)))) +
           "</button></form>";
    out += "<form method=\"post\" action=\"/ui/signout\" class=\"inline-form\">" +
           CsrfField(*f.session) + "<button class=\"button button-secondary\" type=\"submit\">" +
           Esc(t.Text(f.lang, "signout.submit")) + "</button></form>";
  }
  out += "</div></div></footer>\n";
  return out;
}

}  // namespace

std::string RenderPage(const Frame& f, std::string_view main_html) {
  const Catalogue& t = *f.text;
  std::string html = "<!DOCTYPE html>\n<html lang=\"" + std::string(LangCode(f.lang)) +
                     "\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>" + Esc(f.title) + " – " + Esc(t.Text(f.lang, "app.name")) +
                     "</title>\n<link rel=\"stylesheet\" href=\"" + DkfdsStylesheetUrl() +
                     "\">\n<link rel=\"stylesheet\" href=\"/ui/assets/workspace.css\">\n"
                     "</head>\n<body>\n";
  html += Header(f);
  html += "<main id=\"main-content\" class=\"container\" tabindex=\"-1\">\n<h1>" + Esc(f.title) +
          "</h1>\n";
  html += main_html;
  html += "</main>\n";
  html += Footer(f);
  html += "</body>\n</html>\n";
  return html;
}

http::HttpResponse SessionPage(int status, const Session& session, std::string_view path,
                               std::string_view title_key, std::string_view main_html) {
  Frame f;
  f.lang = session.lang;
  f.session = &session;
  f.path = std::string(path);
  f.title = f.text->Text(session.lang, title_key);
  return HtmlResponse(status, RenderPage(f, main_html));
}

http::HttpResponse HtmlResponse(int status, std::string html) {
  http::HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(html);
  r.headers.emplace_back("Content-Security-Policy", std::string(kCsp));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  return r;
}

http::HttpResponse Redirect(std::string_view path) {
  http::HttpResponse r = HtmlResponse(303, "");
  r.headers.emplace_back("Location", std::string(path));
  return r;
}

}  // namespace caseledger::web
