#include "projections/case_cache.h"

#include <catch2/catch.hpp>

#include "tests/projections/domain_fixture.h"

namespace caseledger::projections {
namespace {

using testing::CaseEvent;
using testing::Concern;
using testing::Domain;
using testing::Ground;

TEST_CASE("CaseCache reuses a parsed state only while the stored state is unchanged",
          "[projections]") {
  Domain d;
  auto c1 = Concern(d.cw, Json::array({Ground("b.threat")}));
  const std::string id1 = *c1.case_id;
  d.Must(std::move(c1));
  auto c2 = Concern(d.cw, Json::array({Ground("b.violence")}));
  const std::string id2 = *c2.case_id;
  d.Must(std::move(c2));
  CaseCache cache(d.store(), d.dbs(), 1);

  auto a = cache.Get(id1).value();
  CHECK(a.c->view.assignees.empty());
  CHECK(a.c->view.ToJson() == d.View(id1).ToJson());
  CHECK(a.built_to.size == d.size());
  auto b = cache.Get(id1).value();
  CHECK(b.c == a.c);  // unchanged: the same parse
  CHECK(cache.hits() == 1);

  // A state fact changes the stored state: never a stale answer.
  d.Must(CaseEvent(d.co, id1, "case.assigned", Json{{"assignees", Json::array({d.cw.id})}}));
  auto c = cache.Get(id1).value();
  CHECK(c.c != a.c);
  REQUIRE(c.c->view.assignees.size() == 1);
  CHECK(c.c->view.ToJson() == d.View(id1).ToJson());
  CHECK(a.c->view.assignees.empty());  // earlier readers keep what they read

  // Capacity 1: another case evicts the first.
  CHECK(cache.Get(id2).value().c->view.ToJson() == d.View(id2).ToJson());
  const auto misses = cache.misses();
  cache.Get(id1).value();
  CHECK(cache.misses() == misses + 1);

  CHECK(cache.Get(testing::NewId("c")).status().code() == StatusCode::kNotFound);
}

}  // namespace
}  // namespace caseledger::projections
