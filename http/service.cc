#include "http/service.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "app/disclosure_evidence.h"
#include "app/audit.h"
#include "app/authz.h"
#include "app/case_access.h"
#include "app/case_list.h"
#include "app/concern.h"
#include "app/erasure.h"
#include "app/event_json.h"
#include "app/history.h"
#include "app/html.h"
#include "http/problem.h"
#include "app/subject.h"
#include "app/subject_export.h"
#include "base/bytes.h"
#include "base/ids.h"
#include "ledger/body.h"
#include "ledger/event.h"
#include "ledger/evidence.h"
#include "ledger/proofs.h"
#include "projections/catalogue.h"
#include "projections/disclosure_register.h"
#include "projections/policy.h"
#include "projections/stats.h"

namespace caseledger::http {

using app::Principal;
using ledger::Micros;

namespace {

HttpResponse JsonResponse(int status, const Json& j) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = ledger::CanonicalJson(j);
  return r;
}

// Strict query parameters: only `allowed` names.
Status OnlyParams(const QueryParams& q, std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : q) {
    (void)value;
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      return InvalidArgument("query: unknown parameter " + name);
  }
  return Status::Ok();
}

// A decimal integer parameter in [lo, hi]; `fallback` if absent.
Result<std::uint64_t> UintParam(const QueryParams& q, std::string_view name,
                                std::uint64_t fallback, std::uint64_t lo, std::uint64_t hi) {
  auto it = q.find(name);
  if (it == q.end()) return fallback;
  const std::string& v = it->second;
  if (v.empty() || v.size() > 16 || !std::all_of(v.begin(), v.end(), [](char c) {
        return c >= '0' && c <= '9';
      }))
    return InvalidArgument("query: " + std::string(name) + " must be a decimal integer");
  const std::uint64_t n = std::stoull(v);
  if (n < lo || n > hi)
    return InvalidArgument("query: " + std::string(name) + " must be between " +
                           std::to_string(lo) + " and " + std::to_string(hi));
  return n;
}

// A time parameter: RFC 3339 UTC, or a date (YYYY-MM-DD, its start).
Result<Micros> TimeParam(std::string_view name, const std::string& v) {
  std::string text = v;
  if (text.size() == 10) text += "T00:00:00Z";
  auto t = ledger::ParseTime(text);
  if (!t.ok())
    return InvalidArgument("query: " + std::string(name) +
                           " must be a UTC time (YYYY-MM-DDTHH:MM:SS[.ffffff]Z) or a date");
  return *t;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The purpose of a read: ?purpose= or X-Purpose (one of them, and only one value).
Result<std::string> PurposeOf(const HttpRequest& req, const QueryParams& q) {
  std::string purpose;
  auto it = q.find("purpose");
  auto h = req.headers.find("x-purpose");
  if (it != q.end() && h != req.headers.end() && it->second != h->second)
    return InvalidArgument("purpose: the query and the X-Purpose header disagree");
  if (it != q.end()) purpose = it->second;
  else if (h != req.headers.end()) purpose = h->second;
  if (purpose.empty())
    return InvalidArgument(
        "purpose: required (?purpose= or X-Purpose: casework, review, subject_access or audit)");
  if (!app::IsPurpose(purpose))
    return InvalidArgument("purpose: must be casework, review, subject_access or audit");
  return purpose;
}

// `s` equals `lower` (lower case) ignoring the case of ASCII letters in
// `s`, after dropping every character `skip` of `s`.
bool EqualsFolded(std::string_view s, std::string_view lower, char skip = '\0') {
  std::size_t j = 0;
  for (char ch : s) {
    if (skip != '\0' && ch == skip) continue;
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (j == lower.size() || c != lower[j]) return false;
    ++j;
  }
  return j == lower.size();
}

Status RequireJson(const HttpRequest& req) {
  auto it = req.headers.find("content-type");
  if (it == req.headers.end()) return InvalidArgument("content-type");
  std::string_view ct = it->second;
  const std::size_t semi = ct.find(';');
  const std::string_view params =
      semi == std::string_view::npos ? std::string_view() : ct.substr(semi + 1);
  ct = ct.substr(0, semi);
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  // The media type case-insensitively; its parameters without spaces: none,
  // or charset=utf-8.
  if (!EqualsFolded(ct, "application/json") ||
      !(EqualsFolded(params, "", ' ') || EqualsFolded(params, "charset=utf-8", ' ')))
    return InvalidArgument("content-type");
  return Status::Ok();
}

HttpResponse UnsupportedMediaType() {
  return ProblemResponse(415, "unsupported-media-type", "Unsupported media type",
                         "the request body must be application/json (UTF-8)");
}

// Parses a request body that must be a JSON object with exactly the members
// `required` and, optionally, `optional`.
Result<Json> ParseBody(const HttpRequest& req, const ledger::JsonLimits& limits,
                       std::initializer_list<std::string_view> required,
                       std::initializer_list<std::string_view> optional) {
  CL_ASSIGN_OR_RETURN(Json j, ledger::ParseUntrustedJson(req.body, limits));
  if (!j.is_object()) return InvalidArgument("body: must be a JSON object");
  for (std::string_view k : required)
    if (!j.contains(std::string(k)))
      return InvalidArgument("body: missing field " + std::string(k));
  for (const auto& [k, v] : j.items()) {
    (void)v;
    if (std::find(required.begin(), required.end(), k) == required.end() &&
        std::find(optional.begin(), optional.end(), k) == optional.end())
      return InvalidArgument("body: unknown field " + k);
  }
  return j;
}

Json CheckpointJson(const ledger::Appended& a) {
  return Json{{"size", a.tree_size}, {"note", a.checkpoint}};
}

// `?format=`: json (the default) or html, the self-contained page of
// app/html.h for people (the Format parameter of docs/api/openapi.yaml).
Result<bool> WantsHtml(const QueryParams& q) {
  auto it = q.find("format");
  if (it == q.end() || it->second == "json") return false;
  if (it->second == "html") return true;
  return InvalidArgument("format: json or html");
}

HttpResponse HtmlPage(std::string page) {
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  // The pages hold no script and load nothing: the browser is told so too.
  r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  r.body = std::move(page);
  return r;
}

}  // namespace

