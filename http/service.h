// Service: the HTTP API of DESIGN §9 as route handlers on a Router — pure
// request -> response functions over an open domain ledger, called by the
// Beast server (http/server.h) or, in tests, directly without sockets.
// Every request to /v1 is authenticated (bearer token, app/auth.h) and
// authorized by role and need to know (app/authz.h). Every write goes through
// the ledger's single group-commit writer and its policy engine; a 201
// carries the seq and the signed checkpoint that covers it. Every read of a
// case appends an `access.read` record *before* anything of the case leaves;
// if that append fails, the read is refused with 503 (fail closed, ROL-12).
// Endpoints, status codes and bodies: docs/api/openapi.yaml, docs/api/access.md.
// Thread-safety: Handle may be called from any number of threads.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "app/async_append.h"
#include "app/auth.h"
#include "app/domain_ledger.h"
#include "app/subject.h"
#include "base/progress_board.h"
#include "http/metrics.h"
#include "http/router.h"
#include "crypto/note.h"
#include "ledger/ledger.h"
#include "projections/case_cache.h"
#include "projections/projector.h"

namespace caseledger::http {

struct ServiceOptions {
  ledger::JsonLimits json;  // request bodies: size, depth, strings
  std::size_t max_log_entries = 1000;  // per GET /v1/log/entries
  std::size_t max_list = 1000;         // per GET /v1/cases page
  // How long a handler waits for its append to become durable before it
  // answers 503 (the append may still land; it was not acknowledged).
  std::chrono::milliseconds write_timeout{30000};
  app::ThrottleOptions throttle;
  // Failpoint for tests of fail-closed reads: every access record fails as a
  // failed append would. Set by `serve` from CASELEDGER_FAILPOINTS=access-append
  // (announced on stderr at start); never set in production.
  bool fail_access_records = false;
  std::function<ledger::Micros()> clock = ledger::NowMicros;
  // Set when the node asks witnesses (docs/witnessing.md): GET
  // /v1/log/checkpoint then serves the newest checkpoint with a quorum of
  // cosignatures. Both must outlive the Service.
  const app::Witnessing* witnessing = nullptr;
  const ledger::CosignatureStore* cosignatures = nullptr;
  // The same configuration, for the audit's integrity.witnessing.
  std::optional<app::WitnessConfig> witness_config;
  // The server's long tasks, shown in /metrics (docs/operations.md
  // "Progress of long tasks"); may be null. Must outlive the Service.
  const ProgressBoard* progress = nullptr;
};

class Service {
 public:
  // `domain` must outlive the Service.
  static Result<std::unique_ptr<Service>> Create(app::DomainLedger& domain,
                                                 crypto::SecretBytes token_pepper,
                                                 ServiceOptions options = {});

  // Dispatches one request: routing, authentication, the handler, metrics.
  HttpResponse Handle(const HttpRequest& request);
  const projections::ProjectionDbs& dbs() const { return dbs_; }

  const Router& router() const { return router_; }
  // Another front end on the same server (the web workspace, web/) adds its
  // routes here before serving, and signs people in with this authenticator,
  // so failed sign-ins and failed API calls are throttled together.
  Router& mutable_router() { return router_; }
  app::Authenticator& authenticator() { return auth_; }
  Metrics& metrics() { return metrics_; }

 private:
  Service(ledger::Ledger& ledger, const projections::ProjectionDbs& dbs,
          crypto::SecretBytes pepper, ServiceOptions options);
  using AuthedHandler = std::function<HttpResponse(
      const app::Principal&, const HttpRequest&, const PathParams&, const QueryParams&)>;
  void AddRoutes();
  void AddCaseRoutes();
  void AddSubjectRoutes();
  void AddLogRoutes();
  void AddAuthed(std::string method, std::string pattern, AuthedHandler h);

