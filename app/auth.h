// Authentication of the HTTP API (issue 4, DESIGN §9): bearer tokens.
// A token is "clt1_" + the user id's 26 base32 characters + "_" + 64 hex
// digits of 256 random bits. It is shown once, when issued; the ledger keeps
// only its keyed hash (base64 BLAKE2b-256 keyed with a pepper derived from
// the master key), in the `user.registered` / `user.token_issued` events, so
// who could act as whom is itself in the signed log. A leaked log or
// projection does not let anyone act: the hash is of 256 random bits, keyed.
// Failed logins are counted per user and per client address and throttled
// (429 with Retry-After) once a window's limit is reached — also for a
// correct token, so that guessing cannot go on.
// Thread-safety: TokenHasher is immutable; Authenticator is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/secret.h"
#include "ledger/time.h"
#include "projections/policy.h"

namespace caseledger::app {

inline constexpr std::string_view kTokenPrefix = "clt1_";

// The pepper of token hashes: a subkey of the master key
// ("caseledger/token-pepper/v1").
crypto::SecretBytes TokenPepper(const crypto::SecretBytes& master);

class TokenHasher {
 public:
  explicit TokenHasher(crypto::SecretBytes pepper) : pepper_(std::move(pepper)) {}
  // Base64 of BLAKE2b-256(token) keyed with the pepper.
  std::string Hash(std::string_view token) const;

 private:
  crypto::SecretBytes pepper_;
};

struct IssuedToken {
  std::string token;  // show once, never store or log
  std::string hash;   // what the ledger stores (`token_hash`)
};
// A new random token for `user` ("u-…"; precondition: a valid user id).
IssuedToken NewToken(std::string_view user, const TokenHasher& hasher);

// The user id a token names ("u-…"), or InvalidArgument if the text is not
// shaped like a token. Says nothing about whether it is valid.
Result<std::string> TokenUser(std::string_view token);

// Who is calling.
struct Principal {
  std::string user;  // "u-…"
  std::string role;  // caseworker, coordinator, legal_reviewer, auditor, dpo
};

struct ThrottleOptions {
  int max_failures_per_user = 5;      // within `window`
  int max_failures_per_address = 20;  // within `window`
  ledger::Micros window = 15 * 60 * ledger::Micros{1000000};
  std::size_t max_tracked = 10000;    // entries per table (oldest dropped)
};

class Authenticator {
 public:
  using UserLookup =
      std::function<Result<projections::UserState>(std::string_view user)>;
  Authenticator(const TokenHasher& hasher, UserLookup lookup,
                ThrottleOptions options = {})
      : hasher_(hasher), lookup_(std::move(lookup)), options_(options) {}
  // The hasher of the tokens it checks (for issuing new ones).
  const TokenHasher& hasher() const { return hasher_; }

  // Authenticates the value of an `Authorization` header from `address`
  // (the client's IP; used only for throttling, never stored or logged).
  // Returns the principal, or:
  //   Unauthenticated  no header, not "Bearer <token>", unknown user, wrong
  //                    token, revoked user (one message for all: the answer
  //                    never says whether a user exists);
  //   RateLimited      this user or address failed too often in the window;
  //   other            the lookup failed (storage), passed through.
  Result<Principal> Authenticate(std::string_view authorization,
                                 std::string_view address, ledger::Micros now);

  // Failed attempts since start (for /metrics).
  std::uint64_t failures() const;
  std::uint64_t throttled() const;

 private:
  struct Window {
    ledger::Micros start = 0;
    int failures = 0;
  };
  // Precondition: mu_ held.
  bool Locked(std::map<std::string, Window, std::less<>>& table,
              std::string_view key, int limit, ledger::Micros now);
  void Fail(std::map<std::string, Window, std::less<>>& table,
            const std::string& key, ledger::Micros now);

  const TokenHasher& hasher_;
  UserLookup lookup_;
  ThrottleOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Window, std::less<>> by_user_, by_address_;
  std::uint64_t failures_ = 0, throttled_ = 0;
};

}  // namespace caseledger::app
