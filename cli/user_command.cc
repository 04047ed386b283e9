// `caseledger user add|token|revoke|list`: the user registry from the
// operator's terminal. The operator (who holds the data directory and its
// master key) acts for a DPO: the events name that DPO as actor (`--by`, or
// the first active DPO). The very first DPO of a ledger registers itself
// (bootstrap), which the log shows as a self-registration. `caseledger
// erase` acts for a DPO in the same way.
#include <iostream>

#include "app/auth.h"
#include "cli/commands.h"
#include "app/erasure.h"
#include "app/retention.h"
#include "app/users.h"
#include "cli/exit_codes.h"
#include "base/ids.h"
#include "crypto/random.h"
#include "projections/projector.h"

namespace caseledger::cli {

namespace {

struct Open {
  std::unique_ptr<app::DomainLedger> ledger;
  projections::ProjectionDbs dbs;
  std::unique_ptr<app::TokenHasher> hasher;
};

Result<Open> OpenForUsers(const std::string& dir) {
  Open o;
  CL_ASSIGN_OR_RETURN(o.ledger, app::OpenDomainLedger(dir));
  o.dbs = o.ledger->dbs();
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, ledger::LoadMasterKey(dir));
  o.hasher = std::make_unique<app::TokenHasher>(app::TokenPepper(master));
  return o;
}

// The DPO to act for: `by` (must be an active dpo) or the first active one.
Result<std::string> ActingDpo(Open& o, const std::optional<std::string>& by) {
  CL_ASSIGN_OR_RETURN(auto users, projections::ListUsers(o.ledger->store(), o.dbs));
  for (const auto& u : users) {
    if (u.role != "dpo" || u.is_revoked()) continue;
    if (!by || *by == u.user) return u.user;
  }
  if (by) return FailedPrecondition("--by: not an active dpo of this ledger");
  return NotFound("no active dpo");
}

Result<ledger::Appended> Submit(Open& o, ledger::Command c) {
  return o.ledger->writer().Submit(std::move(c)).get();
}

}  // namespace

int CmdUserAdd(const std::string& dir, const std::string& role, const std::string& name,
               const std::optional<std::string>& by) {
  auto o = OpenForUsers(dir);
  if (!o.ok()) return Fail(o.status());
  const std::string id = app::NewUserId();
  auto actor = ActingDpo(*o, by);
  std::string acting;
  if (actor.ok()) {
    acting = *actor;
  } else if (actor.status().code() == StatusCode::kNotFound && !by && role == "dpo") {
    acting = id;  // bootstrap: the first DPO registers itself
  } else if (actor.status().code() == StatusCode::kNotFound) {
    return Fail(FailedPrecondition(
        "the ledger has no active dpo yet: add one first (user add --role dpo)"));
  } else {
    return Fail(actor.status());
  }
  app::UserCommand t = app::RegisterUserCommand(*o->hasher, acting, id, role, name);
  auto r = Submit(*o, std::move(t.command));
  if (!r.ok()) return Fail(r.status());
  std::cout << "user " << id << " role " << role << " (seq " << r->seq << ")\n"
            << "token " << t.token << "\n"
            << "(the token is shown once; the ledger keeps only its keyed hash)\n";
  return kExitOk;
}

int CmdUserToken(const std::string& dir, const std::optional<std::string>& user,
                 const std::optional<std::string>& role, const std::optional<std::string>& by,
                 bool quiet) {
  auto o = OpenForUsers(dir);
  if (!o.ok()) return Fail(o.status());
  auto users = projections::ListUsers(o->ledger->store(), o->dbs);
  if (!users.ok()) return Fail(users.status());
  std::string target;
  for (const auto& u : *users) {
    if (u.is_revoked()) continue;
    if ((user && u.user == *user) || (!user && role && u.role == *role)) {
      target = u.user;
      break;
    }
  }
  if (target.empty()) return Fail(NotFound("no such active user"));
  auto actor = ActingDpo(*o, by);
  if (!actor.ok()) return Fail(actor.status());
  app::UserCommand t = app::IssueTokenCommand(*o->hasher, *actor, target);
  auto r = Submit(*o, std::move(t.command));
  if (!r.ok()) return Fail(r.status());
  if (quiet) {
    std::cout << target << " " << t.token << "\n";
  } else {
    std::cout << "user " << target << " new token (seq " << r->seq << "; the old one no longer works)\n"
              << "token " << t.token << "\n";
  }
  return kExitOk;
}

int CmdUserRevoke(const std::string& dir, const std::string& user,
                  const std::optional<std::string>& by) {
  auto o = OpenForUsers(dir);
  if (!o.ok()) return Fail(o.status());
  auto actor = ActingDpo(*o, by);
  if (!actor.ok()) return Fail(actor.status());
  auto r = Submit(*o, app::RevokeUserCommand(*actor, user).command);
  if (!r.ok()) return Fail(r.status());
  std::cout << "user " << user << " revoked (seq " << r->seq << ")\n";
  return kExitOk;
}

int CmdUserList(const std::string& dir) {
  auto log = ledger::LogStore::Open(dir, true);
  if (!log.ok()) return Fail(log.status());
  auto dbs = projections::ProjectionDbs::Open((*log)->tables(), false);
  if (!dbs.ok()) return Fail(dbs.status());
  auto users = projections::ListUsers(**log, *dbs);
  if (!users.ok()) return Fail(users.status());
  for (const auto& u : *users)
    std::cout << u.user << " " << u.role << " " << (u.is_revoked() ? "revoked" : "active")
              << (u.token_hash ? " token" : " no-token") << "\n";
  return kExitOk;
}

int CmdErase(const std::string& dir, const std::string& subject, const std::string& reason,
             const std::optional<std::string>& by) {
  auto o = OpenForUsers(dir);
  if (!o.ok()) return Fail(o.status());
  auto actor = ActingDpo(*o, by);
  if (!actor.ok()) return Fail(actor.status());
  auto c = app::ErasureCommand(o->ledger->keys(), *actor, "dpo", subject, reason);
  if (!c.ok()) return Fail(c.status());
  const std::string kid = c->h["kid"].get<std::string>();
  auto r = Submit(*o, std::move(*c));
  if (!r.ok()) return Fail(r.status());
  std::cout << "subject " << subject << " erased (seq " << r->seq << ", " << r->time
            << "); data key " << kid
            << " destroyed; run `caseledger keys rotate` to make it final on disk\n";
  return kExitOk;
}

int CmdRetentionRun(const std::string& dir, const std::optional<std::string>& by, bool json) {
  auto o = OpenForUsers(dir);
  if (!o.ok()) return Fail(o.status());
  auto policy = projections::ReadRetentionPolicy(o->ledger->store(), o->dbs);
  if (!policy.ok()) return Fail(policy.status());
  auto actor = by ? ActingDpo(*o, by) : app::RetentionActor(o->ledger->store(), o->dbs, *policy);
  if (!actor.ok()) return Fail(actor.status());
  auto run = app::RunRetention(o->ledger->ledger(), o->dbs, *actor, ledger::NowMicros());
  if (!run.ok()) return Fail(run.status());
  if (json) {
    std::cout << ledger::CanonicalJson(app::RetentionRunJson(*run)) << "\n";
  } else {
    std::cout << app::RetentionRunText(*run);
  }
  return run->failed.empty() ? kExitOk : ExitCodeFor(Status(StatusCode::kPolicyRefused, "refused"));
}

}  // namespace caseledger::cli
