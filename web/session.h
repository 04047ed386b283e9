// Signing in to the workspace (docs/web.md, "Sessions"): a person signs in
// once (today with their access token; the SignInMethod interface is where
// OpenID Connect goes later, without touching a page) and the browser then
// holds a session cookie: HttpOnly, SameSite=Strict, Secure under TLS, Path=/.
// The cookie value is 256 random bits; the store keeps only its SHA-256, so a
// memory dump holds no usable cookie. A session ends on sign-out, after
// `idle` without a request, after `absolute`, or at once when its user is
// revoked (every request reads the user's current state, so a role change
// applies to the next request). Each session has its own CSRF token, which
// every state-changing form carries and which is compared in constant time.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "app/auth.h"
#include "base/result.h"
#include "ledger/time.h"
#include "projections/policy.h"
#include "web/i18n.h"

namespace caseledger::web {

inline constexpr std::string_view kSessionCookie = "caseledger_session";

// What a sign-in form sent. `token` for the token method; an OpenID Connect
// method would read its own fields (code, state).
struct SignInRequest {
  std::string token;
  std::string address;  // the client's IP, for throttling only (never stored)
};

// One way to sign in. Returns who signed in, or Unauthenticated / RateLimited
// (the page says which, never whether a user exists).
class SignInMethod {
 public:
  virtual ~SignInMethod() = default;
  virtual Result<app::Principal> SignIn(const SignInRequest& request, ledger::Micros now) = 0;
};

// Sign-in with the access token of the JSON API (app/auth.h): the same
// checks, the same throttling of failures.
class TokenSignIn : public SignInMethod {
 public:
  explicit TokenSignIn(app::Authenticator& authenticator) : authenticator_(authenticator) {}
  Result<app::Principal> SignIn(const SignInRequest& request, ledger::Micros now) override;
  // The hasher of the tokens it accepts (the users page issues new ones).
  const app::TokenHasher& hasher() const { return authenticator_.hasher(); }

 private:
  app::Authenticator& authenticator_;
};

struct SessionOptions {
  ledger::Micros idle = 30 * 60 * ledger::Micros{1000000};          // 30 minutes
  ledger::Micros absolute = 12 * 60 * 60 * ledger::Micros{1000000};  // 12 hours
  std::size_t max_sessions = 10000;  // the oldest is dropped beyond this
  bool secure_cookie = false;        // true when served over TLS
};

// A live session as a page sees it.
struct Session {
  app::Principal who;  // the user's current role
  std::string csrf;    // the token every state-changing form carries
  Lang lang = Lang::kDa;
};

class SessionStore {
 public:
  using UserLookup = std::function<Result<projections::UserState>(std::string_view user)>;
  SessionStore(SessionOptions options, UserLookup lookup)
      : options_(options), lookup_(std::move(lookup)) {}

  struct Started {
    std::string cookie;  // the cookie's value: give it to the browser, keep it nowhere
    Session session;
  };
  Started Start(const app::Principal& who, Lang lang, ledger::Micros now);

  // The session a cookie value names, with its user's current role.
  // Unauthenticated (and the session dropped) if there is none, it expired,
  // or its user was revoked; a storage failure of the lookup passes through.
  Result<Session> Resolve(std::string_view cookie, ledger::Micros now);
  // Sets the session's language (the language switch).
  void SetLang(std::string_view cookie, Lang lang);
  // Signs out (no-op for an unknown cookie).
  void End(std::string_view cookie);
  std::size_t size() const;

  // The Set-Cookie header values that start and end a session.
  std::string SetCookie(std::string_view cookie) const;
  std::string ClearCookie() const;

 private:
  struct Entry {
    std::string user;
    std::string csrf;
    Lang lang = Lang::kDa;
    ledger::Micros created = 0;
    ledger::Micros last_seen = 0;
  };
  // Precondition: mu_ held.
  void DropOldest();

  SessionOptions options_;
  UserLookup lookup_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> sessions_;  // by SHA-256 of the cookie (hex)
};

// The CSRF check of a state-changing request: `sent` (the form's field)
// equals the session's token, compared in constant time.
bool CsrfMatches(const Session& session, std::string_view sent);

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or empty.
std::string_view CookieValue(std::string_view header, std::string_view name);

}  // namespace caseledger::web
