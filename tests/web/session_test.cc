// Workspace sessions (web/session.h): cookie attributes, expiry, sign-out,
// revocation and role changes at the next request, CSRF tokens, and sign-in
// through the API's own token checks.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

#include "app/auth.h"
#include "crypto/secret.h"
#include "tests/ledger/test_util.h"
#include "web/session.h"

namespace caseledger::web {
namespace {

constexpr ledger::Micros kMinute = 60 * ledger::Micros{1000000};

// A user registry the test edits (what proj.users says now).
struct Users {
  std::map<std::string, projections::UserState, std::less<>> users;
  SessionStore::UserLookup Lookup() {
    return [this](std::string_view id) -> Result<projections::UserState> {
      auto it = users.find(id);
      if (it == users.end()) return NotFound("no such user");
      return it->second;
    };
  }
  void Add(const std::string& id, const std::string& role) {
    projections::UserState u;
    u.user = id;
    u.role = role;
    u.registered_seq = users.size() + 1;
    users[id] = u;
  }
};

TEST_CASE("a session lives by its cookie until sign-out or idle and absolute expiry",
          "[web][session]") {
  Users users;
  users.Add("u-1", "caseworker");
  SessionOptions o;
  o.idle = 30 * kMinute;
  o.absolute = 120 * kMinute;
  SessionStore store(o, users.Lookup());
  const auto s = store.Start({"u-1", "caseworker"}, Lang::kDa, 0);
  REQUIRE(s.cookie.size() == 64);
  REQUIRE(s.session.csrf.size() == 64);
  CHECK(s.cookie != s.session.csrf);
  auto r = store.Resolve(s.cookie, 10 * kMinute);
  REQUIRE(r.ok());
  CHECK(r->who.user == "u-1");
  CHECK(r->who.role == "caseworker");
  CHECK(r->csrf == s.session.csrf);
  CHECK(r->lang == Lang::kDa);
  // Activity keeps it alive up to the absolute limit.
  for (int m = 35; m <= 115; m += 20) CHECK(store.Resolve(s.cookie, m * kMinute).ok());
  CHECK(store.Resolve(s.cookie, 121 * kMinute).status().code() == StatusCode::kUnauthenticated);
  CHECK(store.size() == 0);  // dropped, not only refused

  const auto idle = store.Start({"u-1", "caseworker"}, Lang::kEn, 0);
  CHECK(store.Resolve(idle.cookie, 31 * kMinute).status().code() == StatusCode::kUnauthenticated);

  const auto out = store.Start({"u-1", "caseworker"}, Lang::kEn, 0);
  store.End(out.cookie);
  CHECK(store.Resolve(out.cookie, 1).status().code() == StatusCode::kUnauthenticated);
  // Unknown, empty and altered cookies name no session.
  const auto other = store.Start({"u-1", "caseworker"}, Lang::kEn, 0);
  std::string altered = other.cookie;
  altered[0] = altered[0] == 'a' ? 'b' : 'a';
  CHECK_FALSE(store.Resolve(altered, 1).ok());
  CHECK_FALSE(store.Resolve("", 1).ok());
  CHECK(store.Resolve(other.cookie, 1).ok());
}

TEST_CASE("a revoked user's sessions end at their next request, a role change applies at once",
          "[web][session]") {
  Users users;
  users.Add("u-1", "caseworker");
  users.Add("u-2", "coordinator");
  SessionStore store({}, users.Lookup());
  const auto a = store.Start({"u-1", "caseworker"}, Lang::kDa, 0);
  const auto b = store.Start({"u-2", "coordinator"}, Lang::kDa, 0);
  users.users["u-1"].role = "coordinator";
  CHECK(store.Resolve(a.cookie, 1)->who.role == "coordinator");
  users.users["u-2"].revoked_seq = 9;
  users.users["u-2"].revoked = 1;
  CHECK(store.Resolve(b.cookie, 2).status().code() == StatusCode::kUnauthenticated);
  users.users["u-2"].revoked_seq.reset();  // even if it were undone, the session is gone
  CHECK_FALSE(store.Resolve(b.cookie, 3).ok());
  // A storage failure of the lookup is not a sign-out.
  SessionStore failing({}, [](std::string_view) -> Result<projections::UserState> {
    return IoError("storage");
  });
  const auto c = failing.Start({"u-1", "caseworker"}, Lang::kDa, 0);
  CHECK(failing.Resolve(c.cookie, 1).status().code() == StatusCode::kIoError);
  CHECK(failing.size() == 1);
}

TEST_CASE("session cookies are HttpOnly and SameSite=Strict, and Secure under TLS",
          "[web][session]") {
  Users users;
  SessionStore plain({}, users.Lookup());
  CHECK(plain.SetCookie("abc") == "caseledger_session=abc; Path=/; HttpOnly; SameSite=Strict");
  CHECK(plain.ClearCookie() ==
        "caseledger_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  SessionOptions tls;
  tls.secure_cookie = true;
  SessionStore secure(tls, users.Lookup());
  CHECK(secure.SetCookie("abc") ==
        "caseledger_session=abc; Path=/; HttpOnly; SameSite=Strict; Secure");
  CHECK(CookieValue("a=1; caseledger_session=xyz; b=2", kSessionCookie) == "xyz");
  CHECK(CookieValue("caseledger_session=xyz", kSessionCookie) == "xyz");
  CHECK(CookieValue("xcaseledger_session=xyz", kSessionCookie).empty());
  CHECK(CookieValue("", kSessionCookie).empty());
}

TEST_CASE("a form's CSRF token must be its own session's", "[web][session]") {
  Users users;
  users.Add("u-1", "caseworker");
  users.Add("u-2", "dpo");
  SessionStore store({}, users.Lookup());
  const auto a = store.Start({"u-1", "caseworker"}, Lang::kDa, 0);
  const auto b = store.Start({"u-2", "dpo"}, Lang::kDa, 0);
  const Session sa = store.Resolve(a.cookie, 1).value();
  CHECK(CsrfMatches(sa, a.session.csrf));
  CHECK_FALSE(CsrfMatches(sa, b.session.csrf));
  CHECK_FALSE(CsrfMatches(sa, ""));
  CHECK_FALSE(CsrfMatches(sa, a.session.csrf.substr(1)));
  CHECK_FALSE(CsrfMatches(Session{}, ""));
  // Every session its own random token.
  std::set<std::string> tokens;
  for (int i = 0; i < 100; ++i) tokens.insert(store.Start({"u-1", "caseworker"}, Lang::kDa, 0).session.csrf);
  CHECK(tokens.size() == 100);
}

TEST_CASE("beyond max_sessions the least recently used session is dropped", "[web][session]") {
  Users users;
  users.Add("u-1", "caseworker");
  SessionOptions o;
  o.max_sessions = 3;
  SessionStore store(o, users.Lookup());
  const auto s1 = store.Start({"u-1", "caseworker"}, Lang::kDa, 1);
  const auto s2 = store.Start({"u-1", "caseworker"}, Lang::kDa, 2);
  const auto s3 = store.Start({"u-1", "caseworker"}, Lang::kDa, 3);
  REQUIRE(store.Resolve(s1.cookie, 4).ok());  // s2 is now the least recent
  const auto s4 = store.Start({"u-1", "caseworker"}, Lang::kDa, 5);
  CHECK(store.size() == 3);
  CHECK(store.Resolve(s1.cookie, 6).ok());
  CHECK_FALSE(store.Resolve(s2.cookie, 6).ok());
  CHECK(store.Resolve(s3.cookie, 6).ok());
  CHECK(store.Resolve(s4.cookie, 6).ok());
}

TEST_CASE("token sign-in is the API's own authentication, throttling included", "[web][session]") {
  Users users;
  const std::string u = testing::NewId("u");
  users.Add(u, "auditor");
  crypto::SecretBytes pepper(32);
  pepper.Randomize();
  app::TokenHasher hasher(std::move(pepper));
  const app::IssuedToken t = app::NewToken(u, hasher);
  users.users[u].token_hash = t.hash;
  users.users[u].token_seq = 1;
  app::ThrottleOptions throttle;
  throttle.max_failures_per_user = 2;
  app::Authenticator auth(hasher, users.Lookup(), throttle);
  TokenSignIn method(auth);
  auto ok = method.SignIn({t.token, "127.0.0.1"}, 0);
  REQUIRE(ok.ok());
  CHECK(ok->user == u);
  CHECK(ok->role == "auditor");
  std::string wrong = t.token;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  CHECK(method.SignIn({wrong, "127.0.0.1"}, 1).status().code() == StatusCode::kUnauthenticated);
  CHECK(method.SignIn({wrong, "127.0.0.1"}, 2).status().code() == StatusCode::kUnauthenticated);
  CHECK(method.SignIn({t.token, "127.0.0.1"}, 3).status().code() == StatusCode::kRateLimited);
  CHECK(method.SignIn({"", "127.0.0.1"}, 4).status().code() == StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace caseledger::web
