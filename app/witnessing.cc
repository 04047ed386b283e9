#include "app/witnessing.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "ledger/event.h"
#include "ledger/proofs.h"
#include "ledger/time.h"
#include "witness/add_checkpoint.h"

namespace caseledger::app {

Result<WitnessEndpoint> ParseWitnessEndpoint(std::string_view spec) {
  const std::size_t sp = spec.find(' ');
  if (sp == std::string_view::npos)
    return InvalidArgument("witness: expected \"<vkey> <url>\"");
  CL_ASSIGN_OR_RETURN(crypto::CosignerVerifier v,
                      crypto::CosignerVerifier::Parse(spec.substr(0, sp)));
  std::string url(spec.substr(sp + 1));
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    return InvalidArgument("witness " + v.name + ": the URL must be http:// or https://");
  return WitnessEndpoint{std::move(v), std::move(url)};
}

std::vector<crypto::CosignerVerifier> WitnessConfig::Verifiers() const {
  std::vector<crypto::CosignerVerifier> vs;
  for (const WitnessEndpoint& w : witnesses) vs.push_back(w.verifier);
  return vs;
}

Result<WitnessConfig> ParseWitnessConfig(std::string_view text) {
  WitnessConfig c;
  std::size_t line_no = 0;
  bool quorum_set = false;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = "witnesses line " + std::to_string(line_no) + ": ";
    const std::size_t sp = line.find(' ');
    const std::string_view word = line.substr(0, sp);
    const std::string_view rest = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    auto number = [&](std::string_view v) -> Result<std::uint64_t> {
      if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string_view::npos)
        return InvalidArgument(where + "expected a number");
      return std::stoull(std::string(v));
    };
    if (word == "quorum") {
      CL_ASSIGN_OR_RETURN(std::uint64_t k, number(rest));
      c.quorum = static_cast<std::size_t>(k);
      quorum_set = true;
    } else if (word == "alarm") {
      CL_ASSIGN_OR_RETURN(std::uint64_t a, number(rest));
      c.alarm_seconds = static_cast<std::int64_t>(a);
    } else if (word == "witness") {
      Result<WitnessEndpoint> w = ParseWitnessEndpoint(rest);
      if (!w.ok()) return InvalidArgument(where + w.status().message());
      for (const WitnessEndpoint& o : c.witnesses)
        if (o.verifier.name == w->verifier.name)
          return InvalidArgument(where + "witness " + o.verifier.name + " named twice");
      c.witnesses.push_back(std::move(*w));
    } else {
      return InvalidArgument(where + "unknown keyword (quorum, alarm, witness)");
    }
  }
  if (quorum_set && c.quorum == 0) return InvalidArgument("witnesses: quorum 0");
  if (c.quorum > c.witnesses.size())
    return InvalidArgument("witnesses: quorum " + std::to_string(c.quorum) + " of " +
                           std::to_string(c.witnesses.size()) + " witnesses");
  return c;
}

Result<std::optional<WitnessConfig>> ReadWitnessConfig(const std::string& data_dir) {
  const std::string path = data_dir + "/" + std::string(kWitnessConfigFile);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::optional<WitnessConfig>();
    return IoError("cannot read " + path);
  }
  std::string text((std::istreambuf_iterator<char>(in)), {});
  if (text.size() > 1 << 20) return InvalidArgument(path + " is larger than 1 MiB");
  CL_ASSIGN_OR_RETURN(WitnessConfig c, ParseWitnessConfig(text));
  return std::optional<WitnessConfig>(std::move(c));
}

