// A witness's data directory (docs/witness.md, "On-disk state"):
//   <dir>/witness.key  the cosigner's Ed25519 seed, sealed with the master key
//                      (crypto/key_file.h, purpose "witness-cosigner")
//   <dir>/witness.pub  the cosigner vkey (type 0x04), public
//   <dir>/master.key   demo only; production sets CASELEDGER_MASTER_KEY_FILE
//   <dir>/state/       LMDB: name, trusted log keys, latest cosigned
//                      checkpoints, evidence (WitnessStore)
// The master key comes from the same sources as a ledger's
// (ledger::LoadMasterKey); a passphrase is not supported for witnesses yet.
// Thread-safety: the functions may run on any thread; two inits of one
// directory race (one of them fails).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "witness/witness.h"
#include "witness/witness_store.h"

namespace caseledger::witness {

inline constexpr std::string_view kWitnessKeyPurpose = "witness-cosigner";

// Creates a witness in `dir` (created if missing): a fresh key sealed under
// the master key ($CASELEDGER_MASTER_KEY_FILE, created if missing; in demo
// mode <dir>/master.key), the name, the trusted log keys, witness.pub.
// Returns the cosigner vkey. InvalidArgument for a bad name or log vkey
// (checked before anything is written); AlreadyExists if `dir` already holds a
// witness; FailedPrecondition if no master key source is configured (or only
// a passphrase); storage and OS errors otherwise.
Result<std::string> InitWitnessDir(const std::string& dir,
                                   const std::string& name,
                                   const std::vector<std::string>& log_vkeys);

// A witness opened from its directory: the store and the witness over it
// (declared in this order so the witness goes first).
struct OpenedWitness {
  std::unique_ptr<WitnessStore> store;
  std::unique_ptr<Witness> witness;
};

// Opens the witness in `dir`: loads the master key, unseals witness.key and
// checks it against witness.pub (Corruption if they differ), reads the name
// and the trusted log keys. `clock` (POSIX seconds) as in WitnessConfig.
// NotFound if `dir` holds no witness; key file errors as crypto/key_file.h.
Result<OpenedWitness> OpenWitnessDir(
    const std::string& dir, std::function<std::uint64_t()> clock = PosixNow);

// Opens only the store of the witness in `dir` (add-log, evidence): no key
// needed. NotFound if `dir` holds no witness.
Result<std::unique_ptr<WitnessStore>> OpenWitnessStore(const std::string& dir);

}  // namespace caseledger::witness
