// A real ledger (temporary data dir, commits not fsync'd) with the domain
// plugged into its writer, and builders for synthetic commands. Every name,
// id and text is synthetic.
#pragma once

#include <atomic>
#include <cstdio>

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/base64.h"
#include "crypto/random.h"

#include "ledger/event.h"
#include "ledger/ledger.h"
#include "projections/projector.h"
#include "tests/ledger/test_util.h"

namespace caseledger::testing {

using ledger::Command;

inline ledger::LedgerOptions DomainOptions() {
  ledger::LedgerOptions o;
  o.no_sync = true;
  o.writer.resume = true;  // as the server
  o.writer.probe_every = std::chrono::milliseconds(10);  // storage-failure tests
  // As app::OpenDomainLedger: erasures destroy the subject's key.
  o.make_hook = [](ledger::LogStore& store, ledger::Keystore& keys)
      -> Result<std::unique_ptr<ledger::WriteHook>> {
    CL_ASSIGN_OR_RETURN(auto p, projections::Projector::Open(store, store.tables(), &keys));
    return std::unique_ptr<ledger::WriteHook>(std::move(p));
  };
  return o;
}

struct Actor {
  std::string id;
  std::string role;
};

class Domain {
 public:
  Domain() {
    auto init = ledger::InitDataDir(dir_.path(), "test.caseledger.invalid/domain");
    if (!init.ok()) throw std::runtime_error(init.status().ToString());
    Reopen();
    // The synthetic users are registered (seqs 1..7): a case is assigned
    // only to registered caseworkers and coordinators.
    for (const Actor* a : {&dpo, &cw, &cw2, &co, &co2, &lr, &aud}) {
      Command c;
      c.type = "user.registered";
      c.actor = dpo.id;
      c.role = "dpo";
      c.h = Json{{"user", a->id}, {"role", a->role}};
      c.body = Json{{"display_name", "Synthetic " + a->role}};
      c.time = kSetupTime;  // before any time a test gives its own commands
      Must(std::move(c));
    }
  }
  // Events the constructor wrote (the user registrations), and their time
  // (1990-01-01T00:00:00Z).
  static constexpr std::uint64_t kSetupEvents = 7;
  static constexpr ledger::Micros kSetupTime = ledger::Micros{631152000} * 1000000;
  void Reopen() {
    ledger_.reset();
    auto l = ledger::Ledger::Open(dir_.path(), DomainOptions());
    if (!l.ok()) throw std::runtime_error(l.status().ToString());
    ledger_ = std::move(l).value();
    auto dbs = projections::ProjectionDbs::Open(ledger_->store().tables(), false);
    if (!dbs.ok()) throw std::runtime_error(dbs.status().ToString());
    dbs_ = *dbs;
  }
  void Close() { ledger_.reset(); }

  Result<ledger::Appended> Submit(Command c) {
    return ledger_->writer().Submit(std::move(c)).get();
  }
  // Submits every command before waiting for any (so the writer may take
  // them in one batch); the results in order.
  std::vector<Result<ledger::Appended>> SubmitAll(std::vector<Command> cs) {
    std::vector<std::future<Result<ledger::Appended>>> fs;
    for (Command& c : cs) fs.push_back(ledger_->writer().Submit(std::move(c)));
    std::vector<Result<ledger::Appended>> out;
    for (auto& f : fs) out.push_back(f.get());
    return out;
  }
  // Submits and requires success; returns the seq.
  std::uint64_t Must(Command c) {
    auto r = Submit(std::move(c));
    if (!r.ok()) throw std::runtime_error("expected success: " + r.status().ToString());
    return r->seq;
  }
  std::uint64_t size() const { return ledger_->writer().size(); }
  ledger::LogStore& store() { return ledger_->store(); }
  ledger::Keystore& keys() { return ledger_->keys(); }
  ledger::Ledger& Ledger() { return *ledger_; }
  const projections::ProjectionDbs& dbs() const { return dbs_; }
  const std::string& dir() const { return dir_.path(); }
  ledger::Event EventAt(std::uint64_t seq) {
    auto txn = store().Read().value();
    return ledger::DecodeEvent(ledger::ReadEventLine(txn, store(), seq).value()).value();
  }
  // The data key id of `subject` (what its subject.erased must name).
  std::string KidOf(const std::string& subject) { return keys().KidOf(subject).value(); }
  projections::CaseView View(const std::string& case_id) {
    return projections::ReadCase(store(), dbs_, case_id).value().state.Derive();
  }