Result<std::unique_ptr<Service>> Service::Create(app::DomainLedger& domain,
                                                 crypto::SecretBytes token_pepper,
                                                 ServiceOptions options) {
  return std::unique_ptr<Service>(new Service(domain.ledger(), domain.dbs(),
                                              std::move(token_pepper), std::move(options)));
}

Service::Service(ledger::Ledger& ledger, const projections::ProjectionDbs& dbs,
                 crypto::SecretBytes pepper, ServiceOptions options)
    : ledger_(ledger),
      dbs_(dbs),
      hasher_(std::move(pepper)),
      options_(std::move(options)),
      verifier_(crypto::NoteVerifier::For(ledger.store().origin(),
                                          ledger.signing_key().public_key())),
      cases_(ledger.store(), dbs_),
      auth_(hasher_, [this](std::string_view user) { return LookupUser(user); },
            options_.throttle),
      appender_(ledger.writer(), options_.write_timeout) {
  AddRoutes();
}

Result<projections::UserState> Service::LookupUser(std::string_view user) {
  // As projections::ReadUser, whose parse is the part reused.
  if (!ValidateId(user, "u", "user").ok()) return NotFound("no such user");
  CL_ASSIGN_OR_RETURN(auto txn, ledger_.store().Read());
  CL_ASSIGN_OR_RETURN(auto v, txn.Get(dbs_.users, AsBytes(user)));
  if (!v) return NotFound("no such user");
  const std::string_view stored = AsChars(*v);
  {
    std::lock_guard lock(users_mu_);
    auto it = users_.find(user);
    if (it != users_.end() && it->second.stored == stored) return it->second.state;
  }
  auto j = ledger::ParseUntrustedJson(stored, projections::StoredJsonLimits());
  if (!j.ok()) return Corruption("proj.users: " + j.status().message());
  CL_ASSIGN_OR_RETURN(projections::UserState u, projections::UserState::FromJson(*j));
  if (u.user != user) return Corruption("proj.users: an entry names another user");
  std::lock_guard lock(users_mu_);
  // Bounded: only registered users get here, but a long-running server
  // forgets the parses now and then rather than growing without end.
  if (users_.size() >= 4096) users_.clear();
  users_.insert_or_assign(std::string(user), CachedUser{std::string(stored), u});
  return u;
}

HttpResponse Service::Handle(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  HttpResponse r;
  try {
    r = router_.Handle(request);
  } catch (const std::exception&) {
    // nlohmann or the standard library threw: a bug; never show what.
    r = ErrorResponse(Internal("a handler threw"));
  }
  if (r.deferred && request.deferral) {
    // Observed when answered: the latency includes the wait for the commit.
    request.deferral->OnAnswer([this, method = request.method, start](HttpResponse& a) {
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - start);
      metrics_.ObserveRequest(method, a.route, a.status, static_cast<std::uint64_t>(micros.count()));
    });
    return r;
  }
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  metrics_.ObserveRequest(request.method, r.route, r.status,
                          static_cast<std::uint64_t>(micros.count()));
  return r;
}

void Service::AddAuthed(std::string method, std::string pattern, AuthedHandler h) {
  router_.Add(std::move(method), std::move(pattern),
              [this, h = std::move(h)](const HttpRequest& req, const PathParams& p,
                                       const QueryParams& q) {
                auto it = req.headers.find("authorization");
                const std::string none;
                auto who = auth_.Authenticate(it == req.headers.end() ? none : it->second,
                                              req.remote, options_.clock());
                if (!who.ok()) {
                  HttpResponse r = ErrorResponse(who.status());
                  if (who.status().code() == StatusCode::kUnauthenticated)
                    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"caseledger\"");
                  return r;
                }
                return h(*who, req, p, q);
              });
}

Result<ledger::Appended> Service::Append(ledger::Command cmd) {
  return app::AppendAndWait(ledger_.writer(), std::move(cmd), options_.write_timeout);
}

HttpResponse Service::AppendAndAnswer(const HttpRequest& req, ledger::Command cmd, Json extra) {
  if (!req.deferral) return Written(Append(std::move(cmd)), std::move(extra));
  // std::function wants a copyable function: the answer is shared.
  auto answer = std::make_shared<Deferral::Answer>(req.deferral->Take());
  appender_.Submit(std::move(cmd), [this, answer = std::move(answer), extra = std::move(extra)](
                                       Result<ledger::Appended> r) mutable {
    (*answer)(Written(std::move(r), std::move(extra)));
  });
  return Deferred();
}