Result<Json> WitnessingReport(ledger::LogStore& log, const ledger::CosignatureStore* cosignatures,
                              const WitnessConfig& config, std::int64_t now_seconds) {
  const std::vector<crypto::CosignerVerifier> vs = config.Verifiers();
  Json names = Json::array();
  for (const auto& v : vs) names.push_back(v.name);
  CL_ASSIGN_OR_RETURN(ledger::Snapshot snap, log.Read());
  CL_ASSIGN_OR_RETURN(std::uint64_t n, ledger::TreeSize(snap, log));
  std::optional<ledger::CosignedCheckpoint> newest;
  if (cosignatures != nullptr) {
    CL_ASSIGN_OR_RETURN(newest, cosignatures->NewestWithQuorum(vs, config.Quorum()));
  }
  Json r = {{"quorum", config.Quorum()},
            {"witnesses", names},
            {"log_size", n},
            {"witnessed_size", newest ? newest->size : 0},
            {"witnessed_by", Json::array()},
            {"quorum_at", nullptr},
            {"unwitnessed_events", n - std::min(n, newest ? newest->size : 0)},
            {"unwitnessed_since", nullptr},
            {"alarm_seconds", config.alarm_seconds},
            {"flag", nullptr}};
  if (newest) {
    CL_ASSIGN_OR_RETURN(crypto::ParsedNote note, crypto::ParseNote(newest->Note()));
    for (const std::string& name : crypto::TallyCosignatures(note, vs).valid)
      r["witnessed_by"].push_back(name);
    if (newest->quorum_at) r["quorum_at"] = ledger::FormatTime(*newest->quorum_at * 1000000);
  }
  const std::uint64_t first = (newest ? newest->size : 0) + 1;
  if (first <= n) {
    CL_ASSIGN_OR_RETURN(std::string line, ledger::ReadEventLine(snap, log, first));
    CL_ASSIGN_OR_RETURN(ledger::Event e, ledger::DecodeEvent(line));
    CL_ASSIGN_OR_RETURN(ledger::Micros since, ledger::ParseTime(e.time));
    r["unwitnessed_since"] = e.time;
    if (now_seconds - since / 1000000 > config.alarm_seconds) r["flag"] = "FLAG-WITNESS";
  }
  return r;
}

Witnessing::Witnessing(ledger::LogStore& log, ledger::CosignatureStore& cosignatures,
                       WitnessingOptions options, WitnessTransport transport)
    : log_(log),
      store_(cosignatures),
      options_(std::move(options)),
      transport_(std::move(transport)) {
  if (!options_.now) options_.now = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
  quorum_ = options_.quorum == 0 ? options_.witnesses.size() : options_.quorum;
  std::vector<crypto::CosignerVerifier> vs;
  for (const WitnessEndpoint& w : options_.witnesses) {
    WitnessState s;
    s.name = w.verifier.name;
    state_.push_back(std::move(s));
    vs.push_back(w.verifier);
  }
  // Resume from what was collected before a restart: the newest entry with
  // each witness's line is the size it last cosigned for us.
  for (std::size_t i = 0; i < vs.size(); ++i) {
    auto e = store_.NewestWithQuorum(std::span(&vs[i], 1), 1);
    if (e.ok() && *e) {
      state_[i].cosigned_size = (*e)->size;
      state_[i].size_known = true;
      state_[i].confirmed = true;
    }
  }
  if (auto e = store_.NewestWithQuorum(vs, quorum_); e.ok() && *e) witnessed_size_ = (*e)->size;
}

Witnessing::~Witnessing() { Stop(); }

void Witnessing::Start() {
  for (std::size_t i = 0; i < options_.witnesses.size(); ++i)
    threads_.emplace_back([this, i] { Loop(i); });
}

void Witnessing::Stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

bool Witnessing::RoundForTest(std::size_t i) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    const Outcome o = Round(i);
    if (o != Outcome::kRetryNow) return o == Outcome::kCosigned;
  }
  return false;
}

void Witnessing::Fail(std::size_t i, std::string why, bool conflict) {
  std::lock_guard<std::mutex> lk(mu_);
  state_[i].failures++;
  state_[i].last_failure = std::move(why);
  state_[i].conflict = state_[i].conflict || conflict;
}