  // Synthetic users, one or two per role.
  Actor cw{NewId("u"), "caseworker"}, cw2{NewId("u"), "caseworker"};
  Actor co{NewId("u"), "coordinator"}, co2{NewId("u"), "coordinator"};
  Actor lr{NewId("u"), "legal_reviewer"}, dpo{NewId("u"), "dpo"},
      aud{NewId("u"), "auditor"};

 private:
  TempDir dir_;
  std::unique_ptr<ledger::Ledger> ledger_;
  projections::ProjectionDbs dbs_;
};

inline Json Ground(const std::string& code, const std::string& on = "2020-01-15") {
  return Json{{"code", code}, {"observed_on", on}};
}

// A synthetic CPR number ("00" day: no real date) not used before in this
// process: each new person is another person to the identity index.
inline std::string NextSyntheticCpr() {
  static std::atomic<unsigned> next{1};
  const unsigned n = next++;
  char cpr[16];
  std::snprintf(cpr, sizeof cpr, "00%04u-%04u", (n / 10000) % 10000, n % 10000);
  return cpr;
}

// concern.reported about a new synthetic person.
inline Command Concern(const Actor& a, Json grounds, bool minor = false,
                       std::string subject_kind = "person",
                       Json context = Json::array()) {
  Command c;
  c.type = "concern.reported";
  c.actor = a.id;
  c.role = a.role;
  c.case_id = NewId("c");
  c.subject = NewId("s");
  c.h = Json{{"source", "school"},  {"subject_kind", subject_kind},
             {"grounds", grounds},  {"context", context},
             {"minor", minor},      {"new_subject", true}};
  c.body = Json{{"narrative", "synthetic narrative"},
                {"identity", {{"name", "Testperson 0001"}, {"cpr", NextSyntheticCpr()},
                              {"address", "Syntetisk Vej 1, 9999 Demoby"}}}};
  return c;
}

inline Command CaseEvent(const Actor& a, const std::string& case_id,
                         std::string type, Json h,
                         std::optional<Json> body = std::nullopt) {
  Command c;
  c.type = std::move(type);
  c.actor = a.id;
  c.role = a.role;
  c.case_id = case_id;
  c.h = std::move(h);
  c.body = std::move(body);
  return c;
}

inline Json NoFactors() { return Json::object(); }

// subject.erased of `subject`, naming its data key `kid` (Domain::KidOf).
inline Command Erasure(const Actor& dpo, const std::string& subject, const std::string& kid) {
  Command c;
  c.type = "subject.erased";
  c.actor = dpo.id;
  c.role = dpo.role;
  c.subject = subject;
  c.h = Json{{"reason", "gdpr_art17"}, {"kid", kid}};
  return c;
}


// A synthetic token hash: the base64 of 32 random bytes (the shape of the
// API's keyed BLAKE2b-256 of a bearer token).
inline std::string NewTokenHash() {
  auto bytes = crypto::RandomArray<32>();
  return crypto::Base64Encode(ByteView(bytes.data(), bytes.size()));
}

// A user.* command (global: no case, no subject).
inline Command UserCommand(const Actor& a, std::string type, Json h,
                           std::optional<Json> body = std::nullopt) {
  Command c;
  c.type = std::move(type);
  c.actor = a.id;
  c.role = a.role;
  c.h = std::move(h);
  c.body = std::move(body);
  return c;
}

inline Command RegisterUser(const Actor& dpo, const std::string& user,
                            const std::string& role,
                            std::optional<std::string> token_hash = std::nullopt) {
  Json h{{"user", user}, {"role", role}};
  if (token_hash) h["token_hash"] = *token_hash;
  return UserCommand(dpo, "user.registered", std::move(h),
                     Json{{"display_name", "Synthetic user"}});
}

inline Command IssueToken(const Actor& dpo, const std::string& user,
                          const std::string& token_hash) {
  return UserCommand(dpo, "user.token_issued",
                     Json{{"user", user}, {"token_hash", token_hash}});
}

inline Command Assessment(const Actor& a, const std::string& case_id,
                          const std::string& outcome, Json grounds) {
  return CaseEvent(a, case_id, "assessment.recorded",
                   Json{{"outcome", outcome}, {"grounds", grounds},
                        {"panel", "infohus"}, {"factors", NoFactors()}},
                   Json{{"reasoning", "synthetic reasoning"}});
}

}  // namespace caseledger::testing
