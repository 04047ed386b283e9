#include "web/session.h"

#include <algorithm>

#include "base/bytes.h"
#include "crypto/constant_time.h"
#include "crypto/random.h"
#include "crypto/sha256.h"

namespace caseledger::web {

namespace {
std::string RandomHex() { return ToHex(crypto::RandomArray<32>()); }

std::string KeyOf(std::string_view cookie) { return ToHex(crypto::Sha256(AsBytes(cookie)).view()); }
}  // namespace

Result<app::Principal> TokenSignIn::SignIn(const SignInRequest& request, ledger::Micros now) {
  return authenticator_.Authenticate("Bearer " + request.token, request.address, now);
}

SessionStore::Started SessionStore::Start(const app::Principal& who, Lang lang,
                                          ledger::Micros now) {
  Started s;
  s.cookie = RandomHex();
  s.session.who = who;
  s.session.csrf = RandomHex();
  s.session.lang = lang;
  std::lock_guard lock(mu_);
  if (sessions_.size() >= options_.max_sessions) DropOldest();
  sessions_[KeyOf(s.cookie)] = Entry{who.user, s.session.csrf, lang, now, now};
  return s;
}

Result<Session> SessionStore::Resolve(std::string_view cookie, ledger::Micros now) {
  const Status none = Unauthenticated("not signed in, or the session has ended");
  if (cookie.empty()) return none;
  const std::string key = KeyOf(cookie);
  Entry entry;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(key);
    if (it == sessions_.end()) return none;
    if (now - it->second.last_seen > options_.idle || now - it->second.created > options_.absolute) {
      sessions_.erase(it);
      return none;
    }
    it->second.last_seen = now;
    entry = it->second;
  }
  // The user as they are now: a revocation ends the session, a role change
  // applies to this request.
  Result<projections::UserState> user = lookup_(entry.user);
  if (!user.ok() && user.status().code() != StatusCode::kNotFound) return user.status();
  if (!user.ok() || user->is_revoked()) {
    End(cookie);
    return none;
  }
  Session s;
  s.who = app::Principal{entry.user, user->role};
  s.csrf = entry.csrf;
  s.lang = entry.lang;
  return s;
}

void SessionStore::SetLang(std::string_view cookie, Lang lang) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(KeyOf(cookie));
  if (it != sessions_.end()) it->second.lang = lang;
}

void SessionStore::End(std::string_view cookie) {
  std::lock_guard lock(mu_);
  sessions_.erase(KeyOf(cookie));
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

void SessionStore::DropOldest() {
  auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
    return a.second.last_seen < b.second.last_seen;
  });
  if (oldest != sessions_.end()) sessions_.erase(oldest);
}

std::string SessionStore::SetCookie(std::string_view cookie) const {
  std::string v = std::string(kSessionCookie) + "=" + std::string(cookie) +
                  "; Path=/; HttpOnly; SameSite=Strict";
  if (options_.secure_cookie) v += "; Secure";
  return v;
}

std::string SessionStore::ClearCookie() const {
  std::string v = std::string(kSessionCookie) +
                  "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
  if (options_.secure_cookie) v += "; Secure";
  return v;
}

bool CsrfMatches(const Session& session, std::string_view sent) {
  return !session.csrf.empty() && crypto::ConstantTimeEqual(session.csrf, sent);
}

std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return {};
}

}  // namespace caseledger::web
