#include "ledger/ledger.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>


#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "crypto/argon2.h"
#include "crypto/key_file.h"
#include "crypto/note.h"
#include "crypto/random.h"
#include "ledger/checkpoint.h"

namespace caseledger::ledger {

namespace {

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::string DemoKeyPath(const std::string& dir) { return dir + "/master.key"; }
std::string SaltPath(const std::string& dir) { return dir + "/master.salt"; }

// Whether `path` lies inside the directory `dir` (both made absolute; the
// file need not exist yet).
bool Inside(const std::string& path, const std::string& dir) {
  std::error_code ec;
  const auto d = std::filesystem::weakly_canonical(dir, ec);
  const auto p = std::filesystem::weakly_canonical(path, ec);
  if (ec) return false;
  const auto rel = p.lexically_relative(d);
  return !rel.empty() && *rel.begin() != "..";
}

constexpr std::string_view kSaltMagic = "caseledger-argon2id-v1";

struct Salt {
  std::array<std::uint8_t, crypto::kArgon2SaltBytes> salt{};
  crypto::Argon2Params params;
};

Status WriteSalt(const std::string& dir) {
  Salt s;
  crypto::RandomFill(s.salt);
  const auto level = Env(kArgon2Env).value_or("moderate");
  if (level == "interactive") {
    s.params = crypto::Argon2Interactive();
  } else if (level == "sensitive") {
    s.params = crypto::Argon2Sensitive();
  } else if (level != "moderate") {
    return InvalidArgument(std::string("$") + kArgon2Env + ": interactive, moderate or sensitive");
  }
  const std::string hex = ToHex(ByteView(s.salt.data(), s.salt.size()));
  return WritePublicFile(SaltPath(dir), std::string(kSaltMagic) + " ops=" +
                                            std::to_string(s.params.ops_limit) + " mem=" +
                                            std::to_string(s.params.mem_limit) + " salt=" + hex);
}

Result<Salt> ReadSalt(const std::string& dir) {
  std::ifstream in(SaltPath(dir));
  if (!in) return NotFound("the data dir has no master.salt (it was not initialised with a passphrase)");
  std::string magic, ops, mem, salt;
  in >> magic >> ops >> mem >> salt;
  Salt s;
  auto number = [](const std::string& field, std::string_view name) -> std::optional<std::uint64_t> {
    if (!field.starts_with(name)) return std::nullopt;
    const std::string digits = field.substr(name.size());
    if (digits.empty() || digits.size() > 19 || digits.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    return std::stoull(digits);
  };
  const auto o = number(ops, "ops="), m = number(mem, "mem=");
  // Bounded, so that an altered file cannot make the process allocate or
  // spin without end.
  if (magic != kSaltMagic || !o || !m || !crypto::Argon2ParamsAcceptable(*o, *m) ||
      !salt.starts_with("salt=") || salt.size() != 5 + 2 * s.salt.size())
    return Corruption("master.salt is malformed");
  auto bytes = FromHex(std::string_view(salt).substr(5));
  if (!bytes.ok() || bytes->size() != s.salt.size()) return Corruption("master.salt is malformed");
  std::copy(bytes->begin(), bytes->end(), s.salt.begin());
  s.params = {*o, static_cast<std::size_t>(*m)};
  return s;
}

Result<crypto::SecretBytes> FromPassphrase(const std::string& dir, const std::string& file) {
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes pass, crypto::ReadPassphraseFile(file));
  CL_ASSIGN_OR_RETURN(Salt s, ReadSalt(dir));
  return crypto::Argon2idDerive(
      std::string_view(reinterpret_cast<const char*>(pass.data()), pass.size()), s.salt,
      crypto::kMasterKeyBytes, s.params);
}

Status DemoOnly(const std::string& what) {
  return FailedPrecondition(
      what + " is refused outside demo mode: production reads the master key from $" +
      kMasterKeyEnv + " (a key file outside the data dir) or $" + kPassphraseEnv +
      " (docs/formats/keyfile.md); pass --demo for a demo data dir");
}

}  // namespace

bool DemoMode() { return Env(kDemoEnv) == std::optional<std::string>("1"); }

Result<crypto::SecretBytes> LoadMasterKey(const std::string& dir) {
  if (auto file = Env(kMasterKeyEnv)) {
    if (Inside(*file, dir) && !DemoMode())
      return DemoOnly(std::string("$") + kMasterKeyEnv + " inside the data directory");
    return crypto::ReadMasterKeyFile(*file);
  }
  if (auto pass = Env(kPassphraseEnv)) return FromPassphrase(dir, *pass);
  if (std::filesystem::exists(DemoKeyPath(dir))) {
    if (!DemoMode()) return DemoOnly("the demo master key in the data directory (master.key)");
    return crypto::ReadMasterKeyFile(DemoKeyPath(dir));
  }
  return NotFound(std::string("no master key: set $") + kMasterKeyEnv + " or $" + kPassphraseEnv +
                  ", or pass --demo for a demo data dir");
}

Status WritePublicFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text << "\n";
  out.close();
  if (!out) return IoError("cannot write " + path);
  return Status::Ok();
}

Result<std::string> ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read " + path);
  std::string line;
  std::getline(in, line);
  return line;
}