Status Service::RecordAccess(const Principal& who, const std::string& case_id,
                             const std::string& purpose, const std::string& type) {
  if (options_.fail_access_records)
    return Unavailable("the read could not be recorded in the access log, so it is refused (fail closed)");
  CL_RETURN_IF_ERROR(app::RecordCaseAccess(ledger_.writer(), who, case_id, purpose, type,
                                           options_.write_timeout));
  metrics_.ObserveAccessRecord();
  return Status::Ok();
}

HttpResponse Service::Written(Result<ledger::Appended> r, Json extra) {
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kPolicyRefused)
      metrics_.ObserveRefusal(projections::RuleOf(r.status()));
    return ErrorResponse(r.status());
  }
  extra["seq"] = r->seq;
  extra["time"] = r->time;
  extra["checkpoint"] = CheckpointJson(*r);
  HttpResponse resp = JsonResponse(201, extra);
  return resp;
}

// --- Writes ---------------------------------------------------------------

HttpResponse Service::PostCase(const Principal& who, const HttpRequest& req) {
  if (!RequireJson(req).ok()) return UnsupportedMediaType();
  auto j = ParseBody(req, options_.json, {"subject", "h", "body"}, {});
  if (!j.ok()) return ErrorResponse(j.status());
  const Json& subject = (*j)["subject"];
  if (!(*j)["h"].is_object()) return ErrorResponse(InvalidArgument("h: must be an object"));
  if (!(*j)["body"].is_object()) return ErrorResponse(InvalidArgument("body: must be an object"));
  std::optional<std::string> subject_id;
  if (subject.is_string()) {
    subject_id = subject.get<std::string>();
  } else if (!subject.is_null()) {
    return ErrorResponse(InvalidArgument("subject: not a subject id (s-…) or null"));
  }
  auto c = app::ConcernCommand(who, subject_id, std::move((*j)["h"]), std::move((*j)["body"]));
  if (!c.ok()) return ErrorResponse(c.status());
  Json extra{{"case", *c->case_id}, {"subject", *c->subject}};
  return AppendAndAnswer(req, std::move(*c), std::move(extra));
}

HttpResponse Service::PostEvent(const Principal& who, const HttpRequest& req,
                                const std::string& case_id) {
  if (!ValidateId(case_id, "c", "case").ok())
    return ErrorResponse(InvalidArgument("case: not a case id (c-…)"));
  if (!RequireJson(req).ok()) return UnsupportedMediaType();
  auto j = ParseBody(req, options_.json, {"type", "h"}, {"body"});
  if (!j.ok()) return ErrorResponse(j.status());
  if (!(*j)["type"].is_string()) return ErrorResponse(InvalidArgument("type: must be a string"));
  const std::string type = (*j)["type"].get<std::string>();
  const projections::EventSpec* spec = projections::FindEventSpec(type);
  if (spec == nullptr) return ErrorResponse(InvalidArgument("type: unknown event type"));
  // Server-written types (access.*, policy.refused) are 403 whatever their
  // scope, as docs/api/openapi.yaml says.
  if (spec->server_only)
    return ErrorResponse(PermissionDenied("type: " + type + " is written by the server only"));
  if (spec->scope != projections::Scope::kCase)
    return ErrorResponse(InvalidArgument(
        "type: not an event of an existing case (concerns open cases at POST /v1/cases)"));
  if (!(*j)["h"].is_object()) return ErrorResponse(InvalidArgument("h: must be an object"));
  if (j->contains("body") && !(*j)["body"].is_object())
    return ErrorResponse(InvalidArgument("body: must be an object"));
  // Need to know (and the case's existence) is decided by the policy engine
  // inside the writer, on the state this event is appended to: no read here,
  // and no assignment can change in between.
  ledger::Command c;
  projections::SetOrigin(c, {.enforce_need_to_know = true});
  c.type = type;
  c.actor = who.user;
  c.role = who.role;
  c.case_id = case_id;
  c.h = std::move((*j)["h"]);
  if (j->contains("body")) c.body = std::move((*j)["body"]);
  return AppendAndAnswer(req, std::move(c), Json{{"case", case_id}});
}

// Advice without registration (docs/catalogue.md, `advice.given`): an event
// of no case and no subject, headers only — a body is refused, so no
// personal data can come in with it. The policy engine decides the rest
// (ROLE; ROL-1 for a protected characteristic among the codes discussed).
HttpResponse Service::PostAdvice(const Principal& who, const HttpRequest& req) {
  if (!RequireJson(req).ok()) return UnsupportedMediaType();
  auto j = ParseBody(req, options_.json, {"h"}, {});
  if (!j.ok()) return ErrorResponse(j.status());
  if (!(*j)["h"].is_object()) return ErrorResponse(InvalidArgument("h: must be an object"));
  ledger::Command c;
  c.type = "advice.given";
  c.actor = who.user;
  c.role = who.role;
  c.h = std::move((*j)["h"]);
  return AppendAndAnswer(req, std::move(c), Json::object());
}

