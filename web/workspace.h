// The web workspace's routes (docs/web.md): sign-in, sign-out, the language
// switch, the home page and "my cases" so far, under /ui/ on the same router
// and server as the JSON API. Every page calls the use cases of app/ as the
// API does; every state-changing form is a POST carrying the session's CSRF
// token, checked before anything else; a page a role may not see answers 403.
// Thread-safety: add routes before serving; the handlers may then run on any
// number of threads.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/auth.h"
#include "app/witnessing.h"
#include "app/domain_ledger.h"
#include "app/users.h"
#include "crypto/note.h"
#include "http/router.h"
#include "projections/case_cache.h"
#include "web/page.h"
#include "web/session.h"

namespace caseledger::web {

struct WorkspaceOptions {
  SessionOptions sessions;
  std::function<ledger::Micros()> clock = ledger::NowMicros;
  // How long a form waits for its append to become durable (as the API's
  // write_timeout).
  std::chrono::milliseconds write_timeout{30000};
  // The node's witnesses (docs/witnessing.md), for the audit page's
  // witnessed state; the store must outlive the Workspace.
  std::optional<app::WitnessConfig> witness_config;
  const ledger::CosignatureStore* cosignatures = nullptr;
};

// The purpose a role reads a case for in the workspace ("casework" for
// caseworkers and coordinators, "review" for legal reviewers), or "" if the
// role reads no case here.
std::string ReadPurpose(const Session& s);

class Workspace {
 public:
  // `domain` and `authenticator` (the JSON API's, so failed sign-ins are
  // throttled together with failed API calls) must outlive the Workspace.
  static Result<std::unique_ptr<Workspace>> Create(app::DomainLedger& domain,
                                                   app::Authenticator& authenticator,
                                                   WorkspaceOptions options = {});
  void AddRoutes(http::Router& router);
  SessionStore& sessions() { return sessions_; }

 private:
  Workspace(app::DomainLedger& domain, app::Authenticator& authenticator,
            WorkspaceOptions options);

  using Form = http::QueryParams;
  // A page for a signed-in user (GET): without a session, a redirect to sign-in.
  using PageHandler = std::function<http::HttpResponse(const Session&, const http::PathParams&,
                                                       const http::QueryParams&)>;
  // A state-changing form: the session, the CSRF token checked, the form parsed.
  using FormHandler = std::function<http::HttpResponse(
      const Session&, std::string_view cookie, const http::PathParams&, const Form&)>;
  void AddPage(http::Router& router, std::string path, PageHandler h);
  void AddForm(http::Router& router, std::string path, FormHandler h);
  http::HttpResponse WithForm(const http::HttpRequest& req, const http::PathParams& p,
                              const FormHandler& h);

