// The wire forms between cluster nodes that need no etcd: a forwarded
// command and the leader's answer (cluster/forward.h), and the cluster file
// (cluster/node.h).
#include <catch2/catch.hpp>

#include "base/json.h"
#include "cluster/forward.h"
#include "cluster/node.h"
#include "projections/policy.h"

namespace caseledger::cluster {
namespace {

ledger::Command FullCommand() {
  ledger::Command c;
  c.type = "concern.responded";
  c.actor = "u-t5sksmjxp5ie5ie3vttzdqrmoi";
  c.role = "caseworker";
  c.case_id = "c-ux2vpkckjrsukeliv7s7mtd27q";
  c.subject = "s-um6m4blu3l5fh63m4rrzsm3jky";
  c.h = Json{{"channel", "phone"}};
  c.body = Json{{"note", "synthetic note"}};
  c.time = 1767225600123456;  // 2026-01-01T00:00:00.123456Z
  return c;
}

TEST_CASE("forward: a command crosses with every field, its server mark and its origin",
          "[cluster][forward]") {
  for (bool from_server : {false, true}) {
    for (bool need_to_know : {false, true}) {
      ledger::Command c = FullCommand();
      c.from_server = from_server;
      projections::CommandOrigin origin;
      origin.enforce_need_to_know = need_to_know;
      projections::SetOrigin(c, origin);
      auto back = DecodeForwarded(EncodeForwarded(c));
      INFO(back.status().message());
      REQUIRE(back.ok());
      CHECK(back->type == c.type);
      CHECK(back->actor == c.actor);
      CHECK(back->role == c.role);
      CHECK(back->case_id == c.case_id);
      CHECK(back->subject == c.subject);
      CHECK(back->h == c.h);
      CHECK(back->body == c.body);
      CHECK(back->time == c.time);
      CHECK(back->from_server == from_server);
      CHECK(projections::OriginOf(*back).enforce_need_to_know == need_to_know);
      CHECK_FALSE(projections::OriginOf(*back).legacy_import);
      CHECK(EncodeForwarded(*back) == EncodeForwarded(c));  // a fixed point
    }
  }
  ledger::Command bare = FullCommand();
  bare.case_id.reset();
  bare.subject.reset();
  bare.body.reset();
  bare.time.reset();
  auto back = DecodeForwarded(EncodeForwarded(bare));
  REQUIRE(back.ok());
  CHECK_FALSE(back->case_id);
  CHECK_FALSE(back->subject);
  CHECK_FALSE(back->body);
  CHECK_FALSE(back->time);
}

TEST_CASE("forward: a malformed forwarded command is refused", "[cluster][forward]") {
  const std::string good = EncodeForwarded(FullCommand());
  Json j = Json::parse(good);
  auto with = [&](const std::function<void(Json&)>& change) {
    Json k = j;
    change(k);
    return DecodeForwarded(k.dump()).status();
  };
  CHECK(DecodeForwarded("not json").status().code() == StatusCode::kInvalidArgument);
  CHECK(with([](Json& k) { k.erase("from_server"); }).code() == StatusCode::kInvalidArgument);
  CHECK(with([](Json& k) { k["extra"] = 1; }).code() == StatusCode::kInvalidArgument);
  CHECK(with([](Json& k) { k["from_server"] = "yes"; }).code() == StatusCode::kInvalidArgument);
  CHECK(with([](Json& k) { k["command"]["unknown"] = 1; }).code() == StatusCode::kInvalidArgument);
  CHECK(with([](Json& k) { k["command"].erase("actor"); }).code() == StatusCode::kInvalidArgument);
  CHECK(with([](Json& k) { k["command"] = "x"; }).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("forward: the leader's answer comes back as its writer gave it", "[cluster][forward]") {
  ledger::Appended a;
  a.seq = 42;
  a.time = "2026-01-01T00:00:00.000001Z";
  a.tree_size = 43;
  a.checkpoint = "origin\n43\nroot\n\n— sig\n";
  auto back = DecodeForwardAnswer(EncodeForwardAnswer(a));
  REQUIRE(back.ok());
  CHECK(back->seq == 42);
  CHECK(back->time == a.time);
  CHECK(back->tree_size == 43);
  CHECK(back->checkpoint == a.checkpoint);

  const Status refused = Status(StatusCode::kPolicyRefused, "a case needs observed behaviour").WithReason("ROL-01");
  auto r = DecodeForwardAnswer(EncodeForwardAnswer(Result<ledger::Appended>(refused)));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kPolicyRefused);
  CHECK(r.status().message() == refused.message());
  CHECK(r.status().reason() == "ROL-01");
  auto plain = DecodeForwardAnswer(EncodeForwardAnswer(Result<ledger::Appended>(NotFound("no such case"))));
  CHECK(plain.status().code() == StatusCode::kNotFound);
  CHECK(plain.status().reason().empty());

  for (const char* bad : {"", "{}", "[]", R"({"error":{"code":0,"message":"","reason":""}})",
                          R"({"error":{"code":99,"message":"","reason":""}})",
                          R"({"appended":{"seq":1}})", R"({"appended":{},"error":{}})"}) {
    INFO(bad);
    CHECK(DecodeForwardAnswer(bad).status().code() == StatusCode::kUnavailable);
  }
}

TEST_CASE("cluster file: what it must hold", "[cluster][config]") {
  const Json good = Json::parse(R"({"node_id":"n1","url":"http://127.0.0.1:8101",
    "etcd":["http://127.0.0.1:2379"],
    "peers":[{"id":"n2","url":"http://127.0.0.1:8102"},{"id":"n3","url":"http://127.0.0.1:8103"}],
    "min_acks":2,"lease_ttl_s":3,"ship_timeout_ms":500})");
  auto c = ParseClusterConfig(good.dump());
  REQUIRE(c.ok());
  CHECK(c->node_id == "n1");
  CHECK(c->peers.size() == 2);
  CHECK(c->min_acks == 2);
  CHECK(c->lease_ttl == std::chrono::seconds(3));
  CHECK(c->ship_timeout == std::chrono::milliseconds(500));
  Json defaults = good;
  defaults.erase("min_acks");
  defaults.erase("lease_ttl_s");
  defaults.erase("ship_timeout_ms");
  auto d = ParseClusterConfig(defaults.dump());
  REQUIRE(d.ok());
  CHECK(d->min_acks == 1);
  CHECK(d->lease_ttl == std::chrono::seconds(5));

  const std::vector<std::function<void(Json&)>> bad = {
      [](Json& j) { j["node_id"] = "N1"; },
      [](Json& j) { j["node_id"] = ""; },
      [](Json& j) { j["url"] = "https://127.0.0.1:8101"; },
      [](Json& j) { j["url"] = "http://127.0.0.1:8101/"; },
      [](Json& j) { j["etcd"] = Json::array(); },
      [](Json& j) { j["peers"][0]["id"] = "n1"; },          // itself
      [](Json& j) { j["peers"][1]["id"] = "n2"; },          // twice
      [](Json& j) { j["peers"][0]["extra"] = 1; },
      [](Json& j) { j["min_acks"] = 3; },                   // more than the peers
      [](Json& j) { j["min_acks"] = -1; },
      [](Json& j) { j["lease_ttl_s"] = 1; },
      [](Json& j) { j["ship_timeout_ms"] = "2000"; },
      [](Json& j) { j["unknown"] = true; },
      [](Json& j) { j.erase("peers"); },
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    Json j = good;
    bad[i](j);
    INFO("case " << i);
    CHECK(ParseClusterConfig(j.dump()).status().code() == StatusCode::kInvalidArgument);
  }
  CHECK(ParseClusterConfig("[1]").status().code() == StatusCode::kInvalidArgument);
  CHECK(ReadClusterConfig("/nonexistent/cluster.json").status().code() == StatusCode::kNotFound);
}

}  // namespace
}  // namespace caseledger::cluster