HttpResponse Service::EraseSubject(const Principal& who, const HttpRequest& req,
                                   const std::string& subject) {
  if (!ValidateId(subject, "s", "subject").ok())
    return ErrorResponse(InvalidArgument("subject: not a subject id (s-…)"));
  if (!RequireJson(req).ok()) return UnsupportedMediaType();
  auto j = ParseBody(req, options_.json, {"reason"}, {});
  if (!j.ok()) return ErrorResponse(j.status());
  if (!(*j)["reason"].is_string()) return ErrorResponse(InvalidArgument("reason: must be a string"));
  auto erased = app::EraseSubject(ledger_, dbs_, cases_, who, subject,
                                  (*j)["reason"].get<std::string>(), options_.write_timeout);
  if (!erased.ok()) return Written(erased.status(), {});
  // GDPR Art. 19: the recipients of earlier disclosures to tell of the
  // erasure (then record recipients.notified about this seq).
  Json notify = Json::array();
  for (const app::Art19Notice& n : erased->notify)
    notify.push_back({{"case", n.case_id}, {"about", n.about}, {"recipients", n.recipients}});
  Json extra{{"subject", subject}, {"kid", erased->kid}, {"key_destroyed", true},
             {"notify", std::move(notify)}};
  return Written(erased->appended, std::move(extra));
}

// Records a read of a case by `who` for `purpose` (fail closed), for the use
// cases of app/subject.h.
app::RecordCaseRead Service::Recorder(const Principal& who, std::string purpose,
                                      std::string type) {
  return [this, &who, purpose = std::move(purpose), type = std::move(type)](const std::string& c) {
    return RecordAccess(who, c, purpose, type);
  };
}

HttpResponse Service::LookupSubject(const Principal& who, const HttpRequest& req) {
  if (who.role != "caseworker" && who.role != "coordinator" && who.role != "dpo")
    return ErrorResponse(PermissionDenied(
        "only caseworkers, coordinators and the dpo look up a person by CPR number"));
  if (!RequireJson(req).ok()) return UnsupportedMediaType();
  auto j = ParseBody(req, options_.json, {"cpr"}, {});
  if (!j.ok()) return ErrorResponse(j.status());
  const Json& cpr = (*j)["cpr"];
  if (!cpr.is_string())
    return ErrorResponse(InvalidArgument("cpr: a CPR number, DDMMYY-NNNN or DDMMYYNNNN"));
  auto found = app::LookupSubjectByCpr(ledger_, dbs_, who, cpr.get<std::string>(),
                                       Recorder(who, "lookup"));
  if (!found.ok()) return ErrorResponse(found.status());
  return JsonResponse(200, Json{{"subject", found->subject}});
}


HttpResponse Service::Audit(const Principal& who, const QueryParams& q) {
  if (who.role != "auditor" && who.role != "dpo")
    return ErrorResponse(PermissionDenied("only auditors and the dpo run the compliance audit"));
  if (auto s = OnlyParams(q, {"format", "previous_checkpoint"}); !s.ok()) return ErrorResponse(s);
  auto html = WantsHtml(q);
  if (!html.ok()) return ErrorResponse(html.status());
  // The previous audit's signed checkpoint note (percent-encoded): the
  // report proves the log still extends it.
  std::optional<app::AuditOptions::Previous> previous;
  if (auto it = q.find("previous_checkpoint"); it != q.end()) {
    auto p = app::PreviousFromNote(it->second, verifier_);
    if (!p.ok()) return ErrorResponse(p.status());
    previous = *p;
  }
  auto erasures = ledger_.keys().Erasures();
  if (!erasures.ok()) return ErrorResponse(erasures.status());
  app::AuditOptions o;
  o.now = options_.clock();
  o.previous = previous;
  o.witnessing = options_.witness_config;
  o.cosignatures = options_.cosignatures;
  auto report = app::BuildAudit(ledger_.store(), verifier_, *erasures, dbs_, o);
  if (!report.ok()) return ErrorResponse(report.status());
  if (*html) return HtmlPage(app::AuditHtml(*report));
  return JsonResponse(200, *report);
}

HttpResponse Service::ExportSubject(const Principal& who, const std::string& subject,
                                    const QueryParams& q) {
  if (!ValidateId(subject, "s", "subject").ok())
    return ErrorResponse(InvalidArgument("subject: not a subject id (s-…)"));
  if (auto s = OnlyParams(q, {"format"}); !s.ok()) return ErrorResponse(s);
  auto html = WantsHtml(q);
  if (!html.ok()) return ErrorResponse(html.status());
  auto exported = app::ExportSubject(ledger_, dbs_, who, subject, ledger::NowMicros(),
                                     Recorder(who, "subject_access", "access.exported"));
  if (!exported.ok()) return ErrorResponse(exported.status());
  if (*html) return HtmlPage(app::SubjectExportHtml(*exported));
  return JsonResponse(200, *exported);
}

// --- Case reads -----------------------------------------------------------

namespace {

struct AsOf {
  std::optional<std::uint64_t> seq;
  std::optional<Micros> time;
};

Result<AsOf> AsOfParam(const QueryParams& q) {
  AsOf a;
  auto it = q.find("as_of");
  if (it == q.end()) return a;
  if (IsDigits(it->second)) {
    CL_ASSIGN_OR_RETURN(a.seq, UintParam(q, "as_of", 0, 1, (std::uint64_t{1} << 53) - 1));
  } else {
    CL_ASSIGN_OR_RETURN(a.time, TimeParam("as_of", it->second));
  }
  return a;
}

}  // namespace

struct Service::CaseRead {
  std::string purpose;
  AsOf as_of;
  projections::CaseCache::Read current;
  app::CaseAccess access = app::CaseAccess::kNone;
};

