#include "bench/privacy_figures.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "app/domain_ledger.h"
#include "app/erasure.h"
#include "bench/measure.h"
#include "bench/raw_baselines.h"
#include "ledger/ledger.h"
#include "ledger/keystore.h"

namespace caseledger::bench {

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string Owner(std::uint64_t i) {
  // A syntactically valid subject id per index (ids are 26 base32 chars).
  std::string s = "s-";
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  for (int k = 0; k < 25; ++k) s += kAlphabet[(i >> (k % 13 * 5)) % 32 ^ static_cast<unsigned>(k % 7)];
  s += 'a';
  return s;
}

// Creates `n` keys in chunks (one durable commit each).
Status FillKeys(ledger::Keystore& ks, std::uint64_t first, std::uint64_t n) {
  constexpr std::uint64_t kChunk = 10000;
  for (std::uint64_t i = 0; i < n; i += kChunk) {
    std::vector<std::string> owners;
    for (std::uint64_t j = i; j < std::min(n, i + kChunk); ++j) owners.push_back(Owner(first + j));
    CL_RETURN_IF_ERROR(ks.EnsureKeys(owners).status());
  }
  return Status::Ok();
}

}  // namespace

Result<PrivacyFigures> MeasurePrivacy(const std::string& dir, std::uint64_t subjects, int samples) {
  namespace fs = std::filesystem;
  PrivacyFigures f;
  f.subjects = subjects;
  f.samples = samples;
  fs::create_directories(dir);
  const std::string data = dir + "/keys";
  CL_RETURN_IF_ERROR(ledger::InitDataDir(data, "bench.caseledger.invalid/privacy").status());
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, ledger::LoadMasterKey(data));
  const std::string ks_dir = data + "/keystore";

  // 1. N keys; one erasure's key destruction, timed `samples` times.
  {
    const auto t0 = Clock::now();
    CL_ASSIGN_OR_RETURN(auto ks, ledger::Keystore::Open(ks_dir, master, false));
    CL_RETURN_IF_ERROR(FillKeys(*ks, 0, subjects));
    f.setup_seconds = SecondsSince(t0);
    std::vector<double> us;
    for (int i = 0; i < samples; ++i) {
      const auto t = Clock::now();
      CL_RETURN_IF_ERROR(ks->Destroy(Owner(static_cast<std::uint64_t>(i) * 997 % subjects)).status());
      us.push_back(SecondsSince(t) * 1e6);
    }
    f.destroy_p50_micros = Median(us);
    f.destroy_max_micros = *std::max_element(us.begin(), us.end());
  }
  {
    CL_ASSIGN_OR_RETURN(auto raw, RawLmdbLog::Create(dir + "/raw", 48, 4096));
    std::vector<double> us;
    for (int i = 0; i < samples; ++i) {
      const auto t = Clock::now();
      CL_RETURN_IF_ERROR(raw->AppendBatch(1));
      us.push_back(SecondsSince(t) * 1e6);
    }
    f.raw_commit_p50_micros = Median(us);
  }

  // 2. Rotation over the N subjects (minus the destroyed ones).
  f.file_before = fs::file_size(ks_dir + "/data.mdb");
  {
    const auto t = Clock::now();
    CL_ASSIGN_OR_RETURN(auto r, ledger::Keystore::Rotate(ks_dir, master));
    f.rotate_seconds = SecondsSince(t);
    f.rewrapped = r.rewrapped;
    f.file_after = r.file_bytes_after;
  }

  // 3. The whole erasure path: `samples` subjects with a concern each, then
  //    their subject.erased through the writer and the policy engine, durable.
  {
    const std::string domain = dir + "/domain";
    CL_RETURN_IF_ERROR(ledger::InitDataDir(domain, "bench.caseledger.invalid/erase").status());
    CL_ASSIGN_OR_RETURN(auto l, app::OpenDomainLedger(domain));
    const std::string actor = "u-" + std::string(25, 'b') + "a", dpo = "u-" + std::string(25, 'c') + "a";
    std::vector<std::string> subjects_made;
    for (int i = 0; i < samples; ++i) {
      ledger::Command c;
      c.type = "concern.reported";
      c.actor = actor;
      c.role = "caseworker";
      c.case_id = "c-" + Owner(static_cast<std::uint64_t>(i)).substr(2);
      c.subject = Owner(static_cast<std::uint64_t>(i));
      c.h = Json{{"source", "school"}, {"subject_kind", "person"},
                         {"grounds", {{{"code", "b.threat"}, {"observed_on", "2020-01-15"}}}},
                         {"context", Json::array()}, {"minor", false}, {"new_subject", true}};
      c.body = Json{{"narrative", "synthetic narrative (benchmark)"}};
      CL_RETURN_IF_ERROR(l->writer().Submit(std::move(c)).get().status());
      subjects_made.push_back(Owner(static_cast<std::uint64_t>(i)));
    }
    std::vector<double> us;
    for (const std::string& s : subjects_made) {
      const auto t = Clock::now();
      CL_ASSIGN_OR_RETURN(ledger::Command c,
                          app::ErasureCommand(l->keys(), dpo, "dpo", s, "gdpr_art17"));
      CL_RETURN_IF_ERROR(l->writer().Submit(std::move(c)).get().status());
      us.push_back(SecondsSince(t) * 1e6);
      if (!l->keys().IsDestroyed(s)) return Internal("the erased subject's key is still live");
    }
    f.erase_p50_micros = Median(us);
    f.erase_max_micros = *std::max_element(us.begin(), us.end());
  }
  return f;
}

}  // namespace caseledger::bench