namespace {

// The checkpoint a round of witness `i` should ask for instead of the newest
// one: the newest checkpoint that another witness already cosigned, if it has
// no quorum yet, this witness has not cosigned it and can (its size is at
// least the one the witness holds, at most the log's). Under a steady write
// load the writer signs a checkpoint per commit, so witnesses whose rounds
// each took the newest checkpoint would cosign different ones and the quorum
// could stall for as long as the load lasts; joining the newest open
// checkpoint closes a quorum every `quorum` rounds (docs/witnessing.md).
// Only a note the log itself still holds at that size is offered (after a
// rollback the stored one would belong to another history).
std::optional<ledger::CosignedCheckpoint> JoinableCheckpoint(
    const ledger::Snapshot& snap, const ledger::LogStore& log,
    const ledger::CosignatureStore& store, std::span<const crypto::CosignerVerifier> vs,
    std::size_t i, std::size_t quorum, std::uint64_t n, std::uint64_t old, bool known,
    bool confirmed) {
  if (quorum < 2) return std::nullopt;  // every cosignature is a quorum
  auto newest = store.NewestWithQuorum(vs, 0, 1);
  if (!newest.ok() || !*newest) return std::nullopt;
  ledger::CosignedCheckpoint& c = **newest;
  if (c.size == 0 || c.size > n || (known && c.size < old) || (confirmed && c.size == old))
    return std::nullopt;
  Result<crypto::ParsedNote> parsed = crypto::ParseNote(c.Note());
  if (!parsed.ok()) return std::nullopt;
  const std::vector<std::string> valid = crypto::TallyCosignatures(*parsed, vs).valid;
  if (valid.empty() || valid.size() >= quorum) return std::nullopt;
  if (std::find(valid.begin(), valid.end(), vs[i].name) != valid.end()) return std::nullopt;
  auto held = ledger::CheckpointInRange(snap, log, c.size - 1, c.size);
  if (!held.ok() || held->first != c.size || held->second != c.log_note) return std::nullopt;
  return std::move(c);
}

}  // namespace

