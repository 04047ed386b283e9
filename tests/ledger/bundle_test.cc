#include "ledger/bundle.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "tests/ledger/test_util.h"

namespace caseledger::ledger {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

constexpr std::uint64_t kEvents = 10000;

// One 10^4-event log and its exported bundle, shared by the cases below.
const TempDir& Exported() {
  static TempDir* dir = [] {
    auto* d = new TempDir();
    REQUIRE(InitDataDir(d->path(), "test.invalid/log").ok());
    {
      LedgerOptions opts;
      opts.no_sync = true;  // durability is not under test here
      auto l = Ledger::Open(d->path(), opts).value();
      std::vector<std::future<Result<Appended>>> fs;
      for (std::uint64_t i = 0; i < kEvents; ++i) {
        fs.push_back(l->writer().Submit(testing::SyntheticCommand(
            static_cast<int>(i), testing::NewId("s"))));
      }
      for (auto& f : fs) REQUIRE(f.get().ok());
    }
    REQUIRE(ExportBundle(d->path(), (*d) / "bundle").ok());
    return d;
  }();
  return *dir;
}

// A copy of the exported bundle to damage.
std::string CopyBundle(const TempDir& into) {
  std::string out = into / "b";
  std::filesystem::copy(Exported() / "bundle", out,
                        std::filesystem::copy_options::recursive);
  return out;
}

std::vector<std::string> Lines(const std::string& file) {
  std::vector<std::string> lines;
  std::istringstream in(ReadFile(file));
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}
void WriteLines(const std::string& file,
                const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  WriteFile(file, s);
}

TEST_CASE("A bundle of 10^4 events verifies offline", "[ledger][slow]") {
  auto r = VerifyBundle(Exported() / "bundle", std::nullopt);
  INFO(r.message);
  CHECK(r.verdict == BundleVerdict::kVerified);
  CHECK(r.details.events == kEvents);
  CHECK(r.checkpoint_size == kEvents);
  std::string vkey = ReadFile(Exported() / "ledger.pub");
  vkey.pop_back();
  CHECK(VerifyBundle(Exported() / "bundle", vkey).verdict ==
        BundleVerdict::kVerified);
}

TEST_CASE("A bundle with an altered event is tampered, naming the seq",
          "[ledger][slow][fault]") {
  TempDir tmp;
  std::string b = CopyBundle(tmp);
  auto lines = Lines(b + "/events.jsonl");
  std::size_t pos = lines[4999].find("\"phone\"");
  REQUIRE(pos != std::string::npos);
  lines[4999].replace(pos, 7, "\"email\"");
  WriteLines(b + "/events.jsonl", lines);
  auto r = VerifyBundle(b, std::nullopt);
  CHECK(r.verdict == BundleVerdict::kTampered);
  CHECK(r.details.first_bad_seq == 5000);
  CHECK_THAT(r.message, Catch::Contains("seq 5000"));
}

TEST_CASE("A bundle with an event removed in the middle is tampered",
          "[ledger][slow][fault]") {
  TempDir tmp;
  std::string b = CopyBundle(tmp);
  auto lines = Lines(b + "/events.jsonl");
  lines.erase(lines.begin() + 99);
  WriteLines(b + "/events.jsonl", lines);
  auto r = VerifyBundle(b, std::nullopt);
  CHECK(r.verdict == BundleVerdict::kTampered);
  CHECK(r.details.first_bad_seq == 100);
}

TEST_CASE("A bundle missing its tail or cut mid-line is incomplete",
          "[ledger][slow][fault]") {
  TempDir tmp;
  std::string b = CopyBundle(tmp);
  auto lines = Lines(b + "/events.jsonl");
  SECTION("tail removed") {
    lines.resize(kEvents - 10);
    WriteLines(b + "/events.jsonl", lines);
    CHECK(VerifyBundle(b, std::nullopt).verdict == BundleVerdict::kIncomplete);
  }
  SECTION("last line cut") {
    std::string s = ReadFile(b + "/events.jsonl");
    WriteFile(b + "/events.jsonl", s.substr(0, s.size() - 40));
    auto r = VerifyBundle(b, std::nullopt);
    CHECK(r.verdict == BundleVerdict::kIncomplete);
  }
  SECTION("file missing") {
    std::filesystem::remove(b + "/checkpoint.txt");
    CHECK(VerifyBundle(b, std::nullopt).verdict == BundleVerdict::kIncomplete);
  }
}

TEST_CASE(
    "A bundle under another key is unknown-key, a forged checkpoint is "
    "tampered",
    "[ledger][slow][fault]") {
  TempDir tmp;
  std::string b = CopyBundle(tmp);
  auto other = crypto::Ed25519SigningKey::Generate();
  std::string other_vkey =
      crypto::NoteVerifier::For("test.invalid/log", other.public_key())
          .ToString();
  SECTION("trusted key differs") {
    CHECK(VerifyBundle(b, other_vkey).verdict == BundleVerdict::kUnknownKey);
  }
  SECTION("verifier.txt replaced by a key that did not sign the checkpoint") {
    WriteFile(b + "/verifier.txt", other_vkey + "\n");
    CHECK(VerifyBundle(b, std::nullopt).verdict == BundleVerdict::kUnknownKey);
  }
  SECTION("checkpoint root altered") {
    std::string note = ReadFile(b + "/checkpoint.txt");
    std::size_t root_pos = note.find('\n', note.find('\n') + 1) + 1;
    note[root_pos] = note[root_pos] == 'A' ? 'B' : 'A';
    WriteFile(b + "/checkpoint.txt", note);
    CHECK(VerifyBundle(b, std::nullopt).verdict == BundleVerdict::kTampered);
  }
  SECTION("checkpoint re-signed by another key over a wrong root") {
    Checkpoint fake{"test.invalid/log", kEvents, crypto::Digest{}};
    WriteFile(b + "/checkpoint.txt", SignCheckpoint(fake, other).value());
    CHECK(VerifyBundle(b, std::nullopt).verdict == BundleVerdict::kUnknownKey);
  }
}

}  // namespace
}  // namespace caseledger::ledger