  Result<ledger::Appended> Append(ledger::Command cmd);
  // Appends `cmd` and answers `req` with Written(…, extra): through the
  // request's Deferral when it has one (no thread waits for the commit;
  // returns Deferred()), else waiting here, as Append.
  HttpResponse AppendAndAnswer(const HttpRequest& req, ledger::Command cmd, Json extra);
  // The authenticator's user lookup: projections::ReadUser, with the parse
  // of a user's stored state reused while its stored bytes are unchanged.
  Result<projections::UserState> LookupUser(std::string_view user);
  // Appends the access.read record of a read of `case_id`; Unavailable if it
  // could not be made durable (the read must then be refused).
  Status RecordAccess(const app::Principal& who, const std::string& case_id,
                      const std::string& purpose, const std::string& type = "access.read");
  // RecordAccess of `purpose` and `type`, for the use cases of app/subject.h;
  // `who` must outlive it.
  app::RecordCaseRead Recorder(const app::Principal& who, std::string purpose,
                               std::string type = "access.read");
  // 201 (or the refusal / error) of a submitted command.
  HttpResponse Written(Result<ledger::Appended> r, Json extra);
  HttpResponse EraseSubject(const app::Principal& who, const HttpRequest& req,
                            const std::string& subject);
  // POST /v1/subjects/lookup {"cpr"}: the subject a CPR number is indexed
  // under (Keystore identity index), or 404. A hit is recorded first: one
  // access.read (purpose "lookup") per case of the subject.
  HttpResponse LookupSubject(const app::Principal& who, const HttpRequest& req);
  // GET /v1/audit (auditor, dpo): the compliance audit (app/audit.h), a full
  // verify of the log included.
  HttpResponse Audit(const app::Principal& who, const QueryParams& q);
  HttpResponse ExportSubject(const app::Principal& who, const std::string& subject,
                             const QueryParams& q);

  HttpResponse PostCase(const app::Principal&, const HttpRequest&);
  HttpResponse PostEvent(const app::Principal&, const HttpRequest&, const std::string& case_id);
  HttpResponse PostAdvice(const app::Principal&, const HttpRequest&);
  // The checks every case read shares, in order: id, query, purpose (and
  // that the role reads for it), as_of, the case, need to know — then the
  // durable access record (fail closed). What the read may then show.
  struct CaseRead;
  Result<CaseRead> BeginCaseRead(const app::Principal&, const HttpRequest&,
                                 const std::string& case_id, const QueryParams&);
  HttpResponse GetCase(const app::Principal&, const HttpRequest&, const std::string& case_id,
                       const QueryParams&);
  HttpResponse GetHistory(const app::Principal&, const HttpRequest&, const std::string& case_id,
                          const QueryParams&);
  HttpResponse ListCases(const app::Principal&, const QueryParams&);
  HttpResponse Disclosures(const app::Principal&, const QueryParams&);
  HttpResponse LogEntries(const app::Principal&, const QueryParams&);
  // GET /healthz, /metrics (no authentication).
  HttpResponse Health();
  HttpResponse MetricsPage();
  // GET /v1/log/checkpoint, /v1/log/proof/inclusion, /v1/log/evidence,
  // /v1/log/proof/consistency.
  HttpResponse Checkpoint(const QueryParams&);
  HttpResponse LatestCheckpointNote(const QueryParams&);
  HttpResponse InclusionProof(const QueryParams&);
  HttpResponse Evidence(const app::Principal&, const QueryParams&);
  HttpResponse ConsistencyProof(const QueryParams&);
  // GET /v1/stats.
  HttpResponse Stats(const QueryParams&);

  ledger::Ledger& ledger_;
  projections::ProjectionDbs dbs_;
  app::TokenHasher hasher_;
  ServiceOptions options_;
  // The node's note verifier, from its own signing key (audit, evidence).
  crypto::NoteVerifier verifier_;
  projections::CaseCache cases_;  // need-to-know decisions without a parse per request
  app::Authenticator auth_;
  Metrics metrics_;
  Router router_;
  // LookupUser's parses, by user id, with the stored bytes each came from.
  struct CachedUser {
    std::string stored;
    projections::UserState state;
  };
  std::mutex users_mu_;
  std::map<std::string, CachedUser, std::less<>> users_;  // (users_mu_)
  // Last: destroyed first, answering every deferred append while the rest
  // of the Service (metrics) is still there.
  app::AsyncAppender appender_;
};

}  // namespace caseledger::http
