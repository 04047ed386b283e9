// The audit bundle (DESIGN §10.1, docs/formats/bundle.md) as one download: the
// bundle's three files (events.jsonl, checkpoint.txt, verifier.txt, from one
// snapshot: ledger::WriteBundle) in a POSIX ustar archive under one folder,
// so an auditor can unpack it and run `caseledger verify-bundle` offline.
// Bodies stay ciphertext; nothing is decrypted. Thread-safety: takes its own
// read txn and may run beside the writer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "ledger/cosignature_store.h"
#include "ledger/log_store.h"

namespace caseledger::app {

inline constexpr std::string_view kTarContentType = "application/x-tar";

struct AuditBundleTar {
  std::string folder;  // "caseledger-bundle-<checkpoint size>", the archive's one folder
  std::string tar;     // the archive: <folder>/events.jsonl, checkpoint.txt, verifier.txt
  std::uint64_t events = 0;
  std::uint64_t checkpoint_size = 0;
};

// The bundle of `store`, signed by the key whose note verifier line is
// `verifier_line` (NoteVerifier::ToString), as a ustar archive held in
// memory (the whole log: a download, not a backup). NotFound while the log
// has no checkpoint; LMDB errors as the store's.
// With `cosignatures` (the node's witnesses, docs/witnessing.md): cut at the
// newest checkpoint that reached the witness quorum, with its cosignatures.
Result<AuditBundleTar> BuildAuditBundleTar(ledger::LogStore& store, std::string_view verifier_line,
                                           const ledger::CosignatureStore* cosignatures = nullptr);

}  // namespace caseledger::app
