#include "app/auth.h"

#include "base/bytes.h"
#include "base/ids.h"
#include "crypto/base64.h"
#include "crypto/blake2b.h"
#include "crypto/constant_time.h"
#include "crypto/random.h"

namespace caseledger::app {

namespace {

constexpr std::size_t kTokenRandomBytes = 32;
constexpr std::size_t kTokenChars =
    kTokenPrefix.size() + kIdTextChars + 1 + 2 * kTokenRandomBytes;
constexpr std::string_view kUnauthenticated =
    "a valid bearer token is required (Authorization: Bearer <token>)";

}  // namespace

crypto::SecretBytes TokenPepper(const crypto::SecretBytes& master) {
  return crypto::DeriveSubkey(master, "caseledger/token-pepper/v1");
}

std::string TokenHasher::Hash(std::string_view token) const {
  return crypto::Base64Encode(crypto::Blake2bKeyed(pepper_, AsBytes(token)));
}

IssuedToken NewToken(std::string_view user, const TokenHasher& hasher) {
  const auto random = crypto::RandomArray<kTokenRandomBytes>();
  IssuedToken t;
  t.token = std::string(kTokenPrefix);
  t.token += user.substr(2);  // "u-" dropped
  t.token += '_';
  t.token += ToHex(ByteView(random.data(), random.size()));
  t.hash = hasher.Hash(t.token);
  return t;
}

Result<std::string> TokenUser(std::string_view token) {
  if (token.size() != kTokenChars || !token.starts_with(kTokenPrefix) ||
      token[kTokenPrefix.size() + kIdTextChars] != '_')
    return InvalidArgument("not a caseledger token");
  std::string user = "u-";
  user += token.substr(kTokenPrefix.size(), kIdTextChars);
  if (!ValidateId(user, "u", "token user").ok())
    return InvalidArgument("not a caseledger token");
  for (char c : token.substr(kTokenPrefix.size() + kIdTextChars + 1))
    if (HexDigitValue(c) < 0 || (c >= 'A' && c <= 'F'))
      return InvalidArgument("not a caseledger token");
  return user;
}

bool Authenticator::Locked(std::map<std::string, Window, std::less<>>& table,
                           std::string_view key, int limit,
                           ledger::Micros now) {
  auto it = table.find(key);
  if (it == table.end()) return false;
  if (now - it->second.start >= options_.window) {
    table.erase(it);
    return false;
  }
  return it->second.failures >= limit;
}

void Authenticator::Fail(std::map<std::string, Window, std::less<>>& table,
                         const std::string& key, ledger::Micros now) {
  auto it = table.find(key);
  if (it == table.end() || now - it->second.start >= options_.window) {
    if (it == table.end() && table.size() >= options_.max_tracked) {
      // Drop the oldest window (bounded memory under a flood of addresses).
      auto oldest = table.begin();
      for (auto j = table.begin(); j != table.end(); ++j)
        if (j->second.start < oldest->second.start) oldest = j;
      table.erase(oldest);
    }
    table[key] = Window{now, 1};
    return;
  }
  ++it->second.failures;
}

Result<Principal> Authenticator::Authenticate(std::string_view authorization,
                                              std::string_view address,
                                              ledger::Micros now) {
  constexpr std::string_view kScheme = "Bearer ";
  std::string token;
  if (authorization.size() > kScheme.size() &&
      authorization.substr(0, kScheme.size()) == kScheme)
    token = std::string(authorization.substr(kScheme.size()));
  auto user = TokenUser(token);
  {
    std::lock_guard lock(mu_);
    const bool addr_locked = Locked(by_address_, address,
                                    options_.max_failures_per_address, now);
    const bool user_locked =
        user.ok() &&
        Locked(by_user_, *user, options_.max_failures_per_user, now);
    if (addr_locked || user_locked) {
      ++throttled_;
      return RateLimited(
          "too many failed logins; try again in a few minutes");
    }
  }
  auto fail = [&]() -> Status {
    std::lock_guard lock(mu_);
    ++failures_;
    Fail(by_address_, std::string(address), now);
    if (user.ok()) Fail(by_user_, *user, now);
    return Unauthenticated(std::string(kUnauthenticated));
  };
  if (authorization.empty()) {
    // No credentials at all is not a guess: not counted.
    return Unauthenticated(std::string(kUnauthenticated));
  }
  if (!user.ok()) return fail();
  auto state = lookup_(*user);
  if (!state.ok()) {
    if (state.status().code() == StatusCode::kNotFound) return fail();
    return state.status();
  }
  const std::string presented = hasher_.Hash(token);
  if (!state->token_hash || state->revoked_seq ||
      !crypto::ConstantTimeEqual(presented, *state->token_hash))
    return fail();
  return Principal{*user, state->role};
}

std::uint64_t Authenticator::failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}
std::uint64_t Authenticator::throttled() const {
  std::lock_guard lock(mu_);
  return throttled_;
}

}  // namespace caseledger::app
