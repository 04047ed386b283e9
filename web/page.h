// The workspace's HTML (docs/web.md, "Pages"): one layout for every page —
// the structure and class names of Det Fælles Designsystem (header with the
// service name, a skip link, the role's navigation, main, footer with the
// language switch and sign-out) — and the response headers every page
// carries. Every value is escaped; no inline script or style, so the
// Content-Security-Policy is `default-src 'self'` without `unsafe-inline`.
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "http/router.h"
#include "web/i18n.h"
#include "web/session.h"

namespace caseledger::web {

inline constexpr std::string_view kCsp =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct NavItem {
  std::string_view key;   // catalogue key of the label
  std::string_view path;  // "/ui/…"
};
// The navigation of a role: only pages that exist.
std::vector<NavItem> NavFor(std::string_view role);

struct Frame {
  Lang lang = Lang::kDa;
  const Catalogue* text = &Catalogue::Builtin();
  const Session* session = nullptr;  // null: signed out
  std::string path;                  // this page's path (marks the current nav item)
  std::string title;                 // the page's heading, not yet escaped
};

// The whole document around `main_html` (already escaped).
std::string RenderPage(const Frame& frame, std::string_view main_html);

// The page of a signed-in user: `title_key`'s text as the heading, `path`
// marking the current navigation item, with the workspace's headers.
http::HttpResponse SessionPage(int status, const Session& session, std::string_view path,
                               std::string_view title_key, std::string_view main_html);

// An HTML response with the workspace's headers (CSP, nosniff, no referrer,
// no framing).
http::HttpResponse HtmlResponse(int status, std::string html);
// 303 See Other to `path` (a POST answered by the page that shows its result).
http::HttpResponse Redirect(std::string_view path);

// The workspace's stylesheet (web/assets/workspace.css, compiled in), served
// at /ui/assets/workspace.css.
std::string_view WorkspaceCss();

// Escaped `text`: element content and quoted attribute values.
std::string Esc(std::string_view text);
// A hidden field with the session's CSRF token, for every state-changing form.
std::string CsrfField(const Session& session);
// The value of `name` in a form or query ("" if it is absent).
std::string FormValue(const http::QueryParams& form, std::string_view name);
// A dkfds alert of `kind` (error, success, info, warning) around `inner_html`
// (already escaped): role "alert" for an error, "status" otherwise.
std::string AlertBox(std::string_view kind, const std::string& inner_html);
// The alert for a refusal by the policy engine (`refused` is a
// kPolicyRefused status): `headline_key` (formatted with {rule}) in bold,
// the rule in plain language ("refusal.<rule>", or "refusal.other"), with
// `remedy` what would make it lawful ("refusal.<rule>.remedy"), and the text
// of `after_key` (e.g. that nothing but the refusal record was stored).
std::string RefusalAlert(Lang lang, const Status& refused, std::string_view headline_key,
                         bool remedy, std::string_view after_key = "");

}  // namespace caseledger::web
