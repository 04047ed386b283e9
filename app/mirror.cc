#include "app/mirror.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "crypto/cosignature.h"
#include "ledger/checkpoint.h"
#include "ledger/verify.h"

namespace caseledger::app {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Writes `text` to a new file `path` (O_EXCL: never replaces one) and
// fsyncs it. AlreadyExists if it exists.
Status WriteNewFile(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return AlreadyExists(path + " exists");
    return IoError("cannot create " + path + ": " + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = std::strerror(errno);
      ::close(fd);
      return IoError("cannot write " + path + ": " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return IoError("cannot fsync " + path);
  return Status::Ok();
}

Status ForkStatus(const std::string& message) {
  return Status(StatusCode::kCorruption, message).WithReason(std::string(ledger::kForkReason));
}

}  // namespace

Mirror::Mirror(std::string dir, ledger::LogStore& log, crypto::NoteVerifier verifier,
               MirrorOptions options, MirrorTransport transport)
    : dir_(std::move(dir)),
      log_(log),
      verifier_(std::move(verifier)),
      options_(std::move(options)),
      transport_(std::move(transport)),
      pool_(std::make_unique<WorkerPool>(options_.threads)) {
  if (!options_.now) options_.now = SystemNow;
  if (options_.page == 0) options_.page = 1;
}

Mirror::~Mirror() = default;

Result<MirrorReply> Mirror::Get(const std::string& target) {
  std::map<std::string, std::string> headers;
  headers["authorization"] = "Bearer " + options_.token;
  CL_ASSIGN_OR_RETURN(MirrorReply r, transport_(target, headers, options_.timeout));
  if (r.status != 200) {
    // The body is the node's problem+json: its words, never our token.
    std::string detail = r.body.substr(0, 300);
    std::replace(detail.begin(), detail.end(), '\n', ' ');
    const std::string path = target.substr(0, target.find('?'));
    if (r.status == 401 || r.status == 403)
      return PermissionDenied("GET " + path + " answered " + std::to_string(r.status) +
                              " (the token must be an auditor's or the DPO's): " + detail);
    return Unavailable("GET " + path + " answered " + std::to_string(r.status) + ": " + detail);
  }
  return r;
}

Result<std::vector<std::string>> Mirror::FetchLines(std::uint64_t from, std::uint64_t to) {
  std::vector<std::string> lines;
  // Bounded: the size comes from the node (signed, but not yet checked
  // against any line).
  lines.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(to - from + 1, 1 << 20)));
  std::uint64_t next = from;
  while (next <= to) {
    const std::uint64_t count = std::min<std::uint64_t>(options_.page, to - next + 1);
    CL_ASSIGN_OR_RETURN(MirrorReply r, Get("/v1/log/entries?from=" + std::to_string(next) +
                                           "&count=" + std::to_string(count)));
    std::size_t pos = 0, got = 0;
    while (pos < r.body.size() && got < count) {
      const std::size_t nl = r.body.find('\n', pos);
      if (nl == std::string::npos)
        return Corruption("seq " + std::to_string(next + got) +
                          " refused: the entries page ends in a cut-off line");
      lines.emplace_back(r.body, pos, nl - pos);
      pos = nl + 1;
      ++got;
    }
    if (got == 0) {
      return FailedPrecondition("the node served no entries from seq " + std::to_string(next) +
                                " though its checkpoint is of size " + std::to_string(to));
    }
    next += got;
  }
  return lines;
}

Status Mirror::RecordFork(const std::string& held_note, std::uint64_t held_size,
                          const std::string& log_note, std::uint64_t log_size,
                          const std::string& problem, const std::string& extra) {
  const std::string forks = dir_ + "/" + std::string(kForksDir);
  std::error_code ec;
  std::filesystem::create_directories(forks, ec);
  if (ec) return IoError("cannot create " + forks + ": " + ec.message());
  std::string text = "# caseledger mirror: fork of log " + verifier_.name + " (docs/mirror.md)\n";
  text += "# " + problem + "\n";
  text += "# held checkpoint, size " + std::to_string(held_size) + ":\n" + held_note;
  text += "# the log's checkpoint, size " + std::to_string(log_size) + ":\n" + log_note;
  if (!extra.empty()) text += extra;
  const std::string base =
      forks + "/" + std::to_string(options_.now()) + "-" + std::to_string(log_size);
  std::string path = base + ".txt";
  for (int i = 2;; ++i) {
    Status s = WriteNewFile(path, text);
    if (s.ok()) break;
    if (s.code() != StatusCode::kAlreadyExists || i > 100) return s;
    path = base + "-" + std::to_string(i) + ".txt";
  }
  fork_ = ForkRecord{path, held_size, log_size};
  return ForkStatus("FORK: the log " + verifier_.name + " showed this mirror another history (" +
                    problem + "); held size " + std::to_string(held_size) + ", log size " +
                    std::to_string(log_size) + "; both signed notes kept in " + path);
}

Status Mirror::ForkRecordedEarlier() {
  const std::string forks = dir_ + "/" + std::string(kForksDir);
  std::error_code ec;
  if (!std::filesystem::is_directory(forks, ec)) return Status::Ok();
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(forks, ec))
    if (e.path().extension() == ".txt") files.push_back(e.path().string());
  if (files.empty()) return Status::Ok();
  std::sort(files.begin(), files.end());
  if (!fork_) fork_ = ForkRecord{files.front(), 0, 0};
  return ForkStatus("FORK recorded earlier in " + files.front() +
                    ": the mirror stays stopped until it is investigated (docs/mirror.md)");
}