  http::HttpResponse SignInPage(const http::HttpRequest& req, const http::QueryParams& q);
  http::HttpResponse SignInForm(int status, Lang lang, std::string_view alert_html);
  http::HttpResponse SignIn(const http::HttpRequest& req);
  http::HttpResponse Home(const Session& s);
  http::HttpResponse Cases(const Session& s, const http::QueryParams& q);
  // The page for a case read app::GrantCaseRead refused: 404 for no such
  // (or a malformed) case id, 403 without need to know, 503 otherwise.
  http::HttpResponse CaseReadRefused(const Session& s, const Status& st);
  // web/case_page.cc.
  http::HttpResponse CasePage(const Session& s, const std::string& case_id,
                              const http::QueryParams& q);
  // web/concern_page.cc.
  http::HttpResponse ConcernForm(const Session& s, const http::QueryParams& form, int status,
                                 const std::string& alert_html);
  http::HttpResponse ReportConcern(const Session& s, const http::QueryParams& form);
  // web/record_page.cc: recording an event on a case through the form of
  // its type (web/event_form.h), and the case page's list of those forms.
  http::HttpResponse RecordForm(const Session& s, const std::string& case_id,
                                const std::string& type, const http::QueryParams& form, int status,
                                const std::string& alert_html);
  http::HttpResponse Record(const Session& s, const std::string& case_id, const std::string& type,
                            const http::QueryParams& form);
  std::string Actions(const Session& s, const projections::CachedCase& c) const;
  // An event appended to a case for the signed-in user, as POST
  // /v1/cases/{case}/events: the writer decides need to know and every rule
  // on the state it appends to. For every form that records a case event.
  Result<ledger::Appended> AppendCaseEvent(const Session& s, const std::string& case_id,
                                           std::string type, Json h, std::optional<Json> body);
  // web/advice_page.cc: advice without registration (advice.given).
  http::HttpResponse AdvicePage(const Session& s, const http::QueryParams& q);
  http::HttpResponse AdviceForm(const Session& s, const http::QueryParams& form, int status,
                                const std::string& alert_html);
  http::HttpResponse RecordAdvice(const Session& s, const http::QueryParams& form);
  // web/audit_page.cc: the compliance audit (app::BuildAudit, as GET
  // /v1/audit), the drill-down to one case (metadata only), and the audit
  // bundle to download (app::BuildAuditBundleTar). Auditors and the DPO.
  http::HttpResponse AuditPage(const Session& s);
  http::HttpResponse AuditCase(const Session& s, const std::string& case_id);
  http::HttpResponse AuditBundle(const Session& s);
  // web/stats_page.cc: the statistics (projections::ReadStats, as GET
  // /v1/stats) as charts with their tables. Coordinators, auditors, the DPO.
  http::HttpResponse StatsPage(const Session& s, const http::QueryParams& q);
  // web/register_page.cc: the disclosure register, filtered.
  http::HttpResponse Register(const Session& s, const http::QueryParams& q);
  // web/disclosure_page.cc: one disclosure's page (its steps, what it drew
  // on, findings, verification) and its evidence file (`download`).
  void AddDisclosureRoutes(http::Router& router);
  http::HttpResponse DisclosurePage(const Session& s, const std::string& case_id,
                                    const std::string& seq, bool download);
  // web/dpo_page.cc: the DPO's pages (lookup by CPR number, the subject-access
  // export, erasure and the Art. 19 list).
  void AddDpoRoutes(http::Router& router);
  http::HttpResponse LookupForm(const Session& s, int status, const std::string& alert_html);
  http::HttpResponse LookupSubject(const Session& s, const Form& form);
  http::HttpResponse ExportPage(const Session& s, const std::string& subject, bool download);
  http::HttpResponse ErasureForm(const Session& s, const std::string& subject, const Form& form,
                                 int status, const std::string& alert_html);
  http::HttpResponse Erase(const Session& s, const std::string& subject, const Form& form);
  http::HttpResponse NotifyPage(const Session& s, const std::string& subject, int status,
                                const std::string& alert_html);
  http::HttpResponse RecordNotified(const Session& s, const std::string& subject, const Form& form);
  // web/hold_page.cc: a case's legal hold, set or released by the DPO.
  http::HttpResponse HoldPage(const Session& s, const std::string& case_id, const Form& form,
                              int status, const std::string& alert_html);
  http::HttpResponse SetHold(const Session& s, const std::string& case_id, const Form& form);
  // web/retention_page.cc: the retention plan and run.
  void AddRetentionRoutes(http::Router& router);
  http::HttpResponse RetentionPage(const Session& s, const std::string& report_html);
  http::HttpResponse RunRetention(const Session& s);
  // web/users_page.cc: the DPO's users page.
  void AddUserRoutes(http::Router& router);
  http::HttpResponse UsersPage(const Session& s, int status, const std::string& alert_html);
  http::HttpResponse AddUser(const Session& s, const Form& form);
  http::HttpResponse UserCommandForm(const Session& s, const std::string& user,
                                     std::string_view what);
  http::HttpResponse UserWritten(const Session& s, app::UserCommand cmd, std::string_view done_key);
  // The coordinator's triage: received or unassigned cases, most urgent first.
  http::HttpResponse Triage(const Session& s);
  // The table of `views` (my cases, triage), captioned with `caption_key`'s text.
  std::string CaseTable(const Session& s, std::string_view caption_key,
                        const std::vector<const projections::CaseView*>& views,
                        ledger::Micros now) const;
  std::string CaseRow(const Session& s, const projections::CaseView& v, ledger::Micros now) const;
  http::HttpResponse ErrorPage(int status, Lang lang, const Session* s, std::string_view key);

  app::DomainLedger& domain_;
  WorkspaceOptions options_;
  TokenSignIn sign_in_;
  SessionStore sessions_;
  projections::CaseCache cases_;
  crypto::NoteVerifier verifier_;  // the node's own key: each event's verification
};

}  // namespace caseledger::web
