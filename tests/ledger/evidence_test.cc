// Evidence for one event (ledger/evidence.h): it verifies offline for every
// position in the tree, and each kind of damage gets its verdict.
#include "ledger/evidence.h"

#include <catch2/catch.hpp>
#include <future>

#include "crypto/base64.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/verify.h"
#include "tests/ledger/test_util.h"

namespace caseledger::ledger {
namespace {

using testing::TempDir;

struct Log {
  TempDir dir;
  std::unique_ptr<LogStore> store;
  crypto::NoteVerifier verifier;
  explicit Log(int events) {
    REQUIRE(InitDataDir(dir.path(), "test.invalid/evidence").ok());
    {
      LedgerOptions opts;
      opts.no_sync = true;
      auto l = Ledger::Open(dir.path(), opts).value();
      std::vector<std::future<Result<Appended>>> fs;
      for (int i = 0; i < events; ++i)
        fs.push_back(l->writer().Submit(testing::SyntheticCommand(i, testing::NewId("s"))));
      for (auto& f : fs) REQUIRE(f.get().ok());
    }
    store = LogStore::Open(dir.path(), /*read_only=*/true).value();
    verifier = ReadVerifierFile(dir.path() + "/ledger.pub").value();
  }
  Json Evidence(std::uint64_t seq) { return MakeEvidence(*store, verifier, seq).value(); }
};

BundleVerdict Check(const Json& e, const std::optional<std::string>& key = std::nullopt) {
  return VerifyEvidence(CanonicalJson(e), key).verdict;
}

TEST_CASE("evidence of every event of a log verifies offline", "[ledger][evidence]") {
  Log log(37);  // an odd size: every shape of inclusion path
  for (std::uint64_t seq = 1; seq <= 37; ++seq) {
    INFO(seq);
    const Json e = log.Evidence(seq);
    const EvidenceReport r = VerifyEvidence(CanonicalJson(e), log.verifier.ToString());
    CHECK(r.verdict == BundleVerdict::kVerified);
    CHECK(r.seq == seq);
    CHECK(r.tree_size == 37);
  }
  CHECK(MakeEvidence(*log.store, log.verifier, 0).status().code() == StatusCode::kInvalidArgument);
  CHECK(MakeEvidence(*log.store, log.verifier, 38).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("damaged evidence is tampered, foreign keys unknown, non-evidence incomplete",
          "[ledger][evidence]") {
  Log log(20);
  const Json good = log.Evidence(7);
  REQUIRE(Check(good) == BundleVerdict::kVerified);

  // The event's content: one character of its header.
  Json e = good;
  std::string line = e["event"];
  const std::size_t at = line.find("\"seq\":7");
  REQUIRE(at != std::string::npos);
  line[at + 6] = '8';
  e["event"] = line;
  CHECK(Check(e) == BundleVerdict::kTampered);
  e = good;
  line = good["event"];
  line.replace(line.find("\"type\":\"") + 8, 1, "x");
  e["event"] = line;
  CHECK(Check(e) == BundleVerdict::kTampered);  // the signature no longer verifies
  // The proof: a hash, the index, the size, the stated leaf, the root.
  e = good;
  std::string h = e["inclusion"]["proof"][0];
  h[0] = h[0] == 'A' ? 'B' : 'A';
  e["inclusion"]["proof"][0] = h;
  CHECK(Check(e) == BundleVerdict::kTampered);
  e = good;
  e["inclusion"]["leaf_index"] = 7;
  CHECK(Check(e) == BundleVerdict::kTampered);
  e = good;
  e["inclusion"]["proof"].erase(0);
  CHECK(Check(e) == BundleVerdict::kTampered);
  e = good;
  e["inclusion"]["leaf_hash"] = good["inclusion"]["root"];
  CHECK(Check(e) == BundleVerdict::kTampered);
  // The checkpoint's text (its signature then fails).
  e = good;
  std::string note = e["checkpoint"];
  note.replace(note.find("\n20\n"), 4, "\n21\n");
  e["checkpoint"] = note;
  CHECK(Check(e) == BundleVerdict::kTampered);
  // Another log's key and checkpoint: unknown to a trusted key; and a
  // checkpoint from another log under this one's key is unknown too.
  Log other(20);
  CHECK(Check(good, other.verifier.ToString()) == BundleVerdict::kUnknownKey);
  e = good;
  e["checkpoint"] = other.Evidence(7)["checkpoint"];
  CHECK(Check(e) == BundleVerdict::kUnknownKey);
  // Not evidence.
  CHECK(VerifyEvidence("not json", std::nullopt).verdict == BundleVerdict::kIncomplete);
  e = good;
  e.erase("inclusion");
  CHECK(Check(e) == BundleVerdict::kIncomplete);
  e = good;
  e["v"] = 2;
  CHECK(Check(e) == BundleVerdict::kIncomplete);
}

}  // namespace
}  // namespace caseledger::ledger

namespace caseledger::ledger {
namespace {

TEST_CASE("an evidence set (one disclosure's steps) verifies line by line against one checkpoint",
          "[ledger][evidence]") {
  Log log(9);
  const std::uint64_t seqs[] = {2, 5, 9};
  const auto set = MakeEvidenceSet(*log.store, log.verifier, seqs).value();
  REQUIRE(set.size() == 3);
  std::string text;
  for (const Json& e : set) text += CanonicalJson(e) + "\n";
  auto reports = VerifyEvidenceSet(text, log.verifier.ToString());
  REQUIRE(reports.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(reports[i].verdict == BundleVerdict::kVerified);
    CHECK(reports[i].seq == seqs[i]);
  }
  // Blank lines (and a final line without "\n") are fine.
  CHECK(VerifyEvidenceSet("\n" + CanonicalJson(set[0]) + "\n\n" + CanonicalJson(set[1]), std::nullopt)
            .size() == 2);
  // One damaged document: that report says so, the others still verify.
  Json bad = set[1];
  bad["inclusion"]["leaf_index"] = 3;
  const std::string damaged = CanonicalJson(set[0]) + "\n" + CanonicalJson(bad) + "\n";
  reports = VerifyEvidenceSet(damaged, std::nullopt);
  REQUIRE(reports.size() == 2);
  CHECK(reports[0].verdict == BundleVerdict::kVerified);
  CHECK(reports[1].verdict == BundleVerdict::kTampered);
  // A document against another checkpoint (here: another log's) breaks the set.
  Log other(4);
  const std::string mixed = text + CanonicalJson(other.Evidence(2)) + "\n";
  reports = VerifyEvidenceSet(mixed, std::nullopt);
  REQUIRE(reports.size() == 4);
  CHECK(reports[3].verdict == BundleVerdict::kTampered);
  CHECK(reports[3].message.find("another checkpoint") != std::string::npos);
  // Nothing at all is incomplete.
  reports = VerifyEvidenceSet("\n\n", std::nullopt);
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].verdict == BundleVerdict::kIncomplete);
  const std::uint64_t out_of_range[] = {2, 10};
  CHECK(MakeEvidenceSet(*log.store, log.verifier, out_of_range).status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace caseledger::ledger
