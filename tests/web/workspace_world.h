// The workspace over the JSON API's router (no sockets), for the tests of
// tests/web: sign in with a token, GET a page, POST a form with the session
// cookie, read a page's CSRF token.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "http/service.h"
#include "ledger/event.h"
#include "tests/http/case_walk.h"
#include "tests/http/service_world.h"
#include "web/workspace.h"

namespace caseledger::web {

inline std::string HeaderOf(const http::HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

inline bool Has(const std::string& html, const std::string& text) {
  return html.find(text) != std::string::npos;
}

// The value of a hidden field `name` in a page ("" if none).
inline std::string HiddenField(const std::string& html, const std::string& name) {
  const std::string key = "name=\"" + name + "\" value=\"";
  const std::size_t at = html.find(key);
  if (at == std::string::npos) return "";
  const std::size_t start = at + key.size();
  return html.substr(start, html.find('"', start) - start);
}

// The API's fixture with the workspace on its router.
struct WorkspaceWorld : testing::ServiceWorld {
  std::unique_ptr<Workspace> workspace;

  explicit WorkspaceWorld(WorkspaceOptions options = {}) {
    workspace = Workspace::Create(*ledger, service->authenticator(), std::move(options)).value();
    workspace->AddRoutes(service->mutable_router());
  }
  http::HttpResponse Get(const std::string& target, const std::string& cookie = "") {
    http::HttpRequest r;
    r.method = "GET";
    r.target = target;
    if (!cookie.empty()) r.headers["cookie"] = std::string(kSessionCookie) + "=" + cookie;
    r.remote = "127.0.0.1";
    return service->Handle(r);
  }
  http::HttpResponse Post(const std::string& target, const std::string& form,
                    const std::string& cookie = "") {
    http::HttpRequest r;
    r.method = "POST";
    r.target = target;
    r.body = form;
    r.headers["content-type"] = "application/x-www-form-urlencoded";
    if (!cookie.empty()) r.headers["cookie"] = "other=1; " + std::string(kSessionCookie) + "=" + cookie;
    r.remote = "127.0.0.1";
    return service->Handle(r);
  }
  // Signs in; returns the session cookie's value.
  std::string SignIn(const std::string& token, const std::string& lang = "da") {
    http::HttpResponse r = Post("/ui/signin", "token=" + token + "&lang=" + lang);
    REQUIRE(r.status == 303);
    REQUIRE(HeaderOf(r, "Location") == "/ui/home");
    const std::string set = HeaderOf(r, "Set-Cookie");
    const std::string prefix = std::string(kSessionCookie) + "=";
    REQUIRE(set.rfind(prefix, 0) == 0);
    return set.substr(prefix.size(), set.find(';') - prefix.size());
  }
  // A caseworker reports `concern` through the JSON API; returns the case id.
  std::string Report(const testing::WalkJson& concern) {
    http::HttpResponse r = Walk().Post(tokens.cw, "/v1/cases", concern);
    REQUIRE(r.status == 201);
    return testing::CaseWalk::Body(r)["case"];
  }
  std::string Csrf(const std::string& cookie) {
    return HiddenField(Get("/ui/home", cookie).body, "csrf");
  }
  // The events appended after the first `n`.
  std::vector<ledger::Event> EventsSince(std::uint64_t n) {
    auto snap = ledger->store().Read().value();
    std::vector<ledger::Event> out;
    for (std::uint64_t seq = n + 1; seq <= ledger->writer().size(); ++seq)
      out.push_back(
          ledger::DecodeEvent(ledger::ReadEventLine(snap, ledger->store(), seq).value()).value());
    return out;
  }
};


}  // namespace caseledger::web