Status PrepareMasterKey(const std::string& dir) {
  if (auto file = Env(kMasterKeyEnv)) {
    if (Inside(*file, dir) && !DemoMode())
      return DemoOnly(std::string("$") + kMasterKeyEnv + " inside the data directory");
    if (!std::filesystem::exists(*file)) return crypto::WriteNewMasterKeyFile(*file);
    return Status::Ok();
  }
  if (Env(kPassphraseEnv)) {
    if (!std::filesystem::exists(SaltPath(dir))) return WriteSalt(dir);
    return Status::Ok();
  }
  if (DemoMode()) {
    if (!std::filesystem::exists(DemoKeyPath(dir)))
      return crypto::WriteNewMasterKeyFile(DemoKeyPath(dir));
    return Status::Ok();
  }
  return FailedPrecondition(std::string("no master key configured: set $") + kMasterKeyEnv +
                            " (created if missing) or $" + kPassphraseEnv +
                            ", or pass --demo for a demo data dir (docs/formats/keyfile.md)");
}

Result<InitResult> InitDataDir(const std::string& dir,
                               const std::string& origin) {
  CL_RETURN_IF_ERROR(ValidateOrigin(origin));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create " + dir + ": " + ec.message());
  if (std::filesystem::exists(dir + "/ledger") ||
      std::filesystem::exists(dir + "/node.key")) {
    return AlreadyExists("a ledger already exists in " + dir);
  }
  CL_RETURN_IF_ERROR(PrepareMasterKey(dir));
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, LoadMasterKey(dir));
  auto node_key = crypto::Ed25519SigningKey::Generate();
  CL_RETURN_IF_ERROR(crypto::WriteSealedKeyFile(
      dir + "/node.key", kNodeKeyPurpose, master, node_key.Seed()));
  std::filesystem::create_directories(dir + "/keystore", ec);
  if (ec) return IoError("cannot create keystore directory: " + ec.message());
  CL_RETURN_IF_ERROR(
      Keystore::Open(dir + "/keystore", master, /*create=*/true).status());
  CL_RETURN_IF_ERROR(
      LogStore::Open(dir, /*read_only=*/false, /*create=*/true, origin)
          .status());
  InitResult r{
      origin,
      crypto::NoteVerifier::For(origin, node_key.public_key()).ToString()};
  CL_RETURN_IF_ERROR(WritePublicFile(dir + "/ledger.pub", r.verifier));
  return r;
}

Result<crypto::Ed25519SigningKey> LoadNodeKey(const std::string& dir,
                                              const crypto::SecretBytes& master) {
  CL_ASSIGN_OR_RETURN(
      crypto::SecretBytes seed,
      crypto::ReadSealedKeyFile(dir + "/node.key", kNodeKeyPurpose, master));
  return crypto::Ed25519SigningKey::FromSeed(seed.view());
}

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& dir,
                                             LedgerOptions options) {
  std::unique_ptr<Ledger> l(new Ledger());
  l->dir_ = dir;
  if (!std::filesystem::is_directory(dir + "/ledger")) {
    return NotFound("no ledger in " + dir + " (run `caseledger init` first)");
  }
  CL_ASSIGN_OR_RETURN(DirLock lock, DirLock::Acquire(dir));
  l->lock_.emplace(std::move(lock));
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, LoadMasterKey(dir));
  CL_ASSIGN_OR_RETURN(auto key, LoadNodeKey(dir, master));
  l->node_key_ = std::make_unique<crypto::Ed25519SigningKey>(std::move(key));
  CL_ASSIGN_OR_RETURN(l->store_,
                      LogStore::Open(dir, false, false, "", options.no_sync));
  CL_ASSIGN_OR_RETURN(
      l->keys_, Keystore::Open(dir + "/keystore", master, /*create=*/false));
  // Before the hook: opening it may finish an erasure a crash interrupted
  // (Keystore::Destroy), which must find a pool key whose binding the crash
  // lost (docs/formats/storage.md, "Key pool").
  CL_RETURN_IF_ERROR(RecoverKeyPool(*l->store_, *l->keys_, options.writer.key_pool)
                         .WithContext("data key pool"));
  if (options.make_hook) {
    CL_ASSIGN_OR_RETURN(l->hook_, options.make_hook(*l->store_, *l->keys_));
  }
  CL_ASSIGN_OR_RETURN(
      l->writer_, Writer::Start(*l->store_, *l->keys_, *l->node_key_,
                                options.writer, l->hook_.get()));
  return l;
}

Ledger::~Ledger() {
  writer_.reset();  // drains and stops before the stores close
  hook_.reset();
  keys_.reset();
  store_.reset();
  lock_.reset();
}

Result<DirLock> DirLock::Acquire(const std::string& dir) {
  const std::string lock_path = dir + "/LOCK";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot open " + lock_path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Unavailable("another process owns the data directory " + dir);
  }
  return DirLock(fd);
}

DirLock& DirLock::operator=(DirLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Keystore::RotateReport> RotateKeys(const std::string& dir, const ProgressFn& progress) {
  if (!std::filesystem::is_directory(dir + "/keystore")) {
    return NotFound("no keystore in " + dir + " (run `caseledger init` first)");
  }
  CL_ASSIGN_OR_RETURN(DirLock lock, DirLock::Acquire(dir));
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, LoadMasterKey(dir));
  return Keystore::Rotate(dir + "/keystore", master, progress);
}

}  // namespace caseledger::ledger
