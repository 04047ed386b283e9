// Router: the HTTP API's request dispatch as a pure function over plain
// request and response values — no sockets, no Beast — so tests call it
// directly (STYLE: router tests without sockets) and Beast stays in the one
// server translation unit. Routes are method + pattern ("/v1/cases/{case}");
// a segment in braces binds a path parameter. Dispatch answers 404 for an
// unknown path, 405 (with `Allow`) for a known path with another method, and
// 400 for a malformed target or query, each as problem+json.
// Thread-safety: add routes before serving; Handle is then const and may run
// on any number of threads.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace caseledger::http {

struct HttpResponse;

// Answering a request later (docs/performance.md, "HTTP appends, third round"): the
// server (http/server.h) gives every request it runs on a handler thread a
// Deferral. A handler that would otherwise block its thread waiting (for a
// durable append) takes the request's answer with Take(), returns
// Deferred() at once, and gives the answer from any thread when it is
// ready. The server writes the answer once both have happened, in either
// order. Callers that set no Deferral (tests calling a handler directly)
// get the answer returned, as before.
// Thread-safety: Take and OnAnswer are called on the handler's thread while
// the handler runs; the Answer may be called from any thread.
class Deferral {
 public:
  // The answer of one request: call it once, from any thread. Move-only; if
  // the last Answer of a request is destroyed without being called, the
  // request is answered 500 `internal`, so a request is never left open.
  class Answer {
   public:
    class State;
    explicit Answer(std::shared_ptr<State> state) : state_(std::move(state)) {}
    Answer(Answer&&) noexcept = default;
    Answer& operator=(Answer&&) = delete;
    Answer(const Answer&) = delete;
    Answer& operator=(const Answer&) = delete;
    ~Answer();
    // Precondition: not called before on this request.
    void operator()(HttpResponse response);

   private:
    std::shared_ptr<State> state_;
  };

  virtual ~Deferral() = default;
  // Takes over the request's answer. Precondition: once per request, while
  // the handler runs. The handler must then return Deferred().
  virtual Answer Take() = 0;
  // Adds a step that runs on the answer (any thread) just before it is
  // written, after the steps added before it; for the layers a Deferred()
  // response returns through (the service's metrics). Only while the handler
  // runs.
  virtual void OnAnswer(std::function<void(HttpResponse&)> step) = 0;
};

// Where an Answer delivers: the server's side of a Deferral.
class Deferral::Answer::State {
 public:
  virtual ~State() = default;
  // Called exactly once per request, from any thread.
  virtual void Give(HttpResponse response) = 0;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", …
  std::string target;  // origin-form: path ["?" query]
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  // The client's address, for throttling failed logins only: never stored,
  // logged or put in a metric.
  std::string remote;
  // Set by the server: how a handler answers later (Deferral). Null when the
  // caller wants the answer returned.
  std::shared_ptr<Deferral> deferral;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A public file whose URL changes with its content (web/assets.h): the
  // server sends `Cache-Control: public, max-age=31536000, immutable` instead
  // of `no-store`. Never for anything a request's identity decides.
  bool immutable = false;
  // The matched route's pattern ("/v1/cases/{case}"), "" if none matched:
  // for metrics and access logs, which never see raw targets (ids, queries).
  std::string route;
  // Deferred(): the handler took the request's answer (Deferral::Take) and
  // gives it later; nothing else of this response is sent but `route`,
  // which the answer gets when its own is empty.
  bool deferred = false;
};

// What a handler returns after Deferral::Take.
HttpResponse Deferred();

// The problem+json response of a non-OK status (http/problem.h).
HttpResponse ErrorResponse(const Status& s);
// A problem+json response of the HTTP layer's own (405, 415 …) that no
// Status maps to: `type` is the suffix under kProblemBase.
HttpResponse ProblemResponse(int status, std::string_view type,
                             std::string_view title, std::string_view detail);

using PathParams = std::map<std::string, std::string, std::less<>>;
using QueryParams = std::map<std::string, std::string, std::less<>>;

struct QueryLimits {
  std::size_t max_bytes = 2048;
  std::size_t max_params = 32;
};
// Parses a query string ("a=1&b=x%20y"): strict percent-decoding (two hex
// digits; "+" is a space), valid UTF-8, no NUL, no duplicate names, within
// limits. InvalidArgument naming the problem (never echoing the input).
Result<QueryParams> ParseQuery(std::string_view query, const QueryLimits& limits = {});

class Router {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&,
                                             const PathParams&,
                                             const QueryParams&)>;
  // Adds a route. Precondition (assert): `pattern` starts with '/', its
  // parameter segments are "{name}", and (method, pattern) is new.
  void Add(std::string method, std::string pattern, Handler handler);

  // Dispatches `request`. Path segments are matched literally after
  // percent-decoding; a segment that decodes to "", ".", ".." or contains
  // '/' or NUL makes the target malformed (400), so no path parameter can
  // traverse anything.
  HttpResponse Handle(const HttpRequest& request) const;

  // Every (method, pattern), in the order added (for the OpenAPI check).
  std::vector<std::pair<std::string, std::string>> Routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" for a parameter
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace caseledger::http
