#include "web/page.h"

#include "app/html.h"

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
  }
  return nav;
}

std::string CsrfField(const Session& session) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + Esc(session.csrf) + "\">";
}

namespace {

std::string Header(const Frame& f) {
  const Catalogue& t = *f.text;
  std::string h =
      "<a class=\"skipnav\" href=\"#main-content\">" + Esc(t.Text(f.lang, "skip.to_content")) +
      "</a>\n<header class=\"header\"><div class=\"portal-header\"><div class=\"container\">"
      "<span class=\"portal-header-title\">" + Esc(t.Text(f.lang, "app.name")) + "</span> "
      "<span class=\"portal-header-subtitle\">" + Esc(t.Text(f.lang, "app.tagline")) + "</span>";
  if (f.session != nullptr) {
    h += "<p class=\"portal-info\">" +
         Esc(t.Format(f.lang, "signed_in_as",
                      {{"role", t.Text(f.lang, "role." + f.session->who.role)}})) +
         "</p>";
  }
  h += "</div></div></header>\n";
  return h;
}

std::string Nav(const Frame& f) {
  if (f.session == nullptr) return "";
  const Catalogue& t = *f.text;
  std::string n = "<nav class=\"navigation\" aria-label=\"" + Esc(t.Text(f.lang, "nav.main")) +
                  "\"><div class=\"container\"><ul class=\"nav-primary\">";
  for (const NavItem& item : NavFor(f.session->who.role)) {
    const bool current = f.path == item.path;
    n += "<li><a class=\"nav-link" + std::string(current ? " current" : "") + "\" href=\"" +
         Esc(item.path) + "\"" + (current ? " aria-current=\"page\"" : "") + ">" +
         Esc(t.Text(f.lang, item.key)) + "</a></li>";
  }
  n += "</ul></div></nav>\n";
  return n;
}

std::string Footer(const Frame& f) {
  const Catalogue& t = *f.text;
  std::string out = "<footer class=\"footer\"><div class=\"container\"><p>" +
                    Esc(t.Text(f.lang, "footer.text")) + "</p>";
  if (f.session != nullptr) {
    const Lang other = f.lang == Lang::kDa ? Lang::kEn : Lang::kDa;
    out += "<form method=\"post\" action=\"/ui/lang\" class=\"inline-form\">" +
           CsrfField(*f.session) + "<input type=\"hidden\" name=\"lang\" value=\"" +
           std::string(LangCode(other)) + "\"><input type=\"hidden\" name=\"back\" value=\"" +
           Esc(f.path) + "\"><button class=\"button button-unstyled\" type=\"submit\" lang=\"" +
           std::string(LangCode(other)) + "\">" + Esc(t.Text(other, "lang." + std::string(LangCode(other)))) +
           "</button></form>";
    out += "<form method=\"post\" action=\"/ui/signout\" class=\"inline-form\">" +
           CsrfField(*f.session) + "<button class=\"button button-secondary\" type=\"submit\">" +
           Esc(t.Text(f.lang, "signout.submit")) + "</button></form>";
  }
  out += "</div></footer>\n";
  return out;
}

}  // namespace

std::string RenderPage(const Frame& f, std::string_view main_html) {
  const Catalogue& t = *f.text;
  std::string html = "<!DOCTYPE html>\n<html lang=\"" + std::string(LangCode(f.lang)) +
                     "\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>" + Esc(f.title) + " – " + Esc(t.Text(f.lang, "app.name")) +
                     "</title>\n<link rel=\"stylesheet\" href=\"/ui/assets/workspace.css\">\n"
                     "</head>\n<body>\n";
  html += Header(f);
  html += Nav(f);
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
