#include "http/router.h"

#include <cassert>
#include <utility>

#include "http/problem.h"
#include "base/bytes.h"
#include "ledger/canonical_json.h"

namespace caseledger::http {

namespace {

// Percent-decodes `in` ("+" as space when `plus_is_space`). False on a bad
// escape or a NUL.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;  // two hex digits must follow
      const int hi = HexDigitValue(in[i + 1]), lo = HexDigitValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return false;
    out.push_back(c);
  }
  return true;
}

std::vector<std::string> SplitPattern(std::string_view pattern) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= pattern.size()) {
    std::size_t end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    out.emplace_back(pattern.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool IsParam(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

Deferral::Answer::~Answer() {
  // Never called (the function holding it was dropped, or threw): the
  // request is answered rather than left open.
  if (state_) std::exchange(state_, nullptr)->Give(ErrorResponse(Internal("the request's answer was lost")));
}

void Deferral::Answer::operator()(HttpResponse response) {
  assert(state_ != nullptr);
  if (state_) std::exchange(state_, nullptr)->Give(std::move(response));
}

HttpResponse Deferred() {
  HttpResponse r;
  r.deferred = true;
  return r;
}

HttpResponse ErrorResponse(const Status& s) {
  const HttpProblem& p = ProblemFor(s.code());
  HttpResponse r;
  r.status = p.status;
  r.content_type = "application/problem+json";
  r.body = ProblemJson(s);
  if (!p.retry_after.empty()) r.headers.emplace_back("Retry-After", std::string(p.retry_after));
  return r;
}

HttpResponse ProblemResponse(int status, std::string_view type,
                             std::string_view title, std::string_view detail) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = ProblemBody(status, std::string(kProblemBase) + std::string(type), title, detail);
  return r;
}

Result<QueryParams> ParseQuery(std::string_view query, const QueryLimits& limits) {
  QueryParams out;
  if (query.size() > limits.max_bytes) return InvalidArgument("query: too long");
  if (query.empty()) return out;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    if (out.size() >= limits.max_params) return InvalidArgument("query: too many parameters");
    const std::size_t eq = pair.find('=');
    std::string name, value;
    if (!PercentDecode(pair.substr(0, eq), true, name) ||
        (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), true, value)))
      return InvalidArgument("query: bad percent-encoding");
    if (name.empty()) return InvalidArgument("query: a parameter without a name");
    if (!IsValidUtf8(name) || !IsValidUtf8(value)) return InvalidArgument("query: not UTF-8");
    if (!out.emplace(std::move(name), std::move(value)).second)
      return InvalidArgument("query: a parameter given twice");
  }
  return out;
}

void Router::Add(std::string method, std::string pattern, Handler handler) {
  assert(!pattern.empty() && pattern.front() == '/');
  Route r{std::move(method), std::move(pattern), {}, std::move(handler)};
  r.segments = SplitPattern(r.pattern);
  for ([[maybe_unused]] const Route& other : routes_)
    assert(!(other.method == r.method && other.pattern == r.pattern));
  routes_.push_back(std::move(r));
}

std::vector<std::pair<std::string, std::string>> Router::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Route& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

HttpResponse Router::Handle(const HttpRequest& request) const {
  const std::string_view target = request.target;
  if (target.empty() || target.front() != '/')
    return ErrorResponse(InvalidArgument("target: not an absolute path"));
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  auto query = ParseQuery(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
  if (!query.ok()) return ErrorResponse(query.status());
  // Decode the path segment by segment.
  std::vector<std::string> segments;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string seg;
    if (!PercentDecode(path.substr(start, end - start), false, seg) || !IsValidUtf8(seg))
      return ErrorResponse(InvalidArgument("target: bad percent-encoding in the path"));
    if ((seg.empty() && end != path.size()) || seg == "." || seg == ".." ||
        seg.find('/') != std::string::npos)
      return ErrorResponse(InvalidArgument("target: the path is not in normal form"));
    segments.push_back(std::move(seg));
    start = end + 1;
  }
  std::vector<std::string> allowed;
  for (const Route& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      match = IsParam(r.segments[i]) ? !segments[i].empty() : r.segments[i] == segments[i];
    }
    if (!match) continue;
    if (r.method != request.method) {
      allowed.push_back(r.method);
      continue;
    }
    // The parameters of the matching route only.
    PathParams params;
    for (std::size_t i = 0; i < segments.size(); ++i)
      if (IsParam(r.segments[i]))
        params.emplace(r.segments[i].substr(1, r.segments[i].size() - 2), std::move(segments[i]));
    HttpResponse resp = r.handler(request, params, *query);
    resp.route = r.pattern;
    return resp;
  }
  if (!allowed.empty()) {
    HttpResponse resp = ProblemResponse(405, "method-not-allowed", "Method not allowed",
                                        "this resource does not take that method");
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    resp.headers.emplace_back("Allow", allow);
    return resp;
  }
  return ErrorResponse(NotFound("no such resource"));
}

}  // namespace caseledger::http