Witnessing::Outcome Witnessing::Round(std::size_t i) {
  const WitnessEndpoint& w = options_.witnesses[i];
  Result<ledger::Snapshot> snap = log_.Read();
  if (!snap.ok()) {
    Fail(i, "log_unreadable");
    return Outcome::kFailed;
  }
  auto cp = ledger::LatestCheckpoint(*snap, log_);
  if (!cp.ok()) return Outcome::kIdle;  // the empty log has no checkpoint
  std::uint64_t n = cp->first;
  std::string note = std::move(cp->second);
  std::uint64_t old = 0;
  bool known = false;
  bool confirmed = false;
  {
    std::lock_guard<std::mutex> lk(mu_);
    log_size_ = std::max(log_size_, n);
    if (log_size_ > witnessed_size_ && !ahead_since_) ahead_since_ = options_.now();
    old = state_[i].cosigned_size;
    known = state_[i].size_known;
    confirmed = state_[i].confirmed;
  }
  // The witness holds the newest checkpoint: nothing to ask, and no open
  // checkpoint can lie above it (checked before the store is read, since an
  // idle log makes every poll end here).
  if (confirmed && old == n) return Outcome::kIdle;
  std::vector<crypto::CosignerVerifier> vs;
  for (const WitnessEndpoint& e : options_.witnesses) vs.push_back(e.verifier);
  if (std::optional<ledger::CosignedCheckpoint> offer =
          JoinableCheckpoint(*snap, log_, store_, vs, i, quorum_, n, old, known, confirmed)) {
    n = offer->size;
    note = std::move(offer->log_note);
  }
  if (known && old > n) {
    Fail(i, "witness_ahead", true);
    return Outcome::kFailed;
  }
  std::vector<crypto::Digest> proof;
  if (old > 0) {
    auto p = ledger::ConsistencyProofHashes(log_, old, n);
    if (!p.ok()) {
      Fail(i, "proof");
      return Outcome::kFailed;
    }
    proof = std::move(*p);
  }
  const std::string body = witness::FormatAddCheckpointRequest(old, proof, note);
  Result<WitnessReply> reply = transport_(w.url + "/add-checkpoint", body, options_.timeout);
  if (!reply.ok()) {
    Fail(i, "unreachable");
    return Outcome::kFailed;
  }
  if (reply->status == 200) {
    Result<crypto::ParsedNote> parsed = crypto::ParseNote(note + reply->body);
    if (!parsed.ok()) {
      Fail(i, "bad_response");
      return Outcome::kFailed;
    }
    std::optional<std::string> line;
    for (const crypto::NoteSignature& sig : parsed->signatures) {
      if (crypto::VerifyCosignature(sig, parsed->text, w.verifier, options_.now() + 600).ok())
        line = "\xE2\x80\x94 " + sig.name + " " + sig.base64 + "\n";
    }
    if (!line) {
      Fail(i, "bad_cosignature");
      return Outcome::kFailed;
    }
    const std::int64_t now = options_.now();
    if (!store_.Add(n, note, {{w.verifier.name, *line}}, quorum_, now).ok()) {
      Fail(i, "store");
      return Outcome::kFailed;
    }
    auto witnessed = store_.NewestWithQuorum(vs, quorum_);
    std::lock_guard<std::mutex> lk(mu_);
    WitnessState& s = state_[i];
    s.cosigned_size = n;
    s.size_known = true;
    s.confirmed = true;
    s.successes++;
    s.last_success_at = now;
    s.conflict = false;
    if (witnessed.ok() && *witnessed) witnessed_size_ = std::max(witnessed_size_, (*witnessed)->size);
    if (witnessed_size_ >= log_size_) ahead_since_.reset();
    return Outcome::kCosigned;
  }
  if (reply->status == 409) {
    Result<std::uint64_t> theirs = witness::ParseTlogSize(reply->body);
    if (!theirs.ok() || !reply->content_type.starts_with("text/x.tlog.size")) {
      Fail(i, "status_409");
      return Outcome::kFailed;
    }
    if (*theirs > n || (*theirs == old && known)) {
      // Larger than our log, or a conflict at the size it already holds:
      // it has seen another history of this log.
      std::lock_guard<std::mutex> lk(mu_);
      state_[i].cosigned_size = *theirs;
      state_[i].size_known = true;
      state_[i].confirmed = false;
      state_[i].failures++;
      state_[i].last_failure = "conflict";
      state_[i].conflict = true;
      return Outcome::kFailed;
    }
    std::lock_guard<std::mutex> lk(mu_);
    state_[i].cosigned_size = *theirs;
    state_[i].size_known = true;
    state_[i].confirmed = false;
    return Outcome::kRetryNow;
  }
  // 422 after the witness told us its size: its tree at that size is not a
  // prefix of ours — another history.
  Fail(i, "status_" + std::to_string(reply->status), reply->status == 422 && known);
  return Outcome::kFailed;
}

void Witnessing::Loop(std::size_t i) {
  std::chrono::milliseconds backoff{0};
  int retries = 0;
  for (;;) {
    const Outcome o = Round(i);
    std::chrono::milliseconds wait = options_.poll;
    switch (o) {
      case Outcome::kCosigned:
        backoff = std::chrono::milliseconds{0};
        retries = 0;
        wait = std::max(options_.poll, options_.min_interval);
        break;
      case Outcome::kIdle:
        retries = 0;
        break;
      case Outcome::kRetryNow:
        if (++retries <= 2) {
          wait = std::chrono::milliseconds{0};
          break;
        }
        [[fallthrough]];
      case Outcome::kFailed:
        retries = 0;
        backoff = backoff.count() == 0 ? options_.backoff_min
                                       : std::min(backoff * 2, options_.backoff_max);
        wait = backoff;
        break;
    }
    std::unique_lock<std::mutex> lk(mu_);
    if (cv_.wait_for(lk, wait, [this] { return stopping_; })) return;
  }
}

WitnessingSnapshot Witnessing::Snapshot() const {
  std::lock_guard<std::mutex> lk(mu_);
  WitnessingSnapshot s;
  s.witnesses = state_;
  s.log_size = log_size_;
  s.witnessed_size = witnessed_size_;
  s.quorum = quorum_;
  if (ahead_since_ && log_size_ > witnessed_size_)
    s.lag_seconds = std::max<std::int64_t>(0, options_.now() - *ahead_since_);
  return s;
}

}  // namespace caseledger::app
