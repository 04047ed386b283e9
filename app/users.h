// The user registry's commands (docs/catalogue.md, user.*): registering a
// user with a first token, issuing a new token (the old one stops working),
// revoking a user. Written by a DPO; the policy engine in the writer decides.
// One use case for `caseledger user …` and the workspace's users page. A
// token is returned once, to be shown once: the ledger keeps only its keyed
// hash. Pure, except for the new random ids and tokens; thread-safe.
#pragma once

#include <string>

#include "app/auth.h"
#include "ledger/command.h"

namespace caseledger::app {

// A new random user id, "u-…".
std::string NewUserId();

struct UserCommand {
  ledger::Command command;
  std::string user;   // the user it is about
  std::string token;  // the new token ("" for a revocation): show once, never log
};

// user.registered of `user` (NewUserId) with `role` and `display_name` (in
// the event's encrypted body) and a first token, by `actor` acting as DPO
// (for the very first DPO of a ledger, the new user itself).
UserCommand RegisterUserCommand(const TokenHasher& hasher, const std::string& actor,
                                const std::string& user, const std::string& role,
                                const std::string& display_name);

// user.token_issued: a new token for `user`, by `actor` acting as DPO.
UserCommand IssueTokenCommand(const TokenHasher& hasher, const std::string& actor,
                              const std::string& user);

// user.revoked of `user`, by `actor` acting as DPO.
UserCommand RevokeUserCommand(const std::string& actor, const std::string& user);

}  // namespace caseledger::app