Result<Service::CaseRead> Service::BeginCaseRead(const Principal& who, const HttpRequest& req,
                                                 const std::string& case_id,
                                                 const QueryParams& q) {
  if (!ValidateId(case_id, "c", "case").ok())
    return InvalidArgument("case: not a case id (c-…)");
  CL_RETURN_IF_ERROR(OnlyParams(q, {"purpose", "as_of"}));
  CaseRead r;
  CL_ASSIGN_OR_RETURN(r.purpose, PurposeOf(req, q));
  CL_RETURN_IF_ERROR(app::CheckPurpose(who, r.purpose));
  CL_ASSIGN_OR_RETURN(r.as_of, AsOfParam(q));
  CL_ASSIGN_OR_RETURN(app::CaseReadGrant grant, app::GrantCaseRead(cases_, who, case_id, r.purpose));
  r.current = std::move(grant.current);
  r.access = grant.access;
  // Fail closed: the access record is durable before anything leaves.
  CL_RETURN_IF_ERROR(RecordAccess(who, case_id, r.purpose));
  return r;
}

HttpResponse Service::GetCase(const Principal& who, const HttpRequest& req,
                              const std::string& case_id, const QueryParams& q) {
  auto read = BeginCaseRead(who, req, case_id, q);
  if (!read.ok()) return ErrorResponse(read.status());
  const AsOf* as_of = &read->as_of;
  const projections::CaseView& now = read->current.c->view;
  const projections::CaseCache::Read* current = &read->current;
  Json out{{"case", case_id}};
  if (as_of->seq || as_of->time) {
    auto then = as_of->seq
                    ? projections::CaseAsOfSeq(ledger_.store(), dbs_, case_id, *as_of->seq)
                    : projections::CaseAsOfTime(ledger_.store(), dbs_, case_id, *as_of->time);
    if (!then.ok()) return ErrorResponse(then.status());
    out["as_of"] = as_of->seq ? Json(*as_of->seq) : Json(ledger::FormatTime(*as_of->time));
    out["state"] = then->Derive().ToJson();
  } else {
    out["state"] = now.ToJson();
  }
  out["built_to"] = Json{{"size", current->built_to.size},
                         {"root", ToHex(current->built_to.root.view())}};
  return JsonResponse(200, out);
}

HttpResponse Service::GetHistory(const Principal& who, const HttpRequest& req,
                                 const std::string& case_id, const QueryParams& query) {
  auto html = WantsHtml(query);
  if (!html.ok()) return ErrorResponse(html.status());
  QueryParams q = query;
  q.erase("format");
  auto read = BeginCaseRead(who, req, case_id, q);
  if (!read.ok()) return ErrorResponse(read.status());
  const AsOf* as_of = &read->as_of;
  const app::CaseAccess access = read->access;
  auto history = projections::CaseHistory(ledger_.store(), dbs_, case_id, as_of->seq.value_or(0));
  if (!history.ok()) return ErrorResponse(history.status());
  Json entries = Json::array();
  auto txn = ledger_.store().Read();
  if (!txn.ok()) return ErrorResponse(txn.status());
  for (const projections::HistoryEntry& e : *history) {
    if (as_of->time && e.fact.time > *as_of->time) break;
    Json o = app::HistoryEntryJson(e);
    auto line = ledger::ReadEventLine(*txn, ledger_.store(), e.fact.seq);
    if (!line.ok()) return ErrorResponse(line.status());
    auto event = ledger::DecodeEvent(*line);
    if (!event.ok()) return ErrorResponse(event.status());
    if (event->body) {
      if (access != app::CaseAccess::kBodies) {
        o["body"] = Json{{"withheld", "metadata only for this role and purpose"}};
      } else {
        auto body = app::ReadableBody(*event, ledger_.keys(), read->current.c->view.erased);
        if (!body.ok()) return ErrorResponse(body.status());
        o["body"] = std::move(*body);
      }
    }
    entries.push_back(std::move(o));
  }
  Json doc{{"case", case_id}, {"entries", std::move(entries)}};
  if (*html) {
    // Headers only (the page never shows a body), each event verified.
    if (Status s = app::AddVerification(ledger_.store(), verifier_, doc); !s.ok())
      return ErrorResponse(s);
    return HtmlPage(app::CaseHistoryHtml(doc));
  }
  return JsonResponse(200, doc);
}

HttpResponse Service::ListCases(const Principal& who, const QueryParams& q) {
  if (auto s = OnlyParams(q, {"status", "limit", "after"}); !s.ok()) return ErrorResponse(s);
  auto limit = UintParam(q, "limit", 100, 1, options_.max_list);
  if (!limit.ok()) return ErrorResponse(limit.status());
  app::CaseListQuery query;
  query.limit = static_cast<std::size_t>(*limit);
  if (auto it = q.find("status"); it != q.end()) {
    if (!app::IsCaseStatus(it->second))
      return ErrorResponse(InvalidArgument("query: status is not a case status"));
    query.status = it->second;
  }
  if (auto it = q.find("after"); it != q.end()) {
    if (!ValidateId(it->second, "c", "after").ok())
      return ErrorResponse(InvalidArgument("query: after must be a case id"));
    query.after = it->second;
  }
  auto list = app::ListCases(ledger_.store(), dbs_, cases_, who, query);
  if (!list.ok()) return ErrorResponse(list.status());
  Json cases = Json::array();
  for (const auto& c : list->cases) {
    const projections::CaseView& v = c->view;
    // A summary: never the context codes (ROL-3), never a body.
    cases.push_back(Json{{"case", v.case_id},
                         {"status", v.status},
                         {"opened", ledger::FormatTime(v.opened)},
                         {"source", v.source},
                         {"minor", v.minor},
                         {"assignees", v.assignees},
                         {"last_activity", ledger::FormatTime(v.last_activity)}});
  }
  Json out{{"cases", std::move(cases)}};
  if (!list->next.empty()) out["next"] = list->next;
  return JsonResponse(200, out);
}

