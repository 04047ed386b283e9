#include "ledger/ledger.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "crypto/key_file.h"
#include "crypto/note.h"
#include "ledger/checkpoint.h"

namespace caseledger::ledger {

namespace {
constexpr std::string_view kNodeKeyPurpose = "node-signing-key";

std::string MasterKeyPath(const std::string& dir) {
  const char* env = std::getenv(kMasterKeyEnv);
  if (env != nullptr && *env != '\0') return env;
  return dir + "/master.key";
}

Status WritePublicFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text << "\n";
  out.close();
  if (!out) return IoError("cannot write " + path);
  return Status::Ok();
}
}  // namespace

Result<crypto::SecretBytes> LoadMasterKey(const std::string& dir) {
  return crypto::ReadMasterKeyFile(MasterKeyPath(dir));
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
  std::string master_path = MasterKeyPath(dir);
  if (!std::filesystem::exists(master_path))
    CL_RETURN_IF_ERROR(crypto::WriteNewMasterKeyFile(master_path));
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master,
                      crypto::ReadMasterKeyFile(master_path));
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
  CL_ASSIGN_OR_RETURN(
      crypto::SecretBytes seed,
      crypto::ReadSealedKeyFile(dir + "/node.key", kNodeKeyPurpose, master));
  CL_ASSIGN_OR_RETURN(auto key,
                      crypto::Ed25519SigningKey::FromSeed(seed.view()));
  l->node_key_ = std::make_unique<crypto::Ed25519SigningKey>(std::move(key));
  CL_ASSIGN_OR_RETURN(l->store_,
                      LogStore::Open(dir, false, false, "", options.no_sync));
  CL_ASSIGN_OR_RETURN(
      l->keys_, Keystore::Open(dir + "/keystore", master, /*create=*/false));
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

Result<Keystore::RotateReport> RotateKeys(const std::string& dir) {
  if (!std::filesystem::is_directory(dir + "/keystore")) {
    return NotFound("no keystore in " + dir + " (run `caseledger init` first)");
  }
  CL_ASSIGN_OR_RETURN(DirLock lock, DirLock::Acquire(dir));
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, LoadMasterKey(dir));
  return Keystore::Rotate(dir + "/keystore", master);
}

}  // namespace caseledger::ledger
