#include "witness/witness_dir.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "crypto/ed25519.h"
#include "crypto/key_file.h"
#include "ledger/ledger.h"

namespace caseledger::witness {

namespace {

std::string KeyPath(const std::string& dir) { return dir + "/witness.key"; }
std::string PubPath(const std::string& dir) { return dir + "/witness.pub"; }

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

// Whether `path` lies inside the directory `dir` (the file need not exist).
bool Inside(const std::string& path, const std::string& dir) {
  std::error_code ec;
  const auto d = std::filesystem::weakly_canonical(dir, ec);
  const auto p = std::filesystem::weakly_canonical(path, ec);
  if (ec) return false;
  const auto rel = p.lexically_relative(d);
  return !rel.empty() && *rel.begin() != "..";
}

// Makes sure a master key source exists for `dir`, creating the key file of
// $CASELEDGER_MASTER_KEY_FILE or, in demo mode, <dir>/master.key.
Status PrepareMasterKey(const std::string& dir) {
  if (auto file = Env(ledger::kMasterKeyEnv)) {
    if (Inside(*file, dir) && !ledger::DemoMode())
      return FailedPrecondition(
          std::string("$") + ledger::kMasterKeyEnv +
          " inside the witness directory is refused outside demo mode");
    if (!std::filesystem::exists(*file))
      return crypto::WriteNewMasterKeyFile(*file);
    return Status::Ok();
  }
  if (Env(ledger::kPassphraseEnv))
    return FailedPrecondition(
        std::string("a passphrase master key ($") + ledger::kPassphraseEnv +
        ") is not supported for witnesses yet: set $" + ledger::kMasterKeyEnv);
  if (ledger::DemoMode()) {
    if (!std::filesystem::exists(dir + "/master.key"))
      return crypto::WriteNewMasterKeyFile(dir + "/master.key");
    return Status::Ok();
  }
  return FailedPrecondition(
      std::string("no master key configured: set $") + ledger::kMasterKeyEnv +
      " (created if missing), or pass --demo for a demo witness");
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

}  // namespace

Result<std::string> InitWitnessDir(const std::string& dir,
                                   const std::string& name,
                                   const std::vector<std::string>& log_vkeys) {
  CL_RETURN_IF_ERROR(
      crypto::ValidateNoteKeyName(name).WithContext("witness name"));
  for (const std::string& vkey : log_vkeys) {
    auto v = crypto::NoteVerifier::Parse(vkey);
    if (!v.ok()) return v.status().WithContext("--log");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create " + dir + ": " + ec.message());
  if (std::filesystem::exists(KeyPath(dir)) ||
      std::filesystem::exists(dir + "/state") ||
      std::filesystem::exists(PubPath(dir)))
    return AlreadyExists("a witness already exists in " + dir);
  CL_RETURN_IF_ERROR(PrepareMasterKey(dir));
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, ledger::LoadMasterKey(dir));
  const auto key = crypto::Ed25519SigningKey::Generate();
  CL_RETURN_IF_ERROR(crypto::WriteSealedKeyFile(
      KeyPath(dir), kWitnessKeyPurpose, master, key.Seed()));
  CL_ASSIGN_OR_RETURN(auto store, WitnessStore::Open(dir, /*create=*/true));
  CL_RETURN_IF_ERROR(store->SetName(name));
  for (const std::string& vkey : log_vkeys) {
    Status s = store->AddLogKey(vkey);
    if (!s.ok() && s.code() != StatusCode::kAlreadyExists) return s;
  }
  const std::string vkey =
      crypto::CosignerVerifier::For(name, key.public_key()).ToString();
  CL_RETURN_IF_ERROR(WritePublicFile(PubPath(dir), vkey));
  return vkey;
}

Result<std::unique_ptr<WitnessStore>> OpenWitnessStore(const std::string& dir) {
  if (!std::filesystem::exists(KeyPath(dir)))
    return NotFound("no witness in " + dir +
                    " (run `caseledger witness init` first)");
  return WitnessStore::Open(dir, /*create=*/false);
}

Result<OpenedWitness> OpenWitnessDir(const std::string& dir,
                                     std::function<std::uint64_t()> clock) {
  OpenedWitness w;
  CL_ASSIGN_OR_RETURN(w.store, OpenWitnessStore(dir));
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, ledger::LoadMasterKey(dir));
  CL_ASSIGN_OR_RETURN(
      crypto::SecretBytes seed,
      crypto::ReadSealedKeyFile(KeyPath(dir), kWitnessKeyPurpose, master));
  CL_ASSIGN_OR_RETURN(auto key,
                      crypto::Ed25519SigningKey::FromSeed(seed.view()));
  WitnessConfig config;
  CL_ASSIGN_OR_RETURN(config.name, w.store->Name());
  CL_ASSIGN_OR_RETURN(config.logs, w.store->LogKeys());
  config.clock = std::move(clock);
  CL_ASSIGN_OR_RETURN(const std::string pub, ReadFirstLine(PubPath(dir)));
  if (pub !=
      crypto::CosignerVerifier::For(config.name, key.public_key()).ToString())
    return Corruption("witness.pub does not match the witness's name and key");
  CL_ASSIGN_OR_RETURN(
      w.witness, Witness::Create(std::move(config), std::move(key), *w.store));
  return w;
}

}  // namespace caseledger::witness