Result<bool> Mirror::Cosign() {
  if (options_.cosigner_key == nullptr || options_.cosignatures == nullptr) return false;
  CL_ASSIGN_OR_RETURN(const ledger::Held held, ledger::ReadHeld(log_));
  if (held.size == 0) return false;
  CL_ASSIGN_OR_RETURN(auto have, options_.cosignatures->At(held.size));
  if (have && have->log_note == held.note && have->cosignatures.contains(options_.cosigner_name))
    return false;
  CL_ASSIGN_OR_RETURN(const crypto::ParsedNote parsed, crypto::ParseNote(held.note));
  const std::int64_t now = options_.now();
  CL_ASSIGN_OR_RETURN(std::string line,
                      crypto::Cosign(parsed.text, options_.cosigner_name, *options_.cosigner_key,
                                     static_cast<std::uint64_t>(std::max<std::int64_t>(now, 0))));
  CL_RETURN_IF_ERROR(options_.cosignatures->Add(
      held.size, held.note, {{options_.cosigner_name, std::move(line)}}, 1, now));
  return true;
}

Result<CatchUpReport> Mirror::CatchUp() {
  const auto start = Clock::now();
  CL_RETURN_IF_ERROR(ForkRecordedEarlier());
  CatchUpReport report;
  CL_ASSIGN_OR_RETURN(MirrorReply cp, Get("/v1/log/checkpoint/latest"));
  const std::string& note = cp.body;
  CL_ASSIGN_OR_RETURN(const ledger::Comparison c, ledger::CompareWithHeld(log_, verifier_, note));
  report.held_before = c.held_size;
  report.size = c.held_size;
  report.log_size = c.checkpoint.size;
  switch (c.relation) {
    case ledger::Relation::kFork:
      return RecordFork(c.held_note, c.held_note_size, note, c.checkpoint.size, c.problem, "");
    case ledger::Relation::kBehind:
      report.behind = true;
      break;
    case ledger::Relation::kSame:
      break;
    case ledger::Relation::kAhead: {
      CL_ASSIGN_OR_RETURN(std::vector<std::string> lines,
                          FetchLines(c.held_size + 1, c.checkpoint.size));
      auto appended = ledger::AppendVerified(log_, verifier_, lines, note, pool_.get());
      if (!appended.ok()) {
        if (!ledger::IsFork(appended.status())) return appended.status();
        CL_ASSIGN_OR_RETURN(const ledger::Held held, ledger::ReadHeld(log_));
        return RecordFork(held.note, held.size, note, c.checkpoint.size,
                          appended.status().message(),
                          "# the log's event " + std::to_string(held.size + 1) +
                              " (its prev is the other root of the held size):\n" +
                              lines.front() + "\n");
      }
      report.size = appended->size;
      report.added = appended->size - c.held_size;
      break;
    }
  }
  CL_ASSIGN_OR_RETURN(report.cosigned, Cosign());
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

Status Mirror::Follow(std::chrono::milliseconds interval,
                      const std::function<void(const Result<CatchUpReport>&)>& on_round) {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return Status::Ok();
    }
    Result<CatchUpReport> r = CatchUp();
    if (on_round) on_round(r);
    if (!r.ok() && ledger::IsFork(r.status())) return r.status();
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, interval, [this] { return stopping_; })) return Status::Ok();
  }
}

void Mirror::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

Result<std::string> InitMirrorDir(const std::string& dir, const std::string& log_vkey,
                                  const std::string& cosigner_name) {
  auto v = crypto::NoteVerifier::Parse(log_vkey);
  if (!v.ok()) return v.status().WithContext("--key");
  CL_RETURN_IF_ERROR(ledger::ValidateOrigin(v->name).WithContext("--key"));
  CL_RETURN_IF_ERROR(crypto::ValidateNoteKeyName(cosigner_name).WithContext("--name"));
  if (cosigner_name == v->name)
    return InvalidArgument("--name: the mirror's cosigner name must differ from the log's name");
  if (std::filesystem::exists(dir + "/ledger") || std::filesystem::exists(dir + "/node.key"))
    return AlreadyExists("a ledger already exists in " + dir);
  if (std::filesystem::exists(dir + "/" + std::string(ledger::kMirrorKeyFile)))
    return AlreadyExists("a mirror already exists in " + dir);
  CL_ASSIGN_OR_RETURN(std::string vkey, ledger::CreateMirrorCosigner(dir, cosigner_name));
  CL_RETURN_IF_ERROR(ledger::InitMirror(dir, log_vkey).status());
  return vkey;
}

Result<OpenedMirror> OpenMirrorDir(const std::string& dir) {
  OpenedMirror m;
  if (!std::filesystem::is_directory(dir + "/ledger"))
    return NotFound("no mirror in " + dir + " (run `caseledger mirror init` first)");
  CL_ASSIGN_OR_RETURN(ledger::DirLock lock, ledger::DirLock::Acquire(dir));
  m.lock.emplace(std::move(lock));
  CL_ASSIGN_OR_RETURN(m.verifier, ledger::ReadVerifierFile(dir + "/ledger.pub"));
  CL_ASSIGN_OR_RETURN(auto cosigner, ledger::LoadMirrorCosigner(dir));
  m.cosigner.emplace(std::move(cosigner));
  CL_ASSIGN_OR_RETURN(m.log, ledger::LogStore::Open(dir, /*read_only=*/false));
  if (m.log->origin() != m.verifier.name)
    return Corruption("the mirror's origin " + m.log->origin() +
                      " differs from the name of ledger.pub's key " + m.verifier.name);
  CL_ASSIGN_OR_RETURN(m.cosignatures, ledger::CosignatureStore::Open(dir, /*read_only=*/false));
  return m;
}

}  // namespace caseledger::app
