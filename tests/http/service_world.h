// A temporary data dir with the domain, one user of each role (and a second
// caseworker and coordinator) registered with tokens, and the HTTP API's
// Service over it: the fixture of the router-level tests of the API
// (tests/http/service_test.cc) and of the web workspace
// (tests/web/workspace_test.cc).
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <string>

#include "app/auth.h"
#include "app/domain_ledger.h"
#include "http/service.h"
#include "ledger/ledger.h"
#include "tests/http/case_walk.h"
#include "tests/ledger/test_util.h"

namespace caseledger::testing {

struct ServiceWorld {
  TempDir dir;
  std::unique_ptr<app::DomainLedger> ledger;
  std::unique_ptr<app::TokenHasher> hasher;
  std::unique_ptr<http::Service> service;
  WalkTokens tokens;
  std::map<std::string, std::string> ids;  // token -> user id

  explicit ServiceWorld(http::ServiceOptions options = {}) {
    REQUIRE(ledger::InitDataDir(dir.path(), "test.caseledger.invalid/api").ok());
    ledger::LedgerOptions lo;
    lo.no_sync = true;
    ledger = app::OpenDomainLedger(dir.path(), std::move(lo)).value();
    auto master = ledger::LoadMasterKey(dir.path()).value();
    hasher = std::make_unique<app::TokenHasher>(app::TokenPepper(master));
    const std::string dpo = NewId("u");
    tokens.dpo = Register(dpo, dpo, "dpo");
    tokens.cw_id = NewId("u");
    tokens.cw = Register(tokens.cw_id, dpo, "caseworker");
    tokens.cw2 = Register(NewId("u"), dpo, "caseworker");
    tokens.co = Register(NewId("u"), dpo, "coordinator");
    tokens.co2 = Register(NewId("u"), dpo, "coordinator");
    tokens.lr = Register(NewId("u"), dpo, "legal_reviewer");
    tokens.aud = Register(NewId("u"), dpo, "auditor");
    service = http::Service::Create(*ledger, app::TokenPepper(master), std::move(options)).value();
  }
  std::string Register(const std::string& id, const std::string& by, const std::string& role) {
    app::IssuedToken t = app::NewToken(id, *hasher);
    ledger::Command c;
    c.type = "user.registered";
    c.actor = by;
    c.role = "dpo";
    c.h = Json{{"user", id}, {"role", role}, {"token_hash", t.hash}};
    c.body = Json{{"display_name", "Synthetic " + role}};
    auto r = ledger->writer().Submit(std::move(c)).get();
    REQUIRE(r.ok());
    ids[t.token] = id;
    return t.token;
  }
  CaseWalk Walk() {
    return CaseWalk([this](const http::HttpRequest& r) { return service->Handle(r); }, tokens);
  }
};

}  // namespace caseledger::testing
