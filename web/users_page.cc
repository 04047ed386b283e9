// The DPO's users page (docs/web.md, "The DPO's pages"): every registered
// user with their role and state; add a user (the new token shown once, on
// the answer to the POST, never in a URL), issue a new token, revoke. The
// commands are app/users.h's, as `caseledger user …`; the policy engine in
// the writer decides. Staff names are not case data (app/staff.h): no access
// record. A token is shown once and never logged.
#include <map>
#include <string>

#include "app/concern.h"
#include "app/staff.h"
#include "app/users.h"
#include "base/ids.h"
#include "projections/policy.h"
#include "web/local_time.h"
#include "web/workspace.h"

namespace caseledger::web {

using http::HttpResponse;

namespace {

constexpr const char* kRoles[] = {"caseworker", "coordinator", "legal_reviewer", "auditor", "dpo"};

}  // namespace

void Workspace::AddUserRoutes(http::Router& router) {
  AddPage(router, "/ui/users", [this](const Session& s, const http::PathParams&,
                                      const http::QueryParams& q) {
    const std::string done = FormValue(q, "revoked") == "1" ? "users.revoked" : "";
    return UsersPage(s, 200, done.empty() ? "" : AlertBox("success", "<p>" + Esc(Catalogue::Builtin().Text(s.lang, done)) + "</p>"));
  });
  AddForm(router, "/ui/users", [this](const Session& s, std::string_view, const http::PathParams&,
                                      const Form& form) { return AddUser(s, form); });
  AddForm(router, "/ui/users/{user}/token",
          [this](const Session& s, std::string_view, const http::PathParams& p, const Form&) {
            return UserCommandForm(s, p.at("user"), "token");
          });
  AddForm(router, "/ui/users/{user}/revoke",
          [this](const Session& s, std::string_view, const http::PathParams& p, const Form&) {
            return UserCommandForm(s, p.at("user"), "revoke");
          });
}

HttpResponse Workspace::UsersPage(const Session& s, int status, const std::string& alert_html) {
  const Catalogue& t = Catalogue::Builtin();
  if (s.who.role != "dpo") return ErrorPage(403, s.lang, &s, "error.forbidden");
  auto users = projections::ListUsers(domain_.store(), domain_.dbs());
  auto staff = app::ListStaff(domain_.store(), domain_.dbs(), domain_.keys(),
                              {kRoles, kRoles + std::size(kRoles)});
  if (!users.ok() || !staff.ok()) return ErrorPage(503, s.lang, &s, "error.storage");
  std::map<std::string, std::string> names;
  for (const app::StaffMember& m : *staff) names[m.user] = m.display_name;
  std::string rows;
  for (const projections::UserState& u : *users) {
    const std::string state = u.is_revoked()
                                  ? t.Format(s.lang, "users.state.revoked", {{"date", FormatDate(*u.revoked)}})
                                  : t.Text(s.lang, "users.state.active");
    std::string actions;
    if (!u.is_revoked() && u.user != s.who.user) {
      const std::string base = "/ui/users/" + Esc(u.user);
      actions = "<form method=\"post\" action=\"" + base + "/token\">" + CsrfField(s) +
                "<button class=\"button button-secondary\" type=\"submit\" aria-label=\"" +
                Esc(t.Format(s.lang, "users.token_for", {{"user", u.user}})) + "\">" +
                Esc(t.Text(s.lang, "users.token")) + "</button></form><form method=\"post\" action=\"" +
                base + "/revoke\">" + CsrfField(s) +
                "<button class=\"button button-secondary\" type=\"submit\" aria-label=\"" +
                Esc(t.Format(s.lang, "users.revoke_for", {{"user", u.user}})) + "\">" +
                Esc(t.Text(s.lang, "users.revoke")) + "</button></form>";
    }
    rows += "<tr><th scope=\"row\">" + Esc(u.user) + "</th><td>" + Esc(names[u.user]) + "</td><td>" +
            Esc(t.Text(s.lang, "role." + u.role)) + "</td><td>" + Esc(FormatDate(u.registered)) +
            "</td><td>" + Esc(state) + "</td><td>" + actions + "</td></tr>\n";
  }
  std::string options;
  for (const char* r : kRoles)
    options += "<option value=\"" + std::string(r) + "\">" + Esc(t.Text(s.lang, std::string("role.") + r)) +
               "</option>";
  std::string main =
      alert_html + "<div class=\"table--responsive-scroll\"><table class=\"table\"><caption>" +
      Esc(t.Text(s.lang, "users.list")) + "</caption>\n<thead><tr><th scope=\"col\">" +
      Esc(t.Text(s.lang, "users.col.user")) + "</th><th scope=\"col\">" +
      Esc(t.Text(s.lang, "users.col.name")) + "</th><th scope=\"col\">" +
      Esc(t.Text(s.lang, "users.col.role")) + "</th><th scope=\"col\">" +
      Esc(t.Text(s.lang, "users.col.registered")) + "</th><th scope=\"col\">" +
      Esc(t.Text(s.lang, "users.col.state")) + "</th><th scope=\"col\">" +
      Esc(t.Text(s.lang, "users.col.actions")) + "</th></tr></thead>\n<tbody>\n" + rows +
      "</tbody></table></div>\n<h2>" + Esc(t.Text(s.lang, "users.add")) +
      "</h2>\n<form method=\"post\" action=\"/ui/users\">" + CsrfField(s) +
      "<div class=\"form-group\"><label class=\"form-label\" for=\"name\">" +
      Esc(t.Text(s.lang, "users.col.name")) +
      "</label><input class=\"form-input\" type=\"text\" id=\"name\" name=\"name\" autocomplete=\"off\"></div>"
      "<div class=\"form-group\"><label class=\"form-label\" for=\"role\">" +
      Esc(t.Text(s.lang, "users.col.role")) + "</label><select class=\"form-select\" id=\"role\" name=\"role\">" +
      options + "</select></div><button class=\"button button-primary\" type=\"submit\">" +
      Esc(t.Text(s.lang, "users.add")) + "</button></form>\n";
  return SessionPage(status, s, "/ui/users", "users.title", main);
}

// The answer to a command: the new token shown once, or the refusal.
HttpResponse Workspace::UserWritten(const Session& s, app::UserCommand cmd, std::string_view done_key) {
  const Catalogue& t = Catalogue::Builtin();
  const std::string user = cmd.user, token = cmd.token;
  auto appended = app::AppendAndWait(domain_.writer(), std::move(cmd.command), options_.write_timeout);
  if (!appended.ok()) {
    const Status& st = appended.status();
    if (st.code() == StatusCode::kPolicyRefused)
      return UsersPage(s, 422, RefusalAlert(s.lang, st, "users.refused", false));
    return ErrorPage(503, s.lang, &s, "error.storage");
  }
  if (token.empty()) return Redirect("/ui/users?revoked=1");
  // Shown once, in the answer to the POST (never in a URL); only its keyed
  // hash is stored.
  return UsersPage(s, 200, AlertBox("success", "<p>" + Esc(t.Format(s.lang, done_key, {{"user", user}})) +
                                              "</p><p>" + Esc(t.Text(s.lang, "users.token_once")) +
                                              "</p><p><code class=\"token\">" + Esc(token) + "</code></p>"));
}

HttpResponse Workspace::AddUser(const Session& s, const Form& form) {
  const Catalogue& t = Catalogue::Builtin();
  if (s.who.role != "dpo") return ErrorPage(403, s.lang, &s, "error.forbidden");
  const std::string name = FormValue(form, "name"), role = FormValue(form, "role");
  bool known = false;
  for (const char* r : kRoles) known = known || role == r;
  if (name.empty() || !known)
    return UsersPage(s, 400, AlertBox("error", "<p>" + Esc(t.Format(s.lang, "form.required",
                                                                {{"field", t.Text(s.lang, name.empty() ? "users.col.name" : "users.col.role")}})) +
                                               "</p>"));
  return UserWritten(s, app::RegisterUserCommand(sign_in_.hasher(), s.who.user, app::NewUserId(), role, name),
                     "users.added");
}

HttpResponse Workspace::UserCommandForm(const Session& s, const std::string& user, std::string_view what) {
  if (s.who.role != "dpo") return ErrorPage(403, s.lang, &s, "error.forbidden");
  if (!ValidateId(user, "u", "user").ok()) return ErrorPage(404, s.lang, &s, "error.not_found");
  if (what == "token")
    return UserWritten(s, app::IssueTokenCommand(sign_in_.hasher(), s.who.user, user), "users.token_issued");
  return UserWritten(s, app::RevokeUserCommand(s.who.user, user), "");
}

}  // namespace caseledger::web
