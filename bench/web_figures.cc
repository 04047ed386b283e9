#include "bench/web_figures.h"

#include <chrono>

#include "app/auth.h"
#include "app/domain_ledger.h"
#include "base/ids.h"
#include "crypto/random.h"
#include "http/service.h"
#include "ledger/ledger.h"
#include "web/workspace.h"

namespace caseledger::bench {

namespace {

using Clock = std::chrono::steady_clock;

Result<std::string> ActiveDpo(app::DomainLedger& d) {
  CL_ASSIGN_OR_RETURN(auto users, projections::ListUsers(d.store(), d.dbs()));
  for (const projections::UserState& u : users)
    if (u.role == "dpo" && !u.is_revoked()) return u.user;
  return NotFound("the log has no active DPO");
}

// Registers a coordinator; returns its token.
Result<std::string> RegisterCoordinator(app::DomainLedger& d, const app::TokenHasher& hasher) {
  CL_ASSIGN_OR_RETURN(std::string dpo, ActiveDpo(d));
  const std::string user = FormatId("u", crypto::RandomArray<kIdRandomBytes>());
  app::IssuedToken t = app::NewToken(user, hasher);
  ledger::Command c;
  c.type = "user.registered";
  c.actor = dpo;
  c.role = "dpo";
  c.h = Json{{"user", user}, {"role", "coordinator"}, {"token_hash", t.hash}};
  c.body = Json{{"display_name", "Benchmark coordinator"}};
  CL_RETURN_IF_ERROR(d.writer().Submit(std::move(c)).get().status());
  return t.token;
}

void Time(http::Service& service, const http::HttpRequest& req, PageTiming& into) {
  const auto t0 = Clock::now();
  http::HttpResponse r = service.Handle(req);
  into.micros.Add(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  into.bytes = r.body.size();
}

}  // namespace

Result<WebFigure> WebPagesOf(const std::string& dir, int samples) {
  CL_ASSIGN_OR_RETURN(auto domain, app::DomainLedger::Open(dir));
  CL_ASSIGN_OR_RETURN(auto master, ledger::LoadMasterKey(dir));
  app::TokenHasher hasher(app::TokenPepper(master));
  CL_ASSIGN_OR_RETURN(auto service, http::Service::Create(*domain, app::TokenPepper(master)));
  CL_ASSIGN_OR_RETURN(auto workspace, web::Workspace::Create(*domain, service->authenticator()));
  workspace->AddRoutes(service->mutable_router());
  CL_ASSIGN_OR_RETURN(std::string token, RegisterCoordinator(*domain, hasher));

  http::HttpRequest sign_in;
  sign_in.method = "POST";
  sign_in.target = "/ui/signin";
  sign_in.headers["content-type"] = "application/x-www-form-urlencoded";
  sign_in.body = "token=" + token + "&lang=da";
  sign_in.remote = "127.0.0.1";
  http::HttpResponse signed_in = service->Handle(sign_in);
  std::string cookie;
  for (const auto& [k, v] : signed_in.headers)
    if (k == "Set-Cookie") cookie = v.substr(0, v.find(';'));
  if (signed_in.status != 303 || cookie.empty()) return Internal("the benchmark could not sign in");

  WebFigure f;
  CL_ASSIGN_OR_RETURN(auto ids, projections::ListCaseIds(domain->store(), domain->dbs()));
  f.cases = ids.size();
  // Pages that only read: a case page or a record form appends its access
  // record first. The disclosure register reads every case with a
  // disclosure (ReadRegister is measured above) and the statistics every
  // case; neither is sampled here yet.
  const std::vector<std::string> paths = {"/ui/signin",       "/ui/home",      "/ui/cases",
                                          "/ui/concerns/new", "/ui/triage",    "/ui/advice/new"};
  for (const std::string& p : paths) f.pages.push_back(PageTiming{p, {}, 0});
  f.api_cases.path = "/v1/cases?limit=50";
  http::HttpRequest api;
  api.method = "GET";
  api.target = f.api_cases.path;
  api.headers["authorization"] = "Bearer " + token;
  api.remote = "127.0.0.1";
  for (int i = 0; i < samples; ++i) {
    for (PageTiming& page : f.pages) {
      http::HttpRequest req;
      req.method = "GET";
      req.target = page.path;
      if (page.path != "/ui/signin") req.headers["cookie"] = cookie;
      req.remote = "127.0.0.1";
      Time(*service, req, page);
    }
    Time(*service, api, f.api_cases);
  }
  return f;
}

}  // namespace caseledger::bench