HttpResponse Service::Disclosures(const Principal& who, const QueryParams& q) {
  if (who.role == "caseworker")
    return ErrorResponse(PermissionDenied("the disclosure register is for coordinators, legal "
                                          "reviewers, auditors and the DPO"));
  if (auto s = OnlyParams(q, {"from", "to", "recipient", "basis", "status", "finding", "legacy",
                              "format"});
      !s.ok())
    return ErrorResponse(s);
  auto html = WantsHtml(q);
  if (!html.ok()) return ErrorResponse(html.status());
  Micros from = 0, to = std::numeric_limits<Micros>::max();
  if (auto it = q.find("from"); it != q.end()) {
    auto t = TimeParam("from", it->second);
    if (!t.ok()) return ErrorResponse(t.status());
    from = *t;
  }
  if (auto it = q.find("to"); it != q.end()) {
    auto t = TimeParam("to", it->second);
    if (!t.ok()) return ErrorResponse(t.status());
    to = *t;
  }
  auto param = [&](const char* key) {
    auto it = q.find(key);
    return it == q.end() ? std::string() : it->second;
  };
  const std::string finding = param("finding"), legacy = param("legacy");
  if (!legacy.empty() && legacy != "true" && legacy != "false")
    return ErrorResponse(InvalidArgument("legacy: true or false"));
  if (!finding.empty() && !projections::IsRegisterCheck(finding))
    return ErrorResponse(InvalidArgument("finding: not a finding code of the register"));
  const Micros now = options_.clock();
  auto entries = projections::ReadRegister(
      ledger_.store(), dbs_, now, [&](const projections::CaseView& v) { return app::MayList(who, v); });
  if (!entries.ok()) return ErrorResponse(entries.status());
  projections::RegisterFilter filter;
  filter.from = from;
  filter.to = to;
  filter.recipient = param("recipient");
  filter.basis = param("basis");
  filter.status = param("status");
  filter.finding = finding;
  if (!legacy.empty()) filter.legacy = legacy == "true";
  const Json doc = projections::RegisterJson(*entries, filter, now);
  if (*html) return HtmlPage(app::RegisterHtml(doc));
  return JsonResponse(200, doc);
}

HttpResponse Service::LogEntries(const Principal& who, const QueryParams& q) {
  if (who.role != "auditor" && who.role != "dpo")
    return ErrorResponse(PermissionDenied("raw log entries are for auditors and the DPO"));
  if (auto s = OnlyParams(q, {"from", "count"}); !s.ok()) return ErrorResponse(s);
  auto from = UintParam(q, "from", 1, 1, (std::uint64_t{1} << 53) - 1);
  if (!from.ok()) return ErrorResponse(from.status());
  auto count = UintParam(q, "count", 100, 1, options_.max_log_entries);
  if (!count.ok()) return ErrorResponse(count.status());
  auto txn = ledger_.store().Read();
  if (!txn.ok()) return ErrorResponse(txn.status());
  auto size = ledger::TreeSize(*txn, ledger_.store());
  if (!size.ok()) return ErrorResponse(size.status());
  HttpResponse r;
  r.content_type = "application/jsonl";
  for (std::uint64_t s = *from; s < *from + *count && s <= *size; ++s) {
    auto line = ledger::ReadEventLine(*txn, ledger_.store(), s);
    if (!line.ok()) return ErrorResponse(line.status());
    r.body += *line;
    r.body += '\n';
  }
  r.headers.emplace_back("X-Log-Size", std::to_string(*size));
  return r;
}

// --- Routes ---------------------------------------------------------------

void Service::AddRoutes() {
  // Unauthenticated: for load balancers, supervisors and monitoring.
  router_.Add("GET", "/healthz",
              [this](const HttpRequest&, const PathParams&, const QueryParams&) { return Health(); });
  router_.Add("GET", "/metrics", [this](const HttpRequest&, const PathParams&, const QueryParams&) {
    return MetricsPage();
  });
  AddCaseRoutes();
  AddSubjectRoutes();
  AddLogRoutes();
  AddAuthed("GET", "/v1/stats", [this](const Principal&, const HttpRequest&, const PathParams&,
                                       const QueryParams& q) { return Stats(q); });
}

HttpResponse Service::Health() {
  // 503 while writes cannot succeed, so a load balancer or a supervisor can
  // act (docs/operations.md "Storage failures"). Names only: no data.
  const ledger::WriterHealth h = ledger_.writer().health();
  Json doc{{"status", std::string(ledger::StateName(h.state))},
           {"log_size", ledger_.writer().size()}};
  if (h.state == ledger::WriterHealth::State::kOk) return JsonResponse(200, doc);
  doc["reason"] = h.reason;
  if (!h.cause.empty()) doc["cause"] = h.cause;
  doc["since"] = ledger::FormatTime(h.since);
  doc["writes"] = h.state == ledger::WriterHealth::State::kFailed ? "stopped" : "suspended";
  return JsonResponse(503, doc);
}

