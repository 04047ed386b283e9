// The router without sockets: matching, path parameters, 404/405/400, query
// parsing and its limits.
#include <catch2/catch.hpp>

#include "base/json.h"
#include "http/router.h"

namespace caseledger::http {
namespace {

Router TestRouter() {
  Router r;
  auto echo = [](std::string name) {
    return [name](const HttpRequest&, const PathParams& p, const QueryParams& q) {
      Json j{{"route", name}};
      for (const auto& [k, v] : p) j["path"][k] = v;
      for (const auto& [k, v] : q) j["query"][k] = v;
      HttpResponse resp;
      resp.body = j.dump();
      return resp;
    };
  };
  r.Add("GET", "/healthz", echo("health"));
  r.Add("GET", "/v1/cases", echo("list"));
  r.Add("POST", "/v1/cases", echo("open"));
  r.Add("GET", "/v1/cases/{case}", echo("case"));
  r.Add("GET", "/v1/cases/{case}/history", echo("history"));
  r.Add("POST", "/v1/cases/{case}/events", echo("event"));
  return r;
}

HttpResponse Get(const Router& r, const std::string& target, const std::string& method = "GET") {
  HttpRequest req;
  req.method = method;
  req.target = target;
  return r.Handle(req);
}

Json Body(const HttpResponse& r) { return Json::parse(r.body); }

TEST_CASE("routes match by method and path with parameters", "[api][router]") {
  Router r = TestRouter();
  auto a = Get(r, "/v1/cases/c-abc?as_of=42&purpose=casework");
  REQUIRE(a.status == 200);
  CHECK(Body(a)["route"] == "case");
  CHECK(Body(a)["path"]["case"] == "c-abc");
  CHECK(Body(a)["query"]["as_of"] == "42");
  CHECK(Body(a)["query"]["purpose"] == "casework");
  CHECK(Body(Get(r, "/v1/cases/c-abc/history"))["route"] == "history");
  CHECK(Body(Get(r, "/v1/cases"))["route"] == "list");
  CHECK(Body(Get(r, "/v1/cases", "POST"))["route"] == "open");
  CHECK(Body(Get(r, "/v1/cases/c-x%20y"))["path"]["case"] == "c-x y");
  CHECK(r.Routes().size() == 6);
  CHECK(r.Routes()[3] == std::make_pair(std::string("GET"), std::string("/v1/cases/{case}")));
}

TEST_CASE("unknown paths are 404 and other methods 405 with Allow", "[api][router]") {
  Router r = TestRouter();
  auto nf = Get(r, "/v1/nothing");
  CHECK(nf.status == 404);
  CHECK(nf.content_type == "application/problem+json");
  CHECK(Body(nf)["type"] == "https://caseledger.invalid/problems/not-found");
  CHECK(Get(r, "/v1/cases/c-1/history/more").status == 404);
  auto m = Get(r, "/v1/cases/c-1", "DELETE");
  CHECK(m.status == 405);
  CHECK(Body(m)["status"] == 405);
  REQUIRE(m.headers.size() == 1);
  CHECK(m.headers[0] == std::make_pair(std::string("Allow"), std::string("GET")));
  auto both = Get(r, "/v1/cases", "PUT");
  CHECK(both.headers[0].second == "GET, POST");
}

TEST_CASE("malformed targets are 400 and never reach a handler", "[api][router]") {
  Router r = TestRouter();
  for (const char* bad :
       {"v1/cases", "/v1/cases/..", "/v1/cases/%2e%2e", "/v1/cases/a%2Fb", "/v1/cases/%00",
        "/v1/cases/%zz", "/v1/cases/%4", "/v1//cases", "/v1/cases/%ff", "/v1/cases/c?a=1&a=2",
        "/v1/cases/c?a=%", "/v1/cases/c?=x", "/v1/cases/c?a=%c3%28"}) {
    INFO(bad);
    auto resp = Get(r, bad);
    CHECK(resp.status == 400);
    CHECK(resp.content_type == "application/problem+json");
    CHECK(resp.body.find("\"route\"") == std::string::npos);
  }
  // Encoded "/" inside a parameter is refused, a trailing slash is a
  // different (unknown) path.
  CHECK(Get(r, "/v1/cases/").status == 404);
}

TEST_CASE("query parsing is strict and bounded", "[api][router]") {
  auto q = ParseQuery("a=1&b=x+y&c=%41%62&d");
  REQUIRE(q.ok());
  CHECK(q->at("a") == "1");
  CHECK(q->at("b") == "x y");
  CHECK(q->at("c") == "Ab");
  CHECK(q->at("d") == "");
  CHECK(ParseQuery("").ok());
  CHECK(ParseQuery("a=1&&b=2")->size() == 2);
  std::string many;
  for (int i = 0; i < 40; ++i) many += "p" + std::to_string(i) + "=1&";
  CHECK(ParseQuery(many).status().code() == StatusCode::kInvalidArgument);
  CHECK(ParseQuery(std::string(3000, 'a')).status().code() == StatusCode::kInvalidArgument);
  auto dup = ParseQuery("purpose=audit&purpose=casework");
  CHECK(dup.status().message() == "query: a parameter given twice");
}

}  // namespace
}  // namespace caseledger::http
