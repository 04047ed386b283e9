#include "web/workspace.h"

#include <algorithm>
#include <utility>

#include "app/case_list.h"
#include "base/ids.h"
#include "web/assets.h"
#include "web/local_time.h"

namespace caseledger::web {

using http::HttpRequest;
using http::HttpResponse;
using http::QueryParams;
using Form = http::QueryParams;  // a posted form's fields

namespace {

constexpr std::string_view kFormType = "application/x-www-form-urlencoded";

std::string_view Header(const HttpRequest& req, const std::string& name) {
  auto it = req.headers.find(name);
  return it == req.headers.end() ? std::string_view() : std::string_view(it->second);
}

std::string_view SessionCookie(const HttpRequest& req) {
  return CookieValue(Header(req, "cookie"), kSessionCookie);
}

// A path inside the workspace to go back to after a form (never elsewhere).
std::string SafeBack(const Form& form) {
  auto it = form.find("back");
  if (it == form.end()) return "/ui/home";
  const std::string& p = it->second;
  const bool inside = p.starts_with("/ui/") && p.find("//") == std::string::npos &&
                      p.find('\\') == std::string::npos && p.find(':') == std::string::npos;
  return inside ? p : "/ui/home";
}

std::string Field(const Form& form, std::string_view name) {
  auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

// Who may report a concern (DESIGN §6: caseworkers and coordinators).
bool MayReport(const Session& s) {
  return s.who.role == "caseworker" || s.who.role == "coordinator";
}

}  // namespace

Result<std::unique_ptr<Workspace>> Workspace::Create(app::DomainLedger& domain,
                                                     app::Authenticator& authenticator,
                                                     WorkspaceOptions options) {
  return std::unique_ptr<Workspace>(new Workspace(domain, authenticator, std::move(options)));
}

Workspace::Workspace(app::DomainLedger& domain, app::Authenticator& authenticator,
                     WorkspaceOptions options)
    : domain_(domain),
      options_(std::move(options)),
      sign_in_(authenticator),
      sessions_(options_.sessions,
                [&domain](std::string_view user) {
                  return projections::ReadUser(domain.store(), domain.dbs(), user);
                }),
      cases_(domain.store(), domain.dbs()),
      verifier_(crypto::NoteVerifier::For(domain.store().origin(),
                                          domain.ledger().signing_key().public_key())) {}

void Workspace::AddRoutes(http::Router& router) {
  AddAssetRoutes(router);  // Det Fælles Designsystem (web/assets.h)
  router.Add("GET", "/ui", [this](const HttpRequest& req, const http::PathParams&,
                                  const QueryParams&) {
    return Redirect(sessions_.Resolve(SessionCookie(req), options_.clock()).ok() ? "/ui/home"
                                                                                 : "/ui/signin");
  });
  router.Add("GET", "/ui/assets/workspace.css", [](const HttpRequest&, const http::PathParams&,
                                                   const QueryParams&) {
    HttpResponse r;
    r.content_type = "text/css; charset=utf-8";
    r.body = std::string(WorkspaceCss());
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
  });
  // Browsers ask for it on every site; there is none (204, not a 404).
  router.Add("GET", "/favicon.ico", [](const HttpRequest&, const http::PathParams&,
                                       const QueryParams&) {
    HttpResponse r;
    r.status = 204;
    r.content_type = "image/x-icon";
    return r;
  });
  router.Add("GET", "/ui/signin", [this](const HttpRequest& req, const http::PathParams&,
                                         const QueryParams& q) { return SignInPage(req, q); });
  router.Add("POST", "/ui/signin", [this](const HttpRequest& req, const http::PathParams&,
                                          const QueryParams&) { return SignIn(req); });
  AddForm(router, "/ui/signout", [this](const Session&, std::string_view cookie, const http::PathParams&,
                                        const Form&) {
    sessions_.End(cookie);
    HttpResponse r = Redirect("/ui/signin?signed_out=1");
    r.headers.emplace_back("Set-Cookie", sessions_.ClearCookie());
    return r;
  });
  AddForm(router, "/ui/lang", [this](const Session&, std::string_view cookie, const http::PathParams&,
                                     const Form& form) {
    if (auto lang = ParseLang(Field(form, "lang"))) sessions_.SetLang(cookie, *lang);
    return Redirect(SafeBack(form));
  });
  AddPage(router, "/ui/home", [this](const Session& s, const http::PathParams&,
                                     const QueryParams&) { return Home(s); });
  AddPage(router, "/ui/concerns/new", [this](const Session& s, const http::PathParams&,
                                             const QueryParams&) {
    if (!MayReport(s)) return ErrorPage(403, s.lang, &s, "error.forbidden");
    return ConcernForm(s, {}, 200, "");
  });
  AddForm(router, "/ui/concerns", [this](const Session& s, std::string_view, const http::PathParams&,
                                         const Form& form) {
    if (!MayReport(s)) return ErrorPage(403, s.lang, &s, "error.forbidden");
    return ReportConcern(s, form);
  });
  AddPage(router, "/ui/cases/{case}", [this](const Session& s, const http::PathParams& p,
                                             const QueryParams& q) {
    return CasePage(s, p.at("case"), q);
  });
  AddPage(router, "/ui/cases/{case}/record/{type}",
          [this](const Session& s, const http::PathParams& p, const QueryParams& q) {
            // A disclosure chosen beforehand (its page's "record the verdict").
            QueryParams prefill;
            if (auto it = q.find("disclosure"); it != q.end()) prefill["h.disclosure"] = it->second;
            return RecordForm(s, p.at("case"), p.at("type"), prefill, 200, "");
          });
  AddForm(router, "/ui/cases/{case}/record/{type}",
          [this](const Session& s, std::string_view, const http::PathParams& p, const Form& form) {
            return Record(s, p.at("case"), p.at("type"), form);
          });
  AddPage(router, "/ui/advice/new", [this](const Session& s, const http::PathParams&,
                                           const QueryParams& q) { return AdvicePage(s, q); });
  AddForm(router, "/ui/advice", [this](const Session& s, std::string_view, const http::PathParams&,
                                       const Form& form) { return RecordAdvice(s, form); });
  AddPage(router, "/ui/disclosures", [this](const Session& s, const http::PathParams&,
                                            const QueryParams& q) { return Register(s, q); });
  AddDisclosureRoutes(router);
  AddPage(router, "/ui/statistics", [this](const Session& s, const http::PathParams&,
                                           const QueryParams& q) { return StatsPage(s, q); });
  AddPage(router, "/ui/audit", [this](const Session& s, const http::PathParams&,
                                      const QueryParams&) { return AuditPage(s); });
  AddPage(router, "/ui/audit/bundle", [this](const Session& s, const http::PathParams&,
                                             const QueryParams&) { return AuditBundle(s); });
  AddPage(router, "/ui/audit/cases/{case}", [this](const Session& s, const http::PathParams& p,
                                                   const QueryParams&) {
    return AuditCase(s, p.at("case"));
  });
  AddDpoRoutes(router);
  AddUserRoutes(router);
  AddRetentionRoutes(router);
  AddPage(router, "/ui/triage", [this](const Session& s, const http::PathParams&,
                                       const QueryParams&) { return Triage(s); });
  AddPage(router, "/ui/cases", [this](const Session& s, const http::PathParams&,
                                      const QueryParams& q) { return Cases(s, q); });
}

void Workspace::AddPage(http::Router& router, std::string path, PageHandler h) {
  router.Add("GET", std::move(path),
             [this, h = std::move(h)](const HttpRequest& req, const http::PathParams& p,
                                      const QueryParams& q) {
               Result<Session> s = sessions_.Resolve(SessionCookie(req), options_.clock());
               if (s.ok()) return h(*s, p, q);
               if (s.status().code() == StatusCode::kUnauthenticated) return Redirect("/ui/signin");
               return ErrorPage(503, Lang::kDa, nullptr, "error.storage");
             });
}

void Workspace::AddForm(http::Router& router, std::string path, FormHandler h) {
  router.Add("POST", std::move(path),
             [this, h = std::move(h)](const HttpRequest& req, const http::PathParams& p,
                                      const QueryParams&) { return WithForm(req, p, h); });
}

HttpResponse Workspace::WithForm(const HttpRequest& req, const http::PathParams& p,
                                 const FormHandler& h) {
  if (!Header(req, "content-type").starts_with(kFormType))
    return ErrorPage(415, Lang::kDa, nullptr, "error.unsupported_form");
  const std::string_view cookie = SessionCookie(req);
  Result<Session> s = sessions_.Resolve(cookie, options_.clock());
  if (!s.ok()) {
    if (s.status().code() != StatusCode::kUnauthenticated)
      return ErrorPage(503, Lang::kDa, nullptr, "error.storage");
    // Not signed in (never signed in, signed out, expired): nothing is done.
    return ErrorPage(403, Lang::kDa, nullptr, "session.expired");
  }
  http::QueryLimits limits;
  limits.max_bytes = 64 * 1024;
  limits.max_params = 128;
  Result<Form> form = http::ParseQuery(req.body, limits);
  if (!form.ok()) return ErrorPage(400, s->lang, &*s, "error.bad_form");
  // The CSRF check comes before anything the form asks for.
  if (!CsrfMatches(*s, Field(*form, "csrf"))) return ErrorPage(403, s->lang, &*s, "error.csrf");
  return h(*s, cookie, p, *form);
}

HttpResponse Workspace::SignInPage(const HttpRequest& req, const QueryParams& q) {
  if (sessions_.Resolve(SessionCookie(req), options_.clock()).ok()) return Redirect("/ui/home");
  Lang lang = Lang::kDa;
  if (auto it = q.find("lang"); it != q.end())
    if (auto l = ParseLang(it->second)) lang = *l;
  std::string alert;
  if (q.contains("signed_out"))
    alert = "<div class=\"alert alert-success\" role=\"status\"><p>" +
            Esc(Catalogue::Builtin().Text(lang, "signout.done")) + "</p></div>\n";
  return SignInForm(200, lang, alert);
}

HttpResponse Workspace::SignInForm(int status, Lang lang, std::string_view alert_html) {
  const Catalogue& t = Catalogue::Builtin();
  std::string main(alert_html);
  main += "<p>" + Esc(t.Text(lang, "signin.intro")) + "</p>\n"
          "<form method=\"post\" action=\"/ui/signin\">\n"
          "<div class=\"form-group\"><label class=\"form-label\" for=\"token\">" +
          Esc(t.Text(lang, "signin.token_label")) +
          "</label><input class=\"form-input\" id=\"token\" name=\"token\" type=\"password\" "
          "autocomplete=\"off\" required></div>\n"
          "<fieldset class=\"form-group\"><legend class=\"form-label\">" +
          Esc(t.Text(lang, "lang.switch")) + "</legend>";
  for (Lang l : kLangs) {
    const std::string code(LangCode(l));
    main += "<div class=\"form-group-radio\"><input class=\"form-radio\" type=\"radio\" "
            "name=\"lang\" id=\"lang-" + code + "\" value=\"" + code + "\"" +
            (l == lang ? " checked" : "") + "><label class=\"form-label\" for=\"lang-" + code +
            "\" lang=\"" + code + "\">" + Esc(t.Text(l, "lang." + code)) + "</label></div>";
  }
  main += "</fieldset>\n<button class=\"button button-primary\" type=\"submit\">" +
          Esc(t.Text(lang, "signin.submit")) + "</button>\n</form>\n";
  Frame f;
  f.lang = lang;
  f.path = "/ui/signin";
  f.title = t.Text(lang, "signin.title");
  return HtmlResponse(status, RenderPage(f, main));
}

HttpResponse Workspace::SignIn(const HttpRequest& req) {
  if (!Header(req, "content-type").starts_with(kFormType))
    return ErrorPage(415, Lang::kDa, nullptr, "error.unsupported_form");
  Result<Form> form = http::ParseQuery(req.body);
  if (!form.ok()) return ErrorPage(400, Lang::kDa, nullptr, "error.bad_form");
  const Lang lang = ParseLang(Field(*form, "lang")).value_or(Lang::kDa);
  const ledger::Micros now = options_.clock();
  Result<app::Principal> who = sign_in_.SignIn({Field(*form, "token"), req.remote}, now);
  if (!who.ok()) {
    const StatusCode code = who.status().code();
    if (code != StatusCode::kUnauthenticated && code != StatusCode::kRateLimited)
      return ErrorPage(503, lang, nullptr, "error.storage");
    const Catalogue& t = Catalogue::Builtin();
    const std::string message = code == StatusCode::kRateLimited
                                    ? t.Format(lang, "signin.throttled", {{"minutes", "15"}})
                                    : t.Text(lang, "signin.failed");
    return SignInForm(code == StatusCode::kRateLimited ? 429 : 401, lang,
                      "<div class=\"alert alert-error\" role=\"alert\"><p>" + Esc(message) +
                          "</p></div>\n");
  }
  SessionStore::Started started = sessions_.Start(*who, lang, now);
  HttpResponse r = Redirect("/ui/home");
  r.headers.emplace_back("Set-Cookie", sessions_.SetCookie(started.cookie));
  return r;
}

HttpResponse Workspace::Home(const Session& s) {
  const Catalogue& t = Catalogue::Builtin();
  std::string main = "<p>" + Esc(t.Text(s.lang, "home.intro")) + "</p>\n<ul class=\"nobullet-list\">";
  for (const NavItem& item : NavFor(s.who.role)) {
    if (item.path == "/ui/home") continue;
    main += "<li><a href=\"" + Esc(item.path) + "\">" + Esc(t.Text(s.lang, item.key)) + "</a></li>";
  }
  main += "</ul>\n";
  return SessionPage(200, s, "/ui/home", "home.title", main);
}

HttpResponse Workspace::Cases(const Session& s, const QueryParams& q) {
  const Catalogue& t = Catalogue::Builtin();
  if (s.who.role != "caseworker" && s.who.role != "coordinator")
    return ErrorPage(403, s.lang, &s, "error.forbidden");
  app::CaseListQuery query;
  query.limit = 50;
  if (auto it = q.find("after"); it != q.end() && ValidateId(it->second, "c", "after").ok())
    query.after = it->second;
  auto list = app::ListCases(domain_.store(), domain_.dbs(), cases_, s.who, query);
  if (!list.ok()) return ErrorPage(503, s.lang, &s, "error.storage");
  const ledger::Micros now = options_.clock();
  std::string main;
  if (auto it = q.find("reported"); it != q.end() && ValidateId(it->second, "c", "reported").ok())
    main += "<div class=\"alert alert-success\" role=\"status\"><p>" +
            Esc(t.Format(s.lang, "cases.reported", {{"case", it->second}})) + "</p></div>\n";
  main += "<p>" + Esc(t.Text(s.lang, "cases.intro")) + "</p>\n";
  if (list->cases.empty()) {
    main += "<p>" + Esc(t.Text(s.lang, "cases.empty")) + "</p>\n";
  } else {
    std::vector<const projections::CaseView*> views;
    for (const auto& c : list->cases) views.push_back(&c->view);
    main += CaseTable(s, "cases.title", views, now);
  }
  if (!list->next.empty())
    main += "<p><a href=\"/ui/cases?after=" + Esc(list->next) + "\">" +
            Esc(t.Text(s.lang, "cases.more")) + "</a></p>\n";
  return SessionPage(200, s, "/ui/cases", "cases.title", main);
}

HttpResponse Workspace::Triage(const Session& s) {
  const Catalogue& t = Catalogue::Builtin();
  if (s.who.role != "coordinator") return ErrorPage(403, s.lang, &s, "error.forbidden");
  app::CaseListQuery query;
  query.limit = 500;
  auto list = app::ListCases(domain_.store(), domain_.dbs(), cases_, s.who, query);
  if (!list.ok()) return ErrorPage(503, s.lang, &s, "error.storage");
  std::vector<const projections::CaseView*> due;
  for (const auto& c : list->cases) {
    const projections::CaseView& v = c->view;
    const bool open = v.status != "closed" && v.status != "erased" && v.status != "unfounded";
    if (open && (v.status == "received" || v.assignees.empty())) due.push_back(&v);
  }
  std::stable_sort(due.begin(), due.end(), [](const auto* a, const auto* b) {
    const bool ra = a->first_response.has_value(), rb = b->first_response.has_value();
    if (ra != rb) return !ra;  // not yet responded to first
    return a->response_due < b->response_due;
  });
  const ledger::Micros now = options_.clock();
  std::size_t overdue = 0;
  for (const auto* v : due)
    if (!v->first_response && now > v->response_due) ++overdue;
  std::string main = "<p>" + Esc(t.Text(s.lang, "triage.intro")) + "</p>\n";
  if (overdue > 0)
    main += "<div class=\"alert alert-error\" role=\"status\"><p>" +
            Esc(t.Format(s.lang, "triage.overdue_count", {{"n", std::to_string(overdue)}})) +
            "</p></div>\n";
  if (due.empty()) {
    main += "<p>" + Esc(t.Text(s.lang, "triage.empty")) + "</p>\n";
    return SessionPage(200, s, "/ui/triage", "triage.title", main);
  }
  main += CaseTable(s, "triage.title", due, now);
  return SessionPage(200, s, "/ui/triage", "triage.title", main);
}

std::string Workspace::CaseTable(const Session& s, std::string_view caption_key,
                                 const std::vector<const projections::CaseView*>& views,
                                 ledger::Micros now) const {
  const Catalogue& t = Catalogue::Builtin();
  std::string html = "<div class=\"table--responsive-scroll\"><table class=\"table\">\n<caption>" +
                     Esc(t.Text(s.lang, caption_key)) + "</caption>\n<thead><tr>";
  for (const char* col : {"cases.col.case", "cases.col.status", "cases.col.opened",
                          "cases.col.response", "cases.col.assignees"})
    html += "<th scope=\"col\">" + Esc(t.Text(s.lang, col)) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (const projections::CaseView* v : views) html += CaseRow(s, *v, now);
  return html + "</tbody>\n</table></div>\n";
}

std::string Workspace::CaseRow(const Session& s, const projections::CaseView& v,
                               ledger::Micros now) const {
  const Catalogue& t = Catalogue::Builtin();
  std::string response;
  if (v.first_response) {
    response = t.Format(s.lang, "cases.responded", {{"time", FormatDateTime(*v.first_response)}});
  } else if (now > v.response_due) {
    response = t.Format(s.lang, "cases.response_overdue", {{"time", FormatDateTime(v.response_due)}});
  } else {
    response = t.Format(s.lang, "cases.response_due", {{"time", FormatDateTime(v.response_due)}});
  }
  std::string assignees;
  if (v.assignees.empty()) {
    assignees = t.Text(s.lang, "cases.unassigned");
  } else {
    const bool mine = std::find(v.assignees.begin(), v.assignees.end(), s.who.user) != v.assignees.end();
    const std::size_t others = v.assignees.size() - (mine ? 1 : 0);
    if (mine) assignees = t.Text(s.lang, "cases.you");
    if (others > 0) {
      if (!assignees.empty()) assignees += ", ";
      assignees += t.Format(s.lang, "cases.others", {{"n", std::to_string(others)}});
    }
  }
  // The case's short reference: the first characters of its id (the full id
  // is in the title attribute for whoever needs to quote it).
  const std::string short_id = v.case_id.substr(0, std::min<std::size_t>(v.case_id.size(), 10));
  return "<tr><th scope=\"row\"><a href=\"/ui/cases/" + Esc(v.case_id) + "\" title=\"" +
         Esc(t.Format(s.lang, "cases.open_case", {{"case", v.case_id}})) + "\">" + Esc(short_id) +
         "</a></th><td>" + Esc(t.Text(s.lang, "status." + v.status)) + "</td><td>" +
         Esc(FormatDate(v.opened)) + "</td><td>" + Esc(response) + "</td><td>" + Esc(assignees) +
         "</td></tr>\n";
}

HttpResponse Workspace::ErrorPage(int status, Lang lang, const Session* s, std::string_view key) {
  const Catalogue& t = Catalogue::Builtin();
  Frame f;
  f.lang = lang;
  f.session = s;
  f.title = t.Text(lang, "error.title");
  std::string main = "<div class=\"alert alert-error\" role=\"alert\"><p>" + Esc(t.Text(lang, key)) +
                     "</p></div>\n";
  if (s == nullptr)
    main += "<p><a href=\"/ui/signin\">" + Esc(t.Text(lang, "signin.title")) + "</a></p>\n";
  return HtmlResponse(status, RenderPage(f, main));
}

}  // namespace caseledger::web