HttpResponse Service::MetricsPage() {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  Metrics::Sampled s;
  s.writer = ledger_.writer().stats();
  s.health = ledger_.writer().health();
  s.log_size = ledger_.writer().size();
  s.key_pool_free = ledger_.keys().PoolFree();
  s.auth_failures = auth_.failures();
  s.auth_throttled = auth_.throttled();
  if (options_.witnessing != nullptr) s.witnessing = options_.witnessing->Snapshot();
  if (options_.progress != nullptr) s.tasks = options_.progress->Snapshot();
  r.body = metrics_.Render(s);
  return r;
}

// /v1/cases, a case, its events and history; the disclosure register.
void Service::AddCaseRoutes() {
  AddAuthed("POST", "/v1/cases", [this](const Principal& w, const HttpRequest& r,
                                        const PathParams&, const QueryParams& q) {
    if (!q.empty()) return ErrorResponse(InvalidArgument("query: this resource takes none"));
    return PostCase(w, r);
  });
  AddAuthed("GET", "/v1/cases", [this](const Principal& w, const HttpRequest&,
                                       const PathParams&, const QueryParams& q) {
    return ListCases(w, q);
  });
  AddAuthed("GET", "/v1/cases/{case}", [this](const Principal& w, const HttpRequest& r,
                                              const PathParams& p, const QueryParams& q) {
    return GetCase(w, r, p.at("case"), q);
  });
  AddAuthed("POST", "/v1/cases/{case}/events",
            [this](const Principal& w, const HttpRequest& r, const PathParams& p,
                   const QueryParams& q) {
              if (!q.empty())
                return ErrorResponse(InvalidArgument("query: this resource takes none"));
              return PostEvent(w, r, p.at("case"));
            });
  AddAuthed("GET", "/v1/cases/{case}/history",
            [this](const Principal& w, const HttpRequest& r, const PathParams& p,
                   const QueryParams& q) { return GetHistory(w, r, p.at("case"), q); });
  AddAuthed("POST", "/v1/advice", [this](const Principal& w, const HttpRequest& r,
                                         const PathParams&, const QueryParams& q) {
    if (!q.empty()) return ErrorResponse(InvalidArgument("query: this resource takes none"));
    return PostAdvice(w, r);
  });
  AddAuthed("GET", "/v1/disclosures", [this](const Principal& w, const HttpRequest&,
                                             const PathParams&, const QueryParams& q) {
    return Disclosures(w, q);
  });
}

// /v1/subjects: lookup by CPR number, the subject access export, erasure;
// and the compliance audit.
void Service::AddSubjectRoutes() {
  AddAuthed("POST", "/v1/subjects/lookup",
            [this](const Principal& w, const HttpRequest& r, const PathParams&,
                   const QueryParams& q) {
              if (!q.empty()) return ErrorResponse(InvalidArgument("query: this resource takes none"));
              return LookupSubject(w, r);
            });
  AddAuthed("GET", "/v1/subjects/{subject}/export",
            [this](const Principal& w, const HttpRequest&, const PathParams& p,
                   const QueryParams& q) { return ExportSubject(w, p.at("subject"), q); });
  AddAuthed("POST", "/v1/subjects/{subject}/erase",
            [this](const Principal& w, const HttpRequest& r, const PathParams& p,
                   const QueryParams& q) {
              if (!q.empty()) return ErrorResponse(InvalidArgument("query: this resource takes none"));
              return EraseSubject(w, r, p.at("subject"));
            });
  AddAuthed("GET", "/v1/audit", [this](const Principal& w, const HttpRequest&,
                                        const PathParams&, const QueryParams& q) {
    return Audit(w, q);
  });
}

// /v1/log: the checkpoint, entries, evidence and proofs.
void Service::AddLogRoutes() {
  AddAuthed("GET", "/v1/log/checkpoint", [this](const Principal&, const HttpRequest&,
                                                const PathParams&, const QueryParams& q) {
    return Checkpoint(q);
  });
  AddAuthed("GET", "/v1/log/checkpoint/latest", [this](const Principal&, const HttpRequest&,
                                                       const PathParams&, const QueryParams& q) {
    return LatestCheckpointNote(q);
  });
  AddAuthed("GET", "/v1/log/entries", [this](const Principal& w, const HttpRequest&,
                                             const PathParams&, const QueryParams& q) {
    return LogEntries(w, q);
  });
  AddAuthed("GET", "/v1/log/proof/inclusion", [this](const Principal&, const HttpRequest&,
                                                     const PathParams&, const QueryParams& q) {
    return InclusionProof(q);
  });
  AddAuthed("GET", "/v1/log/evidence", [this](const Principal& w, const HttpRequest&,
                                               const PathParams&, const QueryParams& q) {
    return Evidence(w, q);
  });
  AddAuthed("GET", "/v1/log/proof/consistency", [this](const Principal&, const HttpRequest&,
                                                       const PathParams&, const QueryParams& q) {
    return ConsistencyProof(q);
  });
}

