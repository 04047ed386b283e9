#include "app/users.h"

#include "base/ids.h"
#include "crypto/random.h"

namespace caseledger::app {

std::string NewUserId() { return FormatId("u", crypto::RandomArray<kIdRandomBytes>()); }

UserCommand RegisterUserCommand(const TokenHasher& hasher, const std::string& actor,
                                const std::string& user, const std::string& role,
                                const std::string& display_name) {
  IssuedToken t = NewToken(user, hasher);
  UserCommand u;
  u.command.type = "user.registered";
  u.command.actor = actor;
  u.command.role = "dpo";
  u.command.h = Json{{"user", user}, {"role", role}, {"token_hash", t.hash}};
  u.command.body = Json{{"display_name", display_name}};
  u.user = user;
  u.token = std::move(t.token);
  return u;
}

UserCommand IssueTokenCommand(const TokenHasher& hasher, const std::string& actor,
                              const std::string& user) {
  IssuedToken t = NewToken(user, hasher);
  UserCommand u;
  u.command.type = "user.token_issued";
  u.command.actor = actor;
  u.command.role = "dpo";
  u.command.h = Json{{"user", user}, {"token_hash", t.hash}};
  u.user = user;
  u.token = std::move(t.token);
  return u;
}

UserCommand RevokeUserCommand(const std::string& actor, const std::string& user) {
  UserCommand u;
  u.command.type = "user.revoked";
  u.command.actor = actor;
  u.command.role = "dpo";
  u.command.h = Json{{"user", user}};
  u.user = user;
  return u;
}

}  // namespace caseledger::app
