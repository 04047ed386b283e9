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
  CL_RETURN_IF_ERROR(ledger::PrepareMasterKey(dir));
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
  CL_RETURN_IF_ERROR(ledger::WritePublicFile(PubPath(dir), vkey));
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
  CL_ASSIGN_OR_RETURN(const std::string pub, ledger::ReadFirstLine(PubPath(dir)));
  if (pub !=
      crypto::CosignerVerifier::For(config.name, key.public_key()).ToString())
    return Corruption("witness.pub does not match the witness's name and key");
  CL_ASSIGN_OR_RETURN(
      w.witness, Witness::Create(std::move(config), std::move(key), *w.store));
  return w;
}

}  // namespace caseledger::witness