// The newest checkpoint: with witnesses configured, the newest one that a
// quorum of them cosigned, with their cosignatures (docs/witnessing.md).
HttpResponse Service::Checkpoint(const QueryParams& q) {
  if (!q.empty()) return ErrorResponse(InvalidArgument("query: this resource takes none"));
  const app::Witnessing* w = options_.witnessing;
  if (w == nullptr || options_.cosignatures == nullptr || w->quorum() == 0)
    return LatestCheckpointNote(q);
  std::vector<crypto::CosignerVerifier> vs;
  for (const app::WitnessEndpoint& e : w->options().witnesses) vs.push_back(e.verifier);
  auto c = options_.cosignatures->NewestWithQuorum(vs, w->quorum());
  if (!c.ok()) return ErrorResponse(c.status());
  if (!*c) {
    return ErrorResponse(Unavailable(
        "no checkpoint has a quorum of witness cosignatures yet "
        "(GET /v1/log/checkpoint/latest serves the newest unwitnessed one)"));
  }
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = (*c)->Note();
  return r;
}

// The newest signed checkpoint, witnessed or not, with the cosignatures
// collected for it so far.
HttpResponse Service::LatestCheckpointNote(const QueryParams& q) {
  if (!q.empty()) return ErrorResponse(InvalidArgument("query: this resource takes none"));
  auto txn = ledger_.store().Read();
  if (!txn.ok()) return ErrorResponse(txn.status());
  auto cp = ledger::LatestCheckpoint(*txn, ledger_.store());
  if (!cp.ok()) return ErrorResponse(cp.status());
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = cp->second;
  if (options_.cosignatures != nullptr) {
    auto c = options_.cosignatures->At(cp->first);
    if (c.ok() && *c && (*c)->log_note == cp->second) r.body = (*c)->Note();
  }
  return r;
}

HttpResponse Service::InclusionProof(const QueryParams& q) {
  if (auto s = OnlyParams(q, {"seq", "size"}); !s.ok()) return ErrorResponse(s);
  const std::uint64_t n = ledger_.writer().size();
  auto seq = UintParam(q, "seq", 0, 1, std::max<std::uint64_t>(n, 1));
  if (!seq.ok()) return ErrorResponse(seq.status());
  if (!q.contains("seq")) return ErrorResponse(InvalidArgument("query: seq is required"));
  auto size = UintParam(q, "size", n, 1, std::max<std::uint64_t>(n, 1));
  if (!size.ok()) return ErrorResponse(size.status());
  auto j = ledger::InclusionProofJson(ledger_.store(), *seq, *size);
  if (!j.ok()) return ErrorResponse(j.status());
  return JsonResponse(200, *j);
}

HttpResponse Service::Evidence(const Principal& w, const QueryParams& q) {
  // The raw event line is in it: the same readers as /v1/log/entries.
  if (w.role != "auditor" && w.role != "dpo")
    return ErrorResponse(PermissionDenied("evidence holds a raw log entry: for auditors and the DPO"));
  if (auto s = OnlyParams(q, {"seq"}); !s.ok()) return ErrorResponse(s);
  if (!q.contains("seq")) return ErrorResponse(InvalidArgument("query: seq is required"));
  auto seq = UintParam(q, "seq", 0, 1, (std::uint64_t{1} << 53) - 1);
  if (!seq.ok()) return ErrorResponse(seq.status());
  auto witnessed = app::WitnessedCheckpoint(options_.cosignatures);
  if (!witnessed.ok()) return ErrorResponse(witnessed.status());
  auto j = ledger::MakeEvidence(ledger_.store(), verifier_, *seq, *witnessed);
  if (!j.ok()) return ErrorResponse(j.status());
  return JsonResponse(200, *j);
}

HttpResponse Service::ConsistencyProof(const QueryParams& q) {
  if (auto s = OnlyParams(q, {"from", "to"}); !s.ok()) return ErrorResponse(s);
  const std::uint64_t n = ledger_.writer().size();
  if (!q.contains("from")) return ErrorResponse(InvalidArgument("query: from is required"));
  auto from = UintParam(q, "from", 0, 1, std::max<std::uint64_t>(n, 1));
  if (!from.ok()) return ErrorResponse(from.status());
  auto to = UintParam(q, "to", n, 1, std::max<std::uint64_t>(n, 1));
  if (!to.ok()) return ErrorResponse(to.status());
  auto j = ledger::ConsistencyProofJson(ledger_.store(), *from, *to);
  if (!j.ok()) return ErrorResponse(j.status());
  return JsonResponse(200, *j);
}

HttpResponse Service::Stats(const QueryParams& q) {
  if (auto s = OnlyParams(q, {"year", "format"}); !s.ok()) return ErrorResponse(s);
  auto html = WantsHtml(q);
  if (!html.ok()) return ErrorResponse(html.status());
  std::optional<int> year;
  if (q.contains("year")) {
    auto y = UintParam(q, "year", 0, 1970, 9999);
    if (!y.ok()) return ErrorResponse(y.status());
    year = static_cast<int>(*y);
  }
  auto stats = projections::ReadStats(ledger_.store(), dbs_, year);
  if (!stats.ok()) return ErrorResponse(stats.status());
  Json years = Json::array();
  for (const auto& s : *stats) years.push_back(s.ToJson());
  Json doc{{"years", std::move(years)}};
  if (*html) return HtmlPage(app::StatsHtml(doc));
  return JsonResponse(200, doc);
}

}  // namespace caseledger::http
